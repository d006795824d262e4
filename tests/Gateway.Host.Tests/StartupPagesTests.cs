using Gateway.Host.Health;

namespace Gateway.Host.Tests;

public sealed class StartupPagesTests
{
    // proc(5): start-end perms offset dev inode path
    private const string Maps = """
        55631f5fe000-55631f620000 r--p 00000000 fe:01 1234 /usr/lib/coap-gateway/coap-gateway
        55631f620000-556320179000 r-xp 00022000 fe:01 1234 /usr/lib/coap-gateway/coap-gateway
        556320b85000-556320bd2000 rw-p 01584000 fe:01 1234 /usr/lib/coap-gateway/coap-gateway
        556320bd2000-556321180000 rw-p 00000000 00:00 0
        5639c1da5000-5639c1f0b000 rw-p 00000000 00:00 0                          [heap]
        7f6fcf76d000-7f6fcf8c3000 r-xp 00026000 fe:01 5678 /usr/lib/x86_64-linux-gnu/libc.so.6
        7f6fcf900000-7f6fcf901000 r--s 00000000 fe:01 9999 /dev/shm/shared segment
        7f6fcfa00000-7f6fcfa01000 r--p 00000000 fe:01 4242 /var/lib/with space/in the path (deleted)
        7ffd1a3f0000-7ffd1a3f4000 r--p 00000000 00:00 0                          [vvar]
        7ffd1a3f4000-7ffd1a3f6000 r-xp 00000000 00:00 0                          [vdso]
        ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]
        not a mapping line
        7f6fcfb00000-7f6fcfa00000 r--p 00000000 fe:01 4243 /backwards
        """;

    [Fact]
    public void ReadOnlyFileMappings_AreThePrivateUnwritableMappingsOfFiles()
    {
        var mappings = StartupPages.ReadOnlyFileMappings(Maps);

        Assert.Equal(
            [
                (unchecked((nint)0x55631f5fe000), (nuint)(0x55631f620000 - 0x55631f5fe000)),
                (unchecked((nint)0x55631f620000), (nuint)(0x556320179000 - 0x55631f620000)),
                (unchecked((nint)0x7f6fcf76d000), (nuint)(0x7f6fcf8c3000 - 0x7f6fcf76d000)),
                (unchecked((nint)0x7f6fcfa00000), (nuint)0x1000),
            ],
            mappings);
    }

    [Fact]
    public void Release_AdvisesThisProcessesCode_AndTheCodeStillRuns()
    {
        var advised = StartupPages.Release();

        // The test host's code and libraries are read-only file mappings; running on after the advice (this
        // assertion, the rest of the run) shows the pages come back on use.
        Assert.True(advised > 1 << 20, $"advised {advised} bytes");
    }
}
