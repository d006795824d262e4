using System.Text;
using Gateway.Coap.Messages;

namespace Gateway.Devices.Tests.Support;

/// <summary>Short assertions on CoAP answers.</summary>
public static class Answer
{
    public static string Code(CoapMessage message) => message.Code.ToString();

    public static string Text(CoapMessage message) => Encoding.UTF8.GetString(message.Payload.Span);

    public static uint? Option(CoapMessage message, ushort number) => message.GetUIntOption(number);
}
