/*
 * A chain of elementwise operations, the epilogue of a linear layer:
 * y = clamp(leaky_relu(x * a + b) * g + r, -limit, limit) over n floats,
 * with per-call scalars a, b, g, limit and a residual r. Knobs: FUSE,
 * UNFUSED (one pass over whole arrays per operation, through temporaries:
 * memory traffic dominates), BLOCKED (the same passes strip-mined over
 * BLOCK elements so the temporaries stay in cache) or FUSED (one pass, each
 * element done at once); BLOCK, the strip length for BLOCKED; UNROLL, the
 * unroll factor hint for the inner loops.
 */
#include <stdlib.h>

#define FUSE UNFUSED   // autocomp-tune: UNFUSED BLOCKED FUSED
#define BLOCK 1024     // autocomp-tune: 256 1024 4096 16384 65536
#define UNROLL 1       // autocomp-tune: 1 2 4 8

#define UNFUSED 0
#define BLOCKED 1
#define FUSED 2

#define PRAGMA_(x) _Pragma(#x)
#define PRAGMA(x) PRAGMA_(x)
#define UNROLLED PRAGMA(GCC unroll UNROLL)

static void stage_affine(size_t n, const float *restrict x, float a, float b,
                         float *restrict t)
{
	UNROLLED
	for (size_t i = 0; i < n; i++)
		t[i] = x[i] * a + b;
}

static void stage_leaky(size_t n, float *restrict t)
{
	UNROLLED
	for (size_t i = 0; i < n; i++)
		t[i] = t[i] > 0.0f ? t[i] : 0.01f * t[i];
}

static void stage_residual(size_t n, const float *restrict t, float g,
                           const float *restrict r, float *restrict u)
{
	UNROLLED
	for (size_t i = 0; i < n; i++)
		u[i] = t[i] * g + r[i];
}

static void stage_clamp(size_t n, const float *restrict u, float limit,
                        float *restrict y)
{
	UNROLLED
	for (size_t i = 0; i < n; i++) {
		float v = u[i] < -limit ? -limit : u[i];
		y[i] = v > limit ? limit : v;
	}
}

void epilogue(size_t n, const float *x, const float *r, float a, float b,
              float g, float limit, float *y)
{
	if (FUSE == FUSED) {
		UNROLLED
		for (size_t i = 0; i < n; i++) {
			float t = x[i] * a + b;
			t = t > 0.0f ? t : 0.01f * t;
			t = t * g + r[i];
			t = t < -limit ? -limit : t;
			y[i] = t > limit ? limit : t;
		}
		return;
	}
	size_t step = FUSE == BLOCKED ? BLOCK : n;
	float *t = malloc((step ? step : 1) * sizeof(float));
	float *u = malloc((step ? step : 1) * sizeof(float));

	if (!t || !u)
		abort();
	for (size_t i = 0; i < n; i += step) {
		size_t m = n - i < step ? n - i : step;
		stage_affine(m, x + i, a, b, t);
		stage_leaky(m, t);
		stage_residual(m, t, g, r + i, u);
		stage_clamp(m, u, limit, y + i);
	}
	free(t);
	free(u);
}
