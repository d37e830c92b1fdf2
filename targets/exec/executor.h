/*
 * executor.h - where a built candidate's timed run happens.
 *
 * Builds always happen on this machine; an executor decides where the
 * timed run of a built candidate goes:
 *
 *  - local: the sandbox on this machine (ac_sandbox_run), one timed run at
 *    a time on one core - what the engine did before executors existed.
 *  - slurm: one Slurm job step on one node of a cluster, exclusive, as many
 *    at once as the engine gives slots. The run's files (the executables
 *    and the kernel's files, a list the target gives) travel to the node
 *    with `srun --bcast`, packed into a copy of autocompfs-run, the small
 *    program that unpacks them on the node and runs the same sandbox
 *    around the candidate there. No shared filesystem is assumed.
 *
 * A target's run calls ac_exec_run() where it called ac_sandbox_run(); the
 * job says which executor (job->exec, NULL meaning local). Targets learn
 * nothing else of clusters; executors know nothing of targets, FUSE,
 * SQLite or LLMs.
 *
 * Calling sequence (the engine):
 *
 *     ac_executor_find("slurm")                  once per kernel run
 *     ex->probe(args, line)                      the `targets` line
 *     ex->cleanup(prefix, keep)                  at start: jobs a killed daemon left
 *     ... for each timed run, with a slot taken:
 *         struct ac_exec_ctx x = { ex, args, job_name, comment, note };
 *         job.exec = &x;  target->run(&job, &r)  -> ac_exec_run()
 *         x.job_id, x.node, x.why                 what happened, for the store
 *
 * Folder targets/exec/ owns processes and files: the sandbox
 * (sandbox.c, sandbox_child.c), the executors (executor.c, slurm.c, the
 * node program noderun.c), writing files whole (fileio.c), the command
 * lines and lists of names (argv.c) and words replaced in a command line
 * (subst.c). It calls
 * nothing else of targets/ but the interface, target.h.
 */
#ifndef AC_EXECUTOR_H
#define AC_EXECUTOR_H

#include <stdbool.h>
#include <stddef.h>

#include "targets/exec/sandbox.h"
#include "targets/target.h"

struct ac_executor;

/* One timed run's dispatch: filled by the engine, read and completed by
 * the executor. Lives as long as the run (the engine's stack). */
struct ac_exec_ctx {
	const struct ac_executor *executor; /* NULL: local */
	char *const *args;          /* extra scheduler arguments (config.json
	                               "slurm_args"), NULL-terminated; may be NULL */
	const char *job_name;       /* unique name of this run's job; it carries
	                               the state directory's identity (see cleanup) */
	const char *comment;        /* the job's comment (words for an admin); may be NULL */
	/* Called (from the running thread) with a line for the kernel's log
	 * when the run must wait for the scheduler ("the Slurm controller is
	 * unreachable ...") and when it goes on; waiting true while it waits.
	 * May be NULL. */
	void (*note)(void *arg, bool waiting, const char *line);
	void *note_arg;

	/* out: what happened (empty strings when nothing was dispatched) */
	char job_id[32];            /* the scheduler's job id ("4121") */
	char node[128];             /* the node it ran on ("gpu-17") */
	int attempts;               /* jobs submitted for this run (losses + 1) */
	double dispatch_s;          /* submit to start on the node, last attempt */
	double return_s;            /* end on the node to result here, last attempt */
	char why[512];              /* non-empty: the run could not be done at all,
	                               not the candidate's fault ("srun not found",
	                               "the job was lost 3 times: ..."); the result
	                               is a run error with this message */
};

struct ac_executor {
	const char *name;           /* "local", "slurm" */

	/* One human line for `targets` ("2 nodes up in partition gpu, up to 2
	 * timed runs at once", or why it cannot run: "srun not found").
	 * args as in ac_exec_ctx. Returns 0 when runs can go there, -ENOENT,
	 * -EHOSTUNREACH... when not (buf says why). May take seconds (it asks
	 * the scheduler); never call it from a FUSE handler. */
	int (*probe)(char *const *args, char *buf, size_t len);

	/* How many timed runs may go at once: the nodes that are up (for args'
	 * partition); 1 for local. Returns >= 1, or a negative errno when the
	 * scheduler cannot say. */
	int (*slots)(char *const *args);

	/* Runs so->argv somewhere, as ac_sandbox_run would here: so->dir is the
	 * candidate's scratch directory, ship the files of it the run needs
	 * (see ac_exec_run; job->files travel too). Returns as ac_sandbox_run; with ctx->why set, a
	 * negative errno meaning the run could not be done. Waits (and says
	 * so through ctx->note) while the scheduler is unreachable; stops,
	 * cancelling the job, when so->cancel becomes non-zero. A job lost
	 * (cancelled from outside, its node gone) is submitted again, up to
	 * three times. Safe to call from several threads at once. */
	int (*run)(struct ac_exec_ctx *ctx, const struct ac_job *job, const struct ac_sandbox_opts *so,
	           const char *const *ship, struct ac_proc_result *res, struct ac_result *r);

	/* Cancels the jobs whose names start with prefix but not with keep:
	 * those an earlier daemon of the same state directory left behind
	 * (kill -9). Returns how many it cancelled (>= 0) or a negative errno;
	 * writes a line saying what it did into buf. NULL for local. */
	int (*cleanup)(const char *prefix, const char *keep, char *buf, size_t len);

	/* Appends to buf a phrase for the mount's `status` while something is
	 * wrong ("the Slurm controller is unreachable since 20:31:05: ...");
	 * writes "" when all is well. NULL for local. */
	void (*status)(char *buf, size_t len);
};

/* The executors, by name ("local", "slurm"); NULL for an unknown name. */
const struct ac_executor *ac_executor_find(const char *name);

/* The local executor: ac_sandbox_run on this machine. */
extern const struct ac_executor ac_executor_local;

/* The Slurm executor (targets/exec/slurm.c). */
extern const struct ac_executor ac_executor_slurm;

/* What a target's run calls instead of ac_sandbox_run: runs so through
 * job->exec's executor (local when job->exec or its executor is NULL).
 * ship is the NULL-terminated list of files, relative to so->dir, that
 * the run needs besides job->files (which always travel): the executable
 * ("candidate"), its helpers ("candidate.worker"), the sources an
 * evaluator reads. A listed name that does not exist is skipped, so a
 * target may list what only some builds make. Lines saying where it ran
 * ("# slurm: job 4121 on node n2") go into r->log. Same return
 * convention as ac_sandbox_run; the caller owns res. */
int ac_exec_run(const struct ac_job *job, const struct ac_sandbox_opts *so,
                const char *const *ship, struct ac_proc_result *res, struct ac_result *r);

/* True when job's timed run happens on this machine (no executor, or the
 * local one): a target checks local hardware (a GPU) only then. */
bool ac_exec_is_local(const struct ac_job *job);

/* --- the bundle: what travels to a node ----------------------------- */

/* A bundle is a copy of the autocompfs-run executable with a payload
 * appended: a manifest (JSON: the sandbox options, argv, environment, the
 * scratch directory's path here) and the files, then a trailer naming
 * the payload's length. Appended bytes do not change what the ELF loader
 * maps, so the bundle is an executable that srun --bcast can ship and
 * start; autocompfs-run reads its own tail (see targets/exec/noderun.c). */

/* The installed or built autocompfs-run: $AUTOCOMP_RUN if set, else the
 * one next to the running executable, else the build tree's, else the
 * installed one. Never NULL (static storage). */
const char *ac_bundle_runner(void);

/* Writes the bundle for so and ship (as ac_exec_run) to path (mode 0755).
 * Returns 0 or -errno (-ENOENT: the runner or a needed file is missing). */
int ac_bundle_write(const char *path, const struct ac_sandbox_opts *so,
                    const char *const *ship, const struct ac_job *job);

/* Reads the bundle at path (normally /proc/self/exe): the manifest text
 * (NUL-terminated, caller frees) and unpacks the files into dir. Returns
 * 0 or -errno (-ENOEXEC: no payload). */
int ac_bundle_unpack(const char *path, const char *dir, char **manifest);

/* The result line autocompfs-run prints ("AC-RESULT {...}"), into a
 * malloc'd string (NULL on OOM). times: wall clock (CLOCK_REALTIME, s) at
 * the run's start and end on the node. */
char *ac_bundle_result_line(const struct ac_proc_result *res, double start, double end);

/* Parses such a line (without the "AC-RESULT " prefix) into res (the
 * caller frees it with ac_proc_result_clear) and the node's times.
 * Returns 0 or -EPROTO. */
int ac_bundle_result_parse(const char *json, struct ac_proc_result *res, double *start,
                           double *end);

#endif
