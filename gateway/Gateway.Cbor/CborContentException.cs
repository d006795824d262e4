namespace Gateway.Cbor;

/// <summary>
/// The input is not well-formed CBOR or breaks a rule of the reader's conformance mode. Distinct from
/// <see cref="InvalidOperationException"/> (the caller asked for the wrong type) and
/// <see cref="OverflowException"/> (the value does not fit the requested type).
/// </summary>
public sealed class CborContentException : Exception
{
    public CborContentException(string message)
        : this(message, CborContentError.None)
    {
    }

    public CborContentException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public CborContentException(string message, CborContentError error)
        : base(message)
    {
        Error = error;
    }

    /// <summary>The machine-readable reason, so callers can map it to a protocol answer without parsing text.</summary>
    public CborContentError Error { get; }
}
