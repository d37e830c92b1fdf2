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
	bool isolate_net;         /* try a new network namespace (best effort) */
	bool report;              /* open a report pipe; its fd number is put in
	                             the child's AC_REPORT_FD */
	/* rlimits; 0 means the default in brackets */
	size_t mem_bytes;         /* RLIMIT_AS [8 GiB] */
	unsigned cpu_s;           /* RLIMIT_CPU [timeout + 5 s] */
	unsigned nproc;           /* processes the group may make [256, builds need some] */
	size_t fsize_bytes;       /* RLIMIT_FSIZE [256 MiB] */
	unsigned nofile;          /* RLIMIT_NOFILE [256] */
	const atomic_int *cancel; /* non-zero: kill the group and return */
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
};

/* Runs opts->argv to completion (or timeout/cancel), waits for every process
 * of its group to be gone, and fills *res. Returns 0 when the command ran
 * (whatever its exit status), a negative errno when it could not be started.
 * The caller owns res->output and res->report: free with ac_proc_result_clear. */
int ac_sandbox_run(const struct ac_sandbox_opts *opts, struct ac_proc_result *res);

/* Frees what a result holds and zeroes it; accepts NULL. */
void ac_proc_result_clear(struct ac_proc_result *res);

/* A one-line description of how it ended: "exit 0", "killed by SIGSEGV",
 * "timed out after 10.0 s", "cancelled". Writes into buf, returns buf. */
const char *ac_proc_describe(const struct ac_proc_result *res, double timeout_s,
                             char *buf, size_t len);

#endif
