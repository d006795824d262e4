using System.Security.Cryptography;
using Gateway.Storage.Content;
using Gateway.TestKit;
using Microsoft.Data.Sqlite;

namespace Gateway.Storage.Tests.State;

/// <summary>Content bodies as files in &lt;DataDir&gt;/content (issue 21): written once, read in place, never whole in memory.</summary>
public sealed class ContentFileTests : StoreTestBase
{
    private const long GiB = 1L << 30;
    private readonly ManualTimeProvider _clock = new(DateTimeOffset.UtcNow);

    private string ContentDir => Options.ContentDir;

    private string[] Files() => Directory.Exists(ContentDir) ? [.. Directory.GetFiles(ContentDir).Select(Path.GetFileName).Order()!] : [];

    [Fact]
    public async Task Put_WritesOneFile_ReplaceAndDeleteRemoveTheOldOne_AndAReaderOfTheOldBodyStopsShort()
    {
        using var store = new SqliteContentStore(Database, _clock);
        var body = RandomNumberGenerator.GetBytes(5000);
        await store.PutAsync("firmware/boiler/1", "application/octet-stream", new MemoryStream(body));
        var first = Assert.Single(Files());
        Assert.EndsWith(".bin", first, StringComparison.Ordinal);
        Assert.Equal(body, File.ReadAllBytes(Path.Combine(ContentDir, first)));

        var old = (await store.OpenAsync("firmware/boiler/1"))!;
        Assert.Equal(1000, old.Read(0, new byte[1000]));
        await store.PutAsync("firmware/boiler/1", "application/octet-stream", new MemoryStream(body[..10]));
        var second = Assert.Single(Files());
        Assert.NotEqual(first, second);
        // The old body's file is gone: its reader ends short, so the transfer restarts and meets the new ETag (RFC 7959 §2.4).
        Assert.Equal(0, old.Read(1000, new byte[1000]));
        var current = (await store.OpenAsync("firmware/boiler/1"))!;
        Assert.Equal((10L, 10), (current.Info.Size, current.Read(0, new byte[100])));

        Assert.True(await store.DeleteAsync("firmware/boiler/1"));
        Assert.Empty(Files());
        Assert.Null(await store.OpenAsync("firmware/boiler/1"));
    }

    [Fact]
    public async Task ABodyOverMaxContentBytes_IsRefused_AndLeavesNothing()
    {
        Options.MaxContentBytes = 4096;
        using var store = new SqliteContentStore(Reopen(), _clock);
        await Assert.ThrowsAsync<ContentTooLargeException>(() => store.PutAsync("exosite/v/m/big", "application/octet-stream", new MemoryStream(new byte[4097])));
        Assert.Empty(Files());
        Assert.Empty(await store.ListAsync());
        Assert.Equal(4096, (await store.PutAsync("exosite/v/m/fits", "application/octet-stream", new MemoryStream(new byte[4096]))).Size);
    }

    [Fact]
    public async Task BodiesStoredAsChunksBeforeSchema8_AreMovedIntoFiles_AndOrphansOlderThanAnHourAreDeleted()
    {
        var body = RandomNumberGenerator.GetBytes(2500);
        using (var connection = Database.OpenConnection())
        {
            Execute(connection, "INSERT INTO content (id, name, content_type, size, sha256, etag, chunk_size, updated_ms) VALUES (7, 'exosite/v/m/old', 'text/plain', 2500, x'00', x'01', 1024, 0)");
            for (int seq = 0; seq * 1024 < body.Length; seq++)
            {
                using var insert = connection.CreateCommand();
                insert.CommandText = "INSERT INTO content_chunk (content_id, seq, data) VALUES (7, $s, $d)";
                insert.Parameters.AddWithValue("$s", seq);
                insert.Parameters.AddWithValue("$d", body[(seq * 1024)..Math.Min(body.Length, (seq + 1) * 1024)]);
                insert.ExecuteNonQuery();
            }
        }
        Directory.CreateDirectory(ContentDir);
        string stale = Path.Combine(ContentDir, "stale.bin"), fresh = Path.Combine(ContentDir, "fresh.bin.part");
        File.WriteAllBytes(stale, [1]);
        File.WriteAllBytes(fresh, [2]); // maybe another process between writing and committing
        File.SetLastWriteTimeUtc(stale, _clock.GetUtcNow().UtcDateTime.AddHours(-2));

        using var store = new SqliteContentStore(Database, _clock);
        var reader = (await store.OpenAsync("exosite/v/m/old"))!;

        var read = new byte[3000];
        Assert.Equal(2500, reader.Read(0, read));
        Assert.Equal(body, read[..2500]);
        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(fresh));
        using var check = Database.OpenConnection();
        using var count = check.CreateCommand();
        count.CommandText = "SELECT count(*) FROM content_chunk";
        Assert.Equal(0L, (long)count.ExecuteScalar()!);
    }

    [Fact]
    public async Task OneGiBBody_IsReadInPlaceAtStartMiddleAndEnd_WithItsStoredETag_AllocatingNothingPerRead()
    {
        using var store = new SqliteContentStore(Database, _clock);
        // A real Put of 1 GiB would write and hash 1 GiB; the reading side is what is under test, so the row
        // names a sparse file, as a Put would have left it.
        Directory.CreateDirectory(ContentDir);
        byte[] etag = [1, 2, 3, 4, 5, 6, 7, 8];
        using (var file = File.OpenHandle(Path.Combine(ContentDir, "sparse.bin"), FileMode.CreateNew, FileAccess.Write))
        {
            RandomAccess.SetLength(file, GiB);
            foreach (long at in new[] { 0L, GiB / 2, GiB - 16 }) RandomAccess.Write(file, Marker(at), at);
        }
        using (var connection = Database.OpenConnection())
        {
            Execute(connection, $"INSERT INTO content (name, content_type, size, sha256, etag, chunk_size, updated_ms, file) VALUES ('firmware/big/1', 'application/octet-stream', {GiB}, x'00', x'0102030405060708', 0, 0, 'sparse.bin')");
        }

        var reader = (await store.OpenAsync("firmware/big/1"))!;
        var range = ContentRange.Whole(reader);
        Assert.Equal(GiB, range.Length);
        Assert.Equal(etag, range.ETag);
        var block = new byte[1024];
        Assert.Equal(1024, range.Read(0, block));
        Assert.Equal(Marker(0), block[..16]);
        Assert.Equal(1024, range.Read(GiB / 2, block));
        Assert.Equal(Marker(GiB / 2), block[..16]);
        Assert.Equal(16, range.Read(GiB - 16, block)); // the end: only what is left
        Assert.Equal(Marker(GiB - 16), block[..16]);
        Assert.Equal(0, range.Read(GiB, block));

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (long i = 0; i < 10_000; i++) reader.Read(i * 100_003 % (GiB - 1024), block);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before); // one reused block buffer, one cached handle

        var chunk = new ContentRange(reader, 1024, 4096);
        Assert.NotEqual(etag, chunk.ETag); // a chunk of the package is another representation
        Assert.Equal(8, chunk.ETag.Length);
    }

    private static byte[] Marker(long at) => [.. MD5.HashData(BitConverter.GetBytes(at))];

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
