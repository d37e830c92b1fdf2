/* dst[i] = src[idx[i]]: the indices must be a permutation. */
#include <stdint.h>

void gather(int n, const int32_t *idx, const float *src, float *dst)
{
	for (int i = 0; i < n; i++)
		dst[i] = src[idx[i]];
}
