/*
 * files.c - the user's files as the mount writes them: each call stores
 * the change and marks the kernel changed in one step, so the mount's
 * caches see it and no caller has to remember to say so.
 *
 * What this file does not do: decide when a run starts (engine_file_changed
 * and the scheduler do) or check what a file says (engine_config_check).
 */
#include "engine/engine_int.h"

#include <stdio.h>
#include <string.h>

int engine_file_create(struct engine *e, int64_t kid, const char *name, int mode,
                       bool truncate, int64_t *fid)
{
	struct store *w = engine_writer(e);
	int rc = store_file_create(w, kid, name, mode, fid);
	if (!rc && truncate)
		rc = store_file_truncate(w, *fid, 0, now_ns());
	if (!rc)
		engine_touch(e, kid);
	return rc;
}

int engine_file_write(struct engine *e, int64_t kid, int64_t fid, const void *data, size_t len)
{
	int rc = store_file_write(engine_writer(e), fid, data, len, now_ns());
	if (!rc)
		engine_touch(e, kid);
	return rc;
}

int engine_file_put(struct engine *e, int64_t kid, const char *name, const void *data,
                    size_t len, int mode, int64_t *fid)
{
	struct store *w = engine_writer(e);
	int rc = store_file_put(w, kid, name, data, len, mode, now_ns());
	if (rc)
		return rc;
	engine_touch(e, kid);
	if (fid) {
		struct file_row f;
		if (store_file_get(w, kid, name, false, &f) == 0)
			*fid = f.id;
		file_row_clear(&f);
	}
	return 0;
}

int engine_file_set_mode(struct engine *e, int64_t kid, int64_t fid, int mode)
{
	int rc = store_file_set_mode(engine_writer(e), fid, mode);
	if (!rc)
		engine_touch(e, kid);
	return rc;
}

int engine_file_set_time(struct engine *e, int64_t kid, int64_t fid, int64_t mtime_ns)
{
	int rc = store_file_set_times(engine_writer(e), fid, mtime_ns);
	if (!rc)
		engine_touch(e, kid);
	return rc;
}

int engine_file_delete(struct engine *e, int64_t kid, const char *name)
{
	int rc = store_file_unlink(engine_writer(e), kid, name);
	if (!rc)
		engine_touch(e, kid);
	return rc;
}

int engine_file_rename(struct engine *e, int64_t kid, const char *from, const char *to)
{
	int rc = store_file_rename(engine_writer(e), kid, from, to);
	if (!rc)
		engine_touch(e, kid);
	return rc;
}

void engine_config_refused(struct engine *e, int64_t kid, const char *err)
{
	static const char mark[] = "; config.json refused: ";
	struct kernel_row k;
	struct store *w = engine_writer(e);
	if (store_kernel_get(w, kid, &k) == 0 && run_state_idle(k.state)) {
		char line[1024];
		const char *old = k.status[0] ? k.status : run_state_name(k.state);
		const char *prev = strstr(old, mark);
		int keep = prev ? (int)(prev - old) : (int)strlen(old);
		snprintf(line, sizeof(line), "%.*s%s%s", keep, old, mark, err);
		/* the refusal's errno went back to the writer already; the
		 * words are an addition, lost only with a failing store */
		if (store_kernel_set_status(w, kid, k.state, line, now_ns()) == 0)
			engine_touch(e, kid);
	}
	kernel_row_clear(&k);
}
