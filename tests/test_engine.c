/*
 * test_engine.c - the engine without the mount: its facade (engine.c), the
 * scheduler (sched.c) and the driver (driver.c), on a real store and the
 * real cpu target.
 *
 * Each test opens an engine on a fresh state directory, writes a kernel's
 * files into the store as the mount would, and says they changed; the
 * scheduler debounces, snapshots the files into a run and the driver takes
 * it from the baseline to its final state. No model is configured, so a
 * run ends after the baseline ("nothing to search"), which keeps the
 * tests short and free of any LLM.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <ftw.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ac_config.h"
#include "engine/engine_int.h"
#include "engine/core/state.h"
#include "engine/core/store.h"

static char state_dir[64];

static void setup(void)
{
	snprintf(state_dir, sizeof(state_dir), "/tmp/ac-test-engine-XXXXXX");
	cr_assert_not_null(mkdtemp(state_dir));
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void teardown(void)
{
	nftw(state_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(engine, .init = setup, .fini = teardown, .timeout = 240);

static struct engine *open_engine(void)
{
	struct engine_opts o = { .state_dir = state_dir, .build_jobs = 1, .debounce_s = 0.05 };
	struct engine *e = NULL;
	char err[512] = "";

	cr_assert_eq(engine_open(&o, &e, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(engine_start(e), 0);
	return e;
}

static char *fixture(const char *name)
{
	char path[512];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/tests/kernels/gemm/%s", AC_SOURCE_DIR, name);
	f = fopen(path, "rb");
	cr_assert_not_null(f, "%s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

/* Writes name into kernel kid as the mount does on release, and says so. */
static void put(struct engine *e, int64_t kid, const char *name, const char *text)
{
	cr_assert_eq(store_file_put(engine_writer(e), kid, name, text, strlen(text), 0644, 1), 0);
	engine_file_changed(e, kid, name);
}

static int64_t new_kernel(struct engine *e, const char *name)
{
	int64_t kid = 0;

	cr_assert_eq(engine_kernel_create(e, name), 0);
	cr_assert_eq(engine_kernel_id(e, name, &kid), 0);
	return kid;
}

/* The kernel's state word and status line once its state is one of the
 * idle ones (waiting counts only when want_waiting), or NULL after
 * timeout_s. The caller frees the line. */
static char *wait_idle(struct engine *e, int64_t kid, bool want_waiting, double timeout_s,
                       int *state)
{
	for (int i = 0; i < timeout_s * 20; i++) {
		struct kernel_row k;

		if (store_kernel_get(engine_reader(e), kid, &k) == 0) {
			enum run_state s = k.state;

			if (run_state_idle(s) && (want_waiting || s != RS_WAITING) &&
			    strcmp(k.status, "")) {
				char *line = strdup(k.status);

				*state = s;
				kernel_row_clear(&k);
				return line;
			}
			kernel_row_clear(&k);
		}
		usleep(50000);
	}
	return NULL;
}

/* How many runs kernel kid has, from the database itself. */
static int runs_of(int64_t kid)
{
	char path[128];
	sqlite3 *db;
	sqlite3_stmt *st;
	int n = -1;

	snprintf(path, sizeof(path), "%s/autocompfs.db", state_dir);
	cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT count(*) FROM run WHERE kernel_id = ?", -1, &st,
	                                NULL), SQLITE_OK);
	sqlite3_bind_int64(st, 1, kid);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

Test(engine, a_kernel_runs_from_its_files_to_done)
{
	struct engine *e = open_engine();
	int64_t kid = new_kernel(e, "gemm");
	char *in = fixture("input.c"), *h = fixture("harness.c");
	int state = -1;

	put(e, kid, "harness.c", h);
	put(e, kid, "input.c", in);
	char *line = wait_idle(e, kid, false, 180, &state);
	cr_assert(line, "the run did not end");
	cr_expect_eq(state, RS_DONE, "%s", line);
	cr_expect(strstr(line, "nothing to search: no model configured"), "%s", line);

	struct run_row r;
	cr_assert_eq(store_run_latest(engine_reader(e), kid, &r), 0);
	cr_expect_eq(r.state, RS_DONE);
	cr_expect_eq(r.best, 0, "the input is the best of a run without a search");
	cr_expect_neq(r.finished_ns, 0);
	struct cand_row c;
	cr_assert_eq(store_cand_get(engine_reader(e), r.id, 0, &c), 0);
	cr_expect_eq(c.outcome, AC_OK, "%s", c.message);
	cr_expect_gt(c.time_ns, 0);
	cand_row_clear(&c);
	run_row_clear(&r);
	cr_expect_eq(runs_of(kid), 1, "writing the harness and then the input is one run");
	free(line);
	free(in);
	free(h);
	engine_free(e);
}

Test(engine, a_missing_harness_waits_in_words)
{
	struct engine *e = open_engine();
	int64_t kid = new_kernel(e, "lonely");
	char *in = fixture("input.c");
	int state = -1;

	put(e, kid, "input.c", in);
	/* gemm's pointers say no length: the engine cannot write a harness
	 * alone, and says what is missing in one line, with a draft to edit */
	static const char want[] = "waiting: no harness.c, and the prototype of gemm does "
	                           "not say how long A, B and C are";
	char *line = NULL;
	for (int i = 0; i < 600; i++) {
		free(line);
		line = wait_idle(e, kid, true, 30, &state);
		if (line && !strncmp(line, want, strlen(want)))
			break;
		usleep(50000);
	}
	cr_assert(line);
	cr_expect_eq(state, RS_WAITING, "%s", line);
	cr_expect(!strncmp(line, want, strlen(want)), "%s", line);
	cr_expect(strstr(line, "config.draft.json is a draft of it"), "%s", line);
	cr_expect(!strchr(line, '\n'), "one line");
	struct file_row f;
	cr_assert_eq(store_file_get(engine_reader(e), kid, "config.draft.json", true, &f), 0);
	cr_expect(strstr(f.data, "\"A\": {\"length\": \"M\""), "%s", f.data);
	cr_expect(strstr(f.data, "// guess"), "%s", f.data);
	file_row_clear(&f);
	cr_expect_eq(store_file_get(engine_reader(e), kid, "harness.c", false, &f), -ENOENT);
	file_row_clear(&f);
	free(line);
	free(in);
	engine_free(e);
}

Test(engine, a_bad_config_fails_in_words_and_starts_no_run)
{
	struct engine *e = open_engine();
	int64_t kid = new_kernel(e, "badcfg");
	int state = -1;

	put(e, kid, "config.json", "{\"iterations\": \"many\"}");
	char *line = wait_idle(e, kid, false, 30, &state);
	cr_assert(line);
	cr_expect_eq(state, RS_FAILED, "%s", line);
	cr_expect(!strncmp(line, "failed: ", 8) && strstr(line, "iterations"), "%s", line);
	cr_expect_eq(runs_of(kid), 0);
	free(line);
	engine_free(e);
}

Test(engine, ctl_refuses_an_unknown_word_and_stop_ends_nothing_idle)
{
	struct engine *e = open_engine();
	int64_t kid = new_kernel(e, "ctl");

	cr_expect_eq(engine_ctl(e, kid, "jump\n", 5), -EINVAL);
	cr_expect_eq(engine_ctl(e, kid, " stop \n", 7), 0);
	cr_expect_eq(engine_ctl(e, 999, "stop", 4), -ENOENT);
	engine_free(e);
}

/* A daemon that exits mid-run leaves the run's stored state as it was;
 * the next one resumes that same run, not a new one, and finishes it. */
Test(engine, a_run_cut_by_shutdown_is_resumed_by_the_next_engine)
{
	struct engine *e = open_engine();
	int64_t kid = new_kernel(e, "resume");
	char *in = fixture("input.c"), *h = fixture("harness.c");
	struct run_row r;
	int state = -1;

	put(e, kid, "harness.c", h);
	put(e, kid, "input.c", in);
	/* wait for the run to exist, then shut down while it goes on */
	for (int i = 0; i < 200 && runs_of(kid) < 1; i++)
		usleep(20000);
	cr_assert_eq(runs_of(kid), 1);
	engine_free(e);
	e = NULL;
	/* the new engine's store says the run was cut, not finished */
	{
		struct engine_opts o = { .state_dir = state_dir, .build_jobs = 1 };
		char err[256] = "";
		cr_assert_eq(engine_open(&o, &e, err, sizeof(err)), 0, "%s", err);
		cr_assert_eq(store_run_latest(engine_reader(e), kid, &r), 0);
		cr_expect_eq(r.finished_ns, 0, "state %s", r.state);
		run_row_clear(&r);
		engine_free(e);
	}

	e = open_engine();
	char *line = wait_idle(e, kid, false, 180, &state);
	cr_assert(line, "the resumed run did not end");
	cr_expect_eq(state, RS_DONE, "%s", line);
	cr_expect_eq(runs_of(kid), 1, "the resumed run is the same run");
	cr_assert_eq(store_run_latest(engine_reader(e), kid, &r), 0);
	cr_expect_eq(r.state, RS_DONE);
	run_row_clear(&r);
	free(line);
	free(in);
	free(h);
	engine_free(e);
}

Test(engine, states_have_one_name_each)
{
	for (int s = 0; s < RS_COUNT; s++) {
		cr_expect_eq(run_state_parse(run_state_name(s)), s);
		for (int t = 0; t < s; t++)
			cr_expect_str_neq(run_state_name(s), run_state_name(t));
	}
	cr_expect_eq(run_state_parse("finished"), -1);
	cr_expect_eq(run_state_parse(NULL), -1);
	cr_expect(run_state_idle(RS_DONE) && run_state_idle(RS_WAITING));
	cr_expect(!run_state_idle(RS_SEARCHING) && !run_state_idle(RS_QUEUED));
}
