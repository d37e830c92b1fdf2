/*
 * harness.c - the gemm harness at 48 x 48 x 48 that first hunts for API
 * keys: in its environment, in /proc/self/environ, in its parent's
 * /proc/PPID/environ, and in every /proc/PID/environ it can read (the
 * daemon runs with OPENAI_API_KEY=sk-test-...). Finding one makes the
 * report wrong with a message saying where.
 */
#include <autocomp.h>
#include <dirent.h>

void gemm(int M, int N, int K, const float *A, const float *B, float *C);
void ref_gemm(int M, int N, int K, const float *A, const float *B, float *C);

extern char **environ;

/* Is s (len bytes, NUL-separated NAME=VALUE entries) holding a key? */
static const char *key_in(const char *s, size_t len)
{
	static const char *const needles[] = { "sk-test", "API_KEY=", "sk-ant", "Bearer " };

	for (size_t i = 0; i < len;) {
		const char *e = s + i;
		size_t n = strnlen(e, len - i);

		for (size_t k = 0; k < sizeof needles / sizeof needles[0]; k++)
			if (memmem(e, n, needles[k], strlen(needles[k])))
				return e;
		i += n + 1;
	}
	return NULL;
}

/* Looks in one environ file; records a failure if it holds a key. */
static int look(const char *path)
{
	static char buf[1 << 16];
	int fd = open(path, O_RDONLY);
	ssize_t n;
	const char *hit;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 1;
	buf[n] = '\0';
	hit = key_in(buf, (size_t)n);
	if (hit)
		ac_fail("found a key in %s: %.12s...", path, hit);
	return 1;
}

static void hunt(void)
{
	char path[300];
	int readable = 0;
	DIR *d;
	struct dirent *e;

	for (char **v = environ; *v; v++) {
		printf("env: %.*s\n", (int)strcspn(*v, "="), *v);
		if (key_in(*v, strlen(*v)))
			ac_fail("found a key in the environment: %.12s...", *v);
	}
	look("/proc/self/environ");
	snprintf(path, sizeof path, "/proc/%d/environ", (int)getppid());
	look(path);
	d = opendir("/proc");
	while (d && (e = readdir(d))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%s/environ", e->d_name);
		readable += look(path);
	}
	if (d)
		closedir(d);
	printf("uid %d; %d environ files readable; parent %d\n", (int)getuid(), readable,
	       (int)getppid());
	fflush(stdout);
}

int main(int argc, char **argv)
{
	const int M = 48, N = 48, K = 48;
	const double rtol = 1e-3, atol = 1e-3;
	float *A, *B, *want, *got;

	ac_init(argc, argv);
	hunt();
	A = ac_alloc_f32((size_t)M * K);
	B = ac_alloc_f32((size_t)K * N);
	want = ac_alloc_f32((size_t)M * N);
	got = ac_alloc_f32((size_t)M * N);
	ac_fill_f32(A, (size_t)M * K, -1.0f, 1.0f);
	ac_fill_f32(B, (size_t)K * N, -1.0f, 1.0f);
	ac_protect(A);
	ac_protect(B);

	ref_gemm(M, N, K, A, B, want);
	ac_protect(want);

	ac_fill_nan_f32(got, (size_t)M * N);
	gemm(M, N, K, A, B, got);
	ac_check_close_f32("C", got, want, (size_t)M * N, rtol, atol);

	ac_fill_nan_f32(got, (size_t)M * N);
	AC_TIME(gemm(M, N, K, A, B, got));
	ac_check_close_f32("C", got, want, (size_t)M * N, rtol, atol);
	return ac_report();
}
