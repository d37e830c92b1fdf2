/*
 * prompt.c - the words the engine says to a model: the plan, implement,
 * plan+implement and repair prompts of the Autocomp method, the menu
 * parser, option dropout and recognising which option a plan chose.
 *
 * Pure text, no I/O: the caller brings the target notes, the menu, the
 * parent's code and measured times, and a seeded generator for dropout,
 * so the same seed gives the same prompts. Every prompt starts with the
 * fixed marker lines declared in prompt.h ("## Phase: ...", "## Kernel:
 * ...") and lists each offered option as "- [N] text", N counting from 1
 * in the full menu; tools/mock-llm and the tests match on exactly these.
 * Deciding what to ask (which parent, when to invent, when to repair) is
 * the search's business, not this file's.
 */
#include "engine/llm/prompt.h"

#include "engine/util/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How much of a failed candidate's build/run output a repair prompt shows. */
#define REPAIR_LOG_HEAD 3072
#define REPAIR_LOG_TAIL 1024

uint64_t prompt_rng_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

double prompt_rng_unit(uint64_t *state)
{
	return (double)(prompt_rng_next(state) >> 11) * 0x1.0p-53;
}

char *text_for_cores(const char *text, int cores)
{
	struct strbuf sb = {0};
	int rc = 0;

	if (!text)
		return NULL;
	for (const char *p = text; *p && !rc;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) + 1 : strlen(p);
		const char *line = p;

		p += len;
		if (!strncmp(line, "@one-core ", 10)) {
			if (cores > 1)
				continue;
			line += 10;
			len -= 10;
		} else if (!strncmp(line, "@cores ", 7)) {
			if (cores <= 1)
				continue;
			line += 7;
			len -= 7;
		}
		for (size_t i = 0; i < len && !rc;) {
			const char *mark = memmem(line + i, len - i, "{cores}", 7);
			size_t upto = mark ? (size_t)(mark - line) : len;

			rc |= sb_add(&sb, line + i, upto - i);
			if (mark)
				rc |= sb_addf(&sb, "%d", cores);
			i = mark ? upto + 7 : len;
		}
	}
	if (rc) {
		sb_release(&sb);
		return NULL;
	}
	return sb.len ? sb_detach(&sb) : strdup("");
}

void menu_clear(struct menu *m)
{
	if (!m)
		return;
	strv_free(m->options);
	m->options = NULL;
	m->count = 0;
}

int menu_parse(const char *text, struct menu *out)
{
	out->options = NULL;
	out->count = 0;
	const char *p = text ? text : "";
	while (*p) {
		const char *nl = strchr(p, '\n');
		const char *end = nl ? nl : p + strlen(p);
		const char *s = p;
		p = nl ? nl + 1 : end;
		while (s < end && isspace((unsigned char)*s))
			s++;
		while (end > s && isspace((unsigned char)end[-1]))
			end--;
		if (s == end || *s == '#')
			continue;
		if (strv_addn(&out->options, s, (size_t)(end - s))) {
			menu_clear(out);
			return -ENOMEM;
		}
		out->count++;
	}
	return 0;
}

/* The language tag of a code fence for a file name ("input.cu" -> "cuda"). */
static const char *fence_lang(const char *file_name)
{
	static const struct {
		const char *ext;
		const char *lang;
	} langs[] = {
		{".c", "c"}, {".h", "c"}, {".cu", "cuda"}, {".cuh", "cuda"},
		{".cc", "cpp"}, {".cpp", "cpp"}, {".cxx", "cpp"}, {".hpp", "cpp"},
		{".cl", "opencl"}, {".py", "python"}, {".s", "asm"}, {".S", "asm"},
	};
	const char *dot = file_name ? strrchr(file_name, '.') : NULL;
	if (!dot)
		return "";
	for (size_t i = 0; i < sizeof(langs) / sizeof(langs[0]); i++)
		if (!strcmp(dot, langs[i].ext))
			return langs[i].lang;
	return "";
}

/* Appends code in a fence longer than any backtick run inside it. */
static int add_fenced(struct strbuf *sb, const char *code, const char *file_name)
{
	size_t longest = 0;
	size_t run = 0;
	for (const char *p = code; *p; p++) {
		run = *p == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	char fence[64];
	size_t n = longest >= 3 ? longest + 1 : 3;
	if (n >= sizeof(fence))
		n = sizeof(fence) - 1;
	memset(fence, '`', n);
	fence[n] = '\0';
	size_t len = strlen(code);
	bool nl = len > 0 && code[len - 1] == '\n';
	return sb_addf(sb, "%s%s\n%s%s%s\n", fence, fence_lang(file_name), code,
		       nl ? "" : "\n", fence);
}

/* Formats a time in ns as milliseconds for a prompt. */
static void fmt_ms(double ns, char *buf, size_t len)
{
	snprintf(buf, len, "%.4g ms", ns / 1e6);
}

/* The marker lines and the opening paragraph shared by every prompt. */
static int add_header(struct strbuf *sb, const struct prompt_ctx *ctx, const char *phase)
{
	int rc = 0;
	rc |= sb_addf(sb, "## Phase: %s\n", phase);
	rc |= sb_addf(sb, "## Kernel: %s\n", ctx->kernel ? ctx->kernel : "kernel");
	if (ctx->other_num > 0)
		rc |= sb_addf(sb, "## Combine: #%lld + #%lld\n", (long long)ctx->parent_num,
		              (long long)ctx->other_num);
	rc |= sb_addf(sb, "## Target: %s\n\n", ctx->target ? ctx->target : "cpu");
	rc |= sb_adds(sb,
		"You are an expert performance engineer. We are making a kernel "
		"faster one step at a time: every step applies exactly one "
		"optimization, and every version is compiled, checked against the "
		"original for correctness and timed on the real hardware. The "
		"fastest correct versions are kept and improved further.\n\n");
	if (ctx->iterations > 0)
		rc |= sb_addf(sb, "This is phase %d of %d.\n\n",
			      ctx->iteration > 0 ? ctx->iteration : 1, ctx->iterations);
	if (ctx->notes && *ctx->notes) {
		size_t nl = strlen(ctx->notes);
		rc |= sb_adds(sb, "### About the target\n\n");
		rc |= sb_adds(sb, ctx->notes);
		rc |= sb_adds(sb, nl && ctx->notes[nl - 1] == '\n' ? "\n" : "\n\n");
	}
	return rc ? -ENOMEM : 0;
}

/* The parent's code with its measured time and speedup. */
static int add_parent(struct strbuf *sb, const struct prompt_ctx *ctx)
{
	char t[64];
	char t0[64];
	const char *file = ctx->file_name ? ctx->file_name : "the kernel file";
	int rc = sb_addf(sb, "### Current code (%s)\n\n", file);
	if (ctx->parent_time_ns > 0) {
		fmt_ms(ctx->parent_time_ns, t, sizeof(t));
		rc |= sb_addf(sb, "This version is correct and runs in %s", t);
		if (ctx->input_time_ns > 0) {
			fmt_ms(ctx->input_time_ns, t0, sizeof(t0));
			rc |= sb_addf(sb, ", a speedup of %.2fx over the original input (%s)",
				      ctx->input_time_ns / ctx->parent_time_ns, t0);
		}
		rc |= sb_adds(sb, ".\n\n");
	} else {
		rc |= sb_adds(sb, "This version has not been timed yet.\n\n");
	}
	if (ctx->call && *ctx->call)
		rc |= sb_addf(sb, "The call that is timed: %s.\n\n", ctx->call);
	rc |= add_fenced(sb, ctx->parent_code ? ctx->parent_code : "", ctx->file_name);
	rc |= sb_adds(sb, "\n");
	return rc ? -ENOMEM : 0;
}

/* The parent's hardware figures ({"util":0.5,...}) as "- util: 0.5" lines.
 * Only names and numbers pass (the report parser checked them). */
static int add_metrics(struct strbuf *sb, const struct prompt_ctx *ctx)
{
	const char *m = ctx->parent_metrics;
	if (!m || m[0] != '{' || m[1] == '}')
		return 0;
	int rc = sb_adds(sb, "### Hardware figures\n\nWhat the hardware reported for the "
	                 "current code, besides its time:\n\n");
	const char *p = m + 1;
	while (*p && *p != '}') {
		if (*p != '"')
			break;
		const char *e = strchr(p + 1, '"');
		if (!e || e[1] != ':')
			break;
		const char *v = e + 2;
		size_t vn = strcspn(v, ",}");
		rc |= sb_addf(sb, "- %.*s: %.*s\n", (int)(e - p - 1), p + 1, (int)vn, v);
		p = v + vn;
		if (*p == ',')
			p++;
	}
	rc |= sb_adds(sb, "\nUse them to judge where the time goes.\n\n");
	return rc ? -ENOMEM : 0;
}

/* A combine prompt: the second beam member's code and both plans. */
static int add_other(struct strbuf *sb, const struct prompt_ctx *ctx)
{
	if (ctx->other_num <= 0)
		return 0;
	char t[64] = "";
	if (ctx->other_time_ns > 0)
		fmt_ms(ctx->other_time_ns, t, sizeof(t));
	int rc = sb_addf(sb, "### Another fast version (#%lld)%s%s\n\n", (long long)ctx->other_num,
	                 t[0] ? ", correct, runs in " : "", t);
	rc |= add_fenced(sb, ctx->other_code ? ctx->other_code : "", ctx->file_name);
	rc |= sb_addf(sb, "\nThe current code (#%lld) came from this plan:\n\n%s\n\n"
	              "Version #%lld came from this plan:\n\n%s\n\n",
	              (long long)ctx->parent_num,
	              ctx->parent_plan && *ctx->parent_plan ? ctx->parent_plan : "(the original input)",
	              (long long)ctx->other_num,
	              ctx->other_plan && *ctx->other_plan ? ctx->other_plan : "(no plan recorded)");
	return rc ? -ENOMEM : 0;
}

/* In-context examples: short before/after pairs for this target. */
static int add_examples(struct strbuf *sb, const struct prompt_ctx *ctx)
{
	if (!ctx->examples || !*ctx->examples)
		return 0;
	return sb_addf(sb, "### Examples\n\nOptimizations that worked on this target, as code "
	               "before and after:\n\n%s\n", ctx->examples) ? -ENOMEM : 0;
}

/* The rules every phase shares; planning adds "no code yet". Numbered. */
static int add_rules(struct strbuf *sb, bool planning)
{
	static const char *const common[] = {
		"Keep the signature of every function the test harness calls, and "
		"its meaning: the same results, up to floating-point rounding, for "
		"every valid input, not only for the sizes that are timed.",
		"Do not call or copy from the reference implementation (functions "
		"named ref_...), and do not cache results from one call to the next.",
		"Do not read timers, clocks, environment variables or files, and do "
		"not try to detect or influence the measurement.",
		"Correctness comes first: a faster version with wrong results is "
		"thrown away, so prefer a change you are sure of.",
	};
	int rc = sb_adds(sb, "### Rules\n\n");
	int k = 1;
	for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		rc |= sb_addf(sb, "%d. %s\n", k++, common[i]);
	if (planning) {
		rc |= sb_addf(sb, "%d. Do not write code in this phase: describe the "
			      "change in words; the code is written in the next phase.\n", k++);
		rc |= sb_addf(sb, "%d. Be concrete: name the loops, arrays and sizes that "
			      "change and how (tile sizes, unroll factors, data layout, "
			      "which values stay in registers).\n", k++);
		rc |= sb_addf(sb, "%d. Start your answer with the number of the option you "
			      "chose in brackets, for example \"[3]\", or \"[0]\" for an "
			      "idea of your own.\n", k++);
	} else {
		rc |= sb_addf(sb, "%d. Apply the plan and only the plan; leave the rest "
			      "of the code as it is.\n", k++);
		rc |= sb_addf(sb, "%d. Keep the file complete and self-contained: every "
			      "#include, type and helper it needs.\n", k++);
	}
	rc |= sb_adds(sb, "\n");
	return rc ? -ENOMEM : 0;
}

/* Draws the options kept by dropout: each with probability keep, at least
 * one. Returns a new array of count flags or NULL on OOM. */
static bool *draw_options(const struct prompt_ctx *ctx, uint64_t *rng)
{
	int count = ctx->menu ? ctx->menu->count : 0;
	bool *kept = calloc((size_t)(count > 0 ? count : 1), sizeof(*kept));
	if (!kept || count == 0)
		return kept;
	double keep = ctx->keep > 0 ? ctx->keep : 0.25;
	int n = 0;
	for (int i = 0; i < count; i++) {
		kept[i] = prompt_rng_unit(rng) < keep;
		n += kept[i];
	}
	if (n == 0)
		kept[prompt_rng_next(rng) % (uint64_t)count] = true;
	return kept;
}

/* The menu section of a plan prompt and the "offered" list. */
static int add_menu(struct strbuf *sb, const struct prompt_ctx *ctx, uint64_t *rng,
                    char **offered)
{
	bool *kept = draw_options(ctx, rng);
	if (!kept)
		return -ENOMEM;
	struct strbuf off = {0};
	int rc = 0;
	if (ctx->invent)
		rc |= sb_adds(sb, "### Optimizations already known\n\n"
			      "These are listed so that you know what is covered; this "
			      "time, look beyond them.\n\n");
	else
		rc |= sb_adds(sb, "### Optimization menu\n\n");
	int count = ctx->menu ? ctx->menu->count : 0;
	for (int i = 0; i < count; i++) {
		if (!kept[i])
			continue;
		rc |= sb_addf(sb, "- [%d] %s\n", i + 1, ctx->menu->options[i]);
		rc |= sb_addf(&off, "[%d] %s\n", i + 1, ctx->menu->options[i]);
	}
	rc |= sb_adds(sb, "- [0] other: a different optimization of your own\n\n");
	free(kept);
	if (rc) {
		sb_release(&off);
		return -ENOMEM;
	}
	if (offered) {
		*offered = sb_detach(&off);
		if (!*offered)
			return -ENOMEM;
	} else {
		sb_release(&off);
	}
	return 0;
}

/* The schedule-reuse hint, if any. */
static int add_steer(struct strbuf *sb, const struct prompt_ctx *ctx)
{
	if (!ctx->steer || !*ctx->steer)
		return 0;
	return sb_addf(sb, "### A step that worked on a similar kernel\n\n%s\n\n"
		       "Prefer this step if it applies to the code above.\n\n",
		       ctx->steer) ? -ENOMEM : 0;
}

/* The task paragraph of a plan prompt. */
static int add_plan_task(struct strbuf *sb, const struct prompt_ctx *ctx)
{
	if (ctx->other_num > 0)
		return sb_addf(sb,
			"### Your task\n\n"
			"Versions #%lld (the current code) and #%lld are both correct and "
			"fast, each thanks to different optimizations. Plan one new version "
			"that applies both: start from the current code and describe "
			"precisely how to bring in what makes #%lld fast, so that the "
			"result keeps the gains of both. Answer with the menu number of "
			"the main optimization you add, or [0].\n\n",
			(long long)ctx->parent_num, (long long)ctx->other_num,
			(long long)ctx->other_num) ? -ENOMEM : 0;
	if (ctx->invent)
		return sb_adds(sb,
			"### Your task\n\n"
			"Invent one optimization that is not on the list above and "
			"that would make this code faster on this target: choose "
			"exactly one, answer with [0], explain why it helps here and "
			"describe precisely how to change the code.\n\n") ? -ENOMEM : 0;
	return sb_adds(sb,
		"### Your task\n\n"
		"Choose exactly one optimization from the menu, the one you expect "
		"to speed this code up the most, explain briefly why it helps here, "
		"and describe precisely how to change the code to apply it.\n\n")
		? -ENOMEM : 0;
}

/* The reply-format paragraph of prompts that ask for code. */
static int add_code_format(struct strbuf *sb, const struct prompt_ctx *ctx, const char *what)
{
	const char *file = ctx->file_name ? ctx->file_name : "the kernel file";
	if (ctx->edits)
		return sb_addf(sb,
			"### Reply format\n\n"
			"Reply with search/replace edits to %s, one block per change:\n\n"
			"<<<<<<< SEARCH\n"
			"lines copied exactly from the code\n"
			"=======\n"
			"the lines that replace them\n"
			">>>>>>> REPLACE\n\n"
			"Each SEARCH part must match exactly one place in the code, "
			"including indentation; make it long enough to be unique. "
			"Edits are applied in order.\n", what) ? -ENOMEM : 0;
	return sb_addf(sb,
		"### Reply format\n\n"
		"Reply with the complete new contents of %s in one fenced code "
		"block. Only the last fenced block of your reply is used, so do "
		"not add other code blocks after it.\n", file) ? -ENOMEM : 0;
}

/* Ends a prompt: the rules (for planning or for code) and, when code
 * names what the model rewrites ("the current code"), the format of the
 * code it returns. rc is the building's so far: the text, or NULL (sb
 * released) when rc is not 0 or memory ran out. */
static char *finish_prompt(struct strbuf *sb, int rc, const struct prompt_ctx *ctx,
                           bool planning, const char *code)
{
	if (!rc)
		rc = add_rules(sb, planning);
	if (!rc && code)
		rc = add_code_format(sb, ctx, code);
	if (rc) {
		sb_release(sb);
		return NULL;
	}
	return sb_detach(sb);
}

/* Builds the plan or plan+implement prompt. */
static char *plan_prompt(const struct prompt_ctx *ctx, uint64_t *rng, char **offered,
                         bool implement)
{
	struct strbuf sb = {0};
	uint64_t local = 0;
	if (offered)
		*offered = NULL;
	if (!rng)
		rng = &local;
	int rc = add_header(&sb, ctx, implement ? "plan+implement" : "plan");
	if (!rc)
		rc = add_parent(&sb, ctx);
	if (!rc)
		rc = add_metrics(&sb, ctx);
	if (!rc)
		rc = add_other(&sb, ctx);
	if (!rc)
		rc = add_menu(&sb, ctx, rng, offered);
	if (!rc)
		rc = add_examples(&sb, ctx);
	if (!rc)
		rc = add_steer(&sb, ctx);
	if (!rc)
		rc = add_plan_task(&sb, ctx);
	if (!rc && implement)
		rc = sb_adds(&sb, "Then apply it: after the plan, write the new "
			     "code.\n\n") ? -ENOMEM : 0;
	char *text = finish_prompt(&sb, rc, ctx, !implement, implement ? "the current code" : NULL);
	if (!text && offered) {
		free(*offered);
		*offered = NULL;
	}
	return text;
}

char *prompt_plan(const struct prompt_ctx *ctx, uint64_t *rng, char **offered)
{
	return plan_prompt(ctx, rng, offered, false);
}

char *prompt_plan_implement(const struct prompt_ctx *ctx, uint64_t *rng, char **offered)
{
	return plan_prompt(ctx, rng, offered, true);
}

char *prompt_implement(const struct prompt_ctx *ctx, const char *plan)
{
	struct strbuf sb = {0};
	int rc = add_header(&sb, ctx, "implement");
	if (!rc)
		rc = add_parent(&sb, ctx);
	if (!rc && ctx->other_num > 0) {
		rc = sb_addf(&sb, "### Version #%lld, whose optimization the plan brings in\n\n",
		             (long long)ctx->other_num) ? -ENOMEM : 0;
		if (!rc)
			rc = add_fenced(&sb, ctx->other_code ? ctx->other_code : "", ctx->file_name);
		if (!rc)
			rc = sb_adds(&sb, "\n") ? -ENOMEM : 0;
	}
	if (!rc)
		rc = add_examples(&sb, ctx);
	if (!rc)
		rc = sb_addf(&sb, "### The plan\n\n%s\n\n### Your task\n\n"
			     "Rewrite the code above to apply this plan.\n\n",
			     plan ? plan : "") ? -ENOMEM : 0;
	return finish_prompt(&sb, rc, ctx, false, "the current code");
}

/* Moves a cut point in text back so it does not split a UTF-8 sequence. */
static size_t utf8_boundary(const char *text, size_t at)
{
	while (at > 0 && ((unsigned char)text[at] & 0xC0) == 0x80)
		at--;
	return at;
}

/* Appends a build/run log, keeping its head and tail when it is long. */
static int add_log(struct strbuf *sb, const char *log)
{
	size_t len = strlen(log);
	int rc = sb_adds(sb, "```\n");
	if (len <= REPAIR_LOG_HEAD + REPAIR_LOG_TAIL) {
		rc |= sb_adds(sb, log);
	} else {
		size_t head = utf8_boundary(log, REPAIR_LOG_HEAD);
		size_t tail = utf8_boundary(log, len - REPAIR_LOG_TAIL);
		rc |= sb_add(sb, log, head);
		rc |= sb_addf(sb, "\n[... %zu bytes left out ...]\n", tail - head);
		rc |= sb_adds(sb, log + tail);
	}
	if (len > 0 && log[len - 1] != '\n')
		rc |= sb_adds(sb, "\n");
	rc |= sb_adds(sb, "```\n\n");
	return rc ? -ENOMEM : 0;
}

char *prompt_repair(const struct prompt_ctx *ctx, const char *plan,
                    const char *failed_code, const char *error_log)
{
	struct strbuf sb = {0};
	int rc = add_header(&sb, ctx, "repair");
	if (!rc && plan && *plan)
		rc = sb_addf(&sb, "### The plan that was being applied\n\n%s\n\n", plan)
			? -ENOMEM : 0;
	if (!rc)
		rc = sb_addf(&sb, "### The code that failed (%s)\n\n",
			     ctx->file_name ? ctx->file_name : "the kernel file") ? -ENOMEM : 0;
	if (!rc)
		rc = add_fenced(&sb, failed_code ? failed_code : "", ctx->file_name)
			? -ENOMEM : 0;
	if (!rc)
		rc = sb_adds(&sb, "\n### What building and running it printed (its own output, "
		             "quoted; the judge's verdict is the report line)\n\n")
			? -ENOMEM : 0;
	if (!rc)
		rc = add_log(&sb, error_log ? error_log : "");
	if (!rc)
		rc = sb_adds(&sb, "### Your task\n\n"
			     "Find the cause of the failure and fix it, keeping the "
			     "optimization of the plan where you can. If the plan "
			     "cannot be made correct, undo it.\n\n") ? -ENOMEM : 0;
	return finish_prompt(&sb, rc, ctx, false, "the failed code above");
}

/* Case-insensitive strstr. */
static const char *find_ci(const char *hay, const char *needle, size_t nlen)
{
	if (nlen == 0)
		return NULL;
	for (const char *p = hay; *p; p++)
		if (!strncasecmp(p, needle, nlen))
			return p;
	return NULL;
}

/* The short name of an option: its text up to the first ':', " (" or
 * " - ", so "loop tiling: split loops..." is named by "loop tiling". */
static size_t option_head(const char *opt)
{
	size_t len = strlen(opt);
	const char *cut[] = {":", " (", " - ", ";"};
	for (size_t i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
		const char *p = strstr(opt, cut[i]);
		if (p && (size_t)(p - opt) < len)
			len = (size_t)(p - opt);
	}
	return len;
}

int prompt_plan_option(const struct menu *menu, const char *plan)
{
	if (!plan)
		return -1;
	int count = menu ? menu->count : 0;
	for (const char *p = strchr(plan, '['); p; p = strchr(p + 1, '[')) {
		const char *q = p + 1;
		while (*q == ' ')
			q++;
		if (!isdigit((unsigned char)*q))
			continue;
		char *end;
		long n = strtol(q, &end, 10);
		while (*end == ' ')
			end++;
		if (*end != ']')
			continue;
		if (n == 0)
			return -1;
		if (n >= 1 && n <= count)
			return (int)n - 1;
	}
	/* No number: the option whose text (or short name) appears first. */
	int best = -1;
	const char *best_at = NULL;
	for (int pass = 0; pass < 2 && best < 0; pass++) {
		for (int i = 0; i < count; i++) {
			const char *opt = menu->options[i];
			size_t len = pass == 0 ? strlen(opt) : option_head(opt);
			if (pass == 1 && len < 6)
				continue;
			const char *at = find_ci(plan, opt, len);
			if (at && (!best_at || at < best_at)) {
				best = i;
				best_at = at;
			}
		}
	}
	return best;
}
