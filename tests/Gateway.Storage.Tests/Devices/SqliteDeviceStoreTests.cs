using System.Text;
using Gateway.Storage.Devices;

namespace Gateway.Storage.Tests.Devices;

public sealed class SqliteDeviceStoreTests : StoreTestBase
{
    [Fact]
    public async Task FindByToken_AfterRestart_FindsDeviceAndRejectsOtherTokens()
    {
        var token = await new SqliteDeviceStore(Database).AddAsync(new NewDevice("boiler-1", "thermostat"));
        Assert.NotNull(token);
        Assert.Matches("^[A-Za-z0-9]{20}$", token);

        var store = new SqliteDeviceStore(Reopen());

        var found = await store.FindByTokenAsync(token);
        Assert.Equal(("boiler-1", "thermostat", true), (found?.Name, found?.Profile, found?.HasToken ?? false));
        Assert.Null(await store.FindByTokenAsync(token[..^1] + (token[^1] == 'A' ? 'B' : 'A')));
        Assert.Null(await store.FindByTokenAsync(""));
    }

    [Fact]
    public async Task Add_GivenToken_StoresOnlyAKeyedHashNeverTheToken()
    {
        const string token = "A1_TEST_TOKEN_PLAINTEXT";
        await new SqliteDeviceStore(Database).AddAsync(new NewDevice("pump") { Token = token });
        Reopen().Dispose();

        var files = Directory.GetFiles(Options.DataDir).Select(File.ReadAllBytes).ToList();

        Assert.DoesNotContain(files, bytes => Encoding.UTF8.GetString(bytes).Contains(token, StringComparison.Ordinal));
        Assert.NotNull(await new SqliteDeviceStore(Reopen()).FindByTokenAsync(token));
    }

    [Fact]
    public async Task PskKey_IsStoredEncryptedOutsideTheDatabaseKey_AndFoundByIdentity()
    {
        var key = Encoding.UTF8.GetBytes("PSK_PLAINTEXT_KEY_1");
        await new SqliteDeviceStore(Database).AddAsync(new NewDevice("psk-dev") { PskIdentity = "id-1", PskKey = key, CertificateSha256 = new byte[32] });
        Reopen().Dispose();

        var files = Directory.GetFiles(Options.DataDir).Where(f => !f.EndsWith(PskKeyProtector.FileName, StringComparison.Ordinal)).Select(File.ReadAllBytes).ToList();
        Assert.DoesNotContain(files, bytes => Encoding.UTF8.GetString(bytes).Contains("PSK_PLAINTEXT_KEY_1", StringComparison.Ordinal));
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(Options.DataDir, PskKeyProtector.FileName)));

        var store = new SqliteDeviceStore(Reopen());
        var found = await store.FindByPskIdentityAsync("id-1");
        Assert.Equal(("psk-dev", "id-1", true), (found?.Device.Name, found?.Device.PskIdentity, found?.Device.HasCertificate ?? false));
        Assert.Equal(key, found?.Key);
        Assert.Null(await store.FindByPskIdentityAsync("id-2"));
        Assert.Equal("psk-dev", (await store.FindByCertificateAsync(new byte[32]))?.Name);
        // Without the key file the stored key does not decrypt: the database alone reveals nothing.
        File.WriteAllBytes(Path.Combine(Options.DataDir, PskKeyProtector.FileName), new byte[32]);
        Assert.Null(await new SqliteDeviceStore(Reopen()).FindByPskIdentityAsync("id-1"));
    }

    [Fact]
    public async Task PskLookup_KeepsItsConnection_AndStillSeesWhatOtherConnectionsChanged()
    {
        using var store = new SqliteDeviceStore(Database);
        Assert.Null(await store.FindByPskIdentityAsync("late")); // the lookup's own connection is open from here on

        // The CLI, another process: connections of its own.
        using (var cli = Reopen()) await new SqliteDeviceStore(cli).AddAsync(new NewDevice("late-dev") { PskIdentity = "late", PskKey = [1, 2, 3] });
        var found = await store.FindByPskIdentityAsync("late");
        Assert.Equal("late-dev", found?.Device.Name);
        Assert.Equal(new byte[] { 1, 2, 3 }, found?.Key);
        using (var cli = Reopen()) Assert.True(await new SqliteDeviceStore(cli).RemoveAsync("late-dev"));
        Assert.Null(await store.FindByPskIdentityAsync("late"));

        store.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.FindByPskIdentityAsync("late"));
    }

    [Fact]
    public async Task Add_DuplicateNameOrToken_Throws()
    {
        var store = new SqliteDeviceStore(Database);
        await store.AddAsync(new NewDevice("a") { Token = "tok-1" });

        await Assert.ThrowsAsync<InvalidOperationException>(() => store.AddAsync(new NewDevice("a") { Token = "tok-2" }));
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.AddAsync(new NewDevice("b") { Token = "tok-1" }));
    }

    [Fact]
    public async Task Activate_ExositeDevice_IssuesCikOnceAndCikFindsDevice()
    {
        var store = new SqliteDeviceStore(Database);
        Assert.Null(await store.AddAsync(new NewDevice("meter-7") { Vendor = "acme", Model = "m1", Serial = "SN7" }));
        Assert.False((await store.FindByNameAsync("meter-7"))!.Activated);

        var cik = await store.ActivateAsync("acme", "m1", "SN7");
        var second = await store.ActivateAsync("acme", "m1", "SN7");

        Assert.Matches("^[0-9a-f]{40}$", cik);
        Assert.Null(second);
        Assert.Null(await store.ActivateAsync("acme", "m1", "SN8"));
        var device = await new SqliteDeviceStore(Reopen()).FindByCikAsync(cik!);
        Assert.Equal(("meter-7", true, "SN7"), (device?.Name, device?.Activated ?? false, device?.Serial));
    }

    [Fact]
    public async Task Remove_DeletesDeviceAndListOmitsIt()
    {
        var store = new SqliteDeviceStore(Database);
        var token = await store.AddAsync(new NewDevice("b"));
        await store.AddAsync(new NewDevice("a"));

        Assert.True(await store.RemoveAsync("b"));
        Assert.False(await store.RemoveAsync("b"));

        Assert.Equal(["a"], (await store.ListAsync()).Select(d => d.Name));
        Assert.Null(await store.FindByTokenAsync(token!));
    }

    [Fact]
    public async Task LookupInADatabaseWithoutDevices_DrawsNoKey_AndFindsADeviceAddedLaterByAnotherStore()
    {
        var service = new SqliteDeviceStore(Database);
        Assert.Null(await service.FindByTokenAsync("no-such-token"));
        Assert.Null(await service.FindByCikAsync("no-such-cik"));
        using (var connection = Database.OpenConnection())
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT count(*) FROM meta WHERE key = 'credential_key'";
            Assert.Equal(0L, command.ExecuteScalar());
        }

        // `devices add` in another process creates the key; the service's next lookup uses it.
        var token = await new SqliteDeviceStore(Database).AddAsync(new NewDevice("late"));
        Assert.Equal("late", (await service.FindByTokenAsync(token!))?.Name);
        Assert.Null(await service.FindByTokenAsync("no-such-token"));
    }

    [Fact]
    public void LogId_IsStableShortAndDoesNotContainTheCredential()
    {
        var hasher = CredentialHasher.Load(Database);

        var id = hasher.LogId("secret-token-123");

        Assert.Equal(id, CredentialHasher.Load(Reopen()).LogId("secret-token-123"));
        Assert.NotEqual(id, hasher.LogId("secret-token-124"));
        Assert.Matches("^cred#[0-9a-f]{8}$", id);
    }

    [Fact]
    public void Hash_IsHmacSha256UnderTheDatabaseKey_SoHashesStoredBeforeStillMatch()
    {
        var hasher = CredentialHasher.Load(Database);
        using var connection = Database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT value FROM meta WHERE key = 'credential_key'";
        var key = (byte[])command.ExecuteScalar()!;

        // The managed HMAC must give what System.Security.Cryptography (OpenSSL) gave when the rows were written.
        foreach (var credential in new[] { "A1_TEST_TOKEN", "", "ünïcödé-token", new string('x', 200) })
        {
            Assert.Equal(System.Security.Cryptography.HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(credential)), hasher.Hash(credential));
        }
        Assert.Equal(hasher.Hash("k"), CredentialHasher.Load(Reopen()).Hash("k")); // the key is kept, not drawn again
    }

    [Fact]
    public async Task Count_CountsDevicesAndExositeOnesAwaitingActivation()
    {
        var store = new SqliteDeviceStore(Database);
        Assert.Equal(new DeviceCount(0, 0), await store.CountAsync());
        await store.AddAsync(new NewDevice("boiler-1"));
        await store.AddAsync(new NewDevice("meter-7") { Vendor = "acme", Model = "m1", Serial = "SN7" });
        await store.AddAsync(new NewDevice("meter-8") { Vendor = "acme", Model = "m1", Serial = "SN8" });
        Assert.Equal(new DeviceCount(3, 2), await store.CountAsync());

        await store.ActivateAsync("acme", "m1", "SN7");

        Assert.Equal(new DeviceCount(3, 1), await store.CountAsync());
    }
}
