/*
 * gen.c - the C a plan becomes (harness.h): harness.c in the project's
 * dialect, and the program that measures the call before a harness is
 * written (access of non-const buffers, sizes that make a call take 1 to
 * 100 ms).
 *
 * The harness is written as a person would write it after reading the
 * README: the input's prototype repeated as the author wrote it, one
 * variable per parameter, fills, protections, the reference first, the
 * checks around AC_TIME. It should read as an example, because users copy
 * it and edit it. Its first line carries a hash of the rest, so the
 * engine can tell its own unedited harness from the user's.
 *
 * What it does not do: decide anything. Every value comes from the plan.
 */
#include "targets/harness/harness.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "targets/exec/fileio.h"

#define MARKER "/* autocompfs-generated harness "
#define MARKER_DRAFT "// autocompfs-generated draft "

/* ---- element types in the harness library's words ---- */

static const char *ctype(enum ac_etype t)
{
	static const char *const w[] = { "char", "float", "double", "int8_t", "int16_t",
		                         "int32_t", "int64_t", "uint8_t", "uint16_t", "uint32_t",
		                         "uint64_t", "char", "uint8_t" };
	return (unsigned)t < sizeof w / sizeof w[0] ? w[t] : "char";
}

/* The suffix of ac_fill_* and ac_check_* for an element type (bool is
 * filled and checked as the byte it is). */
static const char *sfx(enum ac_etype t)
{
	static const char *const w[] = { "u8", "f32", "f64", "i8", "i16", "i32", "i64", "u8",
		                         "u16", "u32", "u64", "char", "u8" };
	return (unsigned)t < sizeof w / sizeof w[0] ? w[t] : "u8";
}

static bool is_float(enum ac_etype t)
{
	return t == AC_ET_F32 || t == AC_ET_F64;
}

/* A buffer or a table: what has elements to fill and check. */
static bool is_array(const struct ac_plan_arg *a)
{
	return a->p->kind == AC_PK_BUFFER || a->p->kind == AC_PK_TABLE;
}

/* An integer output's poison: a value the call is unlikely to write. */
static const char *pattern(enum ac_etype t)
{
	switch (t) {
	case AC_ET_I8: case AC_ET_U8: case AC_ET_CHAR: return "0x5a";
	case AC_ET_I16: case AC_ET_U16: return "0x5a5a";
	case AC_ET_I32: case AC_ET_U32: return "0x5a5a5a5a";
	case AC_ET_BOOL: return "1";
	default: return "0x5a5a5a5a5a5a5a5a";
	}
}

/* The default range of an integer element type. */
static void int_range(enum ac_etype t, const char **lo, const char **hi)
{
	switch (t) {
	case AC_ET_I8: *lo = "-128"; *hi = "127"; break;
	case AC_ET_U8: *lo = "0"; *hi = "255"; break;
	case AC_ET_CHAR: *lo = "32"; *hi = "126"; break;
	case AC_ET_BOOL: *lo = "0"; *hi = "1"; break;
	case AC_ET_U16: case AC_ET_U32: case AC_ET_U64: *lo = "0"; *hi = "1000"; break;
	default: *lo = "-1000"; *hi = "1000"; break;
	}
}

/* ---- names ---- */

/* The generated program's names: each parameter's own, unless one of
 * them would clash with another (then all get the prefix v_). */
struct names {
	const char *pre;
};

/* Names the generated code keeps for itself. */
static bool reserved(const char *name)
{
	return !strcmp(name, "argc") || !strcmp(name, "argv") || !strcmp(name, "main") ||
	       !strcmp(name, "r_want") || !strcmp(name, "r_got") || !strcmp(name, "now") ||
	       !strcmp(name, "at") || !strncmp(name, "msr_", 4) || !strncmp(name, "ac_", 3) ||
	       !strncmp(name, "untouched_", 10);
}

static bool taken(const struct ac_plan *p, const char *name)
{
	for (int k = 0; k < p->nargs; k++)
		if (!strcmp(p->args[k].p->name, name))
			return true;
	return reserved(name);
}

static struct names pick_names(const struct ac_plan *p)
{
	struct names nm = { "" };
	char buf[300];

	for (int k = 0; k < p->nargs; k++) {
		const char *n = p->args[k].p->name;
		static const char *const sfxs[] = { "_want", "_n", "_start", "_f1", "_data", "_rows",
			                            "_cols", "_data_want", "_data_start", "_data_f1",
			                            NULL };

		if (reserved(n))
			nm.pre = "v_";
		for (int j = 0; is_array(&p->args[k]) && sfxs[j]; j++) {
			snprintf(buf, sizeof buf, "%s%s", n, sfxs[j]);
			if (taken(p, buf))
				nm.pre = "v_";
		}
	}
	return nm;
}

/* Writes an expression over the generated variables (names prefixed). */
static void put_expr(FILE *o, const struct ac_expr *e, const struct names *nm)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m;

	if (!nm->pre[0]) {
		ac_expr_print(e, o);
		return;
	}
	m = open_memstream(&buf, &len);
	if (!m)
		return;
	ac_expr_print(e, m);
	fclose(m);
	/* prefix every name (a word that starts with a letter or '_') */
	for (const char *q = buf; q && *q;) {
		if ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || *q == '_') {
			fputs(nm->pre, o);
			while ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || *q == '_' ||
			       (*q >= '0' && *q <= '9'))
				fputc(*q++, o);
			continue;
		}
		if (*q >= '0' && *q <= '9') {
			while ((*q >= '0' && *q <= '9') || *q == 'x' || *q == 'X')
				fputc(*q++, o);
			continue;
		}
		fputc(*q++, o);
	}
	free(buf);
}

/* The variable of an argument's elements, with suffix: NAME for a
 * buffer, NAME_data for a table (whose NAME is the table of rows). */
static const char *dvar(char *buf, size_t len, const struct names *nm,
                        const struct ac_plan_arg *a, const char *suffix)
{
	snprintf(buf, len, "%s%s%s%s", nm->pre, a->p->name, a->p->kind == AC_PK_TABLE ? "_data" : "",
	         suffix);
	return buf;
}

/* Makes table (a table of a's rows pointing into data) and protects it. */
static void put_table(FILE *o, const struct ac_plan_arg *a, const struct names *nm,
                      const char *table, const char *data)
{
	const char *t = ctype(a->p->etype);

	fprintf(o, "\t%s **%s = (%s **)ac_alloc(%s%s_rows * sizeof(%s *));\n", t, table, t, nm->pre,
	        a->p->name, t);
	fprintf(o, "\tfor (size_t i = 0; i < %s%s_rows; i++)\n\t\t%s[i] = %s + i * %s%s_cols;\n",
	        nm->pre, a->p->name, table, data, nm->pre, a->p->name);
	fprintf(o, "\tac_protect(%s);\n", table);
}

/* ---- shared pieces ---- */

static void put_prototypes(FILE *o, const struct ac_plan *p, bool with_ref)
{
	const struct ac_sig_fn *f = p->fn;

	if (p->sig->types && p->sig->types[0])
		fprintf(o, "/* the input's types, as the compiler resolves them */\n%s\n",
		        p->sig->types);
	for (int pass = 0; pass < (with_ref ? 2 : 1); pass++) {
		fprintf(o, "%s %s%s(", f->ret, pass ? "ref_" : "", f->name);
		for (int k = 0; k < f->nparams; k++)
			fprintf(o, "%s%s", k ? ", " : "", f->params[k].decl);
		fprintf(o, "%s);\n", f->nparams ? "" : "void");
	}
	fputc('\n', o);
}

/* The scalar variables and lengths, at the top of a function. */
static void put_sizes(FILE *o, const struct ac_plan *p, const struct names *nm, bool sized)
{
	for (int k = 0; k < p->nargs; k++) {
		const struct ac_plan_arg *a = &p->args[k];

		if (a->p->kind != AC_PK_SCALAR)
			continue;
		if (is_float(a->p->etype))
			fprintf(o, "\tconst double %s%s = %.17g;\n", nm->pre, a->p->name, a->fval);
		else if (sized && a->how == AC_HOW_PICKED)
			fprintf(o, "\tconst int64_t %s%s = msr_s;\n", nm->pre, a->p->name);
		else
			fprintf(o, "\tconst int64_t %s%s = %" PRId64 ";\n", nm->pre, a->p->name, a->ival);
	}
	for (int k = 0; k < p->nargs; k++) {
		const struct ac_plan_arg *a = &p->args[k];

		if (a->p->kind == AC_PK_TABLE) {
			fprintf(o, "\tconst size_t %s%s_rows = (size_t)(", nm->pre, a->p->name);
			put_expr(o, a->rows, nm);
			fprintf(o, ");\n\tconst size_t %s%s_cols = (size_t)(", nm->pre, a->p->name);
			put_expr(o, a->len, nm);
			fprintf(o, ");\n\tconst size_t %s%s_n = %s%s_rows * %s%s_cols;\n", nm->pre,
			        a->p->name, nm->pre, a->p->name, nm->pre, a->p->name);
			continue;
		}
		if (a->p->kind != AC_PK_BUFFER)
			continue;
		fprintf(o, "\tconst size_t %s%s_n = (size_t)(", nm->pre, a->p->name);
		put_expr(o, a->len, nm);
		fprintf(o, ");\n");
	}
}

/* Fills buffer var (of a's element type) with a's input values. */
static void put_fill(FILE *o, const struct ac_plan *p, const struct ac_plan_arg *a,
                     const char *var, const struct names *nm)
{
	enum ac_etype t = a->p->etype;
	const char *s = sfx(t);
	const char *lo, *hi;

	switch (a->values) {
	case AC_VALUES_PERMUTATION:
		fprintf(o, "\tac_fill_perm_%s(%s, %s%s_n);\n", s, var, nm->pre, a->p->name);
		return;
	case AC_VALUES_DIAGDOM:
	case AC_VALUES_SPD: {
		const struct ac_expr *root = ac_expr_square_root(a->len);

		fprintf(o, "\tac_fill_%s_%s(%s, ", a->values == AC_VALUES_SPD ? "spd" :
		        "diag_dominant", s, var);
		if (root) {
			fprintf(o, "(size_t)(");
			put_expr(o, root, nm);
			fprintf(o, ")");
		} else {
			fprintf(o, "(size_t)sqrt((double)%s%s_n)", nm->pre, a->p->name);
		}
		fprintf(o, ", %.17g, %.17g);\n", a->flo, a->fhi);
		return;
	}
	default:
		break;
	}
	fprintf(o, "\tac_fill_%s%s(%s, %s%s_n, ", a->values == AC_VALUES_NONZERO ? "nonzero_" :
	        a->values == AC_VALUES_SORTED ? "sorted_" : "", s, var, nm->pre, a->p->name);
	if (is_float(t)) {
		fprintf(o, "%.17g, %.17g);\n", a->flo, a->fhi);
		return;
	}
	if (a->ilo && a->ihi) {
		put_expr(o, a->ilo, nm);
		fprintf(o, ", ");
		put_expr(o, a->ihi, nm);
		fprintf(o, ");\n");
		return;
	}
	int_range(t, &lo, &hi);
	fprintf(o, "%s, %s);\n", lo, hi);
	(void)p;
}

/* Poisons an output: NaN, or the integer pattern. */
static void put_poison(FILE *o, const struct ac_plan_arg *a, const char *var,
                       const struct names *nm)
{
	if (is_float(a->p->etype))
		fprintf(o, "\tac_fill_nan_%s(%s, %s%s_n);\n", sfx(a->p->etype), var, nm->pre,
		        a->p->name);
	else
		fprintf(o, "\tac_fill_%s(%s, %s%s_n, %s, %s);\n", sfx(a->p->etype), var, nm->pre,
		        a->p->name, pattern(a->p->etype), pattern(a->p->etype));
}

/* The call: fn(args), the reference's when ref, in-out and output
 * buffers the reference's copies (_want). */
static void put_call(FILE *o, const struct ac_plan *p, const struct names *nm, bool ref,
                     const char *assign)
{
	fprintf(o, "%s%s%s(", assign ? assign : "", ref ? "ref_" : "", p->fn->name);
	for (int k = 0; k < p->nargs; k++) {
		const struct ac_plan_arg *a = &p->args[k];

		fprintf(o, "%s", k ? ", " : "");
		if (a->p->kind == AC_PK_SCALAR)
			fprintf(o, "%s%s", nm->pre, a->p->name);
		else
			fprintf(o, "(void *)%s%s%s", nm->pre, a->p->name,
			        ref && a->access != AC_ACCESS_READ ? "_want" : "");
	}
	fprintf(o, ")");
}

/* Closes an open_memstream stream: only then is *buf final. */
static char *finish(FILE *o, char **buf)
{
	if (fclose(o) != 0) {
		free(*buf);
		return NULL;
	}
	return *buf;
}

/* ---- the marker ---- */

bool ac_harness_generated(const char *text, size_t len)
{
	size_t m = strlen(MARKER);
	const char *nl;
	char *end;
	unsigned long long h;

	if (text && len > strlen(MARKER_DRAFT) && !strncmp(text, MARKER_DRAFT, strlen(MARKER_DRAFT)))
		m = strlen(MARKER_DRAFT);
	else if (!text || len < m + 17 || strncmp(text, MARKER, m))
		return false;
	nl = memchr(text, '\n', len);
	if (!nl)
		return false;
	h = strtoull(text + m, &end, 16);
	if (end != text + m + 16)
		return false;
	return h == ac_fnv1a(AC_FNV1A_START, nl + 1, len - (size_t)(nl + 1 - text));
}

char *ac_mark_draft(const char *body)
{
	char *buf = NULL;

	if (asprintf(&buf, MARKER_DRAFT "%016" PRIx64 ": edit it, and it is yours\n%s",
	             ac_fnv1a(AC_FNV1A_START, body, strlen(body)), body) < 0)
		return NULL;
	return buf;
}

/* ---- harness.c ---- */

/* The untouched-output check, once per element type used. */
static void put_untouched(FILE *o, const struct ac_plan *p)
{
	bool done[AC_ET_BOOL + 1] = { false };

	for (int k = 0; k < p->nargs; k++) {
		const struct ac_plan_arg *a = &p->args[k];
		enum ac_etype t = a->p->etype;

		if (!is_array(a) || a->access != AC_ACCESS_WRITE || t == AC_ET_BOOL || done[t])
			continue;
		done[t] = true;
		fprintf(o, "/* An output the reference left as poisoned as it was: the call does not "
		           "write it,\n * so the description is wrong (it is read: \"access\": "
		           "\"read\" or \"both\"). */\n"
		           "static void untouched_%s(const char *what, const %s *p, size_t n)\n{\n"
		           "\tfor (size_t i = 0; i < n; i++)\n", sfx(t), ctype(t));
		if (is_float(t))
			fprintf(o, "\t\tif (!isnan(p[i]))\n");
		else
			fprintf(o, "\t\tif (p[i] != (%s)%s)\n", ctype(t), pattern(t));
		fprintf(o, "\t\t\treturn;\n"
		           "\tac_fail(\"%%s: the reference wrote none of it: describe it as read "
		           "(\\\"access\\\": \\\"both\\\" or \\\"read\\\")\", what);\n}\n\n");
	}
}

static void put_check(FILE *o, const struct ac_plan *p, const struct ac_plan_arg *a,
                      const struct names *nm)
{
	double rtol, atol;

	char got[300], want[300];

	dvar(got, sizeof got, nm, a, "");
	dvar(want, sizeof want, nm, a, "_want");
	ac_plan_tolerance(p, a, &rtol, &atol);
	if (!is_float(a->p->etype) && rtol == 0 && atol == 0)
		fprintf(o, "\tac_check_equal_%s(\"%s\", %s, %s, %s%s_n);\n", sfx(a->p->etype),
		        a->p->name, got, want, nm->pre, a->p->name);
	else
		fprintf(o, "\tac_check_close_%s(\"%s\", %s, %s, %s%s_n, %.3g, %.3g);\n",
		        sfx(a->p->etype), a->p->name, got, want, nm->pre, a->p->name, rtol, atol);
}

static void put_ret_check(FILE *o, const struct ac_plan *p)
{
	enum ac_etype t = p->fn->ret_etype;
	double rtol, atol;

	ac_plan_tolerance(p, NULL, &rtol, &atol);
	if (!is_float(t) && rtol == 0 && atol == 0)
		fprintf(o, "\tac_check_equal_%s(\"the returned value\", &r_got, &r_want, 1);\n", sfx(t));
	else
		fprintf(o, "\tac_check_close_%s(\"the returned value\", &r_got, &r_want, 1, %.3g, "
		        "%.3g);\n", sfx(t), rtol, atol);
}

static void put_checks(FILE *o, const struct ac_plan *p, const struct names *nm)
{
	for (int k = 0; k < p->nargs; k++)
		if (is_array(&p->args[k]) && p->args[k].access != AC_ACCESS_READ)
			put_check(o, p, &p->args[k], nm);
	if (p->fn->ret_etype != AC_ET_NONE)
		put_ret_check(o, p);
}

/* Writes text as comment lines of at most 78 columns: the first line
 * starts with first, the next ones with next. */
static void put_wrapped(FILE *o, const char *first, const char *next, const char *text)
{
	const char *lead = first;
	size_t col;

	while (*text) {
		size_t room = 78 - strlen(lead), n = strlen(text);

		if (n > room) {
			n = room;
			while (n > 0 && text[n] != ' ')
				n--;
			if (n == 0)
				n = strcspn(text, " ");
		}
		col = n;
		fprintf(o, "%s%.*s\n", lead, (int)col, text);
		text += n;
		while (*text == ' ')
			text++;
		lead = next;
	}
}

static void put_header(FILE *o, const struct ac_plan *p)
{
	char *words = ac_plan_words(p), *line = NULL;
	bool declared = true;

	for (int k = 0; k < p->nargs; k++)
		declared &= !is_array(&p->args[k]) || p->args[k].how == AC_HOW_DECLARED;
	fprintf(o, "/*\n");
	if (asprintf(&line, "harness.c - written by autocompfs for %s, from %s.", p->fn->name,
	             !p->described ? "the bounds its array parameters declare" : declared ?
	             "config.json's \"call\" and the bounds its arrays declare" :
	             "config.json's \"call\"") > 0)
		put_wrapped(o, " * ", " * ", line);
	free(line);
	fprintf(o, " *\n");
	put_wrapped(o, " * The call: ", " *   ", words ? words : p->fn->name);
	if (p->note[0])
		put_wrapped(o, " * Sizes: ", " *   ", p->note);
	fprintf(o, " *\n * config.draft.json holds the description it came from: change the call "
	           "there\n * and write it to config.json. Or edit this file and save it: a "
	           "harness.c of\n * your own always wins, and the engine never writes over it.\n"
	           " */\n");
	free(words);
}

char *ac_plan_harness(const struct ac_plan *p)
{
	char *body = NULL, *buf = NULL;
	size_t blen = 0, len = 0;
	FILE *o = open_memstream(&body, &blen);
	struct names nm = pick_names(p);
	bool ret = p->fn->ret_etype != AC_ET_NONE;

	if (!o)
		return NULL;
	put_header(o, p);
	fprintf(o, "#include <autocomp.h>\n\n");
	put_prototypes(o, p, true);
	put_untouched(o, p);
	fprintf(o, "int main(int argc, char **argv)\n{\n");
	put_sizes(o, p, &nm, false);
	fprintf(o, "\n\tac_init(argc, argv);\n");
	for (int k = 0; k < p->nargs; k++) {
		const struct ac_plan_arg *a = &p->args[k];
		const char *t = ctype(a->p->etype), *n = a->p->name, *pre = nm.pre;
		char var[300], want[300], count[300], table[300];

		if (!is_array(a))
			continue;
		dvar(var, sizeof var, &nm, a, "");
		dvar(want, sizeof want, &nm, a, "_want");
		snprintf(count, sizeof count, "%s%s_n", pre, n);
		if (a->access == AC_ACCESS_READ) {
			fprintf(o, "\t/* %s: read */\n", n);
			fprintf(o, "\t%s *%s = (%s *)ac_alloc(%s * sizeof(%s));\n", t, var, t, count, t);
			put_fill(o, p, a, var, &nm);
			fprintf(o, "\tac_protect(%s);\n", var);
		} else if (a->access == AC_ACCESS_WRITE) {
			fprintf(o, "\t/* %s: written; the reference and the candidate each get "
			           "one, poisoned */\n", n);
			fprintf(o, "\t%s *%s = (%s *)ac_alloc(%s * sizeof(%s));\n", t, want, t, count, t);
			fprintf(o, "\t%s *%s = (%s *)ac_alloc(%s * sizeof(%s));\n", t, var, t, count, t);
			put_poison(o, a, want, &nm);
			put_poison(o, a, var, &nm);
		} else {
			fprintf(o, "\t/* %s: read and written: restored before every timed call, and "
			           "copied\n\t * for the reference */\n", n);
			fprintf(o, "\t%s *%s = (%s *)ac_alloc(%s * sizeof(%s));\n", t, var, t, count, t);
			fprintf(o, "\t%s *%s = (%s *)ac_alloc(%s * sizeof(%s));\n", t, want, t, count, t);
			put_fill(o, p, a, var, &nm);
			fprintf(o, "\tac_inout(%s);\n", var);
			fprintf(o, "\tmemcpy(%s, %s, %s * sizeof(%s));\n", want, var, count, t);
		}
		if (a->p->kind == AC_PK_TABLE) {
			fprintf(o, "\t/* %s: a table of %s%s_rows row pointers into it */\n", n, pre, n);
			snprintf(table, sizeof table, "%s%s", pre, n);
			put_table(o, a, &nm, table, var);
			if (a->access != AC_ACCESS_READ) {
				snprintf(table, sizeof table, "%s%s_want", pre, n);
				put_table(o, a, &nm, table, want);
			}
		}
	}
	if (ret) {
		const char *t = ctype(p->fn->ret_etype);

		fprintf(o, "\t%s r_want, r_got;\n", t);
	}
	fprintf(o, "\n\t/* the reference first, then the candidate, checked */\n\t");
	put_call(o, p, &nm, true, ret ? "r_want = " : NULL);
	fprintf(o, ";\n");
	for (int k = 0; k < p->nargs; k++) {
		const struct ac_plan_arg *a = &p->args[k];

		char want[300];

		if (!is_array(a) || a->access == AC_ACCESS_READ)
			continue;
		dvar(want, sizeof want, &nm, a, "_want");
		fprintf(o, "\tac_protect(%s);\n", want);
		if (a->access == AC_ACCESS_WRITE && a->p->etype != AC_ET_BOOL)
			fprintf(o, "\tuntouched_%s(\"%s\", %s, %s%s_n);\n", sfx(a->p->etype),
			        a->p->name, want, nm.pre, a->p->name);
	}
	fprintf(o, "\t");
	put_call(o, p, &nm, false, ret ? "r_got = " : NULL);
	fprintf(o, ";\n");
	put_checks(o, p, &nm);
	fprintf(o, "\n\t/* timed: every repetition's outputs are checked by the judge, and the "
	           "last\n\t * one's again here */\n");
	for (int k = 0; k < p->nargs; k++)
		if (is_array(&p->args[k]) && p->args[k].access == AC_ACCESS_WRITE) {
			char var[300];

			put_poison(o, &p->args[k], dvar(var, sizeof var, &nm, &p->args[k], ""), &nm);
		}
	fprintf(o, "\tAC_TIME(");
	put_call(o, p, &nm, false, ret ? "r_got = " : NULL);
	fprintf(o, ");\n");
	put_checks(o, p, &nm);
	fprintf(o, "\treturn ac_report();\n}\n");
	body = finish(o, &body);
	if (!body)
		return NULL;
	o = open_memstream(&buf, &len);
	if (!o) {
		free(body);
		return NULL;
	}
	fprintf(o, MARKER "%016" PRIx64 ": edit it, and it is yours */\n%s",
	        ac_fnv1a(AC_FNV1A_START, body, strlen(body)), body);
	free(body);
	return finish(o, &buf);
}

/* ---- the measuring program ---- */

/* Whether buffer a's access is to be measured. */
static bool probed(const struct ac_plan_arg *a)
{
	return is_array(a) && a->access_how == AC_HOW_DEFAULT && !a->p->is_const;
}

/* The buffers a non-const parameter gets: a start copy to restore. */
static bool restored(const struct ac_plan_arg *a)
{
	return is_array(a) && a->access != AC_ACCESS_READ;
}

char *ac_plan_measure_source(const struct ac_plan *p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *o = open_memstream(&buf, &len);
	struct names nm = pick_names(p);
	const char *pre = nm.pre;
	bool ret = p->fn->ret_etype != AC_ET_NONE;

	if (!o)
		return NULL;
	fprintf(o, "/* autocompfs: measures %s's call before a harness is written "
	           "(generated).\n * Prints \"ac-measure: access NAME WORD\" and \"ac-measure: "
	           "size S ns T\" lines. */\n#include <autocomp.h>\n\n", p->fn->name);
	put_prototypes(o, p, false);
	fprintf(o, "static double now(void)\n{\n\tstruct timespec ts;\n\n"
	           "\tclock_gettime(CLOCK_MONOTONIC, &ts);\n"
	           "\treturn (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;\n}\n\n");
	fprintf(o, "/* The best of a few calls at size s (-1: the buffers would pass 256 MiB);\n"
	           " * with probe, first says which non-const buffers the call reads and writes. */\n"
	           "static double at(int64_t msr_s, int msr_probe)\n{\n");
	put_sizes(o, p, &nm, true);
	fprintf(o, "\tdouble msr_bytes = 0, msr_best = 1e30, msr_t0;\n\n\t(void)msr_s;\n\t(void)msr_probe;\n");
	for (int k = 0; k < p->nargs; k++) {
		const struct ac_plan_arg *a = &p->args[k];

		if (is_array(a))
			fprintf(o, "\tmsr_bytes += (double)%s%s_n * sizeof(%s);\n", pre, a->p->name,
			        ctype(a->p->etype));
	}
	fprintf(o, "\tif (msr_bytes > 256.0 * 1024 * 1024)\n\t\treturn -1;\n");
	for (int k = 0; k < p->nargs; k++) {
		const struct ac_plan_arg *a = &p->args[k];
		const char *t = ctype(a->p->etype);
		char var[300], table[300];

		if (!is_array(a))
			continue;
		dvar(var, sizeof var, &nm, a, "");
		fprintf(o, "\t%s *%s = (%s *)ac_alloc(%s%s_n * sizeof(%s));\n", t, var, t, pre,
		        a->p->name, t);
		put_fill(o, p, a, var, &nm);
		if (restored(a)) {
			fprintf(o, "\t%s *%s_start = (%s *)malloc(%s%s_n * sizeof(%s));\n", t, var, t, pre,
			        a->p->name, t);
			fprintf(o, "\tmemcpy(%s_start, %s, %s%s_n * sizeof(%s));\n", var, var, pre,
			        a->p->name, t);
		}
		if (a->p->kind == AC_PK_TABLE) {
			snprintf(table, sizeof table, "%s%s", pre, a->p->name);
			put_table(o, a, &nm, table, var);
		}
	}
	if (ret)
		fprintf(o, "\t%s r_got = 0, msr_r_one = 0;\n\t(void)msr_r_one;\n", ctype(p->fn->ret_etype));
	/* the probe: two calls, the second with one buffer drawn again */
	for (int k = 0; k < p->nargs; k++) {
		const struct ac_plan_arg *a = &p->args[k];
		char var[300];

		if (!probed(a))
			continue;
		dvar(var, sizeof var, &nm, a, "");
		fprintf(o, "\tif (msr_probe) {\n\t\tint msr_written, msr_read = 0;\n");
		for (int j = 0; j < p->nargs; j++) {
			char jv[300];

			if (restored(&p->args[j]))
				fprintf(o, "\t\tvoid *%s_f1 = malloc(%s%s_n * sizeof(%s));\n",
				        dvar(jv, sizeof jv, &nm, &p->args[j], ""), pre, p->args[j].p->name,
				        ctype(p->args[j].p->etype));
		}
		for (int pass = 0; pass < 2; pass++) {
			for (int j = 0; j < p->nargs; j++) {
				char jv[300];

				if (restored(&p->args[j]))
					fprintf(o, "\t\tmemcpy(%s, %s_start, %s%s_n * sizeof(%s));\n",
					        dvar(jv, sizeof jv, &nm, &p->args[j], ""), jv, pre,
					        p->args[j].p->name, ctype(p->args[j].p->etype));
			}
			if (pass == 1) {
				fprintf(o, "\t");
				put_fill(o, p, a, var, &nm);
			}
			fprintf(o, "\t\t");
			put_call(o, p, &nm, false, ret ? (pass ? "r_got = " : "msr_r_one = ") : NULL);
			fprintf(o, ";\n");
			for (int j = 0; j < p->nargs; j++) {
				const char *jn = p->args[j].p->name, *jt = ctype(p->args[j].p->etype);
				char jv[300];

				if (!restored(&p->args[j]))
					continue;
				dvar(jv, sizeof jv, &nm, &p->args[j], "");
				if (pass == 0)
					fprintf(o, "\t\tmemcpy(%s_f1, %s, %s%s_n * sizeof(%s));\n", jv, jv, pre, jn,
					        jt);
				else
					fprintf(o, "\t\tmsr_read |= memcmp(%s_f1, %s, %s%s_n * sizeof(%s)) != 0;\n",
					        jv, jv, pre, jn, jt);
			}
			if (pass == 0)
				fprintf(o, "\t\tmsr_written = memcmp(%s_f1, %s_start, %s%s_n * sizeof(%s)) != 0;\n",
				        var, var, pre, a->p->name, ctype(a->p->etype));
		}
		if (ret)
			fprintf(o, "\t\tmsr_read |= memcmp(&msr_r_one, &r_got, sizeof r_got) != 0;\n");
		fprintf(o, "\t\tprintf(\"ac-measure: access %s %%s\\n\", msr_written && msr_read ? \"both\" : "
		           "msr_written ? \"write\" : \"read\");\n", a->p->name);
		for (int j = 0; j < p->nargs; j++) {
			char jv[300];

			if (restored(&p->args[j]))
				fprintf(o, "\t\tfree(%s_f1);\n", dvar(jv, sizeof jv, &nm, &p->args[j], ""));
		}
		fprintf(o, "\t}\n");
	}
	/* the time: the best of three calls, or of what fits in 0.3 s */
	fprintf(o, "\tfor (int msr_i = 0; msr_i < 3; msr_i++) {\n");
	for (int j = 0; j < p->nargs; j++) {
		char jv[300];

		if (restored(&p->args[j]))
			fprintf(o, "\t\tmemcpy(%s, %s_start, %s%s_n * sizeof(%s));\n",
			        dvar(jv, sizeof jv, &nm, &p->args[j], ""), jv, pre, p->args[j].p->name,
			        ctype(p->args[j].p->etype));
	}
	fprintf(o, "\t\tmsr_t0 = now();\n\t\t");
	put_call(o, p, &nm, false, ret ? "r_got = " : NULL);
	fprintf(o, ";\n\t\tmsr_t0 = now() - msr_t0;\n\t\tif (msr_t0 < msr_best)\n\t\t\tmsr_best = msr_t0;\n"
	           "\t\tif (msr_t0 > 0.3)\n\t\t\tbreak;\n\t}\n");
	if (ret)
		fprintf(o, "\t(void)r_got;\n");
	for (int k = 0; k < p->nargs; k++) {
		const struct ac_plan_arg *a = &p->args[k];
		char var[300];

		if (!is_array(a))
			continue;
		fprintf(o, "\tac_free(%s);\n", dvar(var, sizeof var, &nm, a, ""));
		if (a->p->kind == AC_PK_TABLE)
			fprintf(o, "\tac_free(%s%s);\n", pre, a->p->name);
		if (restored(a))
			fprintf(o, "\tfree(%s_start);\n", var);
	}
	fprintf(o, "\treturn msr_best;\n}\n\n");
	fprintf(o, "int main(int argc, char **argv)\n{\n"
	           "\tint64_t msr_s, msr_last = 0;\n\tdouble msr_t = 0;\n\n"
	           "\tac_init(argc, argv);\n");
	if (!p->to_pick) {
		fprintf(o, "\tmsr_t = at(0, %d);\n"
		           "\tprintf(\"ac-measure: size 0 ns %%.0f\\n\", msr_t * 1e9);\n"
		           "\t(void)msr_s;\n\t(void)msr_last;\n\treturn 0;\n}\n", p->to_probe ? 1 : 0);
		return finish(o, &buf);
	}
	fprintf(o, "\tif (%d)\n\t\tat(16, 1);\n", p->to_probe ? 1 : 0);
	fprintf(o, "\t/* double until a call takes 1 ms */\n"
	           "\tfor (msr_s = 16; msr_s <= ((int64_t)1 << 40); msr_s *= 2) {\n"
	           "\t\tmsr_t = at(msr_s, 0);\n"
	           "\t\tif (msr_t < 0) {\n"
	           "\t\t\tprintf(\"ac-measure: size %%lld too-large\\n\", (long long)msr_s);\n"
	           "\t\t\tbreak;\n\t\t}\n"
	           "\t\tprintf(\"ac-measure: size %%lld ns %%.0f\\n\", (long long)msr_s, msr_t * 1e9);\n"
	           "\t\tfflush(stdout);\n"
	           "\t\tif (msr_t >= 1e-3)\n\t\t\tbreak;\n"
	           "\t\tmsr_last = msr_s;\n\t}\n"
	           "\t/* more than 100 ms: halve the step back, a few times */\n"
	           "\tfor (int msr_i = 0; msr_t > 0.1 && msr_last > 0 && msr_i < 6; msr_i++) {\n"
	           "\t\tint64_t msr_mid = msr_last + (msr_s - msr_last) / 2;\n\n"
	           "\t\tif (msr_mid == msr_last)\n\t\t\tbreak;\n"
	           "\t\tmsr_t = at(msr_mid, 0);\n"
	           "\t\tprintf(\"ac-measure: size %%lld ns %%.0f\\n\", (long long)msr_mid, msr_t * 1e9);\n"
	           "\t\tif (msr_t < 1e-3)\n\t\t\tmsr_last = msr_mid;\n\t\telse\n\t\t\tmsr_s = msr_mid;\n"
	           "\t\tif (msr_t >= 1e-3 && msr_t <= 0.1)\n\t\t\tbreak;\n\t}\n"
	           "\treturn 0;\n}\n");
	return finish(o, &buf);
}

int ac_plan_measure_read(struct ac_plan *p, const char *output, char *why, size_t whylen)
{
	static const char tag[] = "ac-measure: ";
	int64_t best_s = -1, last_small = -1, first = -1;
	double best_t = 0, small_t = 0, first_t = 0, zero_t = -1;
	bool too_large = false;
	char dur[32];

	for (const char *line = output; line && *line;) {
		const char *eol = strchr(line, '\n');
		char name[256], word[16];
		long long s;
		double t;

		if (!strncmp(line, tag, sizeof tag - 1)) {
			const char *q = line + sizeof tag - 1;

			if (sscanf(q, "access %255s %15s", name, word) == 2) {
				for (int k = 0; k < p->nargs; k++) {
					struct ac_plan_arg *a = &p->args[k];
					int w = ac_access_parse(word);

					if (strcmp(a->p->name, name) || !probed(a) || w < 0)
						continue;
					a->access = (enum ac_access)w;
					a->access_how = AC_HOW_MEASURED;
				}
			} else if (sscanf(q, "size %lld ns %lf", &s, &t) == 2) {
				if (s == 0)
					zero_t = t;
				else {
					if (first < 0) {
						first = s;
						first_t = t;
					}
					if (t >= 1e6 && t <= 1e8 && (best_s < 0 || s < best_s)) {
						best_s = s;
						best_t = t;
					}
					if (t < 1e6 && s > last_small) {
						last_small = s;
						small_t = t;
					}
				}
			} else if (sscanf(q, "size %lld too-large", &s) == 1) {
				too_large = true;
			}
		}
		line = eol ? eol + 1 : NULL;
	}
	if (!p->to_pick) {
		if (zero_t < 0) {
			snprintf(why, whylen, "the measuring program printed no time");
			return -EINVAL;
		}
		p->call_ns = zero_t;
		snprintf(p->note, sizeof p->note, "as described; a call takes %s",
		         ac_fmt_duration(zero_t, dur, sizeof dur));
		return 0;
	}
	if (best_s < 0 && last_small < 0 && first < 0) {
		snprintf(why, whylen, "the measuring program printed no time");
		return -EINVAL;
	}
	if (best_s > 0) {
		p->picked = best_s;
		p->call_ns = best_t;
		snprintf(p->note, sizeof p->note, "a call takes %s (sizes doubled from 16 until the "
		         "input's call took at least 1 ms)", ac_fmt_duration(best_t, dur, sizeof dur));
	} else if (last_small > 0) {
		p->picked = last_small;
		p->call_ns = small_t;
		snprintf(p->note, sizeof p->note, "a call takes %s, the longest %s", ac_fmt_duration(small_t,
		         dur, sizeof dur), too_large ? "within 256 MiB of buffers" :
		         "measured under 100 ms");
	} else {
		p->picked = first;
		p->call_ns = first_t;
		snprintf(p->note, sizeof p->note, "a call takes %s already at the smallest size tried",
		         ac_fmt_duration(first_t, dur, sizeof dur));
	}
	for (int k = 0; k < p->nargs; k++)
		if (p->args[k].how == AC_HOW_PICKED)
			p->args[k].ival = p->picked;
	return 0;
}
