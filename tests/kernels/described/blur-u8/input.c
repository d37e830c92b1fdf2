/* A 3x3 box blur of an 8-bit image with size_t sizes; the border is
 * copied. */
#include <stddef.h>
#include <stdint.h>

void blur(size_t w, size_t h, const uint8_t *in, uint8_t *out)
{
	for (size_t y = 0; y < h; y++)
		for (size_t x = 0; x < w; x++) {
			if (y == 0 || x == 0 || y == h - 1 || x == w - 1) {
				out[y * w + x] = in[y * w + x];
				continue;
			}
			unsigned s = 0;
			for (int dy = -1; dy <= 1; dy++)
				for (int dx = -1; dx <= 1; dx++)
					s += in[(y + dy) * w + x + dx];
			out[y * w + x] = (uint8_t)(s / 9);
		}
}
