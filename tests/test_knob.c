/*
 * test_knob.c - the knob marker parser and the #define rewriter.
 *
 * Parser: both comment styles, blanks and commas, CRLF, integers and
 * identifiers, the current value, and every malformed marker that must be
 * refused. Rewriter: only the value token changes, round trips, and the
 * shipped benchmark kernels parse.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ac_config.h"
#include "engine/search/knob.h"

static struct knob_set parse_ok(const char *src)
{
	struct knob_set s = { 0 };
	char err[256];
	int rc = knob_parse(src, &s, err, sizeof(err));

	cr_assert_eq(rc, 0, "knob_parse: %d (%s)", rc, err);
	return s;
}

static int parse_rc(const char *src, char *err, size_t errlen)
{
	struct knob_set s = { 0 };
	int rc = knob_parse(src, &s, err, errlen);

	cr_assert_eq(s.count, 0, "a failed parse leaves no knobs");
	cr_assert_null(s.knobs);
	knob_set_clear(&s);
	return rc;
}

Test(knob, no_knobs)
{
	struct knob_set s = parse_ok("int main(void) { return 0; }\n#define X 3\n");

	cr_assert_eq(s.count, 0);
	cr_assert_eq(knob_space_size(&s), 1);
	knob_set_clear(&s);
	s = parse_ok("");
	cr_assert_eq(s.count, 0);
	knob_set_clear(&s);
}

Test(knob, line_comment)
{
	struct knob_set s = parse_ok(
		"#include <stdio.h>\n"
		"#define TILE_M 32 // autocomp-tune: 16 32 64 128\n"
		"void f(void) {}\n");

	cr_assert_eq(s.count, 1);
	cr_assert_str_eq(s.knobs[0].name, "TILE_M");
	cr_assert_str_eq(s.knobs[0].value, "32");
	cr_assert_eq(s.knobs[0].nvalues, 4);
	cr_assert_str_eq(s.knobs[0].values[0], "16");
	cr_assert_str_eq(s.knobs[0].values[3], "128");
	cr_assert_eq(s.knobs[0].current, 1);
	cr_assert_eq(knob_space_size(&s), 4);
	knob_set_clear(&s);
}

Test(knob, block_comment_identifiers_and_commas)
{
	struct knob_set s = parse_ok(
		"  #  define ORDER   IKJ\t/* autocomp-tune: IJK, IKJ ,JIK */ // note\n"
		"#define UNROLL 4 //autocomp-tune:1,2,4,8\n");

	cr_assert_eq(s.count, 2);
	cr_assert_str_eq(s.knobs[0].name, "ORDER");
	cr_assert_str_eq(s.knobs[0].value, "IKJ");
	cr_assert_eq(s.knobs[0].nvalues, 3);
	cr_assert_str_eq(s.knobs[0].values[2], "JIK");
	cr_assert_eq(s.knobs[0].current, 1);
	cr_assert_str_eq(s.knobs[1].name, "UNROLL");
	cr_assert_eq(s.knobs[1].nvalues, 4);
	cr_assert_eq(s.knobs[1].current, 2);
	cr_assert_eq(knob_space_size(&s), 12);
	knob_set_clear(&s);
}

Test(knob, crlf_tabs_and_last_line_without_newline)
{
	struct knob_set s = parse_ok(
		"#define A 1 // autocomp-tune: 1 2\r\n"
		"\t#define\tB\tx\t//\tautocomp-tune:\tx\ty\tz\t\r\n"
		"#define C -4 // autocomp-tune: -4 0 +4 0x10");

	cr_assert_eq(s.count, 3);
	cr_assert_eq(s.knobs[0].nvalues, 2);
	cr_assert_str_eq(s.knobs[0].values[1], "2", "CR is not part of a value");
	cr_assert_str_eq(s.knobs[1].name, "B");
	cr_assert_eq(s.knobs[1].nvalues, 3);
	cr_assert_str_eq(s.knobs[1].values[2], "z");
	cr_assert_eq(s.knobs[2].nvalues, 4);
	cr_assert_eq(s.knobs[2].current, 0);
	cr_assert_eq(knob_value_index(&s.knobs[2], "16"), 3, "0x10 is 16");
	cr_assert_eq(knob_value_index(&s.knobs[2], "5"), -1);
	cr_assert_eq(knob_find(&s, "C"), 2);
	cr_assert_eq(knob_find(&s, "D"), -1);
	cr_assert_eq(knob_space_size(&s), 24);
	knob_set_clear(&s);
}

Test(knob, current_value_not_listed)
{
	struct knob_set s = parse_ok("#define T 24 // autocomp-tune: 16 32\n");

	cr_assert_eq(s.knobs[0].current, -1);
	cr_assert_str_eq(s.knobs[0].value, "24");
	knob_set_clear(&s);
}

Test(knob, marker_outside_preprocessor_is_prose)
{
	struct knob_set s = parse_ok(
		"/* Knobs look like: #define X 1 // autocomp-tune: 1 2 */\n"
		"// mark them with autocomp-tune: 1 2 3\n"
		"const char *doc = \"autocomp-tune: 4\";\n");

	cr_assert_eq(s.count, 0);
	knob_set_clear(&s);
}

Test(knob, malformed_markers)
{
	char err[256];
	static const char *bad[] = {
		"#define A 1 // autocomp-tune:\n",              /* no values */
		"#define A 1 // autocomp-tune:   \n",
		"#define A 1 /* autocomp-tune: */\n",
		"#define A 1 // autocomp-tune: 1 1\n",          /* duplicate value */
		"#define A 1 // autocomp-tune: 1 2.5\n",        /* not int/ident */
		"#define A 1 // autocomp-tune: 1 (2)\n",
		"#define A 1 // autocomp-tune: 1 -\n",
		"#define A 1 // autocomp-tune: 1 2\n"
		"#define A 2 // autocomp-tune: 1 2\n",          /* duplicate knob */
		"#define A(x) x // autocomp-tune: 1 2\n",       /* function-like */
		"#define A // autocomp-tune: 1 2\n",            /* no value */
		"#define A 1 2 // autocomp-tune: 1 2\n",        /* two tokens */
		"#defin A 1 // autocomp-tune: 1 2\n",           /* typo */
		"#if X // autocomp-tune: 1 2\n",
		"#define A 1 /* autocomp-tune: 1 2\n",          /* unterminated */
		"#define A 1 // see autocomp-tune: 1 2\n",      /* words first */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		cr_assert_eq(parse_rc(bad[i], err, sizeof(err)), -EINVAL,
		             "accepted: %s", bad[i]);
		cr_assert_neq(err[0], '\0', "no reason for: %s", bad[i]);
		cr_assert_not_null(strstr(err, "line "), "%s", err);
	}
	cr_assert_eq(parse_rc("\n\n#define A 1 // autocomp-tune: 1 1\n", err,
	                      sizeof(err)), -EINVAL);
	cr_assert_not_null(strstr(err, "line 3"), "%s", err);
	/* err may be NULL. */
	cr_assert_eq(parse_rc("#define A 1 // autocomp-tune:\n", NULL, 0), -EINVAL);
}

Test(knob, space_size_saturates)
{
	struct knob_set s = { 0 };
	char src[8192];
	size_t used = 0;

	for (int i = 0; i < 40; i++)
		used += (size_t)snprintf(src + used, sizeof(src) - used,
		        "#define K%d 1 // autocomp-tune: 1 2 3 4 5 6 7 8\n", i);
	s = parse_ok(src);
	cr_assert_eq(s.count, 40);
	cr_assert_eq(knob_space_size(&s), SIZE_MAX / 2);
	knob_set_clear(&s);
	knob_set_clear(NULL);
	cr_assert_eq(knob_space_size(NULL), 1);
}

static const char *sample =
	"/* a kernel */\n"
	"#define MC   64  // autocomp-tune: 32 64 128\n"
	"#define NOTE 7\n"
	"#  define ORDER IJK /* autocomp-tune: IJK IKJ */ /* tail */\r\n"
	"int f(int x) { return x * MC; } // MC stays\n"
	"#define UNROLL 1 // autocomp-tune: 1 2 4";

Test(knob, apply_changes_only_the_value_token)
{
	struct knob_set s = parse_ok(sample);
	int choice[] = { 2, 1, 0 };
	char *out = knob_apply(sample, &s, choice);

	cr_assert_not_null(out);
	cr_assert_str_eq(out,
		"/* a kernel */\n"
		"#define MC   128  // autocomp-tune: 32 64 128\n"
		"#define NOTE 7\n"
		"#  define ORDER IKJ /* autocomp-tune: IJK IKJ */ /* tail */\r\n"
		"int f(int x) { return x * MC; } // MC stays\n"
		"#define UNROLL 1 // autocomp-tune: 1 2 4");
	free(out);
	knob_set_clear(&s);
}

Test(knob, apply_round_trips)
{
	struct knob_set s = parse_ok(sample);
	int cur[3];
	int c[3];
	char *same;

	for (int i = 0; i < 3; i++)
		cur[i] = s.knobs[i].current;
	same = knob_apply(sample, &s, cur);
	cr_assert_str_eq(same, sample, "current choice is the identity");
	free(same);
	/* Every point: parse the result back and find the same choice; then
	 * apply the current choice again and get the original bytes. */
	for (c[0] = 0; c[0] < 3; c[0]++)
	for (c[1] = 0; c[1] < 2; c[1]++)
	for (c[2] = 0; c[2] < 3; c[2]++) {
		char *out = knob_apply(sample, &s, c);
		struct knob_set b = parse_ok(out);
		char *back;

		cr_assert_eq(b.count, 3);
		for (int i = 0; i < 3; i++)
			cr_assert_eq(b.knobs[i].current, c[i]);
		back = knob_apply(out, &b, cur);
		cr_assert_str_eq(back, sample);
		free(back);
		free(out);
		knob_set_clear(&b);
	}
	knob_set_clear(&s);
}

Test(knob, apply_out_of_range_keeps_value)
{
	struct knob_set s = parse_ok(sample);
	int choice[] = { -1, 5, 0 };
	char *out = knob_apply(sample, &s, choice);

	cr_assert_not_null(strstr(out, "#define MC   64  //"));
	cr_assert_not_null(strstr(out, "ORDER IJK /*"));
	cr_assert_not_null(strstr(out, "#define UNROLL 1 //"));
	free(out);
	knob_set_clear(&s);
}

Test(knob, apply_longer_values_and_other_source)
{
	const char *src = "#define A 1 // autocomp-tune: 1 A_VERY_LONG_IDENTIFIER_NAME\n"
	                  "#define A 1 // autocomp-tune: 1 2\n";
	struct knob_set s = parse_ok("#define A 1 // autocomp-tune: 1 A_VERY_LONG_IDENTIFIER_NAME\n");
	int choice[] = { 1 };
	char *out = knob_apply(src, &s, choice);

	/* A source with the knob twice (applied to text that was not parsed)
	 * gets both lines rewritten and the buffer grows as needed. */
	cr_assert_str_eq(out,
		"#define A A_VERY_LONG_IDENTIFIER_NAME // autocomp-tune: 1 A_VERY_LONG_IDENTIFIER_NAME\n"
		"#define A A_VERY_LONG_IDENTIFIER_NAME // autocomp-tune: 1 2\n");
	free(out);
	knob_set_clear(&s);
}

Test(knob, format)
{
	struct knob_set s = parse_ok(sample);
	int choice[] = { 0, 1, -1 };
	char buf[64];

	cr_assert_eq(knob_format(&s, choice, buf, sizeof(buf)),
	             (int)strlen("MC=32 ORDER=IKJ UNROLL=1"));
	cr_assert_str_eq(buf, "MC=32 ORDER=IKJ UNROLL=1");
	cr_assert_eq(knob_format(&s, choice, buf, 10), -ENOSPC);
	cr_assert_eq(knob_format(&s, choice, buf, 0), -ENOSPC);
	knob_set_clear(&s);
}

/* The benchmark suite's kernels: each parses, its start point is listed,
 * and applying any single-knob change keeps the file otherwise identical. */
Test(knob, suite_kernels_parse)
{
	static const char *names[] = {
		"tune-gemm", "tune-bgemm", "tune-conv2d", "tune-softmax",
		"tune-transpose", "tune-elementwise",
	};
	const char *root = getenv("AC_SOURCE_DIR");

	if (!root)
		root = AC_SOURCE_DIR;
	for (size_t n = 0; n < sizeof(names) / sizeof(names[0]); n++) {
		char path[4096];
		FILE *f;
		char *src;
		long len;
		struct knob_set s;
		int c[64];

		snprintf(path, sizeof(path), "%s/tests/kernels/%s/input.c",
		         root, names[n]);
		f = fopen(path, "rb");
		cr_assert_not_null(f, "%s", path);
		fseek(f, 0, SEEK_END);
		len = ftell(f);
		fseek(f, 0, SEEK_SET);
		src = calloc(1, (size_t)len + 1);
		cr_assert_eq(fread(src, 1, (size_t)len, f), (size_t)len);
		fclose(f);
		s = parse_ok(src);
		cr_assert_geq(s.count, 2, "%s", names[n]);
		cr_assert_leq(s.count, 64);
		cr_assert_geq(knob_space_size(&s), 16, "%s", names[n]);
		for (int i = 0; i < s.count; i++) {
			cr_assert_geq(s.knobs[i].current, 0, "%s: %s", names[n],
			              s.knobs[i].name);
			c[i] = s.knobs[i].current;
		}
		for (int i = 0; i < s.count; i++) {
			char *out;
			c[i] = (c[i] + 1) % s.knobs[i].nvalues;
			out = knob_apply(src, &s, c);
			cr_assert_eq(strlen(out) - strlen(s.knobs[i].values[c[i]]),
			             strlen(src) - strlen(s.knobs[i].value));
			free(out);
			c[i] = s.knobs[i].current;
		}
		knob_set_clear(&s);
		free(src);
	}
}
