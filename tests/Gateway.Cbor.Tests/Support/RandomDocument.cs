using System.Numerics;
using System.Text;

namespace Gateway.Cbor.Tests.Support;

/// <summary>
/// Writes a random CBOR document with a <see cref="CborWriter"/> and builds, alongside, the dump of
/// what was meant (independently of any reader), for cross-checks against cbor2.
/// </summary>
public sealed class RandomDocument
{
    private static readonly string[] Alphabet = ["a", "Z", "0", " ", "\"", "\\", "\u00fc", "\u6c34", "\U00010151", "\u0000", "\u007f", "\u07ff", "\uffff"];
    private readonly Random _random;
    private readonly bool _maps;
    private bool _avoidLargeHalves;

    private RandomDocument(Random random, bool maps)
    {
        _random = random;
        _maps = maps;
    }

    /// <param name="avoidLargeHalves">
    /// Keep floats out of 32768 ≤ |v| ≤ 65504 where a half holds them: cbor2 5.4.6 writes singles there,
    /// so byte-exact comparisons with it would fail on its deviation, not ours.
    /// </param>
    public static (byte[] Cbor, string Dump) Create(Random random, bool maps = true, CborConformanceMode mode = CborConformanceMode.Lax, bool avoidLargeHalves = false)
    {
        var writer = new CborWriter(mode);
        var document = new RandomDocument(random, maps) { _avoidLargeHalves = avoidLargeHalves };
        string dump = document.Write(writer, 0, allowIndefinite: mode < CborConformanceMode.Canonical);
        return (writer.Encode(), dump);
    }

    private string Write(CborWriter w, int depth, bool allowIndefinite)
    {
        int kinds = depth < 4 ? (_maps ? 14 : 12) : 9;
        switch (_random.Next(kinds))
        {
            case 0:
                long[] edges = [0, 23, 24, 255, 256, 65535, 65536, uint.MaxValue, 1L + uint.MaxValue, long.MaxValue, -1, -24, -25, -256, -257, long.MinValue];
                long l = _random.Next(3) == 0 ? _random.NextInt64(long.MinValue, long.MaxValue) : edges[_random.Next(edges.Length)];
                w.WriteInt64(l);
                return TypedDump.Int(l);
            case 1:
                BigInteger big = new BigInteger(_random.NextInt64()) << _random.Next(1, 80);
                if (_random.Next(2) == 0) big = -big;
                if (_random.Next(4) == 0) big = _random.Next(2) == 0 ? ulong.MaxValue : -(BigInteger)ulong.MaxValue - 1;
                w.WriteBigInteger(big);
                return TypedDump.Int(big);
            case 2:
                double d = RandomDouble();
                if (_avoidLargeHalves && Math.Abs(d) is >= 32768 and <= 65504 && (double)(Half)d == d) d /= 4;
                w.WriteDouble(d);
                return TypedDump.Float(d);
            case 3:
                byte[] bytes = new byte[_random.Next(4) switch { 0 => 0, 1 => 1, 2 => 24, _ => 300 }];
                _random.NextBytes(bytes);
                if (allowIndefinite && _random.Next(5) == 0 && bytes.Length > 1)
                {
                    w.WriteStartIndefiniteLengthByteString();
                    w.WriteByteString(bytes.AsSpan(0, 1));
                    w.WriteByteString(bytes.AsSpan(1));
                    w.WriteEndIndefiniteLengthByteString();
                }
                else
                {
                    w.WriteByteString(bytes);
                }

                return "b:" + Convert.ToHexStringLower(bytes);
            case 4:
                var text = new StringBuilder();
                int length = _random.Next(4) switch { 0 => 0, 1 => 1, 2 => 5, _ => 30 };
                for (int i = 0; i < length; i++) text.Append(Alphabet[_random.Next(Alphabet.Length)]);
                if (allowIndefinite && _random.Next(5) == 0)
                {
                    w.WriteStartIndefiniteLengthTextString();
                    w.WriteTextString(text.ToString());
                    w.WriteTextString("");
                    w.WriteEndIndefiniteLengthTextString();
                }
                else
                {
                    w.WriteTextString(text.ToString());
                }

                return TypedDump.Text(text.ToString());
            case 5:
                bool b = _random.Next(2) == 0;
                w.WriteBoolean(b);
                return b ? "T" : "F";
            case 6:
                w.WriteNull();
                return "N";
            case 7:
                w.WriteSimpleValue(CborSimpleValue.Undefined);
                return "U";
            case 8:
                byte simple = (byte)(_random.Next(2) == 0 ? _random.Next(0, 20) : _random.Next(32, 256));
                w.WriteSimpleValue((CborSimpleValue)simple);
                return $"s:{simple}";
            case 9:
            case 10:
                int count = _random.Next(4) switch { 0 => 0, 1 => 1, 2 => 3, _ => 25 };
                bool indefinite = allowIndefinite && _random.Next(3) == 0;
                w.WriteStartArray(indefinite ? null : count);
                var items = new List<string>();
                for (int i = 0; i < count; i++) items.Add(Write(w, depth + 1, allowIndefinite));
                w.WriteEndArray();
                return "[" + string.Join(",", items) + "]";
            case 11:
                ulong tag = (ulong)_random.Next(40000, 50001);
                w.WriteTag((CborTag)tag);
                return $"g{tag}({Write(w, depth + 1, allowIndefinite)})";
            default:
                return WriteMap(w, depth, allowIndefinite);
        }
    }

    private string WriteMap(CborWriter w, int depth, bool allowIndefinite)
    {
        int count = _random.Next(4) switch { 0 => 0, 1 => 1, 2 => 4, _ => 10 };
        var keys = new HashSet<string>();
        var pairs = new List<string>();
        bool indefinite = allowIndefinite && _random.Next(3) == 0;
        w.WriteStartMap(indefinite ? null : count);
        while (pairs.Count < count)
        {
            string key;
            switch (_random.Next(3))
            {
                case 0:
                    int i = _random.Next(-100, 101);
                    key = TypedDump.Int(i);
                    if (!keys.Add(key)) continue;
                    w.WriteInt32(i);
                    break;
                case 1:
                    string s = "k" + _random.Next(51);
                    key = TypedDump.Text(s);
                    if (!keys.Add(key)) continue;
                    w.WriteTextString(s);
                    break;
                default:
                    byte[] k = [(byte)_random.Next(256)];
                    key = "b:" + Convert.ToHexStringLower(k);
                    if (!keys.Add(key)) continue;
                    w.WriteByteString(k);
                    break;
            }

            pairs.Add(key + "=" + Write(w, depth + 1, allowIndefinite));
        }

        w.WriteEndMap();
        return TypedDump.Map(pairs);
    }

    private double RandomDouble()
    {
        double[] specials = [0.0, -0.0, 1.5, 65504.0, 1e300, double.PositiveInfinity, double.NegativeInfinity, 5.960464477539063e-8, double.Epsilon, double.MaxValue, 3.4028234663852886e+38];
        return _random.Next(5) switch
        {
            0 => specials[_random.Next(specials.Length)],
            1 => (double)BitConverter.UInt16BitsToHalf((ushort)(_random.Next(0x10000) & 0xFBFF)), // finite halves
            2 => BitConverter.UInt32BitsToSingle((uint)_random.NextInt64() & 0xFF7FFFFF),         // finite singles
            3 => BitConverter.UInt64BitsToDouble((ulong)_random.NextInt64() & 0xFFEF_FFFF_FFFF_FFFF), // finite doubles
            _ => Math.Round(_random.NextDouble() * 1000, _random.Next(4)),
        };
    }
}
