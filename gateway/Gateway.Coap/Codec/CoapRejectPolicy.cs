using Gateway.Coap.Messages;

namespace Gateway.Coap.Codec;

/// <summary>
/// The one place that maps an unprocessable message to the RFC's reaction, so the endpoint loop
/// never improvises (Californium's UdpDataParser + CoapEndpoint reject path, made a pure function).
/// </summary>
public static class CoapRejectPolicy
{
    /// <summary>The reaction to a datagram the codec could not decode.</summary>
    public static CoapRejectAction Decide(in CoapDecodeError error)
    {
        // §3: nothing to answer without a header, and an unknown version MUST be silently ignored.
        if (!error.HasHeader || error.Kind == CoapDecodeErrorKind.UnknownVersion) return CoapRejectAction.Ignore;

        // §4.2/§4.3: only a Confirmable message is rejected with RST; NON/ACK/RST errors are dropped.
        if (error.Type != CoapMessageType.Confirmable) return CoapRejectAction.Ignore;

        // A request whose header and token were readable but whose options or payload marker are
        // malformed can still be answered: 4.00 tells the device what is wrong, where a bare RST
        // would look like "no such endpoint" (the same choice Californium makes).
        bool bodyError = error.Kind is CoapDecodeErrorKind.ReservedOptionNibble or CoapDecodeErrorKind.TruncatedOption
            or CoapDecodeErrorKind.OptionNumberOverflow or CoapDecodeErrorKind.EmptyPayloadAfterMarker;
        if (bodyError && error.HasToken && error.Code.IsRequest) return CoapRejectAction.BadRequest;

        return CoapRejectAction.Reset;
    }

    /// <summary>
    /// The reaction to a well-formed message carrying a critical option this stack cannot process:
    /// unrecognised (§5.4.1), outside its length bounds (§5.4.3), or repeated when not repeatable
    /// (§5.4.5). Returns <see cref="CoapRejectAction.Accept"/> when there is none.
    /// </summary>
    public static CoapRejectAction DecideOptions(CoapMessage message, out ushort offendingOption)
    {
        offendingOption = FindUnprocessableCriticalOption(message.Options);
        if (offendingOption == 0) return CoapRejectAction.Accept;
        // §5.4.1: 4.02 for a CON request; a CON response is rejected with RST; anything else is
        // rejected silently (answering a NON would make us an amplifier for spoofed sources).
        return message.Type switch
        {
            CoapMessageType.Confirmable when message.Code.IsRequest => CoapRejectAction.BadOption,
            CoapMessageType.Confirmable => CoapRejectAction.Reset,
            _ => CoapRejectAction.Ignore,
        };
    }

    /// <summary>The first critical option that is unknown, has a bad length or is a supernumerary repeat; 0 if none.</summary>
    public static ushort FindUnprocessableCriticalOption(IReadOnlyList<CoapOption> options)
    {
        int previous = -1;
        for (int i = 0; i < options.Count; i++)
        {
            var option = options[i];
            int number = option.Number;
            bool repeat = number == previous;
            previous = number;
            if (!CoapOptionNumber.IsCritical(number)) continue;
            if (!CoapOptionNumber.TryGetDefinition(number, out var definition)) return option.Number;
            int length = option.Value.Length;
            if (length < definition.MinLength || length > definition.MaxLength) return option.Number;
            if (repeat && !definition.Repeatable) return option.Number;
        }
        return 0;
    }
}
