namespace Gateway.Cbor;

public sealed partial class CborWriter
{
    /// <summary>
    /// Starts an array (major type 4) of <paramref name="definiteLength"/> items, or an
    /// indefinite-length array (RFC 8949 §3.2.2) when null.
    /// </summary>
    public void WriteStartArray(int? definiteLength)
    {
        if (definiteLength is < 0) throw new ArgumentOutOfRangeException(nameof(definiteLength));
        if (definiteLength is null) RejectIndefinite();
        BeginItem(CborMajorType.Array);
        if (definiteLength is int length)
        {
            WriteHeader(CborMajorType.Array, (ulong)length);
        }
        else
        {
            WriteByte(0x9F);
        }

        PushFrame(CborMajorType.Array, definiteLength);
    }

    public void WriteEndArray()
    {
        CheckEnd(CborMajorType.Array, "array");
        if (_frame.DefiniteLength is null) WriteByte(CborHeader.Break);
        PopFrame();
    }
}
