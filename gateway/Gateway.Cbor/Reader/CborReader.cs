// Partial-class files under Reader/ keep namespace Gateway.Cbor: one type split by major type, not a sub-namespace.
namespace Gateway.Cbor;

/// <summary>
/// A forward-only CBOR (RFC 8949) reader over a buffer, with System.Formats.Cbor's surface.
/// Error contract: malformed or non-conforming input throws <see cref="CborContentException"/>;
/// asking for a type that is not next throws <see cref="InvalidOperationException"/>; a value that
/// does not fit the requested type throws <see cref="OverflowException"/>. A read that throws
/// consumes nothing: <see cref="BytesRemaining"/> and the reader state are as before the call.
/// For untrusted input without exceptions see <see cref="TryValidate(ReadOnlySpan{byte}, CborConformanceMode, int, out CborContentError)"/>.
/// </summary>
public sealed partial class CborReader
{
    /// <summary>Default limit on nested arrays and maps; generous for telemetry, small enough for any stack.</summary>
    public const int DefaultMaxDepth = 64;

    private readonly ReadOnlyMemory<byte> _data;
    private int _offset;
    private Frame _frame;
    private Frame[] _parents = [];
    private int _parentCount;
    private int _containerDepth; // arrays and maps only: what MaxDepth limits
    private bool _isTagContext;  // a tag was read and its content has not started yet

    /// <param name="data">The encoded bytes; the reader never copies or modifies them.</param>
    /// <param name="conformanceMode">What is checked beyond well-formedness (see <see cref="CborConformanceMode"/>).</param>
    /// <param name="allowMultipleRootLevelValues">Accept a sequence of data items (RFC 8742) instead of exactly one.</param>
    /// <param name="maxDepth">Maximum nesting of arrays and maps; deeper input is a <see cref="CborContentException"/>.</param>
    public CborReader(
        ReadOnlyMemory<byte> data,
        CborConformanceMode conformanceMode = CborConformanceMode.Strict,
        bool allowMultipleRootLevelValues = false,
        int maxDepth = DefaultMaxDepth)
    {
        if (conformanceMode is < CborConformanceMode.Lax or > CborConformanceMode.Canonical)
        {
            throw new ArgumentOutOfRangeException(nameof(conformanceMode));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(maxDepth);
        _data = data;
        ConformanceMode = conformanceMode;
        AllowMultipleRootLevelValues = allowMultipleRootLevelValues;
        MaxDepth = maxDepth;
        _frame = Frame.Root();
    }

    public CborConformanceMode ConformanceMode { get; }

    public bool AllowMultipleRootLevelValues { get; }

    public int MaxDepth { get; }

    /// <summary>Bytes not yet consumed.</summary>
    public int BytesRemaining => _data.Length - _offset;

    /// <summary>Open containers, counting indefinite-length strings read chunk by chunk (as System.Formats.Cbor does).</summary>
    public int CurrentDepth => _parentCount;

    private ReadOnlySpan<byte> Remaining => _data.Span.Slice(_offset);

    /// <summary>
    /// Marks the data item that ends at <paramref name="newOffset"/> as read in the current container.
    /// A map key is checked here, once complete, and before any state changes, so a rejected key
    /// (RFC 8949 §5.6 duplicate, §4.2.1 order) leaves the reader where it was.
    /// </summary>
    private void AdvanceItem(int newOffset)
    {
        if (_frame.Type == CborMajorType.Map && (_frame.ItemsRead & 1) == 0 && ConformanceMode >= CborConformanceMode.Strict)
        {
            CheckKey(_frame.CurrentKeyOffset, newOffset - _frame.CurrentKeyOffset);
        }

        _offset = newOffset;
        _frame.ItemsRead++;
        _isTagContext = false;
        if (_frame.Type == CborMajorType.Map && (_frame.ItemsRead & 1) == 0)
        {
            _frame.CurrentKeyOffset = newOffset;
        }
    }

    private void CheckKey(int start, int length)
    {
        ReadOnlySpan<byte> data = _data.Span;
        if (ConformanceMode >= CborConformanceMode.Canonical)
        {
            if (_frame.PreviousKeyOffset >= 0)
            {
                // RFC 8949 §4.2.1: keys sorted by the bytewise lexicographic order of their encodings;
                // equal encodings are duplicates (§5.6).
                int order = data.Slice(start, length).SequenceCompareTo(data.Slice(_frame.PreviousKeyOffset, _frame.PreviousKeyLength));
                if (order == 0) throw Content(CborContentError.DuplicateKey, start);
                if (order < 0) throw Content(CborContentError.UnsortedMapKeys, start);
            }

            _frame.PreviousKeyOffset = start;
            _frame.PreviousKeyLength = length;
            return;
        }

        _frame.Keys ??= new CborKeySet();
        if (!_frame.Keys.TryAdd(data, start, length)) throw Content(CborContentError.DuplicateKey, start);
    }

    private void PushFrame(CborMajorType type, int? definiteLength, int newOffset)
    {
        bool isContainer = type is CborMajorType.Array or CborMajorType.Map;
        if (isContainer && _containerDepth >= MaxDepth) throw Content(CborContentError.MaxDepthExceeded, _offset);
        if (_parentCount == _parents.Length) Array.Resize(ref _parents, Math.Max(4, _parents.Length * 2));
        _parents[_parentCount++] = _frame;
        if (isContainer) _containerDepth++;
        _frame = new Frame
        {
            Type = type,
            DefiniteLength = definiteLength,
            CurrentKeyOffset = newOffset,
            PreviousKeyOffset = -1,
        };
        _offset = newOffset;
        _isTagContext = false;
    }

    /// <summary>Closes the current container; the whole container then counts as one item of its parent.</summary>
    private void PopFrame(int newOffset)
    {
        Frame closing = _frame;
        _frame = _parents[--_parentCount];
        try
        {
            AdvanceItem(newOffset);
        }
        catch (CborContentException)
        {
            // The container was a map key that the parent rejects: restore, so nothing is consumed.
            _parents[_parentCount++] = _frame;
            _frame = closing;
            throw;
        }

        _parents[_parentCount] = default; // drop the key set reference
        if (closing.Type is CborMajorType.Array or CborMajorType.Map) _containerDepth--;
    }

    /// <summary>Depth left for a helper reader that parses one item starting here.</summary>
    private int RemainingDepth => MaxDepth - _containerDepth;

    /// <summary>A reader over the rest of the buffer, for reads that must succeed or fail as a whole.</summary>
    private CborReader SubReader() => new(_data.Slice(_offset), ConformanceMode, allowMultipleRootLevelValues: false, RemainingDepth);

    private CborContentException Content(CborContentError error, int offset) =>
        new($"Invalid CBOR at offset {offset}: {Describe(error)}.", error);

    private static InvalidOperationException WrongType(string expected, CborReaderState actual) =>
        new($"Expected {expected} but the next CBOR token is {actual}.");

    internal static string Describe(CborContentError error) => error switch
    {
        CborContentError.EndOfData => "unexpected end of data",
        CborContentError.ReservedAdditionalInfo => "reserved additional information 28..30 (RFC 8949 §3)",
        CborContentError.IndefiniteLengthNotAllowed => "indefinite length on a major type that has none (RFC 8949 §3.2)",
        CborContentError.UnexpectedBreak => "break outside an indefinite-length item (RFC 8949 §3.2.1)",
        CborContentError.InvalidIndefiniteLengthChunk => "indefinite-length string chunk of the wrong type (RFC 8949 §3.2.3)",
        CborContentError.InvalidSimpleValueEncoding => "two-byte simple value below 32 (RFC 8949 §3.3)",
        CborContentError.LengthExceedsRemainingBytes => "declared length larger than the remaining input",
        CborContentError.MaxDepthExceeded => "nesting deeper than the configured maximum",
        CborContentError.InvalidUtf8 => "text string is not valid UTF-8 (RFC 8949 §3.1)",
        CborContentError.DuplicateKey => "duplicate map key (RFC 8949 §5.6)",
        CborContentError.NonCanonicalArgument => "argument not in shortest form (RFC 8949 §4.2.1)",
        CborContentError.NonCanonicalIndefiniteLength => "indefinite length in canonical mode (RFC 8949 §4.2.1)",
        CborContentError.UnsortedMapKeys => "map keys not in bytewise order (RFC 8949 §4.2.1)",
        CborContentError.NonCanonicalFloat => "float not in shortest form (RFC 8949 §4.2.2)",
        CborContentError.TagWithoutContent => "tag without content (RFC 8949 §3.4)",
        CborContentError.MissingMapValue => "map key without value (RFC 8949 §3.2.2)",
        CborContentError.TrailingData => "data after the root item",
        CborContentError.InvalidTagContent => "tag content of the wrong type (RFC 8949 §3.4)",
        _ => error.ToString(),
    };

    /// <summary>One open container (or the root). A struct so that push/pop allocate nothing.</summary>
    private struct Frame
    {
        public CborMajorType? Type;     // null: root; Array, Map, or ByteString/TextString (indefinite)
        public int? DefiniteLength;     // items; a map counts keys and values separately
        public int ItemsRead;
        public int CurrentKeyOffset;    // maps: where the key being read started
        public int PreviousKeyOffset;   // Canonical: the previous key, for the order check
        public int PreviousKeyLength;
        public CborKeySet? Keys;        // Strict: keys seen so far

        public static Frame Root() => new() { PreviousKeyOffset = -1 };
    }
}
