/*
 * sandbox_child.h - internal to the sandbox (sandbox.c, sandbox_child.c):
 * the plan the parent prepares before fork() and the records the child
 * side sends back on the status pipe.
 *
 * Everything the child needs is in the plan, allocated and resolved by
 * the parent: after fork() in a multithreaded daemon the child may make
 * async-signal-safe calls only (see sandbox_child.c).
 */
#ifndef AC_SANDBOX_CHILD_H
#define AC_SANDBOX_CHILD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

/* Records the child side writes on the status pipe (each one write() of
 * 8 bytes, so they arrive whole). */
enum sandbox_rec_kind {
	REC_NET = 1,     /* value: 1 if a new network namespace was made */
	REC_PID,         /* value: 1 if a new PID namespace was made */
	REC_SETUP_ERR,   /* value: errno of a failed setup step */
	REC_EXEC_ERR,    /* value: errno of the failed execve */
	REC_STATUS,      /* value: the command's wait status (from the ns init) */
	REC_INIT,        /* value: the ns init's pid, as the parent sees it */
};

struct sandbox_rec {
	int32_t kind;
	int32_t value;
};

/* Everything the child needs, prepared by the parent before fork(). */
struct sandbox_plan {
	const char *dir;
	const char *path;        /* resolved executable */
	char *const *argv;
	char **envp;
	pid_t parent;
	int devnull, out_w, rep_w, st_w;   /* parent's descriptors (rep_w may be -1) */
	int rep_fd, st_fd;                 /* numbers they get in the child */
	int cpu, ncpus;
	bool isolate_net;
	bool pidns;
	bool drop;
	uid_t uid;
	gid_t gid;
	struct rlimit as, cpu_time, nproc, fsize, nofile;
};

/* The child side, from fork() to execve() (with a PID namespace also its
 * init, the reaper). Never returns: it executes the command, or reports
 * why not on the status pipe (REC_SETUP_ERR, REC_EXEC_ERR) and exits 127.
 * p belongs to the parent and is only read. */
void ac_sandbox_child_main(const struct sandbox_plan *p) __attribute__((noreturn));

#endif
