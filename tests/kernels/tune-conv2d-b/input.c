/*
 * Direct 3x3 convolution, stride 1, zero padding 1, NCHW without batch:
 * out[k][y][x] = sum over c, r, s of w[k][c][r][s] * in[c][y+r-1][x+s-1].
 * The input is first copied into a zero-bordered buffer so the inner loops
 * need no bounds checks. Knobs: a register block of KB output channels x
 * RB output rows x WB output columns (accumulators in vector registers),
 * CB input channels per pass (a smaller slice of the input stays in cache;
 * partial sums go through the output), and ORDER, which loop runs outside
 * the other: channel blocks (KY: weights stay hot) or row blocks (YK: input
 * rows stay hot). Columns a WB block does not cover take a plain loop.
 * Blocks needing more than 16 vector registers of accumulators do not
 * build; K, H and C must be multiples of KB, RB and CB (every listed value
 * divides the harness's 64 x 112 x 112 x 64), anything else aborts.
 */
#include <stdlib.h>
#include <string.h>

#define KB 1          // autocomp-tune: 1 2 4 8
#define RB 1          // autocomp-tune: 1 2 4
#define WB 8          // autocomp-tune: 8 16 28 56
#define CB 64         // autocomp-tune: 16 32 64
#define ORDER KY      // autocomp-tune: KY YK

#define KY 0
#define YK 1

#if KB * RB * WB > 256
#error "KB x RB x WB accumulators need more than 16 vector registers"
#endif

/* One block: out[k0..+KB][y0..+RB][x0..+WB] over channels c0..c1. */
static inline void block(int C, int H, int W, int Wp, int k0, int y0, int x0,
                         int c0, int c1, const float *restrict pin,
                         const float *restrict w, float *restrict out)
{
	float acc[KB][RB][WB];
	(void)C;

	for (int kb = 0; kb < KB; kb++)
		for (int rb = 0; rb < RB; rb++)
			for (int v = 0; v < WB; v++)
				acc[kb][rb][v] = c0 == 0 ? 0.0f :
					out[((size_t)(k0 + kb) * H + y0 + rb) * W + x0 + v];
	for (int c = c0; c < c1; c++) {
		const float *ip = pin + ((size_t)c * (H + 2) + y0) * Wp + x0;
		for (int r = 0; r < 3; r++)
			for (int s = 0; s < 3; s++)
				for (int kb = 0; kb < KB; kb++) {
					float wv = w[(((size_t)(k0 + kb) * C + c) * 3 + r) * 3 + s];
					for (int rb = 0; rb < RB; rb++)
						for (int v = 0; v < WB; v++)
							acc[kb][rb][v] += wv *
								ip[(size_t)(rb + r) * Wp + s + v];
				}
	}
	for (int kb = 0; kb < KB; kb++)
		for (int rb = 0; rb < RB; rb++)
			for (int v = 0; v < WB; v++)
				out[((size_t)(k0 + kb) * H + y0 + rb) * W + x0 + v] =
					acc[kb][rb][v];
}

/* Columns x0..W-1 of rows y0..+RB, channels k0..+KB, plainly. */
static void edge(int C, int H, int W, int Wp, int k0, int y0, int x0,
                 int c0, int c1, const float *pin, const float *w, float *out)
{
	for (int kb = 0; kb < KB; kb++)
		for (int rb = 0; rb < RB; rb++)
			for (int x = x0; x < W; x++) {
				size_t o = ((size_t)(k0 + kb) * H + y0 + rb) * W + x;
				float t = c0 == 0 ? 0.0f : out[o];
				for (int c = c0; c < c1; c++)
					for (int r = 0; r < 3; r++)
						for (int s = 0; s < 3; s++)
							t += w[(((size_t)(k0 + kb) * C + c) * 3 + r) * 3 + s] *
							     pin[((size_t)c * (H + 2) + y0 + rb + r) * Wp + x + s];
				out[o] = t;
			}
}

/* in: C x H x W, w: K x C x 3 x 3, out: K x H x W. K must be a multiple of
 * KB, H of RB and C of CB (checked; the harness uses 64, 112, 64). */
void conv2d(int C, int K, int H, int W, const float *in, const float *w,
            float *out)
{
	int Wp = W + 2;
	int xfull = W / WB * WB;
	float *pin;

	if (K % KB || H % RB || C % CB)
		abort();
	pin = calloc((size_t)C * (H + 2) * Wp, sizeof(float));
	if (!pin)
		abort();
	for (int c = 0; c < C; c++)
		for (int y = 0; y < H; y++)
			memcpy(pin + ((size_t)c * (H + 2) + y + 1) * Wp + 1,
			       in + ((size_t)c * H + y) * W, (size_t)W * sizeof(float));
	for (int c0 = 0; c0 < C; c0 += CB) {
		int c1 = c0 + CB;
		if (ORDER == KY) {
			for (int k0 = 0; k0 < K; k0 += KB)
				for (int y0 = 0; y0 < H; y0 += RB) {
					for (int x0 = 0; x0 < xfull; x0 += WB)
						block(C, H, W, Wp, k0, y0, x0, c0, c1, pin, w, out);
					edge(C, H, W, Wp, k0, y0, xfull, c0, c1, pin, w, out);
				}
		} else {
			for (int y0 = 0; y0 < H; y0 += RB)
				for (int k0 = 0; k0 < K; k0 += KB) {
					for (int x0 = 0; x0 < xfull; x0 += WB)
						block(C, H, W, Wp, k0, y0, x0, c0, c1, pin, w, out);
					edge(C, H, W, Wp, k0, y0, xfull, c0, c1, pin, w, out);
				}
		}
	}
	free(pin);
}
