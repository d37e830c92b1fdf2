/*
 * describe.c - a harness for a run whose kernel has none (describe.h).
 *
 * The steps, each logged: learn the input's signature (compiler steps, a
 * build slot), check config.json's "call" against it, measure the call
 * when sizes are to be chosen or the access of a non-const buffer is not
 * said (one timed run, the timing slot), write harness.c. The harness
 * becomes a file of the run (so a resumed run builds the same one) and of
 * the kernel (so the user sees it), and the description it came from is
 * written beside it as config.draft.json.
 *
 *   $ cp kernel_gemm.c /mnt/ac/kernels/gemm/input.c
 *   $ cat /mnt/ac/kernels/gemm/status
 *   baseline: building and timing the input (cpu target; harness written for
 *   ni = nj = nk = 256: a call takes 2.78 ms)
 *
 * What this file does not do: choose values (targets/harness/plan.c) or
 * write C (gen.c). A user's harness.c is never touched.
 */
#include "engine/describe.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/calldesc.h"
#include "engine/core/host.h"
#include "engine/core/sigcache.h"
#include "engine/util/util.h"
#include "targets/harness/harness.h"
#include "targets/exec/fileio.h"

bool describe_supported(const char *target)
{
	return target && !strcmp(target, "cpu");
}

/* " * The call: ..." of a generated harness (continued on " *   "
 * lines), for the prompts of a resumed run. */
static char *call_line(const char *text)
{
	static const char tag[] = " * The call: ", more[] = " *   ";
	const char *p = strstr(text, tag);
	char *out = NULL;
	size_t len = 0;
	FILE *o;

	if (!p)
		return NULL;
	o = open_memstream(&out, &len);
	if (!o)
		return NULL;
	p += sizeof tag - 1;
	for (;;) {
		const char *e = strchr(p, '\n');

		fprintf(o, "%.*s", e ? (int)(e - p) : (int)strlen(p), p);
		if (!e || strncmp(e + 1, more, sizeof more - 1))
			break;
		fputc(' ', o);
		p = e + 1 + sizeof more - 1;
	}
	if (fclose(o) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* Logs a tool's output line by line ("harness: ..."), the last 40 lines. */
static void log_lines(struct run_ctx *rc, const char *text)
{
	int n = 0;
	const char *p;

	if (!text)
		return;
	for (p = text; *p; p++)
		n += *p == '\n';
	for (p = text; *p;) {
		const char *e = strchr(p, '\n');
		int len = e ? (int)(e - p) : (int)strlen(p);

		if (n-- <= 40 && len > 0)
			run_log(rc, "harness: %.*s", len, p);
		p += len + (e ? 1 : 0);
	}
}

/* Writes name into the kernel's directory unless the user has a file of
 * that name of their own. */
static void put_kernel_file(struct run_ctx *rc, const char *name, const char *text)
{
	struct store *w = rc->host->writer;
	struct file_row f;
	int e = store_file_get(w, rc->kid, name, true, &f);
	bool ours = e == -ENOENT || (e == 0 && ac_harness_generated(f.data, f.size));

	file_row_clear(&f);
	if (!ours) {
		run_log(rc, "harness: %s is your own: left as it is", name);
		return;
	}
	if (host_stored(store_file_put(w, rc->kid, name, text, strlen(text), 0644, now_ns()),
	                name) == 0)
		host_touch(rc->host, rc->kid);
}

/* config.json's other keys, then "call": desc, with a note on top. */
static char *draft_text(const char *config, const char *desc, const char *needs)
{
	char *body = NULL, *plain = config ? strdup(config) : NULL, *marked;
	size_t len = 0;
	FILE *o = open_memstream(&body, &len);
	cJSON *root, *it;

	if (!o) {
		free(plain);
		return NULL;
	}
	if (plain)
		cJSON_Minify(plain);
	root = plain && plain[0] ? cJSON_Parse(plain) : NULL;
	fprintf(o, "// config.json with the call described (README: \"Describing the call\").\n");
	if (needs)
		fprintf(o, "// What the engine needs: %s.\n// Check every value marked \"guess\", "
		           "then write this file to config.json.\n", needs);
	else
		fprintf(o, "// The harness came from this; to change the call, edit it and write it "
		           "to config.json.\n");
	fprintf(o, "{\n");
	cJSON_ArrayForEach(it, root) {
		char *v;

		if (!strcmp(it->string, "call"))
			continue;
		v = cJSON_PrintUnformatted(it);
		if (v)
			fprintf(o, "  \"%s\": %s,\n", it->string, v);
		free(v);
	}
	fprintf(o, "  \"call\": %s\n}\n", desc);
	cJSON_Delete(root);
	free(plain);
	if (fclose(o) != 0) {
		free(body);
		return NULL;
	}
	marked = ac_mark_draft(body);
	free(body);
	return marked;
}

/* The chosen sizes in a few words: "ni = nj = nk = 256" ("" none). */
static void sizes_words(const struct ac_plan *p, char *buf, size_t len)
{
	size_t at = 0;
	int picked = 0;

	buf[0] = '\0';
	for (int k = 0; k < p->nargs && at < len; k++)
		if (p->args[k].how == AC_HOW_PICKED)
			at += (size_t)snprintf(buf + at, len - at, "%s%s", picked++ ? " = " : "",
			                       p->args[k].p->name);
	if (picked && at < len)
		snprintf(buf + at, len - at, " = %lld", (long long)p->picked);
}

/* Measures a plan holding the timing slot: 0 and *ok, or -errno. */
static int measure(struct run_ctx *rc, const struct ac_job *job, struct ac_plan *plan,
                   struct ac_result *r, bool *ok)
{
	/* always here, on this machine's timing cores: sizes are chosen for
	 * the local target (a Slurm node may be faster or slower) */
	atomic_fetch_add(&rc->host->timing_waiting, 1);
	pthread_mutex_lock(&rc->host->timing_lock);
	host_cores_reserve(rc->host, rc->topts.cores);
	atomic_fetch_sub(&rc->host->timing_waiting, 1);
	int err = ac_plan_measure(job, plan, r, ok);
	host_cores_release(rc->host);
	pthread_mutex_unlock(&rc->host->timing_lock);
	return err;
}

/* Ends the run because the kernel cannot be described: the draft (when
 * there is one: the lengths nobody gave guessed, then measured like a
 * description, so that the draft says what the call reads and writes)
 * and the one line of what is missing. */
static int missing(struct run_ctx *rc, const struct ac_job *job, const struct ac_sig *sig,
                   const struct ac_call *call, const char *why)
{
	struct ac_plan guess;
	char w[600];
	bool draft = false;

	if (sig && ac_plan_guess(sig, call, &guess, w, sizeof w) == 0) {
		if (guess.to_pick || guess.to_probe) {
			struct ac_result r = {0};
			bool ok;

			run_progress(rc, RS_BASELINE, "baseline: measuring %s's call with guessed "
			             "lengths, for a draft description", guess.fn->name);
			if (measure(rc, job, &guess, &r, &ok) == 0 && !ok)
				run_log(rc, "harness: the call with the draft's guessed lengths failed: %s",
				        r.message ? r.message : "see the draft");
			ac_result_clear(&r);
		}
		char *desc = ac_plan_description(&guess, 2);
		char *text = desc ? draft_text(rc->row.config, desc, why) : NULL;

		if (text) {
			put_kernel_file(rc, DESCRIBE_DRAFT, text);
			draft = true;
		}
		free(text);
		free(desc);
		ac_plan_free(&guess);
	}
	if (run_cancelled(rc))
		return -ECANCELED;
	run_status(rc, RS_WAITING, "waiting: no harness.c, and %s%s", why,
	           draft ? "; " DESCRIBE_DRAFT " is a draft of it to check" : "");
	host_stored(run_set_state(rc, RS_FAILED), "a run's state");
	return -ENOEXEC;
}

/* The run's job for the describing steps: the input as the candidate,
 * the user's extra files, in run_dir/harness. */
static int make_job(struct run_ctx *rc, char *dir, size_t dirlen, struct ac_job *job)
{
	snprintf(dir, dirlen, "%s/harness", rc->run_dir);
	ac_remove_tree(dir);
	int err = mkdir_p(dir, 0700);
	if (err)
		return err;
	*job = (struct ac_job){
		.scratch_dir = dir,
		.run_dir = rc->run_dir,
		.candidate = rc->row.input,
		.candidate_size = strlen(rc->row.input),
		.reference = rc->row.input,
		.reference_size = strlen(rc->row.input),
		.files = rc->afiles,
		.nfiles = (size_t)rc->nfiles,
		.opts = &rc->topts,
		.cancel = &rc->cancel,
	};
	return 0;
}

/* Adds harness.c to the run's files (stored first: a resumed run finds it). */
static int add_run_file(struct run_ctx *rc, const char *text)
{
	size_t len = strlen(text);
	int err = store_run_file_put(rc->host->writer, rc->rid, "harness.c", text, len);
	if (err)
		return err;
	struct file_row *f = realloc(rc->files, sizeof *f * (size_t)(rc->nfiles + 1));
	if (!f)
		return -ENOMEM;
	rc->files = f;
	memset(&f[rc->nfiles], 0, sizeof f[0]);
	f[rc->nfiles].name = strdup("harness.c");
	f[rc->nfiles].data = strdup(text);
	f[rc->nfiles].size = len;
	if (!f[rc->nfiles].name || !f[rc->nfiles].data) {
		free(f[rc->nfiles].name);
		free(f[rc->nfiles].data);
		return -ENOMEM;
	}
	rc->nfiles++;
	struct ac_file *af = realloc(rc->afiles, sizeof *af * (size_t)(rc->nfiles + 1));
	if (!af)
		return -ENOMEM;
	rc->afiles = af;
	for (int i = 0; i < rc->nfiles; i++) {
		af[i].name = rc->files[i].name;
		af[i].data = rc->files[i].data;
		af[i].size = rc->files[i].size;
	}
	return 0;
}

/* Learns, plans, measures: 0 with *plan made (sig its owner's), or the
 * run's end (-ENOEXEC, status set), or -errno. */
static int plan_call(struct run_ctx *rc, const struct ac_job *job, struct ac_sig *sig,
                     const struct ac_call *call, struct ac_plan *plan)
{
	struct ac_result r = {0};
	char why[600];
	bool ok;

	host_build_acquire(rc->host);
	int err = ac_sig_learn(job, sig, &r, &ok);
	host_build_release(rc->host);
	if (err == -ECANCELED || run_cancelled(rc)) {
		ac_result_clear(&r);
		if (!err && ok)
			ac_sig_free(sig);
		return -ECANCELED;
	}
	if (err || !ok) {
		log_lines(rc, r.log);
		run_status(rc, RS_FAILED, "failed: no harness.c, and the engine could not read the "
		           "input's prototypes: %s", r.message ? r.message : strerror(-err));
		host_stored(run_set_state(rc, RS_FAILED), "a run's state");
		ac_result_clear(&r);
		return err ? err : -ENOEXEC;
	}
	ac_result_clear(&r);
	err = ac_plan_make(sig, call, plan, why, sizeof why);
	if (err == -EINVAL)
		return missing(rc, job, sig, call, why);
	if (err)
		return err;
	if (plan->to_pick || plan->to_probe) {
		run_progress(rc, RS_BASELINE, "baseline: measuring %s's call to write its harness%s",
		             plan->fn->name, plan->to_pick ? " (choosing sizes: 1-100 ms a call)" : "");
		err = measure(rc, job, plan, &r, &ok);
		if (err == -ECANCELED || run_cancelled(rc)) {
			ac_result_clear(&r);
			return -ECANCELED;
		}
		if (err || !ok) {
			log_lines(rc, r.log);
			run_status(rc, RS_FAILED, "failed: no harness.c, and measuring the call to write "
			           "one failed: %s", r.message ? r.message : strerror(-err));
			host_stored(run_set_state(rc, RS_FAILED), "a run's state");
			ac_result_clear(&r);
			return err ? err : -ENOEXEC;
		}
		ac_result_clear(&r);
	}
	err = ac_plan_eval(plan, why, sizeof why);
	if (err == -EINVAL) {
		ac_plan_free(plan);
		return missing(rc, job, sig, call, why);
	}
	return err;
}

int describe_run(struct run_ctx *rc)
{
	struct ac_call call = {0};
	struct ac_sig sig = {0};
	struct ac_plan plan = {0};
	struct ac_job job;
	char dir[PATH_MAX + 16], why[600], d[32];
	int err;

	if (!describe_supported(rc->target->name))
		return 0;
	for (int i = 0; i < rc->nfiles; i++) {
		if (strcmp(rc->files[i].name, "harness.c"))
			continue;
		if (ac_harness_generated(rc->files[i].data, rc->files[i].size))
			rc->call_words = call_line(rc->files[i].data);
		else if (rc->cfg.call)
			run_log(rc, "harness: config.json's \"call\" is not used: harness.c is your own");
		return 0;
	}
	if (rc->cfg.call && calldesc_parse_text(rc->cfg.call, &call, why, sizeof why)) {
		run_status(rc, RS_FAILED, "failed: %s", why);
		host_stored(run_set_state(rc, RS_FAILED), "a run's state");
		return -ENOEXEC;
	}
	run_progress(rc, RS_BASELINE, "baseline: reading the input's prototypes to write its "
	             "harness (no harness.c)");
	err = make_job(rc, dir, sizeof dir, &job);
	if (!err)
		err = plan_call(rc, &job, &sig, rc->cfg.call ? &call : NULL, &plan);
	if (err) {
		ac_plan_free(&plan);
		/* a signature learned is still worth keeping for config.json's check */
		if (sig.nfn > 0)
			sigcache_put(rc->host->sigs, rc->kid, sigcache_hash(rc->row.input,
			             strlen(rc->row.input)), &sig);
		ac_call_clear(&call);
		ac_remove_tree(dir);
		return err;
	}
	char *text = ac_plan_harness(&plan);
	char *desc = ac_plan_description(&plan, 2);
	char *draft = desc ? draft_text(rc->row.config, desc, NULL) : NULL;
	rc->call_words = ac_plan_words(&plan);
	if (!text || !draft || !rc->call_words) {
		err = -ENOMEM;
	} else {
		err = add_run_file(rc, text);
		if (!err) {
			put_kernel_file(rc, "harness.c", text);
			put_kernel_file(rc, DESCRIBE_DRAFT, draft);
			sizes_words(&plan, rc->call_sizes, sizeof rc->call_sizes);
			run_log(rc, "harness: wrote harness.c for %s (%s)", rc->call_words,
			        plan.note[0] ? plan.note : "as config.json describes it");
			if (rc->call_sizes[0] && plan.call_ns > 0)
				snprintf(rc->call_note, sizeof rc->call_note, "harness written for %s: a call "
				         "takes %s", rc->call_sizes, fmt_duration((int64_t)plan.call_ns, d,
				                                                  sizeof d));
			else
				snprintf(rc->call_note, sizeof rc->call_note, "harness written from %s",
				         rc->cfg.call ? "config.json's \"call\"" : "the prototype");
		}
	}
	free(text);
	free(desc);
	free(draft);
	ac_plan_free(&plan);
	sigcache_put(rc->host->sigs, rc->kid, sigcache_hash(rc->row.input, strlen(rc->row.input)),
	             &sig);
	ac_call_clear(&call);
	ac_remove_tree(dir);
	return err;
}
