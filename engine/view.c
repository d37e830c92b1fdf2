/*
 * view.c - the store as the mount reads it: each call reads on the
 * calling thread's own connection (engine_reader), so a FUSE handler
 * never waits on the engine's writer and never holds a struct store.
 *
 * What this file does not do: write (files.c and engine.c do, and say
 * that something changed), or shape what it reads into a view (fs/).
 */
#include "engine/engine_int.h"

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

int engine_run_latest(struct engine *e, int64_t kid, struct run_row *r)
{
	return store_run_latest(engine_reader(e), kid, r);
}

int engine_cand_get(struct engine *e, int64_t rid, int64_t num, struct cand_row *c)
{
	return store_cand_get(engine_reader(e), rid, num, c);
}

int engine_cand_list(struct engine *e, int64_t rid, struct cand_row **rows, int *n)
{
	return store_cand_list(engine_reader(e), rid, rows, n);
}

int engine_call_totals(struct engine *e, int64_t rid, long *calls, long *tokens,
                       int64_t *wall_ns, long *reasoning)
{
	return store_call_totals(engine_reader(e), rid, calls, tokens, wall_ns, reasoning);
}

int engine_call_cost(struct engine *e, int64_t rid, double *cost)
{
	return store_call_cost(engine_reader(e), rid, cost);
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
