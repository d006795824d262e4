using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Gateway.Storage.Content;

/// <summary>
/// The content bodies' directory (<c>&lt;DataDir&gt;/content</c>) and the read handles open on its
/// files: at most <see cref="MaxOpenFiles"/>, the least recently used closed first, so many devices
/// downloading the same image share one descriptor and a block read is one <c>pread</c>. A body is
/// written once under a fresh name and never changed, so a handle always reads the bytes its ETag
/// describes. Thread-safe.
/// </summary>
internal sealed partial class ContentFiles : IDisposable
{
    /// <summary>Open read handles kept; a transfer whose handle was closed opens it again.</summary>
    public const int MaxOpenFiles = 32;

    private const string Extension = ".bin";
    private readonly Dictionary<string, LinkedListNode<(string File, SafeFileHandle Handle)>> _open = new(StringComparer.Ordinal);
    private readonly LinkedList<(string File, SafeFileHandle Handle)> _lru = new();
    private readonly Lock _gate = new();

    public ContentFiles(string directory) => Directory = Path.GetFullPath(directory);

    public string Directory { get; }

    /// <summary>A fresh file name for a new body (never reused, so an open handle never sees another body).</summary>
    public static string NewName() => Guid.NewGuid().ToString("N") + Extension;

    public string PathOf(string file) => Path.Combine(Directory, file);

    /// <summary>
    /// Reads up to <paramref name="destination"/>.Length bytes at <paramref name="offset"/> of <paramref name="file"/>;
    /// fewer only at its end. Throws <see cref="FileNotFoundException"/> when the body was deleted and its handle closed.
    /// </summary>
    public int Read(string file, long offset, Span<byte> destination)
    {
        for (int attempt = 0; ; attempt++)
        {
            var handle = Handle(file);
            try
            {
                int total = 0;
                while (total < destination.Length)
                {
                    int read = RandomAccess.Read(handle, destination[total..], offset + total);
                    if (read == 0) break;
                    total += read;
                }
                return total;
            }
            catch (ObjectDisposedException) when (attempt == 0)
            {
                // Closed by an eviction between the lookup and the read: open it again once.
            }
        }
    }

    /// <summary>Closes the handle of a body that was replaced or deleted, so its disk space is freed.</summary>
    public void Close(string file)
    {
        lock (_gate)
        {
            if (!_open.Remove(file, out var node)) return;
            _lru.Remove(node);
            node.Value.Handle.Dispose();
        }
    }

    /// <summary>Deletes a body's file (readers still holding its handle finish from it; nobody new opens it).</summary>
    public void Delete(string file)
    {
        Close(file);
        File.Delete(PathOf(file));
    }

    /// <summary>
    /// Makes a renamed or deleted entry durable: the directory itself is fsynced (POSIX: a rename is on
    /// disk only once its directory is), before the database row that names the file is committed.
    /// </summary>
    public void SyncDirectory()
    {
        if (OperatingSystem.IsWindows()) return;
        int fd = Open(Directory, 0 /* O_RDONLY */, 0);
        if (fd < 0) throw new IOException($"cannot open {Directory} to sync it (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            if (Fsync(fd) != 0) throw new IOException($"fsync of {Directory} failed (errno {Marshal.GetLastPInvokeError()})");
        }
        finally
        {
            _ = CloseFd(fd);
        }
    }

    /// <summary>Files in the directory that are bodies or leftovers of an interrupted write, with their age.</summary>
    public IEnumerable<(string File, DateTime WrittenUtc)> List()
    {
        if (!System.IO.Directory.Exists(Directory)) yield break;
        foreach (var path in System.IO.Directory.EnumerateFiles(Directory))
        {
            yield return (Path.GetFileName(path), File.GetLastWriteTimeUtc(path));
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var (_, handle) in _lru) handle.Dispose();
            _lru.Clear();
            _open.Clear();
        }
    }

    private SafeFileHandle Handle(string file)
    {
        lock (_gate)
        {
            if (_open.TryGetValue(file, out var node))
            {
                _lru.Remove(node);
                _lru.AddLast(node);
                return node.Value.Handle;
            }
            var handle = File.OpenHandle(PathOf(file), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            _open[file] = _lru.AddLast((file, handle));
            if (_open.Count > MaxOpenFiles)
            {
                var oldest = _lru.First!;
                _lru.RemoveFirst();
                _open.Remove(oldest.Value.File);
                oldest.Value.Handle.Dispose();
            }
            return handle;
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int CloseFd(int fd);
}
