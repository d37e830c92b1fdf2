/*
 * refcache.c - the per-run cache of objects every candidate of a run
 * shares (refcache.h): the key that names one, the flock that makes
 * parallel builds of a run build it once, the store through a temporary
 * and a rename, and the cached failure log.
 *
 * How an object is built is the spec's callback's business (the targets');
 * renaming the reference's globals is symbols.c's.
 */
#include "targets/toolchain/refcache.h"
#include "targets/exec/fileio.h"
#include "targets/toolchain/toolchain.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static uint64_t cache_key(const struct ac_job *job, const struct ac_ref_spec *spec)
{
	uint64_t h = AC_FNV1A_START;
	static const char sep[1] = { 0 };

	h = ac_fnv1a(h, job->reference, job->reference_size);
	h = ac_fnv1a(h, sep, 1);
	for (size_t i = 0; i < job->nfiles; i++) {
		uint64_t size = job->files[i].size;

		h = ac_fnv1a(h, job->files[i].name, strlen(job->files[i].name) + 1);
		h = ac_fnv1a(h, &size, sizeof size);
		h = ac_fnv1a(h, job->files[i].data, job->files[i].size);
	}
	if (spec->key)
		h = ac_fnv1a(h, spec->key, strlen(spec->key));
	h = ac_fnv1a(h, sep, 1);
	h = ac_fnv1a(h, spec->obj_name, strlen(spec->obj_name) + 1);
	if (spec->src_name)
		h = ac_fnv1a(h, spec->src_name, strlen(spec->src_name));
	return h;
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
	rc = ac_toolchain_write_scratch(dir, tmp, data, len);
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

	assert(obj_name[0] == '.' && obj_name[1]);   /* dot_name() let it in */
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

	rc = ac_read_file(obj_path, &data, &len);
	if (rc == 0) {
		rc = ac_toolchain_write_scratch(job->scratch_dir, spec->obj_name, data, len);
		free(data);
		if (rc < 0)
			return rc;
		ac_result_logf(r, "# %s: cached (%s)\n", what(spec), strrchr(obj_path, '/') + 1);
		*ok = true;
		return 1;
	}
	if (rc != -ENOENT)
		return rc;
	rc = ac_read_file(fail_path, &data, &len);
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
		rc = ac_toolchain_write_scratch(job->scratch_dir, spec->src_name,
		                                job->reference, job->reference_size);
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
	rc = ac_read_file(obj_path, &data, &len);
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

int ac_refcache_object(const struct ac_job *job, const struct ac_ref_spec *spec,
                               struct ac_result *r, bool *ok)
{
	char hex[17];
	char obj_path[PATH_MAX], fail_path[PATH_MAX];
	int lock;
	int rc;

	assert(job != NULL && r != NULL && ok != NULL);
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

int ac_refcache_reference(const struct ac_job *job, const struct ac_ref_spec *spec,
                           struct ac_result *r, bool *ok)
{
	*ok = false;
	if (!spec || !dot_name(spec->src_name))
		return -EINVAL;
	return ac_refcache_object(job, spec, r, ok);
}
