/*
 * fslat.c - latency of stat and of a whole-file read, for tools/bench-fs.
 *
 *   fslat [-n N] FILE...
 *   fslat -w SECONDS FILE
 *
 * Does N rounds; in each round, for every FILE in turn, times one stat(),
 * one open() + read() to EOF + close(), and one pread() to EOF on a
 * descriptor opened before the rounds (what the page cache serves, with
 * no open or close), with CLOCK_MONOTONIC. The files are interleaved round
 * by round (and the order alternates), so a file in the mount and its copy
 * on tmpfs meet the same moment's load. Prints one line per FILE and
 * operation, times in microseconds:
 *
 *   op    median_us  p99_us  max_us  bytes  file
 *   stat  12.1       40.3    310.9   1873   /tmp/x/mnt/kernels/gemm/best.c
 *   read  25.7       88.0    502.4   1873   /tmp/x/mnt/kernels/gemm/best.c
 *   pread 1.1        3.0     40.2    1873   /tmp/x/mnt/kernels/gemm/best.c
 *
 * bytes is what the last read returned (a generated file may grow while
 * it is measured). Exits 1 when a file cannot be stat'ed or read.
 *
 * With -w it watches FILE for SECONDS instead: stat() every millisecond,
 * and at each change of its mtime or size, how long after the mtime
 * (wall clock) stat saw it, and whether a read then gives st_size bytes:
 *
 *   change  lag_ms 3.2  size_ok 1
 *   watched 20.0 s: 4 changes, lag median 2.9 ms, max 5.1 ms, 0 reads of another size
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

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

/* Reads path to EOF; the byte count, or -1. */
static long read_all(const char *path, char *buf, size_t size)
{
	long total = 0;
	ssize_t got;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	while ((got = read(fd, buf, size)) > 0)
		total += got;
	close(fd);
	return got < 0 ? -1 : total;
}

/* -w: how soon a change of path is seen by stat, and whether a read
 * agrees with the size stat gave. */
static int watch(const char *path, double secs)
{
	static char buf[1 << 20];
	static double lag[4096];
	struct stat a, b;
	int n = 0, bad = 0;

	if (stat(path, &a)) {
		fprintf(stderr, "fslat: stat %s: %s\n", path, strerror(errno));
		return 1;
	}
	double end = now_us() + secs * 1e6;
	while (now_us() < end) {
		usleep(1000);
		if (stat(path, &b))
			continue;
		if (b.st_mtim.tv_sec == a.st_mtim.tv_sec && b.st_mtim.tv_nsec == a.st_mtim.tv_nsec &&
		    b.st_size == a.st_size)
			continue;
		int64_t mt = (int64_t)b.st_mtim.tv_sec * 1000000000 + b.st_mtim.tv_nsec;
		double ms = (double)(real_ns() - mt) / 1e6;
		long got = read_all(path, buf, sizeof(buf));
		int ok = got == (long)b.st_size;
		bad += !ok;
		printf("change  lag_ms %.1f  size_ok %d\n", ms, ok);
		if (n < (int)(sizeof(lag) / sizeof(lag[0])))
			lag[n++] = ms;
		a = b;
	}
	if (n)
		qsort(lag, (size_t)n, sizeof(lag[0]), cmp);
	printf("watched %.1f s: %d changes, lag median %.1f ms, max %.1f ms, %d reads of another size\n",
	       secs, n, n ? quantile(lag, n, 0.5) : 0, n ? lag[n - 1] : 0, bad);
	return 0;
}

int main(int argc, char **argv)
{
	static char buf[1 << 20];
	int n = 2000, first = 1;

	if (argc == 4 && !strcmp(argv[1], "-w"))
		return watch(argv[3], atof(argv[2]));

	if (argc > 2 && !strcmp(argv[1], "-n")) {
		n = atoi(argv[2]);
		first = 3;
	}
	int nf = argc - first;
	if (n < 1 || nf < 1) {
		fprintf(stderr, "usage: fslat [-n N] FILE... | fslat -w SECONDS FILE\n");
		return 2;
	}
	double *st = calloc((size_t)n * nf, sizeof(*st));
	double *rd = calloc((size_t)n * nf, sizeof(*rd));
	double *pr = calloc((size_t)n * nf, sizeof(*pr));
	long *bytes = calloc((size_t)nf, sizeof(*bytes));
	int *held = calloc((size_t)nf, sizeof(*held));
	if (!st || !rd || !pr || !bytes || !held) {
		perror("fslat");
		return 1;
	}
	for (int f = 0; f < nf; f++) {
		held[f] = open(argv[first + f], O_RDONLY);
		if (held[f] < 0) {
			fprintf(stderr, "fslat: open %s: %s\n", argv[first + f], strerror(errno));
			return 1;
		}
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

			off_t at = 0;
			t0 = now_us();
			while ((got = pread(held[f], buf, sizeof(buf), at)) > 0)
				at += got;
			t1 = now_us();
			if (got < 0) {
				fprintf(stderr, "fslat: pread %s: %s\n", path, strerror(errno));
				return 1;
			}
			pr[f * n + i] = t1 - t0;
		}
	}
	printf("%-5s %9s %9s %9s %8s  %s\n", "op", "median_us", "p99_us", "max_us", "bytes",
	       "file");
	for (int f = 0; f < nf; f++) {
		report("stat", st + f * n, n, bytes[f], argv[first + f]);
		report("read", rd + f * n, n, bytes[f], argv[first + f]);
		report("pread", pr + f * n, n, bytes[f], argv[first + f]);
		close(held[f]);
	}
	free(st);
	free(rd);
	free(pr);
	free(bytes);
	free(held);
	return 0;
}
