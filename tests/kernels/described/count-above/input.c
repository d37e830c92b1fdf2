/* How many values are above t: an int64_t answer. */
#include <stdint.h>

int64_t count_above(int64_t n, const double x[n], double t)
{
	int64_t c = 0;

	for (int64_t i = 0; i < n; i++)
		c += x[i] > t;
	return c;
}
