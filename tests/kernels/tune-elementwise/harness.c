/*
 * Harness for tune-elementwise: 2^21 + 3 floats (the tail is exercised),
 * against the reference copy of the original input (ref_epilogue). The
 * clamp limit is chosen so that some values are clamped and most are not.
 */
#include <autocomp.h>

void epilogue(size_t n, const float *x, const float *r, float a, float b,
              float g, float limit, float *y);
void ref_epilogue(size_t n, const float *x, const float *r, float a, float b,
                  float g, float limit, float *y);

int main(int argc, char **argv)
{
	const size_t n = ((size_t)1 << 21) + 3;
	const float a = 1.5f, b = -0.25f, g = 0.75f, limit = 1.5f;
	float *x, *r, *want, *got;

	ac_init(argc, argv);
	x = ac_alloc_f32(n);
	r = ac_alloc_f32(n);
	want = ac_alloc_f32(n);
	got = ac_alloc_f32(n);
	ac_fill_f32(x, n, -2.0f, 2.0f);
	ac_fill_f32(r, n, -1.0f, 1.0f);
	ac_protect(x);
	ac_protect(r);
	ref_epilogue(n, x, r, a, b, g, limit, want);
	ac_protect(want);
	ac_fill_nan_f32(got, n);
	epilogue(n, x, r, a, b, g, limit, got);
	ac_check_close_f32("y", got, want, n, 1e-6, 1e-6);
	ac_fill_nan_f32(got, n);
	AC_TIME(epilogue(n, x, r, a, b, g, limit, got));
	ac_check_close_f32("y", got, want, n, 1e-6, 1e-6);
	return ac_report();
}
