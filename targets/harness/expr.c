/*
 * expr.c - the integer expressions of a call's description (expr.h): a
 * recursive-descent parser into a small tree, a checked evaluator and a
 * printer for generated C.
 *
 * It deliberately knows only what lengths and bounds are written with;
 * a cast, sizeof or a function call in a declared bound is refused, and
 * the caller then asks the user for the length instead of guessing it.
 */
#include "targets/harness/expr.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum op { OP_NUM, OP_NAME, OP_NEG, OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD };

struct ac_expr {
	enum op op;
	int64_t num;
	char *name;
	struct ac_expr *l, *r;
};

struct parser {
	const char *s;       /* the whole text */
	const char *p;       /* where the parser is */
	char *why;
	size_t whylen;
	int depth;
};

void ac_expr_free(struct ac_expr *e)
{
	if (!e)
		return;
	ac_expr_free(e->l);
	ac_expr_free(e->r);
	free(e->name);
	free(e);
}

static void skip(struct parser *ps)
{
	while (isspace((unsigned char)*ps->p))
		ps->p++;
}

static int fail(struct parser *ps, const char *what)
{
	if (*ps->p)
		snprintf(ps->why, ps->whylen, "%s at \"%.24s\" in \"%s\"", what, ps->p, ps->s);
	else
		snprintf(ps->why, ps->whylen, "%s at the end of \"%s\"", what, ps->s);
	return -EINVAL;
}

static struct ac_expr *node(enum op op, struct ac_expr *l, struct ac_expr *r)
{
	struct ac_expr *e = calloc(1, sizeof *e);

	if (!e) {
		ac_expr_free(l);
		ac_expr_free(r);
		return NULL;
	}
	e->op = op;
	e->l = l;
	e->r = r;
	return e;
}

static int sum(struct parser *ps, struct ac_expr **out);

static int primary(struct parser *ps, struct ac_expr **out)
{
	skip(ps);
	if (*ps->p == '(') {
		int rc;

		if (++ps->depth > 64)
			return fail(ps, "too deeply nested");
		ps->p++;
		rc = sum(ps, out);
		if (rc)
			return rc;
		skip(ps);
		if (*ps->p != ')') {
			ac_expr_free(*out);
			*out = NULL;
			return fail(ps, "expected ')'");
		}
		ps->p++;
		ps->depth--;
		return 0;
	}
	if (isdigit((unsigned char)*ps->p)) {
		char *end;
		unsigned long long v;

		errno = 0;
		v = strtoull(ps->p, &end, 0);
		if (errno || v > INT64_MAX)
			return fail(ps, "a number too large");
		while (*end == 'u' || *end == 'U' || *end == 'l' || *end == 'L')
			end++;
		if (isalnum((unsigned char)*end) || *end == '_' || *end == '.')
			return fail(ps, "not a whole number");
		*out = node(OP_NUM, NULL, NULL);
		if (!*out)
			return -ENOMEM;
		(*out)->num = (int64_t)v;
		ps->p = end;
		return 0;
	}
	if (isalpha((unsigned char)*ps->p) || *ps->p == '_') {
		const char *a = ps->p;

		while (isalnum((unsigned char)*ps->p) || *ps->p == '_')
			ps->p++;
		if (!strncmp(a, "sizeof", 6) && ps->p - a == 6)
			return fail(ps, "sizeof is not taken here");
		*out = node(OP_NAME, NULL, NULL);
		if (!*out)
			return -ENOMEM;
		(*out)->name = strndup(a, (size_t)(ps->p - a));
		if (!(*out)->name) {
			ac_expr_free(*out);
			*out = NULL;
			return -ENOMEM;
		}
		return 0;
	}
	return fail(ps, "expected a name, a number or '('");
}

static int unary(struct parser *ps, struct ac_expr **out)
{
	skip(ps);
	if (*ps->p == '-' || *ps->p == '+') {
		bool neg = *ps->p == '-';
		struct ac_expr *x;
		int rc;

		if (++ps->depth > 64)
			return fail(ps, "too deeply nested");
		ps->p++;
		rc = unary(ps, &x);
		ps->depth--;
		if (rc)
			return rc;
		if (!neg) {
			*out = x;
			return 0;
		}
		*out = node(OP_NEG, x, NULL);
		return *out ? 0 : -ENOMEM;
	}
	return primary(ps, out);
}

/* One level of left-associative operators: next (op next)*, where op is
 * a character of chars and ops[i] the operator chars[i] stands for. On
 * failure *out is NULL and what was parsed so far is freed. */
static int chain(struct parser *ps, struct ac_expr **out,
                 int (*next)(struct parser *, struct ac_expr **),
                 const char *chars, const enum op *ops)
{
	int rc = next(ps, out);

	while (!rc) {
		const char *c;
		struct ac_expr *r;

		skip(ps);
		c = *ps->p ? strchr(chars, *ps->p) : NULL;
		if (!c)
			break;
		ps->p++;
		rc = next(ps, &r);
		if (rc) {
			ac_expr_free(*out);
			*out = NULL;
			break;
		}
		*out = node(ops[c - chars], *out, r);
		if (!*out)
			rc = -ENOMEM;
	}
	return rc;
}

static int product(struct parser *ps, struct ac_expr **out)
{
	static const enum op ops[] = { OP_MUL, OP_DIV, OP_MOD };

	return chain(ps, out, unary, "*/%", ops);
}

static int sum(struct parser *ps, struct ac_expr **out)
{
	static const enum op ops[] = { OP_ADD, OP_SUB };

	return chain(ps, out, product, "+-", ops);
}

int ac_expr_parse(const char *text, struct ac_expr **out, char *why, size_t whylen)
{
	struct parser ps = { text, text, why, whylen, 0 };
	int rc;

	*out = NULL;
	rc = sum(&ps, out);
	if (rc)
		return rc;
	skip(&ps);
	if (*ps.p) {
		ac_expr_free(*out);
		*out = NULL;
		return fail(&ps, "unexpected text");
	}
	return 0;
}

int ac_expr_eval(const struct ac_expr *e, ac_expr_lookup lookup, void *arg, int64_t *v,
                 char *why, size_t whylen)
{
	int64_t a, b = 0;
	int rc;

	switch (e->op) {
	case OP_NUM:
		*v = e->num;
		return 0;
	case OP_NAME:
		rc = lookup ? lookup(arg, e->name, v) : -ENOENT;
		if (rc)
			snprintf(why, whylen, "%s has no value", e->name);
		return rc;
	default:
		break;
	}
	rc = ac_expr_eval(e->l, lookup, arg, &a, why, whylen);
	if (!rc && e->r)
		rc = ac_expr_eval(e->r, lookup, arg, &b, why, whylen);
	if (rc)
		return rc;
	switch (e->op) {
	case OP_NEG:
		if (a == INT64_MIN)
			goto range;
		*v = -a;
		return 0;
	case OP_ADD:
		if (__builtin_add_overflow(a, b, v))
			goto range;
		return 0;
	case OP_SUB:
		if (__builtin_sub_overflow(a, b, v))
			goto range;
		return 0;
	case OP_MUL:
		if (__builtin_mul_overflow(a, b, v))
			goto range;
		return 0;
	case OP_DIV:
	case OP_MOD:
		if (b == 0) {
			snprintf(why, whylen, "a division by zero");
			return -EDOM;
		}
		if (a == INT64_MIN && b == -1)
			goto range;
		*v = e->op == OP_DIV ? a / b : a % b;
		return 0;
	default:
		return -EINVAL;
	}
range:
	snprintf(why, whylen, "a value beyond 64 bits");
	return -ERANGE;
}

static int collect(const struct ac_expr *e, const char **names, int n, int max)
{
	if (!e)
		return n;
	if (e->op == OP_NAME) {
		for (int i = 0; i < n && i < max; i++)
			if (!strcmp(names[i], e->name))
				return n;
		if (n < max)
			names[n] = e->name;
		return n + 1;
	}
	n = collect(e->l, names, n, max);
	return collect(e->r, names, n, max);
}

int ac_expr_names(const struct ac_expr *e, const char **names, int max)
{
	return collect(e, names, 0, max);
}

/* Binding strength: sums 1, products 2, unary 3, leaves 4. */
static int strength(const struct ac_expr *e)
{
	switch (e->op) {
	case OP_ADD:
	case OP_SUB:
		return 1;
	case OP_MUL:
	case OP_DIV:
	case OP_MOD:
		return 2;
	case OP_NEG:
		return 3;
	default:
		return 4;
	}
}

static void print(const struct ac_expr *e, FILE *out, int need)
{
	static const char *const sym[] = { "", "", "-", " + ", " - ", " * ", " / ", " % " };
	bool paren = strength(e) < need;

	if (paren)
		fputc('(', out);
	switch (e->op) {
	case OP_NUM:
		fprintf(out, "%lld", (long long)e->num);
		break;
	case OP_NAME:
		fputs(e->name, out);
		break;
	case OP_NEG:
		fputc('-', out);
		print(e->l, out, 3);
		break;
	default:
		/* left-associative: the right operand of - / % binds tighter */
		print(e->l, out, strength(e));
		fputs(sym[e->op], out);
		print(e->r, out, strength(e) + 1);
		break;
	}
	if (paren)
		fputc(')', out);
}

void ac_expr_print(const struct ac_expr *e, FILE *out)
{
	print(e, out, 0);
}

int ac_expr_same(const struct ac_expr *a, const struct ac_expr *b)
{
	if (!a || !b)
		return a == b;
	if (a->op != b->op)
		return 0;
	if (a->op == OP_NUM)
		return a->num == b->num;
	if (a->op == OP_NAME)
		return !strcmp(a->name, b->name);
	return ac_expr_same(a->l, b->l) && ac_expr_same(a->r, b->r);
}

const struct ac_expr *ac_expr_square_root(const struct ac_expr *e)
{
	return e && e->op == OP_MUL && ac_expr_same(e->l, e->r) ? e->l : NULL;
}
