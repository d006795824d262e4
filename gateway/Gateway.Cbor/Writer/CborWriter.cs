// Partial-class files under Writer/ keep namespace Gateway.Cbor: one type split by major type, not a sub-namespace.
using System.Buffers.Binary;

namespace Gateway.Cbor;

/// <summary>
/// Writes CBOR (RFC 8949) with System.Formats.Cbor's surface, always in preferred serialization
/// (RFC 8949 §4.1): shortest arguments and lengths, and the shortest float that keeps the value.
/// Misuse (a second root value, too many or too few container items, a tag without content, a
/// duplicate key in Strict/Canonical) throws <see cref="InvalidOperationException"/> and writes nothing.
/// In <see cref="CborConformanceMode.Canonical"/> mode map keys are sorted when the map is closed
/// (RFC 8949 §4.2.1) and indefinite lengths are refused.
/// </summary>
public sealed partial class CborWriter
{
    private byte[] _buffer;
    private int _offset;
    private Frame _frame;
    private Frame[] _parents = [];
    private int _parentCount;
    private bool _isTagContext;

    public CborWriter(
        CborConformanceMode conformanceMode = CborConformanceMode.Strict,
        bool allowMultipleRootLevelValues = false,
        int initialCapacity = 64)
    {
        if (conformanceMode is < CborConformanceMode.Lax or > CborConformanceMode.Canonical)
        {
            throw new ArgumentOutOfRangeException(nameof(conformanceMode));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(initialCapacity);
        ConformanceMode = conformanceMode;
        AllowMultipleRootLevelValues = allowMultipleRootLevelValues;
        _buffer = new byte[Math.Max(initialCapacity, 16)];
        _frame = Frame.Root();
    }

    public CborConformanceMode ConformanceMode { get; }

    public bool AllowMultipleRootLevelValues { get; }

    public int BytesWritten => _offset;

    /// <summary>Open containers, counting open indefinite-length strings.</summary>
    public int CurrentDepth => _parentCount;

    /// <summary>True when at least one root value is complete and nothing is left open.</summary>
    public bool IsWriteCompleted => _parentCount == 0 && !_isTagContext && _frame.ItemsWritten > 0;

    /// <summary>Clears everything written, keeping the buffer for reuse.</summary>
    public void Reset()
    {
        _offset = 0;
        Array.Clear(_parents, 0, _parentCount);
        _parentCount = 0;
        _isTagContext = false;
        _frame = Frame.Root();
    }

    /// <summary>The encoding written so far; <see cref="InvalidOperationException"/> while incomplete.</summary>
    public byte[] Encode()
    {
        EnsureCompleted();
        return _buffer.AsSpan(0, _offset).ToArray();
    }

    /// <summary>Copies the encoding into <paramref name="destination"/>; <see cref="ArgumentException"/> if it is too small.</summary>
    public int Encode(Span<byte> destination)
    {
        if (!TryEncode(destination, out int written)) throw new ArgumentException("The destination is too small.", nameof(destination));
        return written;
    }

    public bool TryEncode(Span<byte> destination, out int bytesWritten)
    {
        EnsureCompleted();
        if (destination.Length < _offset)
        {
            bytesWritten = 0;
            return false;
        }

        _buffer.AsSpan(0, _offset).CopyTo(destination);
        bytesWritten = _offset;
        return true;
    }

    private void EnsureCompleted()
    {
        if (!IsWriteCompleted) throw new InvalidOperationException("The CBOR encoding is incomplete: a root value, container or tag content is missing.");
    }

    private Span<byte> Reserve(int length)
    {
        if (_buffer.Length - _offset < length)
        {
            Array.Resize(ref _buffer, Math.Max(checked(_offset + length), checked(_buffer.Length * 2)));
        }

        return _buffer.AsSpan(_offset, length);
    }

    /// <summary>Checks that a data item may start here; nothing is written when it may not.</summary>
    private void BeginItem(CborMajorType major)
    {
        if (_frame.Type is null && _frame.ItemsWritten > 0 && !AllowMultipleRootLevelValues && !_isTagContext)
        {
            throw new InvalidOperationException("A root value has already been written (allowMultipleRootLevelValues is false).");
        }

        if (_frame.DefiniteLength is int length && _frame.ItemsWritten >= length)
        {
            throw new InvalidOperationException("The container already holds the number of items it declared.");
        }

        if (_frame.Type is CborMajorType.ByteString or CborMajorType.TextString && major != _frame.Type)
        {
            // RFC 8949 §3.2.3: chunks of an indefinite-length string are definite strings of its type.
            throw new InvalidOperationException("Only definite-length chunks of the same string type may be written here.");
        }
    }

    /// <summary>Accounts a completed data item; a key that repeats an earlier one is removed again.</summary>
    private void EndItem()
    {
        bool isKey = _frame.Type == CborMajorType.Map && (_frame.ItemsWritten & 1) == 0;
        if (isKey && ConformanceMode >= CborConformanceMode.Strict)
        {
            int keyStart = _frame.CurrentKeyOffset;
            _frame.Keys ??= new CborKeySet();
            if (!_frame.Keys.TryAdd(_buffer, keyStart, _offset - keyStart))
            {
                _offset = keyStart;
                _isTagContext = false;
                throw new InvalidOperationException("Duplicate map key (RFC 8949 §5.6); the key was not written.");
            }

            if (ConformanceMode >= CborConformanceMode.Canonical)
            {
                (_frame.KeyStarts ??= []).Add(keyStart);
                (_frame.KeyEnds ??= []).Add(_offset);
            }
        }

        _frame.ItemsWritten++;
        _isTagContext = false;
        if (_frame.Type == CborMajorType.Map && (_frame.ItemsWritten & 1) == 0) _frame.CurrentKeyOffset = _offset;
    }

    /// <summary>Writes an initial byte with its argument in the shortest form (RFC 8949 §3, §4.2.1).</summary>
    private void WriteHeader(CborMajorType major, ulong argument)
    {
        byte mt = (byte)((int)major << 5);
        if (argument < 24)
        {
            Reserve(1)[0] = (byte)(mt | (byte)argument);
            _offset += 1;
        }
        else if (argument <= byte.MaxValue)
        {
            Span<byte> s = Reserve(2);
            s[0] = (byte)(mt | 24);
            s[1] = (byte)argument;
            _offset += 2;
        }
        else if (argument <= ushort.MaxValue)
        {
            Span<byte> s = Reserve(3);
            s[0] = (byte)(mt | 25);
            BinaryPrimitives.WriteUInt16BigEndian(s.Slice(1), (ushort)argument);
            _offset += 3;
        }
        else if (argument <= uint.MaxValue)
        {
            Span<byte> s = Reserve(5);
            s[0] = (byte)(mt | 26);
            BinaryPrimitives.WriteUInt32BigEndian(s.Slice(1), (uint)argument);
            _offset += 5;
        }
        else
        {
            Span<byte> s = Reserve(9);
            s[0] = (byte)(mt | 27);
            BinaryPrimitives.WriteUInt64BigEndian(s.Slice(1), argument);
            _offset += 9;
        }
    }

    private void WriteByte(byte value)
    {
        Reserve(1)[0] = value;
        _offset++;
    }

    private void PushFrame(CborMajorType type, int? definiteLength)
    {
        if (_parentCount == _parents.Length) Array.Resize(ref _parents, Math.Max(4, _parents.Length * 2));
        _parents[_parentCount++] = _frame;
        _frame = new Frame { Type = type, DefiniteLength = definiteLength, ContentOffset = _offset, CurrentKeyOffset = _offset };
        _isTagContext = false;
    }

    /// <summary>Checks that the current container may be closed; throws before anything is written.</summary>
    private void CheckEnd(CborMajorType type, string what)
    {
        if (_frame.Type != type) throw new InvalidOperationException($"No {what} is open at this level.");
        if (_isTagContext) throw new InvalidOperationException("A tag was written without its content.");
        if (_frame.DefiniteLength is int length && _frame.ItemsWritten != length)
        {
            throw new InvalidOperationException($"The {what} declared {length} items but {_frame.ItemsWritten} were written.");
        }

        if (type == CborMajorType.Map && (_frame.ItemsWritten & 1) != 0) throw new InvalidOperationException("A map key has no value.");
    }

    private void PopFrame()
    {
        _frame = _parents[--_parentCount];
        _parents[_parentCount] = default;
        EndItem();
    }

    private void RejectIndefinite()
    {
        if (ConformanceMode >= CborConformanceMode.Canonical)
        {
            throw new InvalidOperationException("Indefinite lengths are not allowed in Canonical mode (RFC 8949 §4.2.1).");
        }
    }

    private struct Frame
    {
        public CborMajorType? Type;      // null: root; Array, Map, or ByteString/TextString (indefinite)
        public int? DefiniteLength;      // items; a map counts keys and values separately
        public int ItemsWritten;
        public int ContentOffset;        // first byte after the container header
        public int CurrentKeyOffset;     // maps: where the key being written starts
        public CborKeySet? Keys;         // Strict/Canonical: duplicate detection
        public List<int>? KeyStarts;     // Canonical: where each key starts and ends, for sorting at the end
        public List<int>? KeyEnds;

        public static Frame Root() => default;
    }
}
