/*
 * html.h - the index.html pages of the mount: a kernel, and every kernel.
 *
 * Pure rendering, like svg.h: what render.c already holds for the other
 * views goes in (the candidate rows, the status line, the charts, the
 * schedule), one self-contained HTML document comes out. Every count and
 * figure on a page is computed by engine/core/figures.h from the same
 * rows, so the page says what status and metrics.json say.
 *
 * Self-contained: inline CSS and SVG, no script, no network; links are
 * relative (plans/N.md, candidates/N.c, candidates/N.log), so the page
 * works opened from the mount with file://. While a run goes on the page
 * refreshes itself every HTML_REFRESH_S seconds (a meta refresh); once
 * the kernel rests (waiting, done, stopped, failed) it does not.
 */
#ifndef AC_HTML_H
#define AC_HTML_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"
#include "engine/util/util.h"

#define HTML_REFRESH_S 5

/* One kernel as the pages show it. Nothing is owned: every pointer stays
 * the caller's, and any of the strings may be NULL (then left out). */
struct html_kernel {
	const char *name;
	enum run_state state;
	const char *status;           /* the whole status line */
	const struct cand_row *cands; /* the latest run's candidates, any order */
	int ncands;
	int64_t best;                 /* the run's best candidate; -1: none */
	const char *target;           /* the run's target; NULL: no run yet */
	const char *ext;              /* the input's extension ("c") */
	long tokens;                  /* as metrics.json says */
	double cost;                  /* dollars */
	bool priced;                  /* cost is known (a price table applies) */
	double wall_s;                /* the run's wall time so far */
	const char *input;            /* the run's input text (for the diff) */
	const char *best_src;         /* best.EXT's text (for the diff) */
	const char *schedule;         /* the schedule file's text */
	const char *chart;            /* progress.svg's text */
};

/* kernels/NAME/index.html: the status, the figures, the chart, the
 * schedule, every candidate as a table row (id, parent, iteration, the
 * plan's first line, model, outcome, time, speedup, "same as #N"; its
 * plan, code and log a click away) and a diff of best against the input.
 * Appends to sb; 0 or -ENOMEM (sb then holds a partial page: release it). */
int html_kernel_page(struct strbuf *sb, const struct html_kernel *k);

/* /index.html: every kernel (state, best speedup with its interval, a
 * small chart, candidates, tokens and cost), the chart of every kernel
 * (root_chart, may be NULL) and the engine's totals line (totals, the
 * root status's last line; may be NULL). 0 or -ENOMEM, as above. */
int html_root_page(struct strbuf *sb, const struct html_kernel *ks, int n, const char *totals,
                   const char *root_chart);

/* Whether a kernel in state is at rest (no run going on): its pages stop
 * refreshing. */
bool html_at_rest(enum run_state state);

#endif
