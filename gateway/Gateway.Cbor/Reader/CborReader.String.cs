using System.Text;

namespace Gateway.Cbor;

public sealed partial class CborReader
{
    // Lax mode decodes invalid UTF-8 with U+FFFD; Strict and Canonical reject it before decoding.
    private static readonly UTF8Encoding s_lenientUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    /// <summary>
    /// Reads a byte string (major type 2). An indefinite-length string (RFC 8949 §3.2.3) is returned
    /// concatenated; inside one opened with <see cref="ReadStartIndefiniteLengthByteString"/> this reads one chunk.
    /// </summary>
    public byte[] ReadByteString()
    {
        PeekString(CborMajorType.ByteString, out int encodedLength, out int bodyLength, out int headerLength, out bool indefinite);
        byte[] result = bodyLength == 0 ? [] : new byte[bodyLength];
        CopyStringBody(result, headerLength, bodyLength, indefinite);
        AdvanceItem(_offset + encodedLength);
        return result;
    }

    /// <summary>
    /// Copies the next byte string into <paramref name="destination"/>. Returns false, consuming
    /// nothing, when it does not fit.
    /// </summary>
    public bool TryReadByteString(Span<byte> destination, out int bytesWritten)
    {
        PeekString(CborMajorType.ByteString, out int encodedLength, out int bodyLength, out int headerLength, out bool indefinite);
        if (bodyLength > destination.Length)
        {
            bytesWritten = 0;
            return false;
        }

        CopyStringBody(destination, headerLength, bodyLength, indefinite);
        AdvanceItem(_offset + encodedLength);
        bytesWritten = bodyLength;
        return true;
    }

    /// <summary>
    /// Reads a definite-length byte string without copying: the result is a slice of the input buffer.
    /// </summary>
    public ReadOnlyMemory<byte> ReadDefiniteLengthByteString()
    {
        PeekString(CborMajorType.ByteString, out int encodedLength, out int bodyLength, out int headerLength, out bool indefinite);
        if (indefinite) throw new InvalidOperationException("The byte string has an indefinite length.");
        ReadOnlyMemory<byte> body = _data.Slice(_offset + headerLength, bodyLength);
        AdvanceItem(_offset + encodedLength);
        return body;
    }

    /// <summary>Reads a text string (major type 3); indefinite-length strings are returned concatenated.</summary>
    public string ReadTextString()
    {
        PeekString(CborMajorType.TextString, out int encodedLength, out int bodyLength, out int headerLength, out bool indefinite);
        string result;
        if (!indefinite)
        {
            result = s_lenientUtf8.GetString(_data.Span.Slice(_offset + headerLength, bodyLength));
        }
        else
        {
            byte[] utf8 = new byte[bodyLength];
            CopyStringBody(utf8, headerLength, bodyLength, indefinite: true);
            result = s_lenientUtf8.GetString(utf8);
        }

        AdvanceItem(_offset + encodedLength);
        return result;
    }

    /// <summary>Decodes the next text string into <paramref name="destination"/>; false, consuming nothing, if it does not fit.</summary>
    public bool TryReadTextString(Span<char> destination, out int charsWritten)
    {
        PeekString(CborMajorType.TextString, out int encodedLength, out int bodyLength, out int headerLength, out bool indefinite);
        byte[] utf8 = new byte[indefinite ? bodyLength : 0];
        ReadOnlySpan<byte> body = indefinite ? utf8 : _data.Span.Slice(_offset + headerLength, bodyLength);
        if (indefinite) CopyStringBody(utf8, headerLength, bodyLength, indefinite: true);
        if (s_lenientUtf8.GetCharCount(body) > destination.Length)
        {
            charsWritten = 0;
            return false;
        }

        charsWritten = s_lenientUtf8.GetChars(body, destination);
        AdvanceItem(_offset + encodedLength);
        return true;
    }

    /// <summary>
    /// Reads a definite-length text string as its UTF-8 bytes without copying or decoding (validated in
    /// Strict and Canonical). For hot paths that compare keys as bytes.
    /// </summary>
    public ReadOnlyMemory<byte> ReadDefiniteLengthTextStringBytes()
    {
        PeekString(CborMajorType.TextString, out int encodedLength, out int bodyLength, out int headerLength, out bool indefinite);
        if (indefinite) throw new InvalidOperationException("The text string has an indefinite length.");
        ReadOnlyMemory<byte> body = _data.Slice(_offset + headerLength, bodyLength);
        AdvanceItem(_offset + encodedLength);
        return body;
    }

    /// <summary>Opens an indefinite-length byte string to read its chunks one by one with <see cref="ReadByteString"/>.</summary>
    public void ReadStartIndefiniteLengthByteString()
    {
        PeekExpecting("the start of an indefinite-length byte string", CborReaderState.StartIndefiniteLengthByteString);
        PushFrame(CborMajorType.ByteString, definiteLength: null, _offset + 1);
    }

    public void ReadEndIndefiniteLengthByteString()
    {
        PeekExpecting("the end of an indefinite-length byte string", CborReaderState.EndIndefiniteLengthByteString);
        PopFrame(_offset + 1);
    }

    /// <summary>Opens an indefinite-length text string to read its chunks one by one with <see cref="ReadTextString"/>.</summary>
    public void ReadStartIndefiniteLengthTextString()
    {
        PeekExpecting("the start of an indefinite-length text string", CborReaderState.StartIndefiniteLengthTextString);
        PushFrame(CborMajorType.TextString, definiteLength: null, _offset + 1);
    }

    public void ReadEndIndefiniteLengthTextString()
    {
        PeekExpecting("the end of an indefinite-length text string", CborReaderState.EndIndefiniteLengthTextString);
        PopFrame(_offset + 1);
    }

    /// <summary>
    /// Checks the whole string at the cursor (all chunks, UTF-8 where required) before anything is
    /// allocated or consumed. The body length is bounded by the input, never by a declared length alone.
    /// </summary>
    private void PeekString(CborMajorType major, out int encodedLength, out int bodyLength, out int headerLength, out bool indefinite)
    {
        bool bytes = major == CborMajorType.ByteString;
        CborReaderState state = bytes
            ? PeekExpecting("a byte string", CborReaderState.ByteString, CborReaderState.StartIndefiniteLengthByteString)
            : PeekExpecting("a text string", CborReaderState.TextString, CborReaderState.StartIndefiniteLengthTextString);
        indefinite = state is CborReaderState.StartIndefiniteLengthByteString or CborReaderState.StartIndefiniteLengthTextString;
        CborContentError error;
        if (indefinite)
        {
            headerLength = 1;
            error = CborHeader.TryWalkIndefiniteString(Remaining, major, ConformanceMode, out encodedLength, out bodyLength);
        }
        else
        {
            error = CborHeader.TryDecodeDefiniteString(Remaining, ConformanceMode, out headerLength, out bodyLength);
            encodedLength = headerLength + bodyLength;
            if (error == CborContentError.None && !bytes)
            {
                error = CborHeader.CheckText(Remaining.Slice(headerLength, bodyLength), ConformanceMode);
            }
        }

        if (error != CborContentError.None) throw Content(error, _offset);
    }

    private void CopyStringBody(Span<byte> destination, int headerLength, int bodyLength, bool indefinite)
    {
        if (indefinite)
        {
            CborHeader.ConcatenateChunks(Remaining, destination);
        }
        else
        {
            Remaining.Slice(headerLength, bodyLength).CopyTo(destination);
        }
    }
}
