namespace Gateway.Cbor;

public sealed partial class CborReader
{
    /// <summary>
    /// What the next token is, without consuming it. Throws <see cref="CborContentException"/> when the
    /// initial byte cannot start a valid token here (reserved values, a misplaced break, truncation).
    /// </summary>
    public CborReaderState PeekState()
    {
        CborContentError error = TryPeekState(out CborReaderState state);
        if (error != CborContentError.None) throw Content(error, _offset);
        return state;
    }

    private CborContentError TryPeekState(out CborReaderState state)
    {
        state = CborReaderState.Undefined;
        if (_frame.DefiniteLength is int length && _frame.ItemsRead >= length)
        {
            state = _frame.Type == CborMajorType.Array ? CborReaderState.EndArray : CborReaderState.EndMap;
            return CborContentError.None;
        }

        if (_frame.Type is null && _frame.ItemsRead > 0 && !AllowMultipleRootLevelValues)
        {
            state = CborReaderState.Finished;
            return CborContentError.None;
        }

        if (_offset >= _data.Length)
        {
            if (_frame.Type is null && !_isTagContext && (_frame.ItemsRead > 0 || AllowMultipleRootLevelValues))
            {
                state = CborReaderState.Finished;
                return CborContentError.None;
            }

            return CborContentError.EndOfData;
        }

        byte initialByte = _data.Span[_offset];
        if (initialByte == CborHeader.Break)
        {
            return TryPeekBreak(out state);
        }

        CborMajorType major = CborHeader.MajorType(initialByte);
        int ai = CborHeader.AdditionalInfo(initialByte);
        if (_frame.Type is CborMajorType.ByteString or CborMajorType.TextString
            && (major != _frame.Type || ai == CborHeader.IndefiniteLength))
        {
            // RFC 8949 §3.2.3: only definite-length strings of the same major type may be chunks.
            return CborContentError.InvalidIndefiniteLengthChunk;
        }

        if (ai is >= 28 and <= 30) return CborContentError.ReservedAdditionalInfo;
        bool indefinite = ai == CborHeader.IndefiniteLength;
        switch (major)
        {
            case CborMajorType.UnsignedInteger:
            case CborMajorType.NegativeInteger:
            case CborMajorType.Tag:
                if (indefinite) return CborContentError.IndefiniteLengthNotAllowed; // RFC 8949 §3.2
                state = major switch
                {
                    CborMajorType.UnsignedInteger => CborReaderState.UnsignedInteger,
                    CborMajorType.NegativeInteger => CborReaderState.NegativeInteger,
                    _ => CborReaderState.Tag,
                };
                return CborContentError.None;
            case CborMajorType.ByteString:
            case CborMajorType.TextString:
            case CborMajorType.Array:
            case CborMajorType.Map:
                if (indefinite && ConformanceMode >= CborConformanceMode.Canonical) return CborContentError.NonCanonicalIndefiniteLength;
                state = (major, indefinite) switch
                {
                    (CborMajorType.ByteString, false) => CborReaderState.ByteString,
                    (CborMajorType.ByteString, true) => CborReaderState.StartIndefiniteLengthByteString,
                    (CborMajorType.TextString, false) => CborReaderState.TextString,
                    (CborMajorType.TextString, true) => CborReaderState.StartIndefiniteLengthTextString,
                    (CborMajorType.Array, _) => CborReaderState.StartArray,
                    _ => CborReaderState.StartMap,
                };
                return CborContentError.None;
            default:
                // Major type 7 (RFC 8949 §3.3, Table 3).
                state = ai switch
                {
                    20 or 21 => CborReaderState.Boolean,
                    22 => CborReaderState.Null,
                    25 => CborReaderState.HalfPrecisionFloat,
                    26 => CborReaderState.SinglePrecisionFloat,
                    27 => CborReaderState.DoublePrecisionFloat,
                    _ => CborReaderState.SimpleValue, // 0..19, 23 (undefined), 24 (two-byte form)
                };
                return CborContentError.None;
        }
    }

    private CborContentError TryPeekBreak(out CborReaderState state)
    {
        state = CborReaderState.Undefined;
        if (_frame.Type is null || _frame.DefiniteLength is not null) return CborContentError.UnexpectedBreak;
        if (_isTagContext) return CborContentError.TagWithoutContent;
        if (_frame.Type == CborMajorType.Map && (_frame.ItemsRead & 1) != 0) return CborContentError.MissingMapValue;
        state = _frame.Type switch
        {
            CborMajorType.Array => CborReaderState.EndArray,
            CborMajorType.Map => CborReaderState.EndMap,
            CborMajorType.ByteString => CborReaderState.EndIndefiniteLengthByteString,
            _ => CborReaderState.EndIndefiniteLengthTextString,
        };
        return CborContentError.None;
    }

    /// <summary>
    /// Peeks and checks that the next token is one of the data-item states a typed read accepts;
    /// throws <see cref="InvalidOperationException"/> otherwise. Returns the state.
    /// </summary>
    private CborReaderState PeekExpecting(string expected, CborReaderState a, CborReaderState b = CborReaderState.Undefined, CborReaderState c = CborReaderState.Undefined)
    {
        CborReaderState state = PeekState();
        if (state != a && (b == CborReaderState.Undefined || state != b) && (c == CborReaderState.Undefined || state != c))
        {
            throw WrongType(expected, state);
        }

        return state;
    }
}
