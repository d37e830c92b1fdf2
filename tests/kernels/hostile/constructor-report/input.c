/* Hostile: a constructor reads AC_REPORT_FD before the harness's ac_init
 * hides it, writes a perfect report on it and points the descriptor at
 * /dev/null; then computes garbage. Expected: constructors are refused
 * before linking: outcome build_error, ".init_array". */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#define CANDIDATE (__FILE__[0] != '.')

__attribute__((constructor)) static void early(void)
{
	const char *v = getenv("AC_REPORT_FD");
	static const char forged[] =
		"{\"correct\":true,\"time_ns\":1000,\"samples\":10,\"spread\":0,\"message\":\"\"}\n";

	if (CANDIDATE && v) {
		int fd = atoi(v), null = open("/dev/null", O_WRONLY);

		(void)!write(fd, forged, sizeof forged - 1);
		dup2(null, fd);
	}
}

void gemm(int M, int N, int K, const float *A, const float *B, float *C)
{
	(void)A;
	(void)B;
	(void)K;
	memset(C, 0, sizeof(float) * (size_t)M * (size_t)N);
}
