using System.Text;
using Gateway.Coap.Messages;

namespace Gateway.Devices.Tests.Exosite;

/// <summary>Builds Exosite requests with raw Uri-Query values (a binary CIK is not UTF-8).</summary>
public static class ExositeRequests
{
    public static CoapMessage Build(CoapCode method, string path, ushort messageId, IEnumerable<byte[]> queries, byte[]? payload = null,
        byte[]? token = null, CoapMessageType type = CoapMessageType.Confirmable, params CoapOption[] extra)
    {
        var options = new List<CoapOption>(extra);
        options.AddRange(path.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(s => CoapOption.FromString(CoapOptionNumber.UriPath, s)));
        options.AddRange(queries.Select(q => new CoapOption(CoapOptionNumber.UriQuery, q)));
        var sorted = options.OrderBy(o => o.Number).ToList(); // stable: query order kept
        return new CoapMessage(type, method, messageId, token ?? [0x21, (byte)messageId], sorted, payload ?? default(ReadOnlyMemory<byte>));
    }

    public static byte[] Text(string s) => Encoding.UTF8.GetBytes(s);

    public static byte[] Binary(string cik) => Convert.FromHexString(cik);
}
