/*
 * test_fuzz_corpus.c - replays every file of tests/fuzz/corpus/NAME/
 * through the libFuzzer harness tests/fuzz/fuzz_NAME.c, in the ordinary
 * build (gcc, no libFuzzer), so that what fuzzing found stays tested in CI
 * without clang.
 *
 * The harnesses are compiled into this file as they are, with their entry
 * point renamed, so a corpus file takes exactly the path it took under
 * tools/fuzz: a harness abort()s when a parser breaks its contract, and a
 * crash on a corpus file is reported with the file's name.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support.h"

#define LLVMFuzzerTestOneInput fuzz_config_one
#include "tests/fuzz/fuzz_config.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_reply_one
#include "tests/fuzz/fuzz_reply.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_llm_one
#include "tests/fuzz/fuzz_llm.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_report_one
#include "tests/fuzz/fuzz_report.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_knob_one
#include "tests/fuzz/fuzz_knob.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_path_one
#include "tests/fuzz/fuzz_path.c"
#undef LLVMFuzzerTestOneInput

typedef int (*fuzz_one_fn)(const uint8_t *data, size_t size);

/* The corpus file being replayed, for the crash note. */
static char replaying[1400];

/* Names the input on a crash or a failed contract (abort), then dies of
 * the same signal so Criterion reports the crash. */
static void on_crash(int sig)
{
	static const char what[] = "test_fuzz_corpus: crashed on ";
	if (write(2, what, sizeof(what) - 1) < 0 ||
	    write(2, replaying, strlen(replaying)) < 0 || write(2, "\n", 1) < 0) {
		/* nothing more can be done */
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Sends sig to on_crash, unless a handler is already there: a
 * sanitizer's own report says more than ours. */
static void catch_signal(int sig)
{
	void (*old)(int) = signal(sig, on_crash);
	if (old != SIG_DFL)
		signal(sig, old);
}

/* Reads a whole file into an exact-size buffer (no terminating NUL, as
 * libFuzzer passes it, so a read past the end shows under ASan). */
static uint8_t *read_input(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "cannot open %s", path);
	cr_assert_eq(fseek(f, 0, SEEK_END), 0);
	long n = ftell(f);
	cr_assert_geq(n, 0);
	rewind(f);
	uint8_t *buf = malloc(n ? (size_t)n : 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n, "cannot read %s", path);
	fclose(f);
	*size = (size_t)n;
	return buf;
}

/* Replays every file of tests/fuzz/corpus/name through one; asserts the
 * corpus is not empty. */
static void replay(const char *name, fuzz_one_fn one)
{
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s", src_dir(), name);
	DIR *d = opendir(dir);
	cr_assert_not_null(d, "no corpus %s", dir);
	catch_signal(SIGABRT);
	catch_signal(SIGSEGV);
	catch_signal(SIGBUS);
	int files = 0;
	const struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(replaying, sizeof(replaying), "%s/%s", dir, e->d_name);
		size_t size;
		uint8_t *data = read_input(replaying, &size);
		one(data, size);
		free(data);
		files++;
	}
	closedir(d);
	cr_assert_gt(files, 0, "corpus %s is empty", dir);
}

Test(fuzz_corpus, config)
{
	replay("config", fuzz_config_one);
}

Test(fuzz_corpus, reply)
{
	replay("reply", fuzz_reply_one);
}

Test(fuzz_corpus, llm)
{
	replay("llm", fuzz_llm_one);
}

Test(fuzz_corpus, report)
{
	replay("report", fuzz_report_one);
}

Test(fuzz_corpus, knob)
{
	replay("knob", fuzz_knob_one);
}

Test(fuzz_corpus, path)
{
	replay("path", fuzz_path_one);
}
