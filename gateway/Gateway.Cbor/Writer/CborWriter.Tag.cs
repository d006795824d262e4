using System.Globalization;

namespace Gateway.Cbor;

public sealed partial class CborWriter
{
    /// <summary>Writes a tag (major type 6, RFC 8949 §3.4); the next item written is its content.</summary>
    public void WriteTag(CborTag tag)
    {
        BeginItem(CborMajorType.Tag);
        WriteHeader(CborMajorType.Tag, (ulong)tag);
        _isTagContext = true;
    }

    /// <summary>
    /// Writes tag 0 with RFC 3339 text (RFC 8949 §3.4.1): UTC as 'Z', otherwise with the offset;
    /// fractional seconds only when present.
    /// </summary>
    public void WriteDateTimeOffset(DateTimeOffset value)
    {
        string format = value.Ticks % TimeSpan.TicksPerSecond == 0 ? "yyyy-MM-ddTHH:mm:ss" : "yyyy-MM-ddTHH:mm:ss.FFFFFFF";
        string text = value.Offset == TimeSpan.Zero
            ? value.UtcDateTime.ToString(format, CultureInfo.InvariantCulture) + "Z"
            : value.ToString(format + "zzz", CultureInfo.InvariantCulture);
        WriteTag(CborTag.DateTimeString);
        WriteTextString(text);
    }

    /// <summary>Writes tag 1 with integer seconds since the epoch (RFC 8949 §3.4.2).</summary>
    public void WriteUnixTimeSeconds(long seconds)
    {
        WriteTag(CborTag.UnixTimeSeconds);
        WriteInt64(seconds);
    }

    /// <summary>Writes tag 1 with fractional seconds (RFC 8949 §3.4.2); must be finite.</summary>
    public void WriteUnixTimeSeconds(double seconds)
    {
        if (!double.IsFinite(seconds)) throw new ArgumentOutOfRangeException(nameof(seconds), "Epoch-based times must be finite (RFC 8949 §3.4.2).");
        WriteTag(CborTag.UnixTimeSeconds);
        WriteDouble(seconds);
    }
}
