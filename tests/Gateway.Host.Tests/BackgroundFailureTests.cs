using System.Text;
using Gateway.Host.Tests.Support;
using Gateway.Storage;
using Gateway.Storage.Outbox;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Gateway.Host.Tests;

/// <summary>
/// A crashed BackgroundService stops the host, and the process must then exit non-zero so that
/// systemd's Restart=on-failure restarts it (the Generic Host alone exits 0: dotnet/runtime#67146).
/// </summary>
public sealed class BackgroundFailureTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private sealed class CrashingService : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            await Task.Delay(300, stoppingToken);
            throw new InvalidOperationException("simulated crash of a background loop");
        }
    }

    [Fact]
    public async Task CrashedBackgroundService_ExitCodeOne()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:DataDir"] = _dir.Combine("data"),
            ["Coap:Port"] = "0",
            ["Coap:Address"] = "::1",
            ["Http:Port"] = "0",
            ["Admin:Enabled"] = "false",
        }).Build();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var exitCode = await GatewayApplication.RunAsync(configuration, builder => builder.Services.AddHostedService<CrashingService>(), limit.Token);
        Assert.False(limit.IsCancellationRequested, "the host did not stop after the crash");
        Assert.Equal(1, exitCode);
    }

    [Fact]
    public async Task DamagedDatabase_OneLine_ExitCodeOne()
    {
        var data = _dir.Combine("data");
        Directory.CreateDirectory(data);
        await File.WriteAllBytesAsync(Path.Combine(data, "gateway.db"), new byte[8192].Select((_, i) => (byte)(i * 7)).ToArray());
        await using var gateway = RunningGateway.Launch(data, http: false);
        var exitCode = await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.True(exitCode == 1, $"exit {exitCode}\n{gateway.Output}");
        Assert.Contains("coap-gateway: The gateway database", gateway.Output, StringComparison.Ordinal);
        Assert.Contains("is damaged", gateway.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DamagedOutboxRows_FoundAfterReady_OneLine_ExitCodeOne()
    {
        var data = _dir.Combine("data");
        var options = new StorageOptions { DataDir = data };
        using (var database = SqliteDatabase.Open(options))
        {
            await using var outbox = new SqliteOutbox(database);
            for (var i = 0; i < 3000; i++)
            {
                await outbox.EnqueueAsync(new OutboxMessage($"dev-{i % 7}", OutboxMessageKind.Telemetry, Encoding.UTF8.GetBytes($"{{\"n\":{i},\"pad\":\"{new string('x', 200)}\"}}")));
            }
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var file = await File.ReadAllBytesAsync(options.DatabasePath);
        // The rows stored last fill the file's last pages; the integrity check that would find this is turned off.
        new Random(5).NextBytes(file.AsSpan(file.Length - 4096 * 30, 4096 * 8));
        await File.WriteAllBytesAsync(options.DatabasePath, file);

        await using var gateway = RunningGateway.Launch(data, ["--Storage:IntegrityCheckOnOpen=None"], http: false);
        var exitCode = await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.True(exitCode == 1, $"exit {exitCode}\n{gateway.Output}");
        Assert.Contains("coap-gateway: The gateway database", gateway.Output, StringComparison.Ordinal);
        Assert.Contains("is damaged", gateway.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", gateway.Output, StringComparison.Ordinal);
    }
}
