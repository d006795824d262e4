namespace Gateway.Storage.Content;

/// <summary>
/// Content and firmware blobs served block-wise to devices. Bodies are stored in chunks, so reading
/// a CoAP Block2 touches one or two chunks and never loads the whole file.
/// </summary>
public interface IContentStore
{
    /// <summary>Stores (or atomically replaces) a blob from <paramref name="body"/>, streaming it; returns its metadata.</summary>
    Task<ContentInfo> PutAsync(string name, string contentType, Stream body, string? meta = null, CancellationToken cancellationToken = default);

    Task<ContentInfo?> GetInfoAsync(string name, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<ContentInfo>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>Copies up to <paramref name="destination"/>.Length bytes from <paramref name="offset"/>; returns bytes copied (0 at or past the end, or if unknown).</summary>
    Task<int> ReadAsync(string name, long offset, Memory<byte> destination, CancellationToken cancellationToken = default);

    Task<bool> DeleteAsync(string name, CancellationToken cancellationToken = default);
}
