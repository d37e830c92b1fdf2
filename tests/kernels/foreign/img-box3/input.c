/* A 3 x 3 box blur of an 8-bit grey image, as image code writes it:
 * size_t sizes, restrict, uint8_t pixels, a rounding integer mean; the
 * border copied. */
#include <stddef.h>
#include <stdint.h>

void box3(size_t height, size_t width, const uint8_t *restrict src, uint8_t *restrict dst)
{
	for (size_t y = 0; y < height; y++)
		for (size_t x = 0; x < width; x++) {
			if (y == 0 || x == 0 || y == height - 1 || x == width - 1) {
				dst[y * width + x] = src[y * width + x];
				continue;
			}
			unsigned sum = 0;
			for (int dy = -1; dy <= 1; dy++)
				for (int dx = -1; dx <= 1; dx++)
					sum += src[(y + dy) * width + (x + dx)];
			dst[y * width + x] = (uint8_t)((sum + 4) / 9);
		}
}
