/*
 * test_symcheck.c - what a candidate's object may define (targets/judge/symcheck.c),
 * on nm and readelf text and on objects a real compiler makes.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "targets/judge/symcheck.h"

static const char libc_nm[] =
	"0000000000000000 A GLIBC_2.2.5\n"
	"00000000000a0ff0 T memcpy@@GLIBC_2.14\n"
	"00000000000c5a10 W clock_gettime@@GLIBC_2.17\n"
	"00000000000d0000 T printf@@GLIBC_2.2.5\n"
	"00000000001e0000 D stdout@@GLIBC_2.2.5\n"
	"                 w __gmon_start__\n";

static struct ac_argv runtime(void)
{
	struct ac_argv s = { 0 };

	cr_assert_eq(ac_symcheck_add_dynamic(&s, libc_nm), 0);
	cr_assert_eq(ac_symcheck_add_dynamic(&s, libc_nm), 0);
	ac_argv_sort(&s);
	return s;
}

Test(symcheck, runtime_names)
{
	struct ac_argv s = runtime();

	cr_assert_eq(s.n, 4, "deduplicated, versions dropped, A and w left out");
	cr_assert(ac_argv_find(&s, "memcpy") >= 0 && ac_argv_find(&s, "clock_gettime") >= 0 &&
	          ac_argv_find(&s, "stdout") >= 0);
	cr_assert(ac_argv_find(&s, "GLIBC_2.2.5") < 0 && ac_argv_find(&s, "__gmon_start__") < 0 &&
	          ac_argv_find(&s, "gemm") < 0);
	ac_argv_free(&s);
	ac_argv_free(&s);
	ac_argv_free(NULL);
}

static const char plain_sections[] =
	"  [ 1] .text             PROGBITS        0000000000000000 000040 000034 00  AX  0   0  1\n"
	"  [ 4] .rodata           PROGBITS        0000000000000000 000078 000008 08   A  0   0  8\n";

Test(symcheck, own_functions_and_data_pass)
{
	struct ac_argv s = runtime();
	char why[256];

	cr_assert_eq(ac_symcheck("gemm T 0 12\nhelper t 12 7\ntable D 0 400\nbuf B 0 64\n"
	                         "memcpy U\nsqrtf U\n", plain_sections, &s, why, sizeof why), 0,
	             "%s", why);
	/* a static function may share a libc name: it interposes on nothing */
	cr_assert_eq(ac_symcheck("memcpy t 0 12\n", plain_sections, &s, why, sizeof why), 0);
	ac_argv_free(&s);
}

Test(symcheck, refusals_say_why)
{
	static const struct {
		const char *nm, *sections, *want;
	} cases[] = {
		{ "clock_gettime T 0 12\n", plain_sections,
		  "defines clock_gettime, which the C library provides" },
		{ "memcpy W 0 12\n", plain_sections, "defines memcpy, which the C library provides" },
		{ "main T 0 12\n", plain_sections, "defines main, which the program provides" },
		{ "ac_report T 0 12\n", plain_sections,
		  "defines ac_report, which the harness library provides" },
		{ "mx i 27 d\n", plain_sections, "defines mx as an IFUNC" },
		{ "gemm T 0 12\n",
		  "  [ 4] .init_array       INIT_ARRAY      0000000000000000 000078 000008 08  WA  0   0  8\n"
		  "  [ 5] .rela.init_array  RELA            0000000000000000 000260 000018 18   I 10   4  8\n",
		  "has a .init_array section" },
		{ "gemm T 0 12\n",
		  "  [ 4] .mine             INIT_ARRAY      0000000000000000 000078 000008 08  WA  0   0  8\n",
		  "has a .mine section" },
		{ "gemm T 0 12\n",
		  "  [ 4] .fini_array       FINI_ARRAY      0000000000000000 000078 000008 08  WA  0   0  8\n",
		  "has a .fini_array section" },
		{ "gemm T 0 12\n",
		  "  [ 4] .ctors            PROGBITS        0000000000000000 000078 000008 08  WA  0   0  8\n",
		  "has a .ctors section" },
	};
	struct ac_argv s = runtime();

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char why[256];

		cr_assert_eq(ac_symcheck(cases[i].nm, cases[i].sections, &s, why, sizeof why), -EPERM,
		             "%s", cases[i].want);
		cr_assert(strstr(why, cases[i].want), "%s -> %s", cases[i].want, why);
	}
	ac_argv_free(&s);
}

/* The same rules on objects gcc really made, and the real libc's names. */
Test(symcheck, real_objects, .timeout = 60)
{
	static const struct {
		const char *src, *want;   /* want NULL: accepted */
	} cases[] = {
		{ "void gemm(float *c) { c[0] = 1; }\nstatic float t[4];\nfloat *g(void) { return t; }\n",
		  NULL },
		{ "#include <time.h>\nint clock_gettime(clockid_t c, struct timespec *t) "
		  "{ (void)c; t->tv_sec = 0; t->tv_nsec = 0; return 0; }\n",
		  "defines clock_gettime" },
		{ "int seen;\n__attribute__((constructor)) static void early(void) { seen = 1; }\nvoid gemm(void) {}\n",
		  ".init_array" },
		{ "int seen;\n__attribute__((destructor)) static void late(void) { seen = 2; }\nvoid gemm(void) {}\n",
		  ".fini_array" },
		{ "static void impl(void) {}\nstatic void (*pick(void))(void) { return impl; }\n"
		  "void gemm(void) __attribute__((ifunc(\"pick\")));\n", "IFUNC" },
		{ "#include <string.h>\nvoid *memcpy(void *d, const void *s, size_t n) "
		  "{ char *a = d; const char *b = s; while (n--) *a++ = *b++; return d; }\n",
		  "defines memcpy" },
	};
	struct ac_argv rt = { 0 };
	char cmd[1024], buf[1 << 16];
	FILE *p;
	size_t n;

	p = popen("nm -D --defined-only $(cc -print-file-name=libc.so.6) | "
	          "grep -E ' (clock_gettime|memcpy|printf)@'", "r");
	n = fread(buf, 1, sizeof buf - 1, p);
	buf[n] = '\0';
	pclose(p);
	cr_assert_eq(ac_symcheck_add_dynamic(&rt, buf), 0);
	ac_argv_sort(&rt);
	cr_assert(ac_argv_find(&rt, "clock_gettime") >= 0 && ac_argv_find(&rt, "memcpy") >= 0);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char dir[] = "/tmp/ac-test-sym-XXXXXX", nm[8192], secs[8192], why[256];

		cr_assert_not_null(mkdtemp(dir));
		snprintf(cmd, sizeof cmd, "%s/c.c", dir);
		p = fopen(cmd, "w");
		fputs(cases[i].src, p);
		fclose(p);
		snprintf(cmd, sizeof cmd, "cd %s && cc -O2 -c c.c && nm -P c.o", dir);
		p = popen(cmd, "r");
		n = fread(nm, 1, sizeof nm - 1, p);
		nm[n] = '\0';
		cr_assert_eq(pclose(p), 0, "%s", cases[i].src);
		snprintf(cmd, sizeof cmd, "cd %s && readelf -SW c.o; rm -rf %s", dir, dir);
		p = popen(cmd, "r");
		n = fread(secs, 1, sizeof secs - 1, p);
		secs[n] = '\0';
		pclose(p);
		int rc = ac_symcheck(nm, secs, &rt, why, sizeof why);
		if (!cases[i].want) {
			cr_assert_eq(rc, 0, "%s -> %s", cases[i].src, why);
		} else {
			cr_assert_eq(rc, -EPERM, "%s", cases[i].src);
			cr_assert(strstr(why, cases[i].want), "%s -> %s", cases[i].want, why);
		}
	}
	ac_argv_free(&rt);
}
