/*
 * test_html.c - the index.html pages (fs/html.c) from hand-made rows: the
 * figures are figures.h's (the best as status says it), every candidate
 * has a row, text from models is escaped, the page refreshes only while a
 * run goes on, the diff of best against the input, and the root page.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/figures.h"
#include "fs/html.h"

static struct cand_row row(int64_t num, int64_t parent, enum ac_outcome outcome, int64_t time_ns)
{
	struct cand_row c = {0};
	c.num = num;
	c.parent = parent;
	c.iteration = num ? 1 : 0;
	c.origin = num ? ORIGIN_LLM : ORIGIN_INPUT;
	c.plan = (char *)(num ? "tile the loops\nby 32" : "the input");
	c.option = (char *)"";
	c.model = (char *)"openai::mock";
	c.outcome = outcome;
	c.message = (char *)"";
	c.verdict = (char *)"";
	c.time_ns = time_ns;
	c.same_as = -1;
	return c;
}

static int count_of(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* Tags that open and close in the page must balance (a cheap check that
 * the escaping never lets a model's text open an element). */
static void balanced(const char *page, const char *tag)
{
	char open[32], close[32];
	snprintf(open, sizeof(open), "<%s", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	int o = 0;
	for (const char *p = page; (p = strstr(p, open)); p++)
		o += p[strlen(open)] == '>' || p[strlen(open)] == ' ';
	cr_assert_eq(o, count_of(page, close), "<%s> opened %d times, closed %d", tag, o,
	             count_of(page, close));
}

static struct cand_row rows[6];

static struct html_kernel kernel(enum run_state state)
{
	rows[0] = row(0, -1, AC_OK, 8000000);
	rows[1] = row(1, 0, AC_OK, 2000000);
	rows[2] = row(2, 0, AC_BUILD_ERROR, 0);
	rows[2].message = (char *)"candidate does not compile";
	rows[3] = row(3, 1, AC_OK, 2000000);
	rows[3].same_as = 1;
	rows[4] = row(4, 1, AC_FAILED, 0);
	rows[4].plan = (char *)"<script>alert(1)</script> & more";
	rows[5] = row(5, 1, AC_PENDING, 0);
	struct html_kernel k = {
		.name = "gemm", .state = state, .status = "searching 1/8: ...", .cands = rows,
		.ncands = 6, .best = 1, .target = "cpu", .ext = "c", .tokens = 1234,
		.input = "void f(void)\n{\n\tslow();\n}\n", .best_src = "void f(void)\n{\n\tfast();\n}\n",
		.schedule = "#0 input: 8 ms\n#1 iteration 1: tile the loops -> 2 ms (4.00x)\n",
		.chart = "<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>\n",
	};
	return k;
}

static char *page_of(const struct html_kernel *k)
{
	struct strbuf sb = {0};
	cr_assert_eq(html_kernel_page(&sb, k), 0);
	cr_assert(!strncmp(sb.buf, "<!DOCTYPE html>", 15));
	for (const char *t = "html\0body\0table\0tr\0td\0pre\0details\0svg\0a\0"; *t; t += strlen(t) + 1)
		balanced(sb.buf, t);
	return sb_detach(&sb);
}

Test(html, the_best_is_the_figure_status_shows)
{
	struct html_kernel k = kernel(RS_SEARCHING);
	char *p = page_of(&k);
	char want[64];
	snprintf(want, sizeof(want), "id=\"best-speedup\" data-speedup=\"%.2f\"",
	         cand_speedup(&rows[0], &rows[1]));
	cr_assert(strstr(p, want), "%s", p);
	cr_assert(strstr(p, ">4.00\xc3\x97</span>"), "%s", p);
	cr_assert(strstr(p, "id=\"input-time\">8 ms<") && strstr(p, "id=\"best-time\">2 ms<"),
	          "%s", p);
	/* the counts in figures.h's words */
	cr_assert(strstr(p, "5 candidates (2 evaluated, 1 duplicate, 1 without code, 1 pending)"),
	          "%s", p);
	free(p);
}

Test(html, every_candidate_has_a_row_with_its_files_a_click_away)
{
	struct html_kernel k = kernel(RS_SEARCHING);
	char *p = page_of(&k);
	cr_assert_eq(count_of(p, "<tr id=\"c"), 6, "%s", p);
	for (int i = 0; i < 6; i++) {
		char id[64];
		snprintf(id, sizeof(id), "<tr id=\"c%d\"", i);
		cr_assert(strstr(p, id), "no row for #%d", i);
		snprintf(id, sizeof(id), "href=\"plans/%d.md\"", i);
		cr_assert(strstr(p, id), "no plan link for #%d", i);
		snprintf(id, sizeof(id), "href=\"candidates/%d.log\"", i);
		cr_assert(strstr(p, id), "no log link for #%d", i);
	}
	cr_assert(strstr(p, "same as <a href=\"#c1\">#1</a>"), "%s", p);
	cr_assert(strstr(p, "class=\"cand best\""), "the best's row is marked");
	cr_assert(strstr(p, "candidate does not compile"), "a failure says why");
	cr_assert(strstr(p, "data-outcome=\"build_error\""));
	free(p);
}

Test(html, model_text_is_escaped_and_nothing_runs)
{
	struct html_kernel k = kernel(RS_SEARCHING);
	char *p = page_of(&k);
	cr_assert_null(strstr(p, "<script"), "no script in the page");
	cr_assert(strstr(p, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more"), "%s", p);
	free(p);
}

Test(html, it_refreshes_while_a_run_goes_on_and_not_after)
{
	struct html_kernel k = kernel(RS_SEARCHING);
	char *p = page_of(&k);
	cr_assert(strstr(p, "<meta http-equiv=\"refresh\""), "%s", p);
	free(p);
	k = kernel(RS_DONE);
	p = page_of(&k);
	cr_assert_null(strstr(p, "http-equiv=\"refresh\""), "a finished run's page is still");
	cr_assert(strstr(p, "does not reload itself"));
	free(p);
	cr_assert(html_at_rest(RS_WAITING) && html_at_rest(RS_FAILED) && html_at_rest(RS_STOPPED));
	cr_assert(!html_at_rest(RS_QUEUED) && !html_at_rest(RS_BASELINE) && !html_at_rest(RS_TUNING));
}

Test(html, the_diff_shows_what_best_changed)
{
	struct html_kernel k = kernel(RS_DONE);
	char *p = page_of(&k);
	cr_assert(strstr(p, "1 line added, 1 removed."), "%s", p);
	cr_assert(strstr(p, "<span class=\"del\">- \tslow();</span>"), "%s", p);
	cr_assert(strstr(p, "<span class=\"add\">+ \tfast();</span>"), "%s", p);
	cr_assert(strstr(p, "<span class=\"same\">  {</span>"), "%s", p);
	free(p);
	k.best_src = k.input;
	p = page_of(&k);
	cr_assert(strstr(p, "The best is the input"), "%s", p);
	free(p);
}

Test(html, self_contained_charts_and_schedule_lines)
{
	struct html_kernel k = kernel(RS_DONE);
	char *p = page_of(&k);
	cr_assert_null(strstr(p, "<?xml"), "inline SVG has no XML declaration");
	cr_assert(strstr(p, "<svg xmlns="), "%s", p);
	cr_assert_null(strstr(p, "http://") && !strstr(p, "http://www.w3.org/2000/svg") ? p : NULL,
	               "no network");
	cr_assert(strstr(p, "#0 input: 8 ms\n#1 iteration 1"), "schedule keeps its lines: %s", p);
	cr_assert(strstr(p, "name=\"viewport\""), "readable on a phone");
	free(p);
}

Test(html, root_page_has_every_kernel_and_the_totals)
{
	struct html_kernel ks[2];
	ks[0] = kernel(RS_SEARCHING);
	struct cand_row only[] = {row(0, -1, AC_OK, 1000)};
	ks[1] = (struct html_kernel){.name = "idle", .state = RS_FAILED, .status = "failed: x",
	                             .cands = only, .ncands = 1, .best = 0, .ext = "c"};
	struct strbuf sb = {0};
	cr_assert_eq(html_root_page(&sb, ks, 2, "engine: 2 kernels", "<svg></svg>"), 0);
	char *p = sb.buf;
	balanced(p, "tr");
	balanced(p, "svg");
	cr_assert(strstr(p, "href=\"kernels/gemm/index.html\""), "%s", p);
	cr_assert(strstr(p, "id=\"best-gemm\" data-speedup=\"4.00\""), "%s", p);
	cr_assert(strstr(p, "95%") == NULL, "no interval without a re-timing: %s", p);
	cr_assert(strstr(p, "id=\"best-idle\" data-speedup=\"\">not searched<"), "%s", p);
	cr_assert(strstr(p, "engine: 2 kernels"), "%s", p);
	cr_assert(strstr(p, "http-equiv=\"refresh\""), "gemm runs: the page refreshes");
	cr_assert_eq(count_of(p, "<tr class=\"kernel\">"), 2);
	sb_release(&sb);
	cr_assert_eq(html_root_page(&sb, NULL, 0, NULL, NULL), 0);
	cr_assert(strstr(sb.buf, "No kernels yet"), "%s", sb.buf);
	cr_assert_null(strstr(sb.buf, "http-equiv=\"refresh\""));
	sb_release(&sb);
}

Test(html, the_interval_comes_from_the_final_comparison)
{
	struct html_kernel k = kernel(RS_DONE);
	rows[0].retime_ns = 8000000;
	rows[1].retime_ns = 2000000;
	rows[1].verdict = (char *)"{\"retime\":{\"ratio\":0.25,\"ratio_95\":[0.2,0.3125]}}";
	struct strbuf sb = {0};
	cr_assert_eq(html_kernel_page(&sb, &k), 0);
	cr_assert(strstr(sb.buf, "95% interval 3.20\xe2\x80\x93" "5.00\xc3\x97"), "%s", sb.buf);
	double lo, hi;
	cr_assert(cand_speedup_interval(&rows[1], &lo, &hi));
	cr_assert_float_eq(lo, 3.2, 1e-9);
	cr_assert_float_eq(hi, 5.0, 1e-9);
	sb_release(&sb);
}

Test(html, a_long_file_is_compared_around_its_shared_head_and_tail)
{
	/* 5000 shared lines, one changed in the middle: cheap, and exact */
	struct strbuf a = {0}, b = {0};
	for (int i = 0; i < 5000; i++) {
		sb_addf(&a, "line %d\n", i);
		sb_addf(&b, "line %d\n", i == 2500 ? -1 : i);
	}
	struct html_kernel k = kernel(RS_DONE);
	k.input = a.buf;
	k.best_src = b.buf;
	char *p = page_of(&k);
	cr_assert(strstr(p, "1 line added, 1 removed."), "%.2000s", p);
	cr_assert(strstr(p, "<span class=\"del\">- line 2500</span>\n<span class=\"add\">+ line -1"),
	          "the change in its place");
	cr_assert_eq(count_of(p, "<span class=\"same\">"), 4999);
	free(p);
	/* two wholly different long files are not compared in a request */
	sb_release(&b);
	for (int i = 0; i < 2000; i++)
		sb_addf(&b, "other %d\n", i);
	k.best_src = b.buf;
	p = page_of(&k);
	cr_assert(strstr(p, "too many lines to compare here (5000 and 2000)"), "%.2000s", p);
	free(p);
	sb_release(&a);
	sb_release(&b);
}
