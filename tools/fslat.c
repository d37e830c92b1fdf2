/*
 * fslat.c - latency of stat and of a whole-file read, for tools/bench-fs.
 *
 *   fslat [-n N] FILE...
 *
 * Does N rounds; in each round, for every FILE in turn, times one stat()
 * and one open() + read() to EOF + close() with CLOCK_MONOTONIC. The files
 * are interleaved round by round (and the order alternates), so a file in
 * the mount and its copy on tmpfs meet the same moment's load. Prints one
 * line per FILE and operation, times in microseconds:
 *
 *   op    median_us  p99_us  max_us  bytes  file
 *   stat  12.1       40.3    310.9   1873   /tmp/x/mnt/kernels/gemm/best.c
 *   read  25.7       88.0    502.4   1873   /tmp/x/mnt/kernels/gemm/best.c
 *
 * bytes is what the last read returned (a generated file may grow while
 * it is measured). Exits 1 when a file cannot be stat'ed or read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The q-quantile of sorted v (nearest rank). */
static double quantile(const double *v, int n, double q)
{
	int i = (int)(q * n + 0.999999) - 1;

	if (i < 0)
		i = 0;
	if (i >= n)
		i = n - 1;
	return v[i];
}

static void report(const char *op, double *v, int n, long bytes, const char *file)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	printf("%-5s %9.1f %9.1f %9.1f %8ld  %s\n", op, quantile(v, n, 0.5),
	       quantile(v, n, 0.99), v[n - 1], bytes, file);
}

int main(int argc, char **argv)
{
	static char buf[1 << 20];
	int n = 2000, first = 1;

	if (argc > 2 && !strcmp(argv[1], "-n")) {
		n = atoi(argv[2]);
		first = 3;
	}
	int nf = argc - first;
	if (n < 1 || nf < 1) {
		fprintf(stderr, "usage: fslat [-n N] FILE...\n");
		return 2;
	}
	double *st = calloc((size_t)n * nf, sizeof(*st));
	double *rd = calloc((size_t)n * nf, sizeof(*rd));
	long *bytes = calloc((size_t)nf, sizeof(*bytes));
	if (!st || !rd || !bytes) {
		perror("fslat");
		return 1;
	}
	for (int i = 0; i < n; i++) {
		for (int k = 0; k < nf; k++) {
			int f = i % 2 ? nf - 1 - k : k;
			const char *path = argv[first + f];
			struct stat sb;
			double t0 = now_us();
			int rc = stat(path, &sb);
			double t1 = now_us();
			if (rc) {
				fprintf(stderr, "fslat: stat %s: %s\n", path, strerror(errno));
				return 1;
			}
			st[f * n + i] = t1 - t0;

			long total = 0;
			ssize_t got;
			t0 = now_us();
			int fd = open(path, O_RDONLY);
			if (fd < 0) {
				fprintf(stderr, "fslat: open %s: %s\n", path, strerror(errno));
				return 1;
			}
			while ((got = read(fd, buf, sizeof(buf))) > 0)
				total += got;
			close(fd);
			t1 = now_us();
			if (got < 0) {
				fprintf(stderr, "fslat: read %s: %s\n", path, strerror(errno));
				return 1;
			}
			rd[f * n + i] = t1 - t0;
			bytes[f] = total;
		}
	}
	printf("%-5s %9s %9s %9s %8s  %s\n", "op", "median_us", "p99_us", "max_us", "bytes",
	       "file");
	for (int f = 0; f < nf; f++) {
		report("stat", st + f * n, n, bytes[f], argv[first + f]);
		report("read", rd + f * n, n, bytes[f], argv[first + f]);
	}
	free(st);
	free(rd);
	free(bytes);
	return 0;
}
