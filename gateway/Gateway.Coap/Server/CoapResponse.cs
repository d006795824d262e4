using System.Text;
using Gateway.Coap.Messages;

namespace Gateway.Coap.Server;

/// <summary>
/// A response as the application sees it: code, options and the whole payload. Immutable, so a
/// resource may cache one and return it for every request (no allocation per request).
/// </summary>
public sealed class CoapResponse
{
    public CoapResponse(CoapCode code, ReadOnlyMemory<byte> payload = default, IEnumerable<CoapOption>? options = null)
    {
        Code = code;
        Payload = payload;
        Options = options is null ? [] : CoapOptionList.Sorted([.. options]);
    }

    public CoapCode Code { get; }

    public IReadOnlyList<CoapOption> Options { get; }

    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>
    /// The largest Block2 block this body goes out in (16..1024), below the endpoint's own block size:
    /// for a body anyone may ask for, so that a spoofed request is not answered with a large datagram
    /// (RFC 7252 §11.3: "offering large resource representations only in relatively small slices").
    /// </summary>
    public int? MaxBlockSize { get; init; }

    /// <summary>
    /// A body read block by block from where it lies instead of <see cref="Payload"/> (which is then empty):
    /// the endpoint serves any size through Block2 without ever holding the whole body.
    /// </summary>
    public IBlockSource? BlockSource { get; init; }

    public int? ContentFormat => GetUInt(CoapOptionNumber.ContentFormat) is { } v ? (int)v : null;

    public uint? MaxAge => GetUInt(CoapOptionNumber.MaxAge);

    public string PayloadText => System.Text.Encoding.UTF8.GetString(Payload.Span);

    public static CoapResponse Empty(CoapCode code) => new(code);

    /// <summary>
    /// Send nothing at all, not even an ACK (the idea of RFC 7967 No-Response, decided by the
    /// server): for sources that must get silence, e.g. after too many failed credentials
    /// (reliability.md S6). Retransmissions of the request are silently dropped as duplicates.
    /// </summary>
    public static readonly CoapResponse NoResponse = new(CoapCode.Empty);

    /// <summary>A text/plain response (Content-Format 0).</summary>
    public static CoapResponse Text(CoapCode code, string text) =>
        new(code, System.Text.Encoding.UTF8.GetBytes(text), [CoapOption.FromUInt(CoapOptionNumber.ContentFormat, CoapContentFormat.TextPlain)]);

    /// <summary>An error with a diagnostic payload (§5.5.2: "a brief human-readable diagnostic message", no Content-Format).</summary>
    public static CoapResponse Error(CoapCode code, string diagnostic) => new(code, System.Text.Encoding.UTF8.GetBytes(diagnostic));

    public static CoapResponse WithFormat(CoapCode code, ReadOnlyMemory<byte> payload, int contentFormat, params IEnumerable<CoapOption> options) =>
        new(code, payload, [CoapOption.FromUInt(CoapOptionNumber.ContentFormat, (uint)contentFormat), .. options]);

    /// <summary>A response whose body is read block by block from <paramref name="source"/> (see <see cref="BlockSource"/>).</summary>
    public static CoapResponse FromSource(CoapCode code, IBlockSource source, params IEnumerable<CoapOption> options) =>
        new(code, default, options) { BlockSource = source };

    public CoapOption? GetOption(ushort number)
    {
        foreach (var option in Options) if (option.Number == number) return option;
        return null;
    }

    public uint? GetUInt(ushort number) => GetOption(number) is { } o && o.TryGetUInt(out uint v) ? v : null;

    public override string ToString()
    {
        var sb = new StringBuilder().Append(Code);
        foreach (var o in Options) sb.Append(' ').Append(o);
        if (!Payload.IsEmpty) sb.Append(' ').Append(Payload.Length).Append('B');
        return sb.ToString();
    }
}
