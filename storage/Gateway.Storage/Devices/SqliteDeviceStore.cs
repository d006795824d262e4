using System.Security.Cryptography;
using Microsoft.Data.Sqlite;

namespace Gateway.Storage.Devices;

/// <summary>
/// <see cref="IDeviceStore"/> on the gateway database. Each call opens a pooled connection and runs
/// synchronously: these are rare, small statements and the CLI shares the same code. The exception is the PSK
/// lookup, which every DTLS handshake makes: it keeps a connection and its prepared statement (opening a connection
/// runs its PRAGMAs, and preparing parses the query: half of the lookup's time).
/// </summary>
public sealed class SqliteDeviceStore(SqliteDatabase database, TimeProvider? time = null) : IDeviceStore, IDisposable
{
    private const int SqliteConstraint = 19;
    private const string Columns = "id, name, profile, token_hash IS NOT NULL, vendor, model, serial, activated, created_ms, psk_identity, cert_sha256 IS NOT NULL";
    private const string Alphanumerics = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    // Loaded once the database has a credential key. Storing a credential creates the key; a lookup in a
    // database without one answers "unknown" without drawing a key (which would map OpenSSL for nothing).
    private CredentialHasher? _hasher;
    private readonly Lazy<PskKeyProtector> _psk = new(() => PskKeyProtector.Load(Path.GetDirectoryName(database.Path)!));
    // The PSK lookup's own connection and statement, opened by the first lookup; one lookup at a time.
    private readonly object _pskLookupGate = new();
    private SqliteConnection? _pskConnection;
    private SqliteCommand? _pskQuery;
    private bool _disposed;

    public Task<string?> AddAsync(NewDevice device, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(device);
        var exosite = device.Vendor is not null || device.Model is not null || device.Serial is not null;
        if (exosite && (device.Vendor is null || device.Model is null || device.Serial is null))
        {
            throw new ArgumentException("An Exosite device needs vendor, model and serial together.", nameof(device));
        }
        if ((device.PskIdentity is null) != (device.PskKey is null)) throw new ArgumentException("A PSK identity needs its key and a key its identity.", nameof(device));
        var token = device.Token ?? (exosite ? null : RandomNumberGenerator.GetString(Alphanumerics, 20));
        var sealedPsk = device.PskIdentity is { } identity ? _psk.Value.Protect(identity, device.PskKey) : null;
        var hash = token is null ? null : Hasher.Hash(token);
        using var connection = database.OpenConnection();
        using var transaction = connection.BeginTransaction(deferred: false);
        if (hash is not null && FindByHash(connection, "token", hash) is not null)
        {
            throw new InvalidOperationException("Another device already uses this access token.");
        }
        try
        {
            Sql.Execute(connection,
                "INSERT INTO device (name, profile, token_prefix, token_hash, vendor, model, serial, created_ms, psk_identity, psk_key, cert_sha256) VALUES ($n, $p, $tp, $th, $v, $m, $s, $c, $pi, $pk, $cs)",
                ("$n", device.Name), ("$p", device.Profile), ("$tp", hash is null ? null : CredentialHasher.Prefix(hash)), ("$th", hash),
                ("$v", device.Vendor), ("$m", device.Model), ("$s", device.Serial), ("$c", _time.GetUtcNow().ToUnixTimeMilliseconds()),
                ("$pi", device.PskIdentity), ("$pk", sealedPsk), ("$cs", device.CertificateSha256));
        }
        catch (SqliteException e) when (e.SqliteErrorCode == SqliteConstraint)
        {
            throw new InvalidOperationException($"A device named '{device.Name}' (or with this vendor/model/serial, PSK identity or certificate) already exists.", e);
        }
        transaction.Commit();
        return Task.FromResult(token);
    }

    // Races load the same key twice at worst (CredentialHasher.Load is safe against concurrent creation).
    private CredentialHasher Hasher => _hasher ??= CredentialHasher.Load(database);

    private CredentialHasher? ExistingHasher(SqliteConnection connection) => _hasher ??= CredentialHasher.TryLoad(connection);

    public Task<DeviceRecord?> FindByTokenAsync(string token, CancellationToken cancellationToken = default)
    {
        using var connection = database.OpenConnection();
        return Task.FromResult(ExistingHasher(connection) is { } hasher ? FindByHash(connection, "token", hasher.Hash(token)) : null);
    }

    public Task<DeviceRecord?> FindByCikAsync(string cik, CancellationToken cancellationToken = default)
    {
        using var connection = database.OpenConnection();
        return Task.FromResult(ExistingHasher(connection) is { } hasher ? FindByHash(connection, "cik", hasher.Hash(cik)) : null);
    }

    public Task<(DeviceRecord Device, byte[] Key)?> FindByPskIdentityAsync(string identity, CancellationToken cancellationToken = default)
    {
        (DeviceRecord? Device, byte[]? Sealed) row = default;
        lock (_pskLookupGate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _pskConnection ??= database.OpenConnection();
            _pskQuery ??= Sql.Command(_pskConnection, $"SELECT {Columns}, psk_key FROM device WHERE psk_identity = $i", ("$i", ""));
            _pskQuery.Parameters[0].Value = identity;
            // Each execution is a read transaction of its own (ended when the reader is disposed): a device the CLI
            // added a moment ago is found.
            using var reader = _pskQuery.ExecuteReader();
            if (reader.Read()) row = (Map(reader), (byte[])reader.GetValue(11)); // psk_identity is unique
        }
        if (row.Device is null || _psk.Value.Unprotect(identity, row.Sealed) is not { } key) return Task.FromResult<(DeviceRecord, byte[])?>(null);
        return Task.FromResult<(DeviceRecord, byte[])?>((row.Device, key));
    }

    /// <summary>Closes the PSK lookup's connection (the others are pooled per call).</summary>
    public void Dispose()
    {
        lock (_pskLookupGate)
        {
            _disposed = true;
            _pskQuery?.Dispose();
            _pskConnection?.Dispose();
            (_pskQuery, _pskConnection) = (null, null);
        }
    }

    public Task<DeviceRecord?> FindByCertificateAsync(byte[] sha256, CancellationToken cancellationToken = default)
    {
        using var connection = database.OpenConnection();
        return Task.FromResult(Sql.Query(connection, $"SELECT {Columns} FROM device WHERE cert_sha256 = $h", Map, ("$h", sha256)).SingleOrDefault());
    }

    public Task<DeviceRecord?> FindByNameAsync(string name, CancellationToken cancellationToken = default)
    {
        using var connection = database.OpenConnection();
        return Task.FromResult(Sql.Query(connection, $"SELECT {Columns} FROM device WHERE name = $n", Map, ("$n", name)).SingleOrDefault());
    }

    public Task<string?> ActivateAsync(string vendor, string model, string serial, CancellationToken cancellationToken = default)
    {
        var cik = RandomNumberGenerator.GetHexString(40, lowercase: true);
        var hash = Hasher.Hash(cik);
        using var connection = database.OpenConnection();
        var updated = Sql.Execute(connection,
            "UPDATE device SET activated = 1, cik_prefix = $p, cik_hash = $h WHERE vendor = $v AND model = $m AND serial = $s AND activated = 0",
            ("$p", CredentialHasher.Prefix(hash)), ("$h", hash), ("$v", vendor), ("$m", model), ("$s", serial));
        return Task.FromResult(updated == 1 ? cik : null);
    }

    public Task<DeviceCount> CountAsync(CancellationToken cancellationToken = default)
    {
        using var connection = database.OpenConnection();
        return Task.FromResult(Sql.Query(connection,
            "SELECT count(*), count(CASE WHEN serial IS NOT NULL AND activated = 0 THEN 1 END) FROM device",
            r => new DeviceCount(r.GetInt32(0), r.GetInt32(1))).Single());
    }

    public Task<IReadOnlyList<DeviceRecord>> ListAsync(CancellationToken cancellationToken = default)
    {
        using var connection = database.OpenConnection();
        return Task.FromResult<IReadOnlyList<DeviceRecord>>(Sql.Query(connection, $"SELECT {Columns} FROM device ORDER BY name", Map));
    }

    public Task<bool> RemoveAsync(string name, CancellationToken cancellationToken = default)
    {
        using var connection = database.OpenConnection();
        using var transaction = connection.BeginTransaction(deferred: false);
        var removed = Sql.Execute(connection, "DELETE FROM device WHERE name = $n", ("$n", name)) == 1;
        if (removed)
        {
            // The outbox keeps the device's queued rows: they were acknowledged to the device and still go upstream.
            foreach (var table in new[] { "attribute", "dataport_value", "downlink", "observe_relation", "cloud_name" })
            {
                Sql.Execute(connection, $"DELETE FROM {table} WHERE device = $n", ("$n", name));
            }
        }
        transaction.Commit();
        return Task.FromResult(removed);
    }

    private static DeviceRecord? FindByHash(SqliteConnection connection, string credential, byte[] hash)
    {
        // The prefix narrows to (almost always) one row; the full digest decides, in constant time.
        var candidates = Sql.Query(connection, $"SELECT {Columns}, {credential}_hash FROM device WHERE {credential}_prefix = $p",
            r => (Device: Map(r), Hash: (byte[])r.GetValue(11)), ("$p", CredentialHasher.Prefix(hash)));
        return candidates.FirstOrDefault(c => CredentialHasher.Matches(hash, c.Hash)).Device;
    }

    private static DeviceRecord Map(SqliteDataReader r) => new(
        r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetBoolean(3), r.NullableString(4), r.NullableString(5), r.NullableString(6),
        r.GetBoolean(7), r.UnixMs(8), r.NullableString(9), r.GetBoolean(10));
}
