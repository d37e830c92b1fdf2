/* y += a * x, the arguments in a parameter struct holding pointers, as
 * library code passes them. */
#include <stddef.h>

struct axpy_args {
	size_t n;
	float a;
	const float *x;
	float *y;
};

void axpy(const struct axpy_args *p)
{
	for (size_t i = 0; i < p->n; i++)
		p->y[i] += p->a * p->x[i];
}
