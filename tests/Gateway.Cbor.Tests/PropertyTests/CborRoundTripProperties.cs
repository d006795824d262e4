using System.Numerics;
using FsCheck;
using FsCheck.Fluent;
using Gateway.Cbor.Tests.Support;

namespace Gateway.Cbor.Tests.PropertyTests;

/// <summary>FsCheck properties: what the writer writes, the reader reads back identically.</summary>
public class CborRoundTripProperties
{
    private static byte[] Write(Action<CborWriter> write)
    {
        var writer = new CborWriter();
        write(writer);
        return writer.Encode();
    }

    [Fact]
    public void Int64_RoundTrips_InShortestForm() =>
        Prop.ForAll(ArbMap.Default.ArbFor<long>(), value =>
        {
            byte[] cbor = Write(w => w.WriteInt64(value));
            var canonical = new CborReader(cbor, CborConformanceMode.Canonical);
            return canonical.ReadInt64() == value && canonical.BytesRemaining == 0;
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void UInt64_RoundTrips() =>
        Prop.ForAll(ArbMap.Default.ArbFor<ulong>(), value => new CborReader(Write(w => w.WriteUInt64(value))).ReadUInt64() == value)
            .QuickCheckThrowOnFailure();

    [Fact]
    public void Double_RoundTripsBitExact_AndIsCanonical() =>
        Prop.ForAll(ArbMap.Default.ArbFor<double>(), value =>
        {
            byte[] cbor = Write(w => w.WriteDouble(value));
            double read = new CborReader(cbor).ReadDouble();
            bool canonical = double.IsNaN(value) || CborReader.TryValidate(cbor, CborConformanceMode.Canonical, 1, out _);
            return BitConverter.DoubleToUInt64Bits(read) == BitConverter.DoubleToUInt64Bits(value) && canonical;
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void AnyDoubleBits_RoundTripBitExact() =>
        Prop.ForAll(ArbMap.Default.ArbFor<ulong>(), bits =>
        {
            double value = BitConverter.UInt64BitsToDouble(bits);
            return BitConverter.DoubleToUInt64Bits(new CborReader(Write(w => w.WriteDouble(value))).ReadDouble()) == bits;
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void HalfBits_RoundTripThroughWriteHalf() =>
        Prop.ForAll(ArbMap.Default.ArbFor<ushort>(), bits =>
        {
            byte[] cbor = Write(w => w.WriteHalf(BitConverter.UInt16BitsToHalf(bits)));
            return cbor.Length == 3 && (ushort)((cbor[1] << 8) | cbor[2]) == bits;
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void BigInteger_RoundTrips() =>
        Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), ArbMap.Default.ArbFor<bool>(), (bytes, negative) =>
        {
            var value = new BigInteger(bytes, isUnsigned: true);
            if (negative) value = -value - 1;
            return new CborReader(Write(w => w.WriteBigInteger(value)), CborConformanceMode.Canonical).ReadBigInteger() == value;
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void Strings_RoundTrip() =>
        Prop.ForAll(ArbMap.Default.ArbFor<string>(), ArbMap.Default.ArbFor<byte[]>(), (text, bytes) =>
        {
            text ??= "";
            bytes ??= [];
            string valid = new string(text.Where(c => !char.IsSurrogate(c)).ToArray());
            var reader = new CborReader(Write(w => { w.WriteStartArray(2); w.WriteTextString(valid); w.WriteByteString(bytes); w.WriteEndArray(); }));
            reader.ReadStartArray();
            return reader.ReadTextString() == valid && reader.ReadByteString().AsSpan().SequenceEqual(bytes);
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void RandomDocuments_RoundTripThroughReaderAndJson() =>
        Prop.ForAll(ArbMap.Default.ArbFor<int>(), seed =>
        {
            (byte[] cbor, string dump) = RandomDocument.Create(new Random(seed));
            bool same = TypedDump.Of(cbor) == dump;
            var reader = new CborReader(cbor);
            bool encodedValue = reader.ReadEncodedValue().Span.SequenceEqual(cbor);
            _ = CborJson.ToJsonNode(cbor)?.ToJsonString();
            return same && encodedValue && CborReader.TryValidate(cbor, CborConformanceMode.Strict, 64, out _);
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void CanonicalWriter_OutputIsAcceptedByCanonicalReader() =>
        Prop.ForAll(ArbMap.Default.ArbFor<int>(), seed =>
        {
            (byte[] cbor, string dump) = RandomDocument.Create(new Random(seed), maps: true, CborConformanceMode.Canonical);
            return CborReader.TryValidate(cbor, CborConformanceMode.Canonical, 64, out _) && TypedDump.Of(cbor) == dump;
        }).QuickCheckThrowOnFailure();
}
