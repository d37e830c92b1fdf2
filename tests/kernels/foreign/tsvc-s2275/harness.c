/*
 * harness.c - tsvc-s2275: checks and times the input against its ref_ copy.
 */
#include <autocomp.h>
typedef float real_t;
void s2275(int len, real_t aa[len][len], real_t bb[len][len], real_t cc[len][len],
           real_t *a, real_t *b, real_t *c, real_t *d);
void ref_s2275(int len, real_t aa[len][len], real_t bb[len][len], real_t cc[len][len],
               real_t *a, real_t *b, real_t *c, real_t *d);

int main(int argc, char **argv)
{
	const int len = 512;
	const size_t n2 = (size_t)len * len;

	ac_init(argc, argv);
	real_t (*aa)[len] = ac_alloc(sizeof(real_t) * n2), (*waa)[len] = ac_alloc(sizeof(real_t) * n2);
	real_t (*bb)[len] = ac_alloc(sizeof(real_t) * n2), (*cc)[len] = ac_alloc(sizeof(real_t) * n2);
	real_t *a = ac_alloc_f32(len), *wa = ac_alloc_f32(len), *b = ac_alloc_f32(len);
	real_t *c = ac_alloc_f32(len), *d = ac_alloc_f32(len);
	ac_fill_f32(&aa[0][0], n2, -1, 1);
	ac_fill_f32(&bb[0][0], n2, -1, 1);
	ac_fill_f32(&cc[0][0], n2, -1, 1);
	ac_fill_f32(b, len, -1, 1);
	ac_fill_f32(c, len, -1, 1);
	ac_fill_f32(d, len, -1, 1);
	ac_fill_nan_f32(a, len);
	ac_protect(bb);
	ac_protect(cc);
	ac_protect(b);
	ac_protect(c);
	ac_protect(d);
	memcpy(waa, aa, sizeof(real_t) * n2);
	ref_s2275(len, waa, bb, cc, wa, b, c, d);
	ac_protect(waa);
	ac_protect(wa);
	ac_inout(aa);
	s2275(len, aa, bb, cc, a, b, c, d);
	ac_check_close_f32("aa", &aa[0][0], &waa[0][0], n2, 1e-6, 1e-6);
	ac_check_close_f32("a", a, wa, len, 1e-6, 1e-6);
	AC_TIME(s2275(len, aa, bb, cc, a, b, c, d));
	ac_check_close_f32("aa", &aa[0][0], &waa[0][0], n2, 1e-6, 1e-6);
	ac_check_close_f32("a", a, wa, len, 1e-6, 1e-6);
	return ac_report();
}
