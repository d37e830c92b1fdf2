/*
 * fileio.h - files whole: the write loop every writer shares, the one
 * whole-file reader, and the files and directories a sandboxed command must
 * be able to read whatever the daemon's umask (077).
 */
#ifndef AC_FILEIO_H
#define AC_FILEIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Writes all n bytes of data to fd, retrying after EINTR and short
 * writes. Returns 0 or -errno (what was written before the error stays
 * written). Sets no mode and closes nothing: the caller owns fd. Only
 * write(2) is called, so it is async-signal-safe. */
int ac_write_all(int fd, const void *data, size_t n);

/* The one way every target writes a file for a sandboxed command: data
 * into path (relative to dirfd, which may be AT_FDCWD), created or
 * replaced whole, never through a symbolic link, with exactly mode
 * whatever the umask (the daemon runs with umask 077, and the sandbox
 * user must be able to read what a target writes for it). Returns 0 or
 * -errno; on failure the file may be left partly written. */
int ac_write_file(int dirfd, const char *path, const void *data, size_t size, mode_t mode);

/* Reads the file at path whole: *out a malloc'd, NUL-terminated buffer the
 * caller frees, *len its length (len may be NULL). Returns 0 or -errno
 * (*out NULL). */
int ac_read_file(const char *path, char **out, size_t *len);

/* Removes path and, when it is a directory, everything below it (symbolic
 * links as links, never followed). A path that does not exist is fine.
 * Returns 0 or the last -errno met (the rest is removed all the same). */
int ac_remove_tree(const char *path);

/* Makes the directory path (or keeps the one there) with exactly mode,
 * whatever the umask. -ENOTDIR when path is something else (a symbolic
 * link included). Returns 0 or -errno. */
int ac_make_dir(const char *path, mode_t mode);

/* The one content hash: FNV-1a of data[0..n), continued from h (start
 * with AC_FNV1A_START; feed pieces one after another). Stable across
 * runs and builds: the reference cache's key, a generated harness's
 * marker and the engine's code and signature hashes are kept in files.
 * Not for anything an adversary picks collisions against. */
#define AC_FNV1A_START 0xcbf29ce484222325ULL
uint64_t ac_fnv1a(uint64_t h, const void *data, size_t n);

#endif
