namespace Gateway.Interop.Tests.Support;

/// <summary>One real gateway process per test class (classes run in parallel, each against its own).</summary>
public sealed class GatewayProcessFixture : IAsyncLifetime
{
    private GatewayProcess? _gateway;

    public GatewayProcess Gateway => _gateway ?? throw new InvalidOperationException("The gateway has not started.");

    public async Task InitializeAsync() => _gateway = await GatewayProcess.StartAsync();

    public async Task DisposeAsync()
    {
        if (_gateway is not null) await _gateway.DisposeAsync();
    }
}
