/* Scalars of every kind: size_t, ptrdiff_t, an enum, bool, double. */
#include <stdbool.h>
#include <stddef.h>

enum op { OP_SCALE, OP_SHIFT, OP_SQUARE };

void apply(size_t n, ptrdiff_t stride, enum op op, bool clamp, double k, const double *x,
           double *y)
{
	for (size_t i = 0; i < n; i++) {
		double v = x[(ptrdiff_t)i * stride];

		switch (op) {
		case OP_SCALE: v *= k; break;
		case OP_SHIFT: v += k; break;
		case OP_SQUARE: v = v * v * k; break;
		}
		if (clamp && v > 1.0)
			v = 1.0;
		y[i] = v;
	}
}
