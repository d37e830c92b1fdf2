/* A histogram of values in [0, bins): the counts are added to. */
#include <stdint.h>

void histogram(int n, const int32_t *data, int bins, int32_t *hist)
{
	for (int i = 0; i < n; i++)
		hist[data[i]]++;
}
