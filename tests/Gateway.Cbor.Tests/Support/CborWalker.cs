namespace Gateway.Cbor.Tests.Support;

/// <summary>
/// Reads every token of a document with the typed read methods, as a consumer would. Used by the
/// mutation tests: any exception other than the reader's documented ones is a bug.
/// </summary>
public static class CborWalker
{
    /// <summary>Walks all root items; true when the input was consumed completely.</summary>
    public static bool WalkAll(CborReader reader)
    {
        while (Step(reader))
        {
        }

        return reader.BytesRemaining == 0;
    }

    /// <summary>Reads one token (a scalar, a container boundary or a tag); false when finished.</summary>
    public static bool Step(CborReader reader)
    {
        switch (reader.PeekState())
        {
            case CborReaderState.UnsignedInteger: reader.ReadUInt64(); break;
            case CborReaderState.NegativeInteger: reader.ReadCborNegativeIntegerRepresentation(); break;
            case CborReaderState.ByteString: reader.ReadByteString(); break;
            case CborReaderState.TextString: reader.ReadTextString(); break;
            case CborReaderState.StartIndefiniteLengthByteString: reader.ReadStartIndefiniteLengthByteString(); break;
            case CborReaderState.EndIndefiniteLengthByteString: reader.ReadEndIndefiniteLengthByteString(); break;
            case CborReaderState.StartIndefiniteLengthTextString: reader.ReadStartIndefiniteLengthTextString(); break;
            case CborReaderState.EndIndefiniteLengthTextString: reader.ReadEndIndefiniteLengthTextString(); break;
            case CborReaderState.StartArray: reader.ReadStartArray(); break;
            case CborReaderState.EndArray: reader.ReadEndArray(); break;
            case CborReaderState.StartMap: reader.ReadStartMap(); break;
            case CborReaderState.EndMap: reader.ReadEndMap(); break;
            case CborReaderState.Tag: reader.ReadTag(); break;
            case CborReaderState.HalfPrecisionFloat:
            case CborReaderState.SinglePrecisionFloat:
            case CborReaderState.DoublePrecisionFloat: reader.ReadDouble(); break;
            case CborReaderState.Boolean: reader.ReadBoolean(); break;
            case CborReaderState.Null: reader.ReadNull(); break;
            case CborReaderState.SimpleValue: reader.ReadSimpleValue(); break;
            case CborReaderState.Finished: return false;
            default: throw new InvalidOperationException("Unexpected state");
        }

        return true;
    }
}
