using Gateway.Mqtt.Client;
using Gateway.Mqtt.Protocol;

namespace Gateway.Mqtt.Tests.Client;

public sealed class MqttClientOptionsTests
{
    [Fact]
    public void Defaults_are_valid() => Assert.Empty(new MqttClientOptions { Host = "localhost" }.Validate());

    [Theory]
    [InlineData("Port", "70000", "Mqtt:Port: 70000 is not a port")]
    [InlineData("ProtocolVersion", "3", "Mqtt:ProtocolVersion: '3' is not 5 or 3.1.1")]
    // One vocabulary (issue 20.8): the wire's protocol level 4 and "5.0" are not names of a version here.
    [InlineData("ProtocolVersion", "4", "Mqtt:ProtocolVersion: '4' is not 5 or 3.1.1")]
    [InlineData("ProtocolVersion", "5.0", "Mqtt:ProtocolVersion: '5.0' is not 5 or 3.1.1")]
    [InlineData("KeepAliveSeconds", "-1", "Mqtt:KeepAliveSeconds: -1 is not 1..65535 (a dead link is detected after 1.5 x this)")]
    [InlineData("KeepAliveSeconds", "0", "Mqtt:KeepAliveSeconds: 0 is not 1..65535 (a dead link is detected after 1.5 x this)")]
    [InlineData("MaxInflight", "0", "Mqtt:MaxInflight: 0 is not 1..65535")]
    public void One_line_errors_name_the_key(string key, string value, string expected)
    {
        var o = new MqttClientOptions { Host = "localhost" };
        switch (key)
        {
            case "Port": o.Port = int.Parse(value); break;
            case "ProtocolVersion": o.ProtocolVersion = value; break;
            case "KeepAliveSeconds": o.KeepAliveSeconds = int.Parse(value); break;
            case "MaxInflight": o.MaxInflight = int.Parse(value); break;
        }
        Assert.Equal(expected, Assert.Single(o.Validate()));
    }

    [Fact]
    public void V5_only_settings_on_311_are_errors()
    {
        var o = new MqttClientOptions { Host = "h", ProtocolVersion = "3.1.1", SessionExpirySeconds = 60, CleanStart = false };
        var errors = o.Validate();
        Assert.Contains("Mqtt:SessionExpirySeconds: is MQTT 5 only; set ProtocolVersion to 5 or remove it", errors);
        Assert.Contains(errors, e => e.StartsWith("Mqtt:ClientId:"));
        Assert.Equal(MqttProtocolVersion.V311, o.Version);
    }

    [Fact]
    public void Missing_tls_files_are_named()
    {
        var o = new MqttClientOptions { Host = "h" };
        o.Tls.Enabled = true;
        o.Tls.CaFile = "/nonexistent/ca.pem";
        Assert.Equal("Mqtt:Tls:CaFile: /nonexistent/ca.pem does not exist", Assert.Single(o.Validate()));
    }

    [Fact]
    public void The_password_is_never_printed()
    {
        var o = new MqttClientOptions { Host = "h", Username = "u", Password = "s3cret" };
        Assert.DoesNotContain("s3cret", o.ToString());
    }
}
