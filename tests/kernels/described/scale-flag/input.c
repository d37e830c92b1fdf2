/* A bool parameter and an in-place update. */
#include <stdbool.h>

void scale(int n, bool negate, float s, float x[n])
{
	for (int i = 0; i < n; i++)
		x[i] = negate ? -s * x[i] : s * x[i];
}
