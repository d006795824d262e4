using System.Globalization;
using System.Numerics;

namespace Gateway.Cbor.Tests.Support;

/// <summary>
/// Parses RFC 8949 §8 diagnostic notation (the subset Appendix A uses, plus "_" indefinite markers)
/// and replays it on a <see cref="CborWriter"/>, so vectors can be encoded from their RFC text.
/// </summary>
public sealed class DiagnosticParser
{
    private readonly string _text;
    private int _pos;

    private DiagnosticParser(string text) => _text = text;

    public static byte[] Encode(string diagnostic, CborConformanceMode mode = CborConformanceMode.Lax)
    {
        var writer = new CborWriter(mode);
        var parser = new DiagnosticParser(diagnostic);
        parser.WriteItem(writer);
        parser.SkipSpace();
        if (parser._pos != diagnostic.Length) throw new FormatException($"Trailing text at {parser._pos} in {diagnostic}");
        return writer.Encode();
    }

    private void WriteItem(CborWriter writer)
    {
        SkipSpace();
        char c = _text[_pos];
        if (c == '[')
        {
            _pos++;
            bool indefinite = Marker();
            CountAndWrite(writer, ']', indefinite, isMap: false);
            return;
        }

        if (c == '{')
        {
            _pos++;
            CountAndWrite(writer, '}', Marker(), isMap: true);
            return;
        }

        if (c == '(')
        {
            _pos++;
            Expect('_');
            SkipSpace();
            bool bytes = _text[_pos] == 'h';
            if (bytes) writer.WriteStartIndefiniteLengthByteString(); else writer.WriteStartIndefiniteLengthTextString();
            while (true)
            {
                SkipSpace();
                if (_text[_pos] == ')') { _pos++; break; }
                WriteItem(writer);
                SkipSpace();
                if (_text[_pos] == ',') _pos++;
            }

            if (bytes) writer.WriteEndIndefiniteLengthByteString(); else writer.WriteEndIndefiniteLengthTextString();
            return;
        }

        if (c == '"') { writer.WriteTextString(ReadString()); return; }
        if (c == 'h' && _text[_pos + 1] == '\'')
        {
            int end = _text.IndexOf('\'', _pos + 2);
            writer.WriteByteString(Convert.FromHexString(_text[(_pos + 2)..end]));
            _pos = end + 1;
            return;
        }

        if (TryWord("true")) { writer.WriteBoolean(true); return; }
        if (TryWord("false")) { writer.WriteBoolean(false); return; }
        if (TryWord("null")) { writer.WriteNull(); return; }
        if (TryWord("undefined")) { writer.WriteSimpleValue(CborSimpleValue.Undefined); return; }
        if (TryWord("NaN")) { writer.WriteDouble(BitConverter.UInt64BitsToDouble(0x7FF8_0000_0000_0000)); return; }
        if (TryWord("Infinity")) { writer.WriteDouble(double.PositiveInfinity); return; }
        if (TryWord("-Infinity")) { writer.WriteDouble(double.NegativeInfinity); return; }
        if (TryWord("simple("))
        {
            int close = _text.IndexOf(')', _pos);
            writer.WriteSimpleValue((CborSimpleValue)byte.Parse(_text[_pos..close], CultureInfo.InvariantCulture));
            _pos = close + 1;
            return;
        }

        int start = _pos;
        while (_pos < _text.Length && (char.IsAsciiDigit(_text[_pos]) || _text[_pos] is '-' or '+' or '.' or 'e')) _pos++;
        string number = _text[start.._pos];
        if (_pos < _text.Length && _text[_pos] == '(')
        {
            _pos++;
            writer.WriteTag((CborTag)ulong.Parse(number, CultureInfo.InvariantCulture));
            WriteItem(writer);
            Expect(')');
            return;
        }

        if (number.Contains('.') || number.Contains('e'))
        {
            writer.WriteDouble(double.Parse(number, CultureInfo.InvariantCulture));
        }
        else
        {
            writer.WriteBigInteger(BigInteger.Parse(number, CultureInfo.InvariantCulture));
        }
    }

    private void CountAndWrite(CborWriter writer, char close, bool indefinite, bool isMap)
    {
        // Count items first (definite containers need the count up front) with a throwaway parse.
        int save = _pos;
        int count = 0;
        var scratch = new CborWriter(CborConformanceMode.Lax, allowMultipleRootLevelValues: true);
        while (true)
        {
            SkipSpace();
            if (_text[_pos] == close) break;
            WriteItem(scratch);
            count++;
            SkipSpace();
            if (_text[_pos] is ',' or ':') _pos++;
        }

        _pos = save;
        if (isMap) writer.WriteStartMap(indefinite ? null : count / 2); else writer.WriteStartArray(indefinite ? null : count);
        while (true)
        {
            SkipSpace();
            if (_text[_pos] == close) { _pos++; break; }
            WriteItem(writer);
            SkipSpace();
            if (_text[_pos] is ',' or ':') _pos++;
        }

        if (isMap) writer.WriteEndMap(); else writer.WriteEndArray();
    }

    private bool Marker()
    {
        SkipSpace();
        if (_text[_pos] != '_') return false;
        _pos++;
        return true;
    }

    private string ReadString()
    {
        _pos++;
        var s = new System.Text.StringBuilder();
        while (_text[_pos] != '"')
        {
            char c = _text[_pos++];
            if (c != '\\') { s.Append(c); continue; }
            char e = _text[_pos++];
            if (e == 'u')
            {
                s.Append((char)Convert.ToUInt16(_text.Substring(_pos, 4), 16));
                _pos += 4;
            }
            else
            {
                s.Append(e);
            }
        }

        _pos++;
        return s.ToString();
    }

    private bool TryWord(string word)
    {
        if (string.CompareOrdinal(_text, _pos, word, 0, word.Length) != 0) return false;
        _pos += word.Length;
        return true;
    }

    private void Expect(char c)
    {
        SkipSpace();
        if (_text[_pos] != c) throw new FormatException($"Expected '{c}' at {_pos} in {_text}");
        _pos++;
    }

    private void SkipSpace()
    {
        while (_pos < _text.Length && _text[_pos] == ' ') _pos++;
    }
}
