namespace Gateway.Storage.Content;

/// <summary>
/// Content and firmware blobs served block-wise to devices. Bodies are files on disk (metadata in the
/// database), so serving a CoAP Block2 block is one positioned read and never loads the whole file.
/// </summary>
public interface IContentStore
{
    /// <summary>
    /// Stores (or atomically replaces) a blob from <paramref name="body"/>, streaming it to a new file (fsynced,
    /// then renamed into place) while its SHA-256 is computed once; returns its metadata. Throws
    /// <see cref="ContentTooLargeException"/> past <see cref="StorageOptions.MaxContentBytes"/>.
    /// </summary>
    Task<ContentInfo> PutAsync(string name, string contentType, Stream body, string? meta = null, CancellationToken cancellationToken = default);

    /// <summary>The blob for random access (one positioned read per block), or null if unknown.</summary>
    Task<ContentReader?> OpenAsync(string name, CancellationToken cancellationToken = default);

    Task<ContentInfo?> GetInfoAsync(string name, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<ContentInfo>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>Copies up to <paramref name="destination"/>.Length bytes from <paramref name="offset"/>; returns bytes copied (0 at or past the end, or if unknown).</summary>
    Task<int> ReadAsync(string name, long offset, Memory<byte> destination, CancellationToken cancellationToken = default);

    Task<bool> DeleteAsync(string name, CancellationToken cancellationToken = default);
}
