using Gateway.Storage.Outbox;

namespace Gateway.Storage.Tests.Outbox;

public sealed class InMemoryOutboxTests : OutboxContractTests
{
    protected override IOutbox Create(StorageOptions options, TimeProvider time, Func<long> freeBytes) =>
        new InMemoryOutbox(options, time, freeBytes);
}
