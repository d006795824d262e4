using System.Net;
using Gateway.Host.Admin;
using Gateway.TestKit;

namespace Gateway.Host.Tests.Admin;

public sealed class AuthenticationThrottleTests
{
    private static readonly IPAddress Guesser = IPAddress.Parse("192.0.2.7");
    private static readonly IPAddress Operator = IPAddress.Parse("192.0.2.8");
    private readonly ManualTimeProvider _time = new();

    [Fact]
    public void TenFailuresInAMinute_ThrottleThatAddressOnly_UntilTheWindowFromItsFirstFailureEnds()
    {
        var throttle = new AuthenticationThrottle(_time);
        for (int i = 0; i < AuthenticationThrottle.MaxFailures - 1; i++) throttle.Failed(Guesser);
        Assert.Equal(TimeSpan.Zero, throttle.RetryAfter(Guesser));

        _time.Advance(TimeSpan.FromSeconds(20));
        throttle.Failed(Guesser);
        Assert.Equal(TimeSpan.FromSeconds(40), throttle.RetryAfter(Guesser));
        Assert.Equal(TimeSpan.Zero, throttle.RetryAfter(Operator));

        _time.Advance(TimeSpan.FromSeconds(40));
        Assert.Equal(TimeSpan.Zero, throttle.RetryAfter(Guesser));
        // A new window: one more failure is one, not eleven.
        throttle.Failed(Guesser);
        Assert.Equal(TimeSpan.Zero, throttle.RetryAfter(Guesser));
    }

    [Fact]
    public void FailuresSpreadOverMoreThanAMinute_NeverThrottle()
    {
        var throttle = new AuthenticationThrottle(_time);
        for (int i = 0; i < 3 * AuthenticationThrottle.MaxFailures; i++)
        {
            throttle.Failed(Guesser);
            _time.Advance(TimeSpan.FromSeconds(7)); // 9 failures fit in a minute, the 10th opens a new window
            Assert.Equal(TimeSpan.Zero, throttle.RetryAfter(Guesser));
        }
    }

    [Fact]
    public void ASuccessClearsTheCount_AndAMappedIPv4AddressIsTheSameClient()
    {
        var throttle = new AuthenticationThrottle(_time);
        for (int i = 0; i < AuthenticationThrottle.MaxFailures - 1; i++) throttle.Failed(Operator.MapToIPv6());
        throttle.Succeeded(Operator);
        throttle.Failed(Operator);
        Assert.Equal(TimeSpan.Zero, throttle.RetryAfter(Operator));

        for (int i = 0; i < AuthenticationThrottle.MaxFailures; i++) throttle.Failed(Guesser.MapToIPv6());
        Assert.True(throttle.RetryAfter(Guesser) > TimeSpan.Zero);
    }

    [Fact]
    public void WhenTheTableIsFull_FurtherAddressesAreLimitedTogether_AndExpiredEntriesMakeRoom()
    {
        var throttle = new AuthenticationThrottle(_time);
        for (int i = 0; i < AuthenticationThrottle.MaxAddresses; i++) throttle.Failed(Address(i));
        var late = Enumerable.Range(AuthenticationThrottle.MaxAddresses, AuthenticationThrottle.MaxFailures).Select(Address).ToArray();
        foreach (var address in late) throttle.Failed(address);
        // Ten different addresses, one failure each, share the overflow entry: all of them wait.
        Assert.All(late, address => Assert.True(throttle.RetryAfter(address) > TimeSpan.Zero));
        Assert.True(throttle.RetryAfter(Address(AuthenticationThrottle.MaxAddresses + 500)) > TimeSpan.Zero);
        Assert.Equal(TimeSpan.Zero, throttle.RetryAfter(Address(0)));

        _time.Advance(AuthenticationThrottle.Window);
        throttle.Failed(Operator);
        Assert.Equal(TimeSpan.Zero, throttle.RetryAfter(Operator));
        Assert.Equal(TimeSpan.Zero, throttle.RetryAfter(late[0]));
    }

    private static IPAddress Address(int i) => new([10, (byte)(i >> 16), (byte)(i >> 8), (byte)i]);
}
