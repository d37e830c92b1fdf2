/*
 * tune.c - runs the tuner's points through the real evaluation pipeline.
 *
 * Each point is an ordinary candidate: its source is the parent's with the
 * knob #define lines rewritten, its plan says what changed
 * ("tune: TILE_M 32 -> 64"), and it is built (in parallel) and timed
 * (alone) like any other. Points that fail to build or are wrong are
 * reported to the tuner as failures and skipped.
 *
 * A daemon killed while tuning resumes the same run: the points it left
 * pending are evaluated first, and every point already evaluated is told
 * to the new tuner before it proposes anything, so no point is built
 * twice and the budget (max_candidates) counts them.
 */
#include "engine/search/tune.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/host.h"
#include "engine/core/config.h"
#include "engine/search/knob.h"
#include "engine/search/reuse.h"
#include "engine/search/tuner.h"
#include "engine/util/util.h"

struct point_batch {
	struct run_ctx *rc;
	const struct knob_set *ks;
	const char *parent_src;
	int64_t parent;
	const int *base;           /* the parent's choices */
	const int *points;         /* n points of ks->count ints */
	int64_t *times;            /* out: time or 0 */
	int64_t *nums;             /* out: candidate number or -1 */
	int iteration;
	size_t done_before;        /* points the tuner had before this batch */
	int budget;
	atomic_int finished;       /* points of this batch evaluated so far */
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
	b->nums[i] = -1;
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
	c.origin = ORIGIN_TUNE;
	c.plan = sb_detach(&plan);
	c.option = strdup("tune knobs");
	c.source = src;
	if (!run_take_candidate(rc)) {
		cand_row_clear(&c);
		return;
	}
	if (run_cand_add(rc, &c) != 0) {
		run_give_back_candidate(rc);
	} else {
		struct ac_result r;
		b->nums[i] = c.num;
		if (run_evaluate(rc, c.num, &r) == 0 && r.outcome == AC_OK) {
			b->times[i] = r.time_ns;
			host_stored(run_offer_best(rc, c.num, r.time_ns, r.spread), "the best so far");
		}
		ac_result_clear(&r);
		/* status follows every point, so it never lags the log's "best:" */
		size_t done = b->done_before + (size_t)atomic_fetch_add(&b->finished, 1) + 1;
		double sp = rc->best_time_ns > 0 ? (double)rc->input_time_ns / rc->best_time_ns : 1;
		if (!run_cancelled(rc))
			run_progress(rc, RS_TUNING, "tuning #%lld: %zu/%d points, best %.2fx (#%lld)",
			             (long long)b->parent, done, b->budget, sp,
			             (long long)rc->best_num);
	}
	cand_row_clear(&c);
}

/* A daemon killed while tuning left points of num already evaluated in the
 * store: tells each to the tuner (so none is proposed again and each counts
 * against the budget) and returns how many, or 0 on a fresh start. */
static int replay_points(struct run_ctx *rc, int64_t num, const struct knob_set *ks,
                         struct tuner *t, int64_t *best_ns)
{
	struct cand_row *rows;
	int n, kept = 0;
	int *choice = calloc((size_t)ks->count, sizeof(int));
	*best_ns = 0;
	if (!choice || store_cand_list(rc->host->writer, rc->rid, &rows, &n)) {
		free(choice);
		return 0;
	}
	for (int i = 0; i < n; i++) {
		if (rows[i].parent != num || rows[i].origin != ORIGIN_TUNE ||
		    rows[i].outcome == AC_PENDING)
			continue;
		struct cand_row c;
		if (store_cand_get(rc->host->writer, rc->rid, rows[i].num, &c))
			continue;
		struct knob_set pk;
		char err[200];
		if (knob_parse(c.source, &pk, err, sizeof(err)) == 0 && pk.count == ks->count) {
			bool valid = true;
			for (int k = 0; k < ks->count; k++) {
				choice[k] = pk.knobs[k].current;
				valid = valid && choice[k] >= 0;
			}
			if (valid) {
				bool ok = c.outcome == AC_OK && c.time_ns > 0;
				tuner_report(t, choice, ok ? c.time_ns : -1);
				if (ok && (*best_ns == 0 || c.time_ns < *best_ns))
					*best_ns = c.time_ns;
				kept++;
			}
		}
		knob_set_clear(&pk);
		cand_row_clear(&c);
	}
	cand_rows_free(rows, n);
	free(choice);
	return kept;
}

/* The donor's point: base with the knob values the reused steps end
 * with. Returns how many knobs the steps set (0: no donor point), and
 * logs which. */
static int donor_point(struct run_ctx *rc, const struct knob_set *ks, const int *base,
                       char *const *steps, int *donor)
{
	int set = reuse_knob_values(steps, ks, donor);
	if (set <= 0)
		return 0;
	struct strbuf sb = {0};
	bool moved = false;
	for (int i = 0; i < ks->count; i++) {
		if (donor[i] < 0)
			donor[i] = base[i];
		if (donor[i] != base[i]) {
			sb_addf(&sb, "%s%s %s", moved ? ", " : "", ks->knobs[i].name,
			        ks->knobs[i].values[donor[i]]);
			moved = true;
		}
	}
	if (moved)
		run_log(rc, "reuse: the tuner tries the donor's values first (%s), beside the "
		        "exploration of a free run", sb.buf ? sb.buf : "");
	else
		run_log(rc, "reuse: the donor's values are this kernel's own: a free run");
	sb_release(&sb);
	return moved ? set : 0;
}

/* Says in the log what became of the donor's point (#num). */
static void say_donor(struct run_ctx *rc, enum tuner_donor state, int64_t num)
{
	char at[32] = "";
	if (num >= 0)
		snprintf(at, sizeof(at), " (#%lld)", (long long)num);
	switch (state) {
	case TUNER_DONOR_FOLLOWED:
		run_log(rc, "reuse: the donor's point%s is the best so far: the search goes on "
		        "around it", at);
		break;
	case TUNER_DONOR_BEATEN:
		run_log(rc, "reuse: the exploration found better than the donor's point%s: the "
		        "search goes on as a free run", at);
		break;
	case TUNER_DONOR_LEFT:
		run_log(rc, "reuse: the donor's neighbours stopped improving: the search goes on "
		        "from the best point outside its region");
		break;
	default:
		break;
	}
}

int tune_candidate(struct run_ctx *rc, int64_t num, int budget)
{
	return tune_candidate_from(rc, num, budget, NULL);
}

int tune_candidate_from(struct run_ctx *rc, int64_t num, int budget, char *const *steps)
{
	struct cand_row c;
	if (store_cand_get(rc->host->writer, rc->rid, num, &c))
		return 0;
	struct knob_set ks;
	char err[300];
	int evaluated = 0;
	if (c.outcome != AC_OK || knob_parse(c.source, &ks, err, sizeof(err)) ||
	    ks.count == 0) {
		if (err[0] && c.outcome != AC_PENDING)
			run_log(rc, "tune: #%lld: %s", (long long)num, err);
		cand_row_clear(&c);
		return 0;
	}
	int *base = calloc((size_t)ks.count, sizeof(int));
	int batch = run_parallel(rc);
	int *points = calloc((size_t)batch * (size_t)ks.count, sizeof(int));
	int64_t *times = calloc((size_t)batch, sizeof(int64_t));
	int64_t *nums = calloc((size_t)batch, sizeof(int64_t));
	int *donor = calloc((size_t)ks.count, sizeof(int));
	struct tuner *t = NULL;
	if (base && points && times && nums && donor) {
		for (int i = 0; i < ks.count; i++)
			base[i] = ks.knobs[i].current;
		t = tuner_new(&ks, base, (size_t)budget,
		              rc->cfg.seed ? rc->cfg.seed : (uint64_t)rc->rid * 31 + (uint64_t)num);
		/* schedule reuse: the donor's values are tried first, a head
		 * start beside the free search (tuner.c) */
		if (!t || !steps || donor_point(rc, &ks, base, steps, donor) <= 0 ||
		    tuner_set_donor(t, donor) < 0) {
			free(donor);
			donor = NULL;
		}
	}
	if (t) {
		size_t space = knob_space_size(&ks);
		run_log(rc, "tune: #%lld has %d knob%s, %zu points; trying at most %d",
		        (long long)num, ks.count, ks.count == 1 ? "" : "s", space, budget);
		/* the parent is a point already measured */
		bool base_valid = true;
		for (int i = 0; i < ks.count; i++)
			base_valid = base_valid && base[i] >= 0;
		if (base_valid)
			tuner_report(t, base, c.time_ns);
		enum tuner_donor said = tuner_donor_state(t);
		int64_t donor_num = -1;
		int64_t kept_best = 0;
		int kept = replay_points(rc, num, &ks, t, &kept_best);
		if (kept > 0) {
			char d[32] = "-";
			if (kept_best > 0)
				fmt_duration(kept_best, d, sizeof(d));
			run_log(rc, "tune: resumed after restart: kept %d evaluated point%s of #%lld "
			        "(fastest %s), %zu of %d left to try", kept, kept == 1 ? "" : "s",
			        (long long)num, d,
			        tuner_evaluated(t) < (size_t)budget ? (size_t)budget - tuner_evaluated(t)
			                                             : 0, budget);
			evaluated += kept;
		}
		for (;;) {
			if (run_cancelled(rc))
				break;
			/* the run's budget may end before this candidate's */
			int left = run_candidates_left(rc);
			int n = left > 0 ? tuner_next(t, points, batch < left ? batch : left) : 0;
			if (n <= 0)
				break;
			struct point_batch b = {rc, &ks, c.source, num, base, points, times, nums,
			                        c.iteration, tuner_evaluated(t), budget, 0};
			run_tasks(n, n, eval_point, &b);
			for (int i = 0; i < n; i++) {
				const int *p = points + (size_t)i * (size_t)ks.count;
				tuner_report(t, p, times[i] > 0 ? times[i] : -1);
				if (donor && !memcmp(p, donor, (size_t)ks.count * sizeof(int)))
					donor_num = nums[i];
			}
			if (tuner_donor_state(t) != said) {
				said = tuner_donor_state(t);
				say_donor(rc, said, donor_num);
			}
			evaluated += n;
			double sp = rc->best_time_ns > 0 ? (double)rc->input_time_ns / rc->best_time_ns : 1;
			run_progress(rc, RS_TUNING, "tuning #%lld: %zu/%d points, best %.2fx (#%lld)",
			             (long long)num, tuner_evaluated(t), budget, sp, (long long)rc->best_num);
		}
	}
	tuner_free(t);
	free(base);
	free(points);
	free(times);
	free(nums);
	free(donor);
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
	if (store_cand_list(rc->host->writer, rc->rid, &rows, &n))
		return false;
	for (int i = 0; i < n && !yes; i++)
		yes = rows[i].parent == num && rows[i].origin == ORIGIN_TUNE;
	cand_rows_free(rows, n);
	return yes;
}

void tune_beam(struct run_ctx *rc, const int64_t *members, int n)
{
	for (int i = 0; i < n && !run_cancelled(rc); i++) {
		if (tuned_before(rc, members[i]))
			continue;
		tune_candidate(rc, members[i], TUNE_BEAM_BUDGET);
	}
}

int tune_phase(struct run_ctx *rc)
{
	int budget = rc->cfg.max_candidates > 0 ? rc->cfg.max_candidates : TUNE_DEFAULT_BUDGET;
	/* resumed: pending points left by a killed daemon are evaluated first */
	int64_t *pending;
	int np;
	if (store_cand_pending(rc->host->writer, rc->rid, &pending, &np) == 0) {
		for (int i = 0; i < np && !run_cancelled(rc); i++) {
			struct ac_result r;
			if (run_evaluate(rc, pending[i], &r) == 0 && r.outcome == AC_OK)
				host_stored(run_offer_best(rc, pending[i], r.time_ns, r.spread),
				            "the best so far");
			ac_result_clear(&r);
		}
		free(pending);
	}
	/* the run's state says tuning too (metrics.json shows both) */
	run_set_state(rc, RS_TUNING);
	run_status(rc, RS_TUNING, "tuning: searching the input's knobs (no model; at most %d points)",
	           budget);
	char **steps = NULL;
	int nsteps = reuse_steps(rc, &steps);
	int got = tune_candidate_from(rc, 0, budget, nsteps ? steps : NULL);
	strv_free(steps);
	if (got < 0 || run_cancelled(rc))
		return -ECANCELED;
	/* re-time the fastest few so noise cannot crown a winner */
	int err = run_finalists(rc, RS_TUNING);
	if (err)
		return err;
	if (run_cancelled(rc))
		return -ECANCELED;
	char best[300];
	run_best_words(rc, best, sizeof(best));
	run_status(rc, RS_DONE, "done: tuned %d points, %s", got, best);
	return 0;
}
