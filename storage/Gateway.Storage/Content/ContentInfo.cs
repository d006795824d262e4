namespace Gateway.Storage.Content;

/// <summary>Metadata of a stored content or firmware blob.</summary>
/// <param name="Name">Key, e.g. "exosite/vendor/model/id" or "firmware/title/version" (the caller's naming).</param>
/// <param name="ContentType">MIME type served to devices.</param>
/// <param name="Size">Bytes.</param>
/// <param name="Sha256">SHA-256 of the whole body.</param>
/// <param name="ETag">CoAP ETag (first 8 bytes of the SHA-256): changes whenever the body does.</param>
/// <param name="Meta">Free text from <c>content add --meta</c>.</param>
/// <param name="Updated">When it was stored.</param>
public sealed record ContentInfo(string Name, string ContentType, long Size, byte[] Sha256, byte[] ETag, string? Meta, DateTimeOffset Updated);
