/*
 * target.h - the one interface every hardware target implements.
 *
 * A target turns one candidate into one result: it builds the candidate
 * (together with the harness, the reference and the user's extra files) in
 * a scratch directory, then runs it and reports correctness and time.
 * Building and running are separate calls because the engine builds many
 * candidates in parallel but runs timed candidates one at a time.
 *
 * Targets know nothing of FUSE, SQLite or LLMs: everything they need comes
 * in a struct ac_job, everything they learn goes out in a struct ac_result.
 *
 * Folder targets/ (this header is the interface every folder may
 * include): the modules (cpu.c, cuda.c, opencl.c, command.c, listed in
 * targets.h) over three folders: toolchain/ (toolchain.h: compiling and
 * running harnesses), judge/ (judge.h: the judge's parts) and exec/
 * (executor.h: processes and files). Modules may call all three;
 * toolchain/ may call judge/ and exec/; judge/ may call exec/; exec/
 * calls none of them. A fourth folder, harness/ (harness.h: harnesses
 * written from the input's prototypes and a description of the call), is
 * called by the engine, not by a module; it may call toolchain/ and exec/.
 */
#ifndef AC_TARGET_H
#define AC_TARGET_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct ac_exec_ctx;

enum ac_outcome {
	AC_PENDING = 0,   /* not evaluated yet */
	AC_OK,            /* built, ran, correct: time_ns is valid */
	AC_WRONG,         /* built and ran, the harness found wrong results */
	AC_BUILD_ERROR,   /* the candidate (or harness, or reference) did not build */
	AC_RUN_ERROR,     /* crashed, exited non-zero, no/garbled report */
	AC_TIMEOUT,       /* killed by the wall-clock timeout */
	AC_FAILED,        /* failed before evaluation (LLM error, no code, bad edit) */
	AC_OUTCOMES       /* how many there are (not an outcome) */
};

/* "ok", "wrong", "build_error", ...; never NULL. */
const char *ac_outcome_name(enum ac_outcome o);

/* Parses a name back; returns AC_PENDING for an unknown name. */
enum ac_outcome ac_outcome_parse(const char *name);

struct ac_result {
	enum ac_outcome outcome;
	int64_t time_ns;   /* median of the timed samples; 0 unless AC_OK */
	int samples;       /* how many timed repetitions the median is over */
	double spread;     /* (q3 - q1) / median of the samples, 0 if unknown */
	char *message;     /* one line: why (e.g. "harness does not compile"); may be NULL */
	char *log;         /* what building and running printed; may be NULL */
	char *judge;       /* how the verdict was reached: a JSON object from the
	                      judge (forward_ns, sets, checked, ...); may be NULL */
	char *metrics;     /* the harness's hardware figures (ac_metric, or a command
	                      evaluator's extra keys): a JSON object of names and
	                      finite numbers; may be NULL */
};

/* Frees message and log and zeroes the struct; accepts NULL. */
void ac_result_clear(struct ac_result *r);

/* Appends printf-style text to r->log (grows it; silently gives up on OOM). */
void ac_result_logf(struct ac_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Replaces r->message with printf-style text. */
void ac_result_set_message(struct ac_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Formats a time in ns (ac_result.time_ns, a call's time) for people into
 * buf: "640 ns", "812 us", "12.3 ms", "1.24 s". Returns buf. */
const char *ac_fmt_duration(double ns, char *buf, size_t len);

/* A file that goes into every build: the harness and the user's extra files. */
struct ac_file {
	const char *name;
	const void *data;
	size_t size;
};

/* Per-kernel settings a target understands (all optional). */
struct ac_target_opts {
	const char *cc;          /* compiler (gcc, nvcc...); NULL: target default / PATH */
	const char *cflags;      /* extra flags; NULL: target default (-O3 -march=native) */
	const char *arch;        /* cuda: e.g. sm_90; NULL: detect */
	char *const *command;    /* command target: argv, "{candidate}" substituted; NULL-terminated */
	double timeout_s;        /* wall-clock limit for one run; <= 0: default 60 s */
	int cpu;                 /* core timed runs are pinned to; < 0: the target chooses */
	int cores;               /* cores a timed run has to itself, ending at cpu (the cpu
	                            target: its OpenMP threads); <= 1: one */
	double min_time_s;       /* a run's timing lasts at least this long (the harness's
	                            AC_MIN_TIME_S); <= 0: the harness's default (0.3 s) */
};

/* Everything a target needs to build and run one candidate. */
struct ac_job {
	const char *scratch_dir;    /* empty directory owned by this candidate */
	const char *run_dir;        /* shared by all candidates of the run: targets may
	                               cache reference objects here (lock it: builds run
	                               in parallel) */
	const void *candidate;      /* the candidate's source */
	size_t candidate_size;
	const void *reference;      /* the run's original input (compiled as ref_NAME) */
	size_t reference_size;
	const struct ac_file *files; /* harness + extra user files, written into scratch_dir */
	size_t nfiles;
	const struct ac_target_opts *opts;
	const atomic_int *cancel;   /* non-zero: stop now, kill what runs (may be NULL) */
	struct ac_exec_ctx *exec;   /* where the timed run happens (executor.h):
	                               run calls ac_exec_run; NULL: here */
};

struct ac_target {
	const char *name;          /* "cpu", "cuda", "opencl", "command" */
	const char *input_name;    /* the file the search rewrites: "input.c", "input.cu"... */
	const char *harness_name;  /* the harness file it needs, NULL if none */

	/* Writes one human line into buf: "gcc 12.2.0" or why it is unavailable
	 * ("nvcc not found"). Returns 0 when the target can build and run,
	 * -ENOENT/-ENODEV... when it cannot (buf says why). Cheap enough to call
	 * at mount time; may run a compiler's --version. */
	int (*probe)(char *buf, size_t len);

	/* Builds the candidate in job->scratch_dir. Returns 0 when the target did
	 * its work: r->outcome is AC_OK (built) or AC_BUILD_ERROR with r->message
	 * naming what failed ("harness does not compile", "candidate does not
	 * compile", "reference does not compile") and the compiler output in
	 * r->log. Returns a negative errno only when it could not try (I/O). */
	int (*build)(const struct ac_job *job, struct ac_result *r);

	/* Runs a built candidate and fills r (outcome, time, samples, spread,
	 * message, log). Called one at a time by the engine for timing. Same
	 * return convention as build. */
	int (*run)(const struct ac_job *job, struct ac_result *r);
};

/* Looks a target up by name; NULL if there is none. */
const struct ac_target *ac_target_find(const char *name);

/* The known targets, NULL-terminated, in display order. */
const struct ac_target *const *ac_target_all(void);

#endif
