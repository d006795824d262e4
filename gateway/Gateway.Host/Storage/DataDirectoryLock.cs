using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Gateway.Host.Storage;

/// <summary>
/// The service's claim on its data directory: an exclusive <c>flock(2)</c> on
/// <c>&lt;data&gt;/gateway.lock</c>, held for the life of the process, with the holder's PID as the
/// file's content. Two gateways on one database would each release the other's leases on start and
/// send rows the other has in flight; the second one must not start.
/// </summary>
/// <remarks>
/// Why flock rather than a PID file alone: the kernel drops the lock when the holder dies, even by
/// SIGKILL or a power cut, so a stale file never keeps a restarted service out. Why libc directly:
/// .NET's own FileStream takes a shared flock on every open, which would make the PID unreadable to
/// the second instance while the first holds the exclusive lock. CLI commands do not take it: they
/// are meant to run beside the service (SQLite WAL).
/// </remarks>
public sealed partial class DataDirectoryLock : IDisposable
{
    public const string FileName = "gateway.lock";

    // Linux's generic values, the same on x86-64 and arm64.
    private const int ReadWrite = 0x2, Create = 0x40, CloseOnExec = 0x80000;
    private const int LockExclusive = 2, LockNonBlocking = 4;
    private const int WouldBlock = 11;

    private int _fd;

    private DataDirectoryLock(int fd, string path)
    {
        _fd = fd;
        Path = path;
    }

    /// <summary>The lock file.</summary>
    public string Path { get; }

    /// <summary>Takes the lock on <paramref name="dataDir"/> (creating the directory if needed).</summary>
    /// <exception cref="DataDirectoryInUseException">Another process holds it.</exception>
    /// <exception cref="IOException">The directory or lock file cannot be created or opened.</exception>
    public static DataDirectoryLock Acquire(string dataDir)
    {
        Directory.CreateDirectory(dataDir);
        var path = System.IO.Path.Combine(dataDir, FileName);
        var fd = Open(path, ReadWrite | Create | CloseOnExec, Convert.ToInt32("644", 8));
        if (fd < 0) throw new IOException($"cannot open {path}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        if (Flock(fd, LockExclusive | LockNonBlocking) != 0)
        {
            var error = Marshal.GetLastPInvokeError();
            var holder = error == WouldBlock ? ReadPid(fd) : null;
            Close(fd);
            if (error == WouldBlock) throw new DataDirectoryInUseException(dataDir, holder);
            throw new IOException($"cannot lock {path}: {Marshal.GetPInvokeErrorMessage(error)}");
        }
        // Not durable on purpose: the PID only helps a second instance name the first one.
        var pid = Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
        _ = Truncate(fd, 0);
        _ = PWrite(fd, pid, pid.Length, 0);
        return new DataDirectoryLock(fd, path);
    }

    private static int? ReadPid(int fd)
    {
        var buffer = new byte[32];
        var read = PRead(fd, buffer, buffer.Length, 0);
        return read > 0 && int.TryParse(Encoding.ASCII.GetString(buffer, 0, (int)read).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
            ? pid : null;
    }

    public void Dispose()
    {
        // Closing the descriptor releases the lock; the file stays (deleting it would race a new holder).
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0) Close(fd);
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int Flock(int fd, int operation);

    [LibraryImport("libc", EntryPoint = "ftruncate", SetLastError = true)]
    private static partial int Truncate(int fd, long length);

    [LibraryImport("libc", EntryPoint = "pwrite", SetLastError = true)]
    private static partial nint PWrite(int fd, byte[] buffer, nint count, long offset);

    [LibraryImport("libc", EntryPoint = "pread", SetLastError = true)]
    private static partial nint PRead(int fd, [Out] byte[] buffer, nint count, long offset);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
