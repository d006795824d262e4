using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text;
using Gateway.Host.Admin;
using Gateway.Interop.Tests.Support;
using Gateway.TestKit;

namespace Gateway.Interop.Tests.Admin;

/// <summary>
/// Issue 19: the admin listener of the real gateway. Loopback by default (the host's other address
/// is refused), basic auth when <c>Admin:Bind</c> is widened (401 without the credential, 200 with it),
/// start refused in one line when widened without a credential file, nothing listening when disabled.
/// </summary>
public sealed class AdminListenerTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("coapgw-admin-").FullName;
    private readonly int _port = FreePort.Tcp();
    private readonly List<GatewayProcess> _gateways = [];

    private string DataDir => Path.Combine(_dir, "data");

    private string Port => _port.ToString(CultureInfo.InvariantCulture);

    public Task InitializeAsync() => Task.CompletedTask;

    [NonLoopbackAddressFact]
    public async Task Default_ListensOnLoopbackOnly_TheHostsOtherAddressIsRefused()
    {
        await StartAsync("--Admin:Enabled=true", $"--Admin:Port={Port}");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };

        var page = await http.GetAsync(new Uri($"http://127.0.0.1:{Port}/"));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("default-src 'none'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        // Read-only, and the device API or /metrics never answer on the admin port.
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await http.PostAsync(new Uri($"http://127.0.0.1:{Port}/api/status"), new StringContent(""))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri($"http://127.0.0.1:{Port}/metrics"))).StatusCode);

        var other = NonLoopbackAddressFactAttribute.Address!;
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var refused = await Assert.ThrowsAsync<SocketException>(() => socket.ConnectAsync(other, _port).WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }

    [Fact]
    public async Task Widened_RequiresTheCredential_401WithoutAnd200With()
    {
        var credentials = Path.Combine(_dir, "admin-users");
        await SetPasswordAsync("ops", "correct horse battery", credentials);
        Assert.DoesNotContain("correct horse battery", await File.ReadAllTextAsync(credentials), StringComparison.Ordinal);
        await StartAsync("--Admin:Enabled=true", $"--Admin:Port={Port}", "--Admin:Bind=0.0.0.0", $"--Admin:CredentialFile={credentials}");
        // Through the host's other address when it has one: that is who a widened bind lets in.
        var host = NonLoopbackAddressFactAttribute.Address?.ToString() ?? "127.0.0.1";
        var uri = new Uri($"http://{host}:{Port}/api/status");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };

        var anonymous = await http.GetAsync(uri);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("Basic", anonymous.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(http, uri, "ops:wrong password")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(http, uri, "eve:correct horse battery")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync(new Uri($"http://{host}:{Port}/"))).StatusCode);

        var authorized = await SendAsync(http, uri, "ops:correct horse battery");
        Assert.Equal(HttpStatusCode.OK, authorized.StatusCode);
        Assert.Contains("\"authentication\":true", await authorized.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // Guessing: after 10 wrong credentials from one address within a minute even the right one is 429
        // (RFC 6585 §4) with a Retry-After, and the password is no longer checked for that address.
        for (int i = 0; i < AuthenticationThrottle.MaxFailures; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(http, uri, $"ops:guess {i}")).StatusCode);
        var throttled = await SendAsync(http, uri, "ops:correct horse battery");
        Assert.Equal((HttpStatusCode)429, throttled.StatusCode);
        var retryAfter = throttled.Headers.RetryAfter?.Delta;
        Assert.True(retryAfter is { } delta && delta > TimeSpan.Zero && delta <= TimeSpan.FromSeconds(60), $"Retry-After {retryAfter}");
    }

    [Fact]
    public async Task WidenedWithoutCredentialFile_StartRefusedInOneLine_Exit2()
    {
        var output = new StringBuilder();
        using var process = GatewayProcess.Launch(["run", $"--data-dir={DataDir}", $"--Coap:Port={FreePort.Udp()}", "--Http:Port=0", "--Admin:Enabled=true", $"--Admin:Port={Port}", "--Admin:Bind=::"], output);
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(limit.Token);

        Assert.Equal(2, process.ExitCode);
        Assert.Equal("coap-gateway: Admin:Bind: '::' is not loopback, so Admin:CredentialFile is required (create it with: coap-gateway admin set-password USER)",
            output.ToString().Trim());
    }

    [Fact]
    public async Task Disabled_NothingListens()
    {
        // The HTTP API on: Kestrel runs and has bound its listeners once that line is out, so a
        // wrongly bound admin port would be accepting connections by the time we knock.
        int httpPort = FreePort.Tcp();
        var gateway = await StartAsync("--Admin:Enabled=false", $"--Admin:Port={Port}", $"--Http:Port={httpPort.ToString(CultureInfo.InvariantCulture)}", "--Http:Address=127.0.0.1");
        await gateway.WaitForOutputAsync("HTTP listening on");
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var refused = await Assert.ThrowsAsync<SocketException>(() => socket.ConnectAsync(IPAddress.Loopback, _port).WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        Assert.DoesNotContain("Admin status page", gateway.Output, StringComparison.Ordinal);
    }

    private async Task<GatewayProcess> StartAsync(params string[] arguments)
    {
        var gateway = await GatewayProcess.StartAsync(DataDir, arguments);
        _gateways.Add(gateway);
        if (arguments.Contains("--Admin:Enabled=true")) await gateway.WaitForOutputAsync("Admin status page on");
        return gateway;
    }

    private static Task<HttpResponseMessage> SendAsync(HttpClient http, Uri uri, string pair)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(pair)));
        return http.SendAsync(request);
    }

    /// <summary><c>coap-gateway admin set-password USER --file PATH</c> with the password on standard input.</summary>
    private static async Task SetPasswordAsync(string user, string password, string file)
    {
        var output = new StringBuilder();
        using var process = GatewayProcess.Launch(["admin", "set-password", user, "--file", file], output);
        await process.StandardInput.WriteLineAsync(password);
        process.StandardInput.Close();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(limit.Token);
        Assert.True(process.ExitCode == 0, output.ToString());
    }

    public async Task DisposeAsync()
    {
        foreach (var gateway in _gateways) await gateway.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}

/// <summary>A fact that needs an IPv4 address of this host other than loopback (what <c>ip -4 addr</c> lists); skipped, saying so, when there is none.</summary>
public sealed class NonLoopbackAddressFactAttribute : FactAttribute
{
    public static readonly IPAddress? Address = NetworkInterface.GetAllNetworkInterfaces()
        .Where(i => i.OperationalStatus == OperationalStatus.Up)
        .SelectMany(i => i.GetIPProperties().UnicastAddresses)
        .Select(a => a.Address)
        .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));

    public NonLoopbackAddressFactAttribute()
    {
        if (Address is null) Skip = "this host has no IPv4 address other than loopback (ip -4 addr), so there is nothing to be refused on";
    }
}
