/*
 * Row-wise softmax: out[i][j] = exp(x[i][j] - max_i) / sum_j exp(x[i][j] -
 * max_i), rows x cols, row-major. Knobs: ALGO, three passes over each row
 * (max; exp and sum, storing the exps; scale) or ONLINE (one pass keeping a
 * running max and a rescaled sum, then one pass writing); EXP, the C
 * library's expf or an inline polynomial (Cody-Waite reduction, degree-6
 * minimax, about 2 ulp) that vectorizes; LANES, how many independent
 * partial maxima and sums the reductions keep (1 is a scalar chain; 16 or
 * more let the compiler use vector registers without reassociating floats);
 * UNROLL, the unroll hint for the loops that write the output.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#define ALGO THREE    // autocomp-tune: THREE ONLINE
#define EXP LIBM      // autocomp-tune: LIBM POLY
#define LANES 1       // autocomp-tune: 1 4 8 16 32 64
#define UNROLL 1      // autocomp-tune: 1 2 4

#define THREE 0
#define ONLINE 1
#define LIBM 0
#define POLY 1

#define PRAGMA_(x) _Pragma(#x)
#define PRAGMA(x) PRAGMA_(x)
#define UNROLLED PRAGMA(GCC unroll UNROLL)


/* exp(x) for x <= 0 (softmax arguments), vectorizable. */
static inline float exp_poly(float x)
{
	float n, r, p;
	int32_t e;
	uint32_t bits;
	float scale;

	if (x < -87.0f)
		x = -87.0f;
	n = floorf(x * 1.44269504f + 0.5f);
	r = x - n * 0.693145752f;
	r = r - n * 1.42860677e-06f;
	p = 1.0f + r * (1.0f + r * (0.5f + r * (0.166666672f + r *
	    (0.0416666418f + r * (0.00833336823f + r * 0.00138925051f)))));
	e = (int32_t)n + 127;
	bits = (uint32_t)e << 23;
	memcpy(&scale, &bits, sizeof(scale));
	return p * scale;
}

static inline float ex(float x)
{
	return EXP == POLY ? exp_poly(x) : expf(x);
}

static void row_three(int n, const float *restrict x, float *restrict y)
{
	float m[LANES];
	float s[LANES];
	float mx;
	float sum = 0.0f;
	float inv;
	int nfull = n / LANES * LANES;

	for (int l = 0; l < LANES; l++)
		m[l] = -INFINITY;
	for (int j = 0; j < nfull; j += LANES)
		for (int l = 0; l < LANES; l++)
			m[l] = x[j + l] > m[l] ? x[j + l] : m[l];
	mx = m[0];
	for (int l = 1; l < LANES; l++)
		mx = m[l] > mx ? m[l] : mx;
	for (int j = nfull; j < n; j++)
		mx = x[j] > mx ? x[j] : mx;
	for (int l = 0; l < LANES; l++)
		s[l] = 0.0f;
	UNROLLED
	for (int j = 0; j < nfull; j += LANES)
		for (int l = 0; l < LANES; l++) {
			float e = ex(x[j + l] - mx);
			y[j + l] = e;
			s[l] += e;
		}
	for (int l = 0; l < LANES; l++)
		sum += s[l];
	for (int j = nfull; j < n; j++) {
		y[j] = ex(x[j] - mx);
		sum += y[j];
	}
	inv = 1.0f / sum;
	UNROLLED
	for (int j = 0; j < n; j++)
		y[j] *= inv;
}

static void row_online(int n, const float *restrict x, float *restrict y)
{
	float m[LANES];
	float s[LANES];
	float mx;
	float sum = 0.0f;
	float inv;
	int nfull = n / LANES * LANES;

	for (int l = 0; l < LANES; l++) {
		m[l] = -INFINITY;
		s[l] = 0.0f;
	}
	for (int j = 0; j < nfull; j += LANES)
		for (int l = 0; l < LANES; l++) {
			float v = x[j + l];
			float nm = v > m[l] ? v : m[l];
			s[l] = s[l] * ex(m[l] - nm) + ex(v - nm);
			m[l] = nm;
		}
	mx = -INFINITY;
	for (int l = 0; l < LANES; l++)
		mx = m[l] > mx ? m[l] : mx;
	for (int j = nfull; j < n; j++)
		mx = x[j] > mx ? x[j] : mx;
	for (int l = 0; l < LANES; l++)
		if (s[l] > 0.0f)
			sum += s[l] * ex(m[l] - mx);
	for (int j = nfull; j < n; j++)
		sum += ex(x[j] - mx);
	inv = 1.0f / sum;
	UNROLLED
	for (int j = 0; j < n; j++)
		y[j] = ex(x[j] - mx) * inv;
}

void softmax(int rows, int cols, const float *x, float *y)
{
	for (int i = 0; i < rows; i++) {
		if (ALGO == ONLINE)
			row_online(cols, x + (size_t)i * cols, y + (size_t)i * cols);
		else
			row_three(cols, x + (size_t)i * cols, y + (size_t)i * cols);
	}
}
