using System.Reflection;
using Microsoft.Data.Sqlite;

namespace Gateway.Storage;

/// <summary>
/// Applies the embedded <c>Migrations/NNNN_name.sql</c> scripts whose number is above
/// <c>PRAGMA user_version</c>, each with the version bump in the same transaction.
/// </summary>
internal static class SchemaMigrator
{
    private const string Prefix = "Gateway.Storage.Migrations.";

    public static int LatestVersion => Scripts.Value[^1].Version;

    private static readonly Lazy<IReadOnlyList<(int Version, string Name)>> Scripts = new(() =>
        typeof(SchemaMigrator).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Select(n => (Version: int.Parse(n.AsSpan(Prefix.Length, 4), provider: System.Globalization.CultureInfo.InvariantCulture), Name: n))
            .OrderBy(s => s.Version)
            .ToList());

    public static void Migrate(SqliteConnection connection)
    {
        foreach (var (version, name) in Scripts.Value)
        {
            // IMMEDIATE takes the write lock before reading the version, so the CLI and the service
            // starting together cannot both apply the same script.
            using var transaction = connection.BeginTransaction(deferred: false);
            var current = Convert.ToInt32(ScalarIn(connection, transaction, "PRAGMA user_version"));
            if (current > LatestVersion)
            {
                throw new InvalidOperationException(
                    $"The database schema is version {current}, newer than this program's {LatestVersion}; refusing to downgrade it.");
            }
            if (current >= version)
            {
                continue;
            }
            using var stream = typeof(SchemaMigrator).Assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            SqliteDatabase.Execute(connection, reader.ReadToEnd(), transaction);
            SqliteDatabase.Execute(connection, $"PRAGMA user_version={version}", transaction);
            transaction.Commit();
        }
    }

    private static object? ScalarIn(SqliteConnection connection, SqliteTransaction transaction, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
