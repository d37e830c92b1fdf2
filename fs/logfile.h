/*
 * logfile.h - a kernel's `log` as the mount serves it.
 *
 * The store keeps log lines as rows; the mount shows them as one text file
 * that only grows, a line "YYYY-MM-DD HH:MM:SS.mmm text\n" per row, so that
 * `tail -f` (fstat, then read on from its offset) sees every new line.
 *
 * What a logfile holds is bounded whatever the log's length: the length
 * and mtime, the last LOGFILE_TAIL bytes (where tail -f reads), and a
 * bounded set of marks (a line id and the offset where the lines after it
 * start), so that a read further back fetches one page of lines from the
 * store. The owner decides when the file grows: logfile_extend takes new
 * lines in, logfile_show shows them, so that the log never says what the
 * other files do not show yet.
 *
 * Thread-safe: every call takes the logfile's own lock.
 */
#ifndef AC_LOGFILE_H
#define AC_LOGFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"

/* Bytes at the end of the log kept in memory. */
#define LOGFILE_TAIL (64 * 1024)
/* At most this many marks; when full, every other one goes. */
#define LOGFILE_MARKS 1024

struct logfile;

/* An empty log of kernel kid whose mtime, while it has no line, is
 * empty_mtime_ns. NULL on OOM. */
struct logfile *logfile_new(int64_t kid, int64_t empty_mtime_ns);
/* Accepts NULL. */
void logfile_free(struct logfile *l);

/* Takes in the lines the store has after the last one taken, up to the
 * line with id upto (not shown yet). Returns 0 or the store's -errno
 * (what was taken before the error stays). */
int logfile_extend(struct logfile *l, struct engine *e, int64_t upto);
/* Shows what was taken in; returns whether the length shown moved. */
bool logfile_show(struct logfile *l);

/* The length and mtime shown now. */
void logfile_stat(struct logfile *l, size_t *len, int64_t *mtime_ns);

/* Copies up to size bytes from offset off into buf and returns how many
 * (0 at or past the end shown). A range before the kept tail is read back from
 * the store; a failing store gives a short (possibly 0) count. */
size_t logfile_read(struct logfile *l, struct engine *e, char *buf, size_t size, size_t off);

/* The bytes the logfile holds in memory (for the mount's accounting). */
size_t logfile_memory(struct logfile *l);

#endif
