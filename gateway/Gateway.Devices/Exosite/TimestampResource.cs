using System.Buffers.Binary;
using System.Globalization;
using Gateway.Coap.Messages;
using Gateway.Coap.Server;

namespace Gateway.Devices.Exosite;

/// <summary>
/// <c>GET /ts</c> (peers.md §A.1 timestamp): Unix seconds as text; as a signed big-endian integer when
/// the request carries Content-Format 42 (Exosite's way of asking, not Accept). The width is not
/// documented: 4 bytes (int32) while the time fits, 8 bytes after 2038.
/// </summary>
internal sealed class TimestampResource(TimeProvider time) : CoapResource("ts")
{
    protected override ValueTask<CoapResponse> GetAsync(CoapRequest request, CancellationToken cancellationToken)
    {
        long now = time.GetUtcNow().ToUnixTimeSeconds();
        if (request.ContentFormat != CoapContentFormat.OctetStream)
            return new(new CoapResponse(CoapCode.Content, System.Text.Encoding.ASCII.GetBytes(now.ToString(CultureInfo.InvariantCulture))));
        byte[] body;
        if (now is >= int.MinValue and <= int.MaxValue)
        {
            body = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(body, (int)now);
        }
        else
        {
            body = new byte[8];
            BinaryPrimitives.WriteInt64BigEndian(body, now);
        }
        return new(CoapResponse.WithFormat(CoapCode.Content, body, CoapContentFormat.OctetStream));
    }
}
