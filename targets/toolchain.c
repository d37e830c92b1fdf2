/*
 * toolchain.c - build helpers shared by the compiled targets: writing the
 * job's sources, running compiler steps in the sandbox with their output in
 * the result log, and building (once per run, cached) the reference object
 * whose globals are renamed ref_NAME.
 *
 * It knows no particular compiler or flags; the targets choose those. It
 * does not run candidates, only tools.
 */
#include "targets/toolchain.h"
#include "targets/sandbox.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CAPTURE_CAP ((size_t)16 << 20)
#define LOG_OUTPUT_CAP ((size_t)256 << 10)

/* --- argument vectors ----------------------------------------------- */

static void argv_push(struct ac_argv *a, char *s)
{
	if (!s || a->oom) {
		free(s);
		a->oom = true;
		return;
	}
	if (a->n + 2 > a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 16;
		char **v = realloc(a->v, cap * sizeof *v);

		if (!v) {
			free(s);
			a->oom = true;
			return;
		}
		a->v = v;
		a->cap = cap;
	}
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

void ac_argv_add(struct ac_argv *a, const char *s)
{
	argv_push(a, s ? strdup(s) : NULL);
}

void ac_argv_addf(struct ac_argv *a, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	argv_push(a, s);
}

void ac_argv_add_split(struct ac_argv *a, const char *words)
{
	const char *p = words;

	while (p && *p) {
		size_t n;

		while (*p && isspace((unsigned char)*p))
			p++;
		n = 0;
		while (p[n] && !isspace((unsigned char)p[n]))
			n++;
		if (n > 0)
			argv_push(a, strndup(p, n));
		p += n;
	}
}

void ac_argv_free(struct ac_argv *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	memset(a, 0, sizeof *a);
}

/* --- files ----------------------------------------------------------- */

bool ac_toolchain_name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	return n > 0 && n <= 255 && name[0] != '.' && !strchr(name, '/');
}

int ac_write_file(int dirfd, const char *path, const void *data, size_t size, mode_t mode)
{
	const char *p = data;
	int fd;
	int rc = 0;

	fd = openat(dirfd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -errno;
	/* the daemon's umask (077) would leave the file unreadable to the
	 * sandbox user: the mode is set on the descriptor, not left to it */
	if (fchmod(fd, mode) != 0)
		rc = -errno;
	while (rc == 0 && size > 0) {
		ssize_t w = write(fd, p, size);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			rc = -errno;
			break;
		}
		p += w;
		size -= (size_t)w;
	}
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	return rc;
}

int ac_make_dir(const char *path, mode_t mode)
{
	struct stat st;

	if (mkdir(path, mode) != 0 && errno != EEXIST)
		return -errno;
	if (lstat(path, &st) != 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if ((st.st_mode & 07777) != mode && chmod(path, mode) != 0)
		return -errno;
	return 0;
}

/* Writes dir/name whole, mode 0644 (the sandbox user must be able to read
 * it). No name checks. */
static int write_at(const char *dir, const char *name, const void *data, size_t size)
{
	char path[PATH_MAX];

	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
		return -ENAMETOOLONG;
	return ac_write_file(AT_FDCWD, path, data, size, 0644);
}

int ac_toolchain_write_file(const char *dir, const char *name, const void *data,
                            size_t size)
{
	if (!dir || !ac_toolchain_name_ok(name))
		return -EINVAL;
	return write_at(dir, name, data, size);
}

int ac_toolchain_write_scratch(const char *dir, const char *name, const void *data,
                               size_t size)
{
	if (!dir || !name || name[0] != '.' || strchr(name, '/') || !name[1])
		return -EINVAL;
	return write_at(dir, name, data, size);
}

void ac_toolchain_runtime_names(const struct ac_job *job, const char *cc,
                                const char *const *libs, struct ac_names *out)
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
				ac_names_add_nm_dynamic(out, syms);
			free(syms);
			ac_argv_free(&nm);
		}
		free(path);
	}
	ac_names_sort(out);
	ac_result_clear(&quiet);
}

const struct ac_file *ac_toolchain_find_file(const struct ac_job *job, const char *name)
{
	for (size_t i = 0; i < job->nfiles; i++)
		if (job->files[i].name && strcmp(job->files[i].name, name) == 0)
			return &job->files[i];
	return NULL;
}

int ac_toolchain_write_job(const struct ac_job *job, const char *input_name,
                           struct ac_result *r)
{
	int rc;

	for (size_t i = 0; i < job->nfiles; i++) {
		const char *name = job->files[i].name;

		if (!ac_toolchain_name_ok(name) || strcmp(name, input_name) == 0) {
			r->outcome = AC_BUILD_ERROR;
			ac_result_set_message(r, "refusing file name \"%s\"", name ? name : "");
			return -EINVAL;
		}
	}
	rc = ac_toolchain_write_file(job->scratch_dir, input_name, job->candidate,
	                             job->candidate_size);
	for (size_t i = 0; rc == 0 && i < job->nfiles; i++)
		rc = ac_toolchain_write_file(job->scratch_dir, job->files[i].name,
		                             job->files[i].data, job->files[i].size);
	return rc;
}

/* --- running tools --------------------------------------------------- */

static void log_command(struct ac_result *r, char *const *argv)
{
	ac_result_logf(r, "$");
	for (char *const *a = argv; *a; a++) {
		if (**a && !strpbrk(*a, " \t\n'\"\\$"))
			ac_result_logf(r, " %s", *a);
		else
			ac_result_logf(r, " '%s'", *a);
	}
	ac_result_logf(r, "\n");
}

static void log_output(struct ac_result *r, const struct ac_proc_result *pr)
{
	size_t n = pr->output_len < LOG_OUTPUT_CAP ? pr->output_len : LOG_OUTPUT_CAP;

	if (n == 0)
		return;
	ac_result_logf(r, "%.*s%s", (int)n, pr->output,
	               pr->output[n - 1] == '\n' ? "" : "\n");
	if (pr->truncated || n < pr->output_len)
		ac_result_logf(r, "[output cut]\n");
}

/* Runs one tool; on return pr holds what happened (when 0 is returned). */
static int tool_exec(const struct ac_tool_run *t, size_t cap, struct ac_result *r,
                     struct ac_proc_result *pr)
{
	struct ac_sandbox_opts so;
	int rc;

	if (!t || !t->dir || !t->argv || !t->argv[0])
		return -EINVAL;
	log_command(r, t->argv);
	memset(&so, 0, sizeof so);
	so.dir = t->dir;
	so.argv = t->argv;
	so.env = t->env;
	so.timeout_s = t->timeout_s > 0 ? t->timeout_s : AC_TOOL_TIMEOUT_S;
	so.output_cap = cap;
	so.cpu = -1;
	so.isolate_net = true;
	so.mem_bytes = t->mem_bytes;
	so.cancel = t->cancel;
	rc = ac_sandbox_run(&so, pr);
	if (rc == -ENOENT)
		ac_result_logf(r, "%s: not found\n", t->argv[0]);
	else if (rc < 0)
		ac_result_logf(r, "%s: cannot run: %s\n", t->argv[0], strerror(-rc));
	return rc;
}

static int tool_status(const struct ac_tool_run *t, const struct ac_proc_result *pr,
                       struct ac_result *r, bool *ok)
{
	char how[96];

	*ok = !pr->timed_out && !pr->cancelled && !pr->signal && pr->exit_code == 0;
	if (!*ok)
		ac_result_logf(r, "[%s]\n",
		               ac_proc_describe(pr, t->timeout_s > 0 ? t->timeout_s
		                                                     : AC_TOOL_TIMEOUT_S,
		                                how, sizeof how));
	return pr->cancelled ? -ECANCELED : 0;
}

int ac_toolchain_run(const struct ac_tool_run *t, struct ac_result *r, bool *ok)
{
	struct ac_proc_result pr;
	int rc;

	*ok = false;
	rc = tool_exec(t, LOG_OUTPUT_CAP, r, &pr);
	if (rc < 0)
		return rc;
	log_output(r, &pr);
	rc = tool_status(t, &pr, r, ok);
	ac_proc_result_clear(&pr);
	return rc;
}

int ac_toolchain_capture(const struct ac_tool_run *t, struct ac_result *r, bool *ok,
                         char **output, size_t *output_len)
{
	struct ac_proc_result pr;
	int rc;

	*ok = false;
	*output = NULL;
	*output_len = 0;
	rc = tool_exec(t, CAPTURE_CAP, r, &pr);
	if (rc < 0)
		return rc;
	rc = tool_status(t, &pr, r, ok);
	if (!*ok)
		log_output(r, &pr);
	if (rc < 0) {
		ac_proc_result_clear(&pr);
		return rc;
	}
	*output = pr.output;
	*output_len = pr.output_len;
	pr.output = NULL;
	ac_proc_result_clear(&pr);
	return 0;
}

/* --- symbol names ----------------------------------------------------- */

static int add_name(char ***list, size_t *n, const char *s, size_t len)
{
	char **grown;
	char *copy;

	for (size_t i = 0; i < *n; i++)
		if (strlen((*list)[i]) == len && memcmp((*list)[i], s, len) == 0)
			return 0;
	copy = strndup(s, len);
	if (!copy)
		return -ENOMEM;
	grown = realloc(*list, (*n + 2) * sizeof *grown);
	if (!grown) {
		free(copy);
		return -ENOMEM;
	}
	*list = grown;
	(*list)[(*n)++] = copy;
	(*list)[*n] = NULL;
	return 0;
}

void ac_toolchain_names_free(char **names)
{
	if (!names)
		return;
	for (char **p = names; *p; p++)
		free(*p);
	free(names);
}

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
                        char ***names)
{
	struct ac_tool_run t;
	char *argv[6];
	char *out = NULL;
	size_t out_len = 0;
	size_t n = 0;
	int rc;

	*names = NULL;
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
	*names = calloc(1, sizeof **names);
	if (!*names) {
		free(out);
		return -ENOMEM;
	}
	for (size_t i = 0; i < out_len && rc == 0;) {
		size_t e = i;
		const char *name;
		size_t name_len;
		char type;

		while (e < out_len && out[e] != '\n')
			e++;
		if (nm_line(out + i, e - i, !demangle, &type, &name, &name_len) &&
		    renamable_type(type)) {
			if (!demangle) {
				rc = add_name(names, &n, name, name_len);
			} else {
				const char *base;
				size_t blen = base_name(name, name_len, &base);

				if (blen && !generated_name(base, blen))
					rc = add_name(names, &n, base, blen);
			}
		}
		i = e + 1;
	}
	free(out);
	if (rc < 0) {
		ac_toolchain_names_free(*names);
		*names = NULL;
	}
	return rc;
}

int ac_toolchain_global_names(const char *dir, const char *obj, const atomic_int *cancel,
                              struct ac_result *r, bool *ok, char ***names)
{
	return list_symbols(dir, obj, true, cancel, r, ok, names);
}

int ac_toolchain_rename_object(const char *dir, const char *raw_obj, const char *out_obj,
                               const atomic_int *cancel, struct ac_result *r, bool *ok)
{
	static const char syms_name[] = ".ac_redefine.syms";
	struct ac_tool_run t;
	struct ac_argv argv = { 0 };
	char **names = NULL;
	char *map = NULL;
	size_t map_len = 0;
	size_t count = 0;
	FILE *mem;
	int rc;

	rc = list_symbols(dir, raw_obj, false, cancel, r, ok, &names);
	if (rc < 0 || !*ok)
		return rc;
	mem = open_memstream(&map, &map_len);
	if (!mem) {
		ac_toolchain_names_free(names);
		return -ENOMEM;
	}
	for (char **p = names; *p; p++) {
		fprintf(mem, "%s ref_%s\n", *p, *p);
		count++;
	}
	if (fclose(mem) != 0) {
		free(map);
		ac_toolchain_names_free(names);
		return -ENOMEM;
	}
	ac_result_logf(r, "# renaming %zu global symbol%s to ref_NAME\n", count,
	               count == 1 ? "" : "s");
	ac_toolchain_names_free(names);
	rc = write_at(dir, syms_name, map, map_len);
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

/* --- the reference cache ------------------------------------------------ */

static uint64_t fnv(uint64_t h, const void *data, size_t n)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static uint64_t cache_key(const struct ac_job *job, const struct ac_ref_spec *spec)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	static const char sep[1] = { 0 };

	h = fnv(h, job->reference, job->reference_size);
	h = fnv(h, sep, 1);
	for (size_t i = 0; i < job->nfiles; i++) {
		uint64_t size = job->files[i].size;

		h = fnv(h, job->files[i].name, strlen(job->files[i].name) + 1);
		h = fnv(h, &size, sizeof size);
		h = fnv(h, job->files[i].data, job->files[i].size);
	}
	if (spec->key)
		h = fnv(h, spec->key, strlen(spec->key));
	h = fnv(h, sep, 1);
	h = fnv(h, spec->obj_name, strlen(spec->obj_name) + 1);
	if (spec->src_name)
		h = fnv(h, spec->src_name, strlen(spec->src_name));
	return h;
}

/* Reads a whole file; returns 0 and a malloc'd buffer (NUL-terminated),
 * or -errno. */
static int read_all(const char *path, char **data, size_t *len)
{
	struct stat st;
	char *buf;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*data = NULL;
	*len = 0;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return -errno;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	*data = buf;
	*len = got;
	return 0;
}

/* Stores data as dir/name through a temporary and a rename, so a reader
 * never sees half of it. */
static int store_file(const char *dir, const char *name, const void *data, size_t len)
{
	char tmp[NAME_MAX + 1];
	char from[PATH_MAX], to[PATH_MAX];
	int rc;

	snprintf(tmp, sizeof tmp, ".tmp-%ld-%lx-%s", (long)getpid(),
	         (unsigned long)(uintptr_t)&tmp, name);
	rc = write_at(dir, tmp, data, len);
	if (rc < 0)
		return rc;
	snprintf(from, sizeof from, "%s/%s", dir, tmp);
	snprintf(to, sizeof to, "%s/%s", dir, name);
	if (rename(from, to) != 0) {
		rc = -errno;
		unlink(from);
	}
	return rc;
}

/* Takes the run's lock for one cached object, polling so a cancel is
 * noticed. Returns the locked descriptor or -errno. */
static int lock_run(const char *run_dir, const char *obj_name, const atomic_int *cancel)
{
	char path[PATH_MAX];
	int fd;

	if ((size_t)snprintf(path, sizeof path, "%s/%s.lock", run_dir, obj_name + 1) >= sizeof path)
		return -ENAMETOOLONG;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };

		if (errno != EWOULDBLOCK && errno != EINTR) {
			int rc = -errno;

			close(fd);
			return rc;
		}
		if (cancel && atomic_load(cancel)) {
			close(fd);
			return -ECANCELED;
		}
		nanosleep(&ts, NULL);
	}
	return fd;
}

static const char *what(const struct ac_ref_spec *spec)
{
	return spec->what ? spec->what : "reference";
}

/* Copies a cached object (or failure log) into place. Returns 1 when the
 * cache answered, 0 when it has nothing, -errno on error. */
static int cache_lookup(const struct ac_job *job, const struct ac_ref_spec *spec,
                        const char *obj_path, const char *fail_path,
                        struct ac_result *r, bool *ok)
{
	char *data;
	size_t len;
	int rc;

	rc = read_all(obj_path, &data, &len);
	if (rc == 0) {
		rc = write_at(job->scratch_dir, spec->obj_name, data, len);
		free(data);
		if (rc < 0)
			return rc;
		ac_result_logf(r, "# %s: cached (%s)\n", what(spec), strrchr(obj_path, '/') + 1);
		*ok = true;
		return 1;
	}
	if (rc != -ENOENT)
		return rc;
	rc = read_all(fail_path, &data, &len);
	if (rc == 0) {
		ac_result_logf(r, "# %s: failed before (cached log follows)\n%s", what(spec), data);
		free(data);
		*ok = false;
		return 1;
	}
	return rc == -ENOENT ? 0 : rc;
}

/* The compiler's diagnostics about the reference (".ac_reference.c:8:5:
 * error: ...") are about the user's input: from log_start on, r->log says
 * "input.c:8:5:" instead (the candidate is compiled as input.EXT too).
 * Command lines, where the name is followed by a space, stay as they ran.
 * The source keeps its name: __FILE__ is the reference's own. */
static void name_the_input(struct ac_result *r, size_t log_start, const char *src_name)
{
	const char *ext = strrchr(src_name, '.');
	char from[128], to[64];
	size_t flen, tlen, n;
	char *out;

	if (!r->log || !ext || strlen(r->log) < log_start)
		return;
	snprintf(from, sizeof from, "%s:", src_name);
	snprintf(to, sizeof to, "input%s:", ext);
	flen = strlen(from);
	tlen = strlen(to);
	if (tlen > flen || !strstr(r->log + log_start, from))
		return;   /* the rewrite never makes the log longer */
	out = malloc(strlen(r->log) + 1);
	if (!out)
		return;
	memcpy(out, r->log, log_start);
	n = log_start;
	for (const char *p = r->log + log_start; *p;) {
		const char *hit = strstr(p, from);
		size_t keep = hit ? (size_t)(hit - p) : strlen(p);

		memcpy(out + n, p, keep);
		n += keep;
		p += keep;
		if (!hit)
			break;
		memcpy(out + n, to, tlen);
		n += tlen;
		p += flen;
	}
	out[n] = '\0';
	free(r->log);
	r->log = out;
}

static int build_and_cache(const struct ac_job *job, const struct ac_ref_spec *spec,
                           const char *hex, struct ac_result *r, bool *ok)
{
	size_t log_start = r->log ? strlen(r->log) : 0;
	char obj_path[PATH_MAX];
	char name[64];
	char *data;
	size_t len;
	int rc;

	if (spec->src_name) {
		rc = write_at(job->scratch_dir, spec->src_name, job->reference,
		              job->reference_size);
		if (rc < 0)
			return rc;
	}
	rc = spec->build(job, spec, r, ok);
	if (spec->src_name)
		name_the_input(r, log_start, spec->src_name);
	if (rc < 0 || !hex)
		return rc;
	if (!*ok) {
		const char *log = r->log ? r->log + log_start : "";

		snprintf(name, sizeof name, "obj-%s.failed", hex);
		return store_file(job->run_dir, name, log, strlen(log));
	}
	snprintf(obj_path, sizeof obj_path, "%s/%s", job->scratch_dir, spec->obj_name);
	rc = read_all(obj_path, &data, &len);
	if (rc < 0)
		return rc;
	snprintf(name, sizeof name, "obj-%s", hex);
	rc = store_file(job->run_dir, name, data, len);
	free(data);
	return rc;
}

static bool dot_name(const char *name)
{
	return name && name[0] == '.' && name[1] && !strchr(name, '/');
}

int ac_toolchain_cached_object(const struct ac_job *job, const struct ac_ref_spec *spec,
                               struct ac_result *r, bool *ok)
{
	char hex[17];
	char obj_path[PATH_MAX], fail_path[PATH_MAX];
	int lock;
	int rc;

	*ok = false;
	if (!spec || !spec->build || !dot_name(spec->obj_name) ||
	    (spec->src_name && !dot_name(spec->src_name)))
		return -EINVAL;
	if (!job->run_dir)
		return build_and_cache(job, spec, NULL, r, ok);
	snprintf(hex, sizeof hex, "%016llx", (unsigned long long)cache_key(job, spec));
	if ((size_t)snprintf(obj_path, sizeof obj_path, "%s/obj-%s", job->run_dir, hex) >=
	        sizeof obj_path ||
	    (size_t)snprintf(fail_path, sizeof fail_path, "%s/obj-%s.failed", job->run_dir,
	                     hex) >= sizeof fail_path)
		return -ENAMETOOLONG;

	/* Unlocked fast path: cache files only ever appear whole. */
	rc = cache_lookup(job, spec, obj_path, fail_path, r, ok);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	lock = lock_run(job->run_dir, spec->obj_name, job->cancel);
	if (lock < 0)
		return lock;
	rc = cache_lookup(job, spec, obj_path, fail_path, r, ok);
	if (rc == 0)
		rc = build_and_cache(job, spec, hex, r, ok);
	close(lock);   /* releases the flock */
	return rc < 0 ? rc : 0;
}

int ac_toolchain_reference(const struct ac_job *job, const struct ac_ref_spec *spec,
                           struct ac_result *r, bool *ok)
{
	*ok = false;
	if (!spec || !dot_name(spec->src_name))
		return -EINVAL;
	return ac_toolchain_cached_object(job, spec, r, ok);
}
