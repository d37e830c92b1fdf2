/*
 * sandbox.h - run one untrusted command, contained.
 *
 * Every compiler invocation and every candidate run goes through here: a
 * child in its own process group and working directory, rlimits, an
 * environment with no secrets, a new network namespace where the kernel
 * allows one, output captured and capped, a wall-clock timeout (and a
 * cancel flag) that kill the whole group, and an optional report pipe the
 * harness writes its JSON result to instead of stdout.
 */
#ifndef AC_SANDBOX_H
#define AC_SANDBOX_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct ac_sandbox_opts {
	const char *dir;          /* working directory (must exist) */
	char *const *argv;        /* argv[0] looked up in PATH */
	char *const *env;         /* extra NAME=VALUE entries added to the clean
	                             environment (PATH, HOME=dir, TMPDIR=dir, LANG=C);
	                             NULL-terminated, may be NULL */
	double timeout_s;         /* wall clock; <= 0 means 60 s */
	size_t output_cap;        /* bytes of stdout+stderr kept; 0 means 64 KiB */
	int cpu;                  /* pin to this core; < 0: no pinning */
	int ncpus;                /* with cpu >= 0: the ncpus cores ending at cpu
	                             (cpu - ncpus + 1 .. cpu); 0 or 1: cpu alone */
	bool isolate_net;         /* try a new network namespace (best effort) */
	bool report;              /* open a report pipe; its fd number is put in
	                             the child's AC_REPORT_FD */
	/* rlimits; 0 means the default in brackets */
	size_t mem_bytes;         /* RLIMIT_AS [8 GiB] */
	unsigned cpu_s;           /* RLIMIT_CPU [timeout x the cores pinned to + 5 s] */
	unsigned nproc;           /* processes the group may make [256, builds need some];
	                             RLIMIT_NPROC is set this far above the tasks the
	                             user it runs as already has */
	size_t fsize_bytes;       /* RLIMIT_FSIZE [256 MiB] */
	unsigned nofile;          /* RLIMIT_NOFILE [256] */
	const atomic_int *cancel; /* non-zero: kill the group and return */
	bool keep_uid;            /* when root: do not drop to the sandbox uid
	                             (see ac_sandbox_run) */
};

struct ac_proc_result {
	int exit_code;        /* valid when !signaled */
	int signal;           /* the signal that ended it, 0 if none */
	bool timed_out;       /* killed by the timeout */
	bool cancelled;       /* killed because *cancel became non-zero */
	bool truncated;       /* output exceeded output_cap */
	char *output;         /* stdout and stderr interleaved, NUL-terminated, never NULL on success */
	size_t output_len;
	char *report;         /* what was written on the report pipe (capped 64 KiB), NULL if nothing */
	size_t report_len;
	double wall_s;
	bool net_isolated;    /* it ran in a new network namespace (only loopback, down) */
	bool pid_isolated;    /* it ran in a new PID namespace: nothing it started outlived it */
	bool uid_dropped;     /* it ran as the unprivileged sandbox uid, not as root */
};

/* Runs opts->argv to completion (or timeout/cancel), kills whatever it left
 * behind, and fills *res. Returns 0 when the command ran
 * (whatever its exit status), a negative errno when it could not be started
 * (-ENOENT: argv[0] not found in PATH; res is then zeroed). The caller owns
 * res->output and res->report: free with ac_proc_result_clear.
 *
 * Containment, in layers (each one recorded in res):
 *  - always: its own process group, killed with SIGKILL on timeout, on
 *    cancel and as soon as the main process exits (so a leftover child
 *    dies too); rlimits; a clean environment; no inherited descriptors.
 *  - when the caller is root: a new PID namespace whose init is a tiny
 *    reaper, so even a process that calls setsid() dies with the command,
 *    and all of it is gone and reaped when this returns. (Without it, the
 *    killed leftovers are reaped by the system's init, in its own time.)
 *  - when the caller is root, !keep_uid, and opts->dir is reachable by the
 *    unprivileged sandbox user ("nobody", uid 65534: every ancestor
 *    directory searchable by it): opts->dir (which must belong to this job;
 *    "/" never qualifies) is chowned to that user and the command runs as
 *    it. Only then does RLIMIT_NPROC bind (the kernel never
 *    applies it to root), which is what stops a fork bomb; the command also
 *    cannot write anywhere root owns. Keep scratch directories under a
 *    path with o+x ancestors (e.g. 0711) to get this.
 *  - isolate_net: a new network namespace when the kernel allows it.
 * Safe to call from several threads at once. The first call makes the
 * process ignore SIGPIPE (the command gets default signal handling). */
int ac_sandbox_run(const struct ac_sandbox_opts *opts, struct ac_proc_result *res);

/* Finds name, a bare command name (no '/'), in the colon-separated search
 * path the way execvp would: the first regular file there with an
 * execute bit. search NULL: the PATH a sandboxed command is given (the
 * system's directories, and CUDA's when it is installed), so a command
 * is found here as ac_sandbox_run will find it. Returns 0 with its path
 * in out, or -ENOENT. */
int ac_sandbox_which(const char *name, const char *search, char *out, size_t len);

/* The highest CPU this process may run on, or -1 when the affinity
 * cannot be read: a timed run pinned there is away from CPU 0, where
 * interrupts and the daemon's other threads tend to land. */
int ac_sandbox_last_cpu(void);

/* Frees what a result holds and zeroes it; accepts NULL. */
void ac_proc_result_clear(struct ac_proc_result *res);

/* A one-line description of how it ended: "exit 0", "killed by SIGSEGV",
 * "timed out after 10.0 s", "cancelled". Writes into buf, returns buf. */
const char *ac_proc_describe(const struct ac_proc_result *res, double timeout_s,
                             char *buf, size_t len);

#endif
