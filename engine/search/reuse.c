/*
 * reuse.c - reading a donor's schedule for schedule reuse.
 *
 * The schedule is the same chain the donor's `schedule` file shows: from
 * best.c back to the input through each candidate's parent. LLM steps
 * steer plan prompts; tuner steps ("tune: TILE 32 -> 64") give the tuner a
 * starting point, which is how reuse helps a search with no model.
 */
#include "engine/search/reuse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/config.h"
#include "engine/core/host.h"
#include "engine/search/knob.h"
#include "engine/util/util.h"

/* The id of the kernel named name, from the store; -ENOENT if none. */
static int donor_id(struct store *s, const char *name, int64_t *kid)
{
	struct kernel_row *rows;
	int n, rc = -ENOENT;
	if (store_kernel_list(s, &rows, &n))
		return -EIO;
	for (int i = 0; i < n && rc; i++)
		if (!strcmp(rows[i].name, name)) {
			*kid = rows[i].id;
			rc = 0;
		}
	kernel_rows_free(rows, n);
	return rc;
}

static void add_donor(struct run_ctx *rc, struct strbuf *text)
{
	int64_t kid;
	struct run_row run;
	struct store *s = rc->host->writer;
	if (donor_id(s, rc->cfg.reuse, &kid) != 0 || store_run_latest(s, kid, &run)) {
		run_log(rc, "reuse: no kernel \"%s\" with a run; searching freely", rc->cfg.reuse);
		return;
	}
	struct cand_row *rows;
	int n;
	if (store_cand_list(s, run.id, &rows, &n) == 0) {
		int64_t chain[256];
		int nc = 0;
		for (int64_t num = run.best; num > 0 && nc < 256;) {
			const struct cand_row *c = NULL;
			for (int i = 0; i < n && !c; i++)
				if (rows[i].num == num)
					c = &rows[i];
			if (!c)
				break;
			chain[nc++] = num;
			num = c->parent;
		}
		for (int i = nc - 1; i >= 0; i--)
			for (int j = 0; j < n; j++)
				if (rows[j].num == chain[i]) {
					sb_add(text, rows[j].plan, strcspn(rows[j].plan, "\n"));
					sb_adds(text, "\n");
				}
		cand_rows_free(rows, n);
	}
	run_row_clear(&run);
}

int reuse_steps(struct run_ctx *rc, char ***steps)
{
	struct strbuf text = {0};
	*steps = NULL;
	if (rc->cfg.reuse)
		add_donor(rc, &text);
	for (int i = 0; i < rc->nfiles; i++)
		if (!strcmp(rc->files[i].name, "reuse.schedule"))
			sb_add(&text, rc->files[i].data, rc->files[i].size);
	int n = 0;
	if (text.len) {
		*steps = strv_split(text.buf, '\n');
		n = strv_len(*steps);
	}
	sb_release(&text);
	return n;
}

int reuse_knob_values(char *const *steps, const struct knob_set *ks, int *values)
{
	for (int i = 0; i < ks->count; i++)
		values[i] = -1;
	int set = 0;
	for (int s = 0; steps && steps[s]; s++) {
		const char *p = strstr(steps[s], "tune:");
		if (!p)
			continue;
		p += 5;
		/* "NAME FROM -> TO, NAME FROM -> TO" */
		char **parts = strv_split(p, ',');
		for (int k = 0; parts && parts[k]; k++) {
			char name[128], from[128], to[128];
			if (sscanf(parts[k], "%127s %127s -> %127s", name, from, to) != 3)
				continue;
			for (int i = 0; i < ks->count; i++) {
				if (strcmp(ks->knobs[i].name, name))
					continue;
				for (int v = 0; v < ks->knobs[i].nvalues; v++)
					if (!strcmp(ks->knobs[i].values[v], to)) {
						set += values[i] < 0;
						values[i] = v;
					}
			}
		}
		strv_free(parts);
	}
	return set;
}
