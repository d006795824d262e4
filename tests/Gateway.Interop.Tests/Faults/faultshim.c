// LD_PRELOAD fault injector for the storage-fault test (StorageFaultTests). Counts fsync, fdatasync and pwrite
// calls on files under $FAULT_DIR across all threads of the process, and fails the calls whose number lies in
// the range the control file $FAULT_CTL names, with the errno it names. strace's own injection counts per thread,
// and the gateway commits from whichever thread-pool thread runs its writer, so "the N-th fsync" needs this.
// Control file: one line "<sync|write> <first> <last> <errno>"; an empty or missing file disarms. Counting restarts
// whenever the file changes (mtime or size), so the test arms one fault after another in the same process.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

static pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;
static struct timespec seen_mtime;
static off_t seen_size = -1;
static char kind[16];
static long first, last, count;
static int fail_errno;

static int under_dir(int fd)
{
    const char *dir = getenv("FAULT_DIR");
    if (!dir || !*dir) return 0;
    char link[64], path[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n <= 0) return 0;
    path[n] = 0;
    return strncmp(path, dir, strlen(dir)) == 0;
}

// Returns the errno to fail this call with, or 0 to let it through.
static int decide(int fd, const char *what)
{
    if (!under_dir(fd)) return 0;
    const char *ctl = getenv("FAULT_CTL");
    int result = 0;
    pthread_mutex_lock(&gate);
    struct stat st;
    if (ctl && stat(ctl, &st) == 0)
    {
        if (st.st_size != seen_size || st.st_mtim.tv_sec != seen_mtime.tv_sec || st.st_mtim.tv_nsec != seen_mtime.tv_nsec)
        {
            seen_size = st.st_size;
            seen_mtime = st.st_mtim;
            kind[0] = 0;
            count = 0;
            FILE *f = fopen(ctl, "r");
            if (f)
            {
                if (fscanf(f, "%15s %ld %ld %d", kind, &first, &last, &fail_errno) != 4) kind[0] = 0;
                fclose(f);
            }
        }
    }
    else
    {
        kind[0] = 0;
        seen_size = -1;
    }
    if (kind[0] && strcmp(kind, what) == 0)
    {
        count++;
        if (count >= first && count <= last) result = fail_errno;
    }
    pthread_mutex_unlock(&gate);
    return result;
}

typedef int (*sync_fn)(int);
typedef ssize_t (*pwrite_fn)(int, const void *, size_t, off_t);
typedef ssize_t (*pwrite64_fn)(int, const void *, size_t, off64_t);
#define REAL(name, type) static type real_##name; if (!real_##name) real_##name = (type)dlsym(RTLD_NEXT, #name)

int fsync(int fd)
{
    REAL(fsync, sync_fn);
    int e = decide(fd, "sync");
    if (e) { errno = e; return -1; }
    return real_fsync(fd);
}

int fdatasync(int fd)
{
    REAL(fdatasync, sync_fn);
    int e = decide(fd, "sync");
    if (e) { errno = e; return -1; }
    return real_fdatasync(fd);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t offset)
{
    REAL(pwrite, pwrite_fn);
    int e = decide(fd, "write");
    if (e) { errno = e; return -1; }
    return real_pwrite(fd, buf, n, offset);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t offset)
{
    REAL(pwrite64, pwrite64_fn);
    int e = decide(fd, "write");
    if (e) { errno = e; return -1; }
    return real_pwrite64(fd, buf, n, offset);
}
