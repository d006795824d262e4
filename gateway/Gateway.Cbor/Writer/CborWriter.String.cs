using System.Text;

namespace Gateway.Cbor;

public sealed partial class CborWriter
{
    // Strict/Canonical refuse unpaired surrogates (they have no UTF-8 form, RFC 8949 §3.1); Lax writes U+FFFD.
    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private static readonly UTF8Encoding s_lenientUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    /// <summary>Writes a definite-length byte string (major type 2), or a chunk inside an indefinite-length one.</summary>
    public void WriteByteString(ReadOnlySpan<byte> value)
    {
        BeginItem(CborMajorType.ByteString);
        WriteHeader(CborMajorType.ByteString, (ulong)value.Length);
        value.CopyTo(Reserve(value.Length));
        _offset += value.Length;
        EndItem();
    }

    /// <summary>
    /// Writes a definite-length text string (major type 3), or a chunk inside an indefinite-length one.
    /// Invalid UTF-16 is an <see cref="ArgumentException"/> in Strict and Canonical mode.
    /// </summary>
    public void WriteTextString(ReadOnlySpan<char> value)
    {
        UTF8Encoding encoding = ConformanceMode >= CborConformanceMode.Strict ? s_strictUtf8 : s_lenientUtf8;
        int length = encoding.GetByteCount(value); // throws for invalid UTF-16 before anything is written
        BeginItem(CborMajorType.TextString);
        WriteHeader(CborMajorType.TextString, (ulong)length);
        encoding.GetBytes(value, Reserve(length));
        _offset += length;
        EndItem();
    }

    /// <summary>
    /// Writes a text string from UTF-8 bytes. In Strict and Canonical mode the bytes must be valid
    /// UTF-8 (<see cref="ArgumentException"/> otherwise).
    /// </summary>
    public void WriteTextString(ReadOnlySpan<byte> utf8)
    {
        if (CborHeader.CheckText(utf8, ConformanceMode) != CborContentError.None)
        {
            throw new ArgumentException("The text is not valid UTF-8.", nameof(utf8));
        }

        BeginItem(CborMajorType.TextString);
        WriteHeader(CborMajorType.TextString, (ulong)utf8.Length);
        utf8.CopyTo(Reserve(utf8.Length));
        _offset += utf8.Length;
        EndItem();
    }

    /// <summary>Starts an indefinite-length byte string (RFC 8949 §3.2.3); chunks follow with <see cref="WriteByteString"/>.</summary>
    public void WriteStartIndefiniteLengthByteString() => StartIndefiniteString(CborMajorType.ByteString);

    public void WriteEndIndefiniteLengthByteString() => EndIndefiniteString(CborMajorType.ByteString, "indefinite-length byte string");

    /// <summary>Starts an indefinite-length text string (RFC 8949 §3.2.3); chunks follow with <see cref="WriteTextString(ReadOnlySpan{char})"/>.</summary>
    public void WriteStartIndefiniteLengthTextString() => StartIndefiniteString(CborMajorType.TextString);

    public void WriteEndIndefiniteLengthTextString() => EndIndefiniteString(CborMajorType.TextString, "indefinite-length text string");

    private void StartIndefiniteString(CborMajorType major)
    {
        RejectIndefinite();
        if (_frame.Type is CborMajorType.ByteString or CborMajorType.TextString)
        {
            throw new InvalidOperationException("Indefinite-length strings cannot be nested (RFC 8949 §3.2.3).");
        }

        BeginItem(major);
        WriteByte((byte)(((int)major << 5) | CborHeader.IndefiniteLength));
        PushFrame(major, definiteLength: null);
    }

    private void EndIndefiniteString(CborMajorType major, string what)
    {
        CheckEnd(major, what);
        WriteByte(CborHeader.Break);
        PopFrame();
    }
}
