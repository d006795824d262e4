using Gateway.Coap.Messages;

namespace Gateway.Devices.Exosite;

/// <summary>
/// The CIK in a request's Uri-Query (peers.md §A.1 "CIK forms"): the 40-character hex text
/// (libexositecoap, §A.2) or the 20 raw bytes (CoAPExample, §A.2: not valid UTF-8 in general, so read
/// from the raw option, never from the decoded query string). Either way the result is the lowercase
/// 40-hex text that activation issued.
/// </summary>
public static class ExositeCik
{
    public const int TextLength = 40;
    public const int BinaryLength = 20;

    /// <summary>The CIK carried by one Uri-Query value, or null if it is neither form.</summary>
    public static string? Parse(ReadOnlySpan<byte> value)
    {
        if (value.Length == BinaryLength) return Convert.ToHexStringLower(value);
        if (value.Length != TextLength) return null;
        Span<char> text = stackalloc char[TextLength];
        for (int i = 0; i < TextLength; i++)
        {
            byte b = value[i];
            if (!char.IsAsciiHexDigit((char)b)) return null;
            text[i] = char.ToLowerInvariant((char)b);
        }
        return new string(text);
    }

    /// <summary>
    /// The CIK from the first Uri-Query option (§A.1 multiple read/write: "The server will look in the
    /// first uri query option for the CIK"); null when there is none or it is malformed.
    /// </summary>
    public static string? FromQuery(IReadOnlyList<CoapOption> options)
    {
        foreach (var option in options)
        {
            if (option.Number == CoapOptionNumber.UriQuery) return Parse(option.Value.Span);
        }
        return null;
    }
}
