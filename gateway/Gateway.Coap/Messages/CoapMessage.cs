using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Gateway.Coap.Messages;

/// <summary>
/// The wire model of one CoAP message (RFC 7252 §3). Options are kept sorted by number, as
/// they must be on the wire, so encoding never reorders. Immutable once built; the application
/// model is <see cref="Server.CoapRequest"/> / <see cref="Server.CoapResponse"/>.
/// <para>The one exception is internal: each receive thread decodes every datagram into one
/// reusable instance (<see cref="CreateReusable"/>), so the steady-state receive path allocates
/// nothing. Such an instance is never handed out beyond the request it carries.</para>
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
        Overwrite(type, code, messageId, token, sortedOptions, payload);
    }

    public CoapMessageType Type { get; private set; }
    public CoapCode Code { get; private set; }
    public ushort MessageId { get; private set; }
    public ReadOnlyMemory<byte> Token { get; private set; }
    public IReadOnlyList<CoapOption> Options { get; private set; }
    public ReadOnlyMemory<byte> Payload { get; private set; }

    // Reusable instances only: one exactly-sized option array per option count seen so far, so
    // Options stays a plain array (no wrapper, no count field for every reader to respect).
    private CoapOption[]?[]? _optionArrays;
    private const int ReusedOptionArrays = 16;

    internal static CoapMessage CreateReusable() =>
        new(default, CoapCode.Empty, 0, default, [], default, trusted: true) { _optionArrays = new CoapOption[ReusedOptionArrays + 1][] };

    /// <summary>An option array of exactly <paramref name="count"/> entries: reused when this instance is reusable.</summary>
    internal CoapOption[] OptionStorage(int count)
    {
        if (count == 0) return [];
        if (_optionArrays is null || count > ReusedOptionArrays) return new CoapOption[count];
        return _optionArrays[count] ??= new CoapOption[count];
    }

    /// <summary>Overwrites a reusable instance with the next decoded datagram (the codec's trusted path).</summary>
    [MemberNotNull(nameof(Options))]
    internal void Overwrite(CoapMessageType type, CoapCode code, ushort messageId, ReadOnlyMemory<byte> token, CoapOption[] sortedOptions, ReadOnlyMemory<byte> payload)
    {
        Type = type;
        Code = code;
        MessageId = messageId;
        Token = token;
        Options = sortedOptions;
        Payload = payload;
    }

    /// <summary>§4.1: Code 0.00, no token, no options, no payload.</summary>
    public bool IsEmpty => Code.IsEmpty;

    public static CoapMessage EmptyAck(ushort messageId) => new(CoapMessageType.Acknowledgement, CoapCode.Empty, messageId, default);
    public static CoapMessage Reset(ushort messageId) => new(CoapMessageType.Reset, CoapCode.Empty, messageId, default);

    // Indexed loops: foreach over IReadOnlyList<T> allocates an enumerator, and these run per request.
    public bool HasOption(ushort number) => GetOption(number) is not null;

    public CoapOption? GetOption(ushort number)
    {
        var options = Options;
        for (int i = 0; i < options.Count; i++) if (options[i].Number == number) return options[i];
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
