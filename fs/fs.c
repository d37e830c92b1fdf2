/*
 * fs.c - the FUSE operations: path routing, generated files, user writes.
 *
 * Handlers read memory and SQLite and return; they never wait on a build,
 * a timed run or the network (that is the engine's work). They reach the
 * store only through the engine (engine.h): its view calls to read, and
 * calls that store a change and announce it in one step to write. What a
 * user writes is buffered per open handle and stored when the handle is
 * flushed (close) — so a reader never sees half of a cp — and a handle
 * that wrote the input, the harness or config.json tells the engine when
 * released.
 *
 *   $ cp -r tests/kernels/gemm /mnt/kernels/
 *   $ cat /mnt/kernels/gemm/status
 *   baseline: building and timing the input (cpu target)
 *   $ echo '{"beams": 2}' > /mnt/kernels/gemm/config.json
 *   bash: echo: write error: Invalid argument      (the old config stays)
 *
 * Generated files are read-only (EACCES on open for writing); removing one
 * succeeds and does nothing, so that `rm -r kernels/x` works, and rmdir of
 * the kernel directory deletes it with everything it owns.
 */
#include "fs/fs.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/core/config.h"
#include "engine/core/menus.h"
#include "engine/core/state.h"
#include "engine/util/util.h"
#include "fs/cache.h"
#include "fs/inval.h"
#include "fs/path.h"
#include "fs/render.h"
#include "targets/exec/fileio.h"

struct fs_ctx {
	struct engine *e;
	struct view *view;
	struct cache *cache;    /* what handlers serve generated files from */
	uid_t uid;
	gid_t gid;
	int64_t mount_ns;
	struct inval *inval;
};

enum hkind { H_BLOB, H_LOG, H_USER, H_CTL };

struct handle {
	enum hkind kind;
	struct blob *blob;
	int64_t kid;
	int64_t fid;            /* user files: stable across renames */
	char name[256];         /* the name at open (menus without a stored row) */
	bool menu;
	bool menu_stored;       /* the menu has a row in the store */
	struct strbuf buf;
	bool dirty;             /* buf differs from the store */
	bool wrote;             /* this handle changed the file */
	bool rejected;          /* an invalid config.json write: never stored */
	bool created;           /* this handle made the file (create) */
	bool dropped;           /* a refused config.json it made is gone again */
	bool trunc_only;        /* opened with O_TRUNC and not written yet: bash's
	                           `>` flushes before writing, and that early flush
	                           must not empty config.json; release stores it */
	struct centry *paged;   /* H_BLOB read through the page cache: the
	                           cache's entry, returned at release */
	pthread_mutex_t lock;
};

static int render_path(void *arg, const char *path, struct blob **out);

struct fs_ctx *fs_ctx_new(struct engine *e)
{
	struct fs_ctx *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->e = e;
	c->view = view_new(e);
	c->uid = getuid();
	c->gid = getgid();
	c->mount_ns = now_ns();
	c->cache = c->view ? cache_new(e, c->view, render_path, c) : NULL;
	if (!c->cache) {
		view_free(c->view);
		free(c);
		return NULL;
	}
	return c;
}

void fs_ctx_stop(struct fs_ctx *c)
{
	if (!c)
		return;
	inval_stop(c->inval);
	c->inval = NULL;
}

void fs_ctx_free(struct fs_ctx *c)
{
	if (!c)
		return;
	cache_free(c->cache);
	view_free(c->view);
	free(c);
}

static struct fs_ctx *ctx(void)
{
	return fuse_get_context()->private_data;
}

static struct handle *hnd(struct fuse_file_info *fi)
{
	return (struct handle *)(uintptr_t)fi->fh;
}

static void set_time(struct timespec *ts, int64_t ns)
{
	ts->tv_sec = ns / 1000000000;
	ts->tv_nsec = ns % 1000000000;
}

static void fill_stat(struct fs_ctx *c, struct stat *st, mode_t mode, size_t size, int64_t mtime)
{
	memset(st, 0, sizeof(*st));
	st->st_mode = mode;
	st->st_nlink = S_ISDIR(mode) ? 2 : 1;
	st->st_uid = c->uid;
	st->st_gid = c->gid;
	st->st_size = (off_t)size;
	st->st_blksize = 4096;
	st->st_blocks = (blkcnt_t)((size + 511) / 512);
	set_time(&st->st_mtim, mtime);
	set_time(&st->st_ctim, mtime);
	set_time(&st->st_atim, mtime);
}

/* Resolves the kernel of a node; -ENOENT if it does not exist. */
static int kernel_of(struct fs_ctx *c, const struct node *n, int64_t *kid)
{
	return engine_kernel_id(c->e, n->kernel, kid);
}

/* A best.EXT whose extension is not the input's is an ordinary user file. */
static void settle_best(struct fs_ctx *c, int64_t kid, struct node *n)
{
	if (n->type != NODE_BEST)
		return;
	char ext[32];
	cache_input_ext(c->cache, kid, ext, sizeof(ext));
	if (strcmp(ext, n->ext))
		n->type = NODE_USER_FILE;
}

static int route(struct fs_ctx *c, const char *path, struct node *n, int64_t *kid)
{
	int rc = path_parse(path, n);
	if (rc)
		return rc;
	*kid = -1;
	if (n->type == NODE_MENUS || n->type == NODE_MENU_FILE || n->type == NODE_MENU_DIR ||
	    n->type == NODE_MENU_CTL || (n->type == NODE_LOG && !n->kernel[0]))
		*kid = STORE_MENUS_KERNEL;
	if (n->type >= NODE_KERNEL && n->kernel[0]) {
		rc = kernel_of(c, n, kid);
		if (rc)
			return rc;
		settle_best(c, *kid, n);
	}
	return 0;
}

/* Does menus/DIR exist: a folder made with mkdir (its marker "DIR/") or
 * holding a file? */
static bool menu_dir_exists(struct fs_ctx *c, const char *dir)
{
	struct file_row *rows;
	int n;
	if (engine_file_list(c->e, STORE_MENUS_KERNEL, false, &rows, &n))
		return false;
	size_t len = strlen(dir);
	bool yes = false;
	for (int i = 0; i < n && !yes; i++)
		yes = !strncmp(rows[i].name, dir, len) && rows[i].name[len] == '/';
	file_rows_free(rows, n);
	return yes;
}

/* How many files menus/DIR holds (its marker not counted). */
static int menu_dir_count(struct fs_ctx *c, const char *dir)
{
	struct file_row *rows;
	int n;
	if (engine_file_list(c->e, STORE_MENUS_KERNEL, false, &rows, &n))
		return 0;
	size_t len = strlen(dir);
	int k = 0;
	for (int i = 0; i < n; i++)
		k += !strncmp(rows[i].name, dir, len) && rows[i].name[len] == '/' &&
		     rows[i].name[len + 1];
	file_rows_free(rows, n);
	return k;
}

/* The shipped menu file path for name. */
static void shipped_path(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", menus_dir(), name);
}

static bool is_root_file(enum node_type t)
{
	return t == NODE_ROOT_STATUS || t == NODE_TARGETS || t == NODE_ROOT_PROGRESS ||
	       t == NODE_ROOT_INDEX;
}

static int render_root(struct fs_ctx *c, enum node_type t, struct blob **out)
{
	if (t == NODE_ROOT_PROGRESS)
		return view_root_progress(c->view, out);
	if (t == NODE_ROOT_INDEX)
		return view_root_index(c->view, out);
	if (t == NODE_ROOT_STATUS)
		return view_root_status(c->view, out);
	struct strbuf sb = {0};
	char *text = engine_targets_text(c->e);
	sb_adds(&sb, text ? text : "");
	free(text);
	*out = blob_new(sb.buf ? sb.buf : "", sb.len, now_ns());
	sb_release(&sb);
	return *out ? 0 : -ENOMEM;
}

/* What reading ctl shows: the commands it takes and the kernel's state,
 * all as comment lines, so that a copy written back into ctl (cp -r of a
 * saved kernel directory) is accepted and does nothing. */
static struct blob *render_ctl(struct fs_ctx *c, int64_t kid)
{
	struct kernel_row k;
	struct strbuf sb = {0};
	int64_t t = c->mount_ns;
	if (kid == STORE_MENUS_KERNEL) {
		sb_adds(&sb, "# ctl: write \"build NAME\": the planning model reads menus/NAME.docs/ "
		        "and writes NAME.menu and NAME.md; \"build\" builds every NAME.docs/\n");
		char *state = engine_menus_state(c->e);
		if (state && state[0])
			sb_addf(&sb, "# state: %s\n", state);
		free(state);
		struct blob *b = blob_new(sb.buf ? sb.buf : "", sb.len, t);
		sb_release(&sb);
		return b;
	}
	sb_adds(&sb, "# ctl: write one command: start, stop or restart\n");
	if (engine_kernel_get(c->e, kid, &k) == 0) {
		sb_addf(&sb, "# state: %s\n", k.status[0] ? k.status : run_state_name(k.state));
		t = k.status_ns > k.created_ns ? k.status_ns : k.created_ns;
	}
	kernel_row_clear(&k);
	struct blob *b = blob_new(sb.buf ? sb.buf : "", sb.len, t);
	sb_release(&sb);
	return b;
}

/* ---- generated files, through the cache ---- */

/* Whether node n is served as a snapshot blob: every generated file but
 * the log (which grows in place), and what reading a ctl shows. */
static bool is_blob_node(const struct node *n)
{
	return (node_is_generated(n->type) && n->type != NODE_LOG) || n->type == NODE_CTL ||
	       n->type == NODE_MENU_CTL;
}

/* What a generated file's content depends on: the root files (and the
 * menus' ctl) on the whole engine, a candidate's files on its row,
 * everything else in a kernel directory on the kernel. */
static enum cache_scope scope_of(const struct node *n)
{
	if (!n->kernel[0])
		return CACHE_ROOT;
	switch (n->type) {
	case NODE_PLAN:
	case NODE_PLAN_PROMPT:
	case NODE_CAND_SRC:
	case NODE_CAND_LOG:
		return CACHE_CANDIDATE;
	default:
		return CACHE_KERNEL;
	}
}

/* Renders generated node n of kernel kid. 0 with a blob, or -errno. */
static int render_node(struct fs_ctx *c, const struct node *n, int64_t kid, struct blob **out)
{
	*out = NULL;
	switch (n->type) {
	case NODE_CTL:
	case NODE_MENU_CTL:
		*out = render_ctl(c, kid);
		return *out ? 0 : -ENOMEM;
	default:
		if (!n->kernel[0])
			return render_root(c, n->type, out);
		return view_render(c->view, kid, n, out);
	}
}

/* The cache's renderer (cache_render_fn): any generated file by path. */
static int render_path(void *arg, const char *path, struct blob **out)
{
	struct fs_ctx *c = arg;
	struct node n;
	int64_t kid;
	*out = NULL;
	int rc = route(c, path, &n, &kid);
	if (rc)
		return rc;
	if (!is_blob_node(&n))
		return -ENOENT;
	return render_node(c, &n, kid, out);
}

/* The current content of generated node n (routed from path). */
static int served(struct fs_ctx *c, const char *path, const struct node *n, int64_t kid,
                  struct blob **out)
{
	return cache_get(c->cache, path, scope_of(n) == CACHE_ROOT ? -1 : kid, scope_of(n),
	                 n->num, out);
}

/* A handler changed something of kernel kid (-1: nothing of one kernel):
 * what the mount shows is brought up to it before the call returns, and
 * the kernel forgets what it held of what changed, so the user's next
 * stat or read sees it; then the log lines that tell of it (a refused
 * config.json's reason) are shown, so the user's next read of log has
 * them. */
static void changed(struct fs_ctx *c, int64_t kid)
{
	cache_sync(c->cache, kid);
	cache_wait_invals(c->cache, 50);
	if (kid >= 0 && cache_show_logs(c->cache, kid))
		cache_wait_invals(c->cache, 50);
}

/* best.EXT exists once there is an input (or a run) to show. */
static bool best_exists(struct fs_ctx *c, int64_t kid, const char *ext)
{
	struct node n = {.type = NODE_BEST};
	struct blob *b = NULL;
	struct kernel_row k;
	char path[600];
	snprintf(n.ext, sizeof(n.ext), "%s", ext);
	int rc = engine_kernel_get(c->e, kid, &k);
	if (!rc) {
		snprintf(n.kernel, sizeof(n.kernel), "%s", k.name);
		snprintf(path, sizeof(path), "/kernels/%s/best.%s", k.name, ext);
		rc = served(c, path, &n, kid, &b);
	}
	kernel_row_clear(&k);
	blob_put(b);
	return rc == 0;
}

/* ---- getattr / readdir ---- */

/* The attributes of a file served from the cache (generated, or ctl). */
static int stat_served(struct fs_ctx *c, const char *path, const struct node *n, int64_t kid,
                       mode_t mode, struct stat *st)
{
	struct blob *b;
	int rc = served(c, path, n, kid, &b);
	if (rc)
		return rc;
	fill_stat(c, st, S_IFREG | mode, b->len, b->mtime_ns);
	blob_put(b);
	return 0;
}

/* The attributes of a file the user wrote: what an open handle holds if
 * it has written, else the stored row, else (a menu nobody edited) the
 * shipped file's. */
static int stat_user_file(struct fs_ctx *c, const struct node *n, int64_t kid,
                          struct fuse_file_info *fi, struct stat *st)
{
	if (fi && fi->fh && hnd(fi)->kind == H_USER && hnd(fi)->dirty) {
		struct handle *h = hnd(fi);
		pthread_mutex_lock(&h->lock);
		fill_stat(c, st, S_IFREG | 0644, h->buf.len, now_ns());
		pthread_mutex_unlock(&h->lock);
		return 0;
	}
	struct file_row f;
	int rc = engine_file_get(c->e, kid, n->file, false, &f);
	if (rc == 0) {
		fill_stat(c, st, S_IFREG | (f.mode & 07777), f.size, f.mtime_ns);
		set_time(&st->st_ctim, f.ctime_ns);
	}
	file_row_clear(&f);
	if (rc == -ENOENT && n->type == NODE_MENU_FILE) {
		char p[PATH_MAX];
		struct stat sst;
		shipped_path(n->file, p, sizeof(p));
		if (file_name_valid(n->file) && stat(p, &sst) == 0 && S_ISREG(sst.st_mode)) {
			fill_stat(c, st, S_IFREG | 0644, (size_t)sst.st_size,
			          (int64_t)sst.st_mtim.tv_sec * 1000000000 + sst.st_mtim.tv_nsec);
			rc = 0;
		}
	}
	return rc;
}

static int fs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	struct fs_ctx *c = ctx();
	struct node n;
	int64_t kid;
	int rc = route(c, path, &n, &kid);
	if (rc)
		return rc;
	switch (n.type) {
	case NODE_ROOT:
	case NODE_MENUS:
	case NODE_KERNELS:
		fill_stat(c, st, S_IFDIR | 0755, 4096, c->mount_ns);
		return 0;
	case NODE_MENU_DIR:
		if (!menu_dir_exists(c, n.file))
			return -ENOENT;
		fill_stat(c, st, S_IFDIR | 0755, 4096, c->mount_ns);
		return 0;
	case NODE_KERNEL:
	case NODE_PLANS:
	case NODE_CANDIDATES: {
		struct kernel_row k;
		int64_t t = c->mount_ns;
		if (engine_kernel_get(c->e, kid, &k) == 0)
			t = k.created_ns;
		kernel_row_clear(&k);
		fill_stat(c, st, S_IFDIR | 0755, 4096, t);
		return 0;
	}
	case NODE_CTL:
	case NODE_MENU_CTL:
		return stat_served(c, path, &n, kid, 0644, st);
	case NODE_LOG: {
		size_t len;
		int64_t mt;
		rc = cache_log_stat(c->cache, kid, &len, &mt);
		if (rc)
			return rc;
		fill_stat(c, st, S_IFREG | 0444, len, mt);
		return 0;
	}
	case NODE_CAND_SRC:
	case NODE_CAND_LOG: {
		size_t size;
		int64_t mt;
		rc = cache_cand_stat(c->cache, kid, n.num, n.type == NODE_CAND_LOG, n.ext, &size,
		                     &mt);
		if (rc)
			return rc;
		fill_stat(c, st, S_IFREG | 0444, size, mt);
		return 0;
	}
	case NODE_USER_FILE:
	case NODE_MENU_FILE:
		return stat_user_file(c, &n, kid, fi, st);
	default:   /* the generated files, the root's included */
		return stat_served(c, path, &n, kid, 0444, st);
	}
}

/* A listing of candidates/ or plans/, taken at opendir. It is served in
 * pieces at offsets: libfuse then hands readdirplus attributes on to the
 * kernel (with whole-list filling it drops them, and ls -l of thousands
 * of candidates becomes a lookup per name), and one ls sees one version
 * of the list across its requests. */
struct listing {
	enum node_type type;
	struct view_cand *vc;
	int n;
	char ext[32];
};

static int fs_opendir(const char *path, struct fuse_file_info *fi)
{
	struct fs_ctx *c = ctx();
	struct node n;
	int64_t kid;
	int rc = route(c, path, &n, &kid);
	if (rc)
		return rc;
	if (!node_is_dir(n.type))
		return -ENOTDIR;
	fi->fh = 0;
	if (n.type != NODE_PLANS && n.type != NODE_CANDIDATES)
		return 0;
	struct listing *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->type = n.type;
	rc = cache_cand_list(c->cache, kid, &l->vc, &l->n);
	if (rc) {
		free(l);
		return rc;
	}
	cache_input_ext(c->cache, kid, l->ext, sizeof(l->ext));
	fi->fh = (uint64_t)(uintptr_t)l;
	return 0;
}

static int fs_releasedir(const char *path, struct fuse_file_info *fi)
{
	struct listing *l = (struct listing *)(uintptr_t)fi->fh;
	if (l) {
		free(l->vc);
		free(l);
	}
	fi->fh = 0;
	return 0;
}

/* Listing l from position off on: ".", "..", then two names a candidate
 * (candidates/ with their attributes for readdirplus). Stops when fill
 * says the reply is full; the kernel asks again from there. */
static int fill_listing(struct fs_ctx *c, const struct listing *l, void *buf,
                        fuse_fill_dir_t fill, off_t off, enum fuse_readdir_flags flags)
{
	int64_t total = 2 + 2 * (int64_t)l->n;
	for (int64_t p = off > 0 ? off : 0; p < total; p++) {
		char name[64];
		struct stat st;
		bool attrs = false;
		if (p < 2) {
			snprintf(name, sizeof(name), "%s", p ? ".." : ".");
		} else {
			const struct view_cand *v = &l->vc[(p - 2) / 2];
			bool second = (p - 2) % 2;
			if (l->type == NODE_PLANS) {
				snprintf(name, sizeof(name), "%lld.%s", (long long)v->num,
				         second ? "prompt" : "md");
			} else {
				snprintf(name, sizeof(name), "%lld.%s", (long long)v->num,
				         second ? "log" : l->ext);
				fill_stat(c, &st, S_IFREG | 0444, second ? v->log_len : v->source_len,
				          second && v->evaluated_ns ? v->evaluated_ns : v->created_ns);
				attrs = flags & FUSE_READDIR_PLUS;
			}
		}
		if (fill(buf, name, attrs ? &st : NULL, p + 1, attrs ? FUSE_FILL_DIR_PLUS : 0))
			break;
	}
	return 0;
}

/* menus/: ctl, log, the menus written here (a folder once) and the
 * shipped ones not overridden. */
static int list_menus(struct fs_ctx *c, void *buf, fuse_fill_dir_t fill)
{
	struct file_row *rows;
	int cnt;
	int rc = engine_file_list(c->e, STORE_MENUS_KERNEL, false, &rows, &cnt);
	if (rc)
		return rc;
	fill(buf, "ctl", NULL, 0, 0);
	fill(buf, "log", NULL, 0, 0);
	for (int i = 0; i < cnt; i++) {
		const char *slash = strchr(rows[i].name, '/');
		if (!slash) {
			fill(buf, rows[i].name, NULL, 0, 0);
			continue;
		}
		/* a folder, once: the first of its names (by name order) */
		size_t dl = (size_t)(slash - rows[i].name);
		if (i > 0 && !strncmp(rows[i - 1].name, rows[i].name, dl + 1))
			continue;
		char dir[256];
		snprintf(dir, sizeof(dir), "%.*s", (int)dl, rows[i].name);
		fill(buf, dir, NULL, 0, 0);
	}
	DIR *d = opendir(menus_dir());
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		bool dup = false;
		for (int i = 0; i < cnt && !dup; i++)
			dup = !strcmp(rows[i].name, de->d_name);
		if (!dup)
			fill(buf, de->d_name, NULL, 0, 0);
	}
	if (d)
		closedir(d);
	file_rows_free(rows, cnt);
	return 0;
}

/* menus/NAME.docs/ or NAME.examples/: the files written into it. */
static int list_menu_dir(struct fs_ctx *c, const struct node *n, void *buf, fuse_fill_dir_t fill)
{
	struct file_row *rows;
	int cnt;
	int rc = engine_file_list(c->e, STORE_MENUS_KERNEL, false, &rows, &cnt);
	if (rc)
		return rc;
	size_t dl = strlen(n->file);
	bool any = false;
	for (int i = 0; i < cnt; i++) {
		if (strncmp(rows[i].name, n->file, dl) || rows[i].name[dl] != '/')
			continue;
		any = true;
		if (rows[i].name[dl + 1])
			fill(buf, rows[i].name + dl + 1, NULL, 0, 0);
	}
	file_rows_free(rows, cnt);
	return any ? 0 : -ENOENT;
}

/* kernels/K/: the fixed names (best.EXT once there is one), then the
 * user's files. */
static int list_kernel(struct fs_ctx *c, int64_t kid, void *buf, fuse_fill_dir_t fill)
{
	char ext[32], best[64];
	view_input_ext(c->view, kid, ext, sizeof(ext));
	snprintf(best, sizeof(best), "best.%s", ext);
	for (int i = 0; path_kernel_files[i]; i++) {
		bool is_best = !strcmp(path_kernel_files[i], "best.EXT");
		if (!is_best)
			fill(buf, path_kernel_files[i], NULL, 0, 0);
		else if (best_exists(c, kid, ext))
			fill(buf, best, NULL, 0, 0);
	}
	struct file_row *rows;
	int cnt;
	int rc = engine_file_list(c->e, kid, false, &rows, &cnt);
	if (rc)
		return rc;
	for (int i = 0; i < cnt; i++)
		if (strcmp(rows[i].name, best))
			fill(buf, rows[i].name, NULL, 0, 0);
	file_rows_free(rows, cnt);
	return 0;
}

static int fs_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
                      struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	struct fs_ctx *c = ctx();
	if (fi && fi->fh)
		return fill_listing(c, (const struct listing *)(uintptr_t)fi->fh, buf, fill, off,
		                    flags);
	struct node n;
	int64_t kid;
	int rc = route(c, path, &n, &kid);
	if (rc)
		return rc;
	if (!node_is_dir(n.type))
		return -ENOTDIR;
	fill(buf, ".", NULL, 0, 0);
	fill(buf, "..", NULL, 0, 0);
	switch (n.type) {
	case NODE_ROOT:
		for (int i = 0; path_root_files[i]; i++)
			fill(buf, path_root_files[i], NULL, 0, 0);
		fill(buf, "menus", NULL, 0, 0);
		fill(buf, "kernels", NULL, 0, 0);
		return 0;
	case NODE_KERNELS: {
		struct kernel_row *rows;
		int cnt;
		rc = engine_kernel_list(c->e, &rows, &cnt);
		for (int i = 0; !rc && i < cnt; i++)
			fill(buf, rows[i].name, NULL, 0, 0);
		if (!rc)
			kernel_rows_free(rows, cnt);
		return rc;
	}
	case NODE_MENUS:
		return list_menus(c, buf, fill);
	case NODE_MENU_DIR:
		return list_menu_dir(c, &n, buf, fill);
	case NODE_KERNEL:
		return list_kernel(c, kid, buf, fill);
	default:
		return -ENOTDIR;
	}
}

/* ---- open / create / read / write ---- */

static struct handle *handle_new(enum hkind kind)
{
	struct handle *h = calloc(1, sizeof(*h));
	if (h) {
		h->kind = kind;
		pthread_mutex_init(&h->lock, NULL);
	}
	return h;
}

static void handle_free(struct handle *h)
{
	if (!h)
		return;
	blob_put(h->blob);
	sb_release(&h->buf);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

/* Opens a user file (or menu) into a handle; loads content unless trunc. */
static int open_user(struct fs_ctx *c, const struct node *n, int64_t kid, bool trunc,
                     struct handle **out)
{
	struct handle *h = handle_new(H_USER);
	if (!h)
		return -ENOMEM;
	h->kid = kid;
	h->menu = kid == STORE_MENUS_KERNEL;
	snprintf(h->name, sizeof(h->name), "%s", n->file);
	struct file_row f;
	int rc = engine_file_get(c->e, kid, n->file, !trunc, &f);
	if (rc == 0) {
		h->fid = f.id;
		h->menu_stored = h->menu;
		if (!trunc && f.size)
			rc = sb_add(&h->buf, f.data, f.size);
	} else if (rc == -ENOENT && h->menu && file_name_valid(n->file)) {
		char p[PATH_MAX];
		shipped_path(n->file, p, sizeof(p));
		char *data;
		size_t len;
		rc = ac_read_file(p, &data, &len);
		if (rc == 0) {
			if (!trunc)
				rc = sb_add(&h->buf, data, len);
			free(data);
		} else {
			rc = -ENOENT;
		}
	}
	file_row_clear(&f);
	if (!rc && !h->buf.buf)
		rc = sb_grow(&h->buf, 0);
	if (rc) {
		handle_free(h);
		return rc;
	}
	if (trunc) {
		h->dirty = true;
		h->wrote = true;
		h->trunc_only = true;
	}
	*out = h;
	return 0;
}

static int fs_open(const char *path, struct fuse_file_info *fi)
{
	struct fs_ctx *c = ctx();
	struct node n;
	int64_t kid;
	int rc = route(c, path, &n, &kid);
	if (rc)
		return rc;
	int acc = fi->flags & O_ACCMODE;
	struct handle *h = NULL;
	enum cache_mode mode = CACHE_DIRECT;
	if (node_is_dir(n.type))
		return -EISDIR;
	/* reading ctl shows its commands and the state: a generated file */
	if ((n.type == NODE_CTL || n.type == NODE_MENU_CTL) && acc != O_RDONLY) {
		h = handle_new(H_CTL);
		if (!h)
			return -ENOMEM;
		h->kid = kid;
	} else if (n.type == NODE_USER_FILE || n.type == NODE_MENU_FILE) {
		bool trunc = (fi->flags & O_TRUNC) && acc != O_RDONLY;
		rc = open_user(c, &n, kid, trunc, &h);
		/* The kernel opens (rather than creates) only a name it believes
		 * is there: its entry is stale (a refused config.json that went
		 * again, a file removed meanwhile). ESTALE makes the VFS look the
		 * name up again and retry, so open(O_CREAT) creates it and a
		 * plain open gets ENOENT. */
		if (rc == -ENOENT)
			return -ESTALE;
		if (rc)
			return rc;
	} else {
		if (acc != O_RDONLY)
			return -EACCES;
		struct blob *b = NULL;
		struct centry *paged = NULL;
		if (n.type != NODE_LOG) {
			enum cache_scope scope = scope_of(&n);
			rc = cache_open(c->cache, path, scope == CACHE_ROOT ? -1 : kid, scope, n.num,
			                &b, &mode, &paged);
		}
		if (rc)
			return rc;
		h = handle_new(n.type == NODE_LOG ? H_LOG : H_BLOB);
		if (!h) {
			cache_close(c->cache, paged, b);
			blob_put(b);
			return -ENOMEM;
		}
		h->blob = b;
		h->paged = paged;
		h->kid = kid;
	}
	fi->fh = (uint64_t)(uintptr_t)h;
	/* a snapshot whose content has settled is read through the kernel's
	 * page cache (cache.h says when); the log and user files always come
	 * here, and so does a snapshot that may differ from what the kernel
	 * holds */
	fi->direct_io = mode == CACHE_DIRECT;
	fi->keep_cache = mode == CACHE_PAGES_KEEP;
	/* a read-only handle has nothing to store at close: no flush request
	 * (close(2) then costs no round trip) */
	fi->noflush = acc == O_RDONLY;
	return 0;
}

static int fs_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	struct fs_ctx *c = ctx();
	struct node n;
	int64_t kid;
	int rc = route(c, path, &n, &kid);
	if (rc)
		return rc;
	if (n.type != NODE_USER_FILE && n.type != NODE_MENU_FILE)
		return node_is_dir(n.type) ? -EISDIR : -EACCES;
	if (n.type == NODE_MENU_FILE ? !menu_file_name_valid(n.file) : !file_name_valid(n.file))
		return -EINVAL;
	int64_t fid = 0;
	rc = engine_file_create(c->e, kid, n.file, (int)(mode & 07777), (fi->flags & O_TRUNC) != 0,
	                        &fid);
	if (rc)
		return rc;
	struct handle *h = NULL;
	rc = open_user(c, &n, kid, (fi->flags & O_TRUNC) != 0, &h);
	if (rc)
		return rc;
	h->wrote = true;
	h->created = true;
	fi->fh = (uint64_t)(uintptr_t)h;
	fi->direct_io = 1;
	changed(c, kid);
	return 0;
}

static int fs_read(const char *path, char *buf, size_t size, off_t off,
                   struct fuse_file_info *fi)
{
	struct handle *h = hnd(fi);
	if (!h)
		return -EBADF;
	if (h->kind == H_LOG)
		return (int)cache_log_read(ctx()->cache, h->kid, buf, size, (size_t)off);
	if (h->kind == H_CTL)
		return -EACCES;
	if (h->paged)
		cache_paged_read(ctx()->cache, h->paged, h->blob);
	pthread_mutex_lock(&h->lock);
	const char *data = h->kind == H_BLOB ? h->blob->data : h->buf.buf;
	size_t len = h->kind == H_BLOB ? h->blob->len : h->buf.len;
	size_t n = 0;
	if ((size_t)off < len) {
		n = len - (size_t)off;
		if (n > size)
			n = size;
		memcpy(buf, data + off, n);
	}
	pthread_mutex_unlock(&h->lock);
	return (int)n;
}

static bool is_config(const struct handle *h)
{
	return !h->menu && !strcmp(h->name, "config.json");
}

/* Checks a config.json buffer; logs and returns -EINVAL when invalid. When
 * complete_only, a buffer that is not (yet) valid JSON passes: more writes
 * may be coming. bash ignores the error of close(2) on a redirection
 * (`echo x > config.json` exits 0), so the refusal is said in the log and
 * in status too. */
static int check_config(struct fs_ctx *c, struct handle *h, bool complete_only)
{
	if (!is_config(h))
		return 0;
	char err[768];
	int rc = engine_config_check(c->e, h->kid, h->buf.buf ? h->buf.buf : "", h->buf.len, err,
	                             sizeof(err));
	if (rc == 0)
		return 0;
	if (complete_only && strstr(err, "invalid JSON"))
		return 0;
	if (!h->rejected) {
		engine_log(c->e, h->kid, "%s; the write was refused and %s", err,
		           h->created ? "no config.json is kept" : "the previous config.json stays");
		engine_config_refused(c->e, h->kid, err);
		changed(c, h->kid);
	}
	h->rejected = true;
	h->dirty = false;
	return -EINVAL;
}

static int fs_write(const char *path, const char *data, size_t size, off_t off,
                    struct fuse_file_info *fi)
{
	struct fs_ctx *c = ctx();
	struct handle *h = hnd(fi);
	if (!h)
		return -EBADF;
	if (h->kind == H_CTL) {
		/* comment lines (what reading ctl shows) are skipped */
		size_t at = 0;
		while (at < size && (data[at] == '#' || data[at] == '\n')) {
			const char *nl = memchr(data + at, '\n', size - at);
			at = nl ? (size_t)(nl - data) + 1 : size;
		}
		int rc = at < size ? engine_ctl(c->e, h->kid, data + at, size - at) : 0;
		changed(c, h->kid);
		return rc ? rc : (int)size;
	}
	if (h->kind != H_USER)
		return -EACCES;
	if (off < 0 || (size_t)off + size > FS_MAX_FILE) {
		engine_log(c->e, h->kid, "%s: refused: files here are limited to %d bytes", h->name,
		           FS_MAX_FILE);
		return -EFBIG;
	}
	pthread_mutex_lock(&h->lock);
	int rc = 0;
	if (h->rejected) {
		rc = -EINVAL;
	} else if ((size_t)off + size > h->buf.len) {
		rc = sb_setlen(&h->buf, (size_t)off + size);
	}
	if (!rc) {
		memcpy(h->buf.buf + off, data, size);
		h->dirty = true;
		h->trunc_only = false;
		h->wrote = true;
		rc = check_config(c, h, true);
	}
	pthread_mutex_unlock(&h->lock);
	return rc ? rc : (int)size;
}

/* Stores a dirty handle's buffer. Called with h->lock held. */
static int commit(struct fs_ctx *c, struct handle *h)
{
	if (!h->dirty || h->rejected)
		return 0;
	int rc = check_config(c, h, false);
	if (rc)
		return rc;
	if (h->menu && !h->menu_stored) {
		rc = engine_file_put(c->e, STORE_MENUS_KERNEL, h->name, h->buf.buf, h->buf.len, 0644,
		                     &h->fid);
		if (!rc)
			h->menu_stored = true;
	} else {
		rc = engine_file_write(c->e, h->kid, h->fid, h->buf.buf, h->buf.len);
		if (rc == -ENOENT)
			rc = 0; /* removed while open: the data goes with it */
	}
	if (!rc)
		h->dirty = false;
	return rc;
}

/* A config.json this handle made and that was refused goes again, before
 * close(2) returns (flush), so that `ls` right after the refused write
 * does not list it: no empty file is left for what was never valid.
 * Called with h->lock held. */
static void drop_refused(struct fs_ctx *c, struct handle *h)
{
	if (!h->rejected || !h->created || !is_config(h) || h->dropped)
		return;
	h->dropped = true;
	/* gone or not, nothing more can be done for it */
	(void)engine_file_delete(c->e, h->kid, h->name);
}

static int fs_flush(const char *path, struct fuse_file_info *fi)
{
	struct fs_ctx *c = ctx();
	struct handle *h = hnd(fi);
	if (!h || h->kind != H_USER)
		return 0;
	pthread_mutex_lock(&h->lock);
	bool was_dirty = h->dirty;
	int rc = h->trunc_only ? 0 : commit(c, h);
	if (!rc && h->rejected && h->wrote)
		rc = -EINVAL;
	drop_refused(c, h);
	bool stored = !rc && was_dirty && !h->dirty && !h->menu && !h->rejected;
	int64_t fid = h->fid;
	pthread_mutex_unlock(&h->lock);
	if (stored) {
		/* status says "queued" before close returns when this write
		 * completed the kernel (the run starts at release) */
		struct file_row f;
		if (engine_file_get_id(c->e, fid, false, &f) == 0)
			engine_file_stored(c->e, f.kernel_id, f.name);
		file_row_clear(&f);
	}
	if (h->wrote)
		changed(c, h->kid);
	return rc;
}

static int fs_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
	return fs_flush(path, fi);
}

static int fs_release(const char *path, struct fuse_file_info *fi)
{
	struct fs_ctx *c = ctx();
	struct handle *h = hnd(fi);
	if (!h)
		return 0;
	if (h->kind == H_USER) {
		pthread_mutex_lock(&h->lock);
		commit(c, h);
		bool trigger = h->wrote && !h->rejected && !h->menu;
		drop_refused(c, h);   /* when no flush came (it did not close) */
		pthread_mutex_unlock(&h->lock);
		if (trigger) {
			/* the file may have been renamed since open: use its name now */
			struct file_row f;
			if (engine_file_get_id(c->e, h->fid, false, &f) == 0)
				engine_file_changed(c->e, f.kernel_id, f.name);
			file_row_clear(&f);
		}
		if (h->wrote)
			changed(c, h->kid);
	}
	if (h->paged)
		cache_close(c->cache, h->paged, h->blob);
	handle_free(h);
	fi->fh = 0;
	return 0;
}

/* ---- metadata ---- */

static int fs_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	struct fs_ctx *c = ctx();
	if (size < 0)
		return -EINVAL;
	if ((size_t)size > FS_MAX_FILE)
		return -EFBIG;
	if (fi && fi->fh) {
		struct handle *h = hnd(fi);
		if (h->kind == H_CTL)
			return 0;
		if (h->kind != H_USER)
			return -EACCES;
		pthread_mutex_lock(&h->lock);
		int rc = sb_setlen(&h->buf, (size_t)size);
		if (!rc) {
			h->dirty = true;
			h->wrote = true;
			h->trunc_only = false;
		}
		pthread_mutex_unlock(&h->lock);
		return rc;
	}
	struct node n;
	int64_t kid;
	int rc = route(c, path, &n, &kid);
	if (rc)
		return rc;
	if (n.type == NODE_CTL || n.type == NODE_MENU_CTL)
		return 0;
	if (n.type != NODE_USER_FILE && n.type != NODE_MENU_FILE)
		return node_is_dir(n.type) ? -EISDIR : -EACCES;
	struct handle *h;
	rc = open_user(c, &n, kid, false, &h);
	if (rc)
		return rc;
	rc = sb_setlen(&h->buf, (size_t)size);
	h->dirty = true;
	h->wrote = true;
	if (!rc)
		rc = commit(c, h);
	handle_free(h);
	if (!rc && n.type == NODE_USER_FILE)
		engine_file_changed(c->e, kid, n.file);
	changed(c, kid);
	return rc;
}

static int user_file_id(struct fs_ctx *c, const char *path, int64_t *kid, int64_t *fid,
                        struct node *n)
{
	int rc = route(c, path, n, kid);
	if (rc)
		return rc;
	if (node_is_dir(n->type) || n->type == NODE_CTL || n->type == NODE_MENU_CTL)
		return 1; /* nothing to record, succeed */
	if (n->type != NODE_USER_FILE && n->type != NODE_MENU_FILE)
		return -EPERM;
	struct file_row f;
	rc = engine_file_get(c->e, *kid, n->file, false, &f);
	if (!rc)
		*fid = f.id;
	file_row_clear(&f);
	if (rc == -ENOENT && n->type == NODE_MENU_FILE)
		return 1; /* a shipped menu: its metadata is the shipped file's */
	return rc;
}

static int fs_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	struct fs_ctx *c = ctx();
	struct node n;
	int64_t kid, fid;
	int rc = user_file_id(c, path, &kid, &fid, &n);
	if (rc)
		return rc > 0 ? 0 : rc;
	rc = engine_file_set_mode(c->e, kid, fid, (int)(mode & 07777));
	changed(c, kid);
	return rc;
}

static int fs_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi)
{
	struct fs_ctx *c = ctx();
	struct node n;
	int64_t kid, fid;
	int rc = user_file_id(c, path, &kid, &fid, &n);
	return rc > 0 ? 0 : rc;
}

static int fs_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi)
{
	struct fs_ctx *c = ctx();
	struct node n;
	int64_t kid, fid;
	int rc = user_file_id(c, path, &kid, &fid, &n);
	if (rc)
		return rc > 0 ? 0 : rc;
	int64_t t = now_ns();
	if (tv && tv[1].tv_nsec == UTIME_OMIT)
		return 0;
	if (tv && tv[1].tv_nsec != UTIME_NOW)
		t = (int64_t)tv[1].tv_sec * 1000000000 + tv[1].tv_nsec;
	rc = engine_file_set_time(c->e, kid, fid, t);
	changed(c, kid);
	return rc;
}

static int fs_unlink(const char *path)
{
	struct fs_ctx *c = ctx();
	struct node n;
	int64_t kid;
	int rc = route(c, path, &n, &kid);
	if (rc)
		return rc;
	if (node_is_dir(n.type))
		return -EISDIR;
	if (n.type == NODE_USER_FILE || n.type == NODE_MENU_FILE) {
		rc = engine_file_delete(c->e, kid, n.file);
		if (rc == -ENOENT && n.type == NODE_MENU_FILE)
			return -EPERM; /* shipped menus cannot be removed, only edited */
		/* a removed input (or harness) changes what the kernel waits for:
		 * status must not keep showing the old run's failure */
		if (!rc && n.type == NODE_USER_FILE)
			engine_file_changed(c->e, kid, n.file);
		changed(c, kid);
		return rc;
	}
	if (is_root_file(n.type))
		return -EPERM;
	/* generated files and ctl: nothing to remove (lets rm -r reach rmdir) */
	return 0;
}

static int fs_mkdir(const char *path, mode_t mode)
{
	struct fs_ctx *c = ctx();
	struct node n;
	int rc = path_parse(path, &n);
	if (rc)
		return rc;
	if (n.type == NODE_MENU_DIR) {
		/* menus/NAME.docs/ and NAME.examples/: a marker row "DIR/" */
		if (menu_dir_exists(c, n.file))
			return -EEXIST;
		char marker[300];
		snprintf(marker, sizeof(marker), "%s/", n.file);
		rc = engine_file_put(c->e, STORE_MENUS_KERNEL, marker, "", 0,
		                     (int)(mode & 07777) | 0700, NULL);
		changed(c, STORE_MENUS_KERNEL);
		return rc;
	}
	if (n.type == NODE_MENU_FILE || n.type == NODE_MENU_CTL || n.type == NODE_MENUS)
		return n.type == NODE_MENUS ? -EEXIST : -EPERM;
	if (n.type != NODE_KERNEL)
		return n.type == NODE_USER_FILE ? -EPERM : -EEXIST;
	rc = engine_kernel_create(c->e, n.kernel);
	changed(c, -1);
	if (rc == -EINVAL)
		fprintf(stderr, "autocompfs: \"%s\" cannot be a kernel name (use letters, digits, "
		        ". _ - +; at most 64; not starting with a dot)\n", n.kernel);
	return rc;
}

static int fs_rmdir(const char *path)
{
	struct fs_ctx *c = ctx();
	struct node n;
	int64_t kid;
	int rc = route(c, path, &n, &kid);
	if (rc)
		return rc;
	if (n.type == NODE_KERNEL) {
		rc = engine_kernel_delete(c->e, n.kernel);
		changed(c, -1);
		return rc;
	}
	if (n.type == NODE_PLANS || n.type == NODE_CANDIDATES)
		return 0;
	if (n.type == NODE_MENU_DIR) {
		if (!menu_dir_exists(c, n.file))
			return -ENOENT;
		if (menu_dir_count(c, n.file) > 0)
			return -ENOTEMPTY;
		char marker[300];
		snprintf(marker, sizeof(marker), "%s/", n.file);
		int rc = engine_file_delete(c->e, STORE_MENUS_KERNEL, marker);
		if (rc && rc != -ENOENT)
			return rc;
		changed(c, STORE_MENUS_KERNEL);
		return 0;
	}
	return node_is_dir(n.type) ? -EPERM : -ENOTDIR;
}

static int fs_rename(const char *from, const char *to, unsigned int flags)
{
	struct fs_ctx *c = ctx();
	struct node a, b;
	int64_t ka, kb = -1;
	if (flags & RENAME_EXCHANGE)
		return -EINVAL;
	int rc = route(c, from, &a, &ka);
	if (rc)
		return rc;
	rc = path_parse(to, &b);
	if (rc)
		return rc;
	if (a.type == NODE_KERNEL) {
		if (b.type != NODE_KERNEL)
			return -EXDEV;
		int64_t other;
		if ((flags & RENAME_NOREPLACE) && engine_kernel_id(c->e, b.kernel, &other) == 0)
			return -EEXIST;
		rc = engine_kernel_rename(c->e, a.kernel, b.kernel);
		changed(c, -1);
		return rc;
	}
	if (b.type >= NODE_KERNEL) {
		rc = engine_kernel_id(c->e, b.kernel, &kb);
		if (rc)
			return rc;
		settle_best(c, kb, &b);
	} else if (b.type == NODE_MENU_FILE) {
		kb = STORE_MENUS_KERNEL;
	}
	if (a.type != NODE_USER_FILE && a.type != NODE_MENU_FILE)
		return -EACCES;
	if (b.type != NODE_USER_FILE && b.type != NODE_MENU_FILE)
		return node_is_dir(b.type) ? -EISDIR : -EACCES;
	if (ka != kb)
		return -EXDEV;
	if (b.type == NODE_MENU_FILE ? !menu_file_name_valid(b.file) : !file_name_valid(b.file))
		return -EINVAL;
	if (flags & RENAME_NOREPLACE) {
		struct file_row f;
		int e2 = engine_file_get(c->e, kb, b.file, false, &f);
		file_row_clear(&f);
		if (e2 == 0)
			return -EEXIST;
	}
	if (b.type == NODE_USER_FILE && !strcmp(b.file, "config.json")) {
		/* mv draft config.json: checked as a write of config.json is */
		struct file_row f;
		char err[768];
		rc = engine_file_get(c->e, ka, a.file, true, &f);
		if (!rc)
			rc = engine_config_check(c->e, kb, f.data ? f.data : "", f.size, err,
			                         sizeof(err));
		file_row_clear(&f);
		if (rc == -EINVAL) {
			engine_log(c->e, kb, "%s; the rename of %s was refused and the previous "
			           "config.json stays", err, a.file);
			engine_config_refused(c->e, kb, err);
			changed(c, kb);
		}
		if (rc)
			return rc;
	}
	rc = engine_file_rename(c->e, ka, a.file, b.file);
	if (rc)
		return rc;
	if (b.type == NODE_USER_FILE)
		engine_file_changed(c->e, kb, b.file);
	changed(c, ka);
	return 0;
}

static int fs_statfs(const char *path, struct statvfs *st)
{
	memset(st, 0, sizeof(*st));
	st->f_bsize = 4096;
	st->f_frsize = 4096;
	st->f_blocks = 1 << 20;
	st->f_bfree = 1 << 19;
	st->f_bavail = 1 << 19;
	st->f_files = 1 << 20;
	st->f_ffree = 1 << 19;
	st->f_namemax = 255;
	return 0;
}

static int fs_access(const char *path, int mask)
{
	struct fs_ctx *c = ctx();
	struct node n;
	int64_t kid;
	int rc = route(c, path, &n, &kid);
	if (rc)
		return rc;
	if ((mask & W_OK) && node_is_generated(n.type))
		return -EACCES;
	return 0;
}

static void *fs_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	struct fs_ctx *c = ctx();
	cfg->use_ino = 0;
	cfg->hard_remove = 1;
	/* attributes are cached for a second and invalidated when they change
	 * (inval.c): ls -l of thousands of candidates stays one readdir */
	cfg->attr_timeout = 1.0;
	/* every readdir brings the attributes along (readdirplus), not only
	 * the first batch: ls -l of 2,000 candidates is then ~100 requests,
	 * not one lookup per name */
	if (conn->capable & FUSE_CAP_READDIRPLUS) {
		conn->want |= FUSE_CAP_READDIRPLUS;
		conn->want &= ~FUSE_CAP_READDIRPLUS_AUTO;
	}
	cfg->entry_timeout = 1.0;
	cfg->negative_timeout = 0;
	cfg->direct_io = 0;
	cfg->kernel_cache = 0;
	cfg->auto_cache = 0;
	int rc = engine_start(c->e);
	if (rc)
		fprintf(stderr, "autocompfs: cannot start the engine: %s\n", strerror(-rc));
	c->inval = inval_start(fuse_get_context()->fuse, c->e, c->cache);
	return c;
}

static void fs_destroy(void *private_data)
{
	struct fs_ctx *c = private_data;
	inval_stop(c->inval);
	c->inval = NULL;
	engine_shutdown(c->e);
}

static const struct fuse_operations ops = {
	.init = fs_init,
	.destroy = fs_destroy,
	.getattr = fs_getattr,
	.opendir = fs_opendir,
	.readdir = fs_readdir,
	.releasedir = fs_releasedir,
	.open = fs_open,
	.create = fs_create,
	.read = fs_read,
	.write = fs_write,
	.flush = fs_flush,
	.fsync = fs_fsync,
	.release = fs_release,
	.truncate = fs_truncate,
	.chmod = fs_chmod,
	.chown = fs_chown,
	.utimens = fs_utimens,
	.unlink = fs_unlink,
	.mkdir = fs_mkdir,
	.rmdir = fs_rmdir,
	.rename = fs_rename,
	.statfs = fs_statfs,
	.access = fs_access,
};

const struct fuse_operations *fs_operations(void)
{
	return &ops;
}
