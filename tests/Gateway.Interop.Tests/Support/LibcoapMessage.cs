using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Gateway.Interop.Tests.Support;

/// <summary>
/// One message as libcoap's <c>-v 6</c> trace shows it:
/// <c>v:1 t:ACK c:2.05 i:ef37 {01} [ Content-Format:application/link-format ] :: 'payload'</c>.
/// </summary>
public sealed partial record LibcoapMessage(string Type, string Code, string Options, string? Payload)
{
    [GeneratedRegex(@"^v:1 t:(?<type>\w+) c:(?<code>\S+) i:[0-9a-f]+ \{[0-9a-f]*\} \[(?<options>.*?)\](?: :: '(?<payload>.*)')?\s*$", RegexOptions.Multiline)]
    private static partial Regex TraceLine();

    /// <summary>Every traced message in order (requests sent and responses received).</summary>
    public static IReadOnlyList<LibcoapMessage> Parse(string trace) =>
        [.. TraceLine().Matches(trace).Select(m => new LibcoapMessage(m.Groups["type"].Value, m.Groups["code"].Value, m.Groups["options"].Value.Trim(),
            m.Groups["payload"].Success ? Unescape(m.Groups["payload"].Value) : null))];

    /// <summary>The responses (codes of class 2 to 5) among the traced messages.</summary>
    public static IReadOnlyList<LibcoapMessage> Responses(string trace) =>
        [.. Parse(trace).Where(m => m.Code.Length == 4 && m.Code[0] is >= '2' and <= '5')];

    // libcoap writes non-printable payload bytes as \xNN.
    private static string Unescape(string text)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\' && i + 3 < text.Length && text[i + 1] == 'x'
                && byte.TryParse(text.AsSpan(i + 2, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out byte b))
            {
                sb.Append((char)b);
                i += 3;
            }
            else sb.Append(text[i]);
        }
        return sb.ToString();
    }
}
