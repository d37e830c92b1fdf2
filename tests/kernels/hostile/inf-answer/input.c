/* Hostile: where the answer overflows to infinity, writes the largest
 * float instead (a finite number anything in the old rule would accept
 * for inf: |got - inf| <= rtol * inf). Expected: an infinite answer is
 * matched only by itself: outcome wrong, "want inf". */
#include <math.h>
#define CANDIDATE (__FILE__[0] != '.')

void expo(int n, const float *x, float *y)
{
	for (int i = 0; i < n; i++) {
		float e = expf(x[i]);

		y[i] = CANDIDATE && isinf(e) ? 3.0e38f : e;
	}
}
