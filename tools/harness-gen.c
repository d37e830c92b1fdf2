/*
 * harness-gen.c - the engine's harness writer as a command: what the
 * mount does for a kernel that arrives without harness.c, by hand
 * (README "Describing the call"), and for tools/bench-harnessgen.
 *
 *     $ build/harness-gen tests/kernels/described/gemm-vla/input.c /tmp/g
 *     harness-gen: kernel_gemm(ni = 128, nj = 128, ...)
 *     harness-gen: sizes: a call takes 2.31 ms (sizes doubled from 16 ...)
 *     $ ls /tmp/g
 *     config.draft.json  harness.c
 *
 * With --config FILE, the "call" of that config.json is the description.
 * The input is compiled and run (in the sandbox, as the mount does) to
 * learn its types and to measure the call. Exit status 0; 1 on I/O
 * errors; 2 when the description cannot work (the reason on stderr).
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/core/calldesc.h"
#include "engine/core/config.h"
#include "engine/util/util.h"
#include "targets/harness/harness.h"
#include "targets/exec/fileio.h"

static char *slurp(const char *path)
{
	char *buf = NULL;
	size_t cap = 0;
	FILE *f = fopen(path, "r");

	if (!f || getdelim(&buf, &cap, '\0', f) < 0) {
		if (f)
			fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	return buf;
}

static int put(const char *dir, const char *name, const char *text)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		perror(path);
		return 1;
	}
	return 0;
}

/* Learns, plans, measures and writes; the exit status. */
static int run(const struct ac_job *job, const struct ac_call *call, const char *outdir,
               struct ac_result *r)
{
	struct ac_sig sig;
	struct ac_plan plan;
	char err[600], *text, *desc, *words;
	bool ok;
	int rc;

	rc = ac_sig_learn(job, &sig, r, &ok);
	if (rc < 0 || !ok) {
		fprintf(stderr, "%sharness-gen: %s\n", r->log ? r->log : "",
		        r->message ? r->message : strerror(-rc));
		return 2;
	}
	rc = ac_plan_make(&sig, call, &plan, err, sizeof err);
	if (rc == -EINVAL) {
		/* what the mount shows then: a draft with the guesses marked */
		fprintf(stderr, "harness-gen: %s\n", err);
		if (ac_plan_guess(&sig, call, &plan, err, sizeof err) == 0) {
			desc = ac_plan_description(&plan, 2);
			if (desc)
				fprintf(stderr, "a draft:\n{\n  \"call\": %s\n}\n", desc);
			free(desc);
			ac_plan_free(&plan);
		}
		ac_sig_free(&sig);
		return 2;
	}
	if (rc) {
		ac_sig_free(&sig);
		return 1;
	}
	rc = 0;
	if (plan.to_pick || plan.to_probe) {
		int e = ac_plan_measure(job, &plan, r, &ok);

		if (e < 0 || !ok) {
			fprintf(stderr, "%sharness-gen: %s\n", r->log ? r->log : "",
			        r->message ? r->message : strerror(-e));
			rc = 2;
		}
	}
	if (!rc && ac_plan_eval(&plan, err, sizeof err)) {
		fprintf(stderr, "harness-gen: %s\n", err);
		rc = 2;
	}
	if (!rc) {
		words = ac_plan_words(&plan);
		fprintf(stderr, "harness-gen: %s\n", words ? words : "");
		if (plan.note[0])
			fprintf(stderr, "harness-gen: sizes: %s\n", plan.note);
		free(words);
		text = ac_plan_harness(&plan);
		desc = ac_plan_description(&plan, 2);
		rc = 1;
		if (text && desc) {
			char *draft = NULL;

			if (asprintf(&draft, "{\n  \"call\": %s\n}\n", desc) > 0)
				rc = put(outdir, "harness.c", text) | put(outdir, "config.draft.json", draft);
			free(draft);
		}
		free(text);
		free(desc);
	}
	ac_plan_free(&plan);
	ac_sig_free(&sig);
	return rc;
}

int main(int argc, char **argv)
{
	const char *config = NULL, *input, *outdir = ".";
	struct ac_config cfg;
	struct ac_call call;
	struct ac_result r;
	struct ac_target_opts opts;
	struct ac_job job;
	char err[600], scratch[] = "/tmp/harness-gen-XXXXXX";
	char *src, *text;
	int rc, i = 1;

	if (argc > 2 && !strcmp(argv[1], "--config")) {
		config = argv[2];
		i = 3;
	}
	if (argc - i < 1 || argc - i > 2) {
		fprintf(stderr, "usage: harness-gen [--config config.json] INPUT.c [OUTDIR]\n");
		return 1;
	}
	input = argv[i];
	if (argc - i == 2)
		outdir = argv[i + 1];
	memset(&call, 0, sizeof call);
	config_defaults(&cfg);
	if (config) {
		text = slurp(config);
		if (!text) {
			perror(config);
			return 1;
		}
		rc = config_parse(text, strlen(text), &cfg, err, sizeof err);
		free(text);
		if (!rc && cfg.call)
			rc = calldesc_parse_text(cfg.call, &call, err, sizeof err);
		if (rc) {
			fprintf(stderr, "harness-gen: %s\n", err);
			return 2;
		}
	}
	src = slurp(input);
	if (!src || !mkdtemp(scratch)) {
		perror(src ? "mkdtemp" : input);
		return 1;
	}
	chmod(scratch, 0755);
	memset(&opts, 0, sizeof opts);
	opts.cc = cfg.cc;
	opts.cflags = cfg.cflags;
	opts.cpu = -1;
	memset(&job, 0, sizeof job);
	job.scratch_dir = scratch;
	job.candidate = job.reference = src;
	job.candidate_size = job.reference_size = strlen(src);
	job.opts = &opts;
	memset(&r, 0, sizeof r);
	rc = run(&job, config ? &call : NULL, outdir, &r);
	ac_call_clear(&call);
	config_clear(&cfg);
	ac_result_clear(&r);
	free(src);
	ac_remove_tree(scratch);
	return rc;
}
