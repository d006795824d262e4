using System.Formats.Cbor;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.Unicode;

namespace Gateway.Devices.Exosite.Cbor;

/// <summary>
/// The Exosite API's CBOR (peers.md §A.1: the multiple-write map, the RPC proxy's body and answer)
/// as the JSON-like values the dataports and the RPC code work with, over System.Formats.Cbor.
/// <para>CBOR → JSON (RFC 8949 §6.1), pure, an error value for anything a device may send:
/// integers → numbers (<see cref="long"/>, above 2^63-1 <see cref="ulong"/>, below -2^63
/// <see cref="decimal"/>); floats → numbers, NaN and ±Infinity → null (§6.1's substitute value);
/// text → strings, each string or chunk valid UTF-8 (§3.1, §3.2.3); byte strings → base64url
/// without padding (§6.1); arrays and maps → arrays and objects; map keys → text as itself, an
/// integer in decimal (§6.1); false, true, null → themselves. Refused with a
/// <see cref="CborJsonError"/>: tags of any kind (bignums, dates, §3.4), undefined and other simple
/// values (§3.3), other map keys, two keys equal as member names, nesting beyond the caller's
/// limit, trailing bytes, and everything not well-formed (Appendix C).</para>
/// <para>JSON → CBOR (§6.2): see <see cref="Encode"/>.</para>
/// </summary>
public static partial class CborJson
{
    /// <summary>
    /// Decodes exactly one CBOR data item into a JSON-like value (<c>null</c> for CBOR null). Never
    /// throws for any input: a refusal is <c>false</c> with the reason.
    /// </summary>
    /// <param name="maxDepth">How many arrays and maps may nest (0: scalars only).</param>
    public static bool TryDecode(ReadOnlyMemory<byte> cbor, int maxDepth, out JsonNode? value, out CborJsonError error)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxDepth);

        // Lax, because the only two rules Strict adds are ones this mapping enforces better itself:
        // duplicate keys are refused once keys are JSON member names (1 and "1" collide, which
        // Strict's comparison of encoded keys misses), and invalid UTF-8 is refused here rather
        // than read as U+FFFD (Lax) or thrown mid-item (Strict). Non-shortest integers and
        // indefinite lengths, which some device encoders emit, are well-formed (§4.1 "preferred" is a
        // should for encoders), so every mode but Canonical accepts them anyway.
        var reader = new CborReader(cbor, CborConformanceMode.Lax);
        value = null;
        try
        {
            error = Read(reader, maxDepth, out JsonNode? node);
            if (error == CborJsonError.None && reader.BytesRemaining != 0) error = CborJsonError.TrailingData;
            if (error == CborJsonError.None) value = node;
        }
        catch (CborContentException)
        {
            // Not well-formed: truncated, reserved additional information, bad break, length past the end.
            error = CborJsonError.Malformed;
        }
        catch (InvalidOperationException)
        {
            // The reader's "not the item you asked for", e.g. a chunk of the wrong major type in an
            // indefinite-length string (§3.2.3): also not well-formed.
            error = CborJsonError.Malformed;
        }

        return error == CborJsonError.None;
    }

    private static CborJsonError Read(CborReader reader, int depthLeft, out JsonNode? node)
    {
        node = null;
        switch (reader.PeekState())
        {
            case CborReaderState.UnsignedInteger:
            case CborReaderState.NegativeInteger:
                node = ReadInteger(reader);
                return CborJsonError.None;
            case CborReaderState.HalfPrecisionFloat:
            case CborReaderState.SinglePrecisionFloat:
            case CborReaderState.DoublePrecisionFloat:
                double d = reader.ReadDouble();
                node = double.IsFinite(d) ? JsonValue.Create(d) : null;
                return CborJsonError.None;
            case CborReaderState.TextString:
            case CborReaderState.StartIndefiniteLengthTextString:
                if (ReadText(reader) is not { } text) return CborJsonError.InvalidUtf8;
                node = JsonValue.Create(text);
                return CborJsonError.None;
            case CborReaderState.ByteString:
            case CborReaderState.StartIndefiniteLengthByteString:
                // RFC 8949 §6.1: "byte strings are encoded in base64url without padding".
                node = JsonValue.Create(System.Buffers.Text.Base64Url.EncodeToString(reader.ReadByteString()));
                return CborJsonError.None;
            case CborReaderState.Boolean:
                node = JsonValue.Create(reader.ReadBoolean());
                return CborJsonError.None;
            case CborReaderState.Null:
                reader.ReadNull();
                return CborJsonError.None;
            case CborReaderState.StartArray:
                return depthLeft == 0 ? CborJsonError.TooDeep : ReadArray(reader, depthLeft - 1, out node);
            case CborReaderState.StartMap:
                return depthLeft == 0 ? CborJsonError.TooDeep : ReadObject(reader, depthLeft - 1, out node);
            case CborReaderState.Tag:
                return CborJsonError.UnsupportedTag;
            case CborReaderState.SimpleValue:
                return CborJsonError.UnsupportedSimpleValue;
            default:
                // A break or end where an item must start: the reader normally throws first.
                return CborJsonError.Malformed;
        }
    }

    private static CborJsonError ReadArray(CborReader reader, int depthLeft, out JsonNode? node)
    {
        node = null;
        reader.ReadStartArray();
        var array = new JsonArray();
        while (reader.PeekState() != CborReaderState.EndArray)
        {
            CborJsonError error = Read(reader, depthLeft, out JsonNode? item);
            if (error != CborJsonError.None) return error;
            array.Add(item);
        }

        reader.ReadEndArray();
        node = array;
        return CborJsonError.None;
    }

    private static CborJsonError ReadObject(CborReader reader, int depthLeft, out JsonNode? node)
    {
        node = null;
        reader.ReadStartMap();
        var obj = new JsonObject();
        while (reader.PeekState() != CborReaderState.EndMap)
        {
            string? key;
            switch (reader.PeekState())
            {
                case CborReaderState.TextString:
                case CborReaderState.StartIndefiniteLengthTextString:
                    key = ReadText(reader);
                    if (key is null) return CborJsonError.InvalidUtf8;
                    break;
                case CborReaderState.UnsignedInteger:
                case CborReaderState.NegativeInteger:
                    key = ReadInteger(reader).ToJsonString();
                    break;
                default:
                    return CborJsonError.UnsupportedMapKey;
            }

            CborJsonError error = Read(reader, depthLeft, out JsonNode? value);
            if (error != CborJsonError.None) return error;
            if (!obj.TryAdd(key, value)) return CborJsonError.DuplicateKey;
        }

        reader.ReadEndMap();
        node = obj;
        return CborJsonError.None;
    }

    // RFC 8949 §3.1: major type 1 encodes -1 - n for n up to 2^64 - 1, so the range is [-2^64, 2^64 - 1];
    // decimal holds all of it exactly.
    private static JsonValue ReadInteger(CborReader reader)
    {
        if (reader.PeekState() == CborReaderState.UnsignedInteger)
        {
            ulong u = reader.ReadUInt64();
            return u <= long.MaxValue ? JsonValue.Create((long)u) : JsonValue.Create(u);
        }

        ulong n = reader.ReadCborNegativeIntegerRepresentation();
        return n <= long.MaxValue ? JsonValue.Create(-1 - (long)n) : JsonValue.Create(-1m - n);
    }

    /// <summary>A text string, definite or chunked; null when it (or a chunk, §3.2.3) is not valid UTF-8.</summary>
    private static string? ReadText(CborReader reader)
    {
        if (reader.PeekState() == CborReaderState.TextString) return Utf8Text(reader.ReadDefiniteLengthTextStringBytes().Span);

        reader.ReadStartIndefiniteLengthTextString();
        var text = new StringBuilder();
        while (reader.PeekState() != CborReaderState.EndIndefiniteLengthTextString)
        {
            if (Utf8Text(reader.ReadDefiniteLengthTextStringBytes().Span) is not { } chunk) return null;
            text.Append(chunk);
        }

        reader.ReadEndIndefiniteLengthTextString();
        return text.ToString();
    }

    private static string? Utf8Text(ReadOnlySpan<byte> utf8) => Utf8.IsValid(utf8) ? Encoding.UTF8.GetString(utf8) : null;
}
