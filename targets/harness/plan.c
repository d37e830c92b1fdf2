/*
 * plan.c - a description of a call checked against the input's prototype
 * and completed into the call a harness makes (harness.h: ac_plan_*),
 * and the plan told back in words and as a description.
 *
 * Every refusal names the parameter and says what to write instead,
 * because the user reads it in `log` after a write of config.json was
 * refused, with nothing else at hand. What the description leaves out is
 * filled in by documented rules (harness.h) and said so in the
 * description the engine shows, so nothing is silently assumed.
 */
#include "targets/harness/harness.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_INT 10
#define DEFAULT_FLOAT 0.5

static const char *const access_words[] = { "", "read", "write", "both" };
static const char *const values_words[] = {
	"uniform", "nonzero", "sorted", "permutation", "diagonally dominant", "positive definite"
};

/* The index of word in words[from..n), or -1. */
static int word_index(const char *const *words, int from, int n, const char *word)
{
	for (int i = from; i < n; i++)
		if (!strcmp(word, words[i]))
			return i;
	return -1;
}

int ac_access_parse(const char *word)
{
	return word_index(access_words, AC_ACCESS_READ, 4, word);
}

const char *ac_access_name(enum ac_access a)
{
	return a >= 1 && a <= 3 ? access_words[a] : "unset";
}

int ac_values_parse(const char *word)
{
	return word_index(values_words, 0, 6, word);
}

const char *ac_values_name(enum ac_values v)
{
	return (int)v >= 0 && v <= 5 ? values_words[v] : "uniform";
}

const char *ac_values_words(void)
{
	return "\"uniform\", \"nonzero\", \"sorted\", \"permutation\", \"diagonally dominant\" "
	       "or \"positive definite\"";
}

void ac_call_clear(struct ac_call *c)
{
	if (!c)
		return;
	for (int i = 0; i < c->nargs; i++) {
		free(c->args[i].name);
		free(c->args[i].length);
		free(c->args[i].rows);
		free(c->args[i].lo);
		free(c->args[i].hi);
	}
	free(c->args);
	free(c->function);
	free(c->reduction);
	memset(c, 0, sizeof *c);
}

static bool identifier(const char *s)
{
	if (!s || !(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
		return false;
	for (; *s; s++)
		if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9')))
			return false;
	return true;
}

/* Does text parse as an expression? why says where it does not. */
static int check_expr(const char *what, const char *name, const char *text, char *why,
                      size_t whylen)
{
	struct ac_expr *e;
	char w[200];
	int rc = ac_expr_parse(text, &e, w, sizeof w);

	ac_expr_free(e);
	if (rc == -EINVAL)
		snprintf(why, whylen, "the %s of %s is not an expression of the integer "
		         "parameters: %s", what, name, w);
	return rc;
}

/* A range end: a number, or an expression of the integer parameters. */
static bool number(const char *s, double *v)
{
	char *end;

	*v = strtod(s, &end);
	return end != s && *end == '\0' && isfinite(*v);
}

int ac_call_check(const struct ac_call *c, char *why, size_t whylen)
{
	int rc;

	if (c->function && !identifier(c->function)) {
		snprintf(why, whylen, "\"function\" must name a function of the input");
		return -EINVAL;
	}
	for (int i = 0; i < c->nargs; i++) {
		const struct ac_call_arg *a = &c->args[i];
		double lo, hi;

		if (!identifier(a->name)) {
			snprintf(why, whylen, "\"%s\" is not a parameter name", a->name);
			return -EINVAL;
		}
		for (int k = 0; k < i; k++)
			if (!strcmp(c->args[k].name, a->name)) {
				snprintf(why, whylen, "%s is described twice", a->name);
				return -EINVAL;
			}
		rc = a->length ? check_expr("length", a->name, a->length, why, whylen) : 0;
		if (!rc && a->rows)
			rc = check_expr("rows", a->name, a->rows, why, whylen);
		if (!rc && a->lo && !number(a->lo, &lo))
			rc = check_expr("range", a->name, a->lo, why, whylen);
		if (!rc && a->hi && !number(a->hi, &hi))
			rc = check_expr("range", a->name, a->hi, why, whylen);
		if (rc)
			return rc;
		if (a->lo && a->hi && number(a->lo, &lo) && number(a->hi, &hi) && hi < lo) {
			snprintf(why, whylen, "the range of %s must go from low to high", a->name);
			return -EINVAL;
		}
		if (a->has_tol && (a->rtol < 0 || a->atol < 0)) {
			snprintf(why, whylen, "the tolerance of %s must not be negative", a->name);
			return -EINVAL;
		}
	}
	rc = c->reduction ? check_expr("reduction", "the call", c->reduction, why, whylen) : 0;
	if (rc)
		return rc;
	if (c->has_tol && (c->rtol < 0 || c->atol < 0)) {
		snprintf(why, whylen, "the tolerance must not be negative");
		return -EINVAL;
	}
	return 0;
}

/* ---- the plan ---- */

void ac_plan_free(struct ac_plan *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->nargs; i++) {
		ac_expr_free(p->args[i].len);
		ac_expr_free(p->args[i].rows);
		ac_expr_free(p->args[i].ilo);
		ac_expr_free(p->args[i].ihi);
	}
	free(p->args);
	ac_expr_free(p->reduction);
	memset(p, 0, sizeof *p);
}

static bool is_float(enum ac_etype t)
{
	return t == AC_ET_F32 || t == AC_ET_F64;
}

static bool is_int_scalar(const struct ac_sig_param *p)
{
	return p->kind == AC_PK_SCALAR && p->etype != AC_ET_NONE && !is_float(p->etype);
}

static const char *etype_word(enum ac_etype t)
{
	static const char *const w[] = { "?", "float", "double", "int8_t", "int16_t", "int32_t",
		                         "int64_t", "uint8_t", "uint16_t", "uint32_t", "uint64_t",
		                         "char", "bool" };
	return (unsigned)t < sizeof w / sizeof w[0] ? w[t] : "?";
}

/* The range of values an integer type holds, as doubles (exact enough
 * for a check of what a user wrote). */
static void int_limits(enum ac_etype t, double *lo, double *hi)
{
	switch (t) {
	case AC_ET_I8: case AC_ET_CHAR: *lo = -128; *hi = 127; break;
	case AC_ET_I16: *lo = -32768; *hi = 32767; break;
	case AC_ET_I32: *lo = -2147483648.0; *hi = 2147483647.0; break;
	case AC_ET_I64: *lo = -9223372036854775808.0; *hi = 9223372036854775807.0; break;
	case AC_ET_U8: *lo = 0; *hi = 255; break;
	case AC_ET_U16: *lo = 0; *hi = 65535; break;
	case AC_ET_U32: *lo = 0; *hi = 4294967295.0; break;
	case AC_ET_U64: *lo = 0; *hi = 18446744073709551615.0; break;
	case AC_ET_BOOL: *lo = 0; *hi = 1; break;
	default: *lo = 0; *hi = 0; break;
	}
}

/* The names a function's parameters, for a message: "n, a, x, y". */
static void param_list(const struct ac_sig_fn *f, char *buf, size_t len)
{
	size_t at = 0;

	buf[0] = '\0';
	for (int k = 0; k < f->nparams && at < len; k++)
		at += (size_t)snprintf(buf + at, len - at, "%s%s", k ? ", " : "", f->params[k].name);
}

static int find_param(const struct ac_sig_fn *f, const char *name)
{
	for (int k = 0; k < f->nparams; k++)
		if (!strcmp(f->params[k].name, name))
			return k;
	return -1;
}

/* Every name e uses must be an integer parameter of fn. */
static int names_ok(const struct ac_plan *p, const struct ac_expr *e, const char *what,
                    const char *text, char *why, size_t whylen)
{
	const char *names[32];
	int n = ac_expr_names(e, names, 32);
	char list[512];

	for (int i = 0; i < n && i < 32; i++) {
		int k = find_param(p->fn, names[i]);

		if (k >= 0 && is_int_scalar(&p->fn->params[k]))
			continue;
		param_list(p->fn, list, sizeof list);
		if (k < 0)
			snprintf(why, whylen, "%s, \"%s\", names %s, which is no parameter of %s "
			         "(it takes %s)", what, text, names[i], p->fn->name, list);
		else
			snprintf(why, whylen, "%s, \"%s\", names %s, which is not an integer "
			         "parameter of %s", what, text, names[i], p->fn->name);
		return -EINVAL;
	}
	return 0;
}

/* An expression from text; -EINVAL names what it was for. */
static int parse_for(const char *what, const char *text, struct ac_expr **out, char *why,
                     size_t whylen)
{
	char w[200];
	int rc = ac_expr_parse(text, out, w, sizeof w);

	if (rc == -EINVAL)
		snprintf(why, whylen, "%s is not an expression of the integer parameters: %s", what, w);
	return rc;
}

/* An expression the description gives for what (text): parsed, and every
 * name it uses an integer parameter of the call. -EINVAL says why. */
static int given_expr(const struct ac_plan *p, const char *what, const char *text,
                      struct ac_expr **out, char *why, size_t whylen)
{
	int rc = parse_for(what, text, out, why, whylen);

	if (!rc)
		rc = names_ok(p, *out, what, text, why, whylen);
	return rc;
}

/* The product of a buffer's declared bounds, as text in text[len]. */
static const char *declared_length(const struct ac_sig_param *sp, char *text, size_t len)
{
	size_t at = 0;

	text[0] = '\0';
	for (int d = 0; d < sp->ndims && at < len; d++) {
		bool simple = strspn(sp->bound[d], "abcdefghijklmnopqrstuvwxyz"
		                                   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") ==
		              strlen(sp->bound[d]);

		at += (size_t)snprintf(text + at, len - at, "%s%s%s%s", d ? " * " : "",
		                       simple ? "" : "(", sp->bound[d], simple ? "" : ")");
	}
	return text;
}

/* One size of a buffer (its length, or a table's rows), from the first
 * that has it: the description (given, called what in messages), the
 * prototype (declared), a guess (guessed, when guessing). None: -EINVAL
 * with missing as the reason. Sets *out and, on success, *how. */
static int size_from(const struct ac_plan *p, const char *given, const char *what,
                     const char *declared, const char *guessed, const char *missing,
                     struct ac_expr **out, enum ac_how *how, char *why, size_t whylen)
{
	enum ac_how h;
	int rc;

	if (given) {
		rc = given_expr(p, what, given, out, why, whylen);
		h = AC_HOW_GIVEN;
	} else if (declared) {
		rc = parse_for("a declared bound", declared, out, why, whylen);
		h = AC_HOW_DECLARED;
	} else if (guessed) {
		rc = parse_for("a guess", guessed, out, why, whylen);
		h = AC_HOW_GUESS;
	} else {
		snprintf(why, whylen, "%s", missing);
		return -EINVAL;
	}
	if (!rc)
		*how = h;
	return rc;
}

/* Checks a structured fill against the element type. */
static int values_ok(const struct ac_plan_arg *a, char *why, size_t whylen)
{
	enum ac_etype t = a->p->etype;
	const char *name = a->p->name;

	switch (a->values) {
	case AC_VALUES_UNIFORM:
		return 0;
	case AC_VALUES_NONZERO:
		if (is_float(t))
			return 0;
		snprintf(why, whylen, "%s: \"nonzero\" is for float and double elements; for "
		         "integers give a range without 0 (\"range\": [1, 100])", name);
		return -EINVAL;
	case AC_VALUES_SORTED:
		if (is_float(t) || t == AC_ET_I32 || t == AC_ET_I64)
			return 0;
		snprintf(why, whylen, "%s: \"sorted\" is for float, double, int32_t and int64_t "
		         "elements, not %s", name, etype_word(t));
		return -EINVAL;
	case AC_VALUES_PERMUTATION:
		if (t == AC_ET_I32 || t == AC_ET_I64)
			return 0;
		snprintf(why, whylen, "%s: \"permutation\" is for int32_t and int64_t elements, not "
		         "%s", name, etype_word(t));
		return -EINVAL;
	case AC_VALUES_DIAGDOM:
	case AC_VALUES_SPD:
		if (is_float(t))
			return 0;
		snprintf(why, whylen, "%s: \"%s\" is for float and double matrices, not %s", name,
		         ac_values_name(a->values), etype_word(t));
		return -EINVAL;
	}
	return 0;
}

/* A guessed size for a draft: the function's which-th integer parameter
 * (the first when there is no such one), else 1024. */
static const char *guess_size(const struct ac_plan *p, int which)
{
	const char *first = NULL;
	int seen = 0;

	for (int k = 0; k < p->fn->nparams; k++) {
		if (!is_int_scalar(&p->fn->params[k]) || p->fn->params[k].etype == AC_ET_BOOL)
			continue;
		if (!first)
			first = p->fn->params[k].name;
		if (seen++ == which)
			return p->fn->params[k].name;
	}
	return first ? first : "1024";
}

/* Sets one buffer argument from its description (d may be NULL). */
static int make_buffer(struct ac_plan *p, struct ac_plan_arg *a, const struct ac_call_arg *d,
                       bool guess, char *why, size_t whylen)
{
	const struct ac_sig_param *sp = a->p;
	char what[160], missing[300], declared[1024];
	int rc;

	bool table = sp->kind == AC_PK_TABLE;

	if (table) {
		/* how many rows: given, declared (double *cols[n]), or guessed */
		snprintf(what, sizeof what, "the rows of %s", sp->name);
		snprintf(missing, sizeof missing, "%s's table %s has no row count", p->fn->name,
		         sp->name);
		rc = size_from(p, d ? d->rows : NULL, what, sp->declared ? sp->bound[0] : NULL,
		               guess ? guess_size(p, 0) : NULL, missing, &a->rows, &a->rows_how,
		               why, whylen);
		if (rc)
			return rc;
	}
	snprintf(what, sizeof what, "the length of %s", sp->name);
	/* fill() named every such pointer before this */
	snprintf(missing, sizeof missing, "%s's pointer parameter %s has no length", p->fn->name,
	         sp->name);
	rc = size_from(p, d ? d->length : NULL, what,
	               sp->declared && !table ? declared_length(sp, declared, sizeof declared) : NULL,
	               guess ? guess_size(p, table ? 1 : 0) : NULL, missing, &a->len, &a->how,
	               why, whylen);
	if (rc)
		return rc;
	if (d && d->access != AC_ACCESS_UNSET) {
		a->access = d->access;
		a->access_how = AC_HOW_GIVEN;
	} else if (sp->is_const) {
		a->access = AC_ACCESS_READ;
		a->access_how = AC_HOW_DECLARED;
	} else {
		/* measured before the harness is written (ac_plan_measure);
		 * until then the rule of the description: not const, written */
		a->access = AC_ACCESS_WRITE;
		a->access_how = AC_HOW_DEFAULT;
		p->to_probe = true;
	}
	if (d && d->access == AC_ACCESS_WRITE && sp->is_const) {
		snprintf(why, whylen, "%s is const in %s's prototype: the call cannot write it", sp->name,
		         p->fn->name);
		return -EINVAL;
	}
	a->values = d ? d->values : AC_VALUES_UNIFORM;
	rc = values_ok(a, why, whylen);
	if (rc)
		return rc;
	if (table && a->values != AC_VALUES_UNIFORM && a->values != AC_VALUES_NONZERO) {
		snprintf(why, whylen, "%s: a table's rows take \"uniform\" or \"nonzero\" values",
		         sp->name);
		return -EINVAL;
	}
	if (d && (d->lo || d->hi)) {
		a->has_range = true;
		if (is_float(sp->etype)) {
			if ((d->lo && !number(d->lo, &a->flo)) || (d->hi && !number(d->hi, &a->fhi))) {
				snprintf(why, whylen, "the range of %s must be two numbers", sp->name);
				return -EINVAL;
			}
			if (!d->lo)
				a->flo = -1;
			if (!d->hi)
				a->fhi = 1;
		} else {
			snprintf(what, sizeof what, "the range of %s", sp->name);
			rc = given_expr(p, what, d->lo ? d->lo : "0", &a->ilo, why, whylen);
			if (!rc)
				rc = given_expr(p, what, d->hi ? d->hi : "100", &a->ihi, why, whylen);
			if (rc)
				return rc;
		}
	} else {
		a->flo = -1;
		a->fhi = 1;
	}
	if (d && d->has_tol) {
		a->has_tol = true;
		a->rtol = d->rtol;
		a->atol = d->atol;
	}
	return 0;
}

/* Sets one scalar argument from its description. */
static int make_scalar(struct ac_plan *p, struct ac_plan_arg *a, const struct ac_call_arg *d,
                       char *why, size_t whylen)
{
	const struct ac_sig_param *sp = a->p;
	double lo, hi;

	if (!d || !d->has_value)
		return 0;   /* decided once every length is known */
	a->how = AC_HOW_GIVEN;
	if (is_float(sp->etype)) {
		a->fval = d->value;
		return 0;
	}
	int_limits(sp->etype, &lo, &hi);
	if (!d->integral || d->value < lo || d->value > hi) {
		snprintf(why, whylen, "%s is %s in %s's prototype: %g is not a value it holds%s",
		         sp->name, etype_word(sp->etype), p->fn->name, d->value,
		         sp->etype == AC_ET_BOOL ? " (give true, false, 1 or 0)" : "");
		return -EINVAL;
	}
	a->ival = (int64_t)d->value;
	return 0;
}

/* Does any length, integer range or the reduction use name? */
static bool used_by_lengths(const struct ac_plan *p, const char *name)
{
	const struct ac_expr *es[4];
	const char *names[32];

	for (int i = 0; i < p->nargs; i++) {
		es[0] = p->args[i].len;
		es[1] = p->args[i].ilo;
		es[2] = p->args[i].ihi;
		es[3] = p->args[i].rows;
		for (int e = 0; e < 4; e++) {
			int n = es[e] ? ac_expr_names(es[e], names, 32) : 0;

			for (int k = 0; k < n && k < 32; k++)
				if (!strcmp(names[k], name))
					return true;
		}
	}
	return false;
}

/* Fills p for call on sig (guess: lengths nobody says are guessed); on
 * failure p may hold part of a plan (make frees it). */
static int fill(const struct ac_sig *sig, const struct ac_call *call, bool guess,
                struct ac_plan *p, char *why, size_t whylen)
{
	static const struct ac_call none;
	char list[512];
	int rc = 0;

	memset(p, 0, sizeof *p);
	if (!call)
		call = &none;
	p->sig = sig;
	p->fn = ac_sig_function(sig, call->function);
	if (!p->fn) {
		size_t at = 0;

		list[0] = '\0';
		for (int i = 0; i < sig->nfn && at < sizeof list; i++)
			at += (size_t)snprintf(list + at, sizeof list - at, "%s%s", i ? ", " : "",
			                       sig->fn[i].name);
		snprintf(why, whylen, "input.c defines no global function %s (it defines %s)",
		         call->function ? call->function : "", list);
		return -EINVAL;
	}
	p->described = call->function || call->nargs > 0 || call->reduction || call->has_tol;
	p->fn_how = call->function ? AC_HOW_GIVEN : sig->nfn == 1 ? AC_HOW_DECLARED : AC_HOW_GUESS;
	p->nargs = p->fn->nparams;
	p->args = calloc((size_t)p->nargs + 1, sizeof *p->args);
	if (!p->args)
		return -ENOMEM;
	for (int k = 0; k < p->nargs; k++) {
		p->args[k].p = &p->fn->params[k];
		p->args[k].how = AC_HOW_DEFAULT;
	}
	/* every name the description uses is a parameter, of the right kind */
	for (int i = 0; i < call->nargs; i++) {
		const struct ac_call_arg *d = &call->args[i];
		int k = find_param(p->fn, d->name);

		if (k < 0) {
			param_list(p->fn, list, sizeof list);
			snprintf(why, whylen, "%s has no parameter %s (it takes %s)", p->fn->name, d->name,
			         list[0] ? list : "nothing");
			return -EINVAL;
		}
		if (p->fn->params[k].kind == AC_PK_SCALAR && d->buffer) {
			snprintf(why, whylen, "%s is a number in %s's prototype: give its value "
			         "(\"%s\": 100)", d->name, p->fn->name, d->name);
			return -EINVAL;
		}
		if ((p->fn->params[k].kind == AC_PK_BUFFER || p->fn->params[k].kind == AC_PK_TABLE) &&
		    !d->buffer) {
			snprintf(why, whylen, "%s is a pointer in %s's prototype: give its length "
			         "(\"%s\": \"n\" or {\"length\": \"n\", ...})", d->name, p->fn->name,
			         d->name);
			return -EINVAL;
		}
	}
	/* the pointers whose length nobody says, all of them in one message */
	if (!guess) {
		char names[400];
		size_t at = 0;
		int missing = 0;
		const char *first = NULL;
		bool first_table = false;

		names[0] = '\0';
		for (int k = 0; k < p->nargs; k++) {
			const struct ac_sig_param *sp = &p->fn->params[k];
			bool said = false;

			for (int i = 0; i < call->nargs; i++)
				said |= !strcmp(call->args[i].name, sp->name) && call->args[i].length &&
				        (sp->kind != AC_PK_TABLE || sp->declared || call->args[i].rows);
			if ((sp->kind != AC_PK_BUFFER && sp->kind != AC_PK_TABLE) || said ||
			    (sp->declared && sp->kind == AC_PK_BUFFER))
				continue;
			if (!first)
				first_table = sp->kind == AC_PK_TABLE;
			first = first ? first : sp->name;
			missing++;
			if (at < sizeof names)
				at += (size_t)snprintf(names + at, sizeof names - at, "%s%s", missing > 1 ?
				                       ", " : "", sp->name);
		}
		if (missing) {
			/* "x, y" reads "x and y" */
			char *comma = strrchr(names, ',');
			char list[420];

			if (comma)
				snprintf(list, sizeof list, "%.*s and%s", (int)(comma - names), names,
				         comma + 1);
			else
				snprintf(list, sizeof list, "%s", names);
			snprintf(why, whylen, "the prototype of %s does not say how long %s %s: give %s "
			         "in config.json's \"call\" (\"%s\": %s, %s of the integer parameters)",
			         p->fn->name, list, missing > 1 ? "are" : "is",
			         missing > 1 ? "their lengths" : "its length", first,
			         first_table ? "{\"rows\": \"n\", \"length\": \"m\"}" : "\"n\"",
			         first_table ? "expressions" : "an expression");
			return -EINVAL;
		}
	}
	for (int k = 0; k < p->nargs; k++) {
		const struct ac_sig_param *sp = &p->fn->params[k];
		const struct ac_call_arg *d = NULL;

		for (int i = 0; i < call->nargs; i++)
			if (!strcmp(call->args[i].name, sp->name))
				d = &call->args[i];
		if (sp->kind == AC_PK_OTHER) {
			snprintf(why, whylen, "%s's parameter %s is %s: a generated harness can pass "
			         "numbers and arrays of numbers only; write harness.c (README: \"Writing "
			         "a harness\")", p->fn->name, sp->name, sp->why ? sp->why : "unknown");
			return -EINVAL;
		}
		if (sp->kind == AC_PK_BUFFER || sp->kind == AC_PK_TABLE)
			rc = make_buffer(p, &p->args[k], d, guess, why, whylen);
		else
			rc = make_scalar(p, &p->args[k], d, why, whylen);
		if (rc)
			return rc;
	}
	if (call->reduction) {
		rc = given_expr(p, "the reduction", call->reduction, &p->reduction, why, whylen);
		if (rc)
			return rc;
	}
	p->has_tol = call->has_tol;
	p->rtol = call->rtol;
	p->atol = call->atol;
	/* what the description left out: sizes the lengths use are picked,
	 * the rest take the defaults */
	for (int k = 0; k < p->nargs; k++) {
		struct ac_plan_arg *a = &p->args[k];

		if (a->p->kind != AC_PK_SCALAR || a->how == AC_HOW_GIVEN)
			continue;
		if (is_float(a->p->etype)) {
			a->fval = DEFAULT_FLOAT;
		} else if (a->p->etype != AC_ET_BOOL && used_by_lengths(p, a->p->name)) {
			a->how = AC_HOW_PICKED;
			a->ival = 16;
			p->to_pick = true;
		} else {
			a->ival = a->p->etype == AC_ET_BOOL ? 1 : DEFAULT_INT;
		}
	}
	return 0;
}

/* fill, with what it made freed when it fails (*out zeroed then). */
static int make(const struct ac_sig *sig, const struct ac_call *call, bool guess,
                struct ac_plan *out, char *why, size_t whylen)
{
	int rc = fill(sig, call, guess, out, why, whylen);

	if (rc)
		ac_plan_free(out);
	return rc;
}

int ac_plan_make(const struct ac_sig *sig, const struct ac_call *call, struct ac_plan *out,
                 char *why, size_t whylen)
{
	return make(sig, call, false, out, why, whylen);
}

int ac_plan_guess(const struct ac_sig *sig, const struct ac_call *call, struct ac_plan *out,
                  char *why, size_t whylen)
{
	return make(sig, call, true, out, why, whylen);
}

static int lookup_int(void *arg, const char *name, int64_t *v)
{
	const struct ac_plan *p = arg;

	for (int k = 0; k < p->nargs; k++)
		if (!strcmp(p->args[k].p->name, name) && p->args[k].p->kind == AC_PK_SCALAR) {
			*v = p->args[k].ival;
			return 0;
		}
	return -ENOENT;
}

static size_t esize(enum ac_etype t)
{
	switch (t) {
	case AC_ET_F64: case AC_ET_I64: case AC_ET_U64: return 8;
	case AC_ET_F32: case AC_ET_I32: case AC_ET_U32: return 4;
	case AC_ET_I16: case AC_ET_U16: return 2;
	default: return 1;
	}
}

int ac_plan_eval(struct ac_plan *p, char *why, size_t whylen)
{
	char w[200];

	for (int k = 0; k < p->nargs; k++) {
		struct ac_plan_arg *a = &p->args[k];
		int64_t n, lo, hi;

		if (a->p->kind != AC_PK_BUFFER && a->p->kind != AC_PK_TABLE)
			continue;
		if (ac_expr_eval(a->len, lookup_int, p, &n, w, sizeof w)) {
			snprintf(why, whylen, "the length of %s: %s", a->p->name, w);
			return -EINVAL;
		}
		if (a->rows) {
			int64_t r;

			if (ac_expr_eval(a->rows, lookup_int, p, &r, w, sizeof w)) {
				snprintf(why, whylen, "the rows of %s: %s", a->p->name, w);
				return -EINVAL;
			}
			if (r < 1 || n < 1 || __builtin_mul_overflow(r, n, &n)) {
				snprintf(why, whylen, "%s has %lld rows of %lld with these sizes: both must "
				         "be at least 1", a->p->name, (long long)r, (long long)n);
				return -EINVAL;
			}
		}
		if (n < 1 || (uint64_t)n > ((uint64_t)1 << 40) / esize(a->p->etype)) {
			snprintf(why, whylen, "the length of %s is %lld with these sizes: it must be at "
			         "least 1 and fit in memory", a->p->name, (long long)n);
			return -EINVAL;
		}
		a->n = n;
		if (a->values == AC_VALUES_DIAGDOM || a->values == AC_VALUES_SPD) {
			int64_t d = (int64_t)llround(sqrt((double)n));

			if (d * d != n) {
				snprintf(why, whylen, "%s: \"%s\" needs a square matrix, and its length %lld "
				         "is not a square", a->p->name, ac_values_name(a->values),
				         (long long)n);
				return -EINVAL;
			}
		}
		if (a->ilo && a->ihi) {
			if (ac_expr_eval(a->ilo, lookup_int, p, &lo, w, sizeof w) ||
			    ac_expr_eval(a->ihi, lookup_int, p, &hi, w, sizeof w)) {
				snprintf(why, whylen, "the range of %s: %s", a->p->name, w);
				return -EINVAL;
			}
			if (hi < lo) {
				snprintf(why, whylen, "the range of %s is [%lld, %lld] with these sizes: it "
				         "must go from low to high", a->p->name, (long long)lo,
				         (long long)hi);
				return -EINVAL;
			}
		}
	}
	return 0;
}

void ac_plan_tolerance(const struct ac_plan *p, const struct ac_plan_arg *arg, double *rtol,
                       double *atol)
{
	enum ac_etype t = arg ? arg->p->etype : p->fn->ret_etype;
	int64_t k = 1;
	double eps, cap, tol;

	if (arg && arg->has_tol) {
		*rtol = arg->rtol;
		*atol = arg->atol;
		return;
	}
	if (p->has_tol) {
		*rtol = p->rtol;
		*atol = p->atol;
		return;
	}
	if (!is_float(t)) {
		*rtol = *atol = 0;
		return;
	}
	if (p->reduction) {
		char w[64];

		if (ac_expr_eval(p->reduction, lookup_int, (void *)p, &k, w, sizeof w) || k < 1)
			k = 1;
	} else {
		for (int i = 0; i < p->nargs; i++)
			if (is_int_scalar(p->args[i].p) && p->args[i].ival > k)
				k = p->args[i].ival;
	}
	eps = t == AC_ET_F32 ? 1.1920928955078125e-07 : 2.220446049250313e-16;
	cap = t == AC_ET_F32 ? 1e-3 : 1e-9;
	tol = 16 * eps * (double)k;
	if (tol < 64 * eps)
		tol = 64 * eps;
	if (tol > cap)
		tol = cap;
	*rtol = *atol = tol;
}

/* ---- words ---- */

static const char *access_words_long(enum ac_access a)
{
	return a == AC_ACCESS_READ ? "read" : a == AC_ACCESS_WRITE ? "written" :
	       "read and written";
}

static void put_value(FILE *o, const struct ac_plan_arg *a)
{
	if (is_float(a->p->etype))
		fprintf(o, "%.17g", a->fval);
	else if (a->p->etype == AC_ET_BOOL)
		fputs(a->ival ? "true" : "false", o);
	else
		fprintf(o, "%lld", (long long)a->ival);
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

char *ac_plan_words(const struct ac_plan *p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *o = open_memstream(&buf, &len);

	if (!o)
		return NULL;
	fprintf(o, "%s(", p->fn->name);
	for (int k = 0; k < p->nargs; k++) {
		const struct ac_plan_arg *a = &p->args[k];

		fprintf(o, "%s%s", k ? ", " : "", a->p->name);
		if (a->p->kind == AC_PK_SCALAR) {
			fputs(" = ", o);
			put_value(o, a);
			continue;
		}
		fprintf(o, ": ");
		if (a->rows) {
			ac_expr_print(a->rows, o);
			fprintf(o, " rows of ");
			ac_expr_print(a->len, o);
		} else if (a->n > 0) {
			fprintf(o, "%lld", (long long)a->n);
		} else {
			ac_expr_print(a->len, o);
		}
		fprintf(o, " %s %s", etype_word(a->p->etype), access_words_long(a->access));
		if (a->values != AC_VALUES_UNIFORM)
			fprintf(o, ", %s", ac_values_name(a->values));
	}
	fputs(")", o);
	return finish(o, &buf);
}

static void pad(FILE *o, int n)
{
	for (int i = 0; i < n; i++)
		fputc(' ', o);
}

/* Writes a comment for one argument's line of the description; first
 * says whether an earlier integer already said how sizes were chosen. */
static void arg_comment(FILE *o, const struct ac_plan *p, const struct ac_plan_arg *a,
                        const char *first_picked)
{
	bool any = false;

	if (a->p->kind == AC_PK_SCALAR) {
		if (a->how == AC_HOW_PICKED && first_picked)
			fprintf(o, "  // chosen, as %s", first_picked);
		else if (a->how == AC_HOW_PICKED)
			fprintf(o, "  // chosen: %s", p->note[0] ? p->note : "by the engine");
		else if (a->how == AC_HOW_DEFAULT)
			fprintf(o, "  // default");
		return;
	}
	if (a->how == AC_HOW_GUESS || a->rows_how == AC_HOW_GUESS) {
		fprintf(o, "  // guess: the prototype does not say how %s %s is", a->rows ?
		        "large a table" : "long", a->p->name);
		any = true;
	} else if (a->how == AC_HOW_DECLARED) {
		fprintf(o, "  // length: as the prototype declares");
		any = true;
	}
	if (a->access_how == AC_HOW_MEASURED)
		fprintf(o, "%s access measured: the call %s %s", any ? ";" : "  //",
		        a->access == AC_ACCESS_READ ? "only reads" :
		        a->access == AC_ACCESS_WRITE ? "writes, and does not read," : "reads and writes",
		        a->p->name);
	else if (a->access_how == AC_HOW_DEFAULT)
		fprintf(o, "%s access: not const, so written; say \"both\" if the call also reads it",
		        any ? ";" : "  //");
}

/* One argument as JSON (without the comma). */
static void arg_json(FILE *o, const struct ac_plan_arg *a)
{
	fprintf(o, "\"%s\": ", a->p->name);
	if (a->p->kind == AC_PK_SCALAR) {
		put_value(o, a);
		return;
	}
	fprintf(o, "{");
	if (a->rows) {
		fprintf(o, "\"rows\": \"");
		ac_expr_print(a->rows, o);
		fprintf(o, "\", ");
	}
	fprintf(o, "\"length\": \"");
	ac_expr_print(a->len, o);
	fprintf(o, "\", \"access\": \"%s\"", ac_access_name(a->access));
	if (a->values != AC_VALUES_UNIFORM)
		fprintf(o, ", \"values\": \"%s\"", ac_values_name(a->values));
	if (a->has_range && is_float(a->p->etype)) {
		fprintf(o, ", \"range\": [%.17g, %.17g]", a->flo, a->fhi);
	} else if (a->has_range) {
		fprintf(o, ", \"range\": [\"");
		ac_expr_print(a->ilo, o);
		fprintf(o, "\", \"");
		ac_expr_print(a->ihi, o);
		fprintf(o, "\"]");
	}
	if (a->has_tol)
		fprintf(o, ", \"tolerance\": {\"rtol\": %.3g, \"atol\": %.3g}", a->rtol, a->atol);
	fprintf(o, "}");
}

char *ac_plan_description(const struct ac_plan *p, int indent)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *o = open_memstream(&buf, &len);
	int in = indent + 2, last = -1;
	const char *first_picked = NULL;
	double rtol, atol;

	if (!o)
		return NULL;
	/* an integer still to be picked is a comment: written out, it would fix it */
	for (int k = 0; k < p->nargs; k++)
		if (!(p->args[k].how == AC_HOW_PICKED && p->picked == 0))
			last = k;
	fprintf(o, "{\n");
	pad(o, in);
	fprintf(o, "\"function\": \"%s\",", p->fn->name);
	if (p->fn_how == AC_HOW_GUESS)
		fprintf(o, "  // guess: the last function input.c defines; name the one to time");
	fputc('\n', o);
	pad(o, in);
	fprintf(o, "\"args\": {\n");
	for (int k = 0; k < p->nargs; k++) {
		const struct ac_plan_arg *a = &p->args[k];

		pad(o, in + 2);
		if (a->how == AC_HOW_PICKED && p->picked == 0) {
			fprintf(o, "// \"%s\": the engine picks it so that a call takes 1-100 ms; give a "
			        "value to fix it\n", a->p->name);
			continue;
		}
		arg_json(o, a);
		fputs(k < last ? "," : "", o);
		arg_comment(o, p, a, first_picked);
		if (a->how == AC_HOW_PICKED && !first_picked)
			first_picked = a->p->name;
		fputc('\n', o);
	}
	pad(o, in);
	fprintf(o, "}");
	if (p->reduction) {
		fprintf(o, ",\n");
		pad(o, in);
		fprintf(o, "\"reduction\": \"");
		ac_expr_print(p->reduction, o);
		fprintf(o, "\"");
	}
	if (p->has_tol) {
		fprintf(o, ",\n");
		pad(o, in);
		fprintf(o, "\"tolerance\": {\"rtol\": %.3g, \"atol\": %.3g}", p->rtol, p->atol);
	}
	fputc('\n', o);
	/* the tolerance the checks use, when the description does not set it */
	for (int k = 0; k < p->nargs && !p->has_tol; k++) {
		const struct ac_plan_arg *a = &p->args[k];
		int64_t big = 1;

		if (a->p->kind == AC_PK_SCALAR || a->access == AC_ACCESS_READ || a->has_tol)
			continue;
		ac_plan_tolerance(p, a, &rtol, &atol);
		pad(o, in);
		if (rtol == 0 && atol == 0) {
			fprintf(o, "// %s is checked exactly (integers); \"tolerance\" changes it\n",
			        a->p->name);
			continue;
		}
		for (int i = 0; i < p->nargs; i++)
			if (is_int_scalar(p->args[i].p) && p->args[i].ival > big)
				big = p->args[i].ival;
		if (p->reduction)
			fprintf(o, "// %s is checked with rtol = atol = %.2g (%s, the reduction length "
			        "given); \"tolerance\" changes it\n", a->p->name, rtol,
			        etype_word(a->p->etype));
		else
			fprintf(o, "// %s is checked with rtol = atol = %.2g (%s; the largest integer "
			        "argument, %lld, taken for the reduction length: say \"reduction\": \"1\" "
			        "for an elementwise call, or give \"tolerance\")\n", a->p->name, rtol,
			        etype_word(a->p->etype), (long long)big);
	}
	pad(o, indent);
	fprintf(o, "}");
	return finish(o, &buf);
}
