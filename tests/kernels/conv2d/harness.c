/*
 * harness.c - checks and times conv2d (16 -> 16 channels, 3x3, on an 82x82
 * image) against ref_conv2d, the original input compiled under another name.
 */
#include <autocomp.h>

void conv2d(int C_in, int H, int W, int C_out, int KH, int KW,
            const float *in, const float *w, float *out);
void ref_conv2d(int C_in, int H, int W, int C_out, int KH, int KW,
                const float *in, const float *w, float *out);

int main(int argc, char **argv)
{
	const int C_in = 16, H = 82, W = 82, C_out = 16, KH = 3, KW = 3;
	const int OH = H - KH + 1, OW = W - KW + 1;
	const size_t n_in = (size_t)C_in * H * W;
	const size_t n_w = (size_t)C_out * C_in * KH * KW;
	const size_t n_out = (size_t)C_out * OH * OW;
	/* Sums of 144 products in [-1, 1): reordering moves them by ~1e-6. */
	const double rtol = 1e-4, atol = 1e-4;
	float *in, *w, *want, *got;

	ac_init(argc, argv);
	in = ac_alloc_f32(n_in);
	w = ac_alloc_f32(n_w);
	want = ac_alloc_f32(n_out);
	got = ac_alloc_f32(n_out);
	ac_fill_f32(in, n_in, -1.0f, 1.0f);
	ac_fill_f32(w, n_w, -1.0f, 1.0f);
	ac_protect(in);
	ac_protect(w);

	ref_conv2d(C_in, H, W, C_out, KH, KW, in, w, want);
	ac_protect(want);

	ac_fill_nan_f32(got, n_out);
	conv2d(C_in, H, W, C_out, KH, KW, in, w, got);
	ac_check_close_f32("out", got, want, n_out, rtol, atol);

	ac_fill_nan_f32(got, n_out);
	AC_TIME(conv2d(C_in, H, W, C_out, KH, KW, in, w, got));
	ac_check_close_f32("out", got, want, n_out, rtol, atol);
	return ac_report();
}
