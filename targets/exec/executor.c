/*
 * executor.c - the executor registry, the local executor, the call every
 * target's run makes (ac_exec_run), and the bundle that carries a timed
 * run to a cluster node.
 *
 * The local executor is ac_sandbox_run itself. The bundle is a copy of
 * autocompfs-run with this appended:
 *
 *     record*   : u32 name_len, u32 mode, u64 size, name, data
 *                 (the first record is ".manifest.json")
 *     trailer   : u64 payload_len, "ACBUNDL1"
 *
 * all integers little-endian. The node program (noderun.c) finds the
 * trailer at the end of /proc/self/exe, unpacks the records into a fresh
 * directory and runs the manifest's command there in the sandbox; it
 * prints one "AC-RESULT {json}" line, which ac_bundle_result_parse reads
 * back here. Output and report travel hex-encoded: they may hold any byte.
 *
 * What it does not do: talk to a scheduler (slurm.c does).
 */
#include "targets/exec/executor.h"
#include "targets/exec/fileio.h"

#include "ac_config.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MANIFEST ".manifest.json"
#define MAGIC "ACBUNDL1"
#define MAX_FILES 4096

const struct ac_executor *ac_executor_find(const char *name)
{
	if (!name || !strcmp(name, "local"))
		return &ac_executor_local;
	if (!strcmp(name, "slurm"))
		return &ac_executor_slurm;
	return NULL;
}

/* --- local ----------------------------------------------------------- */

static int local_probe(char *const *args, char *buf, size_t len)
{
	snprintf(buf, len, "timed runs on this machine, one at a time, each on its kernel's cores (one by default)");
	return 0;
}

static int local_slots(char *const *args)
{
	return 1;
}

static int local_run(struct ac_exec_ctx *ctx, const struct ac_job *job,
                     const struct ac_sandbox_opts *so,
                     const char *const *ship, struct ac_proc_result *res, struct ac_result *r)
{
	return ac_sandbox_run(so, res);
}

const struct ac_executor ac_executor_local = {
	.name = "local",
	.probe = local_probe,
	.slots = local_slots,
	.run = local_run,
};

bool ac_exec_is_local(const struct ac_job *job)
{
	const struct ac_exec_ctx *x = job ? job->exec : NULL;

	return !x || !x->executor || x->executor == &ac_executor_local;
}

int ac_exec_run(const struct ac_job *job, const struct ac_sandbox_opts *so,
                const char *const *ship, struct ac_proc_result *res, struct ac_result *r)
{
	struct ac_exec_ctx *x = job ? job->exec : NULL;

	if (!x || !x->executor || x->executor == &ac_executor_local)
		return ac_sandbox_run(so, res);
	return x->executor->run(x, job, so, ship, res, r);
}

/* --- the runner ------------------------------------------------------ */

static char runner[PATH_MAX];
static pthread_once_t runner_once = PTHREAD_ONCE_INIT;

static bool is_exec(const char *path)
{
	return access(path, X_OK) == 0;
}

static void runner_init(void)
{
	const char *env = getenv("AUTOCOMP_RUN");
	char self[PATH_MAX];
	ssize_t n;

	if (env && *env) {
		snprintf(runner, sizeof runner, "%s", env);
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n > 0) {
		char *slash;

		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			if ((size_t)snprintf(runner, sizeof runner, "%s/autocompfs-run", self) <
			        sizeof runner && is_exec(runner))
				return;
			/* a test binary lives in build/tests/ */
			if ((size_t)snprintf(runner, sizeof runner, "%s/../autocompfs-run", self) <
			        sizeof runner && is_exec(runner))
				return;
		}
	}
	snprintf(runner, sizeof runner, "%s/autocompfs-run", AC_BUILD_DIR);
	if (is_exec(runner))
		return;
	snprintf(runner, sizeof runner, "%s/autocompfs-run", AC_BIN_DIR);
}

const char *ac_bundle_runner(void)
{
	pthread_once(&runner_once, runner_init);
	return runner;
}

/* --- writing a bundle ------------------------------------------------ */

static void put_le(unsigned char *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, int bytes)
{
	uint64_t v = 0;

	for (int i = bytes - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* Copies the whole of file src to fd; adds the bytes to *total. */
static int copy_file(int fd, const char *src, uint64_t *total)
{
	char buf[65536];
	int in = open(src, O_RDONLY | O_CLOEXEC);
	int rc = 0;

	if (in < 0)
		return -errno;
	for (;;) {
		ssize_t n = read(in, buf, sizeof buf);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			break;
		}
		if (n == 0)
			break;
		rc = ac_write_all(fd, buf, (size_t)n);
		if (rc < 0)
			break;
		if (total)
			*total += (uint64_t)n;
	}
	close(in);
	return rc;
}

static int put_record_head(int fd, const char *name, uint32_t mode, uint64_t size,
                           uint64_t *total)
{
	unsigned char head[16];
	size_t nl = strlen(name);
	int rc;

	put_le(head, nl, 4);
	put_le(head + 4, mode, 4);
	put_le(head + 8, size, 8);
	rc = ac_write_all(fd, head, sizeof head);
	if (rc == 0)
		rc = ac_write_all(fd, name, nl);
	*total += sizeof head + nl;
	return rc;
}

/* A relative name without "..", "." parts or a leading '/'. */
static bool safe_name(const char *name)
{
	const char *p = name;

	if (!name || !*name || name[0] == '/' || strlen(name) > 1024)
		return false;
	while (*p) {
		size_t n = strcspn(p, "/");

		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p += n;
		if (*p == '/')
			p++;
	}
	return true;
}

static cJSON *add_size(cJSON *o, const char *key, size_t v)
{
	char buf[32];

	snprintf(buf, sizeof buf, "%zu", v);
	return cJSON_AddStringToObject(o, key, buf);
}

static char *manifest_text(const struct ac_sandbox_opts *so)
{
	cJSON *m = cJSON_CreateObject();
	cJSON *argv = cJSON_AddArrayToObject(m, "argv");
	cJSON *env = cJSON_AddArrayToObject(m, "env");
	char *text;

	cJSON_AddStringToObject(m, "dir", so->dir);
	for (char *const *a = so->argv; a && *a; a++)
		cJSON_AddItemToArray(argv, cJSON_CreateString(*a));
	for (char *const *e = so->env; e && *e; e++)
		cJSON_AddItemToArray(env, cJSON_CreateString(*e));
	cJSON_AddNumberToObject(m, "timeout_s", so->timeout_s);
	add_size(m, "output_cap", so->output_cap);
	cJSON_AddBoolToObject(m, "pin", so->cpu >= 0);
	cJSON_AddNumberToObject(m, "ncpus", so->ncpus > 1 ? so->ncpus : 1);
	cJSON_AddBoolToObject(m, "isolate_net", so->isolate_net);
	cJSON_AddBoolToObject(m, "report", so->report);
	add_size(m, "mem_bytes", so->mem_bytes);
	add_size(m, "cpu_s", so->cpu_s);
	add_size(m, "nproc", so->nproc);
	add_size(m, "fsize_bytes", so->fsize_bytes);
	add_size(m, "nofile", so->nofile);
	cJSON_AddBoolToObject(m, "keep_uid", so->keep_uid);
	text = cJSON_PrintUnformatted(m);
	cJSON_Delete(m);
	return text;
}

/* Adds dir/name as a record when it exists (a missing optional file is
 * skipped: *added stays false). */
static int add_file(int fd, const char *dir, const char *name, uint64_t *total, bool *added)
{
	char path[PATH_MAX];
	struct stat st;
	int rc;

	*added = false;
	if (!safe_name(name))
		return -EINVAL;
	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
		return -ENAMETOOLONG;
	if (stat(path, &st) != 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISREG(st.st_mode))
		return 0;
	rc = put_record_head(fd, name, (uint32_t)(st.st_mode & 0777), (uint64_t)st.st_size, total);
	if (rc == 0)
		rc = copy_file(fd, path, total);
	*added = rc == 0;
	return rc;
}

int ac_bundle_write(const char *path, const struct ac_sandbox_opts *so,
                    const char *const *ship, const struct ac_job *job)
{
	const char *dir = so->dir;
	unsigned char trailer[16];
	uint64_t total = 0;
	char *manifest;
	bool added;
	int fd, rc;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (fd < 0)
		return -errno;
	fchmod(fd, 0755);
	rc = copy_file(fd, ac_bundle_runner(), NULL);
	manifest = rc == 0 ? manifest_text(so) : NULL;
	if (rc == 0 && !manifest)
		rc = -ENOMEM;
	if (rc == 0)
		rc = put_record_head(fd, MANIFEST, 0644, strlen(manifest), &total);
	if (rc == 0) {
		rc = ac_write_all(fd, manifest, strlen(manifest));
		total += strlen(manifest);
	}
	free(manifest);
	/* the executable a relative argv[0] names must be there */
	if (rc == 0 && so->argv && so->argv[0] && so->argv[0][0] != '/' &&
	    strchr(so->argv[0], '/')) {
		const char *exe = so->argv[0];
		bool listed = false;

		if (!strncmp(exe, "./", 2))
			exe += 2;
		for (const char *const *s = ship; s && *s; s++)
			listed = listed || !strcmp(*s, exe);
		for (size_t i = 0; job && i < job->nfiles; i++)
			listed = listed || !strcmp(job->files[i].name, exe);
		if (!listed) {
			rc = add_file(fd, dir, exe, &total, &added);
			if (rc == 0 && !added)
				rc = -ENOENT;
		}
	}
	for (const char *const *s = ship; rc == 0 && s && *s; s++)
		rc = add_file(fd, dir, *s, &total, &added);
	for (size_t i = 0; rc == 0 && job && i < job->nfiles; i++) {
		bool dup = false;

		for (const char *const *s = ship; s && *s; s++)
			dup = dup || !strcmp(*s, job->files[i].name);
		if (!dup)
			rc = add_file(fd, dir, job->files[i].name, &total, &added);
	}
	if (rc == 0) {
		put_le(trailer, total, 8);
		memcpy(trailer + 8, MAGIC, 8);
		rc = ac_write_all(fd, trailer, sizeof trailer);
	}
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc < 0)
		unlink(path);
	return rc;
}

/* --- unpacking ------------------------------------------------------- */

static int read_at(int fd, void *buf, size_t n, off_t off)
{
	char *p = buf;

	while (n > 0) {
		ssize_t r = pread(fd, p, n, off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ENOEXEC;
		p += r;
		n -= (size_t)r;
		off += r;
	}
	return 0;
}

/* Creates the parent directories of dir/name. */
static int make_parents(const char *dir, const char *name)
{
	char path[PATH_MAX];
	size_t dl = strlen(dir);

	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
		return -ENAMETOOLONG;
	for (char *p = path + dl + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST)
			return -errno;
		chmod(path, 0755);
		*p = '/';
	}
	return 0;
}

int ac_bundle_unpack(const char *path, const char *dir, char **manifest)
{
	unsigned char trailer[16];
	struct stat st;
	uint64_t plen;
	off_t off, end;
	int fd, rc = 0;
	int nrec = 0;

	*manifest = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0 || st.st_size < (off_t)sizeof trailer) {
		close(fd);
		return -ENOEXEC;
	}
	end = st.st_size - (off_t)sizeof trailer;
	rc = read_at(fd, trailer, sizeof trailer, end);
	if (rc == 0 && memcmp(trailer + 8, MAGIC, 8) != 0)
		rc = -ENOEXEC;
	plen = rc == 0 ? get_le(trailer, 8) : 0;
	if (rc == 0 && plen > (uint64_t)end)
		rc = -ENOEXEC;
	off = end - (off_t)plen;
	while (rc == 0 && off < end) {
		unsigned char head[16];
		char name[1025];
		uint64_t nl, size;
		uint32_t mode;

		rc = read_at(fd, head, sizeof head, off);
		if (rc < 0)
			break;
		nl = get_le(head, 4);
		mode = (uint32_t)get_le(head + 4, 4);
		size = get_le(head + 8, 8);
		off += (off_t)sizeof head;
		if (nl == 0 || nl >= sizeof name || (uint64_t)(end - off) < nl + size ||
		    ++nrec > MAX_FILES) {
			rc = -ENOEXEC;
			break;
		}
		rc = read_at(fd, name, nl, off);
		if (rc < 0)
			break;
		name[nl] = '\0';
		off += (off_t)nl;
		if (nrec == 1) {
			if (strcmp(name, MANIFEST) != 0 || size > (16u << 20)) {
				rc = -ENOEXEC;
				break;
			}
			*manifest = malloc(size + 1);
			if (!*manifest) {
				rc = -ENOMEM;
				break;
			}
			rc = read_at(fd, *manifest, size, off);
			(*manifest)[size] = '\0';
		} else if (!safe_name(name)) {
			rc = -ENOEXEC;
		} else {
			char out[PATH_MAX];
			char buf[65536];
			uint64_t left = size;
			off_t at = off;
			int ofd;

			rc = make_parents(dir, name);
			if (rc < 0)
				break;
			snprintf(out, sizeof out, "%s/%s", dir, name);
			ofd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
			           (mode_t)(mode & 0755));
			if (ofd < 0) {
				rc = -errno;
				break;
			}
			fchmod(ofd, (mode_t)(mode & 0755));
			while (rc == 0 && left > 0) {
				size_t n = left < sizeof buf ? (size_t)left : sizeof buf;

				rc = read_at(fd, buf, n, at);
				if (rc == 0)
					rc = ac_write_all(ofd, buf, n);
				at += (off_t)n;
				left -= n;
			}
			if (close(ofd) != 0 && rc == 0)
				rc = -errno;
		}
		off += (off_t)size;
	}
	close(fd);
	if (rc == 0 && !*manifest)
		rc = -ENOEXEC;
	if (rc < 0) {
		free(*manifest);
		*manifest = NULL;
	}
	return rc;
}

/* --- the result line ------------------------------------------------- */

static char *hex_of(const char *data, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char *out = malloc(2 * n + 1);

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[(unsigned char)data[i] >> 4];
		out[2 * i + 1] = digits[(unsigned char)data[i] & 15];
	}
	out[2 * n] = '\0';
	return out;
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decodes hex into a malloc'd NUL-terminated buffer; NULL when malformed. */
static char *unhex(const char *hex, size_t *n)
{
	size_t len = strlen(hex);
	char *out;

	if (len % 2)
		return NULL;
	out = malloc(len / 2 + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < len / 2; i++) {
		int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			free(out);
			return NULL;
		}
		out[i] = (char)(hi << 4 | lo);
	}
	out[len / 2] = '\0';
	*n = len / 2;
	return out;
}

char *ac_bundle_result_line(const struct ac_proc_result *res, double start, double end)
{
	cJSON *o = cJSON_CreateObject();
	char *out = hex_of(res->output ? res->output : "", res->output_len);
	char *rep = res->report ? hex_of(res->report, res->report_len) : NULL;
	char *json, *line = NULL;

	cJSON_AddNumberToObject(o, "exit_code", res->exit_code);
	cJSON_AddNumberToObject(o, "signal", res->signal);
	cJSON_AddBoolToObject(o, "timed_out", res->timed_out);
	cJSON_AddBoolToObject(o, "cancelled", res->cancelled);
	cJSON_AddBoolToObject(o, "truncated", res->truncated);
	cJSON_AddStringToObject(o, "output", out ? out : "");
	if (rep)
		cJSON_AddStringToObject(o, "report", rep);
	cJSON_AddNumberToObject(o, "wall_s", res->wall_s);
	cJSON_AddBoolToObject(o, "net_isolated", res->net_isolated);
	cJSON_AddBoolToObject(o, "pid_isolated", res->pid_isolated);
	cJSON_AddBoolToObject(o, "uid_dropped", res->uid_dropped);
	cJSON_AddNumberToObject(o, "start", start);
	cJSON_AddNumberToObject(o, "end", end);
	free(out);
	free(rep);
	json = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (json && asprintf(&line, "AC-RESULT %s\n", json) < 0)
		line = NULL;
	free(json);
	return line;
}

static bool get_bool(const cJSON *o, const char *key)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, key));
}

static double get_num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

int ac_bundle_result_parse(const char *json, struct ac_proc_result *res, double *start,
                           double *end)
{
	cJSON *o = cJSON_Parse(json);
	const cJSON *out = o ? cJSON_GetObjectItemCaseSensitive(o, "output") : NULL;
	const cJSON *rep = o ? cJSON_GetObjectItemCaseSensitive(o, "report") : NULL;

	memset(res, 0, sizeof *res);
	if (!cJSON_IsObject(o) || !cJSON_IsString(out)) {
		cJSON_Delete(o);
		return -EPROTO;
	}
	res->output = unhex(out->valuestring, &res->output_len);
	if (cJSON_IsString(rep))
		res->report = unhex(rep->valuestring, &res->report_len);
	if (!res->output || (cJSON_IsString(rep) && !res->report)) {
		ac_proc_result_clear(res);
		cJSON_Delete(o);
		return -EPROTO;
	}
	res->exit_code = (int)get_num(o, "exit_code");
	res->signal = (int)get_num(o, "signal");
	res->timed_out = get_bool(o, "timed_out");
	res->cancelled = get_bool(o, "cancelled");
	res->truncated = get_bool(o, "truncated");
	res->wall_s = get_num(o, "wall_s");
	res->net_isolated = get_bool(o, "net_isolated");
	res->pid_isolated = get_bool(o, "pid_isolated");
	res->uid_dropped = get_bool(o, "uid_dropped");
	if (start)
		*start = get_num(o, "start");
	if (end)
		*end = get_num(o, "end");
	cJSON_Delete(o);
	return 0;
}
