/*
 * test_store.c - the SQLite store: schema version and migrations, every
 * table's round trip, renames, cascades, durability across reopen, and
 * what a failed write returns and leaves behind.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/core/figures.h"
#include "engine/core/store.h"
#include "engine/util/util.h"
#include "targets/exec/fileio.h"

static char dir[64];
static char path[128];
static struct store *s;

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/acfs-store-XXXXXX");
	cr_assert(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/db", dir);
	char err[256];
	cr_assert_eq(store_open(path, &s, err, sizeof(err)), 0, "%s", err);
}

static void teardown(void)
{
	store_close(s);
	ac_remove_tree(dir);
}

TestSuite(store, .init = setup, .fini = teardown);

Test(store, schema_is_current_and_reopens)
{
	cr_assert_eq(store_schema_version(s), STORE_SCHEMA_VERSION);
	char *ok = store_integrity(s);
	cr_assert_str_eq(ok, "ok");
	free(ok);
	store_close(s);
	char err[256];
	cr_assert_eq(store_open(path, &s, err, sizeof(err)), 0);
	cr_assert_eq(store_schema_version(s), STORE_SCHEMA_VERSION);
}

Test(store, migrates_a_version_1_database)
{
	/* a database as the first release left it: version 1 tables only */
	store_close(s);
	s = NULL;
	unlink(path);
	sqlite3 *db;
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db,
		"CREATE TABLE kernel(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, state TEXT NOT NULL DEFAULT 'waiting', status TEXT NOT NULL DEFAULT '', created_ns INTEGER NOT NULL, status_ns INTEGER NOT NULL);"
		"INSERT INTO kernel(id, name, created_ns, status_ns) VALUES (0, '.menus', 0, 0);"
		"CREATE TABLE file(id INTEGER PRIMARY KEY, kernel_id INTEGER NOT NULL REFERENCES kernel(id) ON DELETE CASCADE, name TEXT NOT NULL, data BLOB NOT NULL DEFAULT x'', mode INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, ctime_ns INTEGER NOT NULL, UNIQUE(kernel_id, name));"
		"CREATE TABLE run(id INTEGER PRIMARY KEY, kernel_id INTEGER NOT NULL REFERENCES kernel(id) ON DELETE CASCADE, state TEXT NOT NULL, target TEXT NOT NULL, input_name TEXT NOT NULL, input BLOB NOT NULL, config TEXT NOT NULL, best INTEGER NOT NULL DEFAULT -1, best_ns INTEGER NOT NULL DEFAULT 0, created_ns INTEGER NOT NULL, finished_ns INTEGER NOT NULL DEFAULT 0, iteration INTEGER NOT NULL DEFAULT 0, tokens INTEGER NOT NULL DEFAULT 0);"
		"CREATE INDEX run_kernel ON run(kernel_id, id);"
		"CREATE TABLE run_file(run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE, name TEXT NOT NULL, data BLOB NOT NULL, PRIMARY KEY(run_id, name));"
		"CREATE TABLE candidate(run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE, num INTEGER NOT NULL, parent INTEGER NOT NULL, iteration INTEGER NOT NULL, origin TEXT NOT NULL, plan TEXT NOT NULL DEFAULT '', option TEXT NOT NULL DEFAULT '', model TEXT NOT NULL DEFAULT '', source BLOB NOT NULL, outcome TEXT NOT NULL DEFAULT 'pending', time_ns INTEGER NOT NULL DEFAULT 0, samples INTEGER NOT NULL DEFAULT 0, spread REAL NOT NULL DEFAULT 0, message TEXT NOT NULL DEFAULT '', log TEXT NOT NULL DEFAULT '', plan_prompt TEXT NOT NULL DEFAULT '', code_prompt TEXT NOT NULL DEFAULT '', tokens INTEGER NOT NULL DEFAULT 0, in_beam INTEGER NOT NULL DEFAULT 0, created_ns INTEGER NOT NULL, evaluated_ns INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(run_id, num));"
		"CREATE TABLE log(id INTEGER PRIMARY KEY, kernel_id INTEGER NOT NULL REFERENCES kernel(id) ON DELETE CASCADE, ts_ns INTEGER NOT NULL, line TEXT NOT NULL);"
		"INSERT INTO kernel(name, created_ns, status_ns) VALUES ('old', 1, 1);"
		"INSERT INTO run(kernel_id, state, target, input_name, input, config, created_ns) VALUES (1, 'done', 'cpu', 'input.c', 'int x;', '', 1);"
		"INSERT INTO candidate(run_id, num, parent, iteration, origin, source, created_ns) VALUES (1, 0, -1, 0, 'input', 'int x;', 1);"
		"PRAGMA user_version=1;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	char err[256];
	cr_assert_eq(store_open(path, &s, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_schema_version(s), STORE_SCHEMA_VERSION);
	struct cand_row c;
	cr_assert_eq(store_cand_get(s, 1, 0, &c), 0, "old rows survive the migration");
	cr_assert_str_eq(c.source, "int x;");
	cr_assert_str_eq(c.slot, "");
	cr_assert_str_eq(c.verdict, "", "version 3: no verdict recorded yet");
	cr_assert_str_eq(c.job, "");
	cr_assert_str_eq(c.node, "");
	cand_row_clear(&c);
	cr_assert_eq(store_cand_set_where(s, 1, 0, "4121", "n2"), 0);
	cr_assert_eq(store_cand_get(s, 1, 0, &c), 0);
	cr_assert_str_eq(c.job, "4121");
	cr_assert_str_eq(c.node, "n2");
	cand_row_clear(&c);
	/* version 3's columns take writes */
	cr_assert_eq(store_cand_set_verdict(s, 1, 0, "{\"judge\":{\"sets\":4}}"), 0);
	cr_assert_eq(store_run_set_verdict(s, 1, "{\"significant\":false}"), 0);
	cr_assert_eq(store_cand_get(s, 1, 0, &c), 0);
	cr_assert_str_eq(c.verdict, "{\"judge\":{\"sets\":4}}");
	cand_row_clear(&c);
	struct run_row r;
	cr_assert_eq(store_run_get(s, 1, &r), 0);
	cr_assert_str_eq(r.verdict, "{\"significant\":false}");
	run_row_clear(&r);
}

Test(store, migrates_a_version_4_database)
{
	/* a version-4 database with a candidate and a call: version 5 adds
	 * the code hash, duplicates, second parents, figures and cost, 6 the
	 * Slurm job and node */
	store_close(s);
	s = NULL;
	char err[256];
	cr_assert_eq(store_open(path, &s, err, sizeof(err)), 0, "%s", err);
	store_close(s);
	s = NULL;
	sqlite3 *db;
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db,
		"ALTER TABLE candidate RENAME COLUMN beam_iteration TO in_beam;"
		"ALTER TABLE candidate DROP COLUMN job;"
		"ALTER TABLE candidate DROP COLUMN node;"
		"ALTER TABLE candidate DROP COLUMN metrics;"
		"DROP INDEX candidate_hash;"
		"ALTER TABLE candidate DROP COLUMN code_hash;"
		"ALTER TABLE candidate DROP COLUMN same_as;"
		"ALTER TABLE candidate DROP COLUMN parent2;"
		"ALTER TABLE llm_call DROP COLUMN cost;"
		"INSERT INTO kernel(name, created_ns, status_ns) VALUES ('old', 1, 1);"
		"INSERT INTO run(kernel_id, state, target, input_name, input, config, created_ns) VALUES (1, 'done', 'cpu', 'input.c', 'int x;', '', 1);"
		"INSERT INTO candidate(run_id, num, parent, iteration, origin, source, created_ns) VALUES (1, 0, -1, 0, 'input', 'int x;', 1);"
		"INSERT INTO llm_call(run_id, slot, model, prompt, reply, created_ns) VALUES (1, 'i1/c0/p0', 'm', 'p', 'r', 1);"
		"PRAGMA user_version=4;", NULL, NULL, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
	sqlite3_close(db);
	cr_assert_eq(store_open(path, &s, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_schema_version(s), STORE_SCHEMA_VERSION);
	struct cand_row c;
	cr_assert_eq(store_cand_get(s, 1, 0, &c), 0);
	cr_assert_str_eq(c.job, "", "version 6: where it ran");
	cr_assert_str_eq(c.code_hash, "");
	cr_assert_eq(c.same_as, -1);
	cr_assert_eq(c.parent2, 0);
	cr_assert_str_eq(c.metrics, "");
	cand_row_clear(&c);
	double cost = -1;
	cr_assert_eq(store_call_cost(s, 1, &cost), 0);
	cr_assert_float_eq(cost, 0, 1e-12);
	/* the new columns take writes: a duplicate of #0 with its figures */
	cr_assert_eq(store_cand_set_hash(s, 1, 0, "00ff"), 0);
	struct cand_row d = {.run_id = 1, .num = -1, .parent = 0, .parent2 = 0, .origin = ORIGIN_LLM,
	                     .source = "int  x;", .code_hash = "00ff"};
	cr_assert_eq(store_cand_add(s, &d), 0);
	struct cand_row *same;
	int nsame;
	cr_assert_eq(store_cand_by_hash(s, 1, "00ff", d.num, &same, &nsame), 0);
	cr_assert_eq(nsame, 1);
	cr_assert_eq(same[0].num, 0);
	cand_rows_free(same, nsame);
	struct ac_result r = {.outcome = AC_OK, .time_ns = 5, .samples = 1,
	                      .metrics = "{\"util\":0.5}"};
	cr_assert_eq(store_cand_set_dup(s, 1, d.num, 0, &r, 2), 0);
	cr_assert_eq(store_cand_get(s, 1, d.num, &c), 0);
	cr_assert_eq(c.same_as, 0);
	cr_assert_str_eq(c.metrics, "{\"util\":0.5}");
	cr_assert_eq(c.outcome, AC_OK);
	cand_row_clear(&c);
	/* a duplicate is listed too, and is never an original */
	cr_assert_eq(store_cand_by_hash(s, 1, "00ff", 99, &same, &nsame), 0);
	cr_assert_eq(nsame, 2);
	cr_assert(cand_reusable(&same[0]));
	cr_assert_not(cand_reusable(&same[1]));
	cand_rows_free(same, nsame);
	struct llm_call_row call = {.run_id = 1, .slot = "i1/c0/p1", .model = "m", .prompt = "p",
	                            .reply = "r", .error = "", .cost = 0.25};
	cr_assert_eq(store_call_put(s, &call), 0);
	cr_assert_eq(store_call_cost(s, 1, &cost), 0);
	cr_assert_float_eq(cost, 0.25, 1e-12);
	cr_assert_eq(store_call_cost(s, -1, &cost), 0);
	cr_assert_float_eq(cost, 0.25, 1e-12);
}

Test(store, migrates_a_version_6_database)
{
	/* version 6 named the column in_beam though it held an iteration: the
	 * last one whose beam kept the candidate; version 7 renames it */
	store_close(s);
	s = NULL;
	sqlite3 *db;
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db,
		"ALTER TABLE candidate RENAME COLUMN beam_iteration TO in_beam;"
		"INSERT INTO kernel(name, created_ns, status_ns) VALUES ('old', 1, 1);"
		"INSERT INTO run(kernel_id, state, target, input_name, input, config, created_ns, iteration) VALUES (1, 'done', 'cpu', 'input.c', 'int x;', '', 1, 3);"
		"INSERT INTO candidate(run_id, num, parent, iteration, origin, source, created_ns, in_beam) VALUES (1, 0, -1, 0, 'input', 'int x;', 1, 3);"
		"INSERT INTO candidate(run_id, num, parent, iteration, origin, source, created_ns, in_beam) VALUES (1, 1, 0, 1, 'llm', 'int y;', 1, 0);"
		"PRAGMA user_version=6;", NULL, NULL, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
	sqlite3_close(db);
	char err[256];
	cr_assert_eq(store_open(path, &s, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_schema_version(s), 7);
	struct cand_row *rows;
	int n;
	cr_assert_eq(store_cand_list(s, 1, &rows, &n), 0);
	cr_assert_eq(n, 2);
	cr_assert_eq(rows[0].beam_iteration, 3, "the value moves with the column");
	cr_assert_eq(rows[1].beam_iteration, 0);
	cand_rows_free(rows, n);
	cr_assert_eq(store_cand_set_beam(s, 1, 1, 4), 0);
	struct cand_row c;
	cr_assert_eq(store_cand_get(s, 1, 1, &c), 0);
	cr_assert_eq(c.beam_iteration, 4);
	cand_row_clear(&c);
	/* the old name is gone from the table */
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_stmt *st = NULL;
	cr_assert_neq(sqlite3_prepare_v2(db, "SELECT in_beam FROM candidate", -1, &st, NULL),
	              SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT beam_iteration FROM candidate WHERE num = 0",
	                                -1, &st, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	cr_assert_eq(sqlite3_column_int(st, 0), 3);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

Test(store, refuses_a_newer_schema)
{
	store_close(s);
	s = NULL;
	sqlite3 *db;
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_exec(db, "PRAGMA user_version=99", NULL, NULL, NULL);
	sqlite3_close(db);
	char err[256] = "";
	cr_assert_neq(store_open(path, &s, err, sizeof(err)), 0);
	cr_assert(strstr(err, "newer"), "%s", err);
}

Test(store, kernels_files_renames_and_cascades)
{
	int64_t k;
	cr_assert_eq(store_kernel_create(s, "gemm", &k), 0);
	cr_assert_eq(store_kernel_create(s, "gemm", NULL), -EEXIST);
	int64_t fid;
	cr_assert_eq(store_file_create(s, k, "input.c", 0644, &fid), 0);
	cr_assert_eq(store_file_write(s, fid, "abc", 3, 123), 0);
	struct file_row f;
	cr_assert_eq(store_file_get(s, k, "input.c", true, &f), 0);
	cr_assert_str_eq(f.data, "abc");
	cr_assert_eq(f.mtime_ns, 123);
	file_row_clear(&f);
	cr_assert_eq(store_file_truncate(s, fid, 5, 7), 0);
	cr_assert_eq(store_file_get_id(s, fid, true, &f), 0);
	cr_assert_eq(f.size, 5);
	cr_assert_eq(memcmp(f.data, "abc\0\0", 5), 0);
	file_row_clear(&f);
	/* bytes after a zero are kept; cut to nothing, an empty file stays one */
	cr_assert_eq(store_file_write(s, fid, "a\0b", 3, 124), 0);
	cr_assert_eq(store_file_truncate(s, fid, 6, 8), 0);
	cr_assert_eq(store_file_get_id(s, fid, true, &f), 0);
	cr_assert_eq(f.size, 6);
	cr_assert_eq(memcmp(f.data, "a\0b\0\0\0", 6), 0);
	file_row_clear(&f);
	cr_assert_eq(store_file_truncate(s, fid, 2, 9), 0);
	cr_assert_eq(store_file_truncate(s, fid, 0, 10), 0);
	cr_assert_eq(store_file_truncate(s, fid, 0, 11), 0, "an empty file truncated again");
	cr_assert_eq(store_file_get_id(s, fid, true, &f), 0);
	cr_assert_eq(f.size, 0);
	file_row_clear(&f);
	cr_assert_eq(store_file_write(s, fid, "abc", 3, 123), 0);
	/* what open(O_CREAT | O_TRUNC) does to a file just made */
	int64_t fresh;
	cr_assert_eq(store_file_create(s, k, "fresh", 0644, &fresh), 0);
	cr_assert_eq(store_file_truncate(s, fresh, 0, 12), 0);
	cr_assert_eq(store_file_truncate(s, fresh, 3, 13), 0);
	cr_assert_eq(store_file_get_id(s, fresh, true, &f), 0);
	cr_assert_eq(f.size, 3);
	cr_assert_eq(memcmp(f.data, "\0\0\0", 3), 0);
	file_row_clear(&f);
	cr_assert_eq(store_file_unlink(s, k, "fresh"), 0);
	/* rename keeps the id (open handles follow) and replaces the target */
	int64_t other;
	cr_assert_eq(store_file_create(s, k, "tmp", 0600, &other), 0);
	cr_assert_eq(store_file_rename(s, k, "input.c", "tmp"), 0);
	cr_assert_eq(store_file_get(s, k, "tmp", false, &f), 0);
	cr_assert_eq(f.id, fid);
	file_row_clear(&f);
	cr_assert_eq(store_file_get(s, k, "input.c", false, &f), -ENOENT);
	cr_assert_eq(store_file_write(s, other, "x", 1, 1), -ENOENT, "the replaced file is gone");
	cr_assert_eq(store_kernel_rename(s, k, "gemm2"), 0);
	struct kernel_row kr;
	cr_assert_eq(store_kernel_get(s, k, &kr), 0);
	cr_assert_str_eq(kr.name, "gemm2");
	kernel_row_clear(&kr);
	cr_assert_eq(store_kernel_delete(s, k), 0);
	cr_assert_eq(store_file_get_id(s, fid, false, &f), -ENOENT, "files go with the kernel");
}

Test(store, runs_candidates_calls_and_log)
{
	int64_t k, r;
	cr_assert_eq(store_kernel_create(s, "k", &k), 0);
	struct ac_file files[] = {{"harness.c", "int main(void){}", 16}};
	cr_assert_eq(store_run_create(s, k, "cpu", "input.c", "void f(void){}", "{}", files, 1, &r), 0);
	struct run_row run;
	cr_assert_eq(store_run_latest(s, k, &run), 0);
	cr_assert_eq(run.id, r);
	cr_assert_eq(run.best, -1);
	cr_assert_eq(run.state, RS_QUEUED);
	run_row_clear(&run);
	struct file_row *rf;
	int n;
	cr_assert_eq(store_run_files(s, r, &rf, &n), 0);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(rf[0].data, "int main(void){}");
	file_rows_free(rf, n);
	for (int i = 0; i < 3; i++) {
		struct cand_row c = {0};
		c.num = -1;
		c.run_id = r;
		c.parent = i - 1;
		c.origin = ORIGIN_LLM;
		c.source = "code";
		c.slot = i == 2 ? "i1/c0/p0/impl0" : NULL;
		c.reasoning_tokens = i * 100;
		cr_assert_eq(store_cand_add(s, &c), 0);
		cr_assert_eq(c.num, i, "numbers are dense from 0");
	}
	int64_t *pend;
	cr_assert_eq(store_cand_pending(s, r, &pend, &n), 0);
	cr_assert_eq(n, 3);
	free(pend);
	struct ac_result res = {.outcome = AC_OK, .time_ns = 1000, .samples = 10, .spread = 0.01,
	                        .message = "fine", .log = "built\n"};
	cr_assert_eq(store_cand_set_result(s, r, 1, &res, 5), 0);
	struct cand_row c;
	cr_assert_eq(store_cand_get(s, r, 1, &c), 0);
	cr_assert_eq(c.outcome, AC_OK);
	cr_assert_eq(c.time_ns, 1000);
	cr_assert_str_eq(c.log, "built\n");
	cr_assert_eq(c.reasoning_tokens, 100);
	cr_assert_str_eq(c.code_prompt, "");
	cand_row_clear(&c);
	int64_t num;
	cr_assert_eq(store_cand_by_slot(s, r, "i1/c0/p0/impl0", &num), 0);
	cr_assert_eq(num, 2);
	struct cand_row *rows;
	cr_assert_eq(store_cand_list(s, r, &rows, &n), 0);
	cr_assert_eq(n, 3);
	cr_assert_eq(rows[1].log_len, 6);
	cr_assert_eq(rows[2].reasoning_tokens, 200);
	cand_rows_free(rows, n);
	struct llm_call_row call = {.run_id = r, .slot = "i1/c0/p0", .model = "openai::m",
	                            .prompt = "p", .reply = "r", .reasoning = "", .error = "",
	                            .prompt_tokens = 10, .completion_tokens = 5,
	                            .reasoning_tokens = 3};
	cr_assert_eq(store_call_put(s, &call), 0);
	struct llm_call_row got;
	cr_assert_eq(store_call_get(s, r, "i1/c0/p0", &got), 0);
	cr_assert_str_eq(got.reply, "r");
	cr_assert_eq(got.reasoning_tokens, 3);
	llm_call_row_clear(&got);
	cr_assert_eq(store_call_get(s, r, "nope", &got), -ENOENT);
	long calls, tokens, reasoning;
	int64_t wall;
	cr_assert_eq(store_call_totals(s, r, &calls, &tokens, &wall, &reasoning), 0);
	cr_assert_eq(calls, 1);
	cr_assert_eq(tokens, 15);
	cr_assert_eq(reasoning, 3);
	cr_assert_eq(store_log_add(s, k, 1, "one"), 0);
	cr_assert_eq(store_log_add(s, k, 2, "two"), 0);
	int64_t *unf;
	cr_assert_eq(store_runs_unfinished(s, &unf, &n), 0);
	cr_assert_eq(n, 1, "a queued run is unfinished");
	free(unf);
	cr_assert_eq(store_run_set_state(s, r, RS_DONE, true), 0);
	cr_assert_eq(store_runs_unfinished(s, &unf, &n), 0);
	cr_assert_eq(n, 0);
	free(unf);
}

static void count_line(void *arg, int64_t id, int64_t ts, const char *line)
{
	(void)id;
	(void)ts;
	(void)line;
	(*(int *)arg)++;
}

Test(store, log_since_reads_only_new_lines)
{
	int64_t k;
	cr_assert_eq(store_kernel_create(s, "k", &k), 0);
	for (int i = 0; i < 5; i++)
		cr_assert_eq(store_log_add(s, k, i, "line"), 0);
	int n = 0;
	cr_assert_eq(store_log_since(s, k, 0, count_line, &n), 0);
	cr_assert_eq(n, 5);
	n = 0;
	store_log_since(s, k, 3, count_line, &n);
	cr_assert_eq(n, 2);
}

/* SQLite refuses a blob over 2 GiB when it is bound, before reading a byte
 * of it, so this length fails a write without the memory behind it. */
static const size_t TOO_BIG = (size_t)3 << 30;

Test(store, a_failed_write_returns_errno_and_keeps_what_was_stored)
{
	int64_t k, fid;
	cr_assert_eq(store_kernel_create(s, "k", &k), 0);
	cr_assert_eq(store_file_create(s, k, "input.c", 0644, &fid), 0);
	cr_assert_eq(store_file_write(s, fid, "abc", 3, 1), 0);
	cr_assert_eq(store_file_write(s, fid, "x", TOO_BIG, 2), -EFBIG);
	cr_assert_eq(store_file_put(s, k, "input.c", "x", TOO_BIG, 0644, 2), -EFBIG);
	struct file_row f;
	cr_assert_eq(store_file_get(s, k, "input.c", true, &f), 0);
	cr_assert_str_eq(f.data, "abc", "the content written before is whole");
	cr_assert_eq(f.mtime_ns, 1);
	file_row_clear(&f);
	/* one that matches no row */
	cr_assert_eq(store_file_truncate(s, fid + 1, 0, 3), -ENOENT);
	cr_assert_eq(store_file_unlink(s, k, "nope"), -ENOENT);

	/* a transaction that fails half-way leaves nothing of itself: the run
	 * row went in before its second file failed */
	struct ac_file files[] = {{"harness.c", "int main(void){}", 16}, {"big.h", "x", TOO_BIG}};
	int64_t r = -1;
	cr_assert_eq(store_run_create(s, k, "cpu", "input.c", "void f(void){}", "{}", files, 2, &r),
	             -EFBIG);
	cr_assert_eq(r, -1);
	struct run_row run;
	cr_assert_eq(store_run_latest(s, k, &run), -ENOENT);
	cr_assert_eq(store_run_create(s, k, "cpu", "input.c", "void f(void){}", "{}", files, 1, &r),
	             0);
	cr_assert_eq(store_run_latest(s, k, &run), 0);
	cr_assert_eq(run.id, r);
	run_row_clear(&run);

	/* a taken number is refused and the candidate holding it is unchanged */
	struct cand_row c = {.run_id = r, .num = -1, .parent = -1, .origin = ORIGIN_INPUT,
	                     .plan = "first", .source = "a"};
	cr_assert_eq(store_cand_add(s, &c), 0);
	struct cand_row again = {.run_id = r, .num = c.num, .parent = -1, .origin = ORIGIN_LLM,
	                         .plan = "second", .source = "b"};
	cr_assert_eq(store_cand_add(s, &again), -EEXIST);
	struct cand_row *rows;
	int n;
	cr_assert_eq(store_cand_list(s, r, &rows, &n), 0);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(rows[0].plan, "first");
	cand_rows_free(rows, n);
}

static void *add_kernel(void *arg)
{
	return (void *)(intptr_t)store_kernel_create(arg, "other", NULL);
}

Test(store, a_failed_write_leaves_the_store_to_other_threads, .timeout = 20)
{
	int64_t k;
	cr_assert_eq(store_kernel_create(s, "k", &k), 0);
	cr_assert_eq(store_kernel_create(s, "k", NULL), -EEXIST);
	int64_t fid;
	cr_assert_eq(store_file_create(s, k, "f", 0644, &fid), 0);
	cr_assert_eq(store_file_write(s, fid, "x", TOO_BIG, 1), -EFBIG);
	struct ac_file files[] = {{"big.h", "x", TOO_BIG}};
	cr_assert_eq(store_run_create(s, k, "cpu", "in.c", "x", "{}", files, 1, NULL), -EFBIG);
	/* the lock is recursive: only another thread notices one left held */
	pthread_t t;
	cr_assert_eq(pthread_create(&t, NULL, add_kernel, s), 0);
	void *res;
	cr_assert_eq(pthread_join(t, &res), 0);
	cr_assert_eq((intptr_t)res, 0);
}

Test(store, a_rolled_back_transaction_leaves_nothing)
{
	cr_assert_eq(store_begin(s), 0);
	int64_t k;
	cr_assert_eq(store_kernel_create(s, "gone", &k), 0);
	cr_assert_eq(store_rollback(s), 0);
	struct kernel_row kr;
	cr_assert_eq(store_kernel_get(s, k, &kr), -ENOENT);
	kernel_row_clear(&kr);
}

Test(store, lists_grow_past_their_first_allocation)
{
	int64_t k;
	for (int i = 99; i >= 0; i--) {
		char name[16];
		snprintf(name, sizeof(name), "k%02d", i);
		cr_assert_eq(store_kernel_create(s, name, i == 0 ? &k : NULL), 0);
	}
	struct kernel_row *kr;
	int n;
	cr_assert_eq(store_kernel_list(s, &kr, &n), 0);
	cr_assert_eq(n, 100, "the menus pseudo-kernel is not listed");
	for (int i = 0; i < n; i++) {
		char name[16];
		snprintf(name, sizeof(name), "k%02d", i);
		cr_assert_str_eq(kr[i].name, name, "by name");
	}
	kernel_rows_free(kr, n);
	int64_t r;
	cr_assert_eq(store_run_create(s, k, "cpu", "input.c", "x", "{}", NULL, 0, &r), 0);
	for (int i = 0; i < 150; i++) {
		struct cand_row c = {.run_id = r, .num = -1, .parent = i - 1, .origin = ORIGIN_LLM,
		                     .source = "x"};
		cr_assert_eq(store_cand_add(s, &c), 0);
		cr_assert_eq(store_cand_set_beam(s, r, c.num, i % 3), 0);
	}
	struct cand_row *rows;
	cr_assert_eq(store_cand_list(s, r, &rows, &n), 0);
	cr_assert_eq(n, 150);
	for (int i = 0; i < n; i++) {
		cr_assert_eq(rows[i].num, i);
		cr_assert_eq(rows[i].beam_iteration, i % 3);
	}
	cand_rows_free(rows, n);
	int64_t *pend;
	cr_assert_eq(store_cand_pending(s, r, &pend, &n), 0);
	cr_assert_eq(n, 150);
	cr_assert_eq(pend[149], 149);
	free(pend);
	for (int i = 0; i < 40; i++) {
		char name[16];
		snprintf(name, sizeof(name), "f%02d", i);
		cr_assert_eq(store_file_put(s, k, name, name, 3, 0644, i), 0);
	}
	struct file_row *fr;
	cr_assert_eq(store_file_list(s, k, true, &fr, &n), 0);
	cr_assert_eq(n, 40);
	cr_assert_str_eq(fr[39].data, "f39");
	file_rows_free(fr, n);
}
