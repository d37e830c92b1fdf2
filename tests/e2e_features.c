/*
 * e2e_features.c - the search's grown-up features through a real mount,
 * against build/mock-llm playing tests/mock/features: the same code never
 * built twice (also across kill -9), combining two beam members, hardware
 * figures from the harness, a money budget, in-context examples and menus
 * written from documentation.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support.h"

static struct mnt m;
static pid_t mock;
static int port;
static char mocklog[400];
static char modelopt[300];

static void setup(void)
{
	mnt_init(&m);
	snprintf(mocklog, sizeof(mocklog), "%s/mock.log", m.base);
	port = mock_start("tests/mock/features", 0, mocklog, &mock);
	snprintf(modelopt, sizeof(modelopt), "models=openai@http://127.0.0.1:%d/v1::mock", port);
}

static void teardown(void)
{
	mnt_cleanup(&m);
	mock_stop(mock);
}

TestSuite(features, .init = setup, .fini = teardown, .timeout = 600);

static void start(void)
{
	const char *args[] = {"-o", modelopt, NULL};
	const char *env[] = {"OPENAI_API_KEY=sk-test", NULL};
	mnt_start(&m, args, env);
}

static void add_kernel(const char *name, const char *config)
{
	cr_assert_eq(sh("mkdir %s/kernels/%s && printf '%%s' '%s' > %s/kernels/%s/config.json && "
	                "cp %s/tests/kernels/features/* %s/kernels/%s/",
	                m.dir, name, config, m.dir, name, src_dir(), m.dir, name), 0);
}

static double json_number(const char *json, const char *key)
{
	char needle[100];
	snprintf(needle, sizeof(needle), "\"%s\":", key);
	const char *p = strstr(json, needle);
	if (!p)
		return -1;
	p += strlen(needle);
	while (*p == ' ' || *p == '\t')
		p++;
	return atof(p);
}

static int db_int(const char *sql)
{
	char *out = sh_out("sqlite3 %s/autocompfs.db \"%s\"", m.state, sql);
	int v = atoi(out);
	free(out);
	return v;
}

Test(features, duplicates_combining_and_hardware_figures)
{
	start();
	add_kernel("f", "{\"iterations\": 2, \"beam\": 2, \"plans\": 2, \"implementations\": 2, "
	                "\"combine_every\": 2, \"recheck\": 0, \"seed\": 3}");
	char *st = wait_final(&m, "f", 500);
	cr_assert(st && !strncmp(st, "done", 4), "%s", st);
	free(st);
	char *metrics = slurpf("%s/kernels/f/metrics.json", m.dir);
	const char *run = strstr(metrics, "\"run\":");
	cr_assert(run, "%s", metrics);

	/* (1) duplicates: recognised, reused, counted, said in words */
	int dups = db_int("SELECT count(*) FROM candidate WHERE same_as >= 0");
	cr_assert(dups >= 3, "duplicates %d", dups);
	cr_assert_eq((int)json_number(run, "builds_saved"), dups, "%s", run);
	cr_assert_eq((int)json_number(run, "timed_runs_saved"), dups, "%s", run);
	char *log = slurpf("%s/kernels/f/log", m.dir);
	cr_assert(strstr(log, ": same code as #"), "%s", log);
	int dup = db_int("SELECT num FROM candidate WHERE same_as >= 0 ORDER BY num LIMIT 1");
	int orig = db_int("SELECT same_as FROM candidate WHERE same_as >= 0 ORDER BY num LIMIT 1");
	char *clog = slurpf("%s/kernels/f/candidates/%d.log", m.dir, dup);
	char want[64];
	snprintf(want, sizeof(want), "same code as #%d", orig);
	cr_assert(strstr(clog, want), "%s", clog);
	free(clog);
	/* a duplicate was never built: the log has no build or timing line for it */
	char line[64];
	snprintf(line, sizeof(line), "candidate %d: ok,", dup);
	cr_assert(!strstr(log, line), "duplicate %d was evaluated: %s", dup, log);
	/* the input's own code comes back as a duplicate of nothing else: one
	 * beam place per distinct code */
	cr_assert_eq(db_int("SELECT count(*) FROM (SELECT code_hash FROM candidate WHERE beam_iteration = 2 "
	                    "GROUP BY code_hash HAVING count(*) > 1)"), 0);

	/* (2) combining: the plan names both parents, metrics.json and the SVG too */
	int comb = db_int("SELECT num FROM candidate WHERE parent2 > 0 ORDER BY num LIMIT 1");
	cr_assert(comb > 0, "no combined candidate: %s", log);
	int p1 = db_int("SELECT parent FROM candidate WHERE parent2 > 0 ORDER BY num LIMIT 1");
	int p2 = db_int("SELECT parent2 FROM candidate WHERE parent2 > 0 ORDER BY num LIMIT 1");
	char *plan = slurpf("%s/kernels/f/plans/%d.md", m.dir, comb);
	char w1[64], w2[64];
	snprintf(w1, sizeof(w1), "- parent: #%d", p1);
	snprintf(w2, sizeof(w2), "- second parent: #%d", p2);
	cr_assert(strstr(plan, w1) && strstr(plan, w2), "%s", plan);
	free(plan);
	char *prompt = slurpf("%s/kernels/f/plans/%d.prompt", m.dir, comb);
	cr_assert(strstr(prompt, "## Combine: #") && strstr(prompt, "### Another fast version"),
	          "%s", prompt);
	free(prompt);
	char w3[64];
	snprintf(w3, sizeof(w3), "\"parent2\":\t%d", p2);
	cr_assert(strstr(metrics, "\"parent2\":"), "%s", metrics);
	char *svg = slurpf("%s/kernels/f/progress.svg", m.dir);
	cr_assert(strstr(svg, "class=\"combined\"") && strstr(svg, "combined: both parents"), "svg");
	free(svg);
	cr_assert(strstr(log, "combining plans"), "%s", log);

	/* (4) hardware figures: stored, shown, and given to the planner */
	cr_assert(strstr(metrics, "\"bytes_moved\":\t49152") || strstr(metrics, "\"bytes_moved\": 49152"),
	          "%s", metrics);
	cr_assert(db_int("SELECT count(*) FROM candidate WHERE metrics LIKE '%elements%'") >= 2);
	int second = db_int("SELECT num FROM candidate WHERE iteration = 2 AND plan_prompt <> '' "
	                    "ORDER BY num LIMIT 1");
	char *p2prompt = slurpf("%s/kernels/f/plans/%d.prompt", m.dir, second);
	cr_assert(strstr(p2prompt, "### Hardware figures") && strstr(p2prompt, "- bytes_moved: 49152"),
	          "%s", p2prompt);
	free(p2prompt);
	free(log);
	free(metrics);
}

Test(features, kill_9_keeps_duplicates_right)
{
	/* slow answers, so the daemon dies mid-search */
	mock_stop(mock);
	port = mock_start("tests/mock/features", 300, mocklog, &mock);
	snprintf(modelopt, sizeof(modelopt), "models=openai@http://127.0.0.1:%d/v1::mock", port);
	start();
	add_kernel("k", "{\"iterations\": 3, \"beam\": 2, \"plans\": 2, \"implementations\": 2, "
	                "\"recheck\": 0}");
	char path[400];
	snprintf(path, sizeof(path), "%s/kernels/k/log", m.dir);
	cr_assert(wait_contains(path, ": same code as #", 300));
	mnt_kill9(&m);
	start();
	char *st = wait_final(&m, "k", 500);
	cr_assert(st && !strncmp(st, "done", 4), "%s", st);
	free(st);
	/* every duplicate points at an original that was itself evaluated,
	 * and no duplicate carries a build of its own */
	cr_assert_eq(db_int("SELECT count(*) FROM candidate d JOIN candidate o ON o.run_id = d.run_id "
	                    "AND o.num = d.same_as WHERE d.same_as >= 0 AND (o.same_as >= 0 OR "
	                    "o.outcome = 'pending' OR o.code_hash <> d.code_hash)"), 0);
	cr_assert_eq(db_int("SELECT count(*) FROM candidate WHERE outcome = 'pending'"), 0);
	char *metrics = slurpf("%s/kernels/k/metrics.json", m.dir);
	int dups = db_int("SELECT count(*) FROM candidate WHERE same_as >= 0");
	cr_assert(dups >= 1);
	cr_assert_eq((int)json_number(strstr(metrics, "\"run\":"), "builds_saved"), dups);
	free(metrics);
	char *log = slurpf("%s/kernels/k/log", m.dir);
	char *dupnums = sh_out("sqlite3 %s/autocompfs.db 'SELECT num FROM candidate WHERE same_as >= 0'",
	                       m.state);
	for (char *p = strtok(dupnums, "\n"); p; p = strtok(NULL, "\n")) {
		char l[64];
		snprintf(l, sizeof(l), "candidate %s: ok,", p);
		cr_assert(!strstr(log, l), "duplicate %s was built and timed: %s", p, log);
	}
	free(dupnums);
	free(log);
}

Test(features, money_budget_stops_before_the_call_that_could_exceed_it)
{
	/* the mount-wide prices, and a budget in config.json */
	cr_assert_eq(sh("mkdir -p %s && printf '{\"mock\": [100, 200]}' > %s/prices.json", m.state, m.state), 0);
	start();
	add_kernel("b", "{\"iterations\": 8, \"beam\": 2, \"plans\": 2, \"implementations\": 2, "
	                "\"recheck\": 0, \"max_cost\": 2.5, \"max_output_tokens\": 2000}");
	char *st = wait_final(&m, "b", 400);
	cr_assert(st && strstr(st, "cost budget reached") && strstr(st, " of $2.50"), "%s", st);
	free(st);
	char *metrics = slurpf("%s/kernels/b/metrics.json", m.dir);
	const char *run = strstr(metrics, "\"run\":");
	double cost = json_number(run, "cost");
	cr_assert(cost > 0 && cost <= 2.5, "cost %f", cost);
	cr_assert(json_number(run, "max_cost") == 2.5, "%s", run);
	free(metrics);
	char *root = slurpf("%s/status", m.dir);
	const char *at = strstr(root, "; cost $");
	cr_assert(at, "%s", root);
	/* the root sums the kernels: b is the only one that spent anything */
	cr_assert_float_eq(atof(at + 8), cost, 1e-4, "%s", root);
	free(root);
	/* a budget with a model that has no price is refused in words */
	add_kernel("nop", "{\"max_cost\": 1, \"models\": [\"openai@http://127.0.0.1:1/v1::unpriced\"]}");
	st = wait_final(&m, "nop", 120);
	cr_assert(st && strstr(st, "needs a price for"), "%s", st);
	free(st);
}

Test(features, menus_from_documentation)
{
	start();
	/* a PDF and a Markdown file big enough to be split into parts */
	cr_assert_eq(sh("mkdir %s/menus/widget.docs && cp %s/tests/docs/widget.pdf %s/menus/widget.docs/ "
	                "&& for i in $(seq 1 1400); do echo \"Line $i of the Widget manual: the "
	                "scratchpad holds 64 KiB.\"; done > %s/menus/widget.docs/manual.md",
	                m.dir, src_dir(), m.dir, m.dir), 0);
	char *ls = sh_out("ls %s/menus/ %s/menus/widget.docs/", m.dir, m.dir);
	cr_assert(strstr(ls, "widget.docs") && strstr(ls, "widget.pdf") && strstr(ls, "manual.md"),
	          "%s", ls);
	free(ls);
	cr_assert_eq(sh("echo build widget > %s/menus/ctl", m.dir), 0);
	char path[400];
	snprintf(path, sizeof(path), "%s/status", m.dir);
	cr_assert(wait_contains(path, "widget: wrote widget.menu (20 options)", 120), "%s",
	          slurp(path));
	char *menu = slurpf("%s/menus/widget.menu", m.dir);
	cr_assert(menu && strstr(menu, "widget optimization 20"), "%s", menu);
	cr_assert_eq(count_of(menu, "\n"), 20, "%s", menu);
	cr_assert_null(strstr(menu, "- widget"), "list markers go: %s", menu);
	free(menu);
	char *md = slurpf("%s/menus/widget.md", m.dir);
	cr_assert(md && strstr(md, "64 KiB scratchpad"), "%s", md);
	free(md);
	char *log = slurpf("%s/menus/log", m.dir);
	cr_assert(strstr(log, "menus: widget: 2 documents") && strstr(log, "parts"), "%s", log);
	cr_assert(strstr(log, "wrote menus/widget.menu"), "%s", log);
	free(log);
	/* the notes prompts saw the PDF's text, one prompt per part */
	char *mlog = slurp(mocklog);
	cr_assert(count_of(mlog, "\"phase\":\"docs\"") >= 2, "%s", mlog);
	free(mlog);
	/* a menu edit by the user wins, as for any menu file */
	cr_assert_eq(sh("echo 'my own option' >> %s/menus/widget.menu", m.dir), 0);
	menu = slurpf("%s/menus/widget.menu", m.dir);
	cr_assert(strstr(menu, "my own option"));
	free(menu);
	/* failures say why: no such folder */
	cr_assert_eq(sh("echo build nothing > %s/menus/ctl", m.dir), 0);
	cr_assert(wait_contains(path, "nothing: failed: no document could be read", 60), "%s",
	          slurp(path));
	/* rmdir only when empty */
	cr_assert_neq(sh("rmdir %s/menus/widget.docs 2>/dev/null", m.dir), 0);
	cr_assert_eq(sh("rm %s/menus/widget.docs/* && rmdir %s/menus/widget.docs", m.dir, m.dir), 0);
	cr_assert_neq(sh("test -d %s/menus/widget.docs", m.dir), 0);
}

Test(features, examples_in_plan_and_implement_prompts)
{
	start();
	cr_assert_eq(sh("mkdir %s/menus/cpu.examples && printf 'for (i...) c[i] = a[i] + b[i];\\n' > "
	                "%s/menus/cpu.examples/restrict.before.c && printf 'void f(float *restrict "
	                "c);\\n' > %s/menus/cpu.examples/restrict.after.c && yes xxxxxxxxxxxx | "
	                "head -c 9000 > %s/menus/cpu.examples/zz-too-big.md",
	                m.dir, m.dir, m.dir, m.dir), 0);
	add_kernel("e", "{\"iterations\": 1, \"beam\": 1, \"plans\": 1, \"implementations\": 1, "
	                "\"recheck\": 0}");
	char *st = wait_final(&m, "e", 300);
	cr_assert(st && !strncmp(st, "done", 4), "%s", st);
	free(st);
	char *prompt = slurpf("%s/kernels/e/plans/1.prompt", m.dir);
	cr_assert(count_of(prompt, "### Examples") == 2, "plan and implement: %s", prompt);
	cr_assert(strstr(prompt, "#### restrict") && strstr(prompt, "float *restrict c"), "%s", prompt);
	cr_assert_null(strstr(prompt, "xxxxxxxxxx"), "the capped example stays out");
	free(prompt);
	char *log = slurpf("%s/kernels/e/log", m.dir);
	cr_assert(strstr(log, "1 examples from menus/cpu.examples/") &&
	          strstr(log, "1 examples left out"), "%s", log);
	free(log);
}

Test(features, a_command_evaluators_extra_keys_are_figures)
{
	start();
	cr_assert_eq(sh("mkdir %s/kernels/c && cp %s/tests/kernels/features/input.c %s/kernels/c/ && "
	                "printf '#!/bin/sh\\necho \"{\\\\\"correct\\\\\":true,\\\\\"time_ns\\\\\":1000,"
	                "\\\\\"samples\\\\\":1,\\\\\"utilization\\\\\":0.75,\\\\\"stage\\\\\":\\\\\"run\\\\\"}\"\\n' "
	                "> %s/kernels/c/eval.sh && printf '%%s' '{\"target\": \"command\", \"command\": "
	                "[\"sh\", \"eval.sh\", \"{candidate}\"], \"iterations\": 1, \"beam\": 1, "
	                "\"plans\": 1, \"implementations\": 1, \"recheck\": 0}' > %s/kernels/c/config.json",
	                m.dir, src_dir(), m.dir, m.dir, m.dir), 0);
	char *st = wait_final(&m, "c", 300);
	cr_assert(st && !strncmp(st, "done", 4), "%s", st);
	free(st);
	char *metrics = slurpf("%s/kernels/c/metrics.json", m.dir);
	cr_assert(strstr(metrics, "\"utilization\":\t0.75"), "%s", metrics);
	cr_assert_null(strstr(metrics, "\"stage\":\t\"run\""), "strings are no figures");
	free(metrics);
	char *prompt = slurpf("%s/kernels/c/plans/1.prompt", m.dir);
	cr_assert(strstr(prompt, "- utilization: 0.75"), "the input's figures: %s", prompt);
	free(prompt);
}
