using System.Text;
using Gateway.Bridge.Limits;
using Gateway.TestKit;

namespace Gateway.Bridge.Tests.Limits;

/// <summary>ThingsBoard's <c>getSessionLimits</c> answer (thingsboard.md §4.1): shape, rate strings, refusals.</summary>
public class SessionLimitsParserTests
{
    private const string Full = """
        {"maxPayloadSize":65536,"maxInflightMessages":100,
         "rateLimits":{"messages":"20:1,600:60","telemetryMessages":"10:1","telemetryDataPoints":"100:1,3000:60"},
         "gatewayRateLimits":{"messages":"1000:1","telemetryMessages":"500:1,20000:60","telemetryDataPoints":"5000:1"}}
        """;

    private static SessionLimits Parse(string json)
    {
        Assert.True(SessionLimitsParser.TryParse(Encoding.UTF8.GetBytes(json), out var limits, out var error), error);
        return limits;
    }

    private static string Refusal(string json)
    {
        Assert.False(SessionLimitsParser.TryParse(Encoding.UTF8.GetBytes(json), out var limits, out var error));
        Assert.Same(SessionLimits.None, limits);
        Assert.False(string.IsNullOrWhiteSpace(error));
        return error;
    }

    [Fact]
    public void FullAnswer_GivesEveryLimit()
    {
        var limits = Parse(Full);
        Assert.Equal(65536, limits.MaxPayloadSize);
        Assert.Equal(100, limits.MaxInflightMessages);
        Assert.Equal([new RateWindow(20, 1), new RateWindow(600, 60)], limits.Device.Messages);
        Assert.Equal([new RateWindow(10, 1)], limits.Device.TelemetryMessages);
        Assert.Equal([new RateWindow(100, 1), new RateWindow(3000, 60)], limits.Device.TelemetryDataPoints);
        Assert.Equal([new RateWindow(1000, 1)], limits.Gateway.Messages);
        Assert.Equal([new RateWindow(500, 1), new RateWindow(20000, 60)], limits.Gateway.TelemetryMessages);
        Assert.Equal([new RateWindow(5000, 1)], limits.Gateway.TelemetryDataPoints);
        Assert.Equal(10, limits.Device.Messages[1].PerSecond);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"maxPayloadSize":null,"rateLimits":null}""")]
    [InlineData("""{"rateLimits":{"messages":"","telemetryMessages":"0:0,","telemetryDataPoints":"0:60"}}""")]
    [InlineData("""{"gatewayRateLimits":{}}""")]
    public void AbsentEmptyOrZero_MeansNoLimit(string json)
    {
        var limits = Parse(json);
        Assert.Equal(0, limits.MaxPayloadSize);
        Assert.True(limits.Device.IsEmpty);
        Assert.True(limits.Gateway.IsEmpty);
        Assert.Equal("payload unlimited, in flight unlimited, per device none, gateway none", limits.ToString());
    }

    [Theory]
    [InlineData(" 100 : 1 , 1000:60 ,", 2)]
    [InlineData("5:1", 1)]
    public void RateString_ToleratesSpacesAndATrailingComma(string text, int windows)
    {
        Assert.True(SessionLimitsParser.TryParseRate(text, out var parsed, out var error), error);
        Assert.Equal(windows, parsed.Count);
        Assert.Equal(new RateWindow(windows == 2 ? 100 : 5, 1), parsed[0]);
    }

    [Theory]
    [InlineData("[]", "object")]
    [InlineData("\"x\"", "object")]
    [InlineData("{\"maxPayloadSize\":-1}", "maxPayloadSize")]
    [InlineData("{\"maxPayloadSize\":1.5}", "maxPayloadSize")]
    [InlineData("{\"maxInflightMessages\":\"10\"}", "maxInflightMessages")]
    [InlineData("{\"rateLimits\":[]}", "rateLimits")]
    [InlineData("{\"rateLimits\":{\"messages\":100}}", "rateLimits.messages")]
    [InlineData("{\"rateLimits\":{\"messages\":\"100\"}}", "capacity:seconds")]
    [InlineData("{\"gatewayRateLimits\":{\"telemetryDataPoints\":\"1:1,,2:2\"}}", "gatewayRateLimits.telemetryDataPoints")]
    [InlineData("{\"gatewayRateLimits\":{\"messages\":\"-1:1\"}}", "capacity:seconds")]
    [InlineData("{\"gatewayRateLimits\":{\"messages\":\"1e3:1\"}}", "capacity:seconds")]
    [InlineData("{\"gatewayRateLimits\":{\"messages\":\"99999999999:1\"}}", "capacity:seconds")]
    [InlineData("{\"error\":\"Unsupported method\"}", "Unsupported method")]
    [InlineData("{\"maxPayloadSize\":", "not JSON")]
    [InlineData("", "not JSON")]
    public void BadInput_IsAOneLineError(string json, string mentions)
    {
        var error = Refusal(json);
        Assert.Contains(mentions, error);
        Assert.DoesNotContain('\n', error);
    }

    [Fact]
    public void TooManyWindows_AreRefused()
    {
        var text = string.Join(',', Enumerable.Range(1, 17).Select(i => $"{i}:{i}"));
        Assert.False(SessionLimitsParser.TryParseRate(text, out _, out var error));
        Assert.Contains("more than 16", error);
    }

    /// <summary>
    /// Fixed-seed mutation test: mutated answers never throw, a refusal is an error value, and an
    /// accepted answer gives only positive windows.
    /// </summary>
    [Fact]
    public void MutatedAnswers_NeverThrow_AndAcceptOnlyPositiveWindows()
    {
        var seed = Encoding.UTF8.GetBytes(Full);
        var random = new Random(2323);
        int accepted = 0, refused = 0;
        for (int i = 0; i < 20_000; i++)
        {
            var input = DatagramMutator.Mutate(random, seed);
            bool ok;
            SessionLimits limits;
            string error;
            try
            {
                ok = SessionLimitsParser.TryParse(input, out limits, out error);
            }
            catch (Exception e)
            {
                Assert.Fail($"{e.GetType().Name} escaped TryParse (iteration {i}, input {Encoding.UTF8.GetString(input)})");
                throw;
            }
            if (!ok)
            {
                refused++;
                Assert.Same(SessionLimits.None, limits);
                Assert.False(string.IsNullOrEmpty(error));
                continue;
            }
            accepted++;
            Assert.True(limits.MaxPayloadSize >= 0 && limits.MaxInflightMessages >= 0);
            foreach (var set in new[] { limits.Device, limits.Gateway })
                foreach (var w in set.Messages.Concat(set.TelemetryMessages).Concat(set.TelemetryDataPoints))
                    Assert.True(w.Capacity > 0 && w.Seconds > 0, $"window {w} from {Encoding.UTF8.GetString(input)}");
        }
        // Both paths are exercised: mutations that keep the answer valid, and ones that break it.
        Assert.InRange(accepted, 200, 19_800);
        Assert.InRange(refused, 200, 19_800);
    }
}
