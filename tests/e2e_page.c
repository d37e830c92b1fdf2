/*
 * e2e_page.c - the index.html pages in a real browser.
 *
 * A mock search of tests/kernels/gemm runs through a real mount; headless
 * Chromium (Debian's chromium, installed by tools/setup) loads both pages
 * by file:// straight from the mount, as a person would open them:
 *
 *   $ chromium file:///mnt/ac/kernels/gemm/index.html
 *
 * In the DOM Chromium built: the best figure is the one status shows,
 * every candidate of metrics.json has a row, a kernel that never searched
 * says so, the page refreshes itself while the run goes on and not after.
 * Chromium's console stays silent (checked against a page that does
 * write an error, so the check can fail). Screenshots at a phone's width
 * and at 1920 px are not blank. ls -l and cp -r see index.html like any
 * generated file.
 *
 * Beside the pages, the words the same reader meets on the way, which need
 * no browser: a refused config.json leaves no phantom file, status says
 * "queued" when the cp that completes a kernel returns, and an unmount
 * in the middle of a run and the resume say in the log what was kept.
 *
 * Chromium runs as root here, so with --no-sandbox. The test skips, and
 * says why, only where Chromium is missing or cannot start at all.
 * AC_PNG_DIR=DIR keeps the screenshots (the README's comes from there).
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "tests/support.h"

static struct mnt m;
static pid_t mock;
static char chrome_dir[400];

static void setup(void)
{
	mnt_init(&m);
	snprintf(chrome_dir, sizeof(chrome_dir), "%s/chromium", m.base);
}

static void teardown(void)
{
	if (m.pid)
		mnt_stop(&m);
	mock_stop(mock);
	mnt_cleanup(&m);
}

TestSuite(page, .init = setup, .fini = teardown, .timeout = 600);

static const char *chromium(void)
{
	static const char *const names[] = {"chromium", "chromium-browser", NULL};
	for (int i = 0; names[i]; i++)
		if (sh("command -v %s >/dev/null 2>&1", names[i]) == 0)
			return names[i];
	return NULL;
}

/* Runs chromium headless on url with extra arguments; its stdout goes to
 * out and its stderr (the console, with --enable-logging) to err. Returns
 * the exit status. */
static int run_chromium(const char *extra, const char *url, const char *out, const char *err)
{
	return sh("timeout 90 %s --headless=new --no-sandbox --disable-gpu "
	          "--disable-background-networking --disable-component-update --disable-sync "
	          "--no-first-run --no-default-browser-check --user-data-dir=%s "
	          "--enable-logging=stderr --v=0 %s '%s' >%s 2>%s",
	          chromium(), chrome_dir, extra, url, out, err);
}

/* Skips the test (saying why) unless Chromium is there and can load a page. */
static void need_chromium(void)
{
	if (!chromium())
		cr_skip_test("chromium is not installed (tools/setup installs Debian's chromium)");
	char out[400], err[400], page[400], url[500];
	snprintf(out, sizeof(out), "%s/probe.html.out", m.base);
	snprintf(err, sizeof(err), "%s/probe.err", m.base);
	snprintf(page, sizeof(page), "%s/probe.html", m.base);
	cr_assert_eq(sh("echo '<p id=probe>ok</p>' > %s", page), 0);
	snprintf(url, sizeof(url), "file://%s", page);
	int rc = run_chromium("--dump-dom", url, out, err);
	char *dom = slurp(out);
	if (rc != 0 || !dom || !strstr(dom, "id=\"probe\"")) {
		char *why = slurp(err);
		char msg[600];
		snprintf(msg, sizeof(msg), "chromium cannot load a page here (exit %d): %.400s", rc,
		         why ? why : "");
		free(why);
		free(dom);
		cr_skip_test("%s", msg);
	}
	free(dom);
}

/* The console messages Chromium logged (lines with "CONSOLE"), or NULL. */
static char *console_lines(const char *err)
{
	return sh_out("grep -a 'CONSOLE' %s || true", err);
}

/* The DOM of url after Chromium parsed it (caller frees); asserts that
 * nothing reached the console. */
static char *dom_of(const char *url, const char *tag)
{
	char out[400], err[400];
	snprintf(out, sizeof(out), "%s/%s.dom", m.base, tag);
	snprintf(err, sizeof(err), "%s/%s.err", m.base, tag);
	cr_assert_eq(run_chromium("--dump-dom", url, out, err), 0, "chromium on %s", url);
	char *dom = slurp(out);
	cr_assert(dom && strstr(dom, "</html>"), "no DOM for %s", url);
	char *console = console_lines(err);
	cr_assert(console && !console[0], "the console of %s: %s", url, console);
	free(console);
	return dom;
}

/* How many distinct byte values a PNG's pixel data has: a blank page
 * decompresses to a handful, a page with text and charts to ~255. */
static int png_variety(const char *path, int *w, int *h)
{
	FILE *f = fopen(path, "rb");
	cr_assert(f, "%s", path);
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	unsigned char *png = malloc((size_t)len);
	cr_assert(png && fread(png, 1, (size_t)len, f) == (size_t)len);
	fclose(f);
	cr_assert(len > 33 && !memcmp(png, "\x89PNG\r\n\x1a\n", 8), "%s is not a PNG", path);
	*w = png[16] << 24 | png[17] << 16 | png[18] << 8 | png[19];
	*h = png[20] << 24 | png[21] << 16 | png[22] << 8 | png[23];
	/* concatenate the IDAT chunks, then inflate */
	unsigned char *z = malloc((size_t)len);
	size_t zn = 0;
	for (long at = 8; at + 12 <= len;) {
		unsigned n = (unsigned)png[at] << 24 | png[at + 1] << 16 | png[at + 2] << 8 | png[at + 3];
		if (!memcmp(png + at + 4, "IDAT", 4) && at + 8 + (long)n <= len) {
			memcpy(z + zn, png + at + 8, n);
			zn += n;
		}
		at += 12 + (long)n;
	}
	size_t cap = (size_t)*w * (size_t)*h * 4 + (size_t)*h + 1024;
	unsigned char *raw = malloc(cap);
	uLongf rawn = cap;
	cr_assert(raw && uncompress(raw, &rawn, z, zn) == Z_OK, "cannot inflate %s", path);
	bool seen[256] = {false};
	int distinct = 0;
	for (uLongf i = 0; i < rawn; i++)
		if (!seen[raw[i]]) {
			seen[raw[i]] = true;
			distinct++;
		}
	free(raw);
	free(z);
	free(png);
	return distinct;
}

/* A screenshot of url at width x height, checked not blank; kept in
 * AC_PNG_DIR when set. */
static void screenshot(const char *url, const char *name, int width, int height)
{
	char png[400], out[400], err[400], extra[600];
	snprintf(png, sizeof(png), "%s/%s", m.base, name);
	snprintf(out, sizeof(out), "%s/%s.out", m.base, name);
	snprintf(err, sizeof(err), "%s/%s.err", m.base, name);
	snprintf(extra, sizeof(extra), "--hide-scrollbars --window-size=%d,%d --screenshot=%s", width,
	         height, png);
	cr_assert_eq(run_chromium(extra, url, out, err), 0, "screenshot of %s", url);
	int w, h;
	int variety = png_variety(png, &w, &h);
	cr_assert_eq(w, width, "%s", name);
	cr_assert_eq(h, height, "%s", name);
	cr_assert_gt(variety, 64, "%s looks blank: %d distinct byte values", name, variety);
	char *console = console_lines(err);
	cr_assert(console && !console[0], "the console of %s: %s", url, console);
	free(console);
	const char *keep = getenv("AC_PNG_DIR");
	if (keep && *keep)
		sh("mkdir -p %s && cp %s %s/", keep, png, keep);
}

/* The speedup status states ("best 123.36x"), as the pages print it. */
static void status_best(const char *status, char *out, size_t len)
{
	const char *b = strstr(status, "best ");
	cr_assert(b, "no best in status: %s", status);
	double x = 0;
	cr_assert_eq(sscanf(b, "best %lfx", &x), 1, "%s", b);
	snprintf(out, len, "%.2f", x);
}

Test(page, both_pages_in_chromium_agree_with_status)
{
	need_chromium();
	char mocklog[400], modelopt[300];
	snprintf(mocklog, sizeof(mocklog), "%s/mock.log", m.base);
	int port = mock_start("tests/mock/gemm", 0, mocklog, &mock);
	snprintf(modelopt, sizeof(modelopt), "models=openai@http://127.0.0.1:%d/v1::mock", port);
	const char *args[] = {"-o", modelopt, NULL};
	mnt_start(&m, args, NULL);

	/* a kernel that never searches, and one that does */
	cr_assert_eq(sh("mkdir %s/kernels/idle", m.dir), 0);
	cr_assert_eq(sh("mkdir %s/kernels/gemm && echo '{\"iterations\": 3, \"beam\": 2, "
	                "\"plans\": 2, \"implementations\": 2}' > %s/kernels/gemm/config.json && "
	                "cp %s/tests/kernels/gemm/input.c %s/tests/kernels/gemm/harness.c "
	                "%s/kernels/gemm/", m.dir, m.dir, src_dir(), src_dir(), m.dir), 0);
	char *st = slurpf("%s/kernels/gemm/status", m.dir);
	cr_assert(st && !strncmp(st, "queued", 6), "queued once cp returns: %s", st);
	free(st);

	char kurl[500], rurl[500];
	snprintf(kurl, sizeof(kurl), "file://%s/kernels/gemm/index.html", m.dir);
	snprintf(rurl, sizeof(rurl), "file://%s/index.html", m.dir);

	/* while it runs, the page reloads itself */
	char statusf[400];
	snprintf(statusf, sizeof(statusf), "%s/kernels/gemm/status", m.dir);
	cr_assert(wait_contains(statusf, "searching", 120), "the search starts");
	char *before = slurp(statusf);
	char *live = dom_of(kurl, "live");
	char *after = slurp(statusf);
	if (strncmp(before, "done", 4) && strncmp(after, "done", 4))
		cr_assert(strstr(live, "http-equiv=\"refresh\""), "a running search's page refreshes");
	free(before);
	free(after);
	free(live);

	char *status = wait_final(&m, "gemm", 300);
	cr_assert(status && !strncmp(status, "done", 4), "%s", status);
	char best[32];
	status_best(status, best, sizeof(best));

	/* the kernel's page */
	char *dom = dom_of(kurl, "kernel");
	char want[128];
	snprintf(want, sizeof(want), "id=\"best-speedup\" data-speedup=\"%s\">%s\xc3\x97<", best, best);
	cr_assert(strstr(dom, want), "the page's best is status's (%s): %.3000s", status, dom);
	cr_assert_null(strstr(dom, "http-equiv=\"refresh\""), "a finished run's page is still");
	char *metrics = slurpf("%s/kernels/gemm/metrics.json", m.dir);
	cJSON *root = cJSON_Parse(metrics);
	cr_assert(root, "%s", metrics);
	int rows = 0;
	const cJSON *c;
	cJSON_ArrayForEach(c, cJSON_GetObjectItem(root, "candidates")) {
		char id[64];
		snprintf(id, sizeof(id), "<tr id=\"c%d\"", (int)cJSON_GetObjectItem(c, "id")->valuedouble);
		cr_assert(strstr(dom, id), "no row for candidate %s", id + 8);
		rows++;
	}
	cr_assert_eq(count_of(dom, "<tr id=\"c"), rows, "one row per candidate");
	cr_assert_gt(rows, 3);
	const cJSON *run = cJSON_GetObjectItem(root, "run");
	char counted[64];
	snprintf(counted, sizeof(counted), "%d candidates (",
	         (int)cJSON_GetObjectItem(run, "candidates")->valuedouble);
	cr_assert(strstr(dom, counted) && strstr(status, counted),
	          "status, metrics.json and the page count alike (%s): %s", counted, status);
	cJSON_Delete(root);
	free(metrics);
	cr_assert(strstr(dom, "id=\"diff-summary\""), "the diff of best against the input");
	cr_assert(strstr(dom, "<svg"), "the chart is inline");
	free(dom);

	/* the root page */
	dom = dom_of(rurl, "root");
	snprintf(want, sizeof(want), "id=\"best-gemm\" data-speedup=\"%s\"", best);
	cr_assert(strstr(dom, want), "the root page's best is status's (%s): %.3000s", best, dom);
	cr_assert(strstr(dom, "id=\"best-idle\" data-speedup=\"\">not searched<"),
	          "a kernel that never searched is not drawn as a result: %.3000s", dom);
	cr_assert(strstr(dom, "href=\"kernels/gemm/index.html\""));
	free(dom);

	/* screenshots at a phone's width and at 1920 px */
	screenshot(kurl, "kernel-390.png", 390, 1600);
	screenshot(kurl, "kernel-1920.png", 1920, 1400);
	screenshot(rurl, "root-390.png", 390, 1000);
	screenshot(rurl, "root-1920.png", 1920, 1000);

	/* ls -l and cp -r see it like any generated file */
	char *ls = sh_out("ls -l %s/kernels/gemm/ %s/", m.dir, m.dir);
	cr_assert_eq(count_of(ls, " index.html\n"), 2, "%s", ls);
	cr_assert_eq(sh("cp -r %s/kernels/gemm %s/copy", m.dir, m.base), 0);
	cr_assert_eq(sh("cmp %s/copy/index.html %s/kernels/gemm/index.html", m.base, m.dir), 0);
	cr_assert_neq(sh("echo x 2>/dev/null > %s/kernels/gemm/index.html", m.dir), 0, "read-only");
	free(ls);
	free(status);
}

Test(page, the_console_check_sees_an_error)
{
	need_chromium();
	char page[400], url[500], out[400], err[400];
	snprintf(page, sizeof(page), "%s/noisy.html", m.base);
	cr_assert_eq(sh("echo '<script>console.error(\"seen\")</script><p>x</p>' > %s", page), 0);
	snprintf(url, sizeof(url), "file://%s", page);
	snprintf(out, sizeof(out), "%s/noisy.out", m.base);
	snprintf(err, sizeof(err), "%s/noisy.err", m.base);
	cr_assert_eq(run_chromium("--dump-dom", url, out, err), 0);
	char *console = console_lines(err);
	cr_assert(console && strstr(console, "seen"), "the check would miss a console error: %s",
	          console);
	free(console);
}

/* Not the page, but what the log says to the same reader: an unmount in
 * the middle of a run leaves a line, and the next mount says what it kept. */
Test(page, unmount_and_resume_say_what_was_kept)
{
	char modelopt[300];
	int port = mock_start("tests/mock/gemm", 300, NULL, &mock);
	snprintf(modelopt, sizeof(modelopt), "models=openai@http://127.0.0.1:%d/v1::mock", port);
	const char *args[] = {"-o", modelopt, NULL};
	mnt_start(&m, args, NULL);
	cr_assert_eq(sh("mkdir %s/kernels/g && echo '{\"iterations\": 4, \"beam\": 2, \"plans\": 2, "
	                "\"implementations\": 2}' > %s/kernels/g/config.json && "
	                "cp %s/tests/kernels/gemm/input.c %s/tests/kernels/gemm/harness.c "
	                "%s/kernels/g/", m.dir, m.dir, src_dir(), src_dir(), m.dir), 0);
	char logf[400];
	snprintf(logf, sizeof(logf), "%s/kernels/g/log", m.dir);
	cr_assert(wait_contains(logf, "iteration 1/4", 120), "the search starts");
	cr_assert(wait_contains(logf, "candidate 1:", 120), "a candidate is evaluated");
	cr_assert_eq(mnt_stop(&m), 0);
	mnt_start(&m, args, NULL);
	cr_assert(wait_contains(logf, "resumed: kept the input and ", 60), "the resume says what it kept");
	char *log = slurp(logf);
	const char *stop = strstr(log, "stopped by unmount: ");
	cr_assert(stop, "the unmount left a line: %s", log);
	cr_assert(strstr(stop, " candidate") && strstr(stop, "kept; the next mount"), "%.300s", stop);
	cr_assert(strstr(stop, "resumed: kept the input and "), "in that order: %s", log);
	free(log);
}

/* A refused config.json leaves nothing behind: not in ls, not in the
 * kernel's dentry cache (the next open(O_CREAT) would fail with ENOENT),
 * five times in a row, with the shell and with Python. And status says
 * "queued" as soon as the write that completes a kernel is closed. */
Test(page, a_refused_write_leaves_no_phantom_and_queued_is_at_once)
{
	mnt_start(&m, NULL, NULL);
	cr_assert_eq(sh("mkdir %s/kernels/x", m.dir), 0);
	for (int i = 0; i < 5; i++) {
		cr_assert_neq(sh("echo '{\"iteratons\": 3}' 2>/dev/null > %s/kernels/x/config.json",
		                 m.dir), 0, "refused (try %d)", i);
		char *ls = sh_out("ls %s/kernels/x", m.dir);
		cr_assert_null(strstr(ls, "config.json"), "listed after the refusal: %s", ls);
		free(ls);
		cr_assert_eq(sh("echo '{\"iterations\": 3}' > %s/kernels/x/config.json", m.dir), 0,
		             "a valid write after a refused one (try %d)", i);
		char *cfg = slurpf("%s/kernels/x/config.json", m.dir);
		cr_assert(cfg && !strcmp(cfg, "{\"iterations\": 3}\n"), "%s", cfg);
		free(cfg);
		cr_assert_eq(sh("rm %s/kernels/x/config.json", m.dir), 0);
	}
	if (sh("command -v python3 >/dev/null") == 0)
		cr_assert_eq(sh("cd %s/kernels/x && python3 -c '\n"
		                "import os\n"
		                "try:\n"
		                "    with open(\"config.json\", \"w\") as f: f.write(\"{\\\"beams\\\": 2}\")\n"
		                "    raise SystemExit(\"not refused\")\n"
		                "except OSError: pass\n"
		                "assert \"config.json\" not in os.listdir(\".\"), os.listdir(\".\")\n"
		                "with open(\"config.json\", \"w\") as f: f.write(\"{}\")\n"
		                "'", m.dir), 0, "python3: refused, then written");

	/* the write that completes the kernel (the input: a harness alone
	 * waits for it, an input alone does not wait for a harness): queued
	 * before cp returns */
	cr_assert_eq(sh("cp %s/tests/kernels/gemm/harness.c %s/kernels/x/", src_dir(), m.dir), 0);
	char *st = slurpf("%s/kernels/x/status", m.dir);
	cr_assert(st && !strncmp(st, "waiting", 7), "%s", st);
	free(st);
	cr_assert_eq(sh("cp %s/tests/kernels/gemm/input.c %s/kernels/x/", src_dir(), m.dir), 0);
	st = slurpf("%s/kernels/x/status", m.dir);
	cr_assert(st && (!strncmp(st, "queued", 6) || !strncmp(st, "baseline", 8)),
	          "queued once cp returns: %s", st);
	free(st);
}
