/*
 * autocomp.h - the harness library: everything a test harness needs to
 * check a candidate against the reference and time it, header-only.
 *
 * A harness is an ordinary program with main(). The target compiles it
 * together with the candidate (the function being optimized, say gemm) and
 * the reference: the run's original input with every global renamed ref_
 * (ref_gemm). The harness reports one JSON line on a private descriptor the
 * target hands it, never on stdout, which the candidate shares:
 *
 *     {"correct":true,"time_ns":19520000,"samples":16,"spread":0.004,"message":""}
 *
 * The pattern (tests/kernels/gemm/harness.c is this, in full):
 *
 *     #include <autocomp.h>
 *
 *     void gemm(int M, int N, int K, const float *A, const float *B, float *C);
 *     void ref_gemm(int M, int N, int K, const float *A, const float *B, float *C);
 *
 *     int main(int argc, char **argv)
 *     {
 *         int M = 256, N = 256, K = 256;
 *         ac_init(argc, argv);                      // report fd, fresh RNG seed
 *         float *A = ac_alloc_f32(M * K), *B = ac_alloc_f32(K * N);
 *         float *want = ac_alloc_f32(M * N), *got = ac_alloc_f32(M * N);
 *         ac_fill_f32(A, M * K, -1, 1);              // new random inputs every run
 *         ac_fill_f32(B, K * N, -1, 1);
 *         ac_protect(A);                             // writing an input now crashes
 *         ac_protect(B);
 *         ref_gemm(M, N, K, A, B, want);
 *         ac_protect(want);                          // so does writing the answer
 *         ac_fill_nan_f32(got, M * N);               // nothing left over counts
 *         gemm(M, N, K, A, B, got);
 *         ac_check_close_f32("C", got, want, M * N, 1e-3, 1e-3);
 *         ac_fill_nan_f32(got, M * N);
 *         AC_TIME(gemm(M, N, K, A, B, got));         // warm-up, then median of reps
 *         ac_check_close_f32("C", got, want, M * N, 1e-3, 1e-3);  // timed calls were real
 *         return ac_report();
 *     }
 *
 * Run by hand (no AC_REPORT_FD in the environment) the report goes to
 * stdout:
 *
 *     $ ./candidate
 *     {"correct":true,"time_ns":19544311,"samples":16,"spread":0.0031,"message":""}
 *     $ AC_SEED=42 AC_MIN_TIME_S=1 ./candidate      # fixed inputs, longer timing
 *
 * The cpu target runs this same harness as a *judge* (AC_JUDGE,
 * autocomp_judge.h): the candidate's functions run in a process of their
 * own, and each call the harness makes is forwarded there by a generated
 * stub with the function's prototype. What that asks of a harness:
 *
 *  - pass the candidate only ac_alloc memory (a pointer elsewhere is a
 *    harness error) and scalars: integers, enums, pointers, float, double
 *    (no struct by value, no varargs, no function pointers, no pointers to
 *    pointers: refused at build time, naming the parameter);
 *  - declare inputs const: a const pointer is mapped read-only into the
 *    candidate's process, and writing it ends the run in words;
 *  - make inputs with ac_fill_* and check outputs with ac_check_close_*
 *    before AC_TIME: the judge replays those fills with other seeds to make
 *    new input sets for the timed repetitions, computes their answers with
 *    the ref_ function, and checks every timed repetition's outputs with
 *    the rule of your last check on that buffer. Every round of sets runs
 *    in a fresh process of the candidate, so no cached answer helps it;
 *  - time one call in AC_TIME (with several calls the repetitions are
 *    timed, but not rotated; the report says why).
 *
 * The time of a repetition is then the judge's clock around the forwarded
 * call (the round trip of an empty call taken off, the output pages read,
 * the candidate's threads come to rest). The report gains a "judge" object
 * that says how the verdict was reached (forward_ns, sets, checked,
 * processes, rotation). Every harness in tests/kernels/ runs unchanged.
 *
 * Hardware figures: ac_metric("l2_misses", n) adds a number to the report
 * ("metrics":{"l2_misses":n}); the engine stores it with the candidate,
 * shows it in metrics.json and gives the parent's figures to the planning
 * model. Call it from the harness (the judge side) only: at most 32
 * names of letters, digits, '_', '.', '-', a letter or '_' first.
 *
 * Environment: AC_REPORT_FD (set by the target; removed by ac_init),
 * AC_SEED (fixed RNG seed, for debugging), AC_MIN_REPS (default 10),
 * AC_MIN_TIME_S (default 0.3), AC_MAX_REPS (default and ceiling 1000);
 * judged builds also AC_SETS (input sets, 1 turns rotation off); there
 * AC_MAX_REPS defaults to 200.
 *
 * Everything here is static (one harness is one translation unit) and
 * written in the common subset of C and C++, so nvcc can compile it too.
 * None of it is thread-safe; a harness is single-threaded where it calls it.
 */
#ifndef AUTOCOMP_H
#define AUTOCOMP_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define AC_MAX_REPS 1000

#if defined(__GNUC__)
#define AC__UNUSED __attribute__((unused))
#define AC__PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define AC__UNUSED
#define AC__PRINTF(a, b)
#endif

/* The library's state. Lives in the harness's translation unit. */
struct ac__state {
	int inited;
	int report_fd;          /* -1: report on stdout */
	uint64_t rng[4];        /* xoshiro256** */
	uint64_t seed;
	int failed;             /* a check failed or ac_fail was called */
	char message[512];      /* the first failure */
	int timed;              /* AC_TIME ran */
	int min_reps;
	int max_reps;
	double min_time_s;
	int nsamples;
	double samples[AC_MAX_REPS];
	double t_start;         /* AC_TIME's warm-up, then timing, start */
	int nmetrics;           /* ac_metric's figures, in call order */
	char metric_name[32][49];
	double metric_value[32];
};

static struct ac__state ac__s AC__UNUSED;

#ifdef AC_JUDGE
/* The judge build (autocomp_judge.h, included at the end) hooks these. */
static inline void *ac__j_alloc(size_t bytes);
static inline void ac__j_protect(const void *p);
static inline void ac__j_free(void *p);
static inline void ac__j_init(void);
static inline void ac__j_stop(void);
static inline void ac__j_time_begin(void);
static inline void ac__j_warm_exec(void);
static inline void ac__j_warm_done(void);
static inline void ac__j_rep_begin(void);
static inline double ac__j_rep_end(void);
static inline void ac__j_time_end(void);
static inline size_t ac__j_report(char *out, size_t cap);
#define AC__JUDGE_DO(x) x
#else
#define AC__JUDGE_DO(x) ((void)0)
#endif

static inline double ac__now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline uint64_t ac__splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline void ac__seed(uint64_t seed)
{
	uint64_t x = seed;
	int i;

	ac__s.seed = seed;
	for (i = 0; i < 4; i++)
		ac__s.rng[i] = ac__splitmix(&x);
}

/* --- random inputs --------------------------------------------------- */

static inline uint64_t ac__rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* One step of xoshiro256** on the four words of s. */
static inline uint64_t ac__xoshiro(uint64_t *s)
{
	uint64_t result = ac__rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = ac__rotl(s[3], 45);
	return result;
}

/* A 64-bit random number (xoshiro256**), seeded by ac_init. */
static inline uint64_t ac_rand(void)
{
	return ac__xoshiro(ac__s.rng);
}

/* The first failure's message wins; later ones only count. */
static inline void ac__vrecord(const char *fmt, va_list ap)
{
	if (!ac__s.failed)
		vsnprintf(ac__s.message, sizeof ac__s.message, fmt, ap);
	ac__s.failed = 1;
}

/* Marks the run incorrect with a printf-style message (the first one is
 * kept). Use it for checks the ac_check_* helpers do not cover. */
static inline AC__PRINTF(1, 2) void ac_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ac__vrecord(fmt, ap);
	va_end(ap);
}

static inline int ac_report(void);

/* Records a fatal harness error (stderr and the report), writes the report
 * and exits 1: the target turns that into a run error whose message
 * carries this text (the cuda and opencl headers' setup failures). */
static inline AC__PRINTF(1, 2) void ac_die(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "autocomp: %s\n", msg);
	fflush(stderr);
	ac_fail("%s", msg);
	ac_report();
	exit(1);
}

/* Reports a hardware figure (utilization, cache misses, instructions...)
 * with the result; a second call with the same name replaces the value.
 * A bad name, a value that is not finite or a 33rd name is left out with a
 * line on stderr: figures inform the search, they never decide a verdict. */
static inline void ac_metric(const char *name, double value)
{
	size_t n = name ? strlen(name) : 0;
	int i;

	for (size_t k = 0; k < n; k++) {
		char c = name[k];
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
		         (k > 0 && ((c >= '0' && c <= '9') || c == '.' || c == '-'));
		if (!ok)
			n = 0;
	}
	if (n == 0 || n > 48 || !isfinite(value)) {
		fprintf(stderr, "ac_metric: figure \"%s\" left out (bad name or value)\n",
		        name ? name : "(null)");
		return;
	}
	for (i = 0; i < ac__s.nmetrics; i++)
		if (!strcmp(ac__s.metric_name[i], name))
			break;
	if (i == 32) {
		fprintf(stderr, "ac_metric: more than 32 figures; \"%s\" left out\n", name);
		return;
	}
	snprintf(ac__s.metric_name[i], sizeof ac__s.metric_name[i], "%s", name);
	ac__s.metric_value[i] = value;
	if (i == ac__s.nmetrics)
		ac__s.nmetrics++;
}

static inline long ac__env_long(const char *name, long def, long lo, long hi)
{
	const char *v = getenv(name);
	char *end;
	long x;

	if (!v || !*v)
		return def;
	errno = 0;
	x = strtol(v, &end, 10);
	if (errno || *end || x < lo || x > hi)
		return def;
	return x;
}

/* Moves the report descriptor to a random high number below the
 * descriptor limit, close-on-exec, so a candidate cannot find it by
 * reading the environment or guessing the well-known number. */
static inline int ac__hide_fd(int fd)
{
	/* Its own random stream: AC_SEED must give the same inputs whether or
	 * not there is a report descriptor to hide. */
	uint64_t x = ac__s.seed ^ ((uint64_t)getpid() << 20) ^ (uint64_t)(ac__now_s() * 1e9);
	struct rlimit rl;
	long lim = 1024;
	int tries;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		lim = (long)rl.rlim_cur;
	if (lim > 65536)
		lim = 65536;
	for (tries = 0; tries < 64 && lim > 32; tries++) {
		int to = (int)(lim / 2 + (long)(ac__splitmix(&x) % (uint64_t)(lim / 2)));

		if (to == fd || fcntl(to, F_GETFD) >= 0)
			continue;   /* in use */
		if (dup2(fd, to) == to) {
			fcntl(to, F_SETFD, FD_CLOEXEC);
			close(fd);
			return to;
		}
	}
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fd;
}

/* Starts a harness: takes the report descriptor from AC_REPORT_FD (and
 * removes the variable), seeds the random generator from /dev/urandom
 * (AC_SEED=N fixes it) so every run gets fresh inputs, and reads the
 * timing settings. Call it first. argc/argv are accepted for future
 * options and not used now. */
static inline void ac_init(int argc, char **argv)
{
	const char *fdv = getenv("AC_REPORT_FD");
	const char *seedv = getenv("AC_SEED");
	uint64_t seed = 0;

	(void)argc;
	(void)argv;
	memset(&ac__s, 0, sizeof ac__s);
	ac__s.inited = 1;
	ac__s.report_fd = -1;
	if (seedv && *seedv) {
		seed = strtoull(seedv, NULL, 0);
	} else {
		int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

		if (fd < 0 || read(fd, &seed, sizeof seed) != (ssize_t)sizeof seed)
			seed = (uint64_t)(ac__now_s() * 1e9) ^ ((uint64_t)getpid() << 32);
		if (fd >= 0)
			close(fd);
	}
	ac__seed(seed);
	AC__JUDGE_DO(ac__j_init());
	if (fdv && *fdv) {
		char *end;
		long fd = strtol(fdv, &end, 10);

		if (!*end && fd > 2 && fd < 1 << 20 && fcntl((int)fd, F_GETFD) >= 0)
			ac__s.report_fd = ac__hide_fd((int)fd);
		unsetenv("AC_REPORT_FD");
	}
	ac__s.min_reps = (int)ac__env_long("AC_MIN_REPS", 10, 1, AC_MAX_REPS);
#ifdef AC_JUDGE
	/* a judged repetition costs a round trip and a check: a median of 200
	 * is as steady, and a fast kernel's run stays short */
	ac__s.max_reps = (int)ac__env_long("AC_MAX_REPS", 200, 1, AC_MAX_REPS);
#else
	ac__s.max_reps = (int)ac__env_long("AC_MAX_REPS", AC_MAX_REPS, 1, AC_MAX_REPS);
#endif
	if (ac__s.max_reps < ac__s.min_reps)
		ac__s.max_reps = ac__s.min_reps;
	ac__s.min_time_s = 0.3;
	{
		const char *t = getenv("AC_MIN_TIME_S");

		if (t && *t) {
			double v = strtod(t, NULL);

			if (v >= 0 && v <= 3600)
				ac__s.min_time_s = v;
		}
	}
}

/*
 * Every ac_fill_* is one description (struct ac__fill) run by one
 * generator (ac__gen), so that the judge can replay it with other seeds to
 * make other input sets of the same kind: a structured input (a
 * diagonally dominant matrix, a permutation) stays structured in every
 * set. Element types: f32, f64, the fixed-width integers and char.
 */
enum ac__etype {
	AC__E_F32 = 1, AC__E_F64, AC__E_I8, AC__E_I16, AC__E_I32, AC__E_I64,
	AC__E_U8, AC__E_U16, AC__E_U32, AC__E_U64, AC__E_CHAR
};

enum ac__shape {
	AC__F_UNIFORM = 1,   /* floats in [lo, hi), integers in [ilo, ilo + span] */
	AC__F_NAN,           /* NaN: an output the candidate must write */
	AC__F_NONZERO,       /* uniform, but never within (hi - lo) / 16 of zero; integers never 0 */
	AC__F_SORTED,        /* ascending: one value in each of n equal slices of the range */
	AC__F_PERM,          /* a permutation of 0 .. n-1 */
	AC__F_DIAGDOM,       /* an n x n matrix, off-diagonal uniform, each diagonal entry
	                        the sum of its row's magnitudes plus one */
	AC__F_SPD            /* the same, symmetric: positive definite */
};

struct ac__fill {
	int etype, shape;
	size_t n;            /* elements; for the matrix shapes the dimension (n x n) */
	double lo, hi;       /* float ranges */
	int64_t ilo;         /* integer ranges: ilo + [0, span] */
	uint64_t span;
};

static inline size_t ac__esize(int etype)
{
	switch (etype) {
	case AC__E_I8: case AC__E_U8: case AC__E_CHAR: return 1;
	case AC__E_I16: case AC__E_U16: return 2;
	case AC__E_F32: case AC__E_I32: case AC__E_U32: return 4;
	default: return 8;
	}
}

static inline int ac__is_float(int etype)
{
	return etype == AC__E_F32 || etype == AC__E_F64;
}

/* Elements a fill writes. */
static inline size_t ac__fill_count(const struct ac__fill *f)
{
	return f->shape == AC__F_DIAGDOM || f->shape == AC__F_SPD ? f->n * f->n : f->n;
}

/* Stores a value in element i of p, of the fill's element type. */
static inline void ac__put(void *p, int etype, size_t i, double d, uint64_t bits)
{
	switch (etype) {
	case AC__E_F32: ((float *)p)[i] = (float)d; break;
	case AC__E_F64: ((double *)p)[i] = d; break;
	case AC__E_I8: ((int8_t *)p)[i] = (int8_t)bits; break;
	case AC__E_I16: ((int16_t *)p)[i] = (int16_t)bits; break;
	case AC__E_I32: ((int32_t *)p)[i] = (int32_t)bits; break;
	case AC__E_I64: ((int64_t *)p)[i] = (int64_t)bits; break;
	case AC__E_U8: ((uint8_t *)p)[i] = (uint8_t)bits; break;
	case AC__E_U16: ((uint16_t *)p)[i] = (uint16_t)bits; break;
	case AC__E_U32: ((uint32_t *)p)[i] = (uint32_t)bits; break;
	case AC__E_U64: ((uint64_t *)p)[i] = bits; break;
	case AC__E_CHAR: ((char *)p)[i] = (char)bits; break;
	}
}

/* Element i of p as a double (floats and integers alike). */
static inline double ac__get(const void *p, int etype, size_t i)
{
	switch (etype) {
	case AC__E_F32: return ((const float *)p)[i];
	case AC__E_F64: return ((const double *)p)[i];
	case AC__E_I8: return ((const int8_t *)p)[i];
	case AC__E_I16: return ((const int16_t *)p)[i];
	case AC__E_I32: return ((const int32_t *)p)[i];
	case AC__E_I64: return (double)((const int64_t *)p)[i];
	case AC__E_U8: return ((const uint8_t *)p)[i];
	case AC__E_U16: return ((const uint16_t *)p)[i];
	case AC__E_U32: return ((const uint32_t *)p)[i];
	case AC__E_U64: return (double)((const uint64_t *)p)[i];
	default: return ((const char *)p)[i];
	}
}

/* A uniform double in [0, 1) from the generator state s. */
static inline double ac__unit_of(uint64_t *s)
{
	return (double)(ac__xoshiro(s) >> 11) * (1.0 / 9007199254740992.0);
}

/* ilo + a uniform draw from [0, span], as the bits of a 64-bit integer. */
static inline uint64_t ac__int_of(uint64_t *s, int64_t ilo, uint64_t span)
{
	uint64_t r = ac__xoshiro(s);

	return (uint64_t)ilo + (span == UINT64_MAX ? r : r % (span + 1));
}

/* Runs the fill f into p with the generator state s (four words). */
static inline void ac__gen(void *p, const struct ac__fill *f, uint64_t *s)
{
	int fl = ac__is_float(f->etype);
	double w = f->hi - f->lo;
	size_t i, j, n = f->n;

	switch (f->shape) {
	case AC__F_UNIFORM:
		for (i = 0; i < n; i++) {
			if (fl)
				ac__put(p, f->etype, i, f->lo + w * ac__unit_of(s), 0);
			else
				ac__put(p, f->etype, i, 0, ac__int_of(s, f->ilo, f->span));
		}
		break;
	case AC__F_NAN:
		for (i = 0; i < n; i++)
			ac__put(p, f->etype, i, nan(""), 0);
		break;
	case AC__F_NONZERO:
		for (i = 0; i < n; i++) {
			int tries;

			for (tries = 0; tries < 64; tries++) {
				if (fl) {
					double d = f->lo + w * ac__unit_of(s);

					if (fabs(d) >= w / 16) {
						ac__put(p, f->etype, i, d, 0);
						break;
					}
				} else {
					uint64_t b = ac__int_of(s, f->ilo, f->span);

					ac__put(p, f->etype, i, 0, b);
					if (ac__get(p, f->etype, i) != 0)
						break;
				}
			}
			if (tries == 64)   /* a range of (almost) only zero */
				ac__put(p, f->etype, i, fl ? (fabs(f->hi) > fabs(f->lo) ? f->hi : f->lo) : 0,
				        (uint64_t)f->ilo + f->span);
		}
		break;
	case AC__F_SORTED:
		for (i = 0; i < n; i++) {
			double t = ((double)i + ac__unit_of(s)) / (double)n;

			if (fl)
				ac__put(p, f->etype, i, f->lo + w * t, 0);
			else
				ac__put(p, f->etype, i, 0,
				        (uint64_t)f->ilo + (uint64_t)((double)f->span * t));
		}
		break;
	case AC__F_PERM:
		for (i = 0; i < n; i++)
			ac__put(p, f->etype, i, (double)i, (uint64_t)i);
		for (i = n; i > 1; i--) {
			size_t k = (size_t)(ac__xoshiro(s) % i);
			double a = ac__get(p, f->etype, i - 1), b = ac__get(p, f->etype, k);

			ac__put(p, f->etype, i - 1, b, (uint64_t)b);
			ac__put(p, f->etype, k, a, (uint64_t)a);
		}
		break;
	case AC__F_DIAGDOM:
	case AC__F_SPD:
		for (i = 0; i < n; i++)
			for (j = 0; j < n; j++)
				if (i != j && (f->shape == AC__F_DIAGDOM || j > i))
					ac__put(p, f->etype, i * n + j, f->lo + w * ac__unit_of(s), 0);
		for (i = 0; i < n; i++) {
			double sum = 1;

			for (j = 0; j < n; j++) {
				if (f->shape == AC__F_SPD && j < i)
					ac__put(p, f->etype, i * n + j, ac__get(p, f->etype, j * n + i), 0);
				if (j != i)
					sum += fabs(ac__get(p, f->etype, i * n + j));
			}
			ac__put(p, f->etype, i * n + i, sum, 0);
		}
		break;
	}
}

#ifdef AC_JUDGE
static inline void ac__j_record_fill(const void *p, const struct ac__fill *f);
#endif

/* Runs a fill from the harness's own random stream and tells the judge. */
static inline void ac__fill(void *p, int etype, int shape, size_t n, double lo, double hi,
                            int64_t ilo, uint64_t span)
{
	struct ac__fill f;

	memset(&f, 0, sizeof f);
	f.etype = etype;
	f.shape = shape;
	f.n = n;
	f.lo = lo;
	f.hi = hi;
	f.ilo = ilo;
	f.span = span;
	if (!p || n == 0)
		return;
	ac__gen(p, &f, ac__s.rng);
	AC__JUDGE_DO(ac__j_record_fill(p, &f));
}

/* The span of [lo, hi] for the integer fills (0 when hi < lo). */
static inline uint64_t ac__span(int64_t lo, int64_t hi)
{
	return hi < lo ? 0 : (uint64_t)hi - (uint64_t)lo;
}

/* Fills p[0..n) with uniform random values in [lo, hi). Every ac_fill_*
 * draws new values on every run (ac_init seeds them), and in the judge
 * every input set draws its own. */
static inline void ac_fill_f32(float *p, size_t n, float lo, float hi)
{
	ac__fill(p, AC__E_F32, AC__F_UNIFORM, n, lo, hi, 0, 0);
}

static inline void ac_fill_f64(double *p, size_t n, double lo, double hi)
{
	ac__fill(p, AC__E_F64, AC__F_UNIFORM, n, lo, hi, 0, 0);
}

/* Fills p[0..n) with NaN: an output the candidate does not write then
 * fails the check instead of passing with stale values. */
static inline void ac_fill_nan_f32(float *p, size_t n)
{
	ac__fill(p, AC__E_F32, AC__F_NAN, n, 0, 0, 0, 0);
}

static inline void ac_fill_nan_f64(double *p, size_t n)
{
	ac__fill(p, AC__E_F64, AC__F_NAN, n, 0, 0, 0, 0);
}

/* Integers, uniform in [lo, hi], both included (an image in uint8_t,
 * indices in int32_t, a histogram's input). */
#define AC__FILL_INT(name, T, E, LT)                                           \
	static inline void ac_fill_##name(T *p, size_t n, LT lo, LT hi)        \
	{                                                                        \
		ac__fill(p, E, AC__F_UNIFORM, n, 0, 0, (int64_t)lo,                \
		         hi < lo ? 0 : (uint64_t)hi - (uint64_t)lo);                \
	}
AC__FILL_INT(i8, int8_t, AC__E_I8, int64_t)
AC__FILL_INT(i16, int16_t, AC__E_I16, int64_t)
AC__FILL_INT(i32, int32_t, AC__E_I32, int64_t)
AC__FILL_INT(i64, int64_t, AC__E_I64, int64_t)
AC__FILL_INT(u8, uint8_t, AC__E_U8, uint64_t)
AC__FILL_INT(u16, uint16_t, AC__E_U16, uint64_t)
AC__FILL_INT(u32, uint32_t, AC__E_U32, uint64_t)
AC__FILL_INT(u64, uint64_t, AC__E_U64, uint64_t)
AC__FILL_INT(char, char, AC__E_CHAR, int64_t)

/* The float fills of a shape: ac_fill_SHAPE_f32 and ac_fill_SHAPE_f64. */
#define AC__FILL_FLOATS(shape, E)                                                    \
	static inline void ac_fill_##shape##_f32(float *p, size_t n, float lo, float hi) \
	{                                                                              \
		ac__fill(p, AC__E_F32, E, n, lo, hi, 0, 0);                            \
	}                                                                              \
	static inline void ac_fill_##shape##_f64(double *p, size_t n, double lo,      \
	                                         double hi)                            \
	{                                                                              \
		ac__fill(p, AC__E_F64, E, n, lo, hi, 0, 0);                            \
	}

/* ac_fill_nonzero_f32/f64: values that are never zero (divisors, scales):
 * uniform in [lo, hi), redrawn while within (hi - lo) / 16 of zero. */
AC__FILL_FLOATS(nonzero, AC__F_NONZERO)

/* ac_fill_sorted_f32/f64: ascending values in [lo, hi) (a search's table,
 * bin edges); ac_fill_sorted_i32/i64 the same for integers in [lo, hi]. */
AC__FILL_FLOATS(sorted, AC__F_SORTED)

static inline void ac_fill_sorted_i32(int32_t *p, size_t n, int64_t lo, int64_t hi)
{
	ac__fill(p, AC__E_I32, AC__F_SORTED, n, 0, 0, lo, ac__span(lo, hi));
}

static inline void ac_fill_sorted_i64(int64_t *p, size_t n, int64_t lo, int64_t hi)
{
	ac__fill(p, AC__E_I64, AC__F_SORTED, n, 0, 0, lo, ac__span(lo, hi));
}

/* A random permutation of 0 .. n-1 (a gather's indices). */
static inline void ac_fill_perm_i32(int32_t *p, size_t n)
{
	ac__fill(p, AC__E_I32, AC__F_PERM, n, 0, 0, 0, 0);
}

static inline void ac_fill_perm_i64(int64_t *p, size_t n)
{
	ac__fill(p, AC__E_I64, AC__F_PERM, n, 0, 0, 0, 0);
}

/* ac_fill_diag_dominant_f32/f64(A, n, lo, hi): an n x n row-major matrix
 * whose diagonal dominates each row: off the diagonal uniform in [lo, hi),
 * on it the sum of the row's magnitudes plus one. Well conditioned:
 * triangular solves and LU without pivoting stay accurate on it. */
AC__FILL_FLOATS(diag_dominant, AC__F_DIAGDOM)

/* ac_fill_spd_f32/f64(A, n, lo, hi): an n x n symmetric positive definite
 * matrix (Cholesky's input): the same, mirrored across the diagonal. */
AC__FILL_FLOATS(spd, AC__F_SPD)

/* --- memory ---------------------------------------------------------- */

/* An ac_alloc block is [header page][data pages][guard page]: the header
 * keeps the sizes, the guard (no access) catches running off the end. */
struct ac__block {
	size_t map_size;
	size_t data_size;   /* rounded up to pages */
};

static inline size_t ac__page(void)
{
	long p = sysconf(_SC_PAGESIZE);

	return p > 0 ? (size_t)p : 4096;
}

/* Page-aligned, zeroed memory for bytes bytes, or exits the harness with
 * a failure report when there is none. Free with ac_free. */
static inline void *ac_alloc(size_t bytes)
{
	size_t page = ac__page();
	size_t data = (bytes + page - 1) / page * page;
	size_t total;
	char *base;
	struct ac__block *b;

#ifdef AC_JUDGE
	return ac__j_alloc(bytes);
#endif
	if (data == 0)
		data = page;
	total = data + 2 * page;
	base = (char *)mmap(NULL, total, PROT_READ | PROT_WRITE,
	                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == (char *)MAP_FAILED) {
		fprintf(stderr, "autocomp: out of memory for %zu bytes\n", bytes);
		exit(2);
	}
	b = (struct ac__block *)base;
	b->map_size = total;
	b->data_size = data;
	mprotect(base, page, PROT_READ);
	mprotect(base + page + data, page, PROT_NONE);
	return base + page;
}

static inline float *ac_alloc_f32(size_t n)
{
	return (float *)ac_alloc(n * sizeof(float));
}

static inline double *ac_alloc_f64(size_t n)
{
	return (double *)ac_alloc(n * sizeof(double));
}

static inline const struct ac__block *ac__block_of(const void *p)
{
	return (const struct ac__block *)((const char *)p - ac__page());
}

#ifdef AC_JUDGE
static inline size_t ac__j_block_bytes(const void *p);
#endif

/* The bytes of the ac_alloc block that starts at p (whole pages). */
static inline size_t ac__block_bytes(const void *p)
{
#ifdef AC_JUDGE
	return ac__j_block_bytes(p);
#else
	return ac__block_of(p)->data_size;
#endif
}

/* Makes a block from ac_alloc read-only: a candidate that writes its
 * inputs (or the reference's answer) then crashes with SIGSEGV instead of
 * passing the check. */
static inline void ac_protect(const void *p)
{
#ifdef AC_JUDGE
	ac__j_protect(p);
	return;
#endif
	if (p)
		mprotect((void *)p, ac__block_of(p)->data_size, PROT_READ);
}

/* Frees a block from ac_alloc; accepts NULL. */
static inline void ac_free(void *p)
{
#ifdef AC_JUDGE
	ac__j_free(p);
	return;
#endif
	if (p)
		munmap((char *)p - ac__page(), ac__block_of(p)->map_size);
}

/* --- checks ---------------------------------------------------------- */

/* Is got close enough to want? A finite want: |got - want| <= atol +
 * rtol * |want| and got finite. An infinite want only by itself (the same
 * sign), a NaN want only by a NaN: a special value is an answer too, and
 * "inf <= inf" must not let any finite number pass for it. */
static inline int ac__close(double got, double want, double rtol, double atol)
{
	if (isnan(want))
		return isnan(got);
	if (isinf(want) || isinf(got))
		return got == want;
	return fabs(got - want) <= atol + rtol * fabs(want);
}

/* The same for two integers of one element type: exact when both
 * tolerances are 0 (as 64-bit integers, whatever their size). */
static inline int ac__close_int(const void *g, const void *w, int etype, size_t i, double rtol,
                                double atol)
{
	if (rtol == 0 && atol == 0) {
		switch (etype) {
		case AC__E_I64: return ((const int64_t *)g)[i] == ((const int64_t *)w)[i];
		case AC__E_U64: return ((const uint64_t *)g)[i] == ((const uint64_t *)w)[i];
		default: return ac__get(g, etype, i) == ac__get(w, etype, i);
		}
	}
	return ac__close(ac__get(g, etype, i), ac__get(w, etype, i), rtol, atol);
}

/* Is element i of got close to element i of want? */
static inline int ac__elem_close(const void *got, const void *want, int etype, size_t i,
                                 double rtol, double atol)
{
	if (ac__is_float(etype))
		return ac__close(ac__get(got, etype, i), ac__get(want, etype, i), rtol, atol);
	return ac__close_int(got, want, etype, i, rtol, atol);
}

#ifdef AC_JUDGE
static inline void ac__j_record_check(const char *what, const void *got, const void *want,
                                      size_t n, int etype, double rtol, double atol);
#endif

/* Compares got[0..n) with want[0..n) element-wise; on failure records
 * "C[137]: got 1.25, want 1.5 (rtol 0.0001, atol 1e-05); 12 of 65536
 * elements differ" (the first mismatch and the count), which makes the
 * report incorrect. Returns 1 if all are close, else 0. */
static inline int ac__check(const char *what, const void *got, const void *want, size_t n,
                            int etype, double rtol, double atol)
{
	size_t i, bad = 0, first = 0;

	AC__JUDGE_DO(ac__j_record_check(what, got, want, n, etype, rtol, atol));
	for (i = 0; i < n; i++) {
		if (!ac__elem_close(got, want, etype, i, rtol, atol) && bad++ == 0)
			first = i;
	}
	if (bad == 0)
		return 1;
	if (ac__is_float(etype))
		ac_fail("%s[%zu]: got %.9g, want %.9g (rtol %g, atol %g); %zu of %zu elements differ",
		        what, first, ac__get(got, etype, first), ac__get(want, etype, first), rtol, atol,
		        bad, n);
	else if (rtol == 0 && atol == 0)
		ac_fail("%s[%zu]: got %.17g, want %.17g; %zu of %zu elements differ", what, first,
		        ac__get(got, etype, first), ac__get(want, etype, first), bad, n);
	else
		ac_fail("%s[%zu]: got %.17g, want %.17g (rtol %g, atol %g); %zu of %zu elements differ",
		        what, first, ac__get(got, etype, first), ac__get(want, etype, first), rtol, atol,
		        bad, n);
	return 0;
}

/* Compares got[0..n) with want[0..n) element-wise: close when
 * |got - want| <= atol + rtol * |want|; an infinite or NaN want only by
 * the same special value. On failure records "C[137]: got 1.25, want 1.5
 * (rtol 0.0001, atol 1e-05); 12 of 65536 elements differ" (the first
 * mismatch and the count), which makes the report incorrect. Returns 1
 * if all are close, else 0. In the judge, every timed repetition is
 * checked with every rule a harness stated for a buffer (each range of
 * it, each output in it). */
static inline int ac_check_close_f32(const char *what, const float *got, const float *want,
                                     size_t n, double rtol, double atol)
{
	return ac__check(what, got, want, n, AC__E_F32, rtol, atol);
}

static inline int ac_check_close_f64(const char *what, const double *got, const double *want,
                                     size_t n, double rtol, double atol)
{
	return ac__check(what, got, want, n, AC__E_F64, rtol, atol);
}

/* Integers: ac_check_equal_* compares exactly, ac_check_close_* with a
 * tolerance as above (an image filter that rounds differently). */
#define AC__CHECK_INT(name, T, E)                                                        \
	static inline int ac_check_equal_##name(const char *what, const T *got, const T *want, \
	                                        size_t n)                                    \
	{                                                                                  \
		return ac__check(what, got, want, n, E, 0, 0);                               \
	}                                                                                  \
	static inline int ac_check_close_##name(const char *what, const T *got, const T *want, \
	                                        size_t n, double rtol, double atol)          \
	{                                                                                  \
		return ac__check(what, got, want, n, E, rtol, atol);                         \
	}
AC__CHECK_INT(i8, int8_t, AC__E_I8)
AC__CHECK_INT(i16, int16_t, AC__E_I16)
AC__CHECK_INT(i32, int32_t, AC__E_I32)
AC__CHECK_INT(i64, int64_t, AC__E_I64)
AC__CHECK_INT(u8, uint8_t, AC__E_U8)
AC__CHECK_INT(u16, uint16_t, AC__E_U16)
AC__CHECK_INT(u32, uint32_t, AC__E_U32)
AC__CHECK_INT(u64, uint64_t, AC__E_U64)
AC__CHECK_INT(char, char, AC__E_CHAR)

/* --- in-out buffers --------------------------------------------------- */

/*
 * ac_inout(p): the ac_alloc block holding p is read and written by the
 * call (an in-place update). Its content as it is now is the call's
 * input: AC_TIME puts it back before every repetition (outside the
 * clock), so every timed call starts from the same data and the buffer
 * holds one call's answer after AC_TIME. Fill the block first, call
 * ac_inout, then call the kernel.
 */
#define AC__MAX_INOUT 16

static struct {
	int n;
	void *p[AC__MAX_INOUT];
	void *copy[AC__MAX_INOUT];
	size_t bytes[AC__MAX_INOUT];
} ac__inout AC__UNUSED;

#ifdef AC_JUDGE
static inline void ac__j_inout(const void *p);
#endif

static inline void ac_inout(void *p)
{
	size_t bytes = p ? ac__block_bytes(p) : 0;
	void *copy;
	int i;

	if (!p)
		return;
	for (i = 0; i < ac__inout.n; i++)
		if (ac__inout.p[i] == p)
			break;
	if (i == AC__MAX_INOUT) {
		ac_fail("harness: more than %d ac_inout buffers", AC__MAX_INOUT);
		return;
	}
	copy = i < ac__inout.n ? ac__inout.copy[i] : malloc(bytes);
	if (!copy) {
		ac_fail("harness: out of memory for an ac_inout copy");
		return;
	}
	memcpy(copy, p, bytes);
	ac__inout.p[i] = p;
	ac__inout.copy[i] = copy;
	ac__inout.bytes[i] = bytes;
	if (i == ac__inout.n)
		ac__inout.n++;
	AC__JUDGE_DO(ac__j_inout(p));
}

/* Puts every ac_inout buffer back (in-process AC_TIME, before a call). */
static inline void ac__inout_restore(void)
{
	int i;

	for (i = 0; i < ac__inout.n; i++)
		memcpy(ac__inout.p[i], ac__inout.copy[i], ac__inout.bytes[i]);
}

/* --- timing ---------------------------------------------------------- */

/*
 * AC_TIME(statement) times a statement: it runs it once to warm up (and
 * again until 20 ms have passed), then times each repetition separately
 * with CLOCK_MONOTONIC until at least AC_MIN_REPS repetitions and at least
 * AC_MIN_TIME_S seconds are done (at most AC_MAX_REPS). The report's
 * time_ns is the median repetition, its spread (q3 - q1) / median.
 * Use it once per harness: when it runs more than once, the last call's
 * samples are the ones reported.
 */
#ifdef AC_JUDGE
/* The judge's AC_TIME: the same loop, but a repetition's time is what the
 * forwarded calls in it took on the judge's clock (autocomp_judge.h). */
#define AC_TIME(...)                                                           \
	do {                                                                   \
		ac__time_begin();                                              \
		ac__j_time_begin();                                            \
		do {                                                           \
			ac__inout_restore();                                   \
			__VA_ARGS__;                                           \
			ac__j_warm_exec();                                     \
		} while (ac__warming());                                       \
		ac__j_warm_done();                                             \
		while (ac__time_more()) {                                      \
			ac__j_rep_begin();                                     \
			__VA_ARGS__;                                           \
			ac__time_sample(ac__j_rep_end());                      \
		}                                                              \
		ac__j_time_end();                                              \
	} while (0)
#else
#define AC_TIME(...)                                                           \
	do {                                                                   \
		ac__time_begin();                                              \
		do {                                                           \
			ac__inout_restore();                                   \
			__VA_ARGS__;                                           \
			ac__barrier();                                         \
		} while (ac__warming());                                       \
		while (ac__time_more()) {                                      \
			double ac__t0;                                         \
			ac__inout_restore();                                   \
			ac__t0 = ac__now_s();                                  \
			ac__barrier();                                         \
			__VA_ARGS__;                                           \
			ac__barrier();                                         \
			ac__time_sample(ac__now_s() - ac__t0);                 \
		}                                                              \
	} while (0)
#endif

/* Keeps the compiler from moving memory work across the clock reads. */
static inline void ac__barrier(void)
{
#if defined(__GNUC__)
	__asm__ __volatile__("" ::: "memory");
#endif
}

static inline void ac__time_begin(void)
{
	if (!ac__s.inited && ac__s.min_reps == 0) {
		/* ac_init was skipped: time with the defaults anyway */
		ac__s.min_reps = 10;
		ac__s.max_reps = AC_MAX_REPS;
		ac__s.min_time_s = 0.3;
	}
	ac__s.timed = 1;
	ac__s.nsamples = 0;
	ac__s.t_start = ac__now_s();
}

static inline int ac__warming(void)
{
	if (ac__now_s() - ac__s.t_start < 0.02)
		return 1;
	ac__s.t_start = ac__now_s();
	return 0;
}

#ifdef AC_JUDGE
static inline int ac__j_mid_round(void);
static inline double ac__j_round_trip_ns(void);
#endif

static inline int ac__time_more(void)
{
#ifdef AC_JUDGE
	if (ac__j_mid_round())
		return 1;   /* rounds of input sets are whole */
#endif
	if (ac__s.nsamples >= ac__s.max_reps)
		return 0;
	if (ac__s.nsamples < ac__s.min_reps)
		return 1;
	return ac__now_s() - ac__s.t_start < ac__s.min_time_s;
}

static inline void ac__time_sample(double seconds)
{
	if (ac__s.nsamples < AC_MAX_REPS)
		ac__s.samples[ac__s.nsamples++] = seconds;
}

static inline int ac__cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a;
	double y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The q-quantile (0..1) of sorted v[0..n), linearly interpolated. */
static inline double ac__quantile(const double *v, int n, double q)
{
	double pos = q * (n - 1);
	int lo = (int)pos;
	double frac = pos - lo;

	if (lo + 1 >= n)
		return v[n - 1];
	return v[lo] + (v[lo + 1] - v[lo]) * frac;
}

/* --- the report ------------------------------------------------------ */

/* Appends s to out as the inside of a JSON string. */
static inline size_t ac__json_escape(char *out, size_t cap, size_t len, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	for (; *s && len + 7 < cap; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			out[len++] = '\\';
			out[len++] = (char)c;
		} else if (c == '\n') {
			out[len++] = '\\';
			out[len++] = 'n';
		} else if (c < 0x20 || c == 0x7f) {
			out[len++] = '\\';
			out[len++] = 'u';
			out[len++] = '0';
			out[len++] = '0';
			out[len++] = hex[c >> 4];
			out[len++] = hex[c & 15];
		} else {
			out[len++] = (char)c;
		}
	}
	out[len] = '\0';
	return len;
}

/* Writes the one-line JSON report to the report descriptor (stdout when
 * the harness was started by hand). Correct unless a check failed,
 * ac_fail was called or nothing was timed ("harness did not time
 * anything"). Call it once, last: return ac_report(); from main. Returns
 * 0, or 1 if the report could not be written. */
static inline int ac__report_write(const char *error);

static inline int ac_report(void)
{
	return ac__report_write(NULL);
}

/* Writes a report that says the run could not be judged: why is a run
 * error, not a wrong answer (the judge uses it when the candidate's
 * process dies or misbehaves). */
static inline int ac__report_error(const char *error)
{
	return ac__report_write(error ? error : "run error");
}

static inline int ac__report_write(const char *error)
{
	char line[6144];
	double sorted[AC_MAX_REPS];
	double median = 0, spread = 0;
	int correct;
	int n = ac__s.nsamples;
	size_t len;
	int fd;

	AC__JUDGE_DO(ac__j_stop());
	if (!ac__s.timed && !ac__s.failed && !error)
		ac_fail("harness did not time anything");
	correct = !ac__s.failed && !error;
	if (n > 0) {
		memcpy(sorted, ac__s.samples, (size_t)n * sizeof sorted[0]);
		qsort(sorted, (size_t)n, sizeof sorted[0], ac__cmp_double);
		median = ac__quantile(sorted, n, 0.5);
		if (median > 0)
			spread = (ac__quantile(sorted, n, 0.75) - ac__quantile(sorted, n, 0.25)) / median;
	}
#ifdef AC_JUDGE
	/* a call that takes no longer than the round trip to the candidate's
	 * process cannot be timed through it: no figure rather than a made-up
	 * one (a floor would read as a huge speedup) */
	if (correct && ac__s.timed && median * 1e9 < 0.5) {
		static char why[200];

		snprintf(why, sizeof why, "the timed call is too short to measure: it takes no longer "
		         "than the noise of the round trip to the candidate's process (%.0f ns); "
		         "give it more work per call", ac__j_round_trip_ns());
		error = why;
		correct = 0;
	}
#endif
	len = (size_t)snprintf(line, sizeof line,
	                       "{\"correct\":%s,\"time_ns\":%.0f,\"samples\":%d,\"spread\":%.6g,\"message\":\"",
	                       correct ? "true" : "false", median * 1e9, n, spread);
	len = ac__json_escape(line, sizeof line - 3, len,
	                      correct ? "" : error ? error : ac__s.message);
	line[len++] = '"';
	if (error) {
		len += (size_t)snprintf(line + len, sizeof line - len - 3, ",\"error\":\"");
		len = ac__json_escape(line, sizeof line - 3, len, error);
		line[len++] = '"';
	}
	if (ac__s.nmetrics > 0) {
		len += (size_t)snprintf(line + len, sizeof line - len - 3, ",\"metrics\":{");
		for (int i = 0; i < ac__s.nmetrics && len + 80 < sizeof line; i++)
			len += (size_t)snprintf(line + len, sizeof line - len - 3, "%s\"%s\":%.17g",
			                        i ? "," : "", ac__s.metric_name[i], ac__s.metric_value[i]);
		line[len++] = '}';
	}
#ifdef AC_JUDGE
	len += ac__j_report(line + len, sizeof line - len - 3);
#endif
	line[len++] = '}';
	line[len++] = '\n';
	fd = ac__s.inited && ac__s.report_fd >= 0 ? ac__s.report_fd : 1;
	if (fd == 1)
		fflush(stdout);
	{
		size_t off = 0;

		while (off < len) {
			ssize_t w = write(fd, line + off, len - off);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return 1;
			off += (size_t)w;
		}
	}
	return 0;
}

#ifdef AC_JUDGE
#include "autocomp_judge.h"
#endif

#endif
