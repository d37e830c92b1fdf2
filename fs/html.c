/*
 * html.c - the index.html pages: rows in, one self-contained page out.
 *
 *   $ chromium file:///mnt/ac/index.html           (every kernel)
 *   $ chromium file:///mnt/ac/kernels/gemm/index.html
 *
 * No script and no network: inline CSS, inline SVG (the charts svg.c
 * draws for progress.svg), relative links to the plan, code and log of
 * each candidate. A meta refresh reloads the page while a run goes on;
 * the page of a kernel at rest has none, so it stops refreshing when the
 * run is done. Text from users and models is escaped (svg_escape), so a
 * plan that says "<script>" is shown, never run.
 *
 * Every count and figure comes from engine/core/figures.h over the rows
 * given, the same functions status and metrics.json use; this file does
 * no arithmetic of its own on times and counts. It does not read the
 * store: render.c hands everything in.
 */
#include "fs/html.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/figures.h"
#include "engine/core/state.h"
#include "fs/svg.h"
#include "targets/target.h"

#define TIMES "\xc3\x97"     /* U+00D7 */
#define DASH "\xe2\x80\x94"  /* U+2014 */
#define NDASH "\xe2\x80\x93" /* U+2013 */

/* A page being written: the first failure sticks. */
struct page {
	struct strbuf *sb;
	int rc;
};

static void put(struct page *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct page *p, const char *fmt, ...)
{
	if (p->rc)
		return;
	va_list ap;
	va_start(ap, fmt);
	char small[512];
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		p->rc = -EINVAL;
	} else if ((size_t)n < sizeof(small)) {
		p->rc = sb_add(p->sb, small, (size_t)n);
	} else {
		char *big = malloc((size_t)n + 1);
		if (!big) {
			p->rc = -ENOMEM;
			return;
		}
		va_start(ap, fmt);
		vsnprintf(big, (size_t)n + 1, fmt, ap);
		va_end(ap);
		p->rc = sb_add(p->sb, big, (size_t)n);
		free(big);
	}
}

static void raw(struct page *p, const char *s)
{
	if (!p->rc && s)
		p->rc = sb_adds(p->sb, s);
}

static void esc(struct page *p, const char *s)
{
	if (!p->rc)
		p->rc = svg_escape(p->sb, s ? s : "", (size_t)-1, false);
}

/* At most max bytes of s; "..." marks a cut when mark_cut. */
static void esc_span(struct page *p, const char *s, size_t max, bool mark_cut)
{
	if (!p->rc)
		p->rc = svg_escape(p->sb, s ? s : "", max, mark_cut);
}

static void esc_n(struct page *p, const char *s, size_t max)
{
	esc_span(p, s, max, true);
}

/* An SVG document inline: without its XML declaration. */
static void inline_svg(struct page *p, const char *svg)
{
	if (!svg)
		return;
	const char *at = strstr(svg, "<svg");
	raw(p, at ? at : svg);
}

bool html_at_rest(enum run_state state)
{
	return run_state_idle(state);
}

/* A state's badge colour (NULL: a run going on, or plain; state_badge),
 * and an outcome's text colour. */
static const char *const state_colors[RS_COUNT] = {
	[RS_DONE] = "#d8f3e6",
	[RS_FAILED] = "#ffe0d3",
};
static const char *const outcome_colors[AC_OUTCOMES] = {
	[AC_PENDING] = "#777",
	[AC_OK] = "#005a8c",
	[AC_WRONG] = "#8a5a00",
	[AC_BUILD_ERROR] = "#a33a00",
	[AC_RUN_ERROR] = "#8e3b6f",
	[AC_TIMEOUT] = "#246d94",
	[AC_FAILED] = "#555",
};

static const char css[] =
	"*{box-sizing:border-box}"
	"body{margin:0 auto;max-width:1500px;padding:12px 16px 40px;font:15px/1.45 system-ui,"
	"-apple-system,'Segoe UI','DejaVu Sans',sans-serif;color:#1b1b1b;background:#fff}"
	"h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.15em;margin:1.4em 0 .5em;"
	"border-bottom:1px solid #ddd;padding-bottom:.2em}"
	"a{color:#0b5cad}.crumbs{margin:0;color:#555;font-size:.9em}"
	".status{font-size:1.02em;margin:.3em 0;overflow-wrap:anywhere}"
	".state{display:inline-block;padding:0 .5em;border-radius:3px;font-weight:600;"
	"background:#e8e8e8;margin-right:.4em}"
	".state.run{background:#d7ecff}";
/* after css: a badge's colour by state (state_badge), then: */
static const char css_more[] =
	".figs{display:flex;flex-wrap:wrap;gap:8px 22px;margin:.6em 0;padding:0}"
	".figs div{min-width:8em}.figs dt{font-size:.8em;color:#555}"
	".figs dd{margin:0;font-size:1.2em;font-weight:600}"
	".figs dd small{font-weight:400;font-size:.72em;color:#444}"
	".chart svg{width:100%;max-width:1100px;height:auto;display:block}"
	".scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;border:1px solid #e3e3e3}"
	"table{border-collapse:collapse;width:100%;font-size:.92em}"
	"th,td{padding:4px 8px;border-bottom:1px solid #eee;text-align:left;vertical-align:top}"
	"th{background:#f4f4f4;position:sticky;top:0}"
	"td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
	"td.plan{min-width:14em;max-width:38em}"
	"details summary{cursor:pointer}details pre{white-space:pre-wrap;margin:.3em 0}"
	"pre{background:#f7f7f7;padding:8px;overflow-x:auto;font:13px/1.35 ui-monospace,"
	"'DejaVu Sans Mono',monospace}"
	".o{white-space:nowrap;font-weight:600}";
/* after css_more: an outcome's colour (.o-ok...), then: */
static const char css_rest[] =
	"tr.best td{background:#fff6cc}tr.dup td{color:#666}"
	".diff .add{background:#e3f5e9;display:block}.diff .del{background:#fbe4e4;display:block}"
	".diff span{white-space:pre}"
	".sched{white-space:pre-wrap}"
	"footer{margin-top:2em;color:#666;font-size:.85em}"
	"@media (max-width:600px){body{padding:8px;font-size:14px}h1{font-size:1.3em}"
	".figs{gap:6px 14px}td.plan{min-width:11em}}";

/* The head of a page, through <body>. */
static void page_open(struct page *p, const char *title, bool refresh)
{
	raw(p, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
	if (refresh)
		put(p, "<meta http-equiv=\"refresh\" content=\"%d\">\n", HTML_REFRESH_S);
	raw(p, "<title>");
	esc(p, title);
	put(p, "</title>\n<style>%s", css);
	for (int s = 0; s < RS_COUNT; s++)
		if (state_colors[s])
			put(p, ".state.%s{background:%s}", run_state_name(s), state_colors[s]);
	raw(p, css_more);
	/* pending last */
	for (int i = 1; i <= AC_OUTCOMES; i++)
		put(p, ".o-%s{color:%s}", ac_outcome_name(i % AC_OUTCOMES),
		    outcome_colors[i % AC_OUTCOMES]);
	put(p, "%s</style>\n</head>\n<body>\n", css_rest);
}

static void page_close(struct page *p, bool refresh)
{
	if (refresh)
		put(p, "<footer id=\"refresh\">A run goes on: this page reloads itself every %d s.</footer>\n",
		    HTML_REFRESH_S);
	else
		raw(p, "<footer id=\"refresh\">Nothing runs: this page does not reload itself.</footer>\n");
	raw(p, "</body>\n</html>\n");
}

/* The state word as a badge: coloured as its state (state_colors), or
 * as a run going on, or plain. */
static void state_badge(struct page *p, enum run_state state)
{
	const char *word = run_state_name(state);
	if (state_colors[state])
		put(p, "<span class=\"state %s\">", word);
	else
		put(p, "<span class=\"state%s\">", run_state_idle(state) ? "" : " run");
	esc(p, word);
	raw(p, "</span>");
}

static const struct cand_row *cand_num(const struct html_kernel *k, int64_t num)
{
	for (int i = 0; i < k->ncands; i++)
		if (k->cands[i].num == num)
			return &k->cands[i];
	return NULL;
}

/* The best's figures, each from figures.h. */
struct best_figs {
	const struct cand_row *best;
	double speedup;          /* 0: none */
	int64_t in_ns, best_ns;
	bool interval;
	double lo, hi;
};

static void best_figs(const struct html_kernel *k, struct best_figs *b)
{
	memset(b, 0, sizeof(*b));
	const struct cand_row *in = cand_num(k, 0);
	b->best = k->best >= 0 ? cand_num(k, k->best) : NULL;
	if (b->best && cand_figures(in, b->best, &b->in_ns, &b->best_ns))
		b->speedup = cand_speedup(in, b->best);
	b->interval = b->speedup > 0 && cand_speedup_interval(b->best, &b->lo, &b->hi);
}

/* "156.16× (#9)" with the interval after it; id marks the figure the
 * end-to-end test compares with status. */
static void best_html(struct page *p, const struct best_figs *b, const char *id)
{
	if (!(b->speedup > 0)) {
		put(p, "<span id=\"%s\" data-speedup=\"\">" DASH "</span>", id);
		return;
	}
	put(p, "<span id=\"%s\" data-speedup=\"%.2f\">%.2f" TIMES "</span> <small>(#%lld)</small>",
	    id, b->speedup, b->speedup, (long long)b->best->num);
	if (b->interval)
		put(p, " <small class=\"interval\">95%% interval %.2f" NDASH "%.2f" TIMES "</small>",
		    b->lo, b->hi);
}

static void fig(struct page *p, const char *term, const char *id, const char *value)
{
	put(p, "<div><dt>%s</dt><dd%s%s%s>", term, id ? " id=\"" : "", id ? id : "", id ? "\"" : "");
	esc(p, value);
	raw(p, "</dd></div>\n");
}

/* ---- the diff of best against the input ---- */

struct lines {
	const char **at;
	size_t *len;
	int n;
};

static int split_lines(const char *s, struct lines *l)
{
	memset(l, 0, sizeof(*l));
	int cap = 1;
	for (const char *c = s; *c; c++)
		cap += *c == '\n';
	l->at = calloc((size_t)cap, sizeof(*l->at));
	l->len = calloc((size_t)cap, sizeof(*l->len));
	if (!l->at || !l->len)
		return -ENOMEM;
	while (*s) {
		size_t n = strcspn(s, "\n");
		l->at[l->n] = s;
		l->len[l->n++] = n;
		s += n + (s[n] == '\n');
	}
	return 0;
}

static void lines_free(struct lines *l)
{
	free(l->at);
	free(l->len);
}

static bool same_line(const struct lines *a, int i, const struct lines *b, int j)
{
	return a->len[i] == b->len[j] && !memcmp(a->at[i], b->at[j], a->len[i]);
}

static void diff_line(struct page *p, char mark, const char *s, size_t len)
{
	const char *cls = mark == '+' ? "add" : mark == '-' ? "del" : "same";
	put(p, "<span class=\"%s\">%c ", cls, mark);
	esc_span(p, s, len, false);
	raw(p, "</span>\n");
}

/* The part of the two files that differs (after the lines they share at
 * the start and at the end) is compared only up to this many cells: the
 * page is rendered in a request handler, and must stay cheap. */
#define DIFF_MAX_CELLS 1000000

/* A line diff (longest common subsequence) of before and after, every line
 * shown, "+ " added, "- " removed: signs as well as colours. */
static void diff_html(struct page *p, const char *before, const char *after)
{
	struct lines a, b;
	if (split_lines(before, &a) || split_lines(after, &b)) {
		lines_free(&a);
		lines_free(&b);
		p->rc = p->rc ? p->rc : -ENOMEM;
		return;
	}
	/* the shared head and tail need no table */
	int pre = 0, suf = 0;
	while (pre < a.n && pre < b.n && same_line(&a, pre, &b, pre))
		pre++;
	while (suf < a.n - pre && suf < b.n - pre &&
	       same_line(&a, a.n - 1 - suf, &b, b.n - 1 - suf))
		suf++;
	int an = a.n - pre - suf, bn = b.n - pre - suf;
	if ((long long)(an + 1) * (bn + 1) > DIFF_MAX_CELLS || an > 65000 || bn > 65000) {
		put(p, "<p>The files differ in too many lines to compare here (%d and %d).</p>\n", an,
		    bn);
		goto out;
	}
	size_t w = (size_t)bn + 1;
	uint16_t *t = calloc(((size_t)an + 1) * w, sizeof(*t));
	if (!t) {
		p->rc = -ENOMEM;
		goto out;
	}
	/* t[i][j]: the longest common subsequence of the middles from i, j on */
	for (int i = an - 1; i >= 0; i--)
		for (int j = bn - 1; j >= 0; j--)
			t[i * w + j] = same_line(&a, pre + i, &b, pre + j)
			               ? t[(i + 1) * w + j + 1] + 1
			               : t[(i + 1) * w + j] > t[i * w + j + 1] ? t[(i + 1) * w + j]
			                                                       : t[i * w + j + 1];
	int added = 0, removed = 0;
	for (int i = 0, j = 0; i < an || j < bn;) {
		if (i < an && j < bn && same_line(&a, pre + i, &b, pre + j)) {
			i++;
			j++;
		} else if (i < an && (j == bn || t[(i + 1) * w + j] >= t[i * w + j + 1])) {
			removed++;
			i++;
		} else {
			added++;
			j++;
		}
	}
	put(p, "<p id=\"diff-summary\">%d line%s added, %d removed.</p>\n", added,
	    added == 1 ? "" : "s", removed);
	raw(p, "<pre class=\"diff\">");
	for (int i = 0; i < pre; i++)
		diff_line(p, ' ', a.at[i], a.len[i]);
	for (int i = 0, j = 0; !p->rc && (i < an || j < bn);) {
		if (i < an && j < bn && same_line(&a, pre + i, &b, pre + j)) {
			diff_line(p, ' ', a.at[pre + i], a.len[pre + i]);
			i++;
			j++;
		} else if (i < an && (j == bn || t[(i + 1) * w + j] >= t[i * w + j + 1])) {
			diff_line(p, '-', a.at[pre + i], a.len[pre + i]);
			i++;
		} else {
			diff_line(p, '+', b.at[pre + j], b.len[pre + j]);
			j++;
		}
	}
	for (int i = a.n - suf; i < a.n; i++)
		diff_line(p, ' ', a.at[i], a.len[i]);
	raw(p, "</pre>\n");
	free(t);
out:
	lines_free(&a);
	lines_free(&b);
}

/* ---- kernels/NAME/index.html ---- */

/* The plan's first line, shortened at a word (text_first_line). */
static void plan_first_line(struct page *p, const char *plan)
{
	char line[200];
	text_first_line(plan ? plan : "", line, sizeof(line));
	esc(p, line);
}

/* Text for a <pre>: escaped line by line, the newlines kept. */
static void esc_pre(struct page *p, const char *s, size_t max)
{
	size_t done = 0;
	while (!p->rc && s && *s && done < max) {
		size_t n = strcspn(s, "\n");
		if (n > max - done)
			n = max - done;
		esc_span(p, s, n, false);
		raw(p, "\n");
		done += n + 1;
		s += n;
		if (*s == '\n')
			s++;
	}
	if (s && *s && done >= max)
		raw(p, "\xe2\x80\xa6\n");
}

static const char *outcome_sign(enum ac_outcome o)
{
	switch (o) {
	case AC_OK: return "\xe2\x9c\x93 ";          /* check mark */
	case AC_PENDING: return "\xe2\x80\xa6 ";     /* ellipsis */
	default: return "\xe2\x9c\x97 ";             /* ballot x */
	}
}

static void cand_row_html(struct page *p, const struct html_kernel *k, const struct cand_row *c,
                          const struct cand_row *in)
{
	enum ac_outcome o = c->outcome;
	const char *name = ac_outcome_name(o);
	put(p, "<tr id=\"c%lld\" class=\"cand%s%s\" data-outcome=\"%s\"><td class=\"n\">"
	       "<a href=\"candidates/%lld.%s\">#%lld</a></td>", (long long)c->num,
	    c->num == k->best ? " best" : "", cand_is_duplicate(c) ? " dup" : "", name,
	    (long long)c->num, k->ext ? k->ext : "c", (long long)c->num);
	if (c->parent >= 0 && c->parent2 > 0)
		put(p, "<td class=\"n\">#%lld + #%lld</td>", (long long)c->parent, (long long)c->parent2);
	else if (c->parent >= 0)
		put(p, "<td class=\"n\">#%lld</td>", (long long)c->parent);
	else
		raw(p, "<td class=\"n\">" DASH "</td>");
	put(p, "<td class=\"n\">%d</td><td class=\"plan\">", c->iteration);
	if (c->num == 0)
		raw(p, "the input");
	else
		plan_first_line(p, c->plan);
	if (c->option && c->option[0]) {
		raw(p, " <small>[");
		esc_n(p, c->option, 120);
		raw(p, "]</small>");
	}
	if (c->plan && strchr(c->plan, '\n') && c->num > 0) {
		raw(p, "<details><summary>whole plan</summary><pre>");
		esc_pre(p, c->plan, 8000);
		raw(p, "</pre></details>");
	}
	raw(p, "</td><td>");
	esc_n(p, c->model, 80);
	put(p, "</td><td><span class=\"o o-%s\">%s%s</span>", name, outcome_sign(o), name);
	if (o != AC_OK && o != AC_PENDING && c->message && c->message[0]) {
		raw(p, "<br><small>");
		esc_n(p, c->message, 200);
		raw(p, "</small>");
	}
	char d[32] = DASH;
	int64_t t = cand_time(c);
	if (t)
		fmt_duration(t, d, sizeof(d));
	double sp = cand_speedup(in, c);
	put(p, "</td><td class=\"n\">%s</td>", d);
	if (sp > 0)
		put(p, "<td class=\"n speedup\" data-speedup=\"%.2f\">%.2f" TIMES "</td>", sp, sp);
	else
		raw(p, "<td class=\"n speedup\" data-speedup=\"\">" DASH "</td>");
	if (cand_is_duplicate(c))
		put(p, "<td>same as <a href=\"#c%lld\">#%lld</a></td>", (long long)c->same_as,
		    (long long)c->same_as);
	else
		raw(p, "<td></td>");
	put(p, "<td><a href=\"plans/%lld.md\">plan</a> <a href=\"candidates/%lld.%s\">code</a> "
	       "<a href=\"candidates/%lld.log\">log</a></td></tr>\n", (long long)c->num,
	    (long long)c->num, k->ext ? k->ext : "c", (long long)c->num);
}

static int num_cmp(const void *a, const void *b)
{
	const struct cand_row *const *x = a, *const *y = b;
	return (*x)->num < (*y)->num ? -1 : (*x)->num > (*y)->num;
}

int html_kernel_page(struct strbuf *sb, const struct html_kernel *k)
{
	struct page p = {sb, 0};
	bool refresh = !html_at_rest(k->state);
	char title[300];
	snprintf(title, sizeof(title), "%s " DASH " autocompfs", k->name ? k->name : "");
	page_open(&p, title, refresh);
	raw(&p, "<header><p class=\"crumbs\"><a href=\"../../index.html\">autocompfs</a> / kernels /"
	        "</p>\n<h1>");
	esc(&p, k->name);
	raw(&p, "</h1>\n<p class=\"status\">");
	state_badge(&p, k->state);
	raw(&p, "<span id=\"status\">");
	esc(&p, k->status);
	raw(&p, "</span></p></header>\n");

	struct best_figs b;
	best_figs(k, &b);
	struct cand_tally t;
	cand_tally(k->cands, k->ncands, &t);
	char counted[200], d[32];
	cand_tally_words(&t, counted, sizeof(counted));
	raw(&p, "<dl class=\"figs\">\n<div><dt>best speedup over the input</dt><dd>");
	best_html(&p, &b, "best-speedup");
	raw(&p, "</dd></div>\n");
	if (b.speedup > 0) {
		fig(&p, "input", "input-time", fmt_duration(b.in_ns, d, sizeof(d)));
		fig(&p, "best", "best-time", fmt_duration(b.best_ns, d, sizeof(d)));
	}
	fig(&p, "candidates", "candidates", counted);
	put(&p, "<div><dt>tokens</dt><dd id=\"tokens\">%ld</dd></div>\n", k->tokens);
	if (k->priced)
		put(&p, "<div><dt>cost</dt><dd id=\"cost\">$%.4f</dd></div>\n", k->cost);
	if (k->target) {
		fig(&p, "target", NULL, k->target);
		put(&p, "<div><dt>wall time</dt><dd>%.0f s</dd></div>\n", k->wall_s);
	}
	raw(&p, "</dl>\n<p><a href=\"status\">status</a> " DASH " <a href=\"log\">log</a> " DASH
	        " <a href=\"metrics.json\">metrics.json</a> " DASH " <a href=\"schedule\">schedule"
	        "</a> " DASH " <a href=\"progress.svg\">progress.svg</a> " DASH " ");
	put(&p, "<a href=\"best.%s\">best.%s</a></p>\n", k->ext ? k->ext : "c", k->ext ? k->ext : "c");

	raw(&p, "<h2>Progress</h2>\n<div class=\"chart\">");
	inline_svg(&p, k->chart);
	raw(&p, "</div>\n<h2>Schedule: from the input to the best</h2>\n");
	if (k->schedule && k->schedule[0]) {
		raw(&p, "<pre class=\"sched\" id=\"schedule\">");
		esc_pre(&p, k->schedule, (size_t)-1);
		raw(&p, "</pre>\n");
	} else {
		raw(&p, "<p id=\"schedule\">Nothing yet: no candidate has beaten the input.</p>\n");
	}

	put(&p, "<h2>Candidates</h2>\n<p>%s. A duplicate has the same code as an earlier "
	        "candidate: its result was reused, nothing was built or run.</p>\n", counted);
	raw(&p, "<div class=\"scroll\"><table id=\"candidate-table\">\n<thead><tr><th>#</th>"
	        "<th>parent</th><th>iteration</th><th>plan</th><th>model</th><th>outcome</th>"
	        "<th>time</th><th>speedup</th><th>duplicate</th><th>files</th></tr></thead>\n"
	        "<tbody>\n");
	const struct cand_row **order = calloc((size_t)k->ncands + 1, sizeof(*order));
	if (!order)
		p.rc = -ENOMEM;
	for (int i = 0; order && i < k->ncands; i++)
		order[i] = &k->cands[i];
	if (order)
		qsort(order, (size_t)k->ncands, sizeof(*order), num_cmp);
	const struct cand_row *in = cand_num(k, 0);
	for (int i = 0; order && i < k->ncands && !p.rc; i++)
		cand_row_html(&p, k, order[i], in);
	free(order);
	raw(&p, "</tbody></table></div>\n");

	put(&p, "<h2>best.%s against the input</h2>\n", k->ext ? k->ext : "c");
	if (!k->input || !k->best_src)
		raw(&p, "<p>No run yet.</p>\n");
	else if (!strcmp(k->input, k->best_src))
		raw(&p, "<p id=\"diff-summary\">The best is the input: nothing changed yet.</p>\n");
	else
		diff_html(&p, k->input, k->best_src);
	page_close(&p, refresh);
	return p.rc;
}

/* ---- /index.html ---- */

int html_root_page(struct strbuf *sb, const struct html_kernel *ks, int n, const char *totals,
                   const char *root_chart)
{
	struct page p = {sb, 0};
	bool refresh = false;
	for (int i = 0; i < n; i++)
		refresh |= !html_at_rest(ks[i].state);
	page_open(&p, "autocompfs", refresh);
	put(&p, "<header><h1>autocompfs</h1>\n<p class=\"status\">%d kernel%s</p></header>\n", n,
	    n == 1 ? "" : "s");
	if (totals) {
		raw(&p, "<p id=\"totals\">");
		esc(&p, totals);
		raw(&p, "</p>\n");
	}
	raw(&p, "<div class=\"scroll\"><table id=\"kernel-table\">\n<thead><tr><th>kernel</th>"
	        "<th>state</th><th>best speedup</th><th>best so far</th><th>candidates</th>"
	        "<th>tokens</th><th>cost</th></tr></thead>\n<tbody>\n");
	if (!n)
		raw(&p, "<tr><td colspan=\"7\">No kernels yet: mkdir kernels/NAME and copy a kernel "
		        "there.</td></tr>\n");
	for (int i = 0; i < n && !p.rc; i++) {
		const struct html_kernel *k = &ks[i];
		struct svg_kernel sk = {k->name, k->cands, k->ncands, k->best, k->state};
		struct best_figs b;
		best_figs(k, &b);
		struct cand_tally t;
		cand_tally(k->cands, k->ncands, &t);
		char counted[200];
		cand_tally_words(&t, counted, sizeof(counted));
		raw(&p, "<tr class=\"kernel\"><td><a href=\"kernels/");
		esc(&p, k->name);
		raw(&p, "/index.html\">");
		esc(&p, k->name);
		raw(&p, "</a></td><td>");
		state_badge(&p, k->state);
		raw(&p, "<br><small>");
		esc_n(&p, k->status, 300);
		raw(&p, "</small></td><td class=\"n\">");
		char id[300];
		snprintf(id, sizeof(id), "best-%s", k->name ? k->name : "");
		if (svg_searched(&sk))
			best_html(&p, &b, id);
		else
			put(&p, "<span id=\"%s\" data-speedup=\"\">not searched</span>", id);
		raw(&p, "</td><td>");
		if (!p.rc)
			p.rc = svg_spark(p.sb, &sk, 160, 40);
		raw(&p, "</td><td>");
		esc(&p, counted);
		put(&p, "</td><td class=\"n\">%ld</td>", k->tokens);
		if (k->priced)
			put(&p, "<td class=\"n\">$%.4f</td></tr>\n", k->cost);
		else
			raw(&p, "<td class=\"n\">" DASH "</td></tr>\n");
	}
	raw(&p, "</tbody></table></div>\n");
	if (root_chart) {
		raw(&p, "<h2>Every kernel</h2>\n<div class=\"chart\">");
		inline_svg(&p, root_chart);
		raw(&p, "</div>\n");
	}
	raw(&p, "<p><a href=\"status\">status</a> " DASH " <a href=\"targets\">targets</a> " DASH
	        " <a href=\"progress.svg\">progress.svg</a></p>\n");
	page_close(&p, refresh);
	return p.rc;
}
