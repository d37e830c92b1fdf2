/*
 * svg.c - the progress charts: candidate rows in, an SVG 1.1 document out.
 *
 * One chart per kernel (every candidate of its latest run) and one for the
 * whole mount (each kernel's best-so-far line). Both share one frame: a
 * plot area with a linear or logarithmic speedup axis, the candidate's
 * number along x (#N at x = N), a legend on the right. The counts and
 * times in the words are figures.h's, as status and metrics.json say them.
 *
 *   $ rsvg-convert -o gemm.png /mnt/ac/kernels/gemm/progress.svg
 *   $ firefox /mnt/ac/progress.svg          (points have tooltips)
 *
 * Deliberately plain SVG (no CSS, no scripts, no external fonts) so that
 * rsvg-convert, browsers and image viewers draw the same thing. Text that
 * comes from users or models is escaped, and bytes that are not UTF-8 are
 * replaced, so the document is always well-formed XML.
 */
#include "fs/svg.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/figures.h"
#include "engine/core/state.h"
#include "targets/target.h"

#define TIMES "\xc3\x97"   /* U+00D7 MULTIPLICATION SIGN */
#define DASH "\xe2\x80\x94" /* U+2014 EM DASH */

/* An SVG being written: the first failure sticks, later writes are no-ops. */
struct out {
	struct strbuf *sb;
	int rc;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	if (o->rc)
		return;
	char small[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		o->rc = -EINVAL;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		o->rc = sb_add(o->sb, small, (size_t)n);
		return;
	}
	char *big = malloc((size_t)n + 1);
	if (!big) {
		o->rc = -ENOMEM;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	o->rc = sb_add(o->sb, big, (size_t)n);
	free(big);
}

/* Length of the valid UTF-8 sequence at p (2..4), 0 if it is not one. */
static int utf8_len(const unsigned char *p)
{
	int n;
	unsigned cp;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		cp = p[0] & 0x1f;
	} else if ((p[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	for (int i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff)
		return 0;
	return n;
}

/* Appends at most max bytes of s as XML character data: markup escaped,
 * control characters (a tab aside) as spaces, invalid UTF-8 as '?'. */
static void esc_span(struct out *o, const char *s, size_t max, bool mark_cut)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	const unsigned char *end = p + strnlen((const char *)p, max);
	while (!o->rc && p < end) {
		const char *rep = NULL;
		switch (*p) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&apos;"; break;
		default: break;
		}
		int len = 1;
		if (rep) {
			o->rc = sb_adds(o->sb, rep);
		} else if (*p == '\t') {
			o->rc = sb_adds(o->sb, "\t");
		} else if (*p < 0x20 || *p == 0x7f) {
			o->rc = sb_adds(o->sb, " ");
		} else if (*p < 0x80) {
			o->rc = sb_add(o->sb, p, 1);
		} else if ((len = utf8_len(p)) > 0 && p + len <= end) {
			o->rc = sb_add(o->sb, p, (size_t)len);
		} else {
			len = 1;
			o->rc = sb_adds(o->sb, "?");
		}
		p += len;
	}
	if (!o->rc && *end && mark_cut)
		o->rc = sb_adds(o->sb, "...");
}

static void esc_n(struct out *o, const char *s, size_t max)
{
	esc_span(o, s, max, true);
}

static void esc(struct out *o, const char *s)
{
	esc_n(o, s, (size_t)-1);
}

int svg_escape(struct strbuf *sb, const char *s, size_t max, bool mark_cut)
{
	struct out o = {sb, 0};
	esc_span(&o, s, max, mark_cut);
	return o.rc;
}

/* ---- scales and the frame ---- */

struct scale {
	double lo, hi;
	bool log;
};

/* The speedup axis for data in [lo, hi] (both > 0; 1 is included by the
 * caller): logarithmic once the range spans a factor of 5. */
static struct scale y_scale(double lo, double hi)
{
	struct scale s = {0};
	if (!(lo > 0) || !(hi >= lo)) {
		lo = 1;
		hi = 1;
	}
	if (hi / lo >= 5) {
		s.log = true;
		s.lo = lo / 1.15;
		s.hi = hi * 1.15;
		return s;
	}
	double pad = (hi - lo) * 0.08;
	if (pad < 0.05)
		pad = 0.05;
	s.lo = lo - pad < 0 ? 0 : lo - pad;
	s.hi = hi + pad;
	return s;
}

static double frac(const struct scale *s, double v)
{
	double f;
	if (s->log)
		f = v > 0 ? (log(v) - log(s->lo)) / (log(s->hi) - log(s->lo)) : 0;
	else
		f = (v - s->lo) / (s->hi - s->lo);
	return f < 0 ? 0 : f > 1 ? 1 : f;
}

/* 1, 2 or 5 times a power of ten, about span/target. */
static double nice_step(double span, int target)
{
	double raw = span / target;
	if (!(raw > 0))
		return 1;
	double p = pow(10, floor(log10(raw)));
	double m = raw / p;
	return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

/* Tick values of the speedup axis into t (at most max); returns the count
 * and the step (linear) or 0 (log) in *step. */
static int y_ticks(const struct scale *s, double *t, int max, double *step)
{
	int n = 0;
	*step = 0;
	if (!s->log) {
		*step = nice_step(s->hi - s->lo, 5);
		double first = ceil(s->lo / *step - 1e-9);
		for (int i = 0; n < max; i++) {
			double v = (first + i) * *step;
			if (v > s->hi + 1e-9)
				break;
			t[n++] = v;
		}
		return n;
	}
	static const double m125[] = {1, 2, 5};
	int k0 = (int)floor(log10(s->lo));
	int k1 = (int)ceil(log10(s->hi));
	for (int decades_only = 0; decades_only < 2; decades_only++) {
		n = 0;
		for (int k = k0; k <= k1; k++)
			for (int j = 0; j < 3; j++) {
				double v = m125[j] * pow(10, k);
				if ((j && decades_only) || v < s->lo || v > s->hi || n >= max)
					continue;
				t[n++] = v;
			}
		if (n <= 8)
			break;
	}
	return n;
}

struct frame {
	double x0, x1, y0, y1;   /* the plot area in pixels */
	double xmax;             /* x runs over [0, xmax] */
	struct scale ys;
	bool lane;               /* a lane under the plot for candidates with no time */
};

/* The x range for candidate numbers 0..n: a little room right of the last. */
static double x_extent(int64_t n)
{
	if (n <= 0)
		return 1;
	return (double)n + (n * 0.025 > 0.5 ? n * 0.025 : 0.5);
}

static double px(const struct frame *f, double x)
{
	return f->x0 + (f->x1 - f->x0) * (f->xmax > 0 ? x / f->xmax : 0);
}

static double py(const struct frame *f, double y)
{
	return f->y1 - (f->y1 - f->y0) * frac(&f->ys, y);
}

static double lane_y(const struct frame *f)
{
	return f->y1 + 22;
}

static void doc_open(struct out *o, int w, int h, const char *title)
{
	put(o, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
	       "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" "
	       "height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"DejaVu Sans, Helvetica, Arial, "
	       "sans-serif\" font-size=\"12\" fill=\"#222222\">\n<title>", w, h, w, h);
	esc(o, title);
	put(o, "</title>\n<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n",
	    w, h);
}

static void headline(struct out *o, const struct frame *f, const char *title, const char *sub)
{
	put(o, "<text x=\"%.1f\" y=\"26\" font-size=\"17\" font-weight=\"bold\">", f->x0);
	esc(o, title);
	put(o, "</text>\n<text x=\"%.1f\" y=\"46\" fill=\"#666666\">", f->x0);
	esc(o, sub);
	put(o, "</text>\n");
}

/* The plot area, grid, ticks and axis titles. */
static void draw_frame(struct out *o, const struct frame *f, const char *xtitle)
{
	put(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#fbfbfb\" "
	       "stroke=\"#bbbbbb\"/>\n", f->x0, f->y0, f->x1 - f->x0, f->y1 - f->y0);
	double t[64], step;
	int n = y_ticks(&f->ys, t, 64, &step);
	int dec = f->ys.log ? 0 : step >= 1 ? 0 : step >= 0.1 ? 1 : 2;
	put(o, "<g stroke=\"#e4e4e4\" stroke-width=\"1\">\n");
	for (int i = 0; i < n; i++)
		put(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", f->x0, py(f, t[i]),
		    f->x1, py(f, t[i]));
	put(o, "</g>\n<g text-anchor=\"end\" font-size=\"11\">\n");
	for (int i = 0; i < n; i++) {
		if (f->ys.log)
			put(o, "<text x=\"%.1f\" y=\"%.1f\">%g" TIMES "</text>\n", f->x0 - 6,
			    py(f, t[i]) + 4, t[i]);
		else
			put(o, "<text x=\"%.1f\" y=\"%.1f\">%.*f" TIMES "</text>\n", f->x0 - 6,
			    py(f, t[i]) + 4, dec, t[i]);
	}
	put(o, "</g>\n");
	double bottom = f->y1;
	if (f->lane) {
		bottom = lane_y(f) + 10;
		put(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"20\" fill=\"#f1f1f1\"/>\n"
		       "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"11\">no time</text>\n",
		    f->x0, lane_y(f) - 10, f->x1 - f->x0, f->x0 - 6, lane_y(f) + 4);
	}
	double xs = nice_step(f->xmax, 6);
	if (xs < 1)
		xs = 1;
	put(o, "<g text-anchor=\"middle\" font-size=\"11\">\n");
	for (int i = 0; i <= 100 && i * xs <= f->xmax + 1e-9; i++) {
		double x = px(f, i * xs);
		put(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#888888\"/>"
		       "<text x=\"%.1f\" y=\"%.1f\">%.0f</text>\n",
		    x, bottom, x, bottom + 5, x, bottom + 18, i * xs);
	}
	put(o, "</g>\n<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", (f->x0 + f->x1) / 2,
	    bottom + 40);
	esc(o, xtitle);
	put(o, "</text>\n<text transform=\"translate(18 %.1f) rotate(-90)\" text-anchor=\"middle\">"
	       "speedup over the input%s</text>\n",
	    (f->y0 + f->y1) / 2, f->ys.log ? " (log scale)" : "");
	/* the input's level, for reference */
	put(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999999\" "
	       "stroke-dasharray=\"5 4\"/>\n", f->x0, py(f, 1), f->x1, py(f, 1));
}

static void empty_note(struct out *o, const struct frame *f, const char *text)
{
	put(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"14\" "
	       "fill=\"#888888\">", (f->x0 + f->x1) / 2, (f->y0 + f->y1) / 2 - 12);
	esc(o, text);
	put(o, "</text>\n");
}

/* A legend row: a swatch drawn by the caller's markup, then the label. */
static void legend_label(struct out *o, double x, double y, const char *label)
{
	put(o, "<text x=\"%.1f\" y=\"%.1f\">", x + 28, y + 4);
	esc(o, label);
	put(o, "</text>\n");
}

/* ---- candidates by number ---- */

/* x is the candidate's number: #N is drawn at x = N (the input, #0, at 0).
 * Numbers are given in the order candidates are made, so left to right
 * is also the course of the search. A duplicate (the same code as an
 * earlier candidate, whose result it reused) and a pending candidate are
 * not points: neither was evaluated (figures.h). */
struct pt {
	const struct cand_row *c;
	double speedup;   /* over the input; 0: no time */
};

/* Where point q is drawn: at its speedup, or in the lane under the frame
 * when it has none. */
static double pt_y(const struct frame *f, const struct pt *q)
{
	return q->speedup > 0 ? py(f, q->speedup) : lane_y(f);
}

static int pt_cmp(const void *a, const void *b)
{
	const struct pt *x = a, *y = b;
	return x->c->num < y->c->num ? -1 : x->c->num > y->c->num;
}

static const struct cand_row *input_of(const struct svg_kernel *k)
{
	for (int i = 0; i < k->ncands; i++)
		if (k->cands[i].num == 0)
			return &k->cands[i];
	return NULL;
}

/* The highest candidate number of k (0 when it has none). */
static int64_t max_num(const struct svg_kernel *k)
{
	int64_t m = 0;
	for (int i = 0; i < k->ncands; i++)
		if (k->cands[i].num > m)
			m = k->cands[i].num;
	return m;
}

/* The evaluated candidates of k (the input included) by number (a new
 * array, count in *n), with their speedups over candidate 0. NULL on OOM. */
static struct pt *eval_order(const struct svg_kernel *k, int *n)
{
	struct pt *p = calloc((size_t)k->ncands + 1, sizeof(*p));
	*n = 0;
	if (!p)
		return NULL;
	const struct cand_row *in = input_of(k);
	for (int i = 0; i < k->ncands; i++) {
		const struct cand_row *c = &k->cands[i];
		if (c->outcome == AC_PENDING || cand_is_duplicate(c))
			continue;
		p[*n].c = c;
		/* the figure every view shows (re-timed where the run did) */
		p[*n].speedup = cand_speedup(in, c);
		(*n)++;
	}
	qsort(p, (size_t)*n, sizeof(*p), pt_cmp);
	return p;
}

static int pt_find(const struct pt *p, int n, int64_t num)
{
	for (int i = 0; i < n; i++)
		if (p[i].c->num == num)
			return i;
	return -1;
}

/* The Okabe-Ito palette (told apart with the common colour-vision
 * deficiencies too), and a shape per outcome so that colour is never the
 * only difference; a pending candidate is no point. */
static const char *const outcome_colors[AC_OUTCOMES] = {
	[AC_OK] = "#0072B2",
	[AC_WRONG] = "#E69F00",
	[AC_BUILD_ERROR] = "#D55E00",
	[AC_RUN_ERROR] = "#CC79A7",
	[AC_TIMEOUT] = "#56B4E9",
	[AC_FAILED] = "#7A7A7A",
};
enum shape { SH_CIRCLE, SH_TRIANGLE, SH_SQUARE, SH_DIAMOND, SH_TRIANGLE_DOWN, SH_RING };
static const enum shape outcome_shapes[AC_OUTCOMES] = {
	[AC_OK] = SH_CIRCLE,
	[AC_WRONG] = SH_TRIANGLE,
	[AC_BUILD_ERROR] = SH_SQUARE,
	[AC_RUN_ERROR] = SH_DIAMOND,
	[AC_TIMEOUT] = SH_TRIANGLE_DOWN,
	[AC_FAILED] = SH_RING,
};
#define STEP_COLOR "#009E73"
#define PATH_COLOR "#F0C400"
#define COMBINE_COLOR "#7b3294"

/* Opens a marker element of shape at (x, y), size r; the caller adds a
 * <title> (or nothing) and closes it with marker_close. */
static void marker_open(struct out *o, enum shape sh, double x, double y, double r,
                        const char *color)
{
	switch (sh) {
	case SH_CIRCLE:
		put(o, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\">", x, y, r, color);
		return;
	case SH_RING:
		put(o, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"#ffffff\" stroke=\"%s\" "
		       "stroke-width=\"1.6\">", x, y, r * 0.85, color);
		return;
	case SH_SQUARE:
		put(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">",
		    x - r * 0.85, y - r * 0.85, r * 1.7, r * 1.7, color);
		return;
	case SH_TRIANGLE:
	case SH_TRIANGLE_DOWN: {
		double d = sh == SH_TRIANGLE ? 1 : -1;
		put(o, "<polygon points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f\" fill=\"%s\">", x,
		    y - d * r * 1.1, x - r, y + d * r * 0.8, x + r, y + d * r * 0.8, color);
		return;
	}
	case SH_DIAMOND:
		put(o, "<polygon points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f\" fill=\"%s\">", x,
		    y - r * 1.2, x + r * 1.2, y, x, y + r * 1.2, x - r * 1.2, y, color);
		return;
	}
}

static void marker_close(struct out *o, enum shape sh)
{
	put(o, sh == SH_CIRCLE || sh == SH_RING ? "</circle>\n"
	       : sh == SH_SQUARE ? "</rect>\n" : "</polygon>\n");
}

static void point_title(struct out *o, const struct pt *p)
{
	const struct cand_row *c = p->c;
	char d[32];
	put(o, "<title>#%lld", (long long)c->num);
	if (c->num > 0) {
		put(o, " (iteration %d, ", c->iteration);
		esc_n(o, cand_origin_name(c->origin), 20);
		if (c->parent2 > 0)
			put(o, ", parents #%lld and #%lld", (long long)c->parent, (long long)c->parent2);
		if (cand_is_duplicate(c))
			put(o, ", same code as #%lld", (long long)c->same_as);
		put(o, ")");
	}
	put(o, ": ");
	esc_n(o, ac_outcome_name(c->outcome), 20);
	if (p->speedup > 0)
		put(o, ", %s, %.2f" TIMES, fmt_duration(cand_time(c), d, sizeof(d)), p->speedup);
	if (c->option && c->option[0]) {
		put(o, " [");
		esc_n(o, c->option, 100);
		put(o, "]");
	}
	if (p->speedup <= 0 && c->message && c->message[0]) {
		put(o, ": ");
		esc_n(o, c->message, 120);
	}
	put(o, "</title>");
}

/* The x of a point: its candidate number. */
static double xn(const struct pt *p)
{
	return (double)p->c->num;
}

/* The best-so-far step line of p[0..n) (by number) as a path, to x = xend;
 * false if nothing had a time. */
static bool step_path(struct out *o, const struct frame *f, const struct pt *p, int n,
                      double xend, const char *color, double width, const char *dash)
{
	double best = 0;
	for (int i = 0; i < n; i++) {
		if (!(p[i].speedup > best))
			continue;
		if (best == 0)
			put(o, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"%.1f\"%s%s%s "
			       "stroke-linejoin=\"round\" d=\"M%.1f %.1f", color, width,
			    dash ? " stroke-dasharray=\"" : "", dash ? dash : "", dash ? "\"" : "",
			    px(f, xn(&p[i])), py(f, p[i].speedup));
		else
			put(o, " H%.1f V%.1f", px(f, xn(&p[i])), py(f, p[i].speedup));
		best = p[i].speedup;
	}
	if (best == 0)
		return false;
	put(o, " H%.1f\"/>\n", px(f, xend));
	return true;
}

static void range_of(const struct pt *p, int n, double *lo, double *hi)
{
	for (int i = 0; i < n; i++) {
		if (!(p[i].speedup > 0))
			continue;
		if (p[i].speedup < *lo)
			*lo = p[i].speedup;
		if (p[i].speedup > *hi)
			*hi = p[i].speedup;
	}
}

/* Widens [lo, hi] to the best-so-far values of p[0..n): its first time
 * and its last best (the line only climbs). */
static void best_range(const struct pt *p, int n, double *lo, double *hi)
{
	double best = 0;
	for (int i = 0; i < n; i++) {
		if (!(p[i].speedup > best))
			continue;
		if (best == 0 && p[i].speedup < *lo)
			*lo = p[i].speedup;
		best = p[i].speedup;
	}
	if (best > *hi)
		*hi = best;
}

/* ---- kernels/NAME/progress.svg ---- */

#define PW 820
#define PH 490

/* The subtitle: the counts and the times, as status and metrics.json say
 * them (figures.h). */
static void progress_subtitle(const struct svg_kernel *k, const struct pt *p, int n, int ib,
                              char *sub, size_t len)
{
	struct cand_tally t;
	char counted[200], d0[32], db[32];
	cand_tally(k->cands, k->ncands, &t);
	cand_tally_words(&t, counted, sizeof(counted));
	const struct cand_row *in = input_of(k);
	int64_t in_ns, b_ns;
	if (ib >= 0 && cand_figures(in, p[ib].c, &in_ns, &b_ns))
		snprintf(sub, len, "%s " DASH " input %s, best %s", counted,
		         fmt_duration(in_ns, d0, sizeof(d0)), fmt_duration(b_ns, db, sizeof(db)));
	else if (in && in->outcome != AC_PENDING && !cand_time(in))
		snprintf(sub, len, "%s; the input has no time (%s), so nothing has a speedup",
		         counted, ac_outcome_name(in->outcome));
	else
		snprintf(sub, len, "%s", counted);
	(void)n;
}

/* A dotted line from each parent of every combined candidate; whether
 * there was one. */
static bool combined_lines(struct out *o, const struct frame *f, const struct pt *p, int n)
{
	bool combined = false;
	for (int i = 0; i < n; i++) {
		if (p[i].c->parent2 <= 0)
			continue;
		int64_t parents[2] = {p[i].c->parent, p[i].c->parent2};
		double y = pt_y(f, &p[i]);
		for (int j = 0; j < 2; j++) {
			int q = pt_find(p, n, parents[j]);
			if (q < 0)
				continue;
			put(o, "<line class=\"combined\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
			        "stroke=\"" COMBINE_COLOR "\" stroke-width=\"1.2\" stroke-dasharray=\"2 3\">"
			        "<title>#%lld combines #%lld and #%lld</title></line>\n",
			    px(f, xn(&p[q])), pt_y(f, &p[q]),
			    px(f, xn(&p[i])), y, (long long)p[i].c->num, (long long)parents[0],
			    (long long)parents[1]);
			combined = true;
		}
	}
	return combined;
}

/* The progress chart's legend, right of the frame: its lines, then a
 * marker per outcome with the count metrics.json gives it. */
static void progress_legend(struct out *o, const struct frame *f, bool combined,
                            const struct cand_tally *tally)
{
	double lx = f->x1 + 22, ly = f->y0 + 8;
	put(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"" STEP_COLOR "\" "
	        "stroke-width=\"2.5\"/>\n", lx, ly, lx + 20, ly);
	legend_label(o, lx, ly, "best so far");
	ly += 22;
	put(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"" PATH_COLOR "\" "
	        "stroke-width=\"6\" stroke-opacity=\"0.55\" stroke-linecap=\"round\"/>"
	        "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"6\" fill=\"none\" stroke=\"#000000\" "
	        "stroke-width=\"1.5\"/>\n", lx + 2, ly, lx + 18, ly, lx + 10, ly);
	legend_label(o, lx, ly, "path to best");
	ly += 22;
	put(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999999\" "
	        "stroke-dasharray=\"5 4\"/>\n", lx, ly, lx + 20, ly);
	legend_label(o, lx, ly, "the input (1" TIMES ")");
	if (combined) {
		ly += 22;
		put(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\""
		        COMBINE_COLOR "\" stroke-width=\"1.2\" stroke-dasharray=\"2 3\"/>\n",
		    lx, ly, lx + 20, ly);
		legend_label(o, lx, ly, "combined: both parents");
	}
	ly += 30;
	for (int oc = 0; oc < AC_OUTCOMES; oc++) {
		if (oc == AC_PENDING)
			continue;   /* counted under the legend: not drawn */
		char label[64];
		snprintf(label, sizeof(label), "%s (%d)", ac_outcome_name(oc), tally->outcome[oc]);
		marker_open(o, outcome_shapes[oc], lx + 10, ly, 4.5, outcome_colors[oc]);
		marker_close(o, outcome_shapes[oc]);
		legend_label(o, lx, ly, label);
		ly += 20;
	}
	put(o, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" fill=\"#666666\">not drawn: %d "
	        "duplicate%s, %d pending</text>\n", lx, ly + 4, tally->duplicates,
	    tally->duplicates == 1 ? "" : "s", tally->pending);
}

int svg_progress(struct strbuf *sb, const struct svg_kernel *k)
{
	struct out o = {sb, 0};
	int n;
	struct pt *p = eval_order(k, &n);
	if (!p)
		return -ENOMEM;
	double lo = 1, hi = 1;
	range_of(p, n, &lo, &hi);
	int64_t last = max_num(k);
	struct frame f = {.x0 = 72, .x1 = 610, .y0 = 62, .y1 = 380, .xmax = x_extent(last),
	                  .ys = y_scale(lo, hi), .lane = true};
	/* the legend counts as metrics.json does (figures.h): a duplicate under
	 * the outcome it reused, the input not counted */
	struct cand_tally tally;
	cand_tally(k->cands, k->ncands, &tally);

	/* the beam's path: parents from the best back to the input */
	int *chain = calloc((size_t)n + 1, sizeof(*chain));
	int nchain = 0;
	if (!chain) {
		free(p);
		return -ENOMEM;
	}
	for (int64_t num = k->best; num >= 0 && nchain < n;) {
		int i = pt_find(p, n, num);
		if (i < 0)
			break;
		chain[nchain++] = i;
		num = p[i].c->parent;
	}
	int ib = nchain ? chain[0] : -1;

	char title[400], sub[400];
	const char *name = k->name ? k->name : "";
	if (ib >= 0 && p[ib].speedup > 0)
		snprintf(title, sizeof(title), "%s " DASH " best %.2f" TIMES " (#%lld)", name,
		         p[ib].speedup, (long long)p[ib].c->num);
	else
		snprintf(title, sizeof(title), "%s " DASH " no speedup yet", name);
	progress_subtitle(k, p, n, ib, sub, sizeof(sub));
	char doctitle[300];
	snprintf(doctitle, sizeof(doctitle), "%s: progress", name);
	doc_open(&o, PW, PH, doctitle);
	headline(&o, &f, title, sub);
	draw_frame(&o, &f, "candidate number (#0 is the input; numbered in the order they were made)");
	if (!n)
		empty_note(&o, &f, "no candidates evaluated yet");

	/* path to best, under everything else */
	if (nchain > 1) {
		put(&o, "<polyline fill=\"none\" stroke=\"" PATH_COLOR "\" stroke-width=\"6\" "
		        "stroke-opacity=\"0.55\" stroke-linejoin=\"round\" stroke-linecap=\"round\" "
		        "points=\"");
		for (int j = nchain - 1; j >= 0; j--) {
			int i = chain[j];
			put(&o, "%s%.1f,%.1f", j == nchain - 1 ? "" : " ", px(&f, xn(&p[i])),
			    pt_y(&f, &p[i]));
		}
		put(&o, "\"/>\n");
	}
	step_path(&o, &f, p, n, (double)last, STEP_COLOR, 2.5, NULL);

	/* combined candidates: a dotted line from each of the two parents */
	bool combined = combined_lines(&o, &f, p, n);

	put(&o, "<g stroke=\"#ffffff\" stroke-width=\"0.8\">\n");
	for (int i = 0; i < n; i++) {
		double y = pt_y(&f, &p[i]);
		enum ac_outcome oc = p[i].c->outcome;
		marker_open(&o, outcome_shapes[oc], px(&f, xn(&p[i])), y, n > 400 ? 2.5 : 3.8,
		            outcome_colors[oc]);
		point_title(&o, &p[i]);
		marker_close(&o, outcome_shapes[oc]);
	}
	put(&o, "</g>\n");
	for (int j = 0; j < nchain; j++) {
		int i = chain[j];
		put(&o, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%d\" fill=\"none\" stroke=\"#000000\" "
		        "stroke-width=\"1.5\"/>\n", px(&f, xn(&p[i])),
		    pt_y(&f, &p[i]), j == 0 ? 8 : 6);
	}
	/* the best's label, beside it; drawn twice, the first time as a white
	 * halo so that lines under it do not cross the digits (SVG 1.1 has no
	 * paint-order) */
	bool right_half = ib >= 0 && xn(&p[ib]) > f.xmax / 2;
	for (int halo = 1; ib >= 0 && p[ib].speedup > 0 && halo >= 0; halo--)
		put(&o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-weight=\"bold\"%s>"
		        "#%lld %.2f" TIMES "</text>\n", px(&f, xn(&p[ib])) + (right_half ? -12 : 12),
		    py(&f, p[ib].speedup) + (py(&f, p[ib].speedup) < f.y0 + 20 ? 18 : 4),
		    right_half ? "end" : "start",
		    halo ? " fill=\"#ffffff\" stroke=\"#ffffff\" stroke-width=\"4\" "
		           "stroke-linejoin=\"round\"" : "",
		    (long long)p[ib].c->num, p[ib].speedup);

	progress_legend(&o, &f, combined, &tally);
	put(&o, "</svg>\n");
	free(chain);
	free(p);
	return o.rc;
}

/* ---- /progress.svg ---- */

static const char *const palette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                      "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
#define NPALETTE (sizeof(palette) / sizeof(palette[0]))
static const char *const dashes[] = {NULL, "7 4", "2 3"};
#define NDASHES (sizeof(dashes) / sizeof(dashes[0]))

/* Kernel k's line: ten colours, then the same ten dashed, then dotted;
 * past thirty, hues spread by the golden angle. Each line also carries its
 * number (k + 1) at its end and in the legend, so no two kernels look the
 * same however many there are. */
static const char *line_color(int k, char *buf, size_t len)
{
	if ((size_t)k < NPALETTE * NDASHES)
		return palette[(size_t)k % NPALETTE];
	snprintf(buf, len, "hsl(%d,70%%,%d%%)", (k * 137) % 360, 35 + (k % 3) * 10);
	return buf;
}

static const char *line_dash(int k)
{
	return dashes[((size_t)k / NPALETTE) % NDASHES];
}

bool svg_searched(const struct svg_kernel *k)
{
	struct cand_tally t;
	cand_tally(k->cands, k->ncands, &t);
	return t.evaluated > 0 || t.duplicates > 0;
}

int svg_overview(struct strbuf *sb, const struct svg_kernel *ks, int n)
{
	struct out o = {sb, 0};
	struct pt **pts = calloc((size_t)n + 1, sizeof(*pts));
	int *cnt = calloc((size_t)n + 1, sizeof(*cnt));
	int rc = pts && cnt ? 0 : -ENOMEM;
	for (int k = 0; !rc && k < n; k++) {
		pts[k] = eval_order(&ks[k], &cnt[k]);
		if (!pts[k])
			rc = -ENOMEM;
	}
	if (rc)
		goto out;
	double lo = 1, hi = 1;
	int64_t xmax = 0;
	struct cand_tally all = {0};
	int searched = 0;
	for (int k = 0; k < n; k++) {
		if (!svg_searched(&ks[k]))
			continue;
		searched++;
		best_range(pts[k], cnt[k], &lo, &hi);
		if (max_num(&ks[k]) > xmax)
			xmax = max_num(&ks[k]);
		struct cand_tally t;
		cand_tally(ks[k].cands, ks[k].ncands, &t);
		cand_tally_add(&all, &t);
	}
	int h = 90 + 22 * n > 470 ? 90 + 22 * n : 470;
	struct frame f = {.x0 = 72, .x1 = 590, .y0 = 62, .y1 = 400, .xmax = x_extent(xmax),
	                  .ys = y_scale(lo, hi)};
	char sub[300], counted[200];
	cand_tally_words(&all, counted, sizeof(counted));
	snprintf(sub, sizeof(sub), "%d kernel%s, %d searched: %s", n, n == 1 ? "" : "s", searched,
	         counted);
	doc_open(&o, 820, h, "autocompfs: progress of every kernel");
	headline(&o, &f, "autocompfs " DASH " best speedup so far", sub);
	draw_frame(&o, &f, "candidate number (each kernel's own; #0 is its input)");
	if (!n)
		empty_note(&o, &f, "no kernels yet");
	else if (!searched)
		empty_note(&o, &f, "no kernel searched yet");
	double lx = f.x1 + 22, ly = f.y0 + 8;
	for (int k = 0; k < n; k++) {
		char cbuf[32];
		const char *color = line_color(k, cbuf, sizeof(cbuf));
		const char *dash = line_dash(k);
		bool searched_k = svg_searched(&ks[k]);
		double best = 0;
		int at = -1;
		for (int i = 0; i < cnt[k]; i++)
			if (pts[k][i].speedup > best) {
				best = pts[k][i].speedup;
				at = i;
			}
		/* the kernel's best is the run's verdict, not the highest point */
		for (int i = 0; ks[k].best >= 0 && i < cnt[k]; i++)
			if (pts[k][i].c->num == ks[k].best) {
				best = pts[k][i].speedup;
				at = i;
			}
		struct cand_tally t;
		cand_tally(ks[k].cands, ks[k].ncands, &t);
		int64_t last = max_num(&ks[k]);
		bool failed = ks[k].state == RS_FAILED;
		if (searched_k && step_path(&o, &f, pts[k], cnt[k], (double)last, color, 2.5, dash)) {
			put(&o, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"><title>", px(&f, last),
			    py(&f, best), color);
			esc(&o, ks[k].name);
			put(&o, ": best %.2f" TIMES " (#%lld) of %d candidate%s</title></circle>\n", best,
			    at >= 0 ? (long long)pts[k][at].c->num : 0LL, t.candidates,
			    t.candidates == 1 ? "" : "s");
			put(&o, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" fill=\"%s\">%d</text>\n",
			    px(&f, last) + 6, py(&f, best) - 5, color, k + 1);
		}
		char label[160];
		const char *word = run_state_name(ks[k].state);
		if (!searched_k)
			snprintf(label, sizeof(label), " " DASH " not searched (%s)", word);
		else if (best > 0)
			snprintf(label, sizeof(label), " %.2f" TIMES " (#%lld) of %d%s", best,
			         at >= 0 ? (long long)pts[k][at].c->num : 0LL, t.candidates,
			         failed ? ", failed" : "");
		else if (failed)
			snprintf(label, sizeof(label), " " DASH " failed");
		else
			snprintf(label, sizeof(label), " " DASH " no time yet");
		put(&o, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\" "
		        "fill=\"%s\">%d</text>\n", lx - 4, ly + 4, color, k + 1);
		put(&o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
		        "stroke-width=\"3\"%s%s%s%s/>\n<text x=\"%.1f\" y=\"%.1f\">", lx, ly, lx + 20,
		    ly, color, dash ? " stroke-dasharray=\"" : "", dash ? dash : "", dash ? "\"" : "",
		    searched_k ? "" : " stroke-opacity=\"0.25\"", lx + 28, ly + 4);
		esc_n(&o, ks[k].name, 40);
		esc(&o, label);
		put(&o, "</text>\n");
		ly += 22;
	}
	put(&o, "</svg>\n");
	rc = o.rc;
out:
	for (int k = 0; pts && k < n; k++)
		free(pts[k]);
	free(pts);
	free(cnt);
	return rc;
}

/* ---- a small chart for a table cell ---- */

int svg_spark(struct strbuf *sb, const struct svg_kernel *k, int w, int h)
{
	struct out o = {sb, 0};
	int n;
	struct pt *p = eval_order(k, &n);
	if (!p)
		return -ENOMEM;
	double lo = 1, hi = 1;
	best_range(p, n, &lo, &hi);
	int64_t last = max_num(k);
	struct frame f = {.x0 = 2, .x1 = w - 2, .y0 = 3, .y1 = h - 3, .xmax = x_extent(last),
	                  .ys = y_scale(lo, hi)};
	put(&o, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"spark\" width=\"%d\" "
	        "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\"><title>", w, h, w, h);
	esc(&o, k->name);
	put(&o, ": best so far by candidate number</title>\n<rect x=\"0\" y=\"0\" width=\"%d\" "
	        "height=\"%d\" fill=\"#f6f6f6\"/>\n<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
	        "y2=\"%.1f\" stroke=\"#999999\" stroke-dasharray=\"3 3\"/>\n", w, h, f.x0,
	    py(&f, 1), f.x1, py(&f, 1));
	if (svg_searched(k))
		step_path(&o, &f, p, n, (double)last, STEP_COLOR, 2, NULL);
	put(&o, "</svg>");
	free(p);
	return o.rc;
}
