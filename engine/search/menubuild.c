/*
 * menubuild.c - menus from documentation: documents to text, parts that
 * fit the context, the planning model's notes and menu, the result stored
 * as a user's edit of menus/ (the flow is in menubuild.h).
 *
 * It does not decide what a search uses: a built menu is an ordinary
 * stored menu file, used by searches that start after it was written (and
 * after the user has read or changed it). One build at a time per
 * process; a build runs on its own thread and never blocks a FUSE call.
 */
#include "engine/search/menubuild.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/core/config.h"
#include "engine/core/host.h"
#include "engine/core/store.h"
#include "engine/llm/llm.h"
#include "engine/util/util.h"
#include "targets/exec/fileio.h"

#define PDF_TIMEOUT_S 120
#define DOC_MAX_BYTES (4 * 1024 * 1024)

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char state[600];
static bool running;
static bool joinable;
static pthread_t thread;
static atomic_int cancel;

struct job {
	struct run_host *e;
	char *name;    /* NULL: every NAME.docs/ */
};

static void set_state(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void set_state(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	pthread_mutex_lock(&lock);
	vsnprintf(state, sizeof(state), fmt, ap);
	pthread_mutex_unlock(&lock);
	va_end(ap);
}

char *menubuild_state(struct run_host *e)
{
	(void)e;
	pthread_mutex_lock(&lock);
	char *s = strdup(state);
	pthread_mutex_unlock(&lock);
	return s;
}

/* ---- pure parts ---- */

int menubuild_split(const char *text, size_t max, char ***parts)
{
	size_t len = strlen(text);
	char **v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	int n = 0;
	size_t at = 0;
	while (at < len) {
		size_t end = len - at <= max ? len : at + max;
		if (end < len) {
			/* a blank line, else a newline, in the last quarter */
			size_t lo = at + max * 3 / 4, cut = 0;
			for (size_t i = end; i > lo && !cut; i--)
				if (text[i - 1] == '\n' && i >= 2 && text[i - 2] == '\n')
					cut = i;
			for (size_t i = end; i > lo && !cut; i--)
				if (text[i - 1] == '\n')
					cut = i;
			/* never inside a UTF-8 sequence */
			if (!cut)
				while (end > at + 1 && ((unsigned char)text[end] & 0xC0) == 0x80)
					end--;
			if (cut)
				end = cut;
		}
		if (strv_addn(&v, text + at, end - at)) {
			strv_free(v);
			return -ENOMEM;
		}
		n++;
		at = end;
	}
	*parts = v;
	return n;
}

char *menubuild_notes_prompt(const char *name, const char *part, int i, int n)
{
	struct strbuf sb = {0};
	sb_addf(&sb, "## Phase: docs\n## Menu: %s\n\n", name);
	sb_addf(&sb, "You are an expert performance engineer reading the documentation of the "
	        "\"%s\" accelerator, to write an optimization menu for it later. This is part %d "
	        "of %d of the documents.\n\n", name, i, n);
	sb_adds(&sb, "### Your task\n\nWrite down, in at most 600 words, everything in this part "
	        "that matters for making kernels fast on this hardware: its memories and their "
	        "sizes, bandwidths and latencies, the compute units and their data types, the "
	        "instructions or intrinsics that move data or compute, what stalls or serializes "
	        "them, limits and alignment rules, and any advice the authors give. Plain "
	        "sentences or bullet points; no code.\n\n### The documents, part ");
	sb_addf(&sb, "%d of %d\n\n%s\n", i, n, part);
	return sb_detach(&sb);
}

char *menubuild_menu_prompt(const char *name, const char *material, const char *why_again)
{
	struct strbuf sb = {0};
	sb_addf(&sb, "## Phase: menu\n## Menu: %s\n\n", name);
	sb_addf(&sb, "You are an expert performance engineer. From the documentation of the \"%s\" "
	        "accelerator below, write the two files that guide an LLM-driven search for "
	        "faster kernels on it: every step of the search picks one optimization from a "
	        "menu and rewrites the code to apply it.\n\n", name);
	sb_addf(&sb, "### Reply format\n\nReply with exactly two fenced code blocks.\n\n"
	        "1. ```menu — the optimization menu: one optimization per line, %d to %d lines, "
	        "each a short imperative phrase specific to this hardware where it can be "
	        "(\"keep the weights in the scratchpad across the outer loop\"), the generic ones "
	        "(tiling, unrolling, fusion, double buffering, software pipelining, hoisting) "
	        "phrased for it. No numbering, no blank lines.\n"
	        "2. ```markdown — the target notes every prompt shows: the architecture in "
	        "short (memories, sizes, compute units, data types), how code drives it, and "
	        "numbered rules a correct, fast kernel follows. At most 600 words.\n\n",
	        MENUBUILD_MIN_OPTIONS, MENUBUILD_MAX_OPTIONS);
	if (why_again)
		sb_addf(&sb, "### Your last answer could not be used\n\n%s. Answer again in the "
		        "format above.\n\n", why_again);
	sb_addf(&sb, "### The documentation\n\n%s\n", material);
	return sb_detach(&sb);
}

/* The body of the k-th fenced block (0-based) of text, or NULL. */
static char *fenced(const char *text, int k)
{
	const char *p = text;
	for (int i = 0;; i++) {
		const char *open = strstr(p, "```");
		if (!open)
			return NULL;
		const char *body = strchr(open, '\n');
		if (!body)
			return NULL;
		body++;
		const char *close = strstr(body, "\n```");
		const char *end = close ? close + 1 : body + strlen(body);
		if (!close && strncmp(body, "```", 3))
			close = NULL;
		if (i == k)
			return strndup(body, (size_t)(end - body));
		if (!close)
			return NULL;
		p = close + 4;
		p += strcspn(p, "\n");
	}
}

int menubuild_parse_reply(const char *reply, char **menu, char **notes, int *options,
                          char *why, size_t len)
{
	*menu = *notes = NULL;
	*options = 0;
	char *m = fenced(reply ? reply : "", 0);
	char *d = fenced(reply ? reply : "", 1);
	if (!m || !d) {
		snprintf(why, len, "the answer does not hold two fenced blocks (the menu, then the "
		         "notes)");
		free(m);
		free(d);
		return -EINVAL;
	}
	/* one option a line: list markers and numbers a model adds go */
	struct strbuf sb = {0};
	int n = 0;
	for (char *line = m; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		char *s = line;
		while (*s == ' ' || *s == '\t' || *s == '-' || *s == '*')
			s++;
		char *t = s;
		while (*t >= '0' && *t <= '9')
			t++;
		if (t > s && (*t == '.' || *t == ')'))
			s = t + 1;
		while (*s == ' ' || *s == '\t')
			s++;
		size_t l = strlen(s);
		while (l && (s[l - 1] == ' ' || s[l - 1] == '\r' || s[l - 1] == '\t'))
			s[--l] = '\0';
		if (l && s[0] != '#') {
			sb_addf(&sb, "%s\n", s);
			n++;
		}
		line = nl ? nl + 1 : NULL;
	}
	free(m);
	if (n < MENUBUILD_MIN_OPTIONS || n > MENUBUILD_MAX_OPTIONS) {
		snprintf(why, len, "the menu has %d options; %d to %d are wanted", n,
		         MENUBUILD_MIN_OPTIONS, MENUBUILD_MAX_OPTIONS);
		sb_release(&sb);
		free(d);
		return -EINVAL;
	}
	*menu = sb_detach(&sb);
	*notes = d;
	*options = n;
	return 0;
}

/* ---- documents to text ---- */

static bool has_ext(const char *name, const char *ext)
{
	size_t n = strlen(name), m = strlen(ext);
	return n > m && !strcasecmp(name + n - m, ext);
}

/* pdftotext (poppler-utils) in its own process group, with a time limit.
 * 0 and the text, or -errno with why. */
static int pdf_text(const char *data, size_t size, char **out, char *why, size_t len)
{
	char dir[] = "/tmp/autocompfs-pdf.XXXXXX";
	if (!mkdtemp(dir)) {
		snprintf(why, len, "cannot make a temporary directory: %s", strerror(errno));
		return -errno;
	}
	char in[64], txt[64];
	snprintf(in, sizeof(in), "%s/in.pdf", dir);
	snprintf(txt, sizeof(txt), "%s/out.txt", dir);
	int rc = write_file_atomic(in, data, size, 0600);
	pid_t pid = rc ? -1 : fork();
	if (pid == 0) {
		setpgid(0, 0);
		int null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
		}
		execlp("pdftotext", "pdftotext", "-layout", "-enc", "UTF-8", in, txt, (char *)NULL);
		_exit(127);
	}
	int status = 0;
	bool timed_out = false;
	if (pid > 0) {
		setpgid(pid, pid);
		int64_t t0 = mono_ns();
		while (waitpid(pid, &status, WNOHANG) == 0) {
			if (mono_ns() - t0 > (int64_t)PDF_TIMEOUT_S * 1000000000 || atomic_load(&cancel)) {
				kill(-pid, SIGKILL);
				waitpid(pid, &status, 0);
				timed_out = true;
				break;
			}
			usleep(20000);
		}
	}
	*out = NULL;
	if (rc || pid < 0) {
		snprintf(why, len, "cannot run pdftotext: %s", strerror(rc ? -rc : errno));
		rc = rc ? rc : -errno;
	} else if (timed_out) {
		snprintf(why, len, "pdftotext took more than %d s", PDF_TIMEOUT_S);
		rc = -ETIMEDOUT;
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
		snprintf(why, len, "pdftotext not found: install poppler-utils");
		rc = -ENOENT;
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(why, len, "pdftotext could not read it (exit %d)",
		         WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
		rc = -EINVAL;
	} else {
		rc = ac_read_file(txt, out, NULL);
		if (rc)
			snprintf(why, len, "pdftotext wrote nothing");
	}
	unlink(in);
	unlink(txt);
	rmdir(dir);
	return rc;
}

/* The documents of dir as one text, each under a "=== FILE ===" line. */
static int docs_text(struct run_host *e, const char *dir, char **out, int *ndocs)
{
	struct file_row *rows;
	int n;
	int rc = store_file_list(e->writer, STORE_MENUS_KERNEL, true, &rows, &n);
	if (rc)
		return rc;
	struct strbuf sb = {0};
	size_t dl = strlen(dir);
	*ndocs = 0;
	for (int i = 0; i < n; i++) {
		const char *name = rows[i].name;
		if (strncmp(name, dir, dl) || name[dl] != '/' || !name[dl + 1])
			continue;
		const char *leaf = name + dl + 1;
		char *text = NULL;
		char why[300] = "";
		if (has_ext(leaf, ".pdf")) {
			if (pdf_text(rows[i].data, rows[i].size, &text, why, sizeof(why))) {
				host_log(e, STORE_MENUS_KERNEL, "menus: %s: skipped: %s", name, why);
				continue;
			}
		} else if (memchr(rows[i].data, '\0', rows[i].size)) {
			host_log(e, STORE_MENUS_KERNEL, "menus: %s: skipped: not text (PDF, plain text "
			           "and Markdown are read)", name);
			continue;
		} else {
			text = strndup(rows[i].data, rows[i].size);
		}
		if (!text)
			continue;
		sb_addf(&sb, "=== %s ===\n\n%s\n\n", leaf, text);
		free(text);
		(*ndocs)++;
		if (sb.len > DOC_MAX_BYTES) {
			host_log(e, STORE_MENUS_KERNEL, "menus: %s: the documents pass %d MiB; the "
			           "rest is left out", dir, DOC_MAX_BYTES >> 20);
			break;
		}
	}
	file_rows_free(rows, n);
	*out = sb_detach(&sb);
	return *out ? 0 : -ENOMEM;
}

/* ---- the model ---- */

/* One call; 0 and the text, or -errno with the reason logged. */
static int ask(struct run_host *e, const struct llm_model *m, const char *prompt, char **text)
{
	const struct run_host *o = e;
	struct llm_request req = {
		.model = m,
		.prompt = prompt,
		.temperature = 1.0,
		.max_tokens = o->max_output_tokens,
		.reasoning_effort = o->reasoning_effort,
		.thinking_budget = o->thinking_budget,
	};
	struct llm_reply r = {0};
	int rc = llm_complete(e->llm, &req, &r, &cancel, NULL, NULL);
	host_add_tokens(e, r.prompt_tokens + r.completion_tokens);
	*text = NULL;
	if (rc) {
		host_log(e, STORE_MENUS_KERNEL, "menus: %s: %s", m->spec,
		           r.error ? r.error : strerror(-rc));
	} else {
		*text = r.text;
		r.text = NULL;
	}
	llm_reply_clear(&r);
	return rc;
}

static void fail(struct run_host *e, const char *name, const char *why)
{
	host_log(e, STORE_MENUS_KERNEL, "menus: %s: failed: %s", name, why);
	set_state("%s: failed: %s", name, why);
}

/* Builds one menu; logs and sets the state on the way. */
static void build_one(struct run_host *e, const struct llm_model *m, const char *name)
{
	char dir[300];
	snprintf(dir, sizeof(dir), "%s.docs", name);
	char *text = NULL;
	int ndocs = 0;
	set_state("building %s: reading menus/%s/", name, dir);
	if (docs_text(e, dir, &text, &ndocs) || ndocs == 0) {
		free(text);
		fail(e, name, "no document could be read (put .txt, .md or .pdf files in menus/NAME.docs/)");
		return;
	}
	char **parts = NULL;
	int nparts = menubuild_split(text, MENUBUILD_PART_BYTES, &parts);
	host_log(e, STORE_MENUS_KERNEL, "menus: %s: %d documents, %zu bytes of text, %d part%s",
	           name, ndocs, strlen(text), nparts, nparts == 1 ? "" : "s");
	char *material = NULL;
	if (nparts == 1) {
		material = text;
		text = NULL;
	} else if (nparts > 1) {
		struct strbuf notes = {0};
		for (int i = 0; i < nparts && !atomic_load(&cancel); i++) {
			set_state("building %s: notes on part %d of %d", name, i + 1, nparts);
			char *prompt = menubuild_notes_prompt(name, parts[i], i + 1, nparts);
			char *reply = NULL;
			if (prompt && ask(e, m, prompt, &reply) == 0)
				sb_addf(&notes, "=== notes on part %d of %d ===\n\n%s\n\n", i + 1, nparts, reply);
			free(prompt);
			free(reply);
		}
		material = sb_detach(&notes);
	}
	strv_free(parts);
	free(text);
	if (!material || !material[0] || atomic_load(&cancel)) {
		free(material);
		fail(e, name, atomic_load(&cancel) ? "stopped" : "the model gave no notes");
		return;
	}
	char why[300] = "";
	char *menu = NULL, *md = NULL;
	int options = 0;
	for (int attempt = 0; attempt < 2 && !menu && !atomic_load(&cancel); attempt++) {
		set_state("building %s: writing %s.menu and %s.md%s", name, name, name,
		          attempt ? " (asked again)" : "");
		char *prompt = menubuild_menu_prompt(name, material, attempt ? why : NULL);
		char *reply = NULL;
		int rc = prompt ? ask(e, m, prompt, &reply) : -ENOMEM;
		free(prompt);
		if (rc) {
			snprintf(why, sizeof(why), "the model call failed (see menus/log)");
			free(reply);
			break;
		}
		if (menubuild_parse_reply(reply, &menu, &md, &options, why, sizeof(why)))
			host_log(e, STORE_MENUS_KERNEL, "menus: %s: %s", name, why);
		free(reply);
	}
	free(material);
	if (!menu) {
		fail(e, name, why[0] ? why : "stopped");
		return;
	}
	char fm[300], fd[300];
	snprintf(fm, sizeof(fm), "%s.menu", name);
	snprintf(fd, sizeof(fd), "%s.md", name);
	int64_t t = now_ns();
	int rc = store_file_put(e->writer, STORE_MENUS_KERNEL, fm, menu, strlen(menu), 0644, t);
	if (!rc)
		rc = store_file_put(e->writer, STORE_MENUS_KERNEL, fd, md, strlen(md), 0644, t);
	free(menu);
	free(md);
	if (rc) {
		fail(e, name, strerror(-rc));
		return;
	}
	host_touch(e, STORE_MENUS_KERNEL);
	/* the log first: whoever sees the state change finds the line there */
	host_log(e, STORE_MENUS_KERNEL, "menus: %s: wrote menus/%s (%d options) and menus/%s",
	         name, fm, options, fd);
	set_state("%s: wrote %s (%d options) and %s from %d document%s; read and edit them before "
	          "a search uses them (\"menu\": \"%s\")", name, fm, options, fd, ndocs,
	          ndocs == 1 ? "" : "s", name);
}

/* Names of the NAME.docs/ folders (NULL-terminated; caller frees). */
static char **docs_names(struct run_host *e)
{
	struct file_row *rows;
	int n;
	if (store_file_list(e->writer, STORE_MENUS_KERNEL, false, &rows, &n))
		return NULL;
	char **v = calloc((size_t)n + 1, sizeof(*v));
	int k = 0;
	for (int i = 0; v && i < n; i++) {
		const char *d = strstr(rows[i].name, ".docs/");
		if (!d || strchr(rows[i].name, '/') != d + 5)
			continue;
		char *name = strndup(rows[i].name, (size_t)(d - rows[i].name));
		bool dup = false;
		for (int j = 0; name && j < k && !dup; j++)
			dup = !strcmp(v[j], name);
		if (dup || !name)
			free(name);
		else
			v[k++] = name;
	}
	file_rows_free(rows, n);
	return v;
}

static void *build_main(void *arg)
{
	struct job *j = arg;
	struct run_host *e = j->e;
	struct llm_model **models = NULL;
	int nmodels = 0;
	char err[300] = "out of memory";
	if (!e->models || !e->models[0]) {
		fail(e, j->name ? j->name : "menus",
		     "no model configured (-o models=... or AUTOCOMP_MODELS)");
	} else if (config_models(e->models, &models, &nmodels, err, sizeof(err))) {
		fail(e, j->name ? j->name : "menus", err);
	} else {
		/* the mount's first model writes the notes and menus */
		const struct llm_model *m = models[0];
		char **names = j->name ? NULL : docs_names(e);
		if (j->name)
			build_one(e, m, j->name);
		for (int i = 0; names && names[i] && !atomic_load(&cancel); i++)
			build_one(e, m, names[i]);
		strv_free(names);
	}
	config_models_free(models, nmodels);
	free(j->name);
	free(j);
	pthread_mutex_lock(&lock);
	running = false;
	pthread_mutex_unlock(&lock);
	return NULL;
}

int menubuild_start(struct run_host *e, const char *name)
{
	if (name && (!name[0] || name[0] == '.' || strchr(name, '/') || strlen(name) > 100))
		return -EINVAL;
	pthread_mutex_lock(&lock);
	if (running) {
		pthread_mutex_unlock(&lock);
		return -EBUSY;
	}
	if (joinable) {
		pthread_join(thread, NULL);
		joinable = false;
	}
	struct job *j = calloc(1, sizeof(*j));
	if (j) {
		j->e = e;
		j->name = name ? strdup(name) : NULL;
	}
	atomic_store(&cancel, 0);
	int rc = j ? pthread_create(&thread, NULL, build_main, j) : ENOMEM;
	if (rc == 0) {
		running = joinable = true;
		snprintf(state, sizeof(state), "building %s: starting", name ? name : "every NAME.docs/");
	} else if (j) {
		free(j->name);
		free(j);
	}
	pthread_mutex_unlock(&lock);
	return -rc;
}

void menubuild_stop(struct run_host *e)
{
	(void)e;
	atomic_store(&cancel, 1);
	pthread_mutex_lock(&lock);
	bool join = joinable;
	joinable = false;
	pthread_mutex_unlock(&lock);
	if (join)
		pthread_join(thread, NULL);
}
