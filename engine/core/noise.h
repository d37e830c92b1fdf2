/*
 * noise.h - when a timing difference is real: the rules that decide
 * whether a candidate is faster than the incumbent, kept pure so that
 * every rule is unit-tested (tests/test_noise.c), like engine/search/tuner.h.
 *
 * Two rules:
 *  - during a search, a candidate's first measurement moves best.c only
 *    when it beats the best so far by more than both measurements' spread
 *    and at least AC_NOISE_FLOOR (noise_first_beats);
 *  - before a run is done, the finalists and the incumbent are timed again
 *    interleaved, round after round (A B C A B C ...), and a finalist
 *    replaces the incumbent only when the family-wise 95% confidence
 *    interval of its time ratio to the incumbent lies below 1 by a margin
 *    (noise_paired_ratio_k):
 *    the ratio of each round is paired, so a slow spell of the machine
 *    that hits both in the same round cancels out. The rounds stop as
 *    soon as every finalist's verdict is decided (struct noise_final,
 *    below), at most the cap the caller gives.
 */
#ifndef AC_NOISE_H
#define AC_NOISE_H

#include <stdbool.h>
#include <stdint.h>

/* The smallest relative difference a single measurement can claim. */
#define AC_NOISE_FLOOR 0.02

/* What the interleaved comparison's interval must clear besides 1: a
 * bias the pairing cannot see (the order within a round, the cache state
 * one program leaves the next) must not pass for a gain. */
#define AC_NOISE_MARGIN 0.01

/* Does a first measurement t (relative spread s, (q3-q1)/median) beat the
 * best so far t_best (spread s_best)? True when t < t_best * (1 - m) with
 * m = max(AC_NOISE_FLOOR, s + s_best). A best of 0 or less is beaten by
 * any t > 0. */
bool noise_first_beats(int64_t t, double s, int64_t t_best, double s_best);

/* The paired comparison of a candidate with the incumbent. */
struct noise_ratio {
	int rounds;       /* paired rounds used */
	double ratio;     /* geometric mean of candidate/incumbent times: < 1 is faster */
	double lo, hi;    /* its 95% confidence interval (Student's t on the logs) */
	bool faster;      /* hi < 1: faster beyond the noise */
};

/* Compares cand[i] with inc[i] (times of round i, > 0) over n rounds.
 * Rounds where either is <= 0 are skipped. With fewer than 2 usable
 * rounds the interval is unbounded (lo 0, hi +inf) and faster is false.
 * faster: hi < 1 - AC_NOISE_MARGIN. Returns the number of rounds used. */
int noise_paired_ratio(const int64_t *cand, const int64_t *inc, int n, struct noise_ratio *out);

/* The same as one of k_cmp comparisons with the same incumbent: the
 * interval is the family's 95% (two-sided 0.05 / k_cmp each). */
int noise_paired_ratio_k(const int64_t *cand, const int64_t *inc, int n, int k_cmp,
                         struct noise_ratio *out);

/* ---- the final verdict, round after round ----
 *
 * The caller times the members the rule needs, once a round, and reports
 * each round; the rule says after every round which members the next one
 * needs and whether the verdict is decided:
 *
 *     noise_final_init(&v, members, cap);
 *     (noise_final_absent(&v, j) for a finalist that cannot be timed)
 *     while (!v.done) {
 *         for each j with v.need[j]: times[j] = a timed run of member j (0: failed)
 *         noise_final_round(&v, times);      // times[j] of the others: not read
 *     }
 *     v.winner: 0 (the incumbent stays) or the finalist that replaces it
 *
 * Member 0 is the incumbent, 1..members-1 the k finalists. From round
 * NOISE_FIRST_LOOK on (fewer rounds cannot estimate the noise well enough
 * to decide anything), each open finalist's paired interval of its time
 * ratio to the incumbent (as noise_paired_ratio_k, at the level below)
 * makes its call:
 *
 *   FASTER  the interval lies below 1 - AC_NOISE_MARGIN;
 *   SLOWER  it lies above 1;
 *   FUTILE  neither, and even were it AC_NOISE_GAIN faster (or as much
 *           faster as it reads, if more), the chance that the rounds left
 *           up to the cap end with its interval below 1 - AC_NOISE_MARGIN
 *           is under AC_NOISE_HOPE (stochastic curtailment: the rounds
 *           left could not change the verdict, so they are not run).
 *
 * Each FASTER finalist is compared with every other live one (OPEN or
 * FASTER) on the rounds both ran, the same way: the other is
 *
 *   BEATEN  when its ratio to this one lies above 1;
 *   EVEN    (an OPEN one only) when that ratio lies within AC_NOISE_FLOOR
 *           of 1 either way, or the rounds left could not tell them
 *           apart (as for FUTILE, were they AC_NOISE_FLOOR apart): it
 *           cannot be told faster than this one, which is already FASTER.
 *
 * Two FASTER finalists within the floor or not to be told apart are both
 * settled. A call, once made, stands; the finalist's figures (struct
 * noise_ratio) are those of the round that made it, an open one's those
 * of the last round. The next round needs every OPEN finalist, the
 * incumbent while any finalist is OPEN, and a FASTER finalist while its
 * comparison with another live finalist is unsettled. Done when it needs
 * none, or after cap rounds. The winner is the FASTER finalist with the
 * smallest ratio to the incumbent, else the incumbent.
 *
 * Error rates. An interval is looked at once a round, and the looks share
 * the error: the last round (cap) half, the rounds from NOISE_FIRST_LOOK
 * to cap - 1 the other half in equal parts (all of it at the cap when cap
 * <= NOISE_FIRST_LOOK). Summed over the looks (a union bound, with no
 * assumption on how the looks depend on each other, so the true rates are
 * lower), with k finalists and independent normal per-round log ratios:
 *
 *   - a finalist whose true ratio to the incumbent is 0.99 or more
 *     (identical code: 1) is called FASTER with probability at most
 *     2.5%/k, so no such finalist is crowned in at least 97.5% of
 *     searches (the stops for FUTILE and EVEN only ever stop, so they
 *     cannot raise this rate);
 *   - a finalist that is in truth faster than the incumbent is called
 *     SLOWER with probability at most 2.5%/k;
 *   - a finalist is BEATEN by one that is in truth no faster, or called
 *     EVEN by the floor with one it is in truth more than AC_NOISE_FLOOR
 *     faster than, with probability at most 2.5%/k per pair.
 *
 * What stopping early costs and buys is measured by simulation in
 * tests/test_noise.c (fixed seeds, k = 4, cap 7, a machine whose speed
 * drifts 20% between rounds): identical copies are crowned in under 2.5%
 * of searches, with 3% noise per run and with runs that now and then take
 * 1.5-3x; a finalist 3% faster than the incumbent, with 0.8% noise in the
 * per-round ratio, is still crowned in 90% of searches or more; a
 * finalist twice as fast among slower ones, with 5% noise, is decided in
 * at most 4 rounds in 90% of searches; copies and finalists that cannot be
 * told apart stop long before the cap.
 */

/* The smallest gain the final verdict sets out to find: a finalist stops
 * being timed when even this gain could no longer be shown by the cap. */
#define AC_NOISE_GAIN 0.03

/* Below this chance of being decided by the cap, a comparison is not
 * worth its rounds. */
#define AC_NOISE_HOPE 0.05

#define NOISE_FIRST_LOOK 3      /* the first round after which anything is decided */
#define NOISE_MAX_MEMBERS 8     /* the incumbent and up to 7 finalists */
#define NOISE_MAX_ROUNDS 100    /* the largest cap */

enum noise_call {
	NOISE_OPEN,      /* undecided */
	NOISE_FASTER,    /* faster than the incumbent beyond the noise */
	NOISE_SLOWER,    /* slower than the incumbent beyond the noise */
	NOISE_FUTILE,    /* not faster, and the rounds left could not show it faster */
	NOISE_BEATEN,    /* slower than a FASTER finalist (by) beyond the noise */
	NOISE_EVEN,      /* not to be told faster than a FASTER finalist (by) */
	NOISE_ABSENT,    /* not timed at all (noise_final_absent) */
};

/* "open", "faster", ... (for logs and verdicts). */
const char *noise_call_name(enum noise_call c);

struct noise_finalist {
	enum noise_call call;
	int by;                    /* BEATEN, EVEN: the FASTER finalist that settled it */
	int decided_round;         /* the round that made the call, 0 while open */
	struct noise_ratio nr;     /* its ratio to the incumbent (see above) */
};

struct noise_final {
	int members;               /* 1 + finalists, 2..NOISE_MAX_MEMBERS */
	int cap;                   /* rounds at most, 2..NOISE_MAX_ROUNDS */
	int rounds;                /* rounds reported so far */
	bool done;                 /* decided, or the cap reached: time no more */
	int winner;                /* the FASTER finalist with the smallest ratio, or 0 */
	bool need[NOISE_MAX_MEMBERS];                /* the next round times these */
	struct noise_finalist f[NOISE_MAX_MEMBERS];  /* [0], the incumbent: unused */
	int64_t t[NOISE_MAX_MEMBERS][NOISE_MAX_ROUNDS];  /* times; 0: not timed or failed */
};

/* Starts a verdict over members (clamped to 2..NOISE_MAX_MEMBERS) with
 * at most cap rounds (clamped to 2..NOISE_MAX_ROUNDS). Every member is
 * needed in the first round. */
void noise_final_init(struct noise_final *v, int members, int cap);

/* Finalist j (1..members-1) cannot be timed (it did not build): it is
 * ABSENT and never needed. Call before the first round. */
void noise_final_absent(struct noise_final *v, int j);

/* Records the next round: times[j] (> 0, or 0 for a failed run) for
 * every j with need[j] set; the others are not read. Updates the calls,
 * need, done and winner. Returns done. A call after done changes nothing. */
bool noise_final_round(struct noise_final *v, const int64_t *times);

/* The share of the error spent when a comparison reaches n paired rounds
 * in a verdict of at most cap rounds (see above): 0 before the first
 * look; the shares of n = 1..cap sum to 1. */
double noise_look_share(int n, int cap);

/* The p-quantile of Student's t with df degrees of freedom (closed forms
 * for df 1 and 2, Newton steps on noise_t_upper beyond: within 1e-9). */
double noise_t_quantile(double p, int df);

/* P(T > t) for Student's t with df >= 1 degrees of freedom (exact). */
double noise_t_upper(double t, int df);

/* noise_t_quantile(0.975, df): the two-sided 95% quantile. */
double noise_t95(int df);

#endif
