using System.Runtime.CompilerServices;

namespace Gateway.Storage.Tests;

/// <summary>
/// SQLite takes its process-wide settings only before its first open, and <see cref="SqliteDatabase"/> sets them in its
/// static constructor, as it does in the service. Run before any test, so a test that opens a plain connection first
/// cannot change what the others see (SqliteDatabaseTests.Memory_statistics_are_off…).
/// </summary>
internal static class SqliteProcessSettings
{
#pragma warning disable CA2255 // a test assembly, not a library: its tests must see SQLite set up as the service sets it up
    [ModuleInitializer]
    internal static void AsTheServiceSetsThem() => RuntimeHelpers.RunClassConstructor(typeof(SqliteDatabase).TypeHandle);
#pragma warning restore CA2255
}
