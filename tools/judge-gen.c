/*
 * judge-gen.c - the cpu target's source generator as a command, for
 * building a judged harness by hand (README "Building and running a
 * harness by hand") and for tools/bench-judge:
 *
 *     $ cp input.c .ac_reference.c
 *     $ cc -fsyntax-only -aux-info .ac_protos.aux .ac_reference.c
 *     $ judge-gen .ac_protos.aux .ac_reference.c harness.c
 *     $ ls .ac_stubs.c .ac_stubs.keep .ac_judge.c .ac_worker.c
 *
 * Writes into the current directory .ac_stubs.c (the input, then a stub
 * per function), .ac_stubs.keep (the stubs' names, for objcopy
 * --keep-global-symbols), .ac_judge.c (the harness, judged) and
 * .ac_worker.c (the candidate's loader). Exit status 0, 1 on I/O errors,
 * 2 when the input's functions cannot be forwarded (the reason on stderr).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "targets/judge/judge.h"

static int write_file(const char *name, const char *text)
{
	FILE *f = fopen(name, "w");

	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		perror(name);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct ac_protos p;
	char why[512];
	char *aux = NULL, *stubs, *keep, *judge, *worker;
	size_t cap = 0;
	FILE *f;
	int rc;

	if (argc != 4) {
		fprintf(stderr, "usage: judge-gen AUX-INFO-FILE SOURCE-NAME HARNESS\n");
		return 1;
	}
	f = fopen(argv[1], "r");
	if (!f || getdelim(&aux, &cap, '\0', f) < 0) {
		perror(argv[1]);
		return 1;
	}
	fclose(f);
	rc = ac_protos_parse(aux, argv[2], &p, why, sizeof why);
	free(aux);
	if (rc) {
		fprintf(stderr, "judge-gen: %s\n", rc == -EINVAL ? why : "out of memory");
		return 2;
	}
	stubs = ac_stubs_source(&p, argv[2]);
	keep = ac_protos_keep(&p);
	judge = ac_judge_source(argv[3]);
	worker = ac_worker_source(&p);
	ac_protos_free(&p);
	rc = !stubs || !keep || !judge || !worker || write_file(".ac_stubs.c", stubs) ||
	     write_file(".ac_stubs.keep", keep) || write_file(".ac_judge.c", judge) ||
	     write_file(".ac_worker.c", worker);
	free(stubs);
	free(keep);
	free(judge);
	free(worker);
	return rc;
}
