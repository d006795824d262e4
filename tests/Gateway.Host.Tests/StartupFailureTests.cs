using System.Net;
using System.Net.Sockets;
using Gateway.Host.Tests.Support;
using Gateway.TestKit;

namespace Gateway.Host.Tests;

/// <summary>
/// What an operator sees when the service cannot start (issue 20.4, 20.7): one line on stderr naming
/// the cause, exit 1, no stack trace and no crash notice in the log, and no second gateway on a
/// data directory that one already uses.
/// </summary>
public sealed class StartupFailureTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static void AssertNoTrace(CliResult result)
    {
        Assert.DoesNotContain("   at ", result.Stdout + result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("crit:", result.Stdout + result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("fail:", result.Stdout + result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CoapPortInUse_OneLineNamingTheSocket_Exit1()
    {
        using var holder = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp) { DualMode = true };
        holder.Bind(new IPEndPoint(IPAddress.IPv6Any, 0));
        var port = ((IPEndPoint)holder.LocalEndPoint!).Port;

        var result = await GatewayExecutable.RunAsync(_dir.Path, ["run", $"--Coap:Port={port}", "--Http:Port=0", "--data-dir", _dir.Combine("data")]);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal($"coap-gateway: cannot listen: CoAP on UDP [::]:{port}: Address already in use", Assert.Single(result.ErrorLines));
        AssertNoTrace(result);
    }

    [Fact]
    public async Task HttpPortInUse_OneLine_Exit1()
    {
        using var holder = new TcpListener(IPAddress.IPv6Any, 0);
        holder.Server.DualMode = true;
        holder.Start();
        var port = ((IPEndPoint)holder.LocalEndpoint).Port;

        var result = await GatewayExecutable.RunAsync(_dir.Path, ["run", $"--Coap:Port={FreePort.Udp()}", $"--Http:Port={port}", "--data-dir", _dir.Combine("data")]);

        Assert.True(result.ExitCode == 1, result.ToString());
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("coap-gateway: cannot listen: ", line, StringComparison.Ordinal);
        Assert.Contains($":{port}", line, StringComparison.Ordinal);
        AssertNoTrace(result);
    }

    [Fact]
    public async Task SecondGatewayOnTheSameDataDirectory_Exit1NamingTheDirectoryAndTheHolder_ThenStartsOnceTheFirstIsGone()
    {
        var data = _dir.Combine("data");
        await using (var first = await RunningGateway.StartAsync(data))
        {
            var second = await GatewayExecutable.RunAsync(_dir.Path, ["run", $"--Coap:Port={FreePort.Udp()}", "--Http:Port=0", "--data-dir", data]);

            Assert.True(second.ExitCode == 1, second.ToString());
            Assert.Equal($"coap-gateway: data directory {data} is in use by another gateway (PID {first.Pid}); stop it, or give this one its own --data-dir",
                Assert.Single(second.ErrorLines));
            AssertNoTrace(second);
            Assert.False(first.HasExited, first.Output);

            // The kernel drops the lock with its holder, however it dies: no stale lock after SIGKILL.
            first.Signal(9);
            Assert.NotNull(await first.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        }

        await using var third = await RunningGateway.StartAsync(data);
        Assert.False(third.HasExited, third.Output);
    }

    [Fact]
    public async Task CliCommands_RunBesideTheService()
    {
        var data = _dir.Combine("data");
        await using var service = await RunningGateway.StartAsync(data);

        var add = await GatewayExecutable.RunAsync(_dir.Path, ["devices", "add", "Beside", "--data-dir", data]);
        var status = await GatewayExecutable.RunAsync(_dir.Path, ["status", "--data-dir", data]);

        Assert.True(add.ExitCode == 0, add.ToString());
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Contains($"running, pid {service.Pid}", status.Stdout, StringComparison.Ordinal);
    }
}
