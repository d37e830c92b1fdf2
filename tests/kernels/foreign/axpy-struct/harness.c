/*
 * harness.c - axpy-struct: checks and times the input against its ref_ copy.
 */
#include <autocomp.h>
struct axpy_args {
	size_t n;
	float a;
	const float *x;
	float *y;
};
void axpy(const struct axpy_args *p);
void ref_axpy(const struct axpy_args *p);

int main(int argc, char **argv)
{
	const size_t n = 1 << 20;

	ac_init(argc, argv);
	struct axpy_args *args = ac_alloc(sizeof *args), *wargs = ac_alloc(sizeof *wargs);
	float *x = ac_alloc_f32(n), *y = ac_alloc_f32(n), *w = ac_alloc_f32(n);
	ac_fill_f32(x, n, -1, 1);
	ac_fill_f32(y, n, -1, 1);
	ac_protect(x);
	memcpy(w, y, sizeof(float) * n);
	*wargs = (struct axpy_args){ n, 0.75f, x, w };
	ref_axpy(wargs);
	ac_protect(w);
	*args = (struct axpy_args){ n, 0.75f, x, y };
	ac_protect(args);
	ac_inout(y);
	axpy(args);
	ac_check_close_f32("y", y, w, n, 1e-6, 1e-6);
	AC_TIME(axpy(args));
	ac_check_close_f32("y", y, w, n, 1e-6, 1e-6);
	return ac_report();
}
