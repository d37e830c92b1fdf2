/*
 * Harness for tune-conv2d: 64 -> 64 channels, 112 x 112, 3 x 3, against the
 * reference copy of the original input (ref_conv2d).
 */
#include <autocomp.h>

void conv2d(int C, int K, int H, int W, const float *in, const float *w,
            float *out);
void ref_conv2d(int C, int K, int H, int W, const float *in, const float *w,
                float *out);

int main(int argc, char **argv)
{
	const int C = 64, K = 64, H = 112, W = 112;
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
