/*
 * Out-of-place matrix transpose, out[j][i] = in[i][j], in rows x cols,
 * row-major. Knobs: TB, the cache tile (TB x TB: its rows of the input and
 * of the output stay in cache while it is done); IB, the micro-tile copied
 * as one unit inside a tile (IB x IB, small enough for registers); and
 * ORDER, whether tiles are walked along the input's rows (ROWS: reads
 * stream) or along its columns (COLS: writes stream); INNER, which side
 * of a micro-tile is walked contiguously (READS: rows of the input, WRITES:
 * rows of the output). IB must divide TB.
 * Sizes that the tiles do not divide take a plain loop at the edges.
 */
#include <stddef.h>

#define TB 4096       // autocomp-tune: 16 32 64 128 256 4096
#define IB 1          // autocomp-tune: 1 4 8 16
#define ORDER ROWS    // autocomp-tune: ROWS COLS
#define INNER READS   // autocomp-tune: READS WRITES

#define ROWS 0
#define COLS 1
#define READS 0
#define WRITES 1

#if TB % IB != 0
#error "IB must divide TB"
#endif

static inline int imin(int a, int b)
{
	return a < b ? a : b;
}

/* Transposes the tile at (i0, j0), h x w elements. */
static inline void tile(int rows, int cols, int i0, int j0, int h, int w,
                        const float *restrict in, float *restrict out)
{
	int hf = h / IB * IB;
	int wf = w / IB * IB;

	for (int i = i0; i < i0 + hf; i += IB)
		for (int j = j0; j < j0 + wf; j += IB) {
			if (INNER == READS) {
				for (int y = 0; y < IB; y++)
					for (int x = 0; x < IB; x++)
						out[(size_t)(j + x) * rows + i + y] =
							in[(size_t)(i + y) * cols + j + x];
			} else {
				for (int x = 0; x < IB; x++)
					for (int y = 0; y < IB; y++)
						out[(size_t)(j + x) * rows + i + y] =
							in[(size_t)(i + y) * cols + j + x];
			}
		}
	for (int i = i0; i < i0 + h; i++)
		for (int j = i < i0 + hf ? j0 + wf : j0; j < j0 + w; j++)
			out[(size_t)j * rows + i] = in[(size_t)i * cols + j];
}

void transpose(int rows, int cols, const float *in, float *out)
{
	if (ORDER == ROWS) {
		for (int i = 0; i < rows; i += TB)
			for (int j = 0; j < cols; j += TB)
				tile(rows, cols, i, j, imin(TB, rows - i),
				     imin(TB, cols - j), in, out);
	} else {
		for (int j = 0; j < cols; j += TB)
			for (int i = 0; i < rows; i += TB)
				tile(rows, cols, i, j, imin(TB, rows - i),
				     imin(TB, cols - j), in, out);
	}
}
