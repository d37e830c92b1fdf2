/*
 * Harness for tune-conv2d-b: 128 -> 128 channels, 56 x 56, 3 x 3, the
 * second shape for schedule reuse (tools/bench-search: tune-conv2d is the
 * donor; input.c is a copy of tune-conv2d's), against the reference copy
 * of the original input (ref_conv2d). Twice the channels on a quarter of
 * the image: the same work, but the weights no longer stay in cache.
 */
#include <autocomp.h>

void conv2d(int C, int K, int H, int W, const float *in, const float *w,
            float *out);
void ref_conv2d(int C, int K, int H, int W, const float *in, const float *w,
                float *out);

int main(int argc, char **argv)
{
	const int C = 128, K = 128, H = 56, W = 56;
	size_t nin = (size_t)C * H * W;
	size_t nw = (size_t)K * C * 9;
	size_t nout = (size_t)K * H * W;
	float *in, *w, *want, *got;

	ac_init(argc, argv);
	in = ac_alloc_f32(nin);
	w = ac_alloc_f32(nw);
	want = ac_alloc_f32(nout);
	got = ac_alloc_f32(nout);
	ac_fill_f32(in, nin, -1.0f, 1.0f);
	ac_fill_f32(w, nw, -1.0f, 1.0f);
	ac_protect(in);
	ac_protect(w);
	ref_conv2d(C, K, H, W, in, w, want);
	ac_protect(want);
	ac_fill_nan_f32(got, nout);
	conv2d(C, K, H, W, in, w, got);
	ac_check_close_f32("out", got, want, nout, 1e-4, 1e-3);
	ac_fill_nan_f32(got, nout);
	AC_TIME(conv2d(C, K, H, W, in, w, got));
	ac_check_close_f32("out", got, want, nout, 1e-4, 1e-3);
	return ac_report();
}
