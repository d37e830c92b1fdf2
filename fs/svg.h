/*
 * svg.h - progress charts of a search, as SVG 1.1 text.
 *
 * Pure rendering: candidate rows in, SVG out. No store, no FUSE, no engine
 * state; render.c hands in the rows it already caches. The charts are
 * meant for people (a browser, an image viewer, rsvg-convert -o x.png).
 */
#ifndef AC_SVG_H
#define AC_SVG_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"
#include "engine/util/util.h"

/* One kernel's latest run, as the charts see it. Nothing is owned: the
 * rows stay the caller's. */
struct svg_kernel {
	const char *name;
	const struct cand_row *cands;  /* the run's candidates, any order */
	int ncands;
	int64_t best;                  /* the run's best candidate number; -1: none */
	enum run_state state;          /* the kernel's */
};

/* kernels/NAME/progress.svg: x = the candidate's number (#N at x = N,
 * the input at 0), y = speedup over the input (log scale when the range is wide);
 * the best speedup so far as a step line; every candidate a point coloured
 * by outcome (failures in a lane under the plot); the chain of parents from
 * the best back to the input highlighted. Appends the document to sb.
 * Returns 0 or -ENOMEM (sb then holds a partial document: release it). */
int svg_progress(struct strbuf *sb, const struct svg_kernel *k);

/* Whether k's run got past its baseline: some candidate besides the
 * input was evaluated or reused. The root chart and page show a kernel
 * that did not as "not searched", never as a result. */
bool svg_searched(const struct svg_kernel *k);

/* /progress.svg: every kernel's best-so-far step line on one chart, one
 * legend entry per kernel. n may be 0. Returns 0 or -ENOMEM, as above. */
int svg_overview(struct strbuf *sb, const struct svg_kernel *ks, int n);

/* A small best-so-far line of k, w x h pixels, for a table cell (an
 * inline <svg> element, no XML declaration). 0 or -ENOMEM, as above. */
int svg_spark(struct strbuf *sb, const struct svg_kernel *k, int w, int h);

/* Appends at most max bytes of s as XML/HTML character data: markup
 * escaped, control characters as spaces, bytes that are not UTF-8 as
 * '?'; "..." after it when s went on past max and mark_cut. 0 or -ENOMEM. */
int svg_escape(struct strbuf *sb, const char *s, size_t max, bool mark_cut);

#endif
