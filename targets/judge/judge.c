/*
 * judge.c - generate the judge's stubs and the worker's function table
 * from the input's prototypes, as gcc -aux-info prints them:
 *
 *     /+ .ac_reference.c:5:NF +/ extern void gemm (int M, const float *A, float *C);
 *         /+ (M, A, C) int M; const float *A; float *C; +/
 *
 * (one line each; "F" marks a definition). The per-parameter declarations
 * in the trailing comment give each parameter's type and name; the stubs
 * use the types as written and their own parameter names (a harness's
 * `#define N 256` must not rename a stub's parameter).
 *
 * What cannot be forwarded is refused here, naming the function and the
 * parameter: varargs, a struct or union by value, a function pointer, a
 * pointer to pointers (the judge shares a buffer, not what it points to).
 * A typedef the text does not reveal (a typedef'd struct by value) is
 * refused by a static assertion in the stub, which names both too.
 */
#include "targets/judge/judge.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void proto_clear(struct ac_proto *f)
{
	free(f->name);
	free(f->ret);
	for (int k = 0; k < f->nparams; k++) {
		free(f->ptype[k]);
		free(f->pname[k]);
	}
	memset(f, 0, sizeof *f);
}

void ac_protos_free(struct ac_protos *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->n; i++)
		proto_clear(&p->v[i]);
	free(p->v);
	p->v = NULL;
	p->n = 0;
}

static char *dup_range(const char *s, size_t n)
{
	char *d;

	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static bool ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

static int count_char(const char *s, char c)
{
	int n = 0;

	for (; *s; s++)
		n += *s == c;
	return n;
}

/* Does the type text start with the keyword kw (struct, union)? */
static bool starts_kw(const char *s, const char *kw)
{
	size_t n = strlen(kw);

	while (*s == ' ')
		s++;
	if (!strncmp(s, "const ", 6) || !strncmp(s, "volatile ", 9))
		s = strchr(s, ' ') + 1;
	return !strncmp(s, kw, n) && s[n] == ' ';
}

/* Is "const" a word of the text before the last '*'? */
static bool const_pointee(const char *type)
{
	const char *star = strrchr(type, '*');

	for (const char *p = type; p && p < star; p++) {
		if (!strncmp(p, "const", 5) && (p == type || !ident_char(p[-1])) && !ident_char(p[5]))
			return true;
	}
	return false;
}

/* Why a type cannot travel, or NULL. */
static const char *unforwardable(const char *type)
{
	int stars = count_char(type, '*');

	if (strchr(type, '('))
		return "is a function pointer: the candidate's process cannot call the judge's code";
	if (stars >= 2)
		return "is a pointer to pointers: the judge shares the buffer, not what it points to";
	if (stars == 0 && (starts_kw(type, "struct") || starts_kw(type, "union")))
		return "is a struct or union passed by value: pass a pointer to it";
	if (stars == 0 && strstr(type, "long double"))
		return "is a long double: only integers, pointers, float and double travel";
	if (stars == 0 && strstr(type, "_Complex"))
		return "is complex: only integers, pointers, float and double travel";
	return NULL;
}

/* Parses one "TYPE NAME" declaration of the K&R comment. */
static int parse_param(struct ac_proto *f, const char *d, size_t n, char *why, size_t whylen)
{
	size_t end = n, start;
	int k = f->nparams;
	const char *bad;

	while (end > 0 && isspace((unsigned char)d[end - 1]))
		end--;
	start = end;
	while (start > 0 && ident_char(d[start - 1]))
		start--;
	if (f->nparams >= AC_PROTO_MAXPARAMS) {
		snprintf(why, whylen, "%s: more than %d parameters cannot be forwarded", f->name,
		         AC_PROTO_MAXPARAMS);
		return -EINVAL;
	}
	if (memchr(d, '(', n)) {
		/* "void (*cb)();" */
		const char *star = memchr(d, '*', n);
		size_t a = star ? (size_t)(star - d) + 1 : 0, b = a;

		while (b < n && ident_char(d[b]))
			b++;
		snprintf(why, whylen, "%s: parameter %.*s is a function pointer: the candidate's "
		         "process cannot call the judge's code", f->name, (int)(b - a), d + a);
		return -EINVAL;
	}
	if (start == end || start == 0) {
		snprintf(why, whylen, "%s: a parameter has no name in its definition", f->name);
		return -EINVAL;
	}
	f->pname[k] = dup_range(d + start, end - start);
	f->ptype[k] = dup_range(d, start);
	if (!f->pname[k] || !f->ptype[k]) {
		free(f->pname[k]);
		free(f->ptype[k]);
		return -ENOMEM;
	}
	f->nparams++;
	bad = unforwardable(f->ptype[k]);
	if (bad) {
		snprintf(why, whylen, "%s: parameter %s (%s) %s", f->name, f->pname[k], f->ptype[k],
		         bad);
		return -EINVAL;
	}
	f->pconst[k] = count_char(f->ptype[k], '*') == 1 && const_pointee(f->ptype[k]);
	return 0;
}

/* Parses the declaration part "extern RET NAME (PARAMS);" and the comment. */
static int parse_line(struct ac_proto *f, const char *decl, size_t n, char *why, size_t whylen)
{
	const char *semi = memchr(decl, ';', n), *open = NULL, *close = NULL, *name;
	const char *cm, *cm_end, *p;
	int depth = 0;
	const char *bad;

	if (!semi)
		return -EAGAIN;
	for (p = semi; p > decl; p--) {
		if (*p == ')') {
			if (!close)
				close = p;
			depth++;
		} else if (*p == '(') {
			if (--depth == 0) {
				open = p;
				break;
			}
		}
	}
	if (!open || !close)
		return -EAGAIN;
	p = open;
	while (p > decl && p[-1] == ' ')
		p--;
	name = p;
	while (name > decl && ident_char(name[-1]))
		name--;
	if (name == p)
		return -EAGAIN;
	f->name = dup_range(name, (size_t)(p - name));
	f->ret = dup_range(decl, (size_t)(name - decl));
	if (!f->name || !f->ret)
		return -ENOMEM;
	if (strchr(f->ret, '(') || strchr(f->ret, ')')) {
		snprintf(why, whylen, "%s: returns a function pointer, which cannot be forwarded",
		         f->name);
		return -EINVAL;
	}
	if (memmem(open, (size_t)(close - open), "...", 3)) {
		snprintf(why, whylen, "%s: takes a variable argument list (...), which cannot be "
		         "forwarded", f->name);
		return -EINVAL;
	}
	if (strcmp(f->ret, "void") != 0) {
		bad = unforwardable(f->ret);
		if (bad) {
			snprintf(why, whylen, "%s: its return type (%s) %s", f->name, f->ret, bad);
			return -EINVAL;
		}
	}
	/* the K&R comment: "/+ (M, A) int M; const float *A; +/" */
	cm = strstr(semi, "/*");
	cm_end = cm ? strstr(cm, "*/") : NULL;
	if (!cm || !cm_end)
		return -EAGAIN;
	p = memchr(cm, ')', (size_t)(cm_end - cm));
	if (!p)
		return -EAGAIN;
	for (p++; p < cm_end;) {
		const char *e = memchr(p, ';', (size_t)(cm_end - p));
		int rc;

		if (!e)
			break;
		rc = parse_param(f, p, (size_t)(e - p), why, whylen);
		if (rc)
			return rc;
		p = e + 1;
	}
	return 0;
}

int ac_protos_parse(const char *aux, const char *src, struct ac_protos *out, char *why,
                    size_t whylen)
{
	size_t srclen = strlen(src);
	const char *line = aux;
	int rc = 0;

	out->v = NULL;
	out->n = 0;
	why[0] = '\0';
	while (line && *line) {
		const char *eol = strchr(line, '\n');
		size_t n = eol ? (size_t)(eol - line) : strlen(line);
		const char *p = line;
		struct ac_proto f;
		int lno = 0;

		/* "/+ SRC:LINE:NF +/ extern ..." */
		if (n > srclen + 6 && !strncmp(p, "/* ", 3) && !strncmp(p + 3, src, srclen) &&
		    p[3 + srclen] == ':') {
			const char *flags;

			p += 4 + srclen;
			lno = atoi(p);
			flags = strchr(p, ':');
			if (flags && flags < line + n) {
				const char *fe = strstr(flags, " */");
				bool def = fe && memchr(flags, 'F', (size_t)(fe - flags)) != NULL;

				if (def && !strncmp(fe + 3, " extern ", 8)) {
					struct ac_proto *v;

					memset(&f, 0, sizeof f);
					f.line = lno;
					rc = parse_line(&f, fe + 11, (size_t)(line + n - (fe + 11)), why,
					                whylen);
					if (rc == -EAGAIN) {
						/* a shape we do not know: not ours to forward */
						proto_clear(&f);
						rc = 0;
						goto next;
					}
					if (rc) {
						proto_clear(&f);
						goto fail;
					}
					v = realloc(out->v, sizeof *v * (size_t)(out->n + 1));
					if (!v) {
						proto_clear(&f);
						rc = -ENOMEM;
						goto fail;
					}
					out->v = v;
					out->v[out->n++] = f;
				}
			}
		}
next:
		line = eol ? eol + 1 : NULL;
	}
	if (out->n == 0) {
		snprintf(why, whylen, "the input defines no global function for the harness to call");
		return -EINVAL;
	}
	return 0;
fail:
	ac_protos_free(out);
	return rc;
}

/* Escapes s for a C string literal in the generated code. */
static void put_cstr(FILE *o, const char *s)
{
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', o);
		fputc(*s, o);
	}
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

char *ac_judge_source(const struct ac_protos *p, const char *harness)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *o = open_memstream(&buf, &len);

	if (!o)
		return NULL;
	fprintf(o, "/* The judge: the harness, and a stub per function of the input that\n"
	           " * forwards the call to the candidate's process (generated). */\n"
	           "#ifndef _GNU_SOURCE\n#define _GNU_SOURCE 1\n#endif\n"
	           "#define AC_JUDGE 1\n#include \"%s\"\n\n", harness);
	fprintf(o, "#define AC__WCLS(x) (__builtin_classify_type(x) == 8 ? "
	           "(sizeof(x) == 4 ? 2 : 3) : 1)\n"
	           "#define AC__FWD_OK(x) ((__builtin_classify_type(x) >= 1 && "
	           "__builtin_classify_type(x) <= 5 && sizeof(x) <= 8) || "
	           "(__builtin_classify_type(x) == 8 && (sizeof(x) == 4 || sizeof(x) == 8)))\n"
	           "static inline uint64_t ac__fbits(const void *p, size_t n)\n"
	           "{\n\tuint64_t b = 0;\n\n\tmemcpy(&b, p, n);\n\treturn b;\n}\n"
	           "#define AC__BITS(x) __builtin_choose_expr(__builtin_classify_type(x) == 8, "
	           "ac__fbits(&(x), sizeof(x)), (uint64_t)(x))\n\n");
	for (int i = 0; i < p->n; i++) {
		const struct ac_proto *f = &p->v[i];
		bool is_void = !strcmp(f->ret, "void");

		fprintf(o, "/* %s, from the input's line %d */\n", f->name, f->line);
		/* the reference, declared here in case the harness does not */
		fprintf(o, "extern %s ref_%s(", f->ret, f->name);
		for (int k = 0; k < f->nparams; k++)
			fprintf(o, "%s%s ac__p%d", k ? ", " : "", f->ptype[k], k);
		fprintf(o, "%s);\n", f->nparams ? "" : "void");
		fprintf(o, "struct ac__args_%s {", f->name);
		for (int k = 0; k < f->nparams; k++)
			fprintf(o, " %s ac__p%d;", f->ptype[k], k);
		fprintf(o, "%s };\n", f->nparams ? "" : " char ac__none;");
		fprintf(o, "static void ac__ref_%s(const void *ac__v, void *ac__r)\n{\n"
		           "\tconst struct ac__args_%s *ac__a = (const struct ac__args_%s *)ac__v;\n\n"
		           "\t(void)ac__a;\n\t(void)ac__r;\n\t",
		        f->name, f->name, f->name);
		if (!is_void)
			fprintf(o, "*(%s *)ac__r = ", f->ret);
		fprintf(o, "ref_%s(", f->name);
		for (int k = 0; k < f->nparams; k++)
			fprintf(o, "%sac__a->ac__p%d", k ? ", " : "", k);
		fprintf(o, ");\n}\n");
		fprintf(o, "static const struct ac__jfn ac__fn_%s = { \"%s\", %d };\n", f->name,
		        f->name, i);
		fprintf(o, "%s %s(", f->ret, f->name);
		for (int k = 0; k < f->nparams; k++)
			fprintf(o, "%s%s ac__p%d", k ? ", " : "", f->ptype[k], k);
		fprintf(o, "%s)\n{\n", f->nparams ? "" : "void");
		for (int k = 0; k < f->nparams; k++) {
			fprintf(o, "\t_Static_assert(AC__FWD_OK(ac__p%d), \"%s: parameter ", k, f->name);
			put_cstr(o, f->pname[k]);
			fprintf(o, " (");
			put_cstr(o, f->ptype[k]);
			fprintf(o, ") cannot be forwarded to the candidate's process: only integers, "
			           "pointers, float and double can\");\n");
		}
		if (!is_void) {
			fprintf(o, "\t%s ac__out;\n", f->ret);
			fprintf(o, "\t_Static_assert(AC__FWD_OK(ac__out), \"%s: its return type (", f->name);
			put_cstr(o, f->ret);
			fprintf(o, ") cannot be forwarded: only integers, pointers, float and double "
			           "can\");\n");
		}
		/* zeroed whole, padding too: the judge compares it between calls */
		fprintf(o, "\tstruct ac__args_%s ac__a;\n", f->name);
		fprintf(o, "\tstruct ac__farg ac__v[%d] = {\n", f->nparams ? f->nparams : 1);
		for (int k = 0; k < f->nparams; k++) {
			fprintf(o, "\t\t{ \"");
			put_cstr(o, f->pname[k]);
			fprintf(o, "\", __builtin_classify_type(ac__p%d), (int)sizeof(ac__p%d), %d, "
			           "AC__BITS(ac__p%d) },\n", k, k, f->pconst[k] ? 1 : 0, k);
		}
		if (!f->nparams)
			fprintf(o, "\t\t{ \"\", 0, 0, 0, 0 },\n");
		fprintf(o, "\t};\n");
		fprintf(o, "\tuint64_t ac__r;\n\n\tmemset(&ac__a, 0, sizeof ac__a);\n");
		for (int k = 0; k < f->nparams; k++)
			fprintf(o, "\tac__a.ac__p%d = ac__p%d;\n", k, k);
		fprintf(o, "\tac__r = ac__j_stub(&ac__fn_%s, ac__v, %d, %s, %s, &ac__a, sizeof ac__a, "
		           "ac__ref_%s);\n", f->name, f->nparams, is_void ? "0" : "AC__WCLS(ac__out)",
		        is_void ? "0" : "(int)sizeof ac__out", f->name);
		if (is_void) {
			fprintf(o, "\t(void)ac__r;\n");
		} else {
			fprintf(o, "\tif (__builtin_classify_type(ac__out) == 8)\n"
			           "\t\tmemcpy(&ac__out, &ac__r, sizeof ac__out);\n"
			           "\telse\n\t\tac__out = (%s)(uintptr_t)ac__r;\n"
			           "\treturn ac__out;\n", f->ret);
		}
		fprintf(o, "}\n\n");
	}
	return finish(o, &buf);
}

char *ac_worker_source(const struct ac_protos *p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *o = open_memstream(&buf, &len);

	if (!o)
		return NULL;
	fprintf(o, "/* The candidate's process: the input's functions, by address only\n"
	           " * (generated). */\n#ifndef _GNU_SOURCE\n#define _GNU_SOURCE 1\n#endif\n\n");
	for (int i = 0; i < p->n; i++)
		fprintf(o, "extern void %s(void);\n", p->v[i].name);
	fprintf(o, "\nstatic void (*const ac__fns[])(void) = {\n");
	for (int i = 0; i < p->n; i++)
		fprintf(o, "\t%s,\n", p->v[i].name);
	fprintf(o, "};\n#define AC__NFNS %d\n#include <autocomp_worker.h>\n", p->n);
	return finish(o, &buf);
}
