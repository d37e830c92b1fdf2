/*
 * symbols.c - nm, objcopy and readelf work on objects (symbols.h): the
 * reference's globals listed and renamed ref_NAME, the demangled base
 * names for the macro renaming, the names a runtime library exports, and
 * the tools run for the check of what a candidate may define.
 *
 * The rules of that check are symcheck.c's (pure functions over the tools'
 * text); compiling anything is the targets' own.
 */
#include "targets/toolchain/symbols.h"
#include "targets/exec/argv.h"
#include "targets/toolchain/toolchain.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- symbol names ----------------------------------------------------- */


/* Splits one line of `nm` output ("ADDRESS TYPE NAME" or, for -P,
 * "NAME TYPE ADDRESS SIZE") into its type and name. */
static bool nm_line(const char *line, size_t len, bool posix, char *type,
                    const char **name, size_t *name_len)
{
	const char *end = line + len;
	const char *p = line;

	if (posix) {
		const char *sp = memchr(line, ' ', len);

		if (!sp || sp + 1 >= end)
			return false;
		*name = line;
		*name_len = (size_t)(sp - line);
		*type = sp[1];
		return *name_len > 0;
	}
	/* address (may be blank), type, name */
	while (p < end && *p != ' ')
		p++;
	while (p < end && *p == ' ')
		p++;
	if (p + 2 >= end || p[1] != ' ')
		return false;
	*type = p[0];
	*name = p + 2;
	*name_len = (size_t)(end - (p + 2));
	return *name_len > 0;
}

/* Is this a (global, defined) symbol type nm reports that we rename? */
static bool renamable_type(char type)
{
	return strchr("TDBRCGSVWiu", type) != NULL;
}

/* Steps back over balanced template arguments ending just before end
 * (s[end - 1] == '>'). Returns the index of their '<', or SIZE_MAX. */
static size_t skip_template_back(const char *s, size_t end)
{
	int depth = 0;

	for (size_t i = end; i-- > 0;) {
		if (s[i] == '>')
			depth++;
		else if (s[i] == '<' && --depth == 0)
			return i;
	}
	return SIZE_MAX;
}

static bool ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* Reduces a demangled name to its base identifier: "void ns::f<int>(int)"
 * gives "f". Returns the identifier's length (and *out), or 0 when the
 * symbol is not a plainly named function or variable ("vtable for X",
 * "guard variable for f()::x", operators). */
static size_t base_name(const char *s, size_t len, const char **out)
{
	bool params = false;
	size_t end = len;
	size_t start, q;
	int depth = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '<') {
			depth++;
		} else if (s[i] == '>') {
			depth--;
		} else if (s[i] == '(' && depth == 0) {
			end = i;
			params = true;
			break;
		}
	}
	if (end > 0 && s[end - 1] == '>') {
		end = skip_template_back(s, end);
		if (end == SIZE_MAX)
			return 0;
	}
	start = end;
	while (start > 0 && ident_char(s[start - 1]))
		start--;
	if (start == end || isdigit((unsigned char)s[start]))
		return 0;
	/* Walk back over qualifiers (ns::, Class<T>::) to see what precedes
	 * the whole name: nothing, or - for a function template, which the
	 * demangler prints with its return type - a space. */
	q = start;
	while (q >= 2 && s[q - 1] == ':' && s[q - 2] == ':') {
		q -= 2;
		if (q > 0 && s[q - 1] == '>') {
			q = skip_template_back(s, q);
			if (q == SIZE_MAX)
				return 0;
		}
		while (q > 0 && ident_char(s[q - 1]))
			q--;
	}
	if (q > 0 && !(s[q - 1] == ' ' && params && memchr(s, '<', len)))
		return 0;
	*out = s + start;
	return end - start;
}

static bool generated_name(const char *s, size_t len)
{
	if (len >= 2 && s[0] == '_' && (s[1] == '_' || isupper((unsigned char)s[1])))
		return true;
	if (len == 4 && memcmp(s, "main", 4) == 0)
		return true;
	if (len >= 8 && memcmp(s, "operator", 8) == 0)
		return true;
	return false;
}

/* Lists the defined global symbols of dir/obj with nm; with demangle,
 * reduces them to base names. */
static int list_symbols(const char *dir, const char *obj, bool demangle,
                        const atomic_int *cancel, struct ac_result *r, bool *ok,
                        struct ac_argv *names)
{
	struct ac_tool_run t;
	char *argv[6];
	char *out = NULL;
	size_t out_len = 0;
	int rc;

	memset(names, 0, sizeof *names);
	argv[0] = "nm";
	argv[1] = demangle ? "-C" : "-P";
	argv[2] = "--defined-only";
	argv[3] = "-g";
	argv[4] = (char *)obj;
	argv[5] = NULL;
	memset(&t, 0, sizeof t);
	t.dir = dir;
	t.argv = argv;
	t.timeout_s = 60;
	t.cancel = cancel;
	rc = ac_toolchain_capture(&t, r, ok, &out, &out_len);
	if (rc < 0 || !*ok) {
		free(out);
		return rc;
	}
	for (size_t i = 0; i < out_len;) {
		size_t e = i;
		const char *name;
		size_t name_len;
		char type;

		while (e < out_len && out[e] != '\n')
			e++;
		if (nm_line(out + i, e - i, !demangle, &type, &name, &name_len) &&
		    renamable_type(type)) {
			if (!demangle) {
				ac_argv_addn(names, name, name_len);
			} else {
				const char *base;
				size_t blen = base_name(name, name_len, &base);

				if (blen && !generated_name(base, blen))
					ac_argv_addn(names, base, blen);
			}
		}
		i = e + 1;
	}
	free(out);
	if (names->oom) {
		ac_argv_free(names);
		return -ENOMEM;
	}
	ac_argv_sort(names);
	return 0;
}

int ac_symbols_global_names(const char *dir, const char *obj, const atomic_int *cancel,
                            struct ac_result *r, bool *ok, struct ac_argv *names)
{
	return list_symbols(dir, obj, true, cancel, r, ok, names);
}

int ac_symbols_rename_object(const char *dir, const char *raw_obj, const char *out_obj,
                               const atomic_int *cancel, struct ac_result *r, bool *ok)
{
	static const char syms_name[] = ".ac_redefine.syms";
	struct ac_tool_run t;
	struct ac_argv argv = { 0 };
	struct ac_argv names = { 0 };
	char *map = NULL;
	size_t map_len = 0;
	FILE *mem;
	int rc;

	rc = list_symbols(dir, raw_obj, false, cancel, r, ok, &names);
	if (rc < 0 || !*ok)
		return rc;
	mem = open_memstream(&map, &map_len);
	if (!mem) {
		ac_argv_free(&names);
		return -ENOMEM;
	}
	for (size_t i = 0; i < names.n; i++)
		fprintf(mem, "%s ref_%s\n", names.v[i], names.v[i]);
	if (fclose(mem) != 0) {
		free(map);
		ac_argv_free(&names);
		return -ENOMEM;
	}
	ac_result_logf(r, "# renaming %zu global symbol%s to ref_NAME\n", names.n,
	               names.n == 1 ? "" : "s");
	ac_argv_free(&names);
	rc = ac_toolchain_write_scratch(dir, syms_name, map, map_len);
	free(map);
	if (rc < 0)
		return rc;
	ac_argv_add(&argv, "objcopy");
	ac_argv_addf(&argv, "--redefine-syms=%s", syms_name);
	ac_argv_add(&argv, raw_obj);
	ac_argv_add(&argv, out_obj);
	if (argv.oom) {
		ac_argv_free(&argv);
		return -ENOMEM;
	}
	memset(&t, 0, sizeof t);
	t.dir = dir;
	t.argv = argv.v;
	t.timeout_s = 60;
	t.cancel = cancel;
	rc = ac_toolchain_run(&t, r, ok);
	ac_argv_free(&argv);
	return rc;
}

/* --- what the runtime provides ---------------------------------------- */

void ac_symbols_runtime_names(const struct ac_job *job, const char *cc,
                                const char *const *libs, struct ac_argv *out)
{
	struct ac_result quiet = { 0 };

	for (size_t i = 0; libs[i]; i++) {
		struct ac_tool_run t = { .dir = job->scratch_dir, .cancel = job->cancel };
		char *path = NULL, *syms = NULL;
		size_t len;
		bool ok = false;

		if (libs[i][0] == '/') {
			path = strdup(libs[i]);
		} else {
			struct ac_argv a = { 0 };

			ac_argv_add_split(&a, cc);
			ac_argv_addf(&a, "-print-file-name=%s", libs[i]);
			t.argv = a.v;
			if (a.oom || ac_toolchain_capture(&t, &quiet, &ok, &path, &len) != 0 || !ok) {
				free(path);
				path = NULL;
			}
			ac_argv_free(&a);
		}
		if (path) {
			struct ac_argv nm = { 0 };
			size_t n = strcspn(path, "\n");
			bool archive = n > 2 && !strncmp(path + n - 2, ".a", 2);

			path[n] = '\0';
			ac_argv_add(&nm, "nm");
			ac_argv_add(&nm, archive ? "-g" : "-D");
			ac_argv_add(&nm, "--defined-only");
			ac_argv_add(&nm, path);
			t.argv = nm.v;
			if (path[0] == '/' && !nm.oom &&
			    ac_toolchain_capture(&t, &quiet, &ok, &syms, &len) == 0 && ok)
				ac_symcheck_add_dynamic(out, syms);
			free(syms);
			ac_argv_free(&nm);
		}
		free(path);
	}
	ac_argv_sort(out);
	ac_result_clear(&quiet);
}

/* --- what the candidate defines ----------------------------------------- */

/* Writes names (one per line) to dir/list_name and runs `objcopy
 * --OPTION=list_name in out` (out NULL: in place). */
static int objcopy_names(const char *dir, const char *option, const char *list_name,
                         const struct ac_argv *names, const char *in, const char *out,
                         const atomic_int *cancel, struct ac_result *r, bool *ok)
{
	struct ac_tool_run t = { .dir = dir, .cancel = cancel, .timeout_s = 60 };
	struct ac_argv argv = { 0 };
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	int rc;

	*ok = false;
	if (!mem)
		return -ENOMEM;
	for (size_t i = 0; i < names->n; i++)
		fprintf(mem, "%s\n", names->v[i]);
	if (fclose(mem) != 0) {
		free(text);
		return -ENOMEM;
	}
	rc = ac_toolchain_write_scratch(dir, list_name, text, len);
	free(text);
	if (rc < 0)
		return rc;
	ac_argv_add(&argv, "objcopy");
	ac_argv_addf(&argv, "--%s=%s", option, list_name);
	ac_argv_add(&argv, in);
	if (out)
		ac_argv_add(&argv, out);
	if (argv.oom) {
		ac_argv_free(&argv);
		return -ENOMEM;
	}
	t.argv = argv.v;
	rc = ac_toolchain_run(&t, r, ok);
	ac_argv_free(&argv);
	return rc;
}

int ac_symbols_keep_globals(const char *dir, const struct ac_argv *keep, const char *in,
                              const char *out, const atomic_int *cancel, struct ac_result *r,
                              bool *ok)
{
	return objcopy_names(dir, "keep-global-symbols", ".ac_keep.syms", keep, in, out, cancel,
	                     r, ok);
}

int ac_check_candidate(const struct ac_job *job, struct ac_runtime_names *rt,
                       const char *runtime_words,
                       unsigned long (*init_entries)(const char *nm_out),
                       const struct ac_argv *only, struct ac_result *r, bool *ok)
{
	static const char *const nm_argv[] = { "nm", "-P", AC_CANDIDATE_OBJ, NULL };
	static const char *const re_argv[] = { "readelf", "-SW", AC_CANDIDATE_OBJ, NULL };
	struct ac_tool_run t = { .dir = job->scratch_dir, .cancel = job->cancel };
	struct ac_argv extra = { 0 };
	char *syms = NULL, *secs = NULL, why[512];
	size_t len;
	int rc;

	assert(job != NULL && rt != NULL && r != NULL && ok != NULL);
	*ok = false;
	t.argv = (char *const *)nm_argv;
	rc = ac_toolchain_capture(&t, r, ok, &syms, &len);
	if (rc == 0 && *ok) {
		t.argv = (char *const *)re_argv;
		rc = ac_toolchain_capture(&t, r, ok, &secs, &len);
	}
	if (rc == 0 && *ok) {
		unsigned long allowed = init_entries ? init_entries(syms) : 0;

		pthread_mutex_lock(&rt->lock);
		rc = ac_symcheck_ex(syms, secs, &rt->names, runtime_words, allowed, why, sizeof why);
		pthread_mutex_unlock(&rt->lock);
		if (rc == 0 && only)
			rc = ac_symcheck_only(syms, only, &extra, why, sizeof why);
		if (rc == -EPERM) {
			ac_result_logf(r, "refused: %s\n", why);
			ac_result_set_message(r, "%s", why);
			r->outcome = AC_BUILD_ERROR;
			*ok = false;
			rc = 0;
		} else if (rc < 0) {
			*ok = false;
		} else if (extra.n) {
			/* helpers left global: local, so that the object defines the
			 * input's functions and nothing else */
			ac_result_logf(r, "# made local: %zu global%s the input does not define\n",
			               extra.n, extra.n == 1 ? "" : "s");
			rc = objcopy_names(job->scratch_dir, "localize-symbols", ".ac_localize.syms",
			                   &extra, AC_CANDIDATE_OBJ, NULL, job->cancel, r, ok);
		}
	}
	ac_argv_free(&extra);
	free(syms);
	free(secs);
	return rc;
}
