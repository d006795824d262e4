namespace Gateway.Cbor;

public sealed partial class CborReader
{
    /// <summary>
    /// Checks that <paramref name="data"/> is exactly one data item that a <see cref="CborReader"/> with the
    /// same settings would read completely, without throwing: the entry point for untrusted input on a
    /// hot path (a device body is rejected with an error code, not an exception). The same rules as the
    /// reader apply, including <paramref name="maxDepth"/>. Tag contents are not interpreted.
    /// </summary>
    public static bool TryValidate(ReadOnlySpan<byte> data, CborConformanceMode conformanceMode, int maxDepth, out CborContentError error) =>
        TryValidate(data, conformanceMode, maxDepth, allowMultipleRootLevelValues: false, out error, out _);

    /// <summary>
    /// As <see cref="TryValidate(ReadOnlySpan{byte}, CborConformanceMode, int, out CborContentError)"/>, for a
    /// sequence of items when <paramref name="allowMultipleRootLevelValues"/> is set (an empty input is then
    /// valid), and reporting where the first error is.
    /// </summary>
    public static bool TryValidate(
        ReadOnlySpan<byte> data,
        CborConformanceMode conformanceMode,
        int maxDepth,
        bool allowMultipleRootLevelValues,
        out CborContentError error,
        out int errorOffset)
    {
        var validator = new Validator(conformanceMode, maxDepth, allowMultipleRootLevelValues);
        error = validator.Run(data, out errorOffset);
        return error == CborContentError.None;
    }

    /// <summary>
    /// The reader's rules as a loop over error codes. Kept beside the reader and cross-checked against
    /// it by the mutation tests (both must accept exactly the same inputs).
    /// </summary>
    private ref struct Validator
    {
        private readonly CborConformanceMode _mode;
        private readonly int _maxDepth;
        private readonly bool _allowMultiple;
        private Frame _frame;
        private Frame[]? _parents;
        private int _parentCount;
        private int _containerDepth;
        private bool _isTagContext;

        public Validator(CborConformanceMode mode, int maxDepth, bool allowMultiple)
        {
            _mode = mode;
            _maxDepth = maxDepth;
            _allowMultiple = allowMultiple;
            _frame = Frame.Root();
        }

        public CborContentError Run(ReadOnlySpan<byte> data, out int offset)
        {
            offset = 0;
            while (true)
            {
                if (_frame.DefiniteLength is int length && _frame.ItemsRead >= length)
                {
                    CborContentError popError = Pop(data, offset);
                    if (popError != CborContentError.None) return popError;
                    continue;
                }

                if (_frame.Type is null && _frame.ItemsRead > 0 && !_allowMultiple)
                {
                    return offset < data.Length ? CborContentError.TrailingData : CborContentError.None;
                }

                if (offset >= data.Length)
                {
                    bool done = _frame.Type is null && !_isTagContext && (_frame.ItemsRead > 0 || _allowMultiple);
                    return done ? CborContentError.None : CborContentError.EndOfData;
                }

                CborContentError error = Step(data, ref offset);
                if (error != CborContentError.None) return error;
            }
        }

        private CborContentError Step(ReadOnlySpan<byte> data, ref int offset)
        {
            ReadOnlySpan<byte> rest = data.Slice(offset);
            byte initialByte = rest[0];
            if (initialByte == CborHeader.Break)
            {
                if (_frame.Type is null || _frame.DefiniteLength is not null) return CborContentError.UnexpectedBreak;
                if (_isTagContext) return CborContentError.TagWithoutContent;
                if (_frame.Type == CborMajorType.Map && (_frame.ItemsRead & 1) != 0) return CborContentError.MissingMapValue;
                offset++;
                return Pop(data, offset);
            }

            CborMajorType major = CborHeader.MajorType(initialByte);
            int ai = CborHeader.AdditionalInfo(initialByte);
            if (_frame.Type is CborMajorType.ByteString or CborMajorType.TextString
                && (major != _frame.Type || ai == CborHeader.IndefiniteLength))
            {
                return CborContentError.InvalidIndefiniteLengthChunk;
            }

            if (major == CborMajorType.SimpleOrFloat)
            {
                CborContentError simpleError = CborHeader.TryDecodeSimpleOrFloat(rest, _mode, out int simpleLength);
                return simpleError != CborContentError.None ? simpleError : Advance(data, ref offset, offset + simpleLength);
            }

            CborContentError error = CborHeader.TryDecodeArgument(rest, _mode, out ulong argument, out int headerLength, out bool indefinite);
            if (error != CborContentError.None) return error;
            switch (major)
            {
                case CborMajorType.UnsignedInteger:
                case CborMajorType.NegativeInteger:
                    return Advance(data, ref offset, offset + headerLength);
                case CborMajorType.Tag:
                    offset += headerLength;
                    _isTagContext = true;
                    return CborContentError.None;
                case CborMajorType.ByteString:
                case CborMajorType.TextString:
                    if (indefinite)
                    {
                        // Walk the chunks at once, as the reader's ReadByteString/ReadTextString do.
                        error = CborHeader.TryWalkIndefiniteString(rest, major, _mode, out int encoded, out _);
                        return error != CborContentError.None ? error : Advance(data, ref offset, offset + encoded);
                    }

                    if (argument > (ulong)(rest.Length - headerLength)) return CborContentError.LengthExceedsRemainingBytes;
                    if (major == CborMajorType.TextString)
                    {
                        error = CborHeader.CheckText(rest.Slice(headerLength, (int)argument), _mode);
                        if (error != CborContentError.None) return error;
                    }

                    return Advance(data, ref offset, offset + headerLength + (int)argument);
                default:
                    int perEntry = major == CborMajorType.Map ? 2 : 1;
                    if (!indefinite && argument > (ulong)(rest.Length - headerLength) / (ulong)perEntry) return CborContentError.LengthExceedsRemainingBytes;
                    if (_containerDepth >= _maxDepth) return CborContentError.MaxDepthExceeded;
                    Push(major, indefinite ? null : (int)argument * perEntry, offset + headerLength);
                    offset += headerLength;
                    return CborContentError.None;
            }
        }

        private void Push(CborMajorType type, int? definiteLength, int contentOffset)
        {
            _parents ??= new Frame[4];
            if (_parentCount == _parents.Length) Array.Resize(ref _parents, _parents.Length * 2);
            _parents[_parentCount++] = _frame;
            _containerDepth++;
            _frame = new Frame { Type = type, DefiniteLength = definiteLength, CurrentKeyOffset = contentOffset, PreviousKeyOffset = -1 };
            _isTagContext = false;
        }

        private CborContentError Pop(ReadOnlySpan<byte> data, int offset)
        {
            _frame = _parents![--_parentCount];
            _containerDepth--;
            return Advance(data, ref offset, offset);
        }

        private CborContentError Advance(ReadOnlySpan<byte> data, ref int offset, int newOffset)
        {
            if (_frame.Type == CborMajorType.Map && (_frame.ItemsRead & 1) == 0 && _mode >= CborConformanceMode.Strict)
            {
                CborContentError keyError = CheckKey(data, _frame.CurrentKeyOffset, newOffset - _frame.CurrentKeyOffset);
                if (keyError != CborContentError.None) return keyError;
            }

            offset = newOffset;
            _frame.ItemsRead++;
            _isTagContext = false;
            if (_frame.Type == CborMajorType.Map && (_frame.ItemsRead & 1) == 0) _frame.CurrentKeyOffset = newOffset;
            return CborContentError.None;
        }

        private CborContentError CheckKey(ReadOnlySpan<byte> data, int start, int length)
        {
            if (_mode >= CborConformanceMode.Canonical)
            {
                if (_frame.PreviousKeyOffset >= 0)
                {
                    int order = data.Slice(start, length).SequenceCompareTo(data.Slice(_frame.PreviousKeyOffset, _frame.PreviousKeyLength));
                    if (order == 0) return CborContentError.DuplicateKey;
                    if (order < 0) return CborContentError.UnsortedMapKeys;
                }

                _frame.PreviousKeyOffset = start;
                _frame.PreviousKeyLength = length;
                return CborContentError.None;
            }

            _frame.Keys ??= new CborKeySet();
            return _frame.Keys.TryAdd(data, start, length) ? CborContentError.None : CborContentError.DuplicateKey;
        }
    }
}
