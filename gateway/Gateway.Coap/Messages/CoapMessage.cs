using System.Text;

namespace Gateway.Coap.Messages;

/// <summary>
/// The wire model of one CoAP message (RFC 7252 §3). Options are kept sorted by number, as
/// they must be on the wire, so encoding never reorders. Immutable once built; the application
/// model is <see cref="Server.CoapRequest"/> / <see cref="Server.CoapResponse"/>.
/// </summary>
public sealed class CoapMessage
{
    public const int MaxTokenLength = 8;

    public CoapMessage(CoapMessageType type, CoapCode code, ushort messageId, ReadOnlyMemory<byte> token,
        IReadOnlyList<CoapOption>? options = null, ReadOnlyMemory<byte> payload = default)
    {
        if (token.Length > MaxTokenLength) throw new ArgumentException("A token is at most 8 bytes (RFC 7252 §3).", nameof(token));
        Type = type;
        Code = code;
        MessageId = messageId;
        Token = token;
        Options = options is null ? [] : CoapOptionList.Sorted(options);
        Payload = payload;
    }

    // Trusted construction from the decoder, which already produced a sorted array.
    internal CoapMessage(CoapMessageType type, CoapCode code, ushort messageId, ReadOnlyMemory<byte> token,
        CoapOption[] sortedOptions, ReadOnlyMemory<byte> payload, bool trusted)
    {
        _ = trusted;
        Type = type;
        Code = code;
        MessageId = messageId;
        Token = token;
        Options = sortedOptions;
        Payload = payload;
    }

    public CoapMessageType Type { get; }
    public CoapCode Code { get; }
    public ushort MessageId { get; }
    public ReadOnlyMemory<byte> Token { get; }
    public IReadOnlyList<CoapOption> Options { get; }
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>§4.1: Code 0.00, no token, no options, no payload.</summary>
    public bool IsEmpty => Code.IsEmpty;

    public static CoapMessage EmptyAck(ushort messageId) => new(CoapMessageType.Acknowledgement, CoapCode.Empty, messageId, default);
    public static CoapMessage Reset(ushort messageId) => new(CoapMessageType.Reset, CoapCode.Empty, messageId, default);

    public bool HasOption(ushort number)
    {
        foreach (var o in Options) if (o.Number == number) return true;
        return false;
    }

    public CoapOption? GetOption(ushort number)
    {
        foreach (var o in Options) if (o.Number == number) return o;
        return null;
    }

    public uint? GetUIntOption(ushort number) =>
        GetOption(number) is { } o && o.TryGetUInt(out uint v) ? v : null;

    public IEnumerable<string> GetStringOptions(ushort number)
    {
        foreach (var o in Options) if (o.Number == number) yield return o.GetString();
    }

    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append(Type switch { CoapMessageType.Confirmable => "CON", CoapMessageType.NonConfirmable => "NON", CoapMessageType.Acknowledgement => "ACK", _ => "RST" });
        sb.Append(' ').Append(Code).Append(" mid=").Append(MessageId).Append(" token=").Append(Convert.ToHexString(Token.Span));
        foreach (var o in Options) sb.Append(' ').Append(o);
        if (!Payload.IsEmpty) sb.Append(" payload=").Append(Payload.Length).Append('B');
        return sb.ToString();
    }
}
