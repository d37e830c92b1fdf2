/*
 * test_render.c - the generated files rendered from the store: content,
 * snapshot blobs that outlive a change, and invalidation by version.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_int.h"
#include "engine/core/store.h"
#include "fs/render.h"
#include "tests/support.h"

static char dir[64];
static struct engine *e;
static struct view *v;
static int64_t kid, rid;

static void add_cand(int64_t parent, const char *src, enum ac_outcome outcome, int64_t t,
                     const char *plan)
{
	struct cand_row c = {0};
	c.num = -1;
	c.run_id = rid;
	c.parent = parent;
	c.iteration = parent < 0 ? 0 : 1;
	c.origin = parent < 0 ? ORIGIN_INPUT : ORIGIN_LLM;
	c.plan = (char *)plan;
	c.source = (char *)src;
	cr_assert_eq(store_cand_add(engine_writer(e), &c), 0);
	struct ac_result r = {.outcome = outcome, .time_ns = t, .samples = 10,
	                      .log = "log text\n"};
	cr_assert_eq(store_cand_set_result(engine_writer(e), rid, c.num, &r, 100 + c.num), 0);
	engine_touch(e, kid);
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/acfs-render-XXXXXX");
	cr_assert(mkdtemp(dir));
	struct engine_opts o = {.state_dir = dir, .debounce_s = -1};
	char err[512];
	cr_assert_eq(engine_open(&o, &e, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(engine_kernel_create(e, "gemm"), 0);
	cr_assert_eq(engine_kernel_id(e, "gemm", &kid), 0);
	cr_assert_eq(store_run_create(engine_writer(e), kid, "cpu", "input.c", "slow();", "{}",
	                              NULL, 0, &rid), 0);
	v = view_new(e);
	add_cand(-1, "slow();", AC_OK, 4000, "the input");
	add_cand(0, "fast();", AC_OK, 1000, "tile the loops\nby 32");
	add_cand(0, "broken(", AC_BUILD_ERROR, 0, "unroll");
	cr_assert_eq(store_run_set_best(engine_writer(e), rid, 1, 555), 0);
	engine_touch(e, kid);
}

static void teardown(void)
{
	view_free(v);
	engine_free(e);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(render, .init = setup, .fini = teardown);

static struct blob *render(enum node_type t, int64_t num, const char *ext)
{
	struct node n = {.type = t, .num = num};
	snprintf(n.ext, sizeof(n.ext), "%s", ext ? ext : "");
	struct blob *b = NULL;
	cr_assert_eq(view_render(v, kid, &n, &b), 0, "node %d", t);
	return b;
}

Test(render, best_is_the_best_candidate_with_its_own_mtime)
{
	struct blob *b = render(NODE_BEST, 0, "c");
	cr_assert_str_eq(b->data, "fast();");
	cr_assert_eq(b->mtime_ns, 555);
	blob_put(b);
	struct node n = {.type = NODE_BEST};
	snprintf(n.ext, sizeof(n.ext), "cu");
	struct blob *none = NULL;
	cr_assert_neq(view_render(v, kid, &n, &none), 0, "best.cu is not this kernel's best");
}

Test(render, metrics_json_has_every_candidate_and_the_totals)
{
	struct blob *b = render(NODE_METRICS, 0, NULL);
	cr_assert_eq(strlen(b->data), b->len);
	cr_assert(strstr(b->data, "\"kernel\":\t\"gemm\""), "%s", b->data);
	cr_assert(strstr(b->data, "\"speedup\":\t4"), "%s", b->data);
	cr_assert(strstr(b->data, "\"build_error\":\t1"), "%s", b->data);
	cr_assert(strstr(b->data, "\"outcome\":\t\"build_error\""), "%s", b->data);
	cr_assert(strstr(b->data, "\"parent\":\tnull"), "%s", b->data);
	blob_put(b);
}

/* Candidate num of metrics.json's "candidates" (root keeps it). */
static const cJSON *cand_json(const cJSON *root, int num)
{
	const cJSON *c;
	cJSON_ArrayForEach(c, cJSON_GetObjectItem(root, "candidates"))
		if (cJSON_GetObjectItem(c, "id")->valuedouble == num)
			return c;
	cr_assert_fail("no candidate %d", num);
	return NULL;
}

Test(render, metrics_json_says_which_beam_kept_a_candidate)
{
	/* #0 was kept by iteration 1's beam only, #1 by iteration 2's, the
	 * last the run finished; #2 never */
	cr_assert_eq(store_cand_set_beam(engine_writer(e), rid, 0, 1), 0);
	cr_assert_eq(store_cand_set_beam(engine_writer(e), rid, 1, 1), 0);
	cr_assert_eq(store_cand_set_beam(engine_writer(e), rid, 1, 2), 0);
	cr_assert_eq(store_run_set_progress(engine_writer(e), rid, 2, 0), 0);
	engine_touch(e, kid);
	struct blob *b = render(NODE_METRICS, 0, NULL);
	cJSON *root = cJSON_Parse(b->data);
	cr_assert(root, "%s", b->data);
	const cJSON *c0 = cand_json(root, 0), *c1 = cand_json(root, 1), *c2 = cand_json(root, 2);
	cr_assert_eq(cJSON_GetObjectItem(c0, "beam_iteration")->valuedouble, 1);
	cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(c0, "in_last_beam")), "%s", b->data);
	cr_assert_eq(cJSON_GetObjectItem(c1, "beam_iteration")->valuedouble, 2);
	cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(c1, "in_last_beam")), "%s", b->data);
	cr_assert(cJSON_IsNull(cJSON_GetObjectItem(c2, "beam_iteration")), "%s", b->data);
	cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(c2, "in_last_beam")), "%s", b->data);
	cr_assert(!cJSON_GetObjectItem(c1, "in_beam"), "the old flag is gone");
	cJSON_Delete(root);
	blob_put(b);
}

Test(render, schedule_plans_and_candidates)
{
	struct blob *b = render(NODE_SCHEDULE, 0, NULL);
	cr_assert(strstr(b->data, "#0 input"), "%s", b->data);
	cr_assert(strstr(b->data, "#1 iteration 1: tile the loops"), "%s", b->data);
	blob_put(b);
	b = render(NODE_PLAN, 1, "md");
	cr_assert(strstr(b->data, "- parent: #0"), "%s", b->data);
	cr_assert(strstr(b->data, "by 32"), "%s", b->data);
	blob_put(b);
	b = render(NODE_PLAN_PROMPT, 0, "prompt");
	cr_assert(strstr(b->data, "not written by a model"), "%s", b->data);
	blob_put(b);
	b = render(NODE_CAND_SRC, 2, "c");
	cr_assert_str_eq(b->data, "broken(");
	blob_put(b);
	b = render(NODE_CAND_LOG, 2, "log");
	cr_assert_str_eq(b->data, "log text\n");
	blob_put(b);
	size_t size;
	int64_t mt;
	cr_assert_eq(view_cand_stat(v, kid, 1, false, "c", &size, &mt), 0);
	cr_assert_eq(size, strlen("fast();"));
	cr_assert_neq(view_cand_stat(v, kid, 9, false, "c", &size, &mt), 0);
	struct view_cand *vc;
	int n;
	cr_assert_eq(view_cand_list(v, kid, &vc, &n), 0);
	cr_assert_eq(n, 3);
	free(vc);
}

Test(render, a_snapshot_outlives_a_change_and_a_change_is_seen)
{
	struct blob *before = render(NODE_METRICS, 0, NULL);
	add_cand(1, "faster();", AC_OK, 500, "more");
	cr_assert_eq(store_run_set_best(engine_writer(e), rid, 3, 777), 0);
	engine_touch(e, kid);
	struct blob *after = render(NODE_METRICS, 0, NULL);
	cr_assert(!strstr(before->data, "faster"), "the old snapshot is whole and unchanged");
	cr_assert(strstr(after->data, "\"speedup\":\t8"), "%s", after->data);
	blob_put(before);
	blob_put(after);
	struct blob *b = render(NODE_BEST, 0, "c");
	cr_assert_str_eq(b->data, "faster();");
	cr_assert_eq(b->mtime_ns, 777);
	blob_put(b);
}

Test(render, log_grows_in_place)
{
	size_t len0, len1;
	int64_t mt;
	cr_assert_eq(view_log_stat(v, kid, &len0, &mt), 0);
	engine_log(e, kid, "hello %d", 42);
	cr_assert_eq(view_log_stat(v, kid, &len1, &mt), 0);
	cr_assert_gt(len1, len0);
	char buf[256];
	size_t n = view_log_read(v, kid, buf, sizeof(buf) - 1, len0);
	buf[n] = '\0';
	cr_assert(strstr(buf, "hello 42\n"), "%s", buf);
	cr_assert_eq(n, len1 - len0);
}

/* The number after "key": in a cJSON_Print'ed object. */
static double json_num(const char *text, const char *key)
{
	cJSON *root = cJSON_Parse(text);
	cr_assert(root, "%s", text);
	const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(root, "run"), key);
	cr_assert(cJSON_IsNumber(v), "run.%s: %s", key, text);
	double d = v->valuedouble;
	cJSON_Delete(root);
	return d;
}

Test(render, every_view_counts_and_figures_alike)
{
	/* a duplicate of #1 and a candidate without code join the run */
	add_cand(0, "fast();", AC_OK, 1000, "tile again");
	struct cand_row c = {0};
	cr_assert_eq(store_cand_get(engine_writer(e), rid, 3, &c), 0);
	struct ac_result r = {.outcome = AC_OK, .time_ns = 1000, .samples = 10};
	cr_assert_eq(store_cand_set_dup(engine_writer(e), rid, 3, 1, &r, 400), 0);
	cand_row_clear(&c);
	add_cand(0, "", AC_FAILED, 0, "no code");
	/* the final comparison re-timed the input and the best together */
	cr_assert_eq(store_cand_set_retime(engine_writer(e), rid, 0, 3000000), 0);
	cr_assert_eq(store_cand_set_retime(engine_writer(e), rid, 1, 1500000), 0);
	engine_touch(e, kid);

	struct blob *m = render(NODE_METRICS, 0, NULL);
	cr_assert_eq(json_num(m->data, "candidates"), 4, "the input is not a candidate");
	cr_assert_eq(json_num(m->data, "evaluated"), 2);
	cr_assert_eq(json_num(m->data, "duplicates"), 1);
	cr_assert_eq(json_num(m->data, "failed"), 1);
	cr_assert_eq(json_num(m->data, "ok"), 2, "#1 and its duplicate #3");
	cr_assert_eq(json_num(m->data, "input_time_ns"), 3000000, "re-timed with the best");
	cr_assert_eq(json_num(m->data, "best_time_ns"), 1500000);
	cr_assert_eq(json_num(m->data, "speedup"), 2);

	struct blob *svg = render(NODE_PROGRESS, 0, NULL);
	cr_assert(strstr(svg->data, "4 candidates (2 evaluated, 1 duplicate, 1 without code)"),
	          "%s", svg->data);
	cr_assert(strstr(svg->data, "input 3 ms, best 1.5 ms"), "%s", svg->data);
	cr_assert(strstr(svg->data, "best 2.00\xc3\x97 (#1)"), "%s", svg->data);

	struct blob *page = render(NODE_INDEX, 0, NULL);
	cr_assert(strstr(page->data, "id=\"best-speedup\" data-speedup=\"2.00\""), "%s", page->data);
	cr_assert(strstr(page->data, "4 candidates (2 evaluated, 1 duplicate, 1 without code)"));
	cr_assert_eq(count_of(page->data, "<tr id=\"c"), 5, "every candidate and the input");
	cr_assert(strstr(page->data, "href=\"candidates/2.log\""));

	struct blob *sched = render(NODE_SCHEDULE, 0, NULL);
	cr_assert(strstr(sched->data, "-> 1.5 ms (2.00x)"), "%s", sched->data);

	struct blob *root = NULL;
	cr_assert_eq(view_root_status(v, &root), 0);
	cr_assert(strstr(root->data, "; 4 candidates (2 evaluated, 1 duplicate, 1 without code);"),
	          "the totals add up the kernels': %s", root->data);
	struct blob *ri = NULL;
	cr_assert_eq(view_root_index(v, &ri), 0);
	cr_assert(strstr(ri->data, "id=\"best-gemm\" data-speedup=\"2.00\""), "%s", ri->data);
	struct blob *again = NULL;
	cr_assert_eq(view_root_index(v, &again), 0);
	cr_assert_eq(again, ri, "cached while nothing changed");
	for (struct blob **b = (struct blob *[]){m, svg, page, sched, root, ri, again, NULL}; *b; b++)
		blob_put(*b);
}

Test(render, the_schedule_cuts_a_long_plan_at_a_word)
{
	char plan[400] = "";
	for (int i = 0, at = 0; i < 40; i++)
		at += snprintf(plan + at, sizeof(plan) - (size_t)at, "blocking ");
	add_cand(1, "faster();", AC_OK, 500, plan);
	cr_assert_eq(store_run_set_best(engine_writer(e), rid, 3, 777), 0);
	engine_touch(e, kid);
	struct blob *b = render(NODE_SCHEDULE, 0, NULL);
	const char *line = strstr(b->data, "#3 iteration 1: ");
	cr_assert(line, "%s", b->data);
	cr_assert(strstr(line, "blocking\xe2\x80\xa6 -> "), "cut after a word, marked: %s", line);
	blob_put(b);
}
