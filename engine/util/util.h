/*
 * util.h - small shared helpers: a growable string buffer, a string list,
 * clocks, file I/O.
 *
 * Nothing here knows about kernels or candidates; it is the vocabulary the
 * rest of the engine and the mount are written in.
 *
 * Folder engine/util/: shared helpers; it may call only targets/exec/'s
 * file writers.
 */
#ifndef AC_UTIL_H
#define AC_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A growable byte buffer, always NUL-terminated when buf is not NULL.
 * Zero-initialised ({0}) is a valid empty buffer. */
struct strbuf {
	char *buf;
	size_t len;
	size_t cap;
};

/* Appends; return 0 or -ENOMEM (the buffer is unchanged on failure). */
int sb_add(struct strbuf *sb, const void *data, size_t len);
int sb_adds(struct strbuf *sb, const char *s);
int sb_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Makes sure at least len bytes are allocated; 0 or -ENOMEM. */
int sb_grow(struct strbuf *sb, size_t len);
/* Sets the length to len (<= cap or grows), keeping the first bytes. */
int sb_setlen(struct strbuf *sb, size_t len);
/* Frees the storage; the buffer is empty again. Accepts NULL. */
void sb_release(struct strbuf *sb);
/* Hands the storage to the caller (never NULL unless OOM: an empty string). */
char *sb_detach(struct strbuf *sb);

/* A strv is the engine's one list of strings: a NULL-terminated array
 * of malloc'd strings, owned by whoever holds the array (a NULL array is
 * an empty list). The targets build theirs with struct ac_argv
 * (targets/exec/argv.h), whose v is one. */

/* Number of entries (0 for NULL). */
int strv_len(char *const *v);
/* Frees the strings and the array; accepts NULL. */
void strv_free(char **v);
/* Splits "a,b , c" into a new list of trimmed, non-empty items; NULL
 * when out of memory. */
char **strv_split(const char *s, char sep);
/* Appends a copy of the n bytes at s to *v (NULL: an empty list), which
 * may move. 0, or -ENOMEM with *v as it was. */
int strv_addn(char ***v, const char *s, size_t n);

/* Wall-clock time in ns since the epoch (what st_mtime shows). */
int64_t now_ns(void);
/* Monotonic time in ns (for timeouts and latencies). */
int64_t mono_ns(void);

/* Writes data to path through a temporary file and rename(2), so a reader
 * sees the old or the new content, never half. Returns 0 or -errno. */
int write_file_atomic(const char *path, const void *data, size_t len, int mode);

/* mkdir -p with mode; 0 or -errno. */
int mkdir_p(const char *path, int mode);

/* A kernel name: 1..64 chars of [A-Za-z0-9._+-], not starting with '.' */
bool kernel_name_valid(const char *name);

/* A user file name: 1..255 bytes, no '/', not "." or "..". */
bool file_name_valid(const char *name);

/* Formats a duration in ns for people: "812 us", "12.3 ms", "1.24 s". */
const char *fmt_duration(int64_t ns, char *buf, size_t len);

/* Formats a wall-clock time in ns as "2026-11-24 22:40:01.123" (UTC). */
const char *fmt_time(int64_t ns, char *buf, size_t len);

/* The first line of text (leading blank lines, spaces and '#' skipped)
 * into out, at most len - 1 bytes (len >= 8): a longer line is cut after
 * a whole word, never inside a word or a UTF-8 character, and ends in an
 * ellipsis (U+2026), so a shortened plan never reads as a whole one. */
void text_first_line(const char *text, char *out, size_t len);

#endif
