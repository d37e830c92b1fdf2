/*
 * search.c - what a run does after a good baseline: the Autocomp beam
 * search, the tuner, or nothing (with words saying what to set).
 *
 * The beam search, per iteration: for every beam member (parent) and every
 * plan slot, ask a planning model to choose one optimization from the menu
 * (after dropout), then ask a code model for `implementations` rewrites of
 * the parent that apply it; build each as soon as its reply arrives (builds
 * in parallel, timed runs alone). The next beam is the fastest distinct
 * correct candidates of parents and children, a plan text surviving once
 * per parent, the input always eligible; in the first two iterations a
 * child may be up to 10% slower than its parent, later it must not be.
 * Before `done`, the finalists are timed again and the best is chosen on
 * the re-measured figures.
 *
 * Resuming: every LLM call is stored under its slot name
 * ("i3/c17/p2" for a plan, ".../impl1" for an implementation) and every
 * candidate remembers its slot, so a new daemon walks the same slots,
 * finds what was already asked and evaluated, and does only the rest.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/search/beam.h"
#include "engine/core/codehash.h"
#include "engine/core/config.h"
#include "engine/llm/cost.h"
#include "engine/core/host.h"
#include "engine/util/util.h"
#include "targets/exec/fileio.h"
#include "engine/search/examples.h"
#include "engine/search/knob.h"
#include "engine/llm/llm.h"
#include "engine/core/menus.h"
#include "engine/llm/prompt.h"
#include "engine/llm/reply.h"
#include "engine/search/reuse.h"
#include "engine/core/run.h"
#include "engine/search/search.h"
#include "engine/search/tune.h"

struct search {
	struct run_ctx *rc;
	struct llm_model **models;
	int nmodels;
	struct llm_model **code_models;
	int ncode;
	struct menu menu;
	char *notes;
	int iteration;
	int64_t *members;          /* the beam: its members' numbers */
	int nmembers;
	pthread_mutex_t lock;      /* children, counters */
	int64_t *children;
	int nchildren;
	bool out_of_tokens;
	bool out_of_candidates;
	int llm_failures;
	long reasoning_tokens;     /* of rc->tokens, spent reasoning (under lock) */
	const char *effort;        /* the model settings: config.json, else -o */
	int thinking_budget;
	int max_output_tokens;
	char **steps;              /* schedule reuse: one step per early iteration */
	int nsteps;
	char *examples;            /* menus/MENU.examples/ text for the prompts, or NULL */
	struct price_table prices; /* config.json's "prices" */
	struct price_table prices_file; /* STATE_DIR/prices.json */
	double spent;              /* dollars spent by the run's calls (under lock) */
	double reserved;           /* the most the calls in flight can cost (under lock) */
	bool out_of_money;
	int dups;                  /* duplicates this daemon recognised (under lock) */
};

/* A stable 64-bit hash (FNV-1a) for seeding per-slot generators. */
static uint64_t hash_str(uint64_t h, const char *s)
{
	return ac_fnv1a(h ? h : AC_FNV1A_START, s, strlen(s));
}

static bool tokens_spent(struct search *s)
{
	struct run_ctx *rc = s->rc;
	pthread_mutex_lock(&s->lock);
	bool spent = rc->cfg.max_tokens > 0 && rc->tokens >= rc->cfg.max_tokens;
	if (spent)
		s->out_of_tokens = true;
	pthread_mutex_unlock(&s->lock);
	return spent;
}

/* Reserves room for one more candidate (run_take_candidate); false when
 * the budget is spent, which ends the search. */
static bool take_candidate(struct search *s)
{
	bool ok = run_take_candidate(s->rc);
	if (!ok) {
		pthread_mutex_lock(&s->lock);
		s->out_of_candidates = true;
		pthread_mutex_unlock(&s->lock);
	}
	return ok;
}

static void wait_note(void *arg, const char *line)
{
	struct run_ctx *rc = arg;
	run_log(rc, "llm: %s", line);
}

static void search_status(struct search *s);

/* Seconds between attempts while a model cannot be reached at all. */
#define LLM_WAIT_S 15

/* A failure that means the model's server cannot be reached (refused,
 * unknown host): worth waiting for, unlike a bad reply. */
static bool unreachable(int err, const struct llm_reply *r)
{
	if (err == -ECONNREFUSED || err == -EHOSTUNREACH)
		return true;
	return err && r->error && (strstr(r->error, "cannot connect to") ||
	                           strstr(r->error, "cannot resolve the host"));
}

/* One LLM call for slot, or its stored reply. Returns 0 with *call filled
 * (call->error non-empty when the call failed for good), -ECANCELED. */
static int ask(struct search *s, const char *slot, const struct llm_model *model,
               const char *prompt, struct llm_call_row *call)
{
	struct run_ctx *rc = s->rc;
	if (store_call_get(rc->host->writer, rc->rid, slot, call) == 0)
		return 0;
	if (run_cancelled(rc))
		return -ECANCELED;
	struct llm_request req = {
		.model = model,
		.prompt = prompt,
		.temperature = rc->cfg.temperature,
		.max_tokens = s->max_output_tokens,
		.reasoning_effort = s->effort,
		.thinking_budget = s->thinking_budget,
	};
	/* the money budget: a call is made only when its worst case fits
	 * beside what was spent and what the calls in flight may still cost */
	const struct price *price = NULL;
	bool priced = cost_price_of(&s->prices, &s->prices_file, model->spec, &price);
	double worst = 0;
	if (priced) {
		long cap = req.max_tokens > 0 ? req.max_tokens : llm_default_cap(&req);
		worst = cost_worst(price, strlen(prompt), cap);
	}
	pthread_mutex_lock(&s->lock);
	bool allowed = !priced || cost_allows(s->spent + s->reserved, worst, rc->cfg.max_cost);
	if (allowed)
		s->reserved += worst;
	else
		s->out_of_money = true;
	pthread_mutex_unlock(&s->lock);
	if (!allowed)
		return -ECANCELED;
	struct llm_reply reply = {0};
	int64_t t0 = mono_ns();
	int err;
	bool waited = false;
	for (;;) {
		err = llm_complete(rc->host->llm, &req, &reply, &rc->cancel, wait_note, rc);
		if (err == -ECANCELED || run_cancelled(rc)) {
			llm_reply_clear(&reply);
			pthread_mutex_lock(&s->lock);
			s->reserved -= worst;
			pthread_mutex_unlock(&s->lock);
			return -ECANCELED;
		}
		if (!unreachable(err, &reply))
			break;
		/* the model cannot be reached at all: the search waits for it
		 * instead of filling the run with failed candidates */
		if (!waited) {
			run_log(rc, "llm: %s is unreachable (%s); the search waits and retries every "
			        "%d s", model->spec, reply.error ? reply.error : strerror(-err),
			        LLM_WAIT_S);
			run_progress(rc, RS_SEARCHING, "searching %d/%d: waiting: %s is unreachable, "
			             "retrying every %d s", s->iteration, rc->cfg.iterations,
			             model->spec, LLM_WAIT_S);
		}
		waited = true;
		llm_reply_clear(&reply);
		for (int i = 0; i < LLM_WAIT_S * 10 && !run_cancelled(rc); i++)
			usleep(100000);
	}
	if (waited) {
		run_log(rc, "llm: %s answers again", model->spec);
		search_status(s);
	}
	memset(call, 0, sizeof(*call));
	call->run_id = rc->rid;
	call->slot = strdup(slot);
	call->model = strdup(model->spec);
	call->prompt = strdup(prompt);
	call->reply = strdup(reply.text ? reply.text : "");
	call->reasoning = strdup(reply.reasoning ? reply.reasoning : "");
	if (err) {
		char e[600];
		if (reply.truncated)
			snprintf(e, sizeof(e), "reply cut off at the length limit: %s",
			         reply.error ? reply.error : "no more room");
		else
			snprintf(e, sizeof(e), "%s", reply.error ? reply.error : strerror(-err));
		call->error = strdup(e);
	} else {
		call->error = strdup("");
	}
	call->truncated = reply.truncated;
	call->prompt_tokens = reply.prompt_tokens;
	call->completion_tokens = reply.completion_tokens;
	call->reasoning_tokens = reply.reasoning_tokens;
	call->attempts = reply.attempts;
	call->wall_ns = mono_ns() - t0;
	call->cost = priced ? cost_of(price, call->prompt_tokens, call->completion_tokens) : 0;
	llm_reply_clear(&reply);
	if (!call->slot || !call->model || !call->prompt || !call->reply || !call->reasoning ||
	    !call->error) {
		pthread_mutex_lock(&s->lock);
		s->reserved -= worst;
		pthread_mutex_unlock(&s->lock);
		llm_call_row_clear(call);
		run_log(rc, "llm: %s (%s): out of memory for the reply", slot, model->spec);
		return -ENOMEM;
	}
	/* a reply that cannot be kept is asked again when the run resumes */
	host_stored(store_call_put(rc->host->writer, call), "a model's reply");
	long used = call->prompt_tokens + call->completion_tokens;
	host_add_cost(rc->host, call->cost);
	pthread_mutex_lock(&s->lock);
	s->reserved -= worst;
	s->spent += call->cost;
	rc->tokens += used;
	s->reasoning_tokens += call->reasoning_tokens;
	if (call->error[0])
		s->llm_failures++;
	pthread_mutex_unlock(&s->lock);
	host_add_tokens(rc->host, used);
	host_add_reasoning_tokens(rc->host, call->reasoning_tokens);
	if (call->error[0])
		run_log(rc, "llm: %s (%s): %s", slot, model->spec, call->error);
	return 0;
}

static void add_child(struct search *s, int64_t num)
{
	pthread_mutex_lock(&s->lock);
	int64_t *p = realloc(s->children, (size_t)(s->nchildren + 1) * sizeof(*p));
	if (p) {
		s->children = p;
		s->children[s->nchildren++] = num;
	}
	pthread_mutex_unlock(&s->lock);
}

/* Is c the same code as an earlier candidate of the run? Then its
 * result is copied (after waiting for it when that one is still being
 * evaluated) and stored with same_as in one statement: true. */
static bool reuse_duplicate(struct search *s, const struct cand_row *c, int64_t *t,
                            double *spread)
{
	struct run_ctx *rc = s->rc;
	struct store *w = rc->host->writer;
	int64_t orig;
	if (!rc->cfg.reuse_duplicates || !c->code_hash ||
	    run_cand_original(rc, c->code_hash, c->num, &orig))
		return false;
	struct cand_row o;
	/* an original still being built or timed by another task: wait for it */
	for (int i = 0; ; i++) {
		if (store_cand_get(w, rc->rid, orig, &o))
			return false;
		if (o.outcome != AC_PENDING)
			break;
		cand_row_clear(&o);
		if (run_cancelled(rc) || i > 36000)
			return false;
		usleep(50000);
	}
	/* the hash found it; the normalized texts decide */
	char *a = codehash_normalize(c->source, rc->row.input_name);
	char *b = codehash_normalize(o.source, rc->row.input_name);
	bool same = a && b && !strcmp(a, b);
	free(a);
	free(b);
	if (!same) {
		cand_row_clear(&o);
		return false;
	}
	struct ac_result r = {0};
	r.outcome = o.outcome;
	r.time_ns = o.time_ns;
	r.samples = o.samples;
	r.spread = o.spread;
	r.message = o.message && o.message[0] ? strdup(o.message) : NULL;
	r.metrics = o.metrics && o.metrics[0] ? strdup(o.metrics) : NULL;
	ac_result_logf(&r, "same code as #%lld (comments and layout aside): its result is "
	               "reused; not built or timed again\n\n%s", (long long)orig, o.log ? o.log : "");
	int err = store_cand_set_dup(w, rc->rid, c->num, orig, &r, now_ns());
	if (!err) {
		char d[32];
		if (r.outcome == AC_OK)
			run_log(rc, "candidate %lld: same code as #%lld: ok, %s (reused: not built or "
			        "timed again)", (long long)c->num, (long long)orig,
			        fmt_duration(r.time_ns, d, sizeof(d)));
		else
			run_log(rc, "candidate %lld: same code as #%lld: %s (reused: not built or "
			        "timed again)", (long long)c->num, (long long)orig,
			        ac_outcome_name(o.outcome));
		host_touch(rc->host, rc->kid);
		*t = r.outcome == AC_OK ? r.time_ns : 0;
		*spread = r.spread;
		pthread_mutex_lock(&s->lock);
		s->dups++;
		pthread_mutex_unlock(&s->lock);
	}
	ac_result_clear(&r);
	cand_row_clear(&o);
	return !err;
}

/* Evaluates candidate num if it is still pending (or reuses the result of
 * an earlier candidate with the same code); offers it for best. */
static int settle(struct search *s, int64_t num)
{
	struct run_ctx *rc = s->rc;
	struct cand_row c;
	int err = store_cand_get(rc->host->writer, rc->rid, num, &c);
	if (err)
		return err;
	bool pending = c.outcome == AC_PENDING;
	int64_t t = c.outcome == AC_OK ? c.time_ns : 0;
	double spread = c.spread;
	if (pending && reuse_duplicate(s, &c, &t, &spread))
		pending = false;
	cand_row_clear(&c);
	if (pending) {
		struct ac_result r;
		err = run_evaluate(rc, num, &r);
		if (err) {
			ac_result_clear(&r);
			return err;
		}
		t = r.outcome == AC_OK ? r.time_ns : 0;
		spread = r.spread;
		ac_result_clear(&r);
	}
	err = t > 0 ? run_offer_best(rc, num, t, spread) : 0;
	search_status(s);
	return err;
}

/* Whether the strings every new candidate's row has were all copied
 * (strdup may fail). */
static bool row_complete(const struct cand_row *c)
{
	return c->model && c->slot && c->plan_prompt && c->plan && c->source;
}

/* Stores a candidate that failed before evaluation (LLM error, no code). */
static int add_failed(struct search *s, struct cand_row *c, const char *why)
{
	c->outcome = AC_FAILED;
	c->message = strdup(why);
	if (!c->source)
		c->source = strdup("");
	if (!c->message || !row_complete(c))
		return -ENOMEM;
	int err = run_cand_add(s->rc, c);
	if (!err) {
		struct ac_result r = {.outcome = AC_FAILED};
		ac_result_set_message(&r, "%s", why);
		ac_result_logf(&r, "%s\n", why);
		err = store_cand_set_result(s->rc->host->writer, s->rc->rid, c->num, &r, now_ns());
		ac_result_clear(&r);
		run_log(s->rc, "candidate %lld: failed: %s", (long long)c->num, why);
	}
	return err;
}

/* Schedule reuse (engine/search/reuse.c): in iteration i, one plan prompt
 * in REUSE_SHARE is steered to step i of the donor's schedule; the others
 * plan as usual, so a step that does not transfer costs only its share. */
static void load_steps(struct search *s)
{
	s->nsteps = reuse_steps(s->rc, &s->steps);
	if (s->nsteps == 1)
		run_log(s->rc, "reuse: 1 step steers one plan prompt in %d of iteration 1; "
		        "the others plan as usual", REUSE_SHARE);
	else if (s->nsteps > 1)
		run_log(s->rc, "reuse: %d steps steer one plan prompt in %d of iterations 1 to %d, "
		        "step i in iteration i; the others plan as usual", s->nsteps, REUSE_SHARE,
		        s->nsteps);
}

struct slot_task {
	int64_t parent;
	int index;          /* global plan index in this iteration */
	int plan;           /* plan number for this parent */
	int64_t partner;    /* > 0: combine parent with this beam member */
};

struct iter_ctx {
	struct search *s;
	struct slot_task *tasks;
};

/* The strings a prompt context points into, owned by the task. */
struct ctx_text {
	char *code;          /* the parent's code */
	char *metrics;
	char *plan;
	char *other_code;    /* combining: the partner's */
	char *other_plan;
};

static void ctx_text_clear(struct ctx_text *t)
{
	free(t->code);
	free(t->metrics);
	free(t->plan);
	free(t->other_code);
	free(t->other_plan);
	memset(t, 0, sizeof(*t));
}

/* Fills the prompt context for a task's parent (and partner); the strings
 * live in *own (the caller clears it). */
static int parent_ctx(struct search *s, const struct slot_task *task, struct prompt_ctx *ctx,
                      struct ctx_text *own)
{
	struct run_ctx *rc = s->rc;
	struct cand_row p;
	int64_t parent = task->parent;
	memset(own, 0, sizeof(*own));
	int err = store_cand_get(rc->host->writer, rc->rid, parent, &p);
	if (err)
		return err;
	own->code = p.source;
	own->metrics = p.metrics;
	own->plan = p.plan;
	p.source = p.metrics = p.plan = NULL;
	memset(ctx, 0, sizeof(*ctx));
	if (task->partner > 0) {
		struct cand_row o;
		if (store_cand_get(rc->host->writer, rc->rid, task->partner, &o) == 0) {
			own->other_code = o.source;
			own->other_plan = o.plan;
			o.source = o.plan = NULL;
			ctx->other_num = task->partner;
			ctx->other_time_ns = (double)o.time_ns;
			ctx->other_code = own->other_code;
			ctx->other_plan = own->other_plan;
			ctx->parent_plan = own->plan;
			ctx->parent_num = parent;
			cand_row_clear(&o);
		}
	}
	ctx->parent_metrics = own->metrics;
	ctx->examples = s->examples;

	ctx->kernel = rc->kernel_name;
	ctx->target = rc->target->name;
	ctx->notes = s->notes;
	ctx->menu = &s->menu;
	ctx->keep = rc->cfg.dropout;
	ctx->parent_code = own->code;
	ctx->file_name = rc->row.input_name;
	ctx->parent_time_ns = (double)p.time_ns;
	ctx->input_time_ns = (double)rc->input_time_ns;
	ctx->iteration = s->iteration;
	ctx->iterations = rc->cfg.iterations;
	ctx->edits = rc->cfg.edits;
	ctx->call = rc->call_words;
	cand_row_clear(&p);
	return 0;
}

static void set_hash(struct search *s, struct cand_row *c)
{
	char h[32];
	if (c->source && codehash(c->source, s->rc->row.input_name, h, sizeof(h)) == 0)
		c->code_hash = strdup(h);
}

/* The code of an implement reply: the fenced block in the input's
 * language that defines the parent's functions (reply.h), or SEARCH/REPLACE
 * edits applied to the parent (asked for with "edits", or sent instead of
 * a whole file). NULL with the reason in why. */
static char *code_of(struct search *s, const char *parent_code, const char *text, char *why,
                     size_t len)
{
	bool has_edits = strstr(text, "<<<<<<< SEARCH") != NULL;
	struct reply_want want = {.file_name = s->rc->row.input_name, .parent = parent_code};
	char *code = s->rc->cfg.edits && has_edits ? NULL : reply_code_for(text, &want);
	if (code)
		return code;
	if (has_edits) {
		char *out = NULL;
		char err[300];
		if (reply_apply_edits(parent_code, text, &out, err, sizeof(err)) == 0)
			return out;
		snprintf(why, len, "edit does not apply: %s", err);
		return NULL;
	}
	snprintf(why, len, "no code in reply");
	return code;
}

/* Asks for code in slot (implement, repair or plan+implement), stores the
 * candidate and evaluates it. Returns the candidate number or -1. */
static int64_t implement(struct search *s, const struct slot_task *t, const char *slot,
                         const struct llm_model *model, const char *prompt,
                         const char *plan, const char *option, const char *plan_prompt,
                         enum cand_origin origin, const char *parent_code, bool from_plan_reply)
{
	struct run_ctx *rc = s->rc;
	int64_t num;
	if (store_cand_by_slot(rc->host->writer, rc->rid, slot, &num) == 0) {
		/* done before a restart: just make sure it was evaluated */
		if (settle(s, num) == 0)
			add_child(s, num);
		return num;
	}
	if (run_cancelled(rc) || tokens_spent(s) || !take_candidate(s))
		return -1;
	struct llm_call_row call;
	if (ask(s, slot, model, prompt, &call)) {
		/* no call, no candidate: give the place back */
		run_give_back_candidate(rc);
		return -1;
	}
	struct cand_row c = {0};
	c.num = -1;
	c.parent = t->parent;
	c.parent2 = t->partner;
	c.iteration = s->iteration;
	c.origin = origin;
	c.option = strdup(option ? option : "");
	c.model = strdup(model->spec);
	c.slot = strdup(slot);
	c.plan_prompt = strdup(plan_prompt ? plan_prompt : "");
	c.code_prompt = strdup(from_plan_reply ? "" : prompt);
	c.tokens = call.prompt_tokens + call.completion_tokens;
	c.reasoning_tokens = call.reasoning_tokens;
	char *plan_text = from_plan_reply ? reply_plan(call.reply) : NULL;
	c.plan = strdup(plan_text ? plan_text : plan);
	free(plan_text);
	int64_t result = -1;
	if (call.error[0]) {
		char why[700];
		snprintf(why, sizeof(why), "%s", call.error);
		if (add_failed(s, &c, why) == 0)
			result = c.num;
	} else {
		char why[400];
		char *code = code_of(s, parent_code, call.reply, why, sizeof(why));
		if (!code) {
			c.source = strdup(call.reply);
			if (add_failed(s, &c, why) == 0)
				result = c.num;
		} else {
			c.source = code;
			set_hash(s, &c);
			if (row_complete(&c) && c.option && c.code_prompt &&
			    run_cand_add(rc, &c) == 0) {
				result = c.num;
				if (settle(s, c.num) == 0)
					add_child(s, c.num);
			}
		}
	}
	cand_row_clear(&c);
	llm_call_row_clear(&call);
	return result;
}

/* A failed candidate gets one repair attempt when reimplement_failed. */
static void maybe_repair(struct search *s, const struct slot_task *t, const char *slot,
                         int64_t num, struct prompt_ctx *ctx, const char *plan,
                         const char *option, const char *parent_code)
{
	struct run_ctx *rc = s->rc;
	if (!rc->cfg.reimplement_failed || num < 0 || run_cancelled(rc))
		return;
	struct cand_row c;
	if (store_cand_get(rc->host->writer, rc->rid, num, &c))
		return;
	enum ac_outcome o = c.outcome;
	bool failed = o != AC_OK && o != AC_PENDING && c.source[0];
	if (failed) {
		char rslot[200];
		snprintf(rslot, sizeof(rslot), "%s/repair", slot);
		char *prompt = prompt_repair(ctx, plan, c.source, c.log);
		const struct llm_model *m = s->code_models[(t->index + 1) % s->ncode];
		if (prompt)
			implement(s, t, rslot, m, prompt, plan, option, NULL, ORIGIN_REPAIR, parent_code,
			          false);
		free(prompt);
	}
	cand_row_clear(&c);
}

struct impl_ctx {
	struct search *s;
	const struct slot_task *t;
	const char *pslot;
	struct prompt_ctx *ctx;
	const char *plan;
	const char *option;
	const char *plan_prompt;
	const char *parent_code;
};

static void impl_task(void *arg, int j)
{
	struct impl_ctx *ix = arg;
	struct search *s = ix->s;
	if (run_cancelled(s->rc))
		return;
	char slot[160];
	snprintf(slot, sizeof(slot), "%s/impl%d", ix->pslot, j);
	char *iprompt = prompt_implement(ix->ctx, ix->plan);
	int impls = s->rc->cfg.implementations;
	const struct llm_model *cm = s->code_models[(ix->t->index * impls + j) % s->ncode];
	if (iprompt) {
		int64_t num = implement(s, ix->t, slot, cm, iprompt, ix->plan, ix->option,
		                        ix->plan_prompt, ORIGIN_LLM, ix->parent_code, false);
		maybe_repair(s, ix->t, slot, num, ix->ctx, ix->plan, ix->option, ix->parent_code);
	}
	free(iprompt);
}

static void plan_task(void *arg, int i)
{
	struct iter_ctx *ic = arg;
	struct search *s = ic->s;
	struct run_ctx *rc = s->rc;
	const struct slot_task *t = &ic->tasks[i];
	if (run_cancelled(rc) || tokens_spent(s))
		return;
	struct prompt_ctx ctx;
	struct ctx_text own;
	if (parent_ctx(s, t, &ctx, &own))
		return;
	char *parent_code = own.code;
	own.code = NULL;
	char pslot[128];
	if (t->partner > 0)
		snprintf(pslot, sizeof(pslot), "i%d/c%lld+c%lld/combine", s->iteration,
		         (long long)t->parent, (long long)t->partner);
	else
		snprintf(pslot, sizeof(pslot), "i%d/c%lld/p%d", s->iteration, (long long)t->parent,
		         t->plan);
	uint64_t rng = hash_str(rc->cfg.seed ? rc->cfg.seed : (uint64_t)rc->rid * 7919, pslot);
	/* about one plan prompt in ten asks for a strategy not on the menu */
	uint64_t coin = rng;
	ctx.invent = t->partner <= 0 && prompt_rng_unit(&coin) < 0.1;
	const struct llm_model *pm = s->models[t->index % s->nmodels];
	int impls = rc->cfg.implementations;
	char steer[1200];
	int step = t->partner > 0 ? -1 : reuse_steer_step(s->iteration, s->nsteps, t->index);
	if (step >= 0) {
		snprintf(steer, sizeof(steer), "%s", s->steps[step]);
		ctx.steer = steer;
		ctx.invent = false;
	}

	if (rc->cfg.skip_planning) {
		for (int j = 0; j < impls && !run_cancelled(rc); j++) {
			char slot[160];
			snprintf(slot, sizeof(slot), "%s/impl%d", pslot, j);
			uint64_t r2 = hash_str(rng, slot);
			char *offered = NULL;
			char *prompt = prompt_plan_implement(&ctx, &r2, &offered);
			const struct llm_model *cm = s->code_models[(t->index * impls + j) % s->ncode];
			if (prompt) {
				int64_t num = implement(s, t, slot, cm, prompt, "", "", prompt, ORIGIN_LLM,
				                        parent_code, true);
				maybe_repair(s, t, slot, num, &ctx, "", "", parent_code);
			}
			free(prompt);
			free(offered);
		}
		free(parent_code);
		ctx_text_clear(&own);
		return;
	}

	char *offered = NULL;
	char *prompt = prompt_plan(&ctx, &rng, &offered);
	free(offered);
	if (!prompt) {
		free(parent_code);
		ctx_text_clear(&own);
		return;
	}
	int64_t existing;
	char slot0[160];
	snprintf(slot0, sizeof(slot0), "%s/impl0", pslot);
	bool resumed = store_cand_by_slot(rc->host->writer, rc->rid, slot0, &existing) == 0;
	if (!resumed && (tokens_spent(s) || run_cancelled(rc))) {
		free(prompt);
		free(parent_code);
		ctx_text_clear(&own);
		return;
	}
	struct llm_call_row plan_call;
	if (ask(s, pslot, pm, prompt, &plan_call)) {
		free(prompt);
		free(parent_code);
		ctx_text_clear(&own);
		return;
	}
	if (plan_call.error[0]) {
		int64_t num;
		if (store_cand_by_slot(rc->host->writer, rc->rid, pslot, &num) != 0 && take_candidate(s)) {
			struct cand_row c = {0};
			c.num = -1;
			c.parent = t->parent;
			c.parent2 = t->partner;
			c.iteration = s->iteration;
			c.origin = ORIGIN_LLM;
			c.model = strdup(pm->spec);
			c.slot = strdup(pslot);
			c.plan_prompt = strdup(prompt);
			c.plan = strdup("(no plan: the planning call failed)");
			char why[700];
			snprintf(why, sizeof(why), "plan: %s", plan_call.error);
			add_failed(s, &c, why);
			cand_row_clear(&c);
		}
	} else {
		char *plan = reply_plan(plan_call.reply);
		int opt = prompt_plan_option(&s->menu, plan ? plan : "");
		const char *option = opt >= 0 && opt < s->menu.count ? s->menu.options[opt] : "other";
		char combined[600];
		if (t->partner > 0) {
			snprintf(combined, sizeof(combined), "combine #%lld + #%lld (%s)",
			         (long long)t->parent, (long long)t->partner, option);
			option = combined;
		}
		if (plan) {
			/* the implementations of one plan are asked for at once */
			struct impl_ctx ix = {s, t, pslot, &ctx, plan, option, prompt, parent_code};
			run_tasks(impls, impls, impl_task, &ix);
		}
		free(plan);
	}
	llm_call_row_clear(&plan_call);
	free(prompt);
	free(parent_code);
		ctx_text_clear(&own);
}

/* ---- the beam ---- */

static bool in_list(const int64_t *v, int n, int64_t x)
{
	for (int i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

/* Applies the beam rule (beam.c) to beam ∪ children ∪ {input}. */
static void next_beam(struct search *s)
{
	struct run_ctx *rc = s->rc;
	struct cand_row *rows;
	int n;
	if (store_cand_list(rc->host->writer, rc->rid, &rows, &n))
		return;
	struct beam_cand *pool = calloc((size_t)n + 1, sizeof(*pool));
	char **sources = calloc((size_t)n + 1, sizeof(*sources));
	int np = 0;
	for (int i = 0; pool && sources && i < n; i++) {
		const struct cand_row *c = &rows[i];
		bool incumbent = in_list(s->members, s->nmembers, c->num) || c->num == 0;
		bool child = in_list(s->children, s->nchildren, c->num);
		if ((!incumbent && !child) || c->outcome != AC_OK || c->time_ns <= 0)
			continue;
		int64_t parent_time = 0;
		for (int j = 0; j < n; j++)
			if (rows[j].num == c->parent && rows[j].outcome == AC_OK)
				parent_time = rows[j].time_ns;
		/* distinct by the normalized code's hash: a copy that differs in
		 * comments only must not take a second place in the beam */
		if (c->code_hash && c->code_hash[0]) {
			sources[np] = strdup(c->code_hash);
		} else {
			struct cand_row full;
			if (store_cand_get(rc->host->writer, rc->rid, c->num, &full))
				continue;
			sources[np] = full.source;
			full.source = NULL;
			cand_row_clear(&full);
		}
		if (!sources[np])
			continue;
		pool[np] = (struct beam_cand){
			.num = c->num,
			.parent = c->parent,
			.time_ns = c->time_ns,
			.parent_time_ns = parent_time,
			.incumbent = incumbent,
			.child = child,
			.plan = c->plan ? c->plan : "",
			.key = sources[np],
		};
		np++;
	}
	int64_t *members = calloc((size_t)rc->cfg.beam + 1, sizeof(*members));
	int nb = pool && members ? beam_choose(pool, np, rc->cfg.beam, s->iteration, members) : 0;
	if (nb > 0) {
		free(s->members);
		s->members = members;
		s->nmembers = nb;
	} else {
		free(members);   /* nothing eligible: the beam stays as it was */
	}
	/* the beam this iteration kept, whichever it is */
	for (int i = 0; i < s->nmembers; i++)
		host_stored(store_cand_set_beam(rc->host->writer, rc->rid, s->members[i],
		                                s->iteration), "a beam mark");
	for (int i = 0; i < np; i++)
		free(sources[i]);
	free(sources);
	free(pool);
	cand_rows_free(rows, n);
	free(s->children);
	s->children = NULL;
	s->nchildren = 0;
}

/* Restores the beam after a restart: members of the last finished iteration. */
static void restore_beam(struct search *s)
{
	struct run_ctx *rc = s->rc;
	s->members = calloc(1, sizeof(*s->members));
	s->nmembers = 1;
	if (!s->members)
		return;
	s->members[0] = 0;
	if (rc->row.iteration <= 0)
		return;
	struct cand_row *rows;
	int n;
	if (store_cand_list(rc->host->writer, rc->rid, &rows, &n))
		return;
	int64_t *b = calloc((size_t)n + 1, sizeof(*b));
	int nb = 0;
	for (int i = 0; b && i < n; i++)
		if (rows[i].beam_iteration == rc->row.iteration)
			b[nb++] = rows[i].num;
	if (nb) {
		free(s->members);
		s->members = b;
		s->nmembers = nb;
	} else {
		free(b);
	}
	cand_rows_free(rows, n);
}

/* " (N reasoning)" when the run's models reasoned, else "". Call with s->lock held. */
static void reasoning_words(const struct search *s, char *buf, size_t len)
{
	assert_held(&s->lock);
	if (s->reasoning_tokens > 0)
		snprintf(buf, len, " (%ld reasoning)", s->reasoning_tokens);
	else if (len)
		buf[0] = '\0';
}

/* ", $0.42" (", $0.42 of $5.00" under a budget) once a price is known,
 * else "". Call with s->lock held. */
static void cost_words(const struct search *s, char *buf, size_t len)
{
	assert_held(&s->lock);
	if (s->rc->cfg.max_cost > 0)
		snprintf(buf, len, ", $%.4f of $%.2f", s->spent, s->rc->cfg.max_cost);
	else if (s->prices.n || s->prices_file.n)
		snprintf(buf, len, ", $%.4f", s->spent);
	else if (len)
		buf[0] = '\0';
}

static void search_status(struct search *s)
{
	struct run_ctx *rc = s->rc;
	pthread_mutex_lock(&s->lock);
	double sp = rc->best_time_ns > 0 ? (double)rc->input_time_ns / rc->best_time_ns : 1.0;
	char reasoning[64];
	reasoning_words(s, reasoning, sizeof(reasoning));
	char cost[96];
	cost_words(s, cost, sizeof(cost));
	/* the counts every view shows (figures.h), not the slots taken */
	struct cand_tally t;
	char counted[160];
	run_tally(rc, &t);
	cand_tally_words(&t, counted, sizeof(counted));
	run_progress(rc, RS_SEARCHING,
	             "searching %d/%d: %s, best %.2fx (#%lld), %ld tokens%s%s",
	             s->iteration, rc->cfg.iterations, counted, sp,
	             (long long)rc->best_num, rc->tokens, reasoning, cost);
	pthread_mutex_unlock(&s->lock);
}

/* Target notes may hold a {{gpu}} line: the hardware the target found
 * (from its probe line in the root `targets` file). */
static void fill_gpu(struct run_ctx *rc, char **notes)
{
	char *at = *notes ? strstr(*notes, "{{gpu}}") : NULL;
	if (!at)
		return;
	char *targets = rc->host->targets_text(rc->host->arg);
	char line[512] = "unknown (the target's probe has not finished)";
	char key[64];
	snprintf(key, sizeof(key), "%s: ", rc->target->name);
	const char *p = targets ? strstr(targets, key) : NULL;
	if (p) {
		p += strlen(key);
		size_t n = strcspn(p, "\n");
		snprintf(line, sizeof(line), "%.*s", (int)n, p);
	}
	free(targets);
	struct strbuf sb = {0};
	sb_add(&sb, *notes, (size_t)(at - *notes));
	sb_adds(&sb, line);
	sb_adds(&sb, at + 7);
	free(*notes);
	*notes = sb_detach(&sb);
}

/* The prices: config.json's, then STATE_DIR/prices.json (read at every
 * run start, so an edit applies to the next run). Under a budget every
 * model must have a price. -EINVAL with the reason in err. */
static int load_prices(struct search *s, char *err, size_t errlen)
{
	struct run_ctx *rc = s->rc;
	const char *cfg = rc->cfg.prices;
	int e = cost_table_parse(cfg, cfg ? strlen(cfg) : 0, "config.json", &s->prices, err, errlen);
	if (e)
		return e;
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/prices.json", rc->host->state_dir);
	char *text = NULL;
	size_t len = 0;
	if (ac_read_file(path, &text, &len) == 0) {
		e = cost_table_parse(text, len, path, &s->prices_file, err, errlen);
		free(text);
		if (e)
			return e;
	}
	if (rc->cfg.max_cost <= 0)
		return 0;
	struct llm_model **lists[] = {s->models, s->code_models};
	int counts[] = {s->nmodels, s->ncode};
	for (int l = 0; l < 2; l++)
		for (int i = 0; i < counts[l]; i++) {
			const struct price *p;
			if (!cost_price_of(&s->prices, &s->prices_file, lists[l][i]->spec, &p)) {
				snprintf(err, errlen, "\"max_cost\" needs a price for %s: add it to "
				         "\"prices\" in config.json or to prices.json in the state directory",
				         lists[l][i]->spec);
				return -EINVAL;
			}
		}
	return 0;
}

/* The model settings of the run: each of config.json's keys, else the
 * mount's -o; the pair checked together. -EINVAL with the reason in err. */
static int model_settings(struct search *s, char *err, size_t errlen)
{
	struct run_ctx *rc = s->rc;
	const struct run_host *o = rc->host;
	const char *effort = rc->cfg.reasoning_effort ? rc->cfg.reasoning_effort
	                                              : o->reasoning_effort;
	s->thinking_budget = rc->cfg.thinking_budget > 0 ? rc->cfg.thinking_budget
	                                                 : o->thinking_budget;
	s->max_output_tokens = rc->cfg.max_output_tokens > 0 ? rc->cfg.max_output_tokens
	                                                     : o->max_output_tokens;
	int err_ = config_check_reasoning("config.json with -o", effort, s->thinking_budget,
	                                  s->max_output_tokens, &s->effort, err, errlen);
	if (err_)
		return err_;
	long calls, tokens, reasoning = 0;
	int64_t wall;
	/* a resumed run goes on counting from what its stored calls spent */
	store_call_totals(rc->host->writer, rc->rid, &calls, &tokens, &wall, &reasoning);
	s->reasoning_tokens = reasoning;
	store_call_cost(rc->host->writer, rc->rid, &s->spent);
	return load_prices(s, err, errlen);
}

/* The input (#0) gets its hash too: a model that answers with the input
 * unchanged is recognised as such. */
static void input_hash(struct search *s)
{
	struct run_ctx *rc = s->rc;
	struct cand_row c;
	if (store_cand_get(rc->host->writer, rc->rid, 0, &c))
		return;
	if (!c.code_hash[0]) {
		char h[32];
		if (codehash(c.source, rc->row.input_name, h, sizeof(h)) == 0)
			host_stored(store_cand_set_hash(rc->host->writer, rc->rid, 0, h),
			            "the input's code hash");
	}
	cand_row_clear(&c);
}

/* Combining (every combine_every-th iteration): each beam member is paired
 * with the next one, and each pair gets one plan slot more that asks for
 * both members' optimizations in one candidate; a pair is asked once.
 * Both must be winners: the input is never one of a pair. Fills tasks from k on; returns the new
 * count. */
static int combine_tasks(struct search *s, struct slot_task *tasks, int k)
{
	int every = s->rc->cfg.combine_every;
	if (every <= 0 || s->iteration % every || s->nmembers < 2)
		return k;
	int first = k;
	for (int b = 0; b < s->nmembers; b++) {
		int64_t a = s->members[b], o = s->members[(b + 1) % s->nmembers];
		bool seen = a == 0 || o == 0 || a == o;
		for (int j = first; j < k && !seen; j++)
			seen = tasks[j].parent == o && tasks[j].partner == a;
		if (seen)
			continue;
		tasks[k].parent = a;
		tasks[k].partner = o;
		tasks[k].index = k;
		tasks[k].plan = s->rc->cfg.plans;
		k++;
	}
	return k;
}

/* The menu, the target's notes and the examples the prompts are built
 * from (menus.c, examples.c). */
static void load_material(struct search *s)
{
	struct run_ctx *rc = s->rc;
	char name[300];
	const char *menu_name = rc->cfg.menu ? rc->cfg.menu : rc->target->name;
	snprintf(name, sizeof(name), "%s.menu", menu_name);
	char *menu_raw = menus_read(rc->host->writer, name);
	/* options and notes for one core or for several (text_for_cores) */
	char *menu_text = text_for_cores(menu_raw, rc->topts.cores);
	menu_parse(menu_text ? menu_text : "", &s->menu);
	free(menu_raw);
	free(menu_text);
	if (!s->menu.count)
		run_log(rc, "search: no menu %s (set \"menu\" in config.json); plans choose freely",
		        name);
	snprintf(name, sizeof(name), "%s.md", menu_name);
	char *notes_raw = menus_read(rc->host->writer, name);
	s->notes = text_for_cores(notes_raw, rc->topts.cores);
	free(notes_raw);
	fill_gpu(rc, &s->notes);
	if (rc->cfg.examples_max_bytes > 0) {
		int shown = 0, left = 0;
		s->examples = examples_read(rc->host->writer, menu_name, rc->cfg.examples_max_bytes,
		                           &shown, &left);
		if (shown || left)
			run_log(rc, "search: %d examples from menus/%s.examples/ in the prompts%s", shown,
			        menu_name, left ? " (some left out: over examples_max_bytes)" : "");
		if (left)
			run_log(rc, "search: %d examples left out to stay within examples_max_bytes (%d)",
			        left, rc->cfg.examples_max_bytes);
	}
}

/* The beam search's iterations, from the one after the last stored one.
 * Returns 0, or the -errno of a store write that failed (the search stops:
 * what it found next could not be kept). */
static int iterate(struct search *s)
{
	struct run_ctx *rc = s->rc;
	int64_t last_best = rc->best_time_ns;
	int stale = 0;
	run_log(rc, "search: %d iterations, beam %d, %d plans x %d implementations, models %s%s",
	        rc->cfg.iterations, rc->cfg.beam, rc->cfg.plans, rc->cfg.implementations,
	        s->models[0]->spec, s->nmodels > 1 ? " (+ensemble)" : "");
	int werr = 0;   /* a store write that failed */
	for (s->iteration = rc->row.iteration + 1; s->iteration <= rc->cfg.iterations; s->iteration++) {
		if (run_cancelled(rc) || s->out_of_tokens || s->out_of_candidates || s->out_of_money)
			break;
		search_status(s);
		run_log(rc, "iteration %d/%d: %d parents in the beam", s->iteration,
		        rc->cfg.iterations, s->nmembers);
		int ntasks = s->nmembers * rc->cfg.plans;
		struct slot_task *tasks = calloc((size_t)ntasks + (size_t)s->nmembers,
		                                 sizeof(*tasks));
		if (!tasks)
			break;
		for (int b = 0, k = 0; b < s->nmembers; b++)
			for (int p = 0; p < rc->cfg.plans; p++, k++) {
				tasks[k].parent = s->members[b];
				tasks[k].index = k;
				tasks[k].plan = p;
			}
		int plain = ntasks;
		ntasks = combine_tasks(s, tasks, ntasks);
		if (ntasks > plain)
			run_log(rc, "iteration %d: %d combining plans (pairs of beam members)", s->iteration,
			        ntasks - plain);
		struct iter_ctx ic = {s, tasks};
		run_tasks(ntasks, ntasks < 32 ? ntasks : 32, plan_task, &ic);
		free(tasks);
		if (run_cancelled(rc))
			break;
		next_beam(s);
		/* the iteration is done once the store says so: a resumed run
		 * starts after it */
		werr = store_run_set_progress(rc->host->writer, rc->rid, s->iteration, rc->tokens);
		if (werr)
			break;
		search_status(s);
		if (rc->best_time_ns < last_best) {
			last_best = rc->best_time_ns;
			stale = 0;
		} else if (rc->cfg.early_stop > 0 && ++stale >= rc->cfg.early_stop) {
			run_log(rc, "early stop: %d iterations without improvement", stale);
			s->iteration++;
			break;
		}
	}
	return werr;
}

/* The final status line of a search that ran its course. */
static void say_done(struct search *s, int done_iters)
{
	struct run_ctx *rc = s->rc;
	char best[300];
	char money[120];
	snprintf(money, sizeof(money), "; cost budget reached ($%.4f of $%.2f: the next call "
	         "could exceed it)", s->spent, rc->cfg.max_cost);
	const char *why = s->out_of_tokens ? "; token budget spent"
	                  : s->out_of_candidates ? "; candidate budget reached"
	                  : s->out_of_money ? money : "";
	char reasoning[64];
	pthread_mutex_lock(&s->lock);
	reasoning_words(s, reasoning, sizeof(reasoning));
	pthread_mutex_unlock(&s->lock);
	run_best_words(rc, best, sizeof(best));
	char cost[96];
	pthread_mutex_lock(&s->lock);
	cost_words(s, cost, sizeof(cost));
	pthread_mutex_unlock(&s->lock);
	if (s->out_of_money)
		cost[0] = '\0';
	struct cand_tally t;
	char counted[160];
	run_tally(rc, &t);
	cand_tally_words(&t, counted, sizeof(counted));
	run_status(rc, RS_DONE, "done: %d iterations, %s, %s, %ld tokens%s%s%s",
	           done_iters > rc->cfg.iterations ? rc->cfg.iterations : done_iters,
	           counted, best, rc->tokens, reasoning, cost, why);
}

static int llm_search(struct run_ctx *rc, char *const *model_specs, char *const *code_specs)
{
	struct search s = {0};
	s.rc = rc;
	pthread_mutex_init(&s.lock, NULL);
	char err[512] = "";
	int rc_ = config_models(model_specs, &s.models, &s.nmodels, err, sizeof(err));
	if (!rc_)
		rc_ = config_models(code_specs, &s.code_models, &s.ncode, err, sizeof(err));
	if (!rc_)
		rc_ = model_settings(&s, err, sizeof(err));
	if (rc_) {
		run_status(rc, RS_FAILED, "failed: %s", err);
		run_set_state(rc, RS_FAILED);
		config_models_free(s.models, s.nmodels);
		config_models_free(s.code_models, s.ncode);
		cost_table_clear(&s.prices);
		cost_table_clear(&s.prices_file);
		pthread_mutex_destroy(&s.lock);
		return -EINVAL;
	}
	load_material(&s);
	restore_beam(&s);
	load_steps(&s);
	input_hash(&s);

	int werr = iterate(&s);
	int done_iters = s.iteration - 1;
	if (s.dups)
		run_log(rc, "search: %d candidates had the code of an earlier one: their results were "
		        "reused, not built or timed again (metrics.json: builds_saved)", s.dups);
	if (!werr && !run_cancelled(rc) && rc->cfg.tune)
		tune_beam(rc, s.members, s.nmembers);
	if (!werr && !run_cancelled(rc))
		werr = run_finalists(rc, RS_SEARCHING);
	int perr = store_run_set_progress(rc->host->writer, rc->rid, done_iters, rc->tokens);
	if (!werr)
		werr = perr;
	int result = werr ? werr : run_cancelled(rc) ? -ECANCELED : 0;
	if (!result)
		say_done(&s, done_iters);
	menu_clear(&s.menu);
	free(s.examples);
	cost_table_clear(&s.prices);
	cost_table_clear(&s.prices_file);
	strv_free(s.steps);
	free(s.notes);
	free(s.members);
	free(s.children);
	config_models_free(s.models, s.nmodels);
	config_models_free(s.code_models, s.ncode);
	pthread_mutex_destroy(&s.lock);
	return result;
}

static bool has_knobs(const char *src)
{
	struct knob_set ks;
	char err[200];
	bool yes = knob_parse(src, &ks, err, sizeof(err)) == 0 && ks.count > 0;
	knob_set_clear(&ks);
	return yes;
}

int search_phase(struct run_ctx *rc)
{
	char *const *models = rc->cfg.models ? rc->cfg.models : rc->host->models;
	char *const *code_models = rc->cfg.code_models ? rc->cfg.code_models : models;
	bool have_models = strv_len(models) > 0;
	enum strategy strategy = rc->cfg.strategy;
	bool knobs = has_knobs(rc->row.input);
	char d[192];

	fmt_duration(rc->input_time_ns, d, sizeof(d));
	/* the sizes a generated harness chose stay in the line */
	if (rc->call_sizes[0]) {
		size_t n = strlen(d);
		snprintf(d + n, sizeof(d) - n, " (%s)", rc->call_sizes);
	}
	/* the baseline only: asked for, or nothing else asked for */
	if (strategy == STRATEGY_NONE || (rc->cfg.iterations == 0 && strategy != STRATEGY_TUNE) ||
	    (strategy == STRATEGY_AUTO && !have_models && !rc->cfg.tune)) {
		run_status(rc, RS_DONE, "done: baseline %s; %s", d,
		           strategy == STRATEGY_NONE ? "strategy \"none\": the input only" :
		           rc->cfg.iterations == 0 ? "iterations is 0: the input only" :
		           "no model, and \"tune\" is false: nothing to search");
		return 0;
	}
	if (strategy == STRATEGY_TUNE || (strategy == STRATEGY_AUTO && !have_models)) {
		if (knobs)
			return tune_phase(rc);
		if (strategy == STRATEGY_TUNE)
			run_status(rc, RS_DONE, "done: baseline %s; strategy \"tune\" but the input has no "
			           "knobs (#define NAME VALUE // autocomp-tune: V1 V2 ...)", d);
		else
			run_status(rc, RS_DONE, "done: baseline %s; nothing to search: no model configured "
			           "(set \"models\" in config.json, -o models=... or AUTOCOMP_MODELS) and "
			           "no knobs in the input (#define NAME VALUE // autocomp-tune: V1 V2 ...)", d);
		return 0;
	}
	if (!have_models) {
		run_status(rc, RS_FAILED, "failed: strategy \"llm\" needs a model (set \"models\" in "
		           "config.json, -o models=... or AUTOCOMP_MODELS)");
		run_set_state(rc, RS_FAILED);
		return -EINVAL;
	}
	return llm_search(rc, models, code_models);
}
