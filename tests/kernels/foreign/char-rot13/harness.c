/*
 * harness.c - char-rot13: checks and times the input against its ref_ copy.
 */
#include <autocomp.h>
void rot13(size_t n, const char *in, char *out);
void ref_rot13(size_t n, const char *in, char *out);

int main(int argc, char **argv)
{
	const size_t n = 1 << 22;

	ac_init(argc, argv);
	char *in = ac_alloc(n), *out = ac_alloc(n), *want = ac_alloc(n);
	ac_fill_char(in, n, 32, 126);
	ac_protect(in);
	ref_rot13(n, in, want);
	ac_protect(want);
	ac_fill_char(out, n, 0, 0);
	rot13(n, in, out);
	ac_check_equal_char("out", out, want, n);
	AC_TIME(rot13(n, in, out));
	ac_check_equal_char("out", out, want, n);
	return ac_report();
}
