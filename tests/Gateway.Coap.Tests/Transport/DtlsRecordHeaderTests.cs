using Gateway.Coap.Transport.Dtls;

namespace Gateway.Coap.Tests.Transport;

public sealed class DtlsRecordHeaderTests
{
    // RFC 6347 §4.1: handshake(22) DTLS 1.0 (FEFF) epoch 0 seq 0 length 3, then a ClientHello type byte (1) and 2 bytes.
    [Theory]
    [InlineData("16FEFF000000000000000000030100FF", true, true)]
    [InlineData("17FEFD000100000000000500020A0B", true, false)]       // application data, epoch 1, seq 5
    [InlineData("16FEFF00000000000000000004010000", false, false)]     // length 4 but 3 bytes follow: truncated
    [InlineData("18FEFD0001000000000005000100", false, false)]         // content type 24 is not a DTLS 1.2 record type
    [InlineData("17030300010000000000050001AA", false, false)]         // TLS 1.2 version, not DTLS
    [InlineData("17FEFD", false, false)]                               // shorter than a header
    public void TryRead_ValidatesTheHeader(string hex, bool valid, bool clientHello)
    {
        var bytes = Convert.FromHexString(hex);

        Assert.Equal(valid, DtlsRecordHeader.TryRead(bytes, 0, out var header));
        if (valid) Assert.Equal(clientHello, DtlsRecordHeader.IsClientHello(bytes, header));
    }

    [Fact]
    public void TryRead_ConnectionIdRecord_ReadsTheIdAndTheLengthAfterIt()
    {
        // RFC 9146 §4: tls12_cid(25), version, epoch 1, seq 7, cid (4 bytes), length 2, fragment.
        var bytes = Convert.FromHexString("19FEFD000100000000000701020304" + "0002" + "AABB");

        Assert.True(DtlsRecordHeader.TryRead(bytes, 4, out var header));
        Assert.Equal((11, 4, 2, (ushort)1, 7L), (header.ConnectionIdOffset, header.ConnectionIdLength, header.FragmentLength, header.Epoch, header.SequenceNumber));
        Assert.False(DtlsRecordHeader.TryRead(bytes, 0, out _)); // a server that issues no ids cannot read one
    }
}
