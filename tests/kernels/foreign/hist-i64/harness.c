/*
 * harness.c - hist-i64: checks and times the input against its ref_ copy.
 */
#include <autocomp.h>
int64_t histogram(size_t n, const int32_t *v, int32_t nbins, int64_t *bins);
int64_t ref_histogram(size_t n, const int32_t *v, int32_t nbins, int64_t *bins);

int main(int argc, char **argv)
{
	const size_t n = 1 << 21;
	const int32_t nbins = 256;
	int64_t got, want;

	ac_init(argc, argv);
	int32_t *v = ac_alloc(sizeof(int32_t) * n);
	int64_t *bins = ac_alloc(sizeof(int64_t) * nbins), *wbins = ac_alloc(sizeof(int64_t) * nbins);
	ac_fill_i32(v, n, -20, 300);
	ac_protect(v);
	want = ref_histogram(n, v, nbins, wbins);
	ac_protect(wbins);
	ac_fill_i64(bins, nbins, -1, -1);
	got = histogram(n, v, nbins, bins);
	ac_check_equal_i64("bins", bins, wbins, nbins);
	ac_check_equal_i64("outside", &got, &want, 1);
	AC_TIME(got = histogram(n, v, nbins, bins));
	ac_check_equal_i64("bins", bins, wbins, nbins);
	ac_check_equal_i64("outside", &got, &want, 1);
	return ac_report();
}
