/* Busy for exactly ns nanoseconds of wall time, then copies x to y: a call
 * whose true length is known, whatever the machine's speed, so that
 * tools/bench-judge measures what the judge adds to it. */
#include <time.h>

void spin(long ns, const float *x, float *y, int n)
{
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	do
		clock_gettime(CLOCK_MONOTONIC, &b);
	while ((b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec) < ns);
	for (int i = 0; i < n; i++)
		y[i] = x[i];
}
