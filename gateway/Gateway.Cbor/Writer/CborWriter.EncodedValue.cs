namespace Gateway.Cbor;

public sealed partial class CborWriter
{
    /// <summary>
    /// Copies one pre-encoded data item. It must be a single well-formed item that conforms to this
    /// writer's mode (checked with the reader's validator; <see cref="ArgumentException"/> otherwise).
    /// The bytes are copied as they are: preferred serialization is the caller's business here.
    /// </summary>
    public void WriteEncodedValue(ReadOnlySpan<byte> encodedValue)
    {
        if (!CborReader.TryValidate(encodedValue, ConformanceMode, int.MaxValue, out CborContentError error))
        {
            throw new ArgumentException($"Not a single valid CBOR data item: {CborReader.Describe(error)}.", nameof(encodedValue));
        }

        CborMajorType major = CborHeader.MajorType(encodedValue[0]);
        if (_frame.Type is CborMajorType.ByteString or CborMajorType.TextString
            && CborHeader.AdditionalInfo(encodedValue[0]) == CborHeader.IndefiniteLength)
        {
            throw new InvalidOperationException("Only definite-length chunks may be written inside an indefinite-length string.");
        }

        BeginItem(major);
        encodedValue.CopyTo(Reserve(encodedValue.Length));
        _offset += encodedValue.Length;
        EndItem();
    }
}
