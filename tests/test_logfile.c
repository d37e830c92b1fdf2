/*
 * test_logfile.c - a kernel's log as the mount serves it: every byte at
 * every offset is what the store's lines render to, whether it comes from
 * the kept tail or is read back from the store, however long the log, and
 * what is kept in memory stays bounded; and its length moves only when
 * its owner shows what it took in.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/store.h"
#include "engine/engine_int.h"
#include "engine/util/util.h"
#include "fs/logfile.h"

static char dir[64];
static struct engine *e;
static int64_t kid;

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/acfs-logfile-XXXXXX");
	cr_assert(mkdtemp(dir));
	struct engine_opts o = {.state_dir = dir, .debounce_s = -1};
	char err[512];
	cr_assert_eq(engine_open(&o, &e, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(engine_kernel_create(e, "k"), 0);
	cr_assert_eq(engine_kernel_id(e, "k", &kid), 0);
}

static void teardown(void)
{
	engine_free(e);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(logfile, .init = setup, .fini = teardown);

/* Adds n lines "line I ..." (of varying length, some over 512 bytes, some
 * with a newline inside) in one transaction. */
static void add_lines(int from, int n)
{
	struct store *w = engine_writer(e);
	cr_assert_eq(store_begin(w), 0);
	for (int i = from; i < from + n; i++) {
		char text[2048];
		int len = snprintf(text, sizeof(text), "line %d", i);
		int pad = i % 97 == 0 ? 900 : i % 7 * 11;
		for (int j = 0; j < pad && len < (int)sizeof(text) - 2; j++)
			text[len++] = j % 50 == 49 ? '\n' : (char)('a' + j % 26);
		text[len] = '\0';
		cr_assert_eq(store_log_add(w, kid, 1700000000000000000LL + (int64_t)i * 1000003, text),
		             0);
	}
	cr_assert_eq(store_commit(w), 0);
}

static void expect_line(void *arg, int64_t id, int64_t ts, const char *line)
{
	char t[64];
	sb_addf(arg, "%s %s\n", fmt_time(ts, t, sizeof(t)), line);
}

/* The whole log as the store's lines render to. */
static struct strbuf expected(void)
{
	struct strbuf sb = {0};
	cr_assert_eq(store_log_since(engine_reader(e), kid, 0, expect_line, &sb), 0);
	return sb;
}

/* Takes in every line stored so far. */
static int extend(struct logfile *l)
{
	int64_t last = 0;
	cr_assert_eq(store_log_last(engine_reader(e), kid, &last), 0);
	return logfile_extend(l, e, last);
}

static void check_range(struct logfile *l, const struct strbuf *want, size_t off, size_t size)
{
	char *buf = malloc(size + 1);
	size_t n = logfile_read(l, e, buf, size, off);
	size_t exp = off >= want->len ? 0 : (want->len - off < size ? want->len - off : size);
	cr_assert_eq(n, exp, "read at %zu of %zu: %zu bytes, expected %zu", off, size, n, exp);
	cr_assert(!memcmp(buf, want->buf + off, n), "bytes at %zu differ", off);
	free(buf);
}

Test(logfile, an_empty_log_has_the_kernels_time)
{
	struct logfile *l = logfile_new(kid, 12345);
	size_t len;
	int64_t mt;
	cr_assert_eq(extend(l), 0);
	logfile_stat(l, &len, &mt);
	cr_assert_eq(len, 0);
	cr_assert_eq(mt, 12345);
	char buf[16];
	cr_assert_eq(logfile_read(l, e, buf, sizeof(buf), 0), 0);
	logfile_free(l);
}

Test(logfile, grows_only_when_extended_and_shown)
{
	struct logfile *l = logfile_new(kid, 1);
	add_lines(0, 3);
	size_t len;
	int64_t mt;
	logfile_stat(l, &len, &mt);
	cr_assert_eq(len, 0, "the length moves with logfile_extend, not before");
	cr_assert_eq(extend(l), 0);
	logfile_stat(l, &len, &mt);
	cr_assert_eq(len, 0, "nor before logfile_show");
	char buf[16];
	cr_assert_eq(logfile_read(l, e, buf, sizeof(buf), 0), 0);
	cr_assert(logfile_show(l));
	cr_assert(!logfile_show(l), "shown once");
	struct strbuf want = expected();
	logfile_stat(l, &len, &mt);
	cr_assert_eq(len, want.len);
	cr_assert_eq(mt, 1700000000000000000LL + 2 * 1000003);
	check_range(l, &want, 0, 1 << 16);
	sb_release(&want);
	logfile_free(l);
}

Test(logfile, takes_lines_only_up_to_the_one_named)
{
	struct logfile *l = logfile_new(kid, 1);
	add_lines(0, 2);
	int64_t last = 0;
	cr_assert_eq(store_log_last(engine_reader(e), kid, &last), 0);
	add_lines(2, 3);   /* stored after the caller looked */
	cr_assert_eq(logfile_extend(l, e, last), 0);
	logfile_show(l);
	struct strbuf want = expected();
	size_t len;
	int64_t mt;
	logfile_stat(l, &len, &mt);
	char buf[8192];
	size_t n = logfile_read(l, e, buf, sizeof(buf) - 1, 0);
	buf[n] = '\0';
	cr_assert_eq(n, len);
	cr_assert(strstr(buf, "line 1") && !strstr(buf, "line 2"), "%s", buf);
	cr_assert(!memcmp(buf, want.buf, n));
	cr_assert_eq(extend(l), 0);
	logfile_show(l);
	logfile_stat(l, &len, &mt);
	cr_assert_eq(len, want.len, "the rest on the next call");
	sb_release(&want);
	logfile_free(l);
}

Test(logfile, every_offset_of_a_long_log_reads_true)
{
	struct logfile *l = logfile_new(kid, 1);
	/* in pieces, as a search logs, past several thinnings of the marks */
	for (int i = 0; i < 8; i++) {
		add_lines(i * 5000, 5000);
		cr_assert_eq(extend(l), 0);
		logfile_show(l);
	}
	struct strbuf want = expected();
	size_t len;
	int64_t mt;
	logfile_stat(l, &len, &mt);
	cr_assert_eq(len, want.len);
	cr_assert_gt(len, 4 * LOGFILE_TAIL, "the test reads before the kept tail");
	/* the start, the end, the tail's edge, and many offsets in between */
	check_range(l, &want, 0, 4096);
	check_range(l, &want, len - 100, 4096);
	check_range(l, &want, len - LOGFILE_TAIL - 10, 20);
	check_range(l, &want, len - 1, 1);
	check_range(l, &want, len, 10);
	srand(7);
	for (int i = 0; i < 300; i++) {
		size_t off = (size_t)rand() % len;
		check_range(l, &want, off, 1 + (size_t)rand() % 70000);
	}
	/* a whole read in 128 KiB pieces, as cat does */
	for (size_t off = 0; off < len; off += 131072)
		check_range(l, &want, off, 131072);
	cr_assert_leq(logfile_memory(l), 4 * LOGFILE_TAIL + 64 * 1024,
	              "what is kept stays bounded: %zu bytes", logfile_memory(l));
	sb_release(&want);
	logfile_free(l);
}
