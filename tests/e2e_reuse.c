/*
 * e2e_reuse.c - schedule reuse in the LLM search through a real mount,
 * against build/mock-llm playing tests/mock/reuse: a reused schedule
 * whose steps do not transfer costs only its share of the plan prompts
 * (one in REUSE_SHARE of the steered iterations) and the search still
 * reaches the best a free run reaches; the donor is chosen among earlier
 * kernels (the same input, the closest shapes) and the log says which, or
 * that none fits.
 *
 * Nothing here depends on timing: the steered step's code is wrong (it
 * can never be the best), and every other implementation is the same
 * code, which is many times faster than the input.
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/search/reuse.h"
#include "tests/support.h"

static struct mnt m;
static pid_t mock;
static char modelopt[300];

static void setup(void)
{
	char mocklog[400];

	mnt_init(&m);
	snprintf(mocklog, sizeof(mocklog), "%s/mock.log", m.base);
	int port = mock_start("tests/mock/reuse", 0, mocklog, &mock);
	snprintf(modelopt, sizeof(modelopt), "models=openai@http://127.0.0.1:%d/v1::mock", port);
}

static void teardown(void)
{
	mnt_cleanup(&m);
	mock_stop(mock);
}

TestSuite(reuse, .init = setup, .fini = teardown, .timeout = 600);

static void start(void)
{
	const char *args[] = {"-o", modelopt, NULL};
	const char *env[] = {"OPENAI_API_KEY=sk-test", NULL};
	mnt_start(&m, args, env);
}

/* A kernel from tests/kernels/features with config, changed by the shell
 * command more (run in its directory; may be ""), made outside the mount
 * and copied in at once, so that exactly one search starts, with every
 * file. */
static void add_kernel(const char *name, const char *config, const char *more)
{
	cr_assert_eq(sh("mkdir -p %s/stage/%s && cd %s/stage/%s && printf '%%s' '%s' > config.json"
	                " && cp %s/tests/kernels/features/* . %s%s && cp -r %s/stage/%s %s/kernels/",
	                m.base, name, m.base, name, config, src_dir(), more[0] ? "&& " : "", more,
	                m.base, name, m.dir), 0);
}

static void wait_done(const char *name)
{
	char *st = wait_final(&m, name, 500);
	cr_assert(st && !strncmp(st, "done", 4), "%s: %s", name, st);
	free(st);
}

/* An integer from the store. */
static int db_int(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int db_int(const char *fmt, ...)
{
	char sql[1200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	char *out = sh_out("sqlite3 %s/autocompfs.db \"%s\"", m.state, sql);
	int v = atoi(out);
	free(out);
	return v;
}

/* The plan calls of kernel k's run in iteration i; steered ones only when
 * steered. */
static int plan_calls(const char *k, int i, bool steered)
{
	return db_int("SELECT count(*) FROM llm_call c JOIN run r ON r.id = c.run_id "
	              "JOIN kernel k ON k.id = r.kernel_id WHERE k.name = '%s' "
	              "AND c.slot LIKE 'i%d/%%' AND c.slot NOT LIKE '%%/impl%%' %s",
	              k, i, steered ? "AND c.prompt LIKE '%A step that worked on a similar kernel%'"
	                            : "");
}

static int candidates(const char *k, const char *where)
{
	return db_int("SELECT count(*) FROM candidate c JOIN run r ON r.id = c.run_id "
	              "JOIN kernel k ON k.id = r.kernel_id WHERE k.name = '%s' AND %s", k, where);
}

/* Beam 1: every iteration asks exactly 4 plan prompts, however the
 * candidates time (with beam 2, a child timed more than 10% slower than
 * its parent on a busy machine left one member, and 4 prompts, in one of
 * the two runs). */
Test(reuse, a_step_that_does_not_transfer_costs_only_its_share)
{
	const char *config = "{\"iterations\": 3, \"beam\": 1, \"plans\": 4, "
	                     "\"implementations\": 1, \"recheck\": 0, \"seed\": 5}";
	start();
	add_kernel("free", config, "");
	wait_done("free");
	/* the same search with a two-step schedule that does not transfer */
	add_kernel("steered", config, "printf 'Walk the loop backwards\\nAgain\\n' > reuse.schedule");
	wait_done("steered");

	char *log = slurpf("%s/kernels/steered/log", m.dir);
	cr_assert(strstr(log, "reuse: 2 steps steer one plan prompt in 4 of iterations 1 to 2, "
	                      "step i in iteration i; the others plan as usual"), "%s", log);
	free(log);
	for (int i = 1; i <= 3; i++) {
		int all = plan_calls("steered", i, false);
		int steered = plan_calls("steered", i, true);
		cr_assert_eq(all, plan_calls("free", i, false),
		             "iteration %d: the schedule asks no prompt more or less", i);
		cr_assert_eq(plan_calls("free", i, true), 0);
		if (i <= 2)
			cr_assert_eq(steered, (all + REUSE_SHARE - 1) / REUSE_SHARE,
			             "iteration %d: %d of %d plan prompts steered", i, steered, all);
		else
			cr_assert_eq(steered, 0, "past the schedule");
	}
	cr_assert_eq(plan_calls("steered", 1, false), 4, "beam 1 (the input) x 4 plans");
	cr_assert_eq(plan_calls("steered", 2, false), 4, "beam 1 x 4 plans");
	/* what the steps cost: their candidates, all wrong; nothing else */
	int lost = candidates("steered", "c.plan LIKE '%Walk the loop backwards%'");
	cr_assert_eq(lost, 1 + 1, "one steered prompt in each of iterations 1 and 2");
	cr_assert_eq(candidates("steered", "c.plan LIKE '%Walk the loop backwards%' "
	                                   "AND c.outcome = 'ok'"), 0);
	cr_assert_eq(candidates("steered", "c.plan LIKE '%restrict%'"),
	             candidates("free", "c.plan LIKE '%restrict%'") - lost,
	             "the model's own plans, but for the share");
	/* the search still reaches the free run's best */
	char *a = slurpf("%s/kernels/free/best.c", m.dir);
	char *b = slurpf("%s/kernels/steered/best.c", m.dir);
	cr_assert(a && strstr(a, "restrict"), "%s", a);
	cr_assert(b && strstr(b, "restrict") && !strstr(b, "backwards"), "%s", b);
	free(a);
	free(b);

	/* the donor chosen among the earlier kernels: the same input and the
	 * closest shapes (here alike: the newer run), another input passed over */
	add_kernel("other", "{\"iterations\": 1, \"plans\": 1, \"implementations\": 1}",
	           "sed -i 's/r < 16/r < 15/' input.c");
	wait_done("other");
	const char *one = "{\"iterations\": 1, \"plans\": 2, \"implementations\": 1, "
	                  "\"reuse\": true}";
	add_kernel("chooser", one, "");
	wait_done("chooser");
	log = slurpf("%s/kernels/chooser/log", m.dir);
	cr_assert(strstr(log, "reuse: donor steered: the same input, the same sizes; passed over: "
	                      "free (shapes as close, an older run), other (another input)\n"),
	          "%s", log);
	cr_assert(strstr(log, " steer one plan prompt in 4 of iteration") ||
	          strstr(log, " steers one plan prompt in 4 of iteration"), "%s", log);
	free(log);
	cr_assert_eq(plan_calls("chooser", 1, true), 1);
	cr_assert_eq(db_int("SELECT count(*) FROM llm_call c JOIN run r ON r.id = c.run_id JOIN "
	                    "kernel k ON k.id = r.kernel_id WHERE k.name = 'chooser' AND c.prompt "
	                    "LIKE '%%A step that worked on a similar kernel%%Mark the pointers "
	                    "restrict%%'"), 1, "the donor's step is its chain's plan");

	/* none fits: said, and the search is a free one */
	add_kernel("lonely", "{\"iterations\": 1, \"plans\": 1, \"implementations\": 1, "
	                     "\"reuse\": [\"free\", \"nosuch\"]}",
	           "sed -i 's/r < 16/r < 14/' input.c");
	wait_done("lonely");
	log = slurpf("%s/kernels/lonely/log", m.dir);
	cr_assert(strstr(log, "reuse: no earlier kernel \"nosuch\"\n"), "%s", log);
	cr_assert(strstr(log, "reuse: no earlier kernel fits (the same input, with a schedule): "
	                      "free (another input); searching freely\n"), "%s", log);
	cr_assert(!strstr(log, "steps steer") && !strstr(log, "step steers"), "%s", log);
	free(log);
	cr_assert_eq(plan_calls("lonely", 1, true), 0);
	cr_assert_eq(mnt_stop(&m), 0);
}
