namespace Gateway.Storage.Content;

/// <summary>
/// Random access to one stored body as it was when opened (<see cref="IContentStore.OpenAsync"/>): each
/// read is a positioned read of its file, so serving a block never loads the whole body.
/// </summary>
public sealed class ContentReader
{
    private readonly ContentFiles _files;
    private readonly string _file;

    internal ContentReader(ContentInfo info, ContentFiles files, string file) => (Info, _files, _file) = (info, files, file);

    public ContentInfo Info { get; }

    /// <summary>
    /// Copies up to <paramref name="destination"/>.Length bytes at <paramref name="offset"/>; fewer only at the
    /// end of the body, or 0 once it was replaced or deleted and its file is gone (the caller restarts with a fresh open).
    /// </summary>
    public int Read(long offset, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (offset >= Info.Size || destination.IsEmpty) return 0;
        try
        {
            return _files.Read(_file, offset, destination[..(int)Math.Min(destination.Length, Info.Size - offset)]);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return 0;
        }
    }
}
