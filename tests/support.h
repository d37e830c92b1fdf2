/*
 * support.h - helpers for the end-to-end tests: a real daemon on a fresh
 * temporary mountpoint, shell commands, polling.
 *
 * The daemon child gets PR_SET_PDEATHSIG(SIGTERM): when a test process dies
 * or times out, its mount goes with it instead of hanging the run.
 */
#ifndef AC_TEST_SUPPORT_H
#define AC_TEST_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct mnt {
	char base[256];     /* temporary directory holding everything below */
	char dir[300];      /* the mountpoint */
	char state[300];    /* the state directory */
	char log[300];      /* the daemon's stderr */
	pid_t pid;
};

/* Makes a fresh base directory (mkdtemp) with a mountpoint and a state dir. */
void mnt_init(struct mnt *m);

/* Starts build/autocompfs -f on m->dir with m->state and extra args (a
 * NULL-terminated list, may be NULL), env entries added (NAME=VALUE list,
 * may be NULL); waits until the mount appears. Asserts on failure. */
void mnt_start(struct mnt *m, const char *const *args, const char *const *env);

/* Unmounts with fusermount3 -u and returns the daemon's exit status (or
 * 128+signal). */
int mnt_stop(struct mnt *m);

/* kill -9 the daemon and clean up the dead mount (fusermount3 -uz). */
void mnt_kill9(struct mnt *m);

/* Removes the base directory. */
void mnt_cleanup(struct mnt *m);

/* Runs a shell command (sh -c) built from fmt; returns its exit status. */
int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Runs a shell command and returns its stdout (caller frees). */
char *sh_out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The whole content of a file, NUL-terminated (caller frees), or NULL. */
char *slurp(const char *path);
char *slurpf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Polls every 50 ms until the file at path contains needle; false on timeout. */
bool wait_contains(const char *path, const char *needle, double timeout_s);

/* Polls the kernel's status until it starts with one of the final words
 * (done, failed, stopped); returns the status line (caller frees) or NULL. */
char *wait_final(const struct mnt *m, const char *kernel, double timeout_s);

/* The source tree (AC_SOURCE_DIR) and the daemon (AC_DAEMON). */
const char *src_dir(void);
const char *daemon_path(void);

/* Number of occurrences of needle in hay. */
int count_of(const char *hay, const char *needle);

/* Starts build/mock-llm with the script directory (relative to the source
 * tree), latency and a request log path (may be NULL); returns its port.
 * The child dies with the test (PR_SET_PDEATHSIG). */
int mock_start(const char *script, int latency_ms, const char *log, pid_t *pid);
/* The same on a given port (0: any free one). */
int mock_start_on(const char *script, int port, int latency_ms, const char *log, pid_t *pid);
void mock_stop(pid_t pid);

#endif
