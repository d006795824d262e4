namespace Gateway.Cbor;

public sealed partial class CborReader
{
    /// <summary>
    /// Skips the next data item, nested content and tags included, checking it as thoroughly as
    /// reading it would (UTF-8, keys, depth). Iterative, so hostile nesting cannot exhaust the stack.
    /// </summary>
    public void SkipValue() => ReadEncodedValueLength(out _);

    /// <summary>Returns the encoded bytes of the next data item (a slice of the input) and consumes it.</summary>
    public ReadOnlyMemory<byte> ReadEncodedValue()
    {
        int start = _offset;
        ReadEncodedValueLength(out int length);
        return _data.Slice(start, length);
    }

    private void ReadEncodedValueLength(out int length)
    {
        CborReaderState state = PeekState();
        if (state is CborReaderState.Finished or CborReaderState.EndArray or CborReaderState.EndMap
            or CborReaderState.EndIndefiniteLengthByteString or CborReaderState.EndIndefiniteLengthTextString)
        {
            throw new InvalidOperationException($"There is no data item to skip: the next token is {state}.");
        }

        // A helper reader walks the item so that a failure halfway leaves this reader untouched; the
        // item as a whole is then accounted here (and checked if it is a map key).
        CborReader sub = SubReader();
        sub.SkipOneItem();
        length = sub._offset;
        AdvanceItem(_offset + length);
    }

    private void SkipOneItem()
    {
        int startDepth = CurrentDepth;
        do
        {
            switch (PeekState())
            {
                case CborReaderState.UnsignedInteger:
                case CborReaderState.NegativeInteger:
                    DecodeArgument(out int length);
                    AdvanceItem(_offset + length);
                    break;
                case CborReaderState.ByteString:
                case CborReaderState.TextString:
                case CborReaderState.StartIndefiniteLengthByteString:
                case CborReaderState.StartIndefiniteLengthTextString:
                    // Validates every chunk without allocating the content.
                    PeekString(CborHeader.MajorType(Remaining[0]), out int encoded, out _, out _, out _);
                    AdvanceItem(_offset + encoded);
                    break;
                case CborReaderState.StartArray: ReadStartArray(); break;
                case CborReaderState.EndArray: ReadEndArray(); break;
                case CborReaderState.StartMap: ReadStartMap(); break;
                case CborReaderState.EndMap: ReadEndMap(); break;
                case CborReaderState.Tag: ReadTag(); break;
                default:
                    CborContentError error = CborHeader.TryDecodeSimpleOrFloat(Remaining, ConformanceMode, out int simpleLength);
                    if (error != CborContentError.None) throw Content(error, _offset);
                    AdvanceItem(_offset + simpleLength);
                    break;
            }
        }
        while (CurrentDepth > startDepth || _isTagContext);
    }
}
