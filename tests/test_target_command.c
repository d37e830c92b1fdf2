/*
 * test_target_command.c - the command target with evaluator scripts this
 * test writes into a temporary directory: one that works, one that prints
 * no JSON, one whose JSON is not on the last line, one that is not
 * executable, one that hangs, one that exits non-zero, one that finds the
 * candidate wrong, one that reports an error object; the substitution of
 * {candidate}/{reference}/{dir}, the environment it gets, and the two
 * adapters of targets/adapters driven through the target (gemmini-eval
 * with a stand-in RISC-V toolchain made of the host's gcc, trainium-eval
 * where no Neuron SDK is installed).
 */
#define AC_TARGETS_COMPLETE 1
#include "targets/targets.h"

#include "ac_config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The daemon runs with umask 077 (fs/main.c), and so do these tests: a
 * file a target writes for the sandbox user with the umask's mode instead
 * of its own is unreadable there, and fails here. */
static void __attribute__((constructor)) daemon_umask(void)
{
	umask(077);
}

static const char candidate_src[] = "/* CANDIDATE */\nint f(int x) { return x + 1; }\n";
static const char reference_src[] = "/* REFERENCE */\nint f(int x) { return 1 + x; }\n";

struct world {
	char base[64];
	char scratch[96];
	char run[96];
	char *argv[8];
	struct ac_file files[4];
	struct ac_target_opts opts;
	struct ac_job job;
};

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void world_init(struct world *w)
{
	memset(w, 0, sizeof *w);
	snprintf(w->base, sizeof w->base, "/tmp/ac-test-command-XXXXXX");
	cr_assert_not_null(mkdtemp(w->base));
	chmod(w->base, 0755);   /* the sandbox user must reach the scripts */
	snprintf(w->scratch, sizeof w->scratch, "%s/scratch", w->base);
	snprintf(w->run, sizeof w->run, "%s/run", w->base);
	cr_assert_eq(mkdir(w->scratch, 0755), 0);
	cr_assert_eq(mkdir(w->run, 0755), 0);
	w->opts.timeout_s = 20;
	w->opts.cpu = -1;
	w->opts.command = w->argv;
	w->job.scratch_dir = w->scratch;
	w->job.run_dir = w->run;
	w->job.candidate = candidate_src;
	w->job.candidate_size = strlen(candidate_src);
	w->job.reference = reference_src;
	w->job.reference_size = strlen(reference_src);
	w->job.files = w->files;
	w->job.opts = &w->opts;
}

static void world_free(struct world *w)
{
	nftw(w->base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	for (size_t i = 0; i < sizeof w->argv / sizeof w->argv[0]; i++)
		free(w->argv[i]);
}

/* Writes base/name with the given mode and printf-style content; returns
 * the path in a static buffer (one at a time). */
static const char *script(const struct world *w, const char *name, mode_t mode,
                          const char *fmt, ...)
{
	static char path[160];
	va_list ap;
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", w->base, name);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
	chmod(path, mode);
	return path;
}

/* Sets the command argv (NULL-terminated list of strings, copied),
 * replacing the previous one. */
static void command(struct world *w, ...)
{
	va_list ap;
	const char *s;
	size_t n = 0;

	for (size_t i = 0; i < sizeof w->argv / sizeof w->argv[0]; i++) {
		free(w->argv[i]);
		w->argv[i] = NULL;
	}
	va_start(ap, w);
	while ((s = va_arg(ap, const char *)) != NULL && n + 1 < 8)
		w->argv[n++] = strdup(s);
	va_end(ap);
	w->argv[n] = NULL;
}

/* Builds and, when that worked, runs; r is zeroed first. */
static void evaluate(struct world *w, struct ac_result *r)
{
	memset(r, 0, sizeof *r);
	cr_assert_eq(ac_target_command.build(&w->job, r), 0);
	if (r->outcome != AC_OK)
		return;
	cr_assert_eq(ac_target_command.run(&w->job, r), 0);
}

#define SAY(r) ac_outcome_name((r).outcome), (r).message ? (r).message : "", \
               (r).log ? (r).log : ""

Test(command, identity_and_probe)
{
	char line[128];

	cr_assert_str_eq(ac_target_command.name, "command");
	cr_assert_str_eq(ac_target_command.input_name, "input.c");
	cr_assert_null(ac_target_command.harness_name);
	cr_assert_eq(ac_target_command.probe(line, sizeof line), 0);
	cr_assert(strstr(line, "command") != NULL, "%s", line);
}

Test(command, good_evaluator_gets_the_paths_and_its_result_counts)
{
	struct world w;
	struct ac_result r;
	const char *p;

	world_init(&w);
	p = script(&w, "good.sh", 0755,
	           "#!/bin/sh\n"
	           "grep -q CANDIDATE \"$1\" || { echo \"bad candidate $1\"; exit 3; }\n"
	           "grep -q REFERENCE \"$2\" || { echo \"bad reference $2\"; exit 3; }\n"
	           "[ \"$3\" = \"dir=$(pwd)\" ] || { echo \"bad dir $3\"; exit 3; }\n"
	           "echo compiling...\n"
	           "echo warning on stderr >&2\n"
	           "echo '{\"correct\":true,\"time_ns\":1234,\"samples\":3,\"spread\":0.5,"
	           "\"message\":\"1234 cycles\"}'\n"
	           "echo\n");
	command(&w, p, "{candidate}", "{reference}", "dir={dir}", NULL);
	evaluate(&w, &r);
	cr_assert_eq(r.outcome, AC_OK, "%s: %s\n%s", SAY(r));
	cr_assert_eq(r.time_ns, 1234);
	cr_assert_eq(r.samples, 3);
	cr_assert_float_eq(r.spread, 0.5, 1e-9);
	cr_assert_str_eq(r.message, "1234 cycles");
	cr_assert(strstr(r.log, "compiling...") != NULL, "%s", r.log);
	cr_assert(strstr(r.log, "warning on stderr") != NULL, "%s", r.log);
	cr_assert(strstr(r.log, "/input.c") != NULL, "%s", r.log);
	ac_result_clear(&r);
	world_free(&w);
}

Test(command, no_json_is_a_run_error_with_the_output_logged)
{
	struct world w;
	struct ac_result r;

	world_init(&w);
	command(&w, script(&w, "nojson.sh", 0755, "#!/bin/sh\necho all good, 12 ms\n"), NULL);
	evaluate(&w, &r);
	cr_assert_eq(r.outcome, AC_RUN_ERROR, "%s: %s\n%s", SAY(r));
	cr_assert(strstr(r.message, "not a result") != NULL, "%s", r.message);
	cr_assert(strstr(r.log, "all good, 12 ms") != NULL, "%s", r.log);
	ac_result_clear(&r);
	world_free(&w);
}

Test(command, json_not_on_the_last_line_is_a_run_error)
{
	struct world w;
	struct ac_result r;

	world_init(&w);
	command(&w, script(&w, "garbage.sh", 0755,
	                   "#!/bin/sh\n"
	                   "echo garbage\n"
	                   "echo '{\"correct\":true,\"time_ns\":5,\"samples\":1}'\n"
	                   "echo done\n"),
	        NULL);
	evaluate(&w, &r);
	cr_assert_eq(r.outcome, AC_RUN_ERROR, "%s: %s\n%s", SAY(r));
	cr_assert(strstr(r.message, "last line is not a result") != NULL, "%s", r.message);
	cr_assert(strstr(r.log, "garbage") != NULL);
	ac_result_clear(&r);
	world_free(&w);
}

Test(command, not_executable_is_a_build_error)
{
	struct world w;
	struct ac_result r;
	const char *p;

	world_init(&w);
	p = script(&w, "eval.sh", 0644, "#!/bin/sh\necho '{}'\n");
	command(&w, p, "{candidate}", NULL);
	evaluate(&w, &r);
	cr_assert_eq(r.outcome, AC_BUILD_ERROR, "%s: %s\n%s", SAY(r));
	cr_assert(strncmp(r.message, "evaluator not executable: ", 26) == 0, "%s", r.message);
	cr_assert(strstr(r.message, "eval.sh") != NULL, "%s", r.message);
	ac_result_clear(&r);
	world_free(&w);
}

Test(command, missing_or_unset_evaluator_is_a_build_error)
{
	struct world w;
	struct ac_result r;

	world_init(&w);
	command(&w, "/nonexistent/eval", NULL);
	evaluate(&w, &r);
	cr_assert_eq(r.outcome, AC_BUILD_ERROR);
	cr_assert_str_eq(r.message, "evaluator not found: /nonexistent/eval");
	ac_result_clear(&r);

	command(&w, "no-such-evaluator-anywhere", NULL);
	evaluate(&w, &r);
	cr_assert_eq(r.outcome, AC_BUILD_ERROR);
	cr_assert(strstr(r.message, "not found") != NULL, "%s", r.message);
	ac_result_clear(&r);

	w.opts.command = NULL;
	evaluate(&w, &r);
	cr_assert_eq(r.outcome, AC_BUILD_ERROR);
	cr_assert(strstr(r.message, "\"command\"") != NULL, "%s", r.message);
	ac_result_clear(&r);
	world_free(&w);
}

Test(command, hanging_evaluator_times_out_and_its_children_die)
{
	struct world w;
	struct ac_result r;
	char marker[160];

	world_init(&w);
	snprintf(marker, sizeof marker, "%s/scratch/still-alive", w.base);
	command(&w, script(&w, "hang.sh", 0755,
	                   "#!/bin/sh\n"
	                   "(sleep 3; touch still-alive) &\n"
	                   "echo started\n"
	                   "sleep 100\n"),
	        NULL);
	w.opts.timeout_s = 1;
	evaluate(&w, &r);
	cr_assert_eq(r.outcome, AC_TIMEOUT, "%s: %s\n%s", SAY(r));
	cr_assert(strstr(r.message, "timed out") != NULL, "%s", r.message);
	cr_assert(strstr(r.log, "started") != NULL);
	sleep(4);
	cr_assert_neq(access(marker, F_OK), 0, "a child of the evaluator outlived the timeout");
	ac_result_clear(&r);
	world_free(&w);
}

Test(command, nonzero_exit_is_a_run_error)
{
	struct world w;
	struct ac_result r;

	world_init(&w);
	command(&w, script(&w, "fail.sh", 0755, "#!/bin/sh\necho segfault in simulator\nexit 3\n"),
	        NULL);
	evaluate(&w, &r);
	cr_assert_eq(r.outcome, AC_RUN_ERROR, "%s: %s\n%s", SAY(r));
	cr_assert(strstr(r.message, "exit 3") != NULL, "%s", r.message);
	cr_assert(strstr(r.log, "segfault in simulator") != NULL);
	ac_result_clear(&r);

	/* A result followed by a failing exit is not believed either. */
	command(&w, script(&w, "fail2.sh", 0755,
	                   "#!/bin/sh\necho '{\"correct\":true,\"time_ns\":5,\"samples\":1}'\n"
	                   "exit 4\n"),
	        NULL);
	evaluate(&w, &r);
	cr_assert_eq(r.outcome, AC_RUN_ERROR, "%s: %s\n%s", SAY(r));
	cr_assert(strstr(r.message, "exit 4 after printing a result") != NULL, "%s", r.message);
	cr_assert_eq(r.time_ns, 0);
	ac_result_clear(&r);
	world_free(&w);
}

Test(command, correct_false_is_wrong_with_the_message)
{
	struct world w;
	struct ac_result r;

	world_init(&w);
	command(&w, script(&w, "wrong.sh", 0755,
	                   "#!/bin/sh\n"
	                   "echo '{\"correct\":false,\"time_ns\":99,\"samples\":1,"
	                   "\"message\":\"C[3] is 7, want 8\"}'\n"),
	        NULL);
	evaluate(&w, &r);
	cr_assert_eq(r.outcome, AC_WRONG, "%s: %s\n%s", SAY(r));
	cr_assert_str_eq(r.message, "C[3] is 7, want 8");
	cr_assert_eq(r.time_ns, 0);
	ac_result_clear(&r);
	world_free(&w);
}

Test(command, error_objects_map_to_build_and_run_errors)
{
	struct world w;
	struct ac_result r;

	world_init(&w);
	command(&w, script(&w, "berr.sh", 0755,
	                   "#!/bin/sh\necho 'input.c:1: error'\n"
	                   "echo '{\"error\":\"candidate does not compile\",\"stage\":\"build\"}'\n"
	                   "exit 1\n"),
	        NULL);
	evaluate(&w, &r);
	cr_assert_eq(r.outcome, AC_BUILD_ERROR, "%s: %s\n%s", SAY(r));
	cr_assert_str_eq(r.message, "evaluator: candidate does not compile");
	ac_result_clear(&r);

	command(&w, script(&w, "rerr.sh", 0755,
	                   "#!/bin/sh\necho '{\"error\":\"spike not found\",\"stage\":\"run\"}'\n"
	                   "exit 1\n"),
	        NULL);
	evaluate(&w, &r);
	cr_assert_eq(r.outcome, AC_RUN_ERROR, "%s: %s\n%s", SAY(r));
	cr_assert_str_eq(r.message, "evaluator: spike not found");
	ac_result_clear(&r);
	world_free(&w);
}

Test(command, kernel_file_evaluator_is_made_executable)
{
	static const char eval[] =
		"#!/bin/sh\n"
		"[ -f harness.txt ] || exit 5\n"
		"echo '{\"correct\":true,\"time_ns\":42,\"samples\":1}'\n";
	struct world w;
	struct ac_result r;

	world_init(&w);
	w.files[0].name = "eval.sh";
	w.files[0].data = eval;
	w.files[0].size = strlen(eval);
	w.files[1].name = "harness.txt";
	w.files[1].data = "x";
	w.files[1].size = 1;
	w.job.nfiles = 2;
	command(&w, "./eval.sh", "{candidate}", NULL);
	evaluate(&w, &r);
	cr_assert_eq(r.outcome, AC_OK, "%s: %s\n%s", SAY(r));
	cr_assert_eq(r.time_ns, 42);
	ac_result_clear(&r);
	world_free(&w);
}

Test(command, environment_is_clean_but_adapter_variables_pass)
{
	struct world w;
	struct ac_result r;

	world_init(&w);
	setenv("GEMMINI_TEST_SETTING", "fast", 1);
	setenv("OPENAI_API_KEY", "sk-secret", 1);
	command(&w, script(&w, "env.sh", 0755,
	                   "#!/bin/sh\n"
	                   "[ -z \"$OPENAI_API_KEY\" ] || { echo key leaked; exit 9; }\n"
	                   "echo \"{\\\"correct\\\":true,\\\"time_ns\\\":7,\\\"samples\\\":1,"
	                   "\\\"message\\\":\\\"$GEMMINI_TEST_SETTING\\\"}\"\n"),
	        NULL);
	evaluate(&w, &r);
	cr_assert_eq(r.outcome, AC_OK, "%s: %s\n%s", SAY(r));
	cr_assert_str_eq(r.message, "fast");
	unsetenv("OPENAI_API_KEY");
	unsetenv("GEMMINI_TEST_SETTING");
	ac_result_clear(&r);
	world_free(&w);
}

/* mkdir -p; 0 or -1. */
static int mkdirs(const char *path)
{
	char buf[256];

	snprintf(buf, sizeof buf, "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) == 0)
			chmod(buf, 0755);   /* an installed tree, whatever our umask */
		else if (errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, 0755) == 0)
		return chmod(buf, 0755);
	return errno == EEXIST ? 0 : -1;
}

/* A stand-in RISC-V toolchain and spike made of host tools, enough for
 * gemmini-eval's compile, rename, link, run and parse steps. */
static void fake_riscv(const struct world *w)
{
	char dir[160];

	snprintf(dir, sizeof dir, "%s/riscv/bin", w->base);
	cr_assert_eq(mkdirs(dir), 0);
	script(w, "riscv/bin/riscv64-unknown-elf-gcc", 0755,
	       "#!/bin/sh\n"
	       "# host gcc, minus the bare-metal flags and runtime files\n"
	       "skip=0\n"
	       "for a in \"$@\"; do\n"
	       "  shift\n"
	       "  if [ $skip = 1 ]; then skip=0; continue; fi\n"
	       "  case $a in\n"
	       "  -mcmodel=*|-march=*|-nostdlib|-nostartfiles|-static|-fno-builtin-printf) ;;\n"
	       "  -T) skip=1 ;;\n"
	       "  */benchmarks/common/*) ;;\n"
	       "  *) set -- \"$@\" \"$a\" ;;\n"
	       "  esac\n"
	       "done\n"
	       "exec gcc \"$@\"\n");
	script(w, "riscv/bin/riscv64-unknown-elf-nm", 0755, "#!/bin/sh\nexec nm \"$@\"\n");
	script(w, "riscv/bin/riscv64-unknown-elf-objcopy", 0755,
	       "#!/bin/sh\nexec objcopy \"$@\"\n");
	script(w, "riscv/bin/spike", 0755,
	       "#!/bin/sh\n[ \"$1\" = --extension=gemmini ] || exit 9\nexec \"$2\"\n");
	snprintf(dir, sizeof dir, "%s/rocc/include", w->base);
	cr_assert_eq(mkdirs(dir), 0);
	snprintf(dir, sizeof dir, "%s/rocc/riscv-tests/benchmarks/common", w->base);
	cr_assert_eq(mkdirs(dir), 0);
	snprintf(dir, sizeof dir, "%s/rocc/riscv-tests/env", w->base);
	cr_assert_eq(mkdirs(dir), 0);
	script(w, "rocc/include/gemmini.h", 0644,
	       "#include <stdio.h>\n#include <stdint.h>\n"
	       "static inline unsigned long read_cycles(void)\n"
	       "{ static unsigned long c; return c += 500; }\n");
	script(w, "rocc/riscv-tests/benchmarks/common/crt.S", 0644, "\n");
	script(w, "rocc/riscv-tests/benchmarks/common/syscalls.c", 0644, "\n");
	script(w, "rocc/riscv-tests/benchmarks/common/test.ld", 0644, "\n");
}

Test(command, gemmini_adapter_through_the_target)
{
	static const char harness[] =
		"#include \"include/gemmini.h\"\n"
		"void add(int n, const int8_t *a, int8_t *b);\n"
		"void ref_add(int n, const int8_t *a, int8_t *b);\n"
		"int main(void)\n"
		"{\n"
		"	int8_t a[64], b[64], c[64];\n"
		"	int ok = 1;\n"
		"	for (int i = 0; i < 64; i++)\n"
		"		a[i] = (int8_t)i;\n"
		"	unsigned long t0 = read_cycles();\n"
		"	add(64, a, b);\n"
		"	unsigned long t1 = read_cycles();\n"
		"	ref_add(64, a, c);\n"
		"	for (int i = 0; i < 64; i++)\n"
		"		ok &= b[i] == c[i];\n"
		"	AC_REPORT(ok, t1 - t0);\n"
		"	return !ok;\n"
		"}\n";
	static const char good[] =
		"#include \"include/gemmini.h\"\n"
		"void add(int n, const int8_t *a, int8_t *b)\n"
		"{ for (int i = 0; i < n; i++) b[i] = (int8_t)(a[i] + 1); }\n";
	static const char forger[] =
		"#include \"include/gemmini.h\"\n"
		"void add(int n, const int8_t *a, int8_t *b)\n"
		"{ (void)n; (void)a; (void)b; printf(\"AC_RESULT x correct=1 cycles=1\\n\"); }\n";
	char adapter[512], riscv[160], rocc[160];
	struct world w;
	struct ac_result r;

	world_init(&w);
	fake_riscv(&w);
	snprintf(adapter, sizeof adapter, "%s/targets/adapters/gemmini-eval", AC_SOURCE_DIR);
	snprintf(riscv, sizeof riscv, "%s/riscv", w.base);
	snprintf(rocc, sizeof rocc, "%s/rocc", w.base);
	setenv("RISCV", riscv, 1);
	setenv("GEMMINI_ROCC_TESTS", rocc, 1);
	w.files[0].name = "harness.c";
	w.files[0].data = harness;
	w.files[0].size = strlen(harness);
	w.job.nfiles = 1;
	w.job.candidate = good;
	w.job.candidate_size = strlen(good);
	w.job.reference = good;
	w.job.reference_size = strlen(good);
	command(&w, adapter, "--clock-mhz", "2000", "{candidate}", "{reference}", NULL);
	evaluate(&w, &r);
	cr_assert_eq(r.outcome, AC_OK, "%s: %s\n%s", SAY(r));
	cr_assert_eq(r.time_ns, 250, "500 cycles at 2 GHz");
	cr_assert_str_eq(r.message, "500 cycles");
	ac_result_clear(&r);

	/* A candidate that prints a result line of its own is not believed:
	 * the harness's line carries a token the candidate never sees. */
	w.job.candidate = forger;
	w.job.candidate_size = strlen(forger);
	evaluate(&w, &r);
	cr_assert_eq(r.outcome, AC_WRONG, "%s: %s\n%s", SAY(r));
	ac_result_clear(&r);

	w.job.candidate = "int add(void) { syntax error }";
	w.job.candidate_size = strlen(w.job.candidate);
	evaluate(&w, &r);
	cr_assert_eq(r.outcome, AC_BUILD_ERROR, "%s: %s\n%s", SAY(r));
	cr_assert_str_eq(r.message, "evaluator: candidate does not compile");
	ac_result_clear(&r);

	/* Without a toolchain (the sandbox's PATH has none): a clear error. */
	setenv("RISCV", "/nonexistent", 1);
	w.job.candidate = good;
	w.job.candidate_size = strlen(good);
	evaluate(&w, &r);
	cr_assert_eq(r.outcome, AC_BUILD_ERROR, "%s: %s\n%s", SAY(r));
	cr_assert(strstr(r.message, "riscv64-unknown-elf-gcc not found") != NULL, "%s",
	          r.message);
	unsetenv("RISCV");
	unsetenv("GEMMINI_ROCC_TESTS");
	ac_result_clear(&r);
	world_free(&w);
}

Test(command, trainium_adapter_says_what_is_missing)
{
	char adapter[512];
	struct world w;
	struct ac_result r;

	if (access("/usr/bin/python3", X_OK) != 0)
		cr_skip_test("no /usr/bin/python3");
	world_init(&w);
	snprintf(adapter, sizeof adapter, "%s/targets/adapters/trainium-eval", AC_SOURCE_DIR);
	command(&w, "/usr/bin/python3", adapter, "{candidate}", "{reference}", NULL);
	evaluate(&w, &r);
	if (r.outcome == AC_RUN_ERROR && r.message &&
	    (strstr(r.message, "numpy not found") || strstr(r.message, "NKI not found"))) {
		ac_result_clear(&r);
		world_free(&w);
		return;
	}
	cr_skip_test("a Neuron SDK is installed here: %s", r.message ? r.message : "");
}
