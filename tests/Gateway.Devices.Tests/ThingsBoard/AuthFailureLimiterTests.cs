using Gateway.Devices.ThingsBoard;
using Gateway.TestKit;

namespace Gateway.Devices.Tests.ThingsBoard;

/// <summary>
/// The per-address credential limiter (issue 18, lock-out behind a NAT): guessing stays bounded, and a credential
/// that authenticated from the address before is still let through while the address is limited.
/// </summary>
public sealed class AuthFailureLimiterTests
{
    private const string Nat = "192.0.2.10";
    private readonly ManualTimeProvider _time = new();
    private readonly DeviceApiOptions _options = new();
    private readonly AuthFailureLimiter _limiter;

    public AuthFailureLimiterTests() => _limiter = new AuthFailureLimiter(_options, _time);

    /// <summary>Fails from <see cref="Nat"/> until it is limited; returns how many lookups that took.</summary>
    private int LimitNat()
    {
        int lookups = 0;
        for (int i = 0; !_limiter.IsSilenced(Nat); i++)
        {
            Assert.True(_limiter.Admit(Nat, $"guess-{i}"));
            lookups++;
            _limiter.RecordFailure(Nat);
        }
        return lookups;
    }

    [Fact]
    public void TwentyOneFailures_LimitTheAddress_ThenGuessesAreNotLookedUp()
    {
        int lookups = LimitNat();

        Assert.Equal(_options.AuthFailuresBeforeSilence + 1, lookups);
        Assert.False(_limiter.Admit(Nat, "guess-next"));
        Assert.Equal(1, _limiter.Limits);
        Assert.Equal(1, _limiter.Silenced);
        Assert.Equal(1, _limiter.LimitedSources);
    }

    [Fact]
    public void KnownCredential_IsLetThroughWhileTheAddressIsLimited()
    {
        _limiter.RecordSuccess(Nat, "valid-token-1");
        LimitNat();

        Assert.True(_limiter.Admit(Nat, "valid-token-1"));
        Assert.True(_limiter.Admit(Nat, "valid-token-1"));
        Assert.Equal(2, _limiter.KnownWhileLimited);
    }

    [Fact]
    public void NegativeControl_CredentialKnownOnlyAtAnotherAddress_IsNotLetThrough()
    {
        _limiter.RecordSuccess("198.51.100.7", "valid-token-1");
        LimitNat();

        Assert.False(_limiter.Admit(Nat, "valid-token-1"));
        Assert.Equal(0, _limiter.KnownWhileLimited);
    }

    [Fact]
    public void KnownCredential_ExpiresAfterItsLifetime()
    {
        _limiter.RecordSuccess(Nat, "valid-token-1");
        _time.Advance(_options.AuthKnownCredentialLifetime);
        LimitNat();

        Assert.False(_limiter.Admit(Nat, "valid-token-1"));
    }

    [Fact]
    public void LimitedAddress_GetsOneLookupOfAnUnknownCredentialPerBudgetInterval()
    {
        LimitNat();
        var interval = TimeSpan.FromMinutes(1 / _options.AuthLimitedLookupsPerMinute);

        // 1,001 guesses spread over 10 intervals: one lookup per interval, the rest dropped unanswered.
        int admitted = 0;
        for (int i = 0; i <= 1000; i++)
        {
            if (_limiter.Admit(Nat, $"late-guess-{i}")) admitted++;
            _time.Advance(interval / 100);
        }

        Assert.Equal(10, admitted);
        Assert.Equal(10, _limiter.LimitedLookups);
        Assert.Equal(991, _limiter.Silenced);
    }

    [Fact]
    public void NewDevice_OnALimitedAddress_GetsInWithinOneBudgetInterval_AndIsKnownFromThen()
    {
        LimitNat();
        Assert.False(_limiter.Admit(Nat, "new-device"));

        _time.Advance(TimeSpan.FromMinutes(1 / _options.AuthLimitedLookupsPerMinute));
        Assert.True(_limiter.Admit(Nat, "new-device"));
        _limiter.RecordSuccess(Nat, "new-device");

        Assert.True(_limiter.Admit(Nat, "new-device"));
        Assert.False(_limiter.Admit(Nat, "guess"));
    }

    [Fact]
    public void LimitEnds_AfterTheSilencePeriod()
    {
        LimitNat();
        _time.Advance(_options.AuthSilence);

        Assert.True(_limiter.Admit(Nat, "guess-after"));
        Assert.Equal(0, _limiter.LimitedSources);
    }

    [Fact]
    public void AnsweredFailures_AreBoundedByTheBurst()
    {
        int answered = 0;
        for (int i = 0; i < 100; i++) if (_limiter.RecordFailure(Nat)) answered++;

        Assert.Equal(_options.AuthFailureBurst, answered);
        Assert.Equal(100, _limiter.Failures);
        Assert.Equal(80, _limiter.Suppressed);
    }

    [Fact]
    public void KnownCredentials_PerAddress_AreCapped()
    {
        _options.AuthKnownCredentialsPerSource = 4;
        for (int i = 0; i < 5; i++)
        {
            _limiter.RecordSuccess(Nat, $"device-{i}");
            _time.Advance(TimeSpan.FromSeconds(1));
        }
        LimitNat();

        Assert.False(_limiter.Admit(Nat, "device-0")); // least recently seen, forgotten
        Assert.True(_limiter.Admit(Nat, "device-4"));
    }
}
