using Gateway.Host.Admin;

namespace Gateway.Host.Tests.Admin;

public sealed class AdminCredentialsTests
{
    // Few iterations keep the tests fast; the file format and the checks are the same.
    private static AdminCredentials Load(params string[] lines)
    {
        Assert.True(AdminCredentials.TryParse(lines, out var credentials, out var problem), problem);
        return credentials;
    }

    [Fact]
    public void HashLine_VerifiesItsOwnPassword_AndNothingElse()
    {
        var credentials = Load(AdminCredentials.HashLine("ops", "correct horse", 1_000), AdminCredentials.HashLine("bob", "battery staple", 1_000));

        Assert.True(credentials.Verify("ops", "correct horse"));
        Assert.True(credentials.Verify("bob", "battery staple"));
        Assert.False(credentials.Verify("ops", "battery staple"));
        Assert.False(credentials.Verify("ops", "correct horse "));
        Assert.False(credentials.Verify("eve", "correct horse"));
        Assert.False(credentials.Verify("", ""));
    }

    [Fact]
    public void HashLine_StoresASaltedHash_NotThePassword()
    {
        var first = AdminCredentials.HashLine("ops", "correct horse", 1_000);
        var second = AdminCredentials.HashLine("ops", "correct horse", 1_000);

        Assert.DoesNotContain("correct horse", first, StringComparison.Ordinal);
        Assert.StartsWith("ops:pbkdf2-sha256$1000$", first, StringComparison.Ordinal);
        Assert.NotEqual(first, second); // a fresh salt each time
    }

    [Fact]
    public void CommentsAndBlankLines_AreSkipped()
    {
        var credentials = Load("# admin page users", "", AdminCredentials.HashLine("ops", "pw-123456", 1_000));
        Assert.Equal(1, credentials.Count);
    }

    [Theory]
    [InlineData("ops:plaintext-password")]
    [InlineData("ops:pbkdf2-sha256$1000$c2FsdHNhbHQ=")]
    [InlineData("ops:md5$1000$c2FsdHNhbHQ=$AAAA")]
    [InlineData("ops:pbkdf2-sha256$10$c2FsdHNhbHQ=$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    [InlineData("ops:pbkdf2-sha256$1000$not base64$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    [InlineData(":pbkdf2-sha256$1000$c2FsdHNhbHQ=$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    public void MalformedLine_IsRefusedByNumber_WithoutEchoingIt(string line)
    {
        Assert.False(AdminCredentials.TryParse(["# users", line], out _, out var problem));
        Assert.StartsWith("line 2 ", problem, StringComparison.Ordinal);
        Assert.DoesNotContain(line, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void EmptyFile_IsRefused()
    {
        Assert.False(AdminCredentials.TryParse(["# nobody yet"], out _, out var problem));
        Assert.Contains("set-password", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void BasicAuthentication_AcceptsTheRightHeaderOnly()
    {
        var basic = new BasicAuthentication(Load(AdminCredentials.HashLine("ops", "pa:ss word", 1_000)));
        static string Header(string pair) => "Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(pair));

        Assert.True(basic.IsAuthorized(Header("ops:pa:ss word"))); // RFC 7617: the password may contain a colon
        Assert.True(basic.IsAuthorized(Header("ops:pa:ss word"))); // again, from the cache of the last accepted header
        Assert.False(basic.IsAuthorized(Header("ops:pa:ss wor")));
        Assert.False(basic.IsAuthorized(Header("opspa:ss word")));
        Assert.False(basic.IsAuthorized(Header("ops")));
        Assert.False(basic.IsAuthorized("Basic !!!not-base64"));
        Assert.False(basic.IsAuthorized("Bearer abc"));
        Assert.False(basic.IsAuthorized(null));
    }
}
