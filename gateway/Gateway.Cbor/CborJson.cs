using System.Globalization;
using System.Numerics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gateway.Cbor;

/// <summary>
/// Converts between CBOR data items and <see cref="JsonNode"/> (RFC 8949 §6.1 CBOR→JSON, §6.2 JSON→CBOR).
/// <para>CBOR → JSON: integers → numbers (below -2^63 as decimal); floats → numbers, NaN and
/// ±Infinity → null (the §6.1 "substitute value"); byte strings → base64url without padding (§6.1),
/// or base64 / base16 under tags 22 / 23 (§3.4.5.2); text → strings; arrays → arrays; maps → objects
/// with non-text keys stringified (integers in decimal, byte strings in base64url, anything else in
/// diagnostic notation, §6.1 allows this "at the risk of collisions": a collision is a
/// <see cref="CborContentException"/> with <see cref="CborContentError.DuplicateKey"/>, never a silent
/// overwrite); bignums (tags 2/3) → numbers when a <see cref="decimal"/> holds them, else decimal-digit
/// strings; other tags → their content (tag 0 dates stay text, tag 1 stays a number); false/true/null
/// → themselves; undefined and other simple values → null.</para>
/// <para>JSON → CBOR: integer literals → major type 0/1 (bignum beyond 64 bits); literals with a
/// fraction or exponent → the shortest exact float; a <see cref="JsonValue"/> built from a CLR
/// <see cref="double"/>/<see cref="float"/> → float, from an integral CLR type → integer; strings,
/// booleans, null, arrays and objects (text keys, in object order) as themselves.</para>
/// </summary>
public static class CborJson
{
    /// <summary>Converts exactly one CBOR data item; trailing bytes are a <see cref="CborContentException"/>.</summary>
    public static JsonNode? ToJsonNode(
        ReadOnlyMemory<byte> cbor, CborConformanceMode conformanceMode = CborConformanceMode.Strict, int maxDepth = CborReader.DefaultMaxDepth)
    {
        var reader = new CborReader(cbor, conformanceMode, allowMultipleRootLevelValues: false, maxDepth);
        JsonNode? node = ReadJsonNode(reader);
        if (reader.BytesRemaining != 0)
        {
            throw new CborContentException($"Invalid CBOR: {CborReader.Describe(CborContentError.TrailingData)}.", CborContentError.TrailingData);
        }

        return node;
    }

    /// <summary>Reads the next data item of <paramref name="reader"/> as JSON.</summary>
    public static JsonNode? ReadJsonNode(CborReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        CborTag? innermostTag = null;
        while (reader.PeekState() == CborReaderState.Tag)
        {
            CborTag tag = reader.PeekTag();
            if (tag is CborTag.UnsignedBigNum or CborTag.NegativeBigNum) return BigNumber(reader.ReadBigInteger());
            innermostTag = reader.ReadTag();
        }

        switch (reader.PeekState())
        {
            case CborReaderState.UnsignedInteger:
                ulong u = reader.ReadUInt64();
                return u <= long.MaxValue ? JsonValue.Create((long)u) : JsonValue.Create(u);
            case CborReaderState.NegativeInteger:
                ulong n = reader.ReadCborNegativeIntegerRepresentation();
                return n <= long.MaxValue ? JsonValue.Create(-1 - (long)n) : JsonValue.Create(-1m - n);
            case CborReaderState.ByteString:
            case CborReaderState.StartIndefiniteLengthByteString:
                return JsonValue.Create(EncodeBytes(reader.ReadByteString(), innermostTag));
            case CborReaderState.TextString:
            case CborReaderState.StartIndefiniteLengthTextString:
                return JsonValue.Create(reader.ReadTextString());
            case CborReaderState.StartArray:
                return ReadArray(reader);
            case CborReaderState.StartMap:
                return ReadObject(reader);
            case CborReaderState.HalfPrecisionFloat:
            case CborReaderState.SinglePrecisionFloat:
            case CborReaderState.DoublePrecisionFloat:
                double d = reader.ReadDouble();
                return double.IsFinite(d) ? JsonValue.Create(d) : null;
            case CborReaderState.Boolean:
                return JsonValue.Create(reader.ReadBoolean());
            case CborReaderState.Null:
                reader.ReadNull();
                return null;
            case CborReaderState.SimpleValue:
                reader.ReadSimpleValue();
                return null;
            default:
                throw new InvalidOperationException($"No data item to convert: the next token is {reader.PeekState()}.");
        }
    }

    /// <summary>Encodes <paramref name="node"/> as one CBOR data item.</summary>
    public static byte[] FromJsonNode(JsonNode? node, CborConformanceMode conformanceMode = CborConformanceMode.Strict)
    {
        var writer = new CborWriter(conformanceMode);
        WriteJsonNode(writer, node);
        return writer.Encode();
    }

    /// <summary>Writes <paramref name="node"/> as the next data item of <paramref name="writer"/>.</summary>
    public static void WriteJsonNode(CborWriter writer, JsonNode? node)
    {
        ArgumentNullException.ThrowIfNull(writer);
        switch (node)
        {
            case null:
                writer.WriteNull();
                break;
            case JsonObject obj:
                writer.WriteStartMap(obj.Count);
                foreach (KeyValuePair<string, JsonNode?> property in obj)
                {
                    writer.WriteTextString(property.Key);
                    WriteJsonNode(writer, property.Value);
                }

                writer.WriteEndMap();
                break;
            case JsonArray array:
                writer.WriteStartArray(array.Count);
                foreach (JsonNode? item in array) WriteJsonNode(writer, item);
                writer.WriteEndArray();
                break;
            case JsonValue value:
                WriteValue(writer, value);
                break;
        }
    }

    private static JsonArray ReadArray(CborReader reader)
    {
        reader.ReadStartArray();
        var array = new JsonArray();
        while (reader.PeekState() != CborReaderState.EndArray) array.Add(ReadJsonNode(reader));
        reader.ReadEndArray();
        return array;
    }

    private static JsonObject ReadObject(CborReader reader)
    {
        reader.ReadStartMap();
        var obj = new JsonObject();
        while (reader.PeekState() != CborReaderState.EndMap)
        {
            string key = ReadKey(reader);
            JsonNode? value = ReadJsonNode(reader);
            if (!obj.TryAdd(key, value))
            {
                throw new CborContentException($"Map key \"{key}\" occurs twice once converted to JSON.", CborContentError.DuplicateKey);
            }
        }

        reader.ReadEndMap();
        return obj;
    }

    private static string ReadKey(CborReader reader) => reader.PeekState() switch
    {
        CborReaderState.TextString or CborReaderState.StartIndefiniteLengthTextString => reader.ReadTextString(),
        CborReaderState.UnsignedInteger or CborReaderState.NegativeInteger => reader.ReadBigInteger().ToString(CultureInfo.InvariantCulture),
        CborReaderState.ByteString or CborReaderState.StartIndefiniteLengthByteString => Base64Url(reader.ReadByteString()),
        _ => CborDiagnostic.ReadDiagnosticString(reader),
    };

    private static JsonNode BigNumber(BigInteger value) =>
        value >= (BigInteger)decimal.MinValue && value <= (BigInteger)decimal.MaxValue
            ? JsonValue.Create((decimal)value)
            : JsonValue.Create(value.ToString(CultureInfo.InvariantCulture));

    // RFC 8949 §6.1: byte strings become base64url without padding, unless tag 22/23 (§3.4.5.2) asks otherwise.
    private static string EncodeBytes(byte[] bytes, CborTag? tag) => tag switch
    {
        CborTag.Base64StringLaterEncoding => Convert.ToBase64String(bytes),
        CborTag.Base16StringLaterEncoding => Convert.ToHexStringLower(bytes),
        _ => Base64Url(bytes),
    };

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static void WriteValue(CborWriter writer, JsonValue value)
    {
        if (value.TryGetValue(out JsonElement element))
        {
            WriteElement(writer, element);
            return;
        }

        if (value.TryGetValue(out string? s)) writer.WriteTextString(s);
        else if (value.TryGetValue(out bool b)) writer.WriteBoolean(b);
        else if (value.TryGetValue(out long l)) writer.WriteInt64(l);
        else if (value.TryGetValue(out ulong ul)) writer.WriteUInt64(ul);
        else if (value.TryGetValue(out double d)) writer.WriteDouble(d);
        else if (value.TryGetValue(out float f)) writer.WriteSingle(f);
        else if (value.TryGetValue(out decimal m)) WriteDecimal(writer, m);
        else if (value.TryGetValue(out BigInteger big)) writer.WriteBigInteger(big);
        else
        {
            // Other CLR types: their JSON form (the node writes itself; no reflection-based serializer).
            using var document = JsonDocument.Parse(value.ToJsonString());
            WriteElement(writer, document.RootElement);
        }
    }

    private static void WriteDecimal(CborWriter writer, decimal value)
    {
        if (decimal.Truncate(value) == value) writer.WriteBigInteger(new BigInteger(value));
        else writer.WriteDouble((double)value);
    }

    private static void WriteElement(CborWriter writer, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartMap(element.EnumerateObject().Count());
                foreach (JsonProperty property in element.EnumerateObject())
                {
                    writer.WriteTextString(property.Name);
                    WriteElement(writer, property.Value);
                }

                writer.WriteEndMap();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray(element.GetArrayLength());
                foreach (JsonElement item in element.EnumerateArray()) WriteElement(writer, item);
                writer.WriteEndArray();
                break;
            case JsonValueKind.String:
                writer.WriteTextString(element.GetString()!);
                break;
            case JsonValueKind.Number:
                WriteNumber(writer, element);
                break;
            case JsonValueKind.True:
            case JsonValueKind.False:
                writer.WriteBoolean(element.GetBoolean());
                break;
            default:
                writer.WriteNull();
                break;
        }
    }

    // RFC 8949 §6.2: JSON numbers without fraction or exponent are integers; the others are floats,
    // written in the shortest float width that keeps the parsed double exactly.
    private static void WriteNumber(CborWriter writer, JsonElement element)
    {
        string raw = element.GetRawText();
        if (raw.AsSpan().IndexOfAny('.', 'e', 'E') < 0)
        {
            if (element.TryGetInt64(out long l)) writer.WriteInt64(l);
            else if (element.TryGetUInt64(out ulong u)) writer.WriteUInt64(u);
            else writer.WriteBigInteger(BigInteger.Parse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture));
            return;
        }

        writer.WriteDouble(double.Parse(raw, NumberStyles.Float, CultureInfo.InvariantCulture));
    }
}
