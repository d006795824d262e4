using System.Buffers.Text;
using System.Globalization;
using System.Text.Json;

namespace Gateway.Devices.ThingsBoard;

/// <summary>
/// The common telemetry payload, one flat object of numbers and booleans (<c>{"temperature":21.5}</c>),
/// written straight into the outbox row form <c>[{"ts":…,"values":{…}}]</c> from a
/// <see cref="Utf8JsonReader"/>, without a document, key strings or value strings: the durable POST's
/// parse allocates nothing. It gives exactly the bytes <see cref="TelemetryParser"/> gives (typing of
/// thingsboard.md §1.1 as in <see cref="KeyValueParser"/>); anything else — strings, nested values,
/// arrays, the ts form, escaped or non-ASCII keys, a repeated key, an exponent, invalid or
/// malformed input, an object without values — is declined, and the caller takes the full parser.
/// </summary>
public static class FlatTelemetryWriter
{
    private const int MaxKeys = 64;

    private static readonly JsonReaderOptions ReaderOptions = new() { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip };

    /// <summary>Room enough for the row of any payload this writer accepts.</summary>
    public static int MaxRowLength(int payloadLength) => 2 * payloadLength + 64;

    /// <summary>Writes the row into <paramref name="row"/>; false (nothing usable written) when the payload is not of the simple form.</summary>
    public static bool TryWrite(ReadOnlySpan<byte> payload, long serverTs, Span<byte> row, out int written)
    {
        written = 0;
        // RFC 8259 §8.1: UTF-8 only; the full parser words the refusal.
        if (payload.IsEmpty || !System.Text.Unicode.Utf8.IsValid(payload)) return false;
        try
        {
            return TryTranscode(payload, serverTs, row, out written);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static bool TryTranscode(ReadOnlySpan<byte> payload, long serverTs, Span<byte> row, out int written)
    {
        written = 0;
        var reader = new Utf8JsonReader(payload, ReaderOptions);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return false;
        var output = new RowWriter(row);
        output.Append("[{\"ts\":"u8);
        output.AppendInt64(serverTs);
        output.Append(",\"values\":{"u8);
        // Offsets of the keys already written (inside row), to decline a repeated key (Gson keeps its first place, last value).
        Span<int> keyStarts = stackalloc int[MaxKeys];
        Span<int> keyLengths = stackalloc int[MaxKeys];
        int keys = 0;
        while (true)
        {
            if (!reader.Read()) return false;
            if (reader.TokenType == JsonTokenType.EndObject) break;
            if (reader.TokenType != JsonTokenType.PropertyName || reader.ValueIsEscaped || reader.HasValueSequence) return false;
            var key = reader.ValueSpan;
            if (!IsPlainAscii(key) || keys == MaxKeys) return false;
            if (!reader.Read()) return false;
            if (reader.TokenType == JsonTokenType.Null) return false; // skipped by the parser; a later repeat would still need the first place
            for (int i = 0; i < keys; i++)
            {
                if (row.Slice(keyStarts[i], keyLengths[i]).SequenceEqual(key)) return false;
            }
            if (keys > 0) output.Append(","u8);
            output.Append("\""u8);
            keyStarts[keys] = output.Position;
            keyLengths[keys] = key.Length;
            keys++;
            output.Append(key);
            output.Append("\":"u8);
            switch (reader.TokenType)
            {
                case JsonTokenType.True:
                    output.Append("true"u8);
                    break;
                case JsonTokenType.False:
                    output.Append("false"u8);
                    break;
                case JsonTokenType.Number:
                    if (reader.HasValueSequence || !TryAppendNumber(ref output, reader.ValueSpan)) return false;
                    break;
                default:
                    return false;
            }
        }
        // Nothing may follow the object but whitespace and comments (the reader throws on anything else).
        if (reader.Read() || keys == 0) return false;
        output.Append("}}]"u8);
        if (output.Overflowed) return false;
        written = output.Position;
        return true;
    }

    /// <summary>
    /// <see cref="KeyValueParser"/>'s typing for the two number forms without exponent: an integer is a LONG
    /// written by <see cref="long.ToString()"/> (so <c>-0</c> → <c>0</c>); a decimal with at most 16 fraction
    /// digits is a DOUBLE written as <see cref="KeyValueParser.FormatDouble"/> does. Others are declined.
    /// </summary>
    private static bool TryAppendNumber(ref RowWriter output, ReadOnlySpan<byte> number)
    {
        if (number.IndexOfAny("eE"u8) >= 0) return false;
        int point = number.IndexOf((byte)'.');
        if (point < 0)
        {
            if (!Utf8Parser.TryParse(number, out long value, out int consumed) || consumed != number.Length) return false; // beyond int64: STRING
            output.AppendInt64(value);
            return true;
        }
        if (number.Length - point - 1 > KeyValueParser.MaxDoubleScale) return false;
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) || !double.IsFinite(d)) return false;
        Span<byte> text = stackalloc byte[40];
        if (!d.TryFormat(text, out int length, "R", CultureInfo.InvariantCulture)) return false;
        text = text[..length];
        int e = text.IndexOf((byte)'E');
        if (e >= 0)
        {
            if (text[e + 1] == (byte)'-') output.Append(text);
            else return false; // the "F1" form of a large double: rare, left to the full parser
        }
        else
        {
            output.Append(text);
            if (text.IndexOf((byte)'.') < 0) output.Append(".0"u8);
        }
        return true;
    }

    // Printable ASCII other than '"' and '\': written the same by the parser's relaxed encoder as it came.
    private static bool IsPlainAscii(ReadOnlySpan<byte> key)
    {
        foreach (byte b in key)
        {
            if (b is < 0x20 or > 0x7E or (byte)'"' or (byte)'\\') return false;
        }
        return true;
    }

    private ref struct RowWriter(Span<byte> destination)
    {
        private readonly Span<byte> _destination = destination;

        public int Position { get; private set; }

        public bool Overflowed { get; private set; }

        public void Append(scoped ReadOnlySpan<byte> bytes)
        {
            if (Overflowed || !bytes.TryCopyTo(_destination[Position..]))
            {
                Overflowed = true;
                return;
            }
            Position += bytes.Length;
        }

        public void AppendInt64(long value)
        {
            if (Overflowed || !Utf8Formatter.TryFormat(value, _destination[Position..], out int length))
            {
                Overflowed = true;
                return;
            }
            Position += length;
        }
    }
}
