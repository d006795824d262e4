#!/usr/bin/python3
# A flat FUSE file system that loses, at a power cut, everything not made durable (issue 18, reference/reliability.md
# §3.3 "lazy FUSE"). Usage: powercutfs.py <backing-dir> <mount-point> [--ignore-fsync]
#
# The durable state lives in <backing-dir>: one file per inode ("i<N>") with the content as of that inode's last
# fsync/fdatasync, and "names" (written atomically) with the directory as of the last fsync of the directory. The
# volatile state (every write, create, rename, unlink and truncate since) lives only in this process's memory. A power
# cut is SIGKILL of this process (after the process using the mount): the volatile state dies with it, and a new
# instance mounted on the same backing directory starts from the durable state. So a created file whose directory was
# never synced disappears, an unsynced rename is undone, an unlinked file comes back with its synced content.
#
# --ignore-fsync: the negative control. fsync and fdatasync succeed without making anything durable, as SQLite's
# synchronous=OFF (or a card that lies about flushes) would; a cut must then lose acknowledged data.
#
# SQLite's -shm file is mmapped; FUSE serves shared writable mappings through the page cache (no direct_io), and
# SQLite rebuilds the file at the first open after a cut, so it needs nothing special here.
import errno
import json
import os
import stat
import sys
import time

from fusepy import FUSE, FuseOSError, Operations

PAGE = 4096


class Inode:
    def __init__(self, ino, data=b"", mode=0o100600):
        self.ino = ino
        self.data = bytearray(data)
        self.mode = mode
        self.mtime = time.time()
        self.dirty = set()  # pages written since the last fsync
        self.opens = 0


class PowerCutFs(Operations):
    def __init__(self, backing, ignore_fsync):
        self.backing = backing
        self.ignore_fsync = ignore_fsync
        self.inodes = {}
        names_path = os.path.join(backing, "names")
        durable = {"next": 1, "names": {}}
        if os.path.exists(names_path):
            with open(names_path) as f:
                durable = json.load(f)
        self.next_ino = durable["next"]
        self.durable_names = dict(durable["names"])
        self.names = {}
        for name, ino in self.durable_names.items():
            path = self._inode_path(ino)
            data = b""
            if os.path.exists(path):
                with open(path, "rb") as f:
                    data = f.read()
            self.inodes[ino] = Inode(ino, data)
            self.names[name] = ino

    def _inode_path(self, ino):
        return os.path.join(self.backing, "i%d" % ino)

    def _node(self, path):
        name = path.lstrip("/")
        if "/" in name or name not in self.names:
            raise FuseOSError(errno.ENOENT)
        return self.inodes[self.names[name]]

    def _persist_names(self):
        tmp = os.path.join(self.backing, "names.tmp")
        with open(tmp, "w") as f:
            json.dump({"next": self.next_ino, "names": self.names}, f)
        os.replace(tmp, os.path.join(self.backing, "names"))
        self.durable_names = dict(self.names)
        live = set(self.durable_names.values()) | set(self.inodes)
        for entry in os.listdir(self.backing):
            if entry.startswith("i") and int(entry[1:]) not in live:
                os.remove(os.path.join(self.backing, entry))

    # -- metadata --------------------------------------------------------------------------------------------------

    def getattr(self, path, fh=None):
        now = time.time()
        if path == "/":
            return {"st_mode": stat.S_IFDIR | 0o700, "st_nlink": 2, "st_size": 0,
                    "st_mtime": now, "st_ctime": now, "st_atime": now}
        node = self.inodes[fh] if fh is not None and fh in self.inodes else self._node(path)
        return {"st_mode": node.mode, "st_nlink": 1, "st_size": len(node.data), "st_ino": node.ino,
                "st_mtime": node.mtime, "st_ctime": node.mtime, "st_atime": node.mtime}

    def readdir(self, path, fh):
        return [".", ".."] + list(self.names)

    def statfs(self, path):
        return {"f_bsize": PAGE, "f_frsize": PAGE, "f_blocks": 1 << 22, "f_bfree": 1 << 21, "f_bavail": 1 << 21,
                "f_files": 1 << 16, "f_ffree": 1 << 15, "f_namemax": 255}

    def access(self, path, amode):
        if path != "/":
            self._node(path)
        return 0

    def chmod(self, path, mode):
        node = self._node(path)
        node.mode = (node.mode & ~0o7777) | (mode & 0o7777)
        return 0

    def chown(self, path, uid, gid):
        return 0

    def utimens(self, path, times=None):
        self._node(path).mtime = time.time()
        return 0

    def mkdir(self, path, mode):
        raise FuseOSError(errno.EPERM)  # flat: the gateway keeps its database files in one directory

    # -- names (volatile until the directory is synced) -------------------------------------------------------------

    def create(self, path, mode, fi=None):
        name = path.lstrip("/")
        if "/" in name:
            raise FuseOSError(errno.EPERM)
        ino = self.next_ino
        self.next_ino += 1
        self.inodes[ino] = Inode(ino, b"", stat.S_IFREG | (mode & 0o7777))
        self.inodes[ino].opens = 1
        self.names[name] = ino
        return ino

    def open(self, path, flags):
        node = self._node(path)
        node.opens += 1
        return node.ino

    def unlink(self, path):
        self._node(path)
        del self.names[path.lstrip("/")]
        return 0

    def rename(self, old, new):
        node = self._node(old)
        if "/" in new.lstrip("/"):
            raise FuseOSError(errno.EXDEV)
        del self.names[old.lstrip("/")]
        self.names[new.lstrip("/")] = node.ino
        return 0

    def fsyncdir(self, path, datasync, fh):
        if not self.ignore_fsync:
            self._persist_names()
        return 0

    # -- data (volatile until the file is synced) -------------------------------------------------------------------

    def read(self, path, size, offset, fh):
        return bytes(self.inodes[fh].data[offset:offset + size])

    def write(self, path, data, offset, fh):
        node = self.inodes[fh]
        end = offset + len(data)
        if end > len(node.data):
            node.data.extend(b"\0" * (end - len(node.data)))
        node.data[offset:end] = data
        node.dirty.update(range(offset // PAGE, (end - 1) // PAGE + 1))
        node.mtime = time.time()
        return len(data)

    def truncate(self, path, length, fh=None):
        node = self.inodes[fh] if fh is not None else self._node(path)
        if length < len(node.data):
            del node.data[length:]
        else:
            node.data.extend(b"\0" * (length - len(node.data)))
        node.mtime = time.time()
        return 0

    def fsync(self, path, datasync, fh):
        if self.ignore_fsync:
            return 0
        node = self.inodes[fh]
        target = self._inode_path(node.ino)
        fd = os.open(target, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            for page in sorted(node.dirty):
                chunk = node.data[page * PAGE:(page + 1) * PAGE]
                if chunk:
                    os.pwrite(fd, chunk, page * PAGE)
            os.ftruncate(fd, len(node.data))
        finally:
            os.close(fd)
        node.dirty.clear()
        return 0

    def flush(self, path, fh):
        return 0

    def release(self, path, fh):
        node = self.inodes[fh]
        node.opens -= 1
        if node.opens == 0 and fh not in self.names.values() and fh not in self.durable_names.values():
            del self.inodes[fh]
        return 0

    def init(self, path):
        print("mounted", flush=True)


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 2:
        print("usage: powercutfs.py <backing-dir> <mount-point> [--ignore-fsync]", file=sys.stderr)
        sys.exit(2)
    backing, mount = args
    os.makedirs(backing, exist_ok=True)
    FUSE(PowerCutFs(backing, "--ignore-fsync" in sys.argv), mount, foreground=True, nothreads=True,
         fsname="powercutfs", attr_timeout=0, entry_timeout=0, negative_timeout=0)


if __name__ == "__main__":
    main()
