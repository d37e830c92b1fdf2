/*
 * view.c - the store as the mount reads it: each call reads on the
 * calling thread's own connection (engine_reader), so a FUSE handler
 * never waits on the engine's writer and never holds a struct store.
 *
 * What this file does not do: write (files.c and engine.c do, and say
 * that something changed), or shape what it reads into a view (fs/).
 */
#include "engine/engine_int.h"

#include <string.h>

int engine_kernel_get(struct engine *e, int64_t kid, struct kernel_row *k)
{
	return store_kernel_get(engine_reader(e), kid, k);
}

int engine_kernel_list(struct engine *e, struct kernel_row **rows, int *n)
{
	return store_kernel_list(engine_reader(e), rows, n);
}

int engine_file_get(struct engine *e, int64_t kid, const char *name, bool with_data,
                    struct file_row *f)
{
	return store_file_get(engine_reader(e), kid, name, with_data, f);
}

int engine_file_get_id(struct engine *e, int64_t fid, bool with_data, struct file_row *f)
{
	return store_file_get_id(engine_reader(e), fid, with_data, f);
}

int engine_file_list(struct engine *e, int64_t kid, bool with_data, struct file_row **rows,
                     int *n)
{
	return store_file_list(engine_reader(e), kid, with_data, rows, n);
}

int engine_run_view(struct engine *e, int64_t kid, struct engine_run_view *v)
{
	struct store *s = engine_reader(e);
	memset(v, 0, sizeof(*v));
	int rc = store_run_latest(s, kid, &v->run);
	if (rc) {
		run_row_clear(&v->run);
		return rc;
	}
	if (store_cand_list(s, v->run.id, &v->cands, &v->ncands)) {
		v->cands = NULL;
		v->ncands = 0;
	}
	if (store_call_totals(s, v->run.id, &v->calls, &v->call_tokens, &v->call_wall_ns,
	                      &v->reasoning)) {
		v->calls = v->call_tokens = v->reasoning = 0;
		v->call_wall_ns = 0;
	}
	if (store_call_cost(s, v->run.id, &v->cost))
		v->cost = 0;
	return 0;
}

void engine_run_view_clear(struct engine_run_view *v)
{
	if (!v)
		return;
	cand_rows_free(v->cands, v->ncands);
	run_row_clear(&v->run);
	memset(v, 0, sizeof(*v));
}

int engine_cand_get(struct engine *e, int64_t rid, int64_t num, struct cand_row *c)
{
	return store_cand_get(engine_reader(e), rid, num, c);
}

int engine_log_since(struct engine *e, int64_t kid, int64_t after, engine_log_fn fn, void *arg)
{
	return store_log_since(engine_reader(e), kid, after, fn, arg);
}

int engine_log_page(struct engine *e, int64_t kid, int64_t after, int limit, engine_log_fn fn,
                    void *arg)
{
	return store_log_page(engine_reader(e), kid, after, limit, fn, arg);
}

int engine_log_last(struct engine *e, int64_t kid, int64_t *id)
{
	return store_log_last(engine_reader(e), kid, id);
}
