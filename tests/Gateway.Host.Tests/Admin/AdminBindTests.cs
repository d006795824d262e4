using Gateway.Host.Admin;

namespace Gateway.Host.Tests.Admin;

public sealed class AdminBindTests
{
    [Theory]
    [InlineData("loopback")]
    [InlineData("")]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    [InlineData("127.0.0.1, ::1")]
    public void Loopback_NeedsNoCredential(string bind)
    {
        Assert.True(AdminBind.TryParse(bind, out var parsed, out var error), error);
        Assert.False(parsed.RequiresAuthentication);
    }

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("::")]
    [InlineData("192.168.1.10")]
    [InlineData("127.0.0.1, 10.0.0.5")]
    public void AnyOtherAddress_NeedsTheCredential(string bind)
    {
        Assert.True(AdminBind.TryParse(bind, out var parsed, out var error), error);
        Assert.True(parsed.RequiresAuthentication);
    }

    [Fact]
    public void NotAnAddress_IsNamed()
    {
        Assert.False(AdminBind.TryParse("127.0.0.1, localhost", out _, out var error));
        Assert.Equal("'localhost' is not an IP address or 'loopback'", error);
    }

    [Fact]
    public void WidenedWithoutCredentialFile_IsRefusedInOneLine()
    {
        var problems = new AdminOptions { Bind = "0.0.0.0" }.Validate(8080).ToList();
        Assert.Equal(["Admin:Bind: '0.0.0.0' is not loopback, so Admin:CredentialFile is required (create it with: coap-gateway admin set-password USER)"], problems);
    }

    [Fact]
    public void WidenedWithAMissingCredentialFile_IsRefused()
    {
        var problems = new AdminOptions { Bind = "::", CredentialFile = "/nonexistent/admin-users" }.Validate(8080).ToList();
        Assert.StartsWith("Admin:CredentialFile: cannot read '/nonexistent/admin-users'", Assert.Single(problems), StringComparison.Ordinal);
    }

    [Fact]
    public void Defaults_AreValid_AndDisabledIsNeverChecked()
    {
        Assert.Empty(new AdminOptions().Validate(8080));
        Assert.Empty(new AdminOptions { Enabled = false, Bind = "0.0.0.0", Port = 8080 }.Validate(8080));
    }

    [Fact]
    public void SamePortAsHttp_IsRefused()
    {
        Assert.Equal(["Admin:Port: 8080 is Http:Port too; give the admin page its own port"], new AdminOptions { Port = 8080 }.Validate(8080));
    }
}
