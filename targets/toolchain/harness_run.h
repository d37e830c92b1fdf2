/*
 * harness_run.h - the timed run of a built candidate, as the compiled
 * targets (cpu, cuda, opencl) do it: their harness process (./candidate)
 * run through the job's executor with the report pipe, what it printed and
 * reported logged, and the outcome decided by report.h's rules.
 *
 * A target's run starts from the options every run shares
 * (ac_harness_opts), adds its own (environment, limits, pinning), logs the
 * command it runs ("$ ./candidate   (timeout 60.0 s)"), calls
 * ac_harness_run, and may add to the log afterwards (the cpu target's
 * judge line).
 */
#ifndef AC_HARNESS_RUN_H
#define AC_HARNESS_RUN_H

#include "targets/exec/sandbox.h"
#include "targets/target.h"

/* What a target adds to the shared epilogue. */
enum ac_harness_flags {
	/* the closing line says how the sandbox held the run:
	 * "[exit 0, 1.23 s; sandbox: no network, pid namespace, unprivileged uid]"
	 * instead of "[exit 0, 1.23 s]" */
	AC_HARNESS_SANDBOX_WORDS = 1 << 0,
	/* a run error after a report (a harness header that reports an API
	 * error, then exits 1) gets the report's message added to its own:
	 * "harness exited 1 after reporting: cudaMalloc: out of memory" */
	AC_HARNESS_REPORT_MESSAGE = 1 << 1,
};

#define AC_HARNESS_TIMEOUT_S 60.0
#define AC_HARNESS_OUTPUT_CAP (64u * 1024u)

/* Fills *so with what every compiled target's timed run shares: the
 * harness ./candidate in job->scratch_dir, the kernel's timeout
 * (job->opts->timeout_s, else AC_HARNESS_TIMEOUT_S), its output capped at
 * AC_HARNESS_OUTPUT_CAP, pinned to job->opts->cpu (< 0 or no opts: not
 * pinned), no network, the report pipe, the job's cancel flag; every
 * other option zero (the sandbox's default). */
void ac_harness_opts(const struct ac_job *job, struct ac_sandbox_opts *so);

/* Runs so (the harness; so->report must be set) through ac_exec_run with
 * ship (executor.h), then appends to r->log what it printed ("[output cut
 * at N bytes]" when capped), its report ("# report: {...}") and how it
 * ended, and sets r's outcome, time_ns, samples, spread and message with
 * ac_report_outcome (flags: enum ac_harness_flags). Returns 0 when the
 * harness ran, whatever its verdict; when it could not be run, sets
 * AC_RUN_ERROR "cannot run the candidate: ..." (logged) and returns that
 * -errno. Nothing of the run is kept: the caller owns only r. */
int ac_harness_run(const struct ac_job *job, const struct ac_sandbox_opts *so,
                   const char *const *ship, unsigned flags, struct ac_result *r);

#endif
