/*
 * tune.c - runs the tuner's points through the real evaluation pipeline.
 *
 * Each point is an ordinary candidate: its source is the parent's with the
 * knob #define lines rewritten, its plan says what changed
 * ("tune: TILE_M 32 -> 64"), and it is built (in parallel) and timed
 * (alone) like any other. Points that fail to build or are wrong are
 * reported to the tuner as failures and skipped.
 */
#include "engine/tune.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/config.h"
#include "engine/knob.h"
#include "engine/reuse.h"
#include "engine/tuner.h"
#include "engine/util.h"

struct point_batch {
	struct run_ctx *rc;
	const struct knob_set *ks;
	const char *parent_src;
	int64_t parent;
	const int *base;           /* the parent's choices */
	const int *points;         /* n points of ks->count ints */
	int64_t *times;            /* out: time or 0 */
	int iteration;
};

static void describe(const struct knob_set *ks, const int *base, const int *p,
                     struct strbuf *sb)
{
	sb_adds(sb, "tune:");
	bool any = false;
	for (int i = 0; i < ks->count; i++) {
		const char *from = base[i] >= 0 ? ks->knobs[i].values[base[i]] : ks->knobs[i].value;
		if (base[i] == p[i])
			continue;
		sb_addf(sb, "%s %s %s -> %s", any ? "," : "", ks->knobs[i].name, from,
		        ks->knobs[i].values[p[i]]);
		any = true;
	}
	if (!any)
		sb_adds(sb, " (no change)");
}

static void eval_point(void *arg, int i)
{
	struct point_batch *b = arg;
	struct run_ctx *rc = b->rc;
	const int *p = b->points + (size_t)i * (size_t)b->ks->count;
	b->times[i] = 0;
	if (run_cancelled(rc))
		return;
	char *src = knob_apply(b->parent_src, b->ks, p);
	if (!src)
		return;
	struct strbuf plan = {0};
	describe(b->ks, b->base, p, &plan);
	struct cand_row c = {0};
	c.num = -1;
	c.parent = b->parent;
	c.iteration = b->iteration;
	c.origin = strdup("tune");
	c.plan = sb_detach(&plan);
	c.option = strdup("tune knobs");
	c.source = src;
	if (run_add_candidate(rc, &c) == 0) {
		struct ac_result r;
		if (run_evaluate(rc, c.num, &r) == 0 && r.outcome == AC_OK) {
			b->times[i] = r.time_ns;
			run_offer_best(rc, c.num, r.time_ns);
		}
		ac_result_clear(&r);
	}
	cand_row_clear(&c);
}

int tune_candidate(struct run_ctx *rc, int64_t num, int budget)
{
	return tune_candidate_from(rc, num, budget, NULL);
}

int tune_candidate_from(struct run_ctx *rc, int64_t num, int budget, char *const *steps)
{
	struct cand_row c;
	if (store_cand_get(engine_writer(rc->e), rc->rid, num, &c))
		return 0;
	struct knob_set ks;
	char err[300];
	int evaluated = 0;
	if (strcmp(c.outcome, "ok") || knob_parse(c.source, &ks, err, sizeof(err)) || ks.count == 0) {
		if (err[0] && strcmp(c.outcome, "pending"))
			run_log(rc, "tune: #%lld: %s", (long long)num, err);
		cand_row_clear(&c);
		return 0;
	}
	int *base = calloc((size_t)ks.count, sizeof(int));
	int batch = run_parallel(rc);
	int *points = calloc((size_t)batch * (size_t)ks.count, sizeof(int));
	int64_t *times = calloc((size_t)batch, sizeof(int64_t));
	struct tuner *t = NULL;
	if (base && points && times) {
		for (int i = 0; i < ks.count; i++)
			base[i] = ks.knobs[i].current;
		/* schedule reuse: start where the donor's tuning ended */
		int *start = calloc((size_t)ks.count, sizeof(int));
		if (start) {
			memcpy(start, base, (size_t)ks.count * sizeof(int));
			int set = steps ? reuse_knob_values(steps, &ks, start) : 0;
			for (int i = 0; i < ks.count; i++)
				if (start[i] < 0)
					start[i] = base[i];
			if (set)
				run_log(rc, "reuse: the tuner starts from the donor's values of %d knobs", set);
		}
		t = tuner_new(&ks, start ? start : base, (size_t)budget,
		              rc->cfg.seed ? rc->cfg.seed : (uint64_t)rc->rid * 31 + (uint64_t)num);
		free(start);
	}
	if (t) {
		size_t space = knob_space_size(&ks);
		run_log(rc, "tune: #%lld has %d knobs, %zu points; trying at most %d", (long long)num,
		        ks.count, space, budget);
		/* the parent is a point already measured */
		bool base_valid = true;
		for (int i = 0; i < ks.count; i++)
			base_valid = base_valid && base[i] >= 0;
		if (base_valid)
			tuner_report(t, base, c.time_ns);
		for (;;) {
			if (run_cancelled(rc))
				break;
			if (rc->cfg.max_candidates > 0 && rc->evaluated >= rc->cfg.max_candidates)
				break;
			int n = tuner_next(t, points, batch);
			if (n <= 0)
				break;
			struct point_batch b = {rc, &ks, c.source, num, base, points, times, c.iteration};
			run_tasks(n, n, eval_point, &b);
			for (int i = 0; i < n; i++)
				tuner_report(t, points + (size_t)i * (size_t)ks.count,
				             times[i] > 0 ? times[i] : -1);
			evaluated += n;
			double sp = rc->best_time_ns > 0 ? (double)rc->input_time_ns / rc->best_time_ns : 1;
			run_progress(rc, "tuning", "tuning #%lld: %zu/%d points, best %.2fx (#%lld)",
			             (long long)num, tuner_evaluated(t), budget, sp, (long long)rc->best_num);
		}
	}
	tuner_free(t);
	free(base);
	free(points);
	free(times);
	knob_set_clear(&ks);
	cand_row_clear(&c);
	return run_cancelled(rc) ? -ECANCELED : evaluated;
}

/* True when some candidate was already tuned from num (resume, beam). */
static bool tuned_before(struct run_ctx *rc, int64_t num)
{
	struct cand_row *rows;
	int n;
	bool yes = false;
	if (store_cand_list(engine_writer(rc->e), rc->rid, &rows, &n))
		return false;
	for (int i = 0; i < n && !yes; i++)
		yes = rows[i].parent == num && !strcmp(rows[i].origin, "tune");
	cand_rows_free(rows, n);
	return yes;
}

void tune_beam(struct run_ctx *rc, const int64_t *beam, int n)
{
	for (int i = 0; i < n && !run_cancelled(rc); i++) {
		if (tuned_before(rc, beam[i]))
			continue;
		tune_candidate(rc, beam[i], TUNE_BEAM_BUDGET);
	}
}

int tune_phase(struct run_ctx *rc)
{
	int budget = rc->cfg.max_candidates > 0 ? rc->cfg.max_candidates : TUNE_DEFAULT_BUDGET;
	/* resumed: pending points left by a killed daemon are evaluated first */
	int64_t *pending;
	int np;
	if (store_cand_pending(engine_writer(rc->e), rc->rid, &pending, &np) == 0) {
		for (int i = 0; i < np && !run_cancelled(rc); i++) {
			struct ac_result r;
			if (run_evaluate(rc, pending[i], &r) == 0 && r.outcome == AC_OK)
				run_offer_best(rc, pending[i], r.time_ns);
			ac_result_clear(&r);
		}
		free(pending);
	}
	run_status(rc, "tuning", "tuning: searching the input's knobs (no model; at most %d points)",
	           budget);
	char **steps = NULL;
	int nsteps = reuse_steps(rc, &steps);
	int got = tune_candidate_from(rc, 0, budget, nsteps ? steps : NULL);
	strv_free(steps);
	if (got < 0 || run_cancelled(rc))
		return -ECANCELED;
	/* re-time the fastest few so noise cannot crown a winner */
	run_finalists(rc, "tuning");
	if (run_cancelled(rc))
		return -ECANCELED;
	char d1[32], d2[32];
	double sp = rc->best_time_ns > 0 ? (double)rc->input_time_ns / rc->best_time_ns : 1.0;
	run_status(rc, "done", "done: tuned %d points, best %.2fx (#%lld, %s vs %s)", got, sp,
	           (long long)rc->best_num, fmt_duration(rc->best_time_ns, d1, sizeof(d1)),
	           fmt_duration(rc->input_time_ns, d2, sizeof(d2)));
	return 0;
}
