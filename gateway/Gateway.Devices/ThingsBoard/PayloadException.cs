namespace Gateway.Devices.ThingsBoard;

/// <summary>
/// A device payload ThingsBoard's adaptor would reject (its <c>AdaptorException</c>): answered 4.00
/// on CoAP (thingsboard.md §2.4). The message is safe to log and to send (no credentials in it).
/// </summary>
public sealed class PayloadException : Exception
{
    public PayloadException(string message) : base(message)
    {
    }

    public PayloadException(string message, Exception inner) : base(message, inner)
    {
    }

    public PayloadException()
    {
    }
}
