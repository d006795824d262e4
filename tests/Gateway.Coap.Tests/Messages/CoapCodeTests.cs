using Gateway.Coap.Messages;

namespace Gateway.Coap.Tests.Messages;

public sealed class CoapCodeTests
{
    // RFC 7252 §5.8: GET is safe, POST, PUT and DELETE are not; RFC 8132 §2-3: FETCH is safe, PATCH and iPATCH are not.
    [Theory]
    [InlineData(0, false)] // 0.00 Empty
    [InlineData(1, true)]  // GET
    [InlineData(2, false)] // POST
    [InlineData(3, false)] // PUT
    [InlineData(4, false)] // DELETE
    [InlineData(5, true)]  // FETCH
    [InlineData(6, false)] // PATCH
    [InlineData(7, false)] // iPATCH
    [InlineData(69, false)] // 2.05 Content, a response
    public void IsSafe_OnlyForGetAndFetch(byte code, bool safe) => Assert.Equal(safe, new CoapCode(code).IsSafe);
}
