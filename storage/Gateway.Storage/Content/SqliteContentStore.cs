using System.Security.Cryptography;
using Microsoft.Data.Sqlite;

namespace Gateway.Storage.Content;

/// <summary><see cref="IContentStore"/> on the gateway database, in chunks of <see cref="StorageOptions.ContentChunkSize"/> bytes.</summary>
public sealed class SqliteContentStore(SqliteDatabase database, TimeProvider? time = null) : IContentStore
{
    private const string Columns = "name, content_type, size, sha256, etag, meta, updated_ms";

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public async Task<ContentInfo> PutAsync(string name, string contentType, Stream body, string? meta = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        var chunkSize = Math.Max(1024, database.Options.ContentChunkSize);
        using var connection = database.OpenConnection();
        // One transaction: a device reading during the replacement sees the old body or the new one, never a mix.
        using var transaction = connection.BeginTransaction(deferred: false);
        Sql.Execute(connection, "DELETE FROM content WHERE name = $n", ("$n", name));
        var id = (long)Sql.Scalar(connection,
            "INSERT INTO content (name, content_type, size, sha256, etag, meta, chunk_size, updated_ms) VALUES ($n, $t, 0, x'', x'', $m, $c, $u) RETURNING id",
            ("$n", name), ("$t", contentType), ("$m", meta), ("$c", chunkSize), ("$u", _time.GetUtcNow().ToUnixTimeMilliseconds()))!;

        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var insert = Sql.Command(connection, "INSERT INTO content_chunk (content_id, seq, data) VALUES ($i, $s, $d)", ("$i", id), ("$s", 0), ("$d", Array.Empty<byte>()));
        var buffer = new byte[chunkSize];
        long size = 0;
        for (var seq = 0; ; seq++)
        {
            var filled = await body.ReadAtLeastAsync(buffer, chunkSize, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            if (filled == 0)
            {
                break;
            }
            sha.AppendData(buffer, 0, filled);
            insert.Parameters["$s"].Value = seq;
            insert.Parameters["$d"].Value = buffer[..filled];
            insert.ExecuteNonQuery();
            size += filled;
        }
        var digest = sha.GetHashAndReset();
        Sql.Execute(connection, "UPDATE content SET size = $z, sha256 = $h, etag = $e WHERE id = $i",
            ("$z", size), ("$h", digest), ("$e", digest[..8]), ("$i", id));
        transaction.Commit();
        return (await GetInfoAsync(name, cancellationToken).ConfigureAwait(false))!;
    }

    public Task<ContentInfo?> GetInfoAsync(string name, CancellationToken cancellationToken = default)
    {
        using var connection = database.OpenConnection();
        return Task.FromResult(Sql.Query(connection, $"SELECT {Columns} FROM content WHERE name = $n", Map, ("$n", name)).SingleOrDefault());
    }

    public Task<IReadOnlyList<ContentInfo>> ListAsync(CancellationToken cancellationToken = default)
    {
        using var connection = database.OpenConnection();
        return Task.FromResult<IReadOnlyList<ContentInfo>>(Sql.Query(connection, $"SELECT {Columns} FROM content ORDER BY name", Map));
    }

    public Task<int> ReadAsync(string name, long offset, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        using var connection = database.OpenConnection();
        using var transaction = connection.BeginTransaction(deferred: true); // a consistent snapshot across the chunks
        var found = Sql.Query(connection, "SELECT id, size, chunk_size FROM content WHERE name = $n",
            r => (Id: r.GetInt64(0), Size: r.GetInt64(1), ChunkSize: r.GetInt64(2)), ("$n", name));
        if (found.Count == 0 || offset >= found[0].Size || destination.IsEmpty)
        {
            return Task.FromResult(0);
        }
        var (id, size, chunkSize) = found[0];
        var end = Math.Min(size, offset + destination.Length);
        var chunks = Sql.Query(connection,
            "SELECT seq, data FROM content_chunk WHERE content_id = $i AND seq BETWEEN $a AND $b ORDER BY seq",
            r => (Seq: r.GetInt64(0), Data: (byte[])r.GetValue(1)), ("$i", id), ("$a", offset / chunkSize), ("$b", (end - 1) / chunkSize));
        var copied = 0;
        foreach (var (seq, data) in chunks)
        {
            var chunkStart = seq * chunkSize;
            var from = (int)Math.Max(0, offset + copied - chunkStart);
            var count = (int)Math.Min(data.Length - from, end - (chunkStart + from));
            data.AsSpan(from, count).CopyTo(destination.Span[copied..]);
            copied += count;
        }
        return Task.FromResult(copied);
    }

    public Task<bool> DeleteAsync(string name, CancellationToken cancellationToken = default)
    {
        using var connection = database.OpenConnection();
        return Task.FromResult(Sql.Execute(connection, "DELETE FROM content WHERE name = $n", ("$n", name)) == 1);
    }

    private static ContentInfo Map(SqliteDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetInt64(2), (byte[])r.GetValue(3), (byte[])r.GetValue(4), r.NullableString(5), r.UnixMs(6));
}
