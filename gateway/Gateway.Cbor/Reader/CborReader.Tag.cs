using System.Globalization;

namespace Gateway.Cbor;

public sealed partial class CborReader
{
    /// <summary>Reads a tag number (major type 6, RFC 8949 §3.4); its content is the next data item.</summary>
    public CborTag ReadTag()
    {
        CborTag tag = PeekTag(out int length);
        _offset += length;
        _isTagContext = true;
        return tag;
    }

    /// <summary>The tag number at the cursor, without consuming it.</summary>
    public CborTag PeekTag() => PeekTag(out _);

    private CborTag PeekTag(out int length)
    {
        PeekExpecting("a tag", CborReaderState.Tag);
        return (CborTag)DecodeArgument(out length);
    }

    /// <summary>
    /// Reads tag 0 + RFC 3339 text (RFC 8949 §3.4.1). Content that is not a text string, or text that is
    /// not a date/time, is a <see cref="CborContentException"/> with <see cref="CborContentError.InvalidTagContent"/>.
    /// </summary>
    public DateTimeOffset ReadDateTimeOffset()
    {
        if (PeekTag() != CborTag.DateTimeString) throw new InvalidOperationException("Expected tag 0 (date/time string).");
        CborReader sub = SubReader();
        sub.ReadTag();
        if (sub.PeekState() is not (CborReaderState.TextString or CborReaderState.StartIndefiniteLengthTextString))
        {
            throw Content(CborContentError.InvalidTagContent, _offset);
        }

        string text = sub.ReadTextString();
        // RFC 3339 §5.6 date-time: full date, 'T', full time with zone (Z or ±hh:mm); 'T'/'Z' may be lower case.
        if (text.Length < 20 || (text[10] != 'T' && text[10] != 't')
            || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out DateTimeOffset value))
        {
            throw Content(CborContentError.InvalidTagContent, _offset);
        }

        AdvanceItem(_offset + sub._offset);
        return value;
    }

    /// <summary>
    /// Reads tag 1 + integer or float seconds since the epoch (RFC 8949 §3.4.2). Non-finite floats and
    /// values outside <see cref="DateTimeOffset"/>'s range are <see cref="CborContentException"/>s.
    /// </summary>
    public DateTimeOffset ReadUnixTimeSeconds()
    {
        if (PeekTag() != CborTag.UnixTimeSeconds) throw new InvalidOperationException("Expected tag 1 (epoch-based date/time).");
        CborReader sub = SubReader();
        sub.ReadTag();
        double seconds = sub.PeekState() switch
        {
            CborReaderState.UnsignedInteger or CborReaderState.NegativeInteger => ReadBoundedInteger(sub),
            CborReaderState.HalfPrecisionFloat or CborReaderState.SinglePrecisionFloat or CborReaderState.DoublePrecisionFloat => sub.ReadDouble(),
            _ => throw Content(CborContentError.InvalidTagContent, _offset),
        };

        // DateTimeOffset covers years 1..9999: about ±2.5e11 seconds around 1970.
        const double Min = -62_135_596_800, Max = 253_402_300_799;
        if (!double.IsFinite(seconds) || seconds < Min || seconds > Max) throw Content(CborContentError.InvalidTagContent, _offset);
        DateTimeOffset value = DateTimeOffset.UnixEpoch.AddTicks((long)Math.Round(seconds * TimeSpan.TicksPerSecond));
        AdvanceItem(_offset + sub._offset);
        return value;
    }

    private double ReadBoundedInteger(CborReader sub)
    {
        try
        {
            return sub.ReadInt64();
        }
        catch (OverflowException)
        {
            throw Content(CborContentError.InvalidTagContent, _offset);
        }
    }
}
