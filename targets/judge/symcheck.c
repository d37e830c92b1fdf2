/*
 * symcheck.c - the rules of symcheck.h over nm and readelf text.
 *
 * The candidate is linked into its own process (targets/judge/judge.c), so a
 * definition that interposes on the C library cannot reach the judge any
 * more; it is still refused, because nothing legitimate needs it and the
 * model should hear why ("defines clock_gettime") rather than be timed on
 * a process whose clock or memcpy it rewrote. Constructors are refused
 * for the same reason: code that runs before the first call is code the
 * judge never asked for.
 */
#include "targets/judge/symcheck.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ac_symcheck_add_dynamic(struct ac_argv *names, const char *nm_out)
{
	const char *line = nm_out;

	while (line && *line) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		char value[64], type[8], name[512];

		/* "0000000000012345 T memcpy@@GLIBC_2.14"; undefined ones have no value */
		if (len < sizeof name && sscanf(line, "%63s %7s %511s", value, type, name) == 3 &&
		    !type[1] && type[0] != 'A' && type[0] != 'U' && type[0] != 'w' &&
		    type[0] != 'v') {
			size_t nlen = strcspn(name, "@");

			if (nlen > 0)
				ac_argv_addn(names, name, nlen);
		}
		line = eol ? eol + 1 : NULL;
	}
	return names->oom ? -ENOMEM : 0;
}

/* Names the program and the harness library own. */
static const char *owner_of(const char *name)
{
	static const char *const program[] = {
		"main", "_start", "_init", "_fini", "__libc_csu_init", "__libc_csu_fini",
		"__dso_handle", "_edata", "_end", "__bss_start", "_IO_stdin_used",
	};

	for (size_t i = 0; i < sizeof program / sizeof program[0]; i++)
		if (!strcmp(name, program[i]))
			return "the program";
	if (!strncmp(name, "ac_", 3) || !strncmp(name, "AC_", 3))
		return "the harness library";
	/* identifiers C reserves for the implementation: __gmon_start__ and
	 * _ITM_registerTMCloneTable are called by the C runtime before main
	 * when they are defined */
	if (name[0] == '_' && (name[1] == '_' || (name[1] >= 'A' && name[1] <= 'Z')) &&
	    strncmp(name, "_Z", 2) != 0)
		return "the C runtime (a reserved name)";
	return NULL;
}

/* A section that runs code before or after main, by name or by type;
 * *entries: how many pointers it holds (its size / 8). */
static bool startup_section(const char *line, size_t len, char *name, size_t cap,
                            unsigned long *entries)
{
	static const char *const types[] = { " INIT_ARRAY ", " FINI_ARRAY ", " PREINIT_ARRAY " };
	static const char *const names[] = {
		".init_array", ".fini_array", ".preinit_array", ".ctors", ".dtors",
		".tm_clone_table", ".jcr",
	};
	const char *rb = memchr(line, ']', len);
	const char *p, *e;
	char buf[512];
	size_t n;

	if (!rb || len >= sizeof buf)
		return false;
	memcpy(buf, line, len);
	buf[len] = '\0';
	p = buf + (rb - line) + 1;
	while (*p == ' ')
		p++;
	e = p;
	while (*e && *e != ' ')
		e++;
	n = (size_t)(e - p);
	snprintf(name, cap, "%.*s", (int)n, p);
	{
		char type[64];
		unsigned long addr, off, size = 0;

		/* NAME TYPE ADDRESS OFFSET SIZE ... */
		*entries = sscanf(e, " %63s %lx %lx %lx", type, &addr, &off, &size) == 4 ? size / 8 : 1;
	}
	if (!strncmp(name, ".rela", 5) || !strncmp(name, ".rel.", 5))
		return false;   /* relocations for such a section: the section itself says it */
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (strstr(e, types[i]))
			return true;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strncmp(name, names[i], strlen(names[i])))
			return true;
	return !strcmp(name, ".init") || !strcmp(name, ".fini");
}

int ac_symcheck(const char *nm_out, const char *sections, const struct ac_argv *runtime,
                char *why, size_t whylen)
{
	return ac_symcheck_ex(nm_out, sections, runtime, "the C library", 0, why, whylen);
}

int ac_symcheck_ex(const char *nm_out, const char *sections, const struct ac_argv *runtime,
                   const char *runtime_label, unsigned long init_entries, char *why,
                   size_t whylen)
{
	const char *line;

	why[0] = '\0';
	for (line = sections; line && *line;) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		char name[256];
		unsigned long entries = 0;

		if (startup_section(line, len, name, sizeof name, &entries) &&
		    !(!strncmp(name, ".init_array", 11) && entries <= init_entries)) {
			snprintf(why, whylen, "the candidate has a %s section: code the C runtime "
			         "runs before or after main (constructors, destructors, clone "
			         "tables) runs outside the calls the judge times; do the work in "
			         "the function", name);
			return -EPERM;
		}
		line = eol ? eol + 1 : NULL;
	}
	if (!nm_out)
		return -EINVAL;
	for (line = nm_out; *line;) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		const char *sp = memchr(line, ' ', len);
		char name[256];
		char type;
		const char *owner;

		/* "NAME TYPE VALUE SIZE" */
		if (sp && sp + 1 < line + len && (size_t)(sp - line) < sizeof name) {
			snprintf(name, sizeof name, "%.*s", (int)(sp - line), line);
			type = sp[1];
			if (type == 'i') {
				snprintf(why, whylen, "the candidate defines %s as an IFUNC, which "
				         "chooses code at load time: define it as a plain function", name);
				return -EPERM;
			}
			/* a C++ inline or template instance is weak in every object that
			 * uses it, the library's too: only a strong one interposes */
			bool weak_cxx = !strncmp(name, "_Z", 2) && (type == 'W' || type == 'V');

			if (strchr("TDBRCVWGSu", type) && !weak_cxx) {
				owner = owner_of(name);
				if (!owner && ac_argv_find(runtime, name) >= 0)
					owner = runtime_label ? runtime_label : "the C library";
				if (owner) {
					snprintf(why, whylen, "the candidate defines %s, which %s provides: "
					         "make it static or rename it", name, owner);
					return -EPERM;
				}
			}
		}
		line = eol ? eol + 1 : NULL;
	}
	return 0;
}

int ac_symcheck_only(const char *nm_out, const struct ac_argv *only, struct ac_argv *extra,
                     char *why, size_t whylen)
{
	bool found[256] = { false };
	const char *line;

	why[0] = '\0';
	if (!nm_out || !only || only->n > 256)
		return -EINVAL;
	for (line = nm_out; *line;) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		const char *sp = memchr(line, ' ', len);

		/* "NAME TYPE VALUE SIZE": a global definition has an upper-case type */
		if (sp && sp + 1 < line + len && strchr("TDBRCGSV", sp[1]) && sp > line) {
			char *name = strndup(line, (size_t)(sp - line));
			long hit;

			if (!name)
				return -ENOMEM;
			hit = ac_argv_find(only, name);
			if (hit >= 0 && sp[1] == 'T')
				found[hit] = true;
			else
				ac_argv_add(extra, name);
			free(name);
			if (extra->oom)
				return -ENOMEM;
		}
		line = eol ? eol + 1 : NULL;
	}
	for (size_t i = 0; i < only->n; i++) {
		if (!found[i]) {
			snprintf(why, whylen, "the candidate does not define %s, a function of the "
			         "input the harness calls: keep every function of the input, with its "
			         "name and parameters", only->v[i]);
			return -EPERM;
		}
	}
	ac_argv_sort(extra);
	return 0;
}
