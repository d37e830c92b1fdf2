/*
 * test_cache.c - what the mount serves: rendered once and then from
 * memory, rendered again when the engine changes, invalidated only when
 * the content really differs, seen at once after a handler's own change;
 * the page cache granted only for one settled version whose attributes
 * the kernel was told; memory within its caps; the kernel records (the
 * candidate index, the log) moving only with a refresh.
 *
 * The renderer is a table here, so every render is counted; the engine,
 * the store and the view are the real ones.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/core/store.h"
#include "engine/engine_int.h"
#include "fs/cache.h"
#include "fs/render.h"

static char dir[64];
static struct engine *e;
static struct view *v;
static struct cache *c;
static int64_t kid, rid;

/* The renderer: a file's text by path ("" = gone), every call counted. */
static struct {
	const char *path;
	char text[64];
} files[8];
static int renders;

static int fake_render(void *arg, const char *path, struct blob **out)
{
	(void)arg;
	renders++;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (files[i].path && !strcmp(files[i].path, path)) {
			if (!files[i].text[0])
				return -ENOENT;
			*out = blob_new(files[i].text, strlen(files[i].text), 100);
			return 0;
		}
	}
	if (!strncmp(path, "/many/", 6)) {
		*out = blob_new(path, strlen(path), 100);
		return 0;
	}
	return -ENOENT;
}

static void set_file(int i, const char *path, const char *text)
{
	files[i].path = path;
	snprintf(files[i].text, sizeof(files[i].text), "%s", text);
}

static void add_cand(int64_t parent, const char *src)
{
	struct cand_row cr = {0};
	cr.num = -1;
	cr.run_id = rid;
	cr.parent = parent;
	cr.origin = parent < 0 ? ORIGIN_INPUT : ORIGIN_LLM;
	cr.plan = "plan";
	cr.source = (char *)src;
	cr_assert_eq(store_cand_add(engine_writer(e), &cr), 0);
	struct ac_result r = {.outcome = AC_OK, .time_ns = 1000, .samples = 10, .log = "log\n"};
	cr_assert_eq(store_cand_set_result(engine_writer(e), rid, cr.num, &r, 100 + cr.num), 0);
	engine_touch(e, kid);
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/acfs-cache-XXXXXX");
	cr_assert(mkdtemp(dir));
	struct engine_opts o = {.state_dir = dir, .debounce_s = -1};
	char err[512];
	cr_assert_eq(engine_open(&o, &e, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(engine_kernel_create(e, "gemm"), 0);
	cr_assert_eq(engine_kernel_id(e, "gemm", &kid), 0);
	cr_assert_eq(store_run_create(engine_writer(e), kid, "cpu", "input.c", "slow();", "{}",
	                              NULL, 0, &rid), 0);
	add_cand(-1, "slow();");
	add_cand(0, "fast();");
	add_cand(0, "faster();");
	v = view_new(e);
	c = cache_new(e, v, fake_render, NULL);
	cr_assert(c);
	memset(files, 0, sizeof(files));
	renders = 0;
}

static void teardown(void)
{
	cache_free(c);
	view_free(v);
	engine_free(e);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(cache, .init = setup, .fini = teardown);

/* What the refresher does with the queue: the kernel forgot each path.
 * Returns how many paths were queued; *saw tells whether path was. */
static int carry_out(const char *path, bool *saw)
{
	struct cache_inval *q;
	int n;
	cache_show_logs(c, -1);
	uint64_t seq = cache_take_invals(c, &q, &n);
	if (saw)
		*saw = false;
	for (int i = 0; i < n; i++) {
		if (saw && path && !strcmp(q[i].path, path))
			*saw = true;
		cache_inval_done(c, q[i].path, q[i].gen);
		free(q[i].path);
	}
	free(q);
	cache_invals_through(c, seq);
	return n;
}

static char *get(const char *path, enum cache_scope scope, int64_t num)
{
	struct blob *b = NULL;
	cr_assert_eq(cache_get(c, path, scope == CACHE_ROOT ? -1 : kid, scope, num, &b), 0, "%s",
	             path);
	char *s = strdup(b->data);
	blob_put(b);
	return s;
}

#define ST "/kernels/gemm/status"

Test(cache, a_file_is_rendered_once_then_served_from_memory)
{
	set_file(0, ST, "searching 1/8\n");
	char *a = get(ST, CACHE_KERNEL, 0);
	char *b = get(ST, CACHE_KERNEL, 0);
	cr_assert_str_eq(a, "searching 1/8\n");
	cr_assert_str_eq(b, a);
	cr_assert_eq(renders, 1);
	free(a);
	free(b);
}

Test(cache, only_a_real_change_is_invalidated)
{
	set_file(0, ST, "searching 1/8\n");
	free(get(ST, CACHE_KERNEL, 0));
	bool saw;
	carry_out(ST, &saw);
	cr_assert(saw, "a new entry: the kernel forgets what it may hold of an earlier one");
	/* the engine changed something else of the kernel: rendered, same bytes */
	engine_touch(e, kid);
	cache_refresh(c, true);
	cr_assert_eq(renders, 2);
	carry_out(ST, &saw);
	cr_assert(!saw, "the same content is not invalidated");
	/* a log line alone renders nothing */
	engine_log(e, kid, "a line");
	cache_refresh(c, true);
	cr_assert_eq(renders, 2);
	/* a real change */
	set_file(0, ST, "searching 2/8\n");
	engine_touch(e, kid);
	cache_refresh(c, true);
	carry_out(ST, &saw);
	cr_assert(saw);
	char *s = get(ST, CACHE_KERNEL, 0);
	cr_assert_str_eq(s, "searching 2/8\n");
	free(s);
}

Test(cache, a_handlers_own_change_is_seen_at_once)
{
	set_file(0, ST, "done\n");
	set_file(1, "/status", "gemm: done\n");
	free(get(ST, CACHE_KERNEL, 0));
	free(get("/status", CACHE_ROOT, 0));
	set_file(0, ST, "stopped\n");
	set_file(1, "/status", "gemm: stopped\n");
	engine_touch(e, kid);
	cache_sync(c, kid);
	char *a = get(ST, CACHE_KERNEL, 0);
	char *b = get("/status", CACHE_ROOT, 0);
	cr_assert_str_eq(a, "stopped\n");
	cr_assert_str_eq(b, "gemm: stopped\n");
	free(a);
	free(b);
}

static enum cache_mode open_mode(struct centry **ref, struct blob **b)
{
	enum cache_mode mode;
	cr_assert_eq(cache_open(c, ST, kid, CACHE_KERNEL, 0, b, &mode, ref), 0);
	cr_assert_eq(*ref != NULL, mode != CACHE_DIRECT);
	return mode;
}

static void close_it(struct centry *ref, struct blob *b)
{
	cache_close(c, ref, b);
	blob_put(b);
}

static void settle(void)
{
	usleep(CACHE_SETTLE_NS / 1000 + 100000);
}

Test(cache, page_cache_only_for_one_settled_version_the_kernel_knows)
{
	struct centry *a, *r;
	struct blob *ba, *br;
	set_file(0, ST, "version one\n");
	cr_assert_eq(open_mode(&r, &br), CACHE_DIRECT, "attributes not yet confirmed");
	close_it(r, br);
	carry_out(NULL, NULL);
	cr_assert_eq(open_mode(&r, &br), CACHE_PAGES,
	             "a file first served counts as settled; the pages it had are dropped");
	close_it(r, br);
	cr_assert_eq(open_mode(&a, &ba), CACHE_PAGES_KEEP, "then kept");

	/* a new version while a is still open on the old one's pages */
	set_file(0, ST, "version two, longer\n");
	engine_touch(e, kid);
	cache_refresh(c, true);
	cr_assert_eq(open_mode(&r, &br), CACHE_DIRECT, "the kernel still has the old size");
	cr_assert_str_eq(br->data, "version two, longer\n", "a new open gets the new version");
	close_it(r, br);
	carry_out(NULL, NULL);
	settle();
	cr_assert_eq(open_mode(&r, &br), CACHE_DIRECT, "the old version's pages are in use");
	close_it(r, br);
	cr_assert_str_eq(ba->data, "version one\n", "the old handle keeps its snapshot");
	cache_paged_read(c, a, ba);
	bool saw;
	carry_out(ST, &saw);
	cr_assert(saw, "a page filled from the old version: the kernel asks for the size again");
	close_it(a, ba);
	cr_assert_eq(open_mode(&r, &br), CACHE_DIRECT,
	             "the old reader may have told the kernel its size: asked again first");
	close_it(r, br);
	carry_out(NULL, NULL);
	cr_assert_eq(open_mode(&r, &br), CACHE_PAGES, "the new version's pages, from scratch");
	close_it(r, br);
	cr_assert_eq(open_mode(&r, &br), CACHE_PAGES_KEEP);
	close_it(r, br);
}

Test(cache, what_is_gone_is_dropped)
{
	set_file(0, ST, "x\n");
	free(get(ST, CACHE_KERNEL, 0));
	carry_out(NULL, NULL);
	size_t n, bytes;
	cache_usage(c, &n, &bytes);
	cr_assert_eq(n, 1);
	set_file(0, ST, "");
	engine_touch(e, kid);
	cache_refresh(c, true);
	cache_usage(c, &n, &bytes);
	cr_assert_eq(n, 0);
	bool saw;
	carry_out(ST, &saw);
	cr_assert(saw, "the kernel forgets it too");
}

Test(cache, memory_stays_within_its_caps)
{
	set_file(0, ST, "held open\n");
	carry_out(NULL, NULL);
	struct centry *r;
	struct blob *b;
	free(get(ST, CACHE_KERNEL, 0));
	carry_out(NULL, NULL);
	settle();
	cr_assert_eq(open_mode(&r, &b), CACHE_PAGES);
	for (int i = 0; i < CACHE_ENTRIES + 500; i++) {
		char p[64];
		snprintf(p, sizeof(p), "/many/%d", i);
		free(get(p, CACHE_ROOT, 0));
		if (i % 512 == 0)
			carry_out(NULL, NULL);
	}
	carry_out(NULL, NULL);
	size_t n, bytes;
	cache_usage(c, &n, &bytes);
	cr_assert_leq(n, CACHE_ENTRIES);
	cr_assert_leq(bytes, CACHE_BYTES);
	/* the file read through the pages stayed: still the same entry */
	int before = renders;
	free(get(ST, CACHE_KERNEL, 0));
	cr_assert_eq(renders, before, "an entry in use by the page cache is not evicted");
	close_it(r, b);
}

Test(cache, kernel_records_move_with_a_refresh)
{
	struct view_cand *vc;
	int n;
	cr_assert_eq(cache_cand_list(c, kid, &vc, &n), 0);
	cr_assert_eq(n, 3);
	free(vc);
	size_t size;
	int64_t mt;
	cr_assert_eq(cache_cand_stat(c, kid, 1, false, "c", &size, &mt), 0);
	cr_assert_eq(size, strlen("fast();"));
	cr_assert_eq(cache_cand_stat(c, kid, 7, false, "c", &size, &mt), -ENOENT);
	size_t len0, len1;
	cr_assert_eq(cache_log_stat(c, kid, &len0, &mt), 0);
	engine_log(e, kid, "hello %d", 42);
	add_cand(0, "fastest();");
	cr_assert_eq(cache_log_stat(c, kid, &len1, &mt), 0);
	cr_assert_eq(len1, len0, "the log moves with the refresh, with the rest");
	cr_assert_eq(cache_cand_list(c, kid, &vc, &n), 0);
	cr_assert_eq(n, 3);
	free(vc);
	cache_refresh(c, false);
	cr_assert_eq(cache_log_stat(c, kid, &len1, &mt), 0);
	cr_assert_eq(len1, len0, "nor before the other files' invalidations are done");
	bool saw;
	carry_out("/kernels/gemm/log", &saw);
	cr_assert(saw, "then the log is shown and invalidated");
	cr_assert_eq(cache_log_stat(c, kid, &len1, &mt), 0);
	cr_assert_gt(len1, len0);
	char buf[256];
	size_t got = cache_log_read(c, kid, buf, sizeof(buf) - 1, len0);
	buf[got] = '\0';
	cr_assert(strstr(buf, "hello 42\n"), "%s", buf);
	cr_assert_eq(cache_cand_list(c, kid, &vc, &n), 0);
	cr_assert_eq(n, 4);
	free(vc);
}

Test(cache, a_candidates_file_is_rendered_again_only_when_its_row_moves)
{
	const char *p = "/kernels/gemm/plans/1.md";
	set_file(0, p, "plan of 1\n");
	struct view_cand *vc;
	int n;
	cr_assert_eq(cache_cand_list(c, kid, &vc, &n), 0);   /* ls plans/: the index */
	free(vc);
	free(get(p, CACHE_CANDIDATE, 1));
	cr_assert_eq(renders, 1);
	add_cand(0, "another();");   /* the kernel changed, candidate 1 did not */
	cache_refresh(c, false);
	cr_assert_eq(renders, 1);
	cr_assert_eq(store_cand_set_retime(engine_writer(e), rid, 1, 900), 0);
	engine_touch(e, kid);
	cache_refresh(c, false);
	cr_assert_eq(renders, 2);
}
