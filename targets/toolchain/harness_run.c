/*
 * harness_run.c - the epilogue every compiled target's timed run shares
 * (harness_run.h): run the harness through the executor, log its output
 * and report, and let report.c decide the outcome.
 *
 * It sets only the sandbox options every target shares and logs no
 * command line: the rest differs per target and stays in the target's run.
 */
#include "targets/toolchain/harness_run.h"
#include "targets/exec/executor.h"
#include "targets/judge/report.h"

#include <assert.h>
#include <string.h>

/* When a harness reported and then failed (autocomp_cuda.h and
 * autocomp_opencl.h report an API error and exit 1), adds the report's
 * message to r's. */
static void add_report_message(const struct ac_proc_result *pr, struct ac_result *r)
{
	struct ac_result rep;

	if (r->outcome != AC_RUN_ERROR || !pr->report || pr->report_len == 0)
		return;
	memset(&rep, 0, sizeof rep);
	if (ac_report_parse(pr->report, pr->report_len, &rep) == 0 && rep.message &&
	    rep.message[0])
		ac_result_set_message(r, "%s: %s", r->message ? r->message : "run error",
		                      rep.message);
	ac_result_clear(&rep);
}

void ac_harness_opts(const struct ac_job *job, struct ac_sandbox_opts *so)
{
	static char *const argv[] = { "./candidate", NULL };
	const struct ac_target_opts *o = job->opts;

	memset(so, 0, sizeof *so);
	so->dir = job->scratch_dir;
	so->argv = argv;
	so->timeout_s = o && o->timeout_s > 0 ? o->timeout_s : AC_HARNESS_TIMEOUT_S;
	so->output_cap = AC_HARNESS_OUTPUT_CAP;
	so->cpu = o ? o->cpu : -1;
	so->isolate_net = true;
	so->report = true;
	so->cancel = job->cancel;
}

int ac_harness_run(const struct ac_job *job, const struct ac_sandbox_opts *so,
                   const char *const *ship, unsigned flags, struct ac_result *r)
{
	struct ac_proc_result pr;
	char how[96];
	int rc;

	assert(job != NULL && so != NULL && r != NULL);
	assert(so->report);   /* the verdict comes only from the report pipe */
	rc = ac_exec_run(job, so, ship, &pr, r);
	if (rc < 0) {
		r->outcome = AC_RUN_ERROR;
		ac_result_set_message(r, "cannot run the candidate: %s", strerror(-rc));
		ac_result_logf(r, "cannot run: %s\n", strerror(-rc));
		return rc;
	}
	/* what the programs printed is theirs, the candidate's included: it
	 * is marked as such, and only the report below is the verdict */
	if (pr.output_len > 0)
		ac_result_logf(r, "# printed by the program (the harness's and the candidate's own "
		               "words, not the judge's):\n%s%s", pr.output,
		               pr.output[pr.output_len - 1] == '\n' ? "" : "\n");
	if (pr.truncated)
		ac_result_logf(r, "[output cut at %zu bytes]\n", pr.output_len);
	if (pr.report_len > 0)
		ac_result_logf(r, "# report: %.*s%s", (int)pr.report_len, pr.report,
		               pr.report[pr.report_len - 1] == '\n' ? "" : "\n");
	ac_proc_describe(&pr, so->timeout_s, how, sizeof how);
	if (flags & AC_HARNESS_SANDBOX_WORDS)
		ac_result_logf(r, "[%s, %.2f s; sandbox:%s%s%s]\n", how, pr.wall_s,
		               pr.net_isolated ? " no network," : " network,",
		               pr.pid_isolated ? " pid namespace," : "",
		               pr.uid_dropped ? " unprivileged uid" : " caller's uid");
	else
		ac_result_logf(r, "[%s, %.2f s]\n", how, pr.wall_s);
	ac_report_outcome(&pr, so->timeout_s, r);
	if (flags & AC_HARNESS_REPORT_MESSAGE)
		add_report_message(&pr, r);
	ac_proc_result_clear(&pr);
	return 0;
}
