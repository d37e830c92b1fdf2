/*
 * harness.c - pb-covariance: checks and times the input against its ref_ copy.
 */
#include <autocomp.h>
typedef double DATA_TYPE;
void kernel_covariance(int m, int n, DATA_TYPE float_n, DATA_TYPE data[n][m],
                       DATA_TYPE cov[m][m], DATA_TYPE mean[m]);
void ref_kernel_covariance(int m, int n, DATA_TYPE float_n, DATA_TYPE data[n][m],
                           DATA_TYPE cov[m][m], DATA_TYPE mean[m]);

int main(int argc, char **argv)
{
	const int m = 200, n = 220;

	ac_init(argc, argv);
	DATA_TYPE (*data)[m] = ac_alloc(sizeof(DATA_TYPE) * n * m);
	DATA_TYPE (*wdata)[m] = ac_alloc(sizeof(DATA_TYPE) * n * m);
	DATA_TYPE (*cov)[m] = ac_alloc(sizeof(DATA_TYPE) * m * m);
	DATA_TYPE (*wcov)[m] = ac_alloc(sizeof(DATA_TYPE) * m * m);
	DATA_TYPE *mean = ac_alloc_f64(m), *wmean = ac_alloc_f64(m);
	ac_fill_f64(&data[0][0], (size_t)n * m, 0, 100);
	memcpy(wdata, data, sizeof(DATA_TYPE) * n * m);
	ref_kernel_covariance(m, n, (DATA_TYPE)n, wdata, wcov, wmean);
	ac_protect(wcov);
	ac_protect(wmean);
	ac_inout(data);
	ac_fill_nan_f64(&cov[0][0], (size_t)m * m);
	ac_fill_nan_f64(mean, m);
	kernel_covariance(m, n, (DATA_TYPE)n, data, cov, mean);
	ac_check_close_f64("cov", &cov[0][0], &wcov[0][0], (size_t)m * m, 1e-9, 1e-9);
	ac_check_close_f64("mean", mean, wmean, m, 1e-12, 1e-12);
	AC_TIME(kernel_covariance(m, n, (DATA_TYPE)n, data, cov, mean));
	ac_check_close_f64("cov", &cov[0][0], &wcov[0][0], (size_t)m * m, 1e-9, 1e-9);
	return ac_report();
}
