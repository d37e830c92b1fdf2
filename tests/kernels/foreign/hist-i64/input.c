/* A histogram of 32-bit integers; returns how many values fell outside
 * the bins (int64_t). */
#include <stddef.h>
#include <stdint.h>

int64_t histogram(size_t n, const int32_t *v, int32_t nbins, int64_t *bins)
{
	int64_t outside = 0;

	for (int32_t b = 0; b < nbins; b++)
		bins[b] = 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < 0 || v[i] >= nbins)
			outside++;
		else
			bins[v[i]]++;
	}
	return outside;
}
