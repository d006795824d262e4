using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Data.Sqlite;

namespace Gateway.Storage.Content;

/// <summary>
/// <see cref="IContentStore"/>: metadata in the gateway database, each body a file in
/// <see cref="StorageOptions.ContentDir"/> named by a fresh GUID, written once and replaced only by
/// pointing the row at a new file. Bodies of databases from before schema 8 (chunks in the database)
/// are moved into files on first use.
/// </summary>
public sealed class SqliteContentStore : IContentStore, IDisposable
{
    private const string Columns = "name, content_type, size, sha256, etag, meta, updated_ms";
    private const string PartialSuffix = ".part";
    /// <summary>A file no row names is left alone this long: a concurrent <c>content add</c> may be between rename and commit.</summary>
    private static readonly TimeSpan OrphanAge = TimeSpan.FromHours(1);

    private readonly SqliteDatabase _database;
    private readonly TimeProvider _time;
    private readonly ContentFiles _files;
    // The file each name was last opened from, so a body replaced by another process (the CLI) gets its handle closed.
    private readonly ConcurrentDictionary<string, string> _opened = new(StringComparer.Ordinal);
    private readonly Lock _tidyGate = new();
    private bool _tidied;

    public SqliteContentStore(SqliteDatabase database, TimeProvider? time = null)
    {
        _database = database;
        _time = time ?? TimeProvider.System;
        _files = new ContentFiles(database.Options.ContentDir);
    }

    public async Task<ContentInfo> PutAsync(string name, string contentType, Stream body, string? meta = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        Tidy();
        var file = ContentFiles.NewName();
        var (size, digest) = await WriteFileAsync(name, file, body, cancellationToken).ConfigureAwait(false);
        string? old;
        try
        {
            using var connection = _database.OpenConnection();
            // One transaction: a device opening the name gets the old body or the new one, never a mix.
            using var transaction = connection.BeginTransaction(deferred: false);
            old = Sql.Scalar(connection, "SELECT file FROM content WHERE name = $n", ("$n", name)) as string;
            Sql.Execute(connection, "DELETE FROM content WHERE name = $n", ("$n", name));
            Sql.Execute(connection,
                "INSERT INTO content (name, content_type, size, sha256, etag, meta, chunk_size, updated_ms, file) VALUES ($n, $t, $z, $h, $e, $m, 0, $u, $f)",
                ("$n", name), ("$t", contentType), ("$z", size), ("$h", digest), ("$e", digest[..8]), ("$m", meta),
                ("$u", _time.GetUtcNow().ToUnixTimeMilliseconds()), ("$f", file));
            transaction.Commit();
        }
        catch
        {
            DeleteQuietly(file);
            throw;
        }
        if (old is not null) DeleteQuietly(old);
        return (await GetInfoAsync(name, cancellationToken).ConfigureAwait(false))!;
    }

    public Task<ContentReader?> OpenAsync(string name, CancellationToken cancellationToken = default)
    {
        Tidy();
        using var connection = _database.OpenConnection();
        var found = Sql.Query(connection, $"SELECT {Columns}, file FROM content WHERE name = $n", r => (Info: Map(r), File: r.NullableString(7)), ("$n", name));
        if (found.Count == 0 || found[0].File is not { } file) return Task.FromResult<ContentReader?>(null);
        if (_opened.TryGetValue(name, out var previous) && previous != file) _files.Close(previous);
        _opened[name] = file;
        return Task.FromResult<ContentReader?>(new ContentReader(found[0].Info, _files, file));
    }

    public Task<ContentInfo?> GetInfoAsync(string name, CancellationToken cancellationToken = default)
    {
        using var connection = _database.OpenConnection();
        return Task.FromResult(Sql.Query(connection, $"SELECT {Columns} FROM content WHERE name = $n", Map, ("$n", name)).SingleOrDefault());
    }

    public Task<IReadOnlyList<ContentInfo>> ListAsync(CancellationToken cancellationToken = default)
    {
        using var connection = _database.OpenConnection();
        return Task.FromResult<IReadOnlyList<ContentInfo>>(Sql.Query(connection, $"SELECT {Columns} FROM content ORDER BY name", Map));
    }

    public async Task<int> ReadAsync(string name, long offset, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        var reader = await OpenAsync(name, cancellationToken).ConfigureAwait(false);
        return reader?.Read(offset, destination.Span) ?? 0;
    }

    public Task<bool> DeleteAsync(string name, CancellationToken cancellationToken = default)
    {
        using var connection = _database.OpenConnection();
        var file = Sql.Query(connection, "DELETE FROM content WHERE name = $n RETURNING file", r => r.NullableString(0), ("$n", name));
        if (file.Count == 1 && file[0] is { } deleted) DeleteQuietly(deleted);
        return Task.FromResult(file.Count == 1);
    }

    public void Dispose() => _files.Dispose();

    /// <summary>Streams <paramref name="body"/> into <c>file.part</c>, hashing it once; fsync, rename, directory fsync.</summary>
    private async Task<(long Size, byte[] Digest)> WriteFileAsync(string name, string file, Stream body, CancellationToken cancellationToken)
    {
        string partial = CreatePartial(file);
        long limit = _database.Options.MaxContentBytes;
        var buffer = new byte[Math.Max(1024, _database.Options.ContentChunkSize)];
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long size = 0;
        try
        {
            await using (var output = new FileStream(partial, WriteOptions()))
            {
                int read;
                while ((read = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    size += read;
                    if (size > limit) throw new ContentTooLargeException(name, limit);
                    sha.AppendData(buffer, 0, read);
                    await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                }
                output.Flush(flushToDisk: true);
            }
            File.Move(partial, _files.PathOf(file));
            _files.SyncDirectory();
        }
        catch
        {
            File.Delete(partial);
            throw;
        }
        return (size, sha.GetHashAndReset());
    }

    /// <summary>
    /// Once per store: bodies still in <c>content_chunk</c> (schema before 8) are moved into files, and files no
    /// row names (a crash between writing and committing) are deleted once they are old enough to be no one's.
    /// </summary>
    private void Tidy()
    {
        lock (_tidyGate)
        {
            if (_tidied) return;
            using var connection = _database.OpenConnection();
            var legacy = Sql.Query(connection, "SELECT id FROM content WHERE file IS NULL", r => r.GetInt64(0));
            foreach (long id in legacy) MoveChunksToFile(connection, id);
            var named = Sql.Query(connection, "SELECT file FROM content WHERE file IS NOT NULL", r => r.GetString(0)).ToHashSet(StringComparer.Ordinal);
            var cutoff = _time.GetUtcNow().UtcDateTime - OrphanAge;
            foreach (var (file, written) in _files.List())
            {
                if (!named.Contains(file) && written < cutoff) DeleteQuietly(file);
            }
            _tidied = true;
        }
    }

    private void MoveChunksToFile(SqliteConnection connection, long id)
    {
        var file = ContentFiles.NewName();
        string partial = CreatePartial(file);
        using (var output = new FileStream(partial, WriteOptions()))
        {
            using var command = Sql.Command(connection, "SELECT data FROM content_chunk WHERE content_id = $i ORDER BY seq", ("$i", id));
            using var reader = command.ExecuteReader();
            while (reader.Read()) output.Write((byte[])reader.GetValue(0));
            output.Flush(flushToDisk: true);
        }
        File.Move(partial, _files.PathOf(file));
        _files.SyncDirectory();
        using var transaction = connection.BeginTransaction(deferred: false);
        // Another process (the CLI and the service share the database) may have moved it first.
        if (Sql.Execute(connection, "UPDATE content SET file = $f WHERE id = $i AND file IS NULL", ("$f", file), ("$i", id)) == 0) DeleteQuietly(file);
        Sql.Execute(connection, "DELETE FROM content_chunk WHERE content_id = $i", ("$i", id));
        transaction.Commit();
    }

    /// <summary>The path a new body is written at before its rename; the directory is owner-only, like the database's.</summary>
    private string CreatePartial(string file)
    {
        if (OperatingSystem.IsWindows()) System.IO.Directory.CreateDirectory(_files.Directory);
        else System.IO.Directory.CreateDirectory(_files.Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return _files.PathOf(file + PartialSuffix);
    }

    private static FileStreamOptions WriteOptions()
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, BufferSize = 0 };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        return options;
    }

    private void DeleteQuietly(string file)
    {
        try
        {
            _files.Delete(file);
        }
        catch (IOException)
        {
            // Left behind; the next store's tidy-up deletes it.
        }
    }

    private static ContentInfo Map(SqliteDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetInt64(2), (byte[])r.GetValue(3), (byte[])r.GetValue(4), r.NullableString(5), r.UnixMs(6));
}
