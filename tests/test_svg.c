/*
 * test_svg.c - the progress charts (fs/svg.c) from hand-made candidate rows:
 * well-formed XML, escaped text, the empty run, one point, a wide range on a
 * log scale, the path to the best, and rsvg-convert drawing the result.
 */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs/svg.h"

/* A candidate row with only what the charts read. */
static struct cand_row row(int64_t num, int64_t parent, enum ac_outcome outcome, int64_t time_ns,
                           int64_t evaluated_ns)
{
	struct cand_row c = {0};
	c.num = num;
	c.parent = parent;
	c.iteration = num ? 1 : 0;
	c.origin = num ? ORIGIN_LLM : ORIGIN_INPUT;
	c.plan = (char *)"";
	c.option = (char *)"";
	c.model = (char *)"";
	c.outcome = outcome;
	c.message = (char *)"";
	c.time_ns = time_ns;
	c.evaluated_ns = evaluated_ns;
	c.created_ns = evaluated_ns ? evaluated_ns - 1 : 1;
	c.same_as = -1;
	return c;
}

/* A small XML well-formedness check: one root element, every tag closed in
 * order, attribute values quoted, only the five predefined entities or
 * numeric references, no raw '<' or '&' in text. Returns NULL or a reason. */
static const char *xml_check(const char *s)
{
	static char why[200];
	const char *stack[256];
	size_t lens[256];
	int depth = 0, roots = 0;
	const char *p = s;
	if (!strncmp(p, "<?xml", 5)) {
		p = strstr(p, "?>");
		if (!p)
			return "unterminated declaration";
		p += 2;
	}
	while (*p) {
		if (*p == '&') {
			const char *e = strchr(p, ';');
			if (!e || e - p > 8)
				return "bare &";
			if (strncmp(p, "&amp;", 5) && strncmp(p, "&lt;", 4) && strncmp(p, "&gt;", 4) &&
			    strncmp(p, "&quot;", 6) && strncmp(p, "&apos;", 6) && p[1] != '#')
				return "unknown entity";
			p = e + 1;
			continue;
		}
		if (*p != '<') {
			if (depth == 0 && *p != '\n' && *p != ' ')
				return "text outside the root";
			p++;
			continue;
		}
		bool closing = p[1] == '/';
		const char *name = p + 1 + closing;
		size_t nlen = strcspn(name, " \t\n/>");
		if (!nlen)
			return "empty tag name";
		const char *q = name + nlen;
		/* attributes */
		while (*q && *q != '>' && *q != '/') {
			while (*q == ' ' || *q == '\n' || *q == '\t')
				q++;
			if (*q == '>' || *q == '/')
				break;
			size_t alen = strcspn(q, "=> ");
			if (!alen || q[alen] != '=' || (q[alen + 1] != '"' && q[alen + 1] != '\''))
				return "unquoted attribute";
			char quote = q[alen + 1];
			const char *v = q + alen + 2;
			const char *ve = strchr(v, quote);
			if (!ve)
				return "unterminated attribute";
			for (const char *c = v; c < ve; c++)
				if (*c == '<')
					return "< in an attribute";
			q = ve + 1;
		}
		bool selfclose = *q == '/';
		if (selfclose)
			q++;
		if (*q != '>')
			return "unterminated tag";
		if (closing) {
			if (!depth || lens[depth - 1] != nlen || strncmp(stack[depth - 1], name, nlen)) {
				snprintf(why, sizeof(why), "mismatched </%.*s>", (int)nlen, name);
				return why;
			}
			depth--;
		} else if (!selfclose) {
			if (depth == 0)
				roots++;
			if (depth == 256)
				return "too deep";
			stack[depth] = name;
			lens[depth++] = nlen;
		} else if (depth == 0) {
			roots++;
		}
		p = q + 1;
	}
	if (depth)
		return "unclosed element";
	if (roots != 1)
		return "not exactly one root element";
	return NULL;
}

/* Rings drawn around the points on the path to best (not the legend's). */
static int count_rings(const char *s)
{
	int n = 0;
	for (const char *p = s; (p = strstr(p, "fill=\"none\" stroke=\"#000000\" stroke-width=\"1.5\"/>"));
	     p++)
		n++;
	return n - 1; /* one is the legend's swatch */
}

static char *progress(const char *name, struct cand_row *rows, int n, int64_t best)
{
	struct strbuf sb = {0};
	struct svg_kernel k = {name, rows, n, best};
	cr_assert_eq(svg_progress(&sb, &k), 0);
	const char *why = xml_check(sb.buf);
	cr_assert_null(why, "not well-formed: %s\n%s", why, sb.buf);
	cr_assert(strstr(sb.buf, "xmlns=\"http://www.w3.org/2000/svg\""));
	cr_assert(strstr(sb.buf, "version=\"1.1\""));
	return sb_detach(&sb);
}

/* rsvg-convert reads the document and draws a PNG of the expected size. */
static void draws(const char *svg, int w, int h)
{
	if (system("command -v rsvg-convert >/dev/null 2>&1") != 0)
		return;
	char dir[] = "/tmp/acsvg-XXXXXX";
	cr_assert(mkdtemp(dir));
	char in[64], out[64], cmd[300];
	snprintf(in, sizeof(in), "%s/c.svg", dir);
	snprintf(out, sizeof(out), "%s/c.png", dir);
	FILE *f = fopen(in, "w");
	fputs(svg, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "rsvg-convert -o %s %s", out, in);
	cr_assert_eq(system(cmd), 0, "rsvg-convert failed on:\n%s", svg);
	unsigned char hdr[24];
	f = fopen(out, "rb");
	cr_assert(f && fread(hdr, 1, 24, f) == 24);
	fclose(f);
	cr_assert(!memcmp(hdr + 1, "PNG", 3));
	int pw = hdr[16] << 24 | hdr[17] << 16 | hdr[18] << 8 | hdr[19];
	int ph = hdr[20] << 24 | hdr[21] << 16 | hdr[22] << 8 | hdr[23];
	cr_assert_eq(pw, w);
	cr_assert_eq(ph, h);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

Test(svg, empty_run_is_a_frame_with_a_note)
{
	char *s = progress("gemm", NULL, 0, -1);
	cr_assert(strstr(s, "no candidates evaluated yet"), "%s", s);
	cr_assert(strstr(s, "gemm"));
	cr_assert(!strstr(s, "<circle cx=\"7"), "no points");
	draws(s, 820, 490);
	free(s);
}

Test(svg, pending_candidates_are_not_points)
{
	struct cand_row r[] = {row(0, -1, AC_PENDING, 0, 0)};
	char *s = progress("k", r, 1, -1);
	cr_assert(strstr(s, "no candidates evaluated yet"), "%s", s);
	cr_assert(strstr(s, "0 candidates"), "the input is not a candidate: %s", s);
	free(s);
}

Test(svg, one_point_the_input)
{
	struct cand_row r[] = {row(0, -1, AC_OK, 2000000, 100)};
	char *s = progress("gemm", r, 1, 0);
	cr_assert(strstr(s, "best 1.00\xc3\x97 (#0)"), "%s", s);
	cr_assert(strstr(s, "<title>#0: ok, 2 ms, 1.00\xc3\x97</title>"), "%s", s);
	cr_assert(strstr(s, "ok (0)") && strstr(s, "wrong (0)"), "legend with counts, the input "
	          "not counted (as metrics.json): %s", s);
	cr_assert(!strstr(s, "log scale"));
	cr_assert(!strstr(s, "nan") && !strstr(s, "inf"), "%s", s);
	draws(s, 820, 490);
	free(s);
}

Test(svg, escapes_text)
{
	struct cand_row r[] = {row(0, -1, AC_OK, 1000, 10), row(1, 0, AC_BUILD_ERROR, 0, 20)};
	r[1].message = (char *)"error: expected ';' before '<' & \"x\" \x01 \xff\xfe";
	r[1].option = (char *)"tile <8x8> & unroll";
	char *s = progress("a<b&c\"d'", r, 2, 0);
	cr_assert(strstr(s, "a&lt;b&amp;c&quot;d&apos;"), "%s", s);
	cr_assert(!strstr(s, "a<b"), "%s", s);
	cr_assert(strstr(s, "[tile &lt;8x8&gt; &amp; unroll]"), "%s", s);
	cr_assert(strstr(s, "expected &apos;;&apos; before &apos;&lt;&apos; &amp; &quot;x&quot;"),
	          "%s", s);
	cr_assert(!strchr(s, '\x01') && !strchr(s, '\xff'), "control and invalid bytes replaced");
	draws(s, 820, 490);
	free(s);
}

Test(svg, every_outcome_and_the_path_to_best)
{
	/* 0 → 2 → 5 is the chain to the best; the rest are side branches */
	struct cand_row r[] = {
		row(0, -1, AC_OK, 10000000, 100),
		row(1, 0, AC_OK, 9000000, 200),
		row(2, 0, AC_OK, 6000000, 300),
		row(3, 0, AC_WRONG, 0, 400),
		row(4, 2, AC_BUILD_ERROR, 0, 500),
		row(5, 2, AC_OK, 4000000, 700),
		row(6, 2, AC_RUN_ERROR, 0, 600),
		row(7, 5, AC_TIMEOUT, 0, 800),
		row(8, 5, AC_FAILED, 0, 0),
		row(9, 5, AC_PENDING, 0, 0),
	};
	char *s = progress("gemm", r, 10, 5);
	cr_assert(strstr(s, "best 2.50\xc3\x97 (#5)"), "%s", s);
	cr_assert(strstr(s, "9 candidates (7 evaluated, 1 without code, 1 pending)"), "%s", s);
	for (const char *o = "ok (3)\0wrong (1)\0build_error (1)\0run_error (1)\0timeout (1)\0"
	                     "failed (1)\0"; *o; o += strlen(o) + 1)
		cr_assert(strstr(s, o), "legend %s: %s", o, s);
	/* the path is a polyline through three points; three rings mark them */
	const char *pl = strstr(s, "<polyline");
	cr_assert(pl);
	const char *pts = strstr(pl, "points=\"") + 8;
	int commas = 0;
	for (const char *c = pts; *c != '"'; c++)
		commas += *c == ',';
	cr_assert_eq(commas, 3, "%.200s", pl);
	cr_assert_eq(count_rings(s), 3);
	/* the best-so-far step line climbs twice: H.. V.. pairs */
	const char *step = strstr(s, "stroke=\"#009E73\" stroke-width=\"2.5\" stroke-linejoin");
	cr_assert(step, "%s", s);
	draws(s, 820, 490);
	free(s);
}

Test(svg, wide_range_uses_a_log_scale)
{
	struct cand_row r[] = {
		row(0, -1, AC_OK, 100000000, 1),
		row(1, 0, AC_OK, 1000000, 2),   /* 100x */
		row(2, 0, AC_OK, 400000000, 3), /* 0.25x */
	};
	char *s = progress("wide", r, 3, 1);
	cr_assert(strstr(s, "(log scale)"), "%s", s);
	cr_assert(strstr(s, ">100\xc3\x97</text>") && strstr(s, ">1\xc3\x97</text>"), "%s", s);
	draws(s, 820, 490);
	free(s);
}

Test(svg, overview_has_a_line_and_a_legend_entry_per_kernel)
{
	struct cand_row a[] = {row(0, -1, AC_OK, 8000, 1), row(1, 0, AC_OK, 4000, 2),
	                       row(2, 1, AC_OK, 2000, 3)};
	struct cand_row b[] = {row(0, -1, AC_OK, 5000, 1), row(1, 0, AC_WRONG, 0, 2)};
	struct cand_row c[] = {row(0, -1, AC_BUILD_ERROR, 0, 1)};
	struct svg_kernel ks[] = {{"gemm", a, 3, 2}, {"soft<max>", b, 2, 0}, {"broken", c, 1, -1}};
	struct strbuf sb = {0};
	cr_assert_eq(svg_overview(&sb, ks, 3), 0);
	cr_assert_null(xml_check(sb.buf), "%s", sb.buf);
	cr_assert(strstr(sb.buf, "gemm 4.00\xc3\x97 (#2) of 2"), "%s", sb.buf);
	cr_assert(strstr(sb.buf, "soft&lt;max&gt; 1.00\xc3\x97 (#0) of 1"), "%s", sb.buf);
	/* a kernel whose input never got past the baseline did not search:
	 * it is not drawn as a result */
	cr_assert(strstr(sb.buf, "broken \xe2\x80\x94 not searched (waiting)"), "%s", sb.buf);
	cr_assert(strstr(sb.buf, "3 kernels, 2 searched: 3 candidates (3 evaluated)"), "%s", sb.buf);
	draws(sb.buf, 820, 470);
	sb_release(&sb);

	cr_assert_eq(svg_overview(&sb, NULL, 0), 0);
	cr_assert_null(xml_check(sb.buf), "%s", sb.buf);
	cr_assert(strstr(sb.buf, "no kernels yet"));
	draws(sb.buf, 820, 470);
	sb_release(&sb);
}

Test(svg, many_points_stay_well_formed)
{
	int n = 2000;
	struct cand_row *r = calloc((size_t)n, sizeof(*r));
	static const enum ac_outcome oc[] = {AC_OK, AC_OK, AC_OK, AC_WRONG, AC_BUILD_ERROR, AC_TIMEOUT};
	for (int i = 0; i < n; i++)
		r[i] = row(i, i ? (i - 1) / 2 : -1, i ? oc[i % 6] : AC_OK,
		           i % 6 < 3 ? 1000000 - i * 300 : 0, 1000 + i);
	char *s = progress("big", r, n, 1998);
	cr_assert(strstr(s, "1999 candidates (1999 evaluated)"), "%.400s", s);
	free(s);
	free(r);
}

Test(svg, overview_tells_every_kernel_apart_and_says_failed)
{
	enum { NK = 25 };
	struct cand_row r[NK][2];
	struct svg_kernel ks[NK];
	char names[NK][16];
	for (int k = 0; k < NK; k++) {
		r[k][0] = row(0, -1, AC_OK, 8000, 1);
		r[k][1] = row(1, 0, AC_OK, 8000 - 100 * (k + 1), 2);
		snprintf(names[k], sizeof(names[k]), "k%d", k);
		ks[k] = (struct svg_kernel){names[k], r[k], 2, 1, RS_DONE};
	}
	struct cand_row bad[] = {row(0, -1, AC_BUILD_ERROR, 0, 1)};
	ks[NK - 1] = (struct svg_kernel){"broken", bad, 1, -1, RS_FAILED};
	struct strbuf sb = {0};
	cr_assert_eq(svg_overview(&sb, ks, NK), 0);
	cr_assert_null(xml_check(sb.buf), "%s", sb.buf);
	cr_assert(strstr(sb.buf, "broken \xe2\x80\x94 not searched (failed)"), "%s", sb.buf);
	/* every legend line's stroke (colour and dash) differs from the others */
	char styles[NK][96];
	int found = 0;
	for (const char *p = strstr(sb.buf, "<line x1="); p && found < NK;
	     p = strstr(p + 1, "<line x1=")) {
		const char *st = strstr(p, "stroke=\"");
		const char *end = strstr(p, "/>");
		const char *w = strstr(p, "stroke-width=\"3\"");
		if (!st || !end || st > end || !w || w > end)
			continue;   /* not a legend line (a grid line) */
		snprintf(styles[found], sizeof(styles[found]), "%.*s", (int)(end - st), st);
		found++;
	}
	cr_assert_geq(found, NK - 1, "%d legend lines", found);
	for (int i = 0; i < found; i++)
		for (int j = i + 1; j < found; j++)
			cr_assert_str_neq(styles[i], styles[j], "kernels %d and %d look alike", i + 1,
			                  j + 1);
	draws(sb.buf, 820, 90 + 22 * NK);
	sb_release(&sb);
}

static int count_of(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

Test(svg, a_combined_candidate_is_drawn_from_both_parents)
{
	struct cand_row rows[] = {
		row(0, -1, AC_OK, 1000, 10),
		row(1, 0, AC_OK, 800, 20),
		row(2, 0, AC_OK, 700, 30),
		row(3, 1, AC_OK, 500, 40),
	};
	rows[3].parent2 = 2;
	char *svg = progress("k", rows, 4, 3);
	cr_assert_eq(count_of(svg, "class=\"combined\""), 2, "one line from each parent:\n%s", svg);
	cr_assert(strstr(svg, "#3 combines #1 and #2"), "%s", svg);
	cr_assert(strstr(svg, "parents #1 and #2"), "the point's title: %s", svg);
	cr_assert(strstr(svg, "combined: both parents"), "the legend");
	free(svg);
	svg = progress("k", rows, 3, 2);
	cr_assert_null(strstr(svg, "combined"), "no combination, no legend line");
	free(svg);
}

Test(svg, a_point_is_drawn_at_its_number_and_duplicates_are_not_points)
{
	struct cand_row rows[] = {
		row(0, -1, AC_OK, 1000, 10),
		row(1, 0, AC_OK, 500, 20),
		row(2, 0, AC_OK, 500, 30),
		row(3, 1, AC_OK, 400, 25),
	};
	rows[2].same_as = 1;   /* its result was #1's: nothing was run */
	char *s = progress("k", rows, 4, 3);
	/* x runs over 0..3.5 on 72..610 px: #3 at 72 + 538 * 3 / 3.5 */
	const char *t3 = strstr(s, "<title>#3 ");
	cr_assert(t3, "%s", s);
	const char *cx = NULL;
	for (const char *p = s; (p = strstr(p, "cx=\"")) && p < t3; p++)
		cx = p;
	cr_assert(cx && !strncmp(cx, "cx=\"533.1\"", 10), "#3 is drawn at x = 3: %.60s", cx);
	cr_assert_null(strstr(s, "<title>#2 "), "a duplicate is not a point: %s", s);
	cr_assert(strstr(s, "not drawn: 1 duplicate, 0 pending"), "%s", s);
	cr_assert(strstr(s, "3 candidates (2 evaluated, 1 duplicate)"), "%s", s);
	cr_assert(strstr(s, "candidate number (#0 is the input"), "the axis says what x is: %s", s);
	draws(s, 820, 490);
	free(s);
}

Test(svg, the_times_in_the_words_are_the_ones_the_speedup_divides)
{
	/* first passes 10 ms and 1 ms (10x); re-timed together 8 ms and 2 ms
	 * (4x): the verdict is 4x, and the words say 8 ms and 2 ms */
	struct cand_row rows[] = {row(0, -1, AC_OK, 10000000, 10), row(1, 0, AC_OK, 1000000, 20)};
	rows[0].retime_ns = 8000000;
	rows[1].retime_ns = 2000000;
	char *s = progress("k", rows, 2, 1);
	cr_assert(strstr(s, "best 4.00\xc3\x97 (#1)"), "%s", s);
	cr_assert(strstr(s, "input 8 ms, best 2 ms"), "%s", s);
	cr_assert_null(strstr(s, "input 10 ms"), "%s", s);
	free(s);
}

Test(svg, spark_is_a_small_inline_chart)
{
	struct cand_row rows[] = {row(0, -1, AC_OK, 1000, 10), row(1, 0, AC_OK, 500, 20)};
	struct svg_kernel k = {"k<1>", rows, 2, 1, RS_DONE};
	struct strbuf sb = {0};
	cr_assert_eq(svg_spark(&sb, &k, 160, 40), 0);
	cr_assert_null(xml_check(sb.buf), "%s", sb.buf);
	cr_assert(!strncmp(sb.buf, "<svg ", 5), "no XML declaration inside a page: %s", sb.buf);
	cr_assert(strstr(sb.buf, "k&lt;1&gt;"), "%s", sb.buf);
	cr_assert(strstr(sb.buf, "<path"), "a line: %s", sb.buf);
	sb_release(&sb);
	/* a kernel that did not search has no line */
	struct svg_kernel none = {"n", rows, 1, 0, RS_FAILED};
	cr_assert_eq(svg_spark(&sb, &none, 160, 40), 0);
	cr_assert_null(strstr(sb.buf, "<path"), "%s", sb.buf);
	sb_release(&sb);
}
