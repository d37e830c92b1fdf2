/*
 * store.c - SQLite persistence for kernels, files, runs, candidates, logs.
 *
 * The schema is versioned with PRAGMA user_version and brought up to date by
 * the migrations[] array, one entry per version, each applied in its own
 * transaction. WAL mode lets the mount read while the engine writes;
 * synchronous=NORMAL is durable against a killed daemon (not power loss),
 * which is the failure this product promises to survive.
 *
 * Every statement runs through one helper, sql_run: it takes the store's
 * lock, binds, steps, resets, and maps SQLite's result to 0 or -errno, so
 * no write's result is dropped and a full disk is always counted. Rows
 * that come back as an array are gathered by one collector, sql_collect.
 * Statements are prepared once per connection and kept in a small cache
 * keyed by the SQL text's address: each query below is a static string.
 * This file does no policy: what to store and when is the engine's.
 */
#include "engine/core/store.h"

#include <assert.h>
#include <errno.h>
#include <stdatomic.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/util/util.h"

#define STMT_CACHE 96

struct store {
	sqlite3 *db;
	pthread_mutex_t lock;   /* recursive: a transaction holds it across calls */
	struct {
		const char *sql;
		sqlite3_stmt *st;
	} cache[STMT_CACHE];
	int ncache;
};

static const char *migrations[] = {
	/* version 1 */
	"CREATE TABLE kernel("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  state TEXT NOT NULL DEFAULT 'waiting',"
	"  status TEXT NOT NULL DEFAULT '',"
	"  created_ns INTEGER NOT NULL,"
	"  status_ns INTEGER NOT NULL);"
	"INSERT INTO kernel(id, name, created_ns, status_ns) VALUES (0, '.menus', 0, 0);"
	"CREATE TABLE file("
	"  id INTEGER PRIMARY KEY,"
	"  kernel_id INTEGER NOT NULL REFERENCES kernel(id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL,"
	"  data BLOB NOT NULL DEFAULT x'',"
	"  mode INTEGER NOT NULL,"
	"  mtime_ns INTEGER NOT NULL,"
	"  ctime_ns INTEGER NOT NULL,"
	"  UNIQUE(kernel_id, name));"
	"CREATE TABLE run("
	"  id INTEGER PRIMARY KEY,"
	"  kernel_id INTEGER NOT NULL REFERENCES kernel(id) ON DELETE CASCADE,"
	"  state TEXT NOT NULL,"
	"  target TEXT NOT NULL,"
	"  input_name TEXT NOT NULL,"
	"  input BLOB NOT NULL,"
	"  config TEXT NOT NULL,"
	"  best INTEGER NOT NULL DEFAULT -1,"
	"  best_ns INTEGER NOT NULL DEFAULT 0,"
	"  created_ns INTEGER NOT NULL,"
	"  finished_ns INTEGER NOT NULL DEFAULT 0,"
	"  iteration INTEGER NOT NULL DEFAULT 0,"
	"  tokens INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX run_kernel ON run(kernel_id, id);"
	"CREATE TABLE run_file("
	"  run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL,"
	"  data BLOB NOT NULL,"
	"  PRIMARY KEY(run_id, name));"
	"CREATE TABLE candidate("
	"  run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,"
	"  num INTEGER NOT NULL,"
	"  parent INTEGER NOT NULL,"
	"  iteration INTEGER NOT NULL,"
	"  origin TEXT NOT NULL,"
	"  plan TEXT NOT NULL DEFAULT '',"
	"  option TEXT NOT NULL DEFAULT '',"
	"  model TEXT NOT NULL DEFAULT '',"
	"  source BLOB NOT NULL,"
	"  outcome TEXT NOT NULL DEFAULT 'pending',"
	"  time_ns INTEGER NOT NULL DEFAULT 0,"
	"  samples INTEGER NOT NULL DEFAULT 0,"
	"  spread REAL NOT NULL DEFAULT 0,"
	"  message TEXT NOT NULL DEFAULT '',"
	"  log TEXT NOT NULL DEFAULT '',"
	"  plan_prompt TEXT NOT NULL DEFAULT '',"
	"  code_prompt TEXT NOT NULL DEFAULT '',"
	"  tokens INTEGER NOT NULL DEFAULT 0,"
	"  in_beam INTEGER NOT NULL DEFAULT 0,"
	"  created_ns INTEGER NOT NULL,"
	"  evaluated_ns INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY(run_id, num));"
	"CREATE TABLE log("
	"  id INTEGER PRIMARY KEY,"
	"  kernel_id INTEGER NOT NULL REFERENCES kernel(id) ON DELETE CASCADE,"
	"  ts_ns INTEGER NOT NULL,"
	"  line TEXT NOT NULL);"
	"CREATE INDEX log_kernel ON log(kernel_id, id);",
	/* version 2: the LLM search — stored calls (so a resumed run never asks
	 * twice), the search slot a candidate fills, re-measured finalists */
	"CREATE TABLE llm_call("
	"  run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,"
	"  slot TEXT NOT NULL,"
	"  model TEXT NOT NULL,"
	"  prompt TEXT NOT NULL,"
	"  reply TEXT NOT NULL,"
	"  reasoning TEXT NOT NULL DEFAULT '',"
	"  error TEXT NOT NULL DEFAULT '',"
	"  truncated INTEGER NOT NULL DEFAULT 0,"
	"  prompt_tokens INTEGER NOT NULL DEFAULT 0,"
	"  completion_tokens INTEGER NOT NULL DEFAULT 0,"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  wall_ns INTEGER NOT NULL DEFAULT 0,"
	"  created_ns INTEGER NOT NULL,"
	"  PRIMARY KEY(run_id, slot));"
	"ALTER TABLE candidate ADD COLUMN slot TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE candidate ADD COLUMN retime_ns INTEGER NOT NULL DEFAULT 0;"
	"CREATE INDEX candidate_slot ON candidate(run_id, slot);",
	/* version 3: reasoning tokens, per call and per candidate (of their
	 * completion tokens, those the model spent reasoning) */
	"ALTER TABLE llm_call ADD COLUMN reasoning_tokens INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE candidate ADD COLUMN reasoning_tokens INTEGER NOT NULL DEFAULT 0;",
	/* 3 -> 4: how each verdict was reached (the judge's figures, re-checks,
	 * the interleaved re-timing), per candidate and for the run */
	"ALTER TABLE candidate ADD COLUMN verdict TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE run ADD COLUMN verdict TEXT NOT NULL DEFAULT '';",
	/* 4 -> 5: the search's bookkeeping: the hash that recognises the same
	 * code again and which candidate a duplicate reused, the second parent
	 * of a combined candidate, the harness's hardware figures, and what each
	 * call cost in dollars */
	"ALTER TABLE candidate ADD COLUMN code_hash TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE candidate ADD COLUMN same_as INTEGER NOT NULL DEFAULT -1;"
	"ALTER TABLE candidate ADD COLUMN parent2 INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE candidate ADD COLUMN metrics TEXT NOT NULL DEFAULT '';"
	"CREATE INDEX candidate_hash ON candidate(run_id, code_hash);"
	"ALTER TABLE llm_call ADD COLUMN cost REAL NOT NULL DEFAULT 0;",
	/* 5 -> 6: where a candidate's timed run happened (executors) */
	"ALTER TABLE candidate ADD COLUMN job TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE candidate ADD COLUMN node TEXT NOT NULL DEFAULT '';",
	/* 6 -> 7: in_beam held the last iteration whose beam kept the
	 * candidate (0: never), not a flag; the name now says so */
	"ALTER TABLE candidate RENAME COLUMN in_beam TO beam_iteration;",
};
/* ---- errors ---- */

static atomic_long full_count;

long store_full_count(void)
{
	return atomic_load(&full_count);
}

/* 0 for a result that is not an error, else the errno that says what went
 * wrong; a full disk is also counted (store_full_count). */
static int errno_of(int src)
{
	switch (src & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_FULL:
		atomic_fetch_add(&full_count, 1);
		return -ENOSPC;
	case SQLITE_CONSTRAINT:
		return -EEXIST;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_NOTFOUND:
		return -ENOENT;
	case SQLITE_TOOBIG:
		return -EFBIG;
	default:
		return -EIO;
	}
}

/* ---- statements ----
 *
 * A call names its statement's parameters in order with the bind macros:
 *
 *	return sql_write(s, SQL_FILE_MODE, BINDS(INT(mode), INT(now_ns()), INT(fid)));
 *
 * and reads rows with a row_fn. Each sql_* call is one statement under the
 * store's lock; a caller that needs two statements together holds the lock
 * (it is recursive) or a transaction around them.
 */

static void lock(struct store *s)
{
	pthread_mutex_lock(&s->lock);
}

static void unlock(struct store *s)
{
	pthread_mutex_unlock(&s->lock);
}

enum bind_kind { BIND_INT, BIND_REAL, BIND_TEXT, BIND_BLOB };

/* One parameter of a statement. */
struct bind {
	enum bind_kind kind;
	int64_t i;
	double d;
	const void *p;      /* TEXT: a string, NULL binds ""; BLOB: len bytes */
	size_t len;
};

#define INT(x) ((struct bind){.kind = BIND_INT, .i = (x)})
#define REAL(x) ((struct bind){.kind = BIND_REAL, .d = (x)})
#define TEXT(t) ((struct bind){.kind = BIND_TEXT, .p = (t)})
#define BLOB(b, n) ((struct bind){.kind = BIND_BLOB, .p = (b), .len = (n)})
/* The parameters ?1, ?2, ... as the array and count the sql_* calls take. */
#define BINDS(...) (const struct bind[]){__VA_ARGS__}, \
	sizeof((const struct bind[]){__VA_ARGS__}) / sizeof(struct bind)
#define NO_BINDS NULL, 0

/* Reads the current row of st into arg (what it is, the caller knows).
 * Returns 0, or -errno to stop at this row. */
typedef int row_fn(sqlite3_stmt *st, void *arg);

/* The cached prepared statement for sql (reset, bindings cleared), or NULL. */
static sqlite3_stmt *stmt(struct store *s, const char *sql)
{
	for (int i = 0; i < s->ncache; i++) {
		if (s->cache[i].sql == sql) {
			sqlite3_reset(s->cache[i].st);
			sqlite3_clear_bindings(s->cache[i].st);
			return s->cache[i].st;
		}
	}
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "autocompfs: SQL error: %s\n", sqlite3_errmsg(s->db));
		return NULL;
	}
	if (s->ncache < STMT_CACHE) {
		s->cache[s->ncache].sql = sql;
		s->cache[s->ncache].st = st;
		s->ncache++;
	}
	return st;
}

/* Ends a use of st: resets it (its result repeats the step's, already
 * taken) and finalizes it if the cache had no room for it. */
static void stmt_done(struct store *s, sqlite3_stmt *st)
{
	sqlite3_reset(st);
	for (int i = 0; i < s->ncache; i++)
		if (s->cache[i].st == st)
			return;
	sqlite3_finalize(st);
}

static int bind_one(sqlite3_stmt *st, int i, const struct bind *b)
{
	switch (b->kind) {
	case BIND_INT:
		return sqlite3_bind_int64(st, i, b->i);
	case BIND_REAL:
		return sqlite3_bind_double(st, i, b->d);
	case BIND_TEXT:
		return sqlite3_bind_text(st, i, b->p ? b->p : "", -1, SQLITE_TRANSIENT);
	case BIND_BLOB:
		/* never a NULL pointer: that would bind SQL NULL, not an empty blob */
		return sqlite3_bind_blob64(st, i, b->len ? b->p : "", b->len, SQLITE_TRANSIENT);
	}
	return SQLITE_MISUSE;
}

enum rows {
	ROWS_NONE,    /* a write: step once */
	ROWS_ALL,     /* fn for every row */
	ROWS_FIRST,   /* fn for the first row; -ENOENT when there is none */
};

/* The one way a statement runs: under the store's lock, the cached sql
 * with the nb parameters b bound, stepped as want says, then reset.
 * changed, when not NULL, receives sqlite3_changes() after a success.
 * Returns 0 or -errno: a failed bind or step (errno_of), fn's -errno, or
 * -ENOENT for ROWS_FIRST without a row. */
static int sql_run(struct store *s, const char *sql, const struct bind *b, size_t nb,
                   enum rows want, row_fn *fn, void *arg, int *changed)
{
	lock(s);
	sqlite3_stmt *st = stmt(s, sql);
	int rc = st ? 0 : -EIO;
	for (size_t i = 0; !rc && i < nb; i++)
		rc = errno_of(bind_one(st, (int)i + 1, &b[i]));
	bool got = false;
	while (!rc) {
		int r = sqlite3_step(st);
		if (r == SQLITE_DONE)
			break;
		if (r != SQLITE_ROW) {
			rc = errno_of(r);
			break;
		}
		if (want == ROWS_NONE)
			break;
		got = true;
		rc = fn(st, arg);
		if (want == ROWS_FIRST)
			break;
	}
	if (!rc && want == ROWS_FIRST && !got)
		rc = -ENOENT;
	if (!rc && changed)
		*changed = sqlite3_changes(s->db);
	if (st)
		stmt_done(s, st);
	unlock(s);
	return rc;
}

/* A statement without result rows. 0 or -errno. */
static int sql_write(struct store *s, const char *sql, const struct bind *b, size_t nb)
{
	return sql_run(s, sql, b, nb, ROWS_NONE, NULL, NULL, NULL);
}

/* sql_write for a statement meant to change a row: -ENOENT when it changed none. */
static int sql_write_one(struct store *s, const char *sql, const struct bind *b, size_t nb)
{
	int changed = 0;
	int rc = sql_run(s, sql, b, nb, ROWS_NONE, NULL, NULL, &changed);
	return !rc && !changed ? -ENOENT : rc;
}

/* The first row into arg by fn; -ENOENT when there is none. */
static int sql_row(struct store *s, const char *sql, const struct bind *b, size_t nb,
                   row_fn *fn, void *arg)
{
	return sql_run(s, sql, b, nb, ROWS_FIRST, fn, arg, NULL);
}

/* fn for every row, until it returns -errno. */
static int sql_rows(struct store *s, const char *sql, const struct bind *b, size_t nb,
                    row_fn *fn, void *arg)
{
	return sql_run(s, sql, b, nb, ROWS_ALL, fn, arg, NULL);
}

/* What sql_collect needs to know of one kind of row struct. */
struct row_kind {
	size_t size;
	row_fn *read;               /* fills a zeroed row struct */
	void (*clear)(void *row);   /* frees what read left in one; NULL: nothing */
};

struct collector {
	const struct row_kind *kind;
	char *rows;
	int n, cap;
};

static int collect_row(sqlite3_stmt *st, void *arg)
{
	struct collector *c = arg;
	if (c->n == c->cap) {
		int cap = c->cap ? c->cap * 2 : 16;
		char *p = realloc(c->rows, (size_t)cap * c->kind->size);
		if (!p)
			return -ENOMEM;
		c->rows = p;
		c->cap = cap;
	}
	void *row = c->rows + (size_t)c->n * c->kind->size;
	memset(row, 0, c->kind->size);
	c->n++;   /* before read: a half-read row is cleared with the rest */
	return c->kind->read(st, row);
}

/* Every row of sql, read by kind, in an array in *rows (n of them) that the
 * caller owns and frees with the kind's _rows_free. On failure -errno and
 * no rows (NULL, 0). */
static int sql_collect(struct store *s, const char *sql, const struct bind *b, size_t nb,
                       const struct row_kind *kind, void **rows, int *n)
{
	struct collector c = {.kind = kind};
	int rc = sql_rows(s, sql, b, nb, collect_row, &c);
	if (rc) {
		for (int i = 0; kind->clear && i < c.n; i++)
			kind->clear(c.rows + (size_t)i * kind->size);
		free(c.rows);
		c.rows = NULL;
		c.n = 0;
	}
	*rows = c.rows;
	*n = c.n;
	return rc;
}

/* The first row of sql into row (zeroed first) by kind; -ENOENT when
 * there is none. On failure row is cleared. */
static int sql_get(struct store *s, const char *sql, const struct bind *b, size_t nb,
                   const struct row_kind *kind, void *row)
{
	memset(row, 0, kind->size);
	int rc = sql_row(s, sql, b, nb, kind->read, row);
	if (rc && kind->clear)
		kind->clear(row);
	return rc;
}

/* A copy of column i as a string (NUL-terminated, caller frees), NULL
 * without memory. */
static char *col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	int n = sqlite3_column_bytes(st, i);
	char *p = malloc((size_t)n + 1);
	if (!p)
		return NULL;
	if (n)
		memcpy(p, t, (size_t)n);
	p[n] = '\0';
	return p;
}

/* row_fns for a single column 0 */

static int read_int64(sqlite3_stmt *st, void *arg)
{
	*(int64_t *)arg = sqlite3_column_int64(st, 0);
	return 0;
}

static int read_int(sqlite3_stmt *st, void *arg)
{
	*(int *)arg = sqlite3_column_int(st, 0);
	return 0;
}

static int read_double(sqlite3_stmt *st, void *arg)
{
	*(double *)arg = sqlite3_column_double(st, 0);
	return 0;
}

static int read_text(sqlite3_stmt *st, void *arg)
{
	char **t = arg;
	*t = col_text(st, 0);
	return *t ? 0 : -ENOMEM;
}

/* Ids (column 0) as an int64_t array the caller frees. */
static const struct row_kind ID_ROWS = {sizeof(int64_t), read_int64, NULL};

/* ---- columns ----
 *
 * A row struct is read from the columns of one list, written once per
 * kind as a table macro: TABLE(FIRST, NEXT) names each column's SQL, the
 * field it fills and how. The same list makes the SELECT's column text
 * (COLUMNS_SQL) and the reader's table (COLUMNS_OF), so the two cannot
 * disagree and no count is kept by hand. */

enum col_kind {
	C_I64, C_INT, C_LONG, C_SIZE, C_REAL,
	C_TEXT,       /* a copy the row owns */
	C_STATE,      /* a word of state.h: enum run_state */
	C_OUTCOME,    /* a word of target.h: enum ac_outcome */
	C_ORIGIN,     /* a word of origin.h: enum cand_origin */
};

struct column {
	enum col_kind kind;
	size_t off;
};

#define SQL_FIRST(sql, field, kind) sql
#define SQL_NEXT(sql, field, kind) ", " sql
#define COLUMNS_SQL(TABLE) TABLE(SQL_FIRST, SQL_NEXT)
#define COLUMN_OF(sql, field, kind) {kind, offsetof(ROW_TYPE, field)},
#define COLUMNS_OF(TABLE) {TABLE(COLUMN_OF, COLUMN_OF)}
#define NCOLUMNS(cols) ((int)(sizeof(cols) / sizeof((cols)[0])))

/* The value of the enum word in column at, by its kind's table; -EIO for
 * a word no table knows. */
static int col_word(sqlite3_stmt *st, int at, enum col_kind kind, int *v)
{
	const char *w = (const char *)sqlite3_column_text(st, at);
	if (kind == C_STATE) {
		*v = run_state_parse(w);
	} else if (kind == C_ORIGIN) {
		*v = cand_origin_parse(w);
	} else {
		/* ac_outcome_parse takes an unknown word for "pending": check */
		enum ac_outcome o = ac_outcome_parse(w);
		*v = w && !strcmp(w, ac_outcome_name(o)) ? (int)o : -1;
	}
	if (*v >= 0)
		return 0;
	fprintf(stderr, "autocompfs: the database holds \"%s\" where a %s belongs\n",
	        w ? w : "", kind == C_STATE ? "state" : kind == C_ORIGIN ? "origin" : "outcome");
	return -EIO;
}

/* Reads the columns first, first + 1, ... of st into row by cols[0..n).
 * 0, -ENOMEM, or -EIO (col_word); what was read stays for the clear. */
static int read_columns(sqlite3_stmt *st, int first, const struct column *cols, int n, void *row)
{
	assert(sqlite3_column_count(st) >= first + n);
	int rc = 0;
	for (int i = 0; i < n && !rc; i++) {
		int at = first + i, v;
		void *f = (char *)row + cols[i].off;
		switch (cols[i].kind) {
		case C_I64:
			*(int64_t *)f = sqlite3_column_int64(st, at);
			break;
		case C_INT:
			*(int *)f = sqlite3_column_int(st, at);
			break;
		case C_LONG:
			*(long *)f = (long)sqlite3_column_int64(st, at);
			break;
		case C_SIZE:
			*(size_t *)f = (size_t)sqlite3_column_int64(st, at);
			break;
		case C_REAL:
			*(double *)f = sqlite3_column_double(st, at);
			break;
		case C_TEXT:
			*(char **)f = col_text(st, at);
			rc = *(char **)f ? 0 : -ENOMEM;
			break;
		case C_STATE:
		case C_OUTCOME:
		case C_ORIGIN:
			rc = col_word(st, at, cols[i].kind, &v);
			*(int *)f = rc ? 0 : v;
			break;
		}
	}
	return rc;
}

/* Frees the strings cols[0..n) name in row. */
static void clear_columns(const struct column *cols, int n, void *row)
{
	for (int i = 0; i < n; i++) {
		if (cols[i].kind == C_TEXT) {
			char **f = (char **)((char *)row + cols[i].off);
			free(*f);
			*f = NULL;
		}
	}
}

/* Runs sql text that may hold several statements (migrations, PRAGMAs,
 * transaction control), outside the cache. 0 or -errno. */
static int exec(struct store *s, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		fprintf(stderr, "autocompfs: SQL error: %s\n", msg ? msg : "?");
		sqlite3_free(msg);
	}
	return errno_of(rc);
}

/* ---- opening, versions, transactions ---- */

static const char SQL_USER_VERSION[] = "PRAGMA user_version";

int store_schema_version(struct store *s)
{
	int v = -1;
	if (sql_row(s, SQL_USER_VERSION, NO_BINDS, read_int, &v))
		return -1;
	return v;
}

static int migrate(struct store *s, char *err, size_t errlen)
{
	int have = store_schema_version(s);
	int want = (int)(sizeof(migrations) / sizeof(migrations[0]));
	if (have < 0) {
		snprintf(err, errlen, "cannot read the database's schema version");
		return -EIO;
	}
	if (have > want) {
		snprintf(err, errlen, "the database has schema version %d, newer than this "
		         "autocompfs knows (%d)", have, want);
		return -EPROTO;
	}
	for (int v = have; v < want; v++) {
		char bump[64];
		snprintf(bump, sizeof(bump), "PRAGMA user_version=%d;", v + 1);
		int rc = exec(s, "BEGIN IMMEDIATE");
		if (!rc)
			rc = exec(s, migrations[v]);
		if (!rc)
			rc = exec(s, bump);
		if (!rc)
			rc = exec(s, "COMMIT");
		if (rc) {
			exec(s, "ROLLBACK");   /* rc says why; nothing of version v + 1 stays */
			snprintf(err, errlen, "migrating the database to version %d failed", v + 1);
			return rc;
		}
	}
	return 0;
}

int store_open(const char *path, struct store **out, char *err, size_t errlen)
{
	struct store *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	pthread_mutexattr_t a;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&s->lock, &a);
	pthread_mutexattr_destroy(&a);
	int rc = sqlite3_open_v2(path, &s->db,
	                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	                         SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "cannot open %s: %s", path,
		         s->db ? sqlite3_errmsg(s->db) : "out of memory");
		store_close(s);
		return -EIO;
	}
	sqlite3_busy_timeout(s->db, 10000);
	int r = exec(s, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
	                "PRAGMA foreign_keys=ON;");
	if (!r)
		r = migrate(s, err, errlen);
	else
		snprintf(err, errlen, "cannot set up %s: %s", path, sqlite3_errmsg(s->db));
	if (r) {
		store_close(s);
		return r;
	}
	*out = s;
	return 0;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->ncache; i++)
		sqlite3_finalize(s->cache[i].st);
	sqlite3_close(s->db);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

int store_begin(struct store *s)
{
	lock(s);
	int rc = exec(s, "BEGIN IMMEDIATE");
	if (rc)
		unlock(s);
	return rc;
}

int store_commit(struct store *s)
{
	int rc = exec(s, "COMMIT");
	if (rc)
		exec(s, "ROLLBACK");   /* rc says why the changes are gone */
	unlock(s);
	return rc;
}

int store_rollback(struct store *s)
{
	int rc = exec(s, "ROLLBACK");
	unlock(s);
	return rc;
}

int store_cache_limit(struct store *s, int kib)
{
	char sql[64];
	snprintf(sql, sizeof(sql), "PRAGMA cache_size = -%d", kib > 0 ? kib : 1);
	lock(s);
	int rc = exec(s, sql);
	unlock(s);
	return rc;
}

/* Ends the transaction store_begin opened: commits when rc is 0, else rolls
 * back and returns rc (the failure that stopped it, not the rollback's). */
static int tx_end(struct store *s, int rc)
{
	if (!rc)
		return store_commit(s);
	int rb = store_rollback(s);
	return rc ? rc : rb;
}

static const char SQL_INTEGRITY[] = "PRAGMA integrity_check";

char *store_integrity(struct store *s)
{
	char *res = NULL;
	if (sql_row(s, SQL_INTEGRITY, NO_BINDS, read_text, &res))
		return strdup("integrity_check failed to run");
	return res;
}

/* ---- kernels ---- */

#define KERNEL_TABLE(FIRST, NEXT) \
	FIRST("id", id, C_I64) \
	NEXT("name", name, C_TEXT) \
	NEXT("state", state, C_STATE) \
	NEXT("status", status, C_TEXT) \
	NEXT("created_ns", created_ns, C_I64) \
	NEXT("status_ns", status_ns, C_I64)
#define ROW_TYPE struct kernel_row
static const struct column kernel_cols[] = COLUMNS_OF(KERNEL_TABLE);
#undef ROW_TYPE

void kernel_row_clear(struct kernel_row *k)
{
	if (!k)
		return;
	clear_columns(kernel_cols, NCOLUMNS(kernel_cols), k);
	memset(k, 0, sizeof(*k));
}

void kernel_rows_free(struct kernel_row *rows, int n)
{
	for (int i = 0; i < n; i++)
		kernel_row_clear(&rows[i]);
	free(rows);
}

static const char SQL_KERNEL_CREATE[] =
	"INSERT INTO kernel(name, state, status, created_ns, status_ns) VALUES (?,?,?,?,?)";

int store_kernel_create(struct store *s, const char *name, int64_t *id)
{
	int64_t t = now_ns();
	const char *word = run_state_name(RS_WAITING);
	char status[64];
	snprintf(status, sizeof(status), "%s: copy input and harness here", word);
	lock(s);   /* the new row's id is this connection's until the next insert */
	int rc = sql_write(s, SQL_KERNEL_CREATE,
	                   BINDS(TEXT(name), TEXT(word), TEXT(status), INT(t), INT(t)));
	if (!rc && id)
		*id = sqlite3_last_insert_rowid(s->db);
	unlock(s);
	return rc;
}

static const char SQL_KERNEL_DELETE[] = "DELETE FROM kernel WHERE id = ? AND id <> 0";

int store_kernel_delete(struct store *s, int64_t id)
{
	return sql_write(s, SQL_KERNEL_DELETE, BINDS(INT(id)));
}

static const char SQL_KERNEL_RENAME[] = "UPDATE kernel SET name = ? WHERE id = ?";

int store_kernel_rename(struct store *s, int64_t id, const char *to)
{
	return sql_write(s, SQL_KERNEL_RENAME, BINDS(TEXT(to), INT(id)));
}

static const char SQL_KERNEL_STATUS[] =
	"UPDATE kernel SET state = ?, status = ?, status_ns = ? WHERE id = ?";

int store_kernel_set_status(struct store *s, int64_t id, enum run_state state,
                            const char *status, int64_t ts)
{
	/* the status line says its state first (state.h) */
	assert(!strncmp(status, run_state_name(state), strlen(run_state_name(state))));
	return sql_write(s, SQL_KERNEL_STATUS,
	                 BINDS(TEXT(run_state_name(state)), TEXT(status), INT(ts), INT(id)));
}

#define KERNEL_COLS COLUMNS_SQL(KERNEL_TABLE)

static int kernel_read(sqlite3_stmt *st, void *arg)
{
	return read_columns(st, 0, kernel_cols, NCOLUMNS(kernel_cols), arg);
}

static void kernel_clear(void *row)
{
	kernel_row_clear(row);
}

static const struct row_kind KERNEL_ROWS = {sizeof(struct kernel_row), kernel_read, kernel_clear};

static const char SQL_KERNEL_LIST[] =
	"SELECT " KERNEL_COLS " FROM kernel WHERE id <> 0 ORDER BY name";

int store_kernel_list(struct store *s, struct kernel_row **rows, int *n)
{
	void *got;
	int rc = sql_collect(s, SQL_KERNEL_LIST, NO_BINDS, &KERNEL_ROWS, &got, n);
	*rows = got;
	return rc;
}

static const char SQL_KERNEL_GET[] = "SELECT " KERNEL_COLS " FROM kernel WHERE id = ?";

int store_kernel_get(struct store *s, int64_t id, struct kernel_row *k)
{
	return sql_get(s, SQL_KERNEL_GET, BINDS(INT(id)), &KERNEL_ROWS, k);
}

/* ---- files ---- */

#define FILE_TABLE(FIRST, NEXT) \
	FIRST("id", id, C_I64) \
	NEXT("kernel_id", kernel_id, C_I64) \
	NEXT("name", name, C_TEXT) \
	NEXT("length(data)", size, C_SIZE) \
	NEXT("mode", mode, C_INT) \
	NEXT("mtime_ns", mtime_ns, C_I64) \
	NEXT("ctime_ns", ctime_ns, C_I64)
#define ROW_TYPE struct file_row
static const struct column file_cols[] = COLUMNS_OF(FILE_TABLE);
#undef ROW_TYPE

void file_row_clear(struct file_row *f)
{
	if (!f)
		return;
	clear_columns(file_cols, NCOLUMNS(file_cols), f);
	free(f->data);
	memset(f, 0, sizeof(*f));
}

void file_rows_free(struct file_row *rows, int n)
{
	for (int i = 0; i < n; i++)
		file_row_clear(&rows[i]);
	free(rows);
}

#define FILE_COLS COLUMNS_SQL(FILE_TABLE)

/* A file row; with its data when the query selected it (a column after
 * FILE_COLS). */
static int file_read(sqlite3_stmt *st, void *arg)
{
	struct file_row *f = arg;
	const int ncols = NCOLUMNS(file_cols);
	int rc = read_columns(st, 0, file_cols, ncols, f);
	if (rc || sqlite3_column_count(st) <= ncols)
		return rc;
	const void *d = sqlite3_column_blob(st, ncols);
	size_t n = (size_t)sqlite3_column_bytes(st, ncols);
	f->data = malloc(n + 1);
	if (!f->data)
		return -ENOMEM;
	if (n)
		memcpy(f->data, d, n);
	f->data[n] = '\0';
	f->size = n;
	return 0;
}

static void file_clear(void *row)
{
	file_row_clear(row);
}

static const struct row_kind FILE_ROWS = {sizeof(struct file_row), file_read, file_clear};

static const char SQL_FILE_GET[] =
	"SELECT " FILE_COLS " FROM file WHERE kernel_id = ? AND name = ?";
static const char SQL_FILE_GET_DATA[] =
	"SELECT " FILE_COLS ", data FROM file WHERE kernel_id = ? AND name = ?";
static const char SQL_FILE_GET_ID[] = "SELECT " FILE_COLS " FROM file WHERE id = ?";
static const char SQL_FILE_GET_ID_DATA[] = "SELECT " FILE_COLS ", data FROM file WHERE id = ?";

int store_file_get(struct store *s, int64_t kid, const char *name, bool with_data,
                   struct file_row *f)
{
	return sql_get(s, with_data ? SQL_FILE_GET_DATA : SQL_FILE_GET,
	               BINDS(INT(kid), TEXT(name)), &FILE_ROWS, f);
}

int store_file_get_id(struct store *s, int64_t fid, bool with_data, struct file_row *f)
{
	return sql_get(s, with_data ? SQL_FILE_GET_ID_DATA : SQL_FILE_GET_ID, BINDS(INT(fid)),
	               &FILE_ROWS, f);
}

static const char SQL_FILE_LIST[] =
	"SELECT " FILE_COLS " FROM file WHERE kernel_id = ? ORDER BY name";
static const char SQL_FILE_LIST_DATA[] =
	"SELECT " FILE_COLS ", data FROM file WHERE kernel_id = ? ORDER BY name";

int store_file_list(struct store *s, int64_t kid, bool with_data,
                    struct file_row **rows, int *n)
{
	void *got;
	int rc = sql_collect(s, with_data ? SQL_FILE_LIST_DATA : SQL_FILE_LIST, BINDS(INT(kid)),
	                     &FILE_ROWS, &got, n);
	*rows = got;
	return rc;
}

static const char SQL_FILE_CREATE[] =
	"INSERT INTO file(kernel_id, name, data, mode, mtime_ns, ctime_ns) "
	"VALUES (?, ?, x'', ?, ?, ?) ON CONFLICT(kernel_id, name) DO NOTHING";
static const char SQL_FILE_ID[] = "SELECT id FROM file WHERE kernel_id = ? AND name = ?";

int store_file_create(struct store *s, int64_t kid, const char *name, int mode,
                      int64_t *fid)
{
	int64_t t = now_ns();
	int64_t id = 0;
	lock(s);   /* the id read is of the row just made (or found) */
	int rc = sql_write(s, SQL_FILE_CREATE, BINDS(INT(kid), TEXT(name), INT(mode), INT(t), INT(t)));
	if (!rc)
		rc = sql_row(s, SQL_FILE_ID, BINDS(INT(kid), TEXT(name)), read_int64, &id);
	unlock(s);
	if (!rc && fid)
		*fid = id;
	return rc;
}

static const char SQL_FILE_WRITE[] =
	"UPDATE file SET data = ?, mtime_ns = ?, ctime_ns = ? WHERE id = ?";

int store_file_write(struct store *s, int64_t fid, const void *data, size_t len,
                     int64_t mtime_ns)
{
	return sql_write_one(s, SQL_FILE_WRITE,
	                     BINDS(BLOB(data, len), INT(mtime_ns), INT(now_ns()), INT(fid)));
}

static const char SQL_FILE_PUT[] =
	"INSERT INTO file(kernel_id, name, data, mode, mtime_ns, ctime_ns) VALUES (?,?,?,?,?,?) "
	"ON CONFLICT(kernel_id, name) DO UPDATE SET data = excluded.data, "
	"mtime_ns = excluded.mtime_ns, ctime_ns = excluded.ctime_ns";

int store_file_put(struct store *s, int64_t kid, const char *name, const void *data,
                   size_t len, int mode, int64_t mtime_ns)
{
	return sql_write(s, SQL_FILE_PUT, BINDS(INT(kid), TEXT(name), BLOB(data, len), INT(mode),
	                                        INT(mtime_ns), INT(now_ns())));
}

/* Cut to ?1 bytes or padded with zeros to them. SQLite's substr of an
 * empty blob is NULL and || makes text of blobs, hence the coalesce and
 * the cast: data stays a blob of exactly ?1 bytes. */
static const char SQL_FILE_TRUNC[] =
	"UPDATE file SET data = CAST(coalesce(CASE WHEN length(data) >= ?1 THEN substr(data, 1, ?1) "
	"ELSE data || zeroblob(?1 - length(data)) END, x'') AS BLOB), "
	"mtime_ns = ?2, ctime_ns = ?3 WHERE id = ?4";

int store_file_truncate(struct store *s, int64_t fid, size_t len, int64_t mtime_ns)
{
	return sql_write_one(s, SQL_FILE_TRUNC,
	                     BINDS(INT((int64_t)len), INT(mtime_ns), INT(now_ns()), INT(fid)));
}

static const char SQL_FILE_MODE[] = "UPDATE file SET mode = ?, ctime_ns = ? WHERE id = ?";

int store_file_set_mode(struct store *s, int64_t fid, int mode)
{
	return sql_write(s, SQL_FILE_MODE, BINDS(INT(mode), INT(now_ns()), INT(fid)));
}

static const char SQL_FILE_TIMES[] = "UPDATE file SET mtime_ns = ?, ctime_ns = ? WHERE id = ?";

int store_file_set_times(struct store *s, int64_t fid, int64_t mtime_ns)
{
	return sql_write(s, SQL_FILE_TIMES, BINDS(INT(mtime_ns), INT(now_ns()), INT(fid)));
}

static const char SQL_FILE_UNLINK[] = "DELETE FROM file WHERE kernel_id = ? AND name = ?";

int store_file_unlink(struct store *s, int64_t kid, const char *name)
{
	return sql_write_one(s, SQL_FILE_UNLINK, BINDS(INT(kid), TEXT(name)));
}

static const char SQL_FILE_RENAME[] =
	"UPDATE file SET name = ?, ctime_ns = ? WHERE kernel_id = ? AND name = ?";

int store_file_rename(struct store *s, int64_t kid, const char *from, const char *to)
{
	if (!strcmp(from, to))
		return 0;
	int rc = store_begin(s);
	if (rc)
		return rc;
	struct file_row f;
	rc = store_file_get(s, kid, from, false, &f);
	file_row_clear(&f);
	if (!rc) {
		rc = store_file_unlink(s, kid, to);
		if (rc == -ENOENT)
			rc = 0;
	}
	if (!rc)
		rc = sql_write(s, SQL_FILE_RENAME, BINDS(TEXT(to), INT(now_ns()), INT(kid), TEXT(from)));
	return tx_end(s, rc);
}

/* ---- runs ---- */

#define RUN_TABLE(FIRST, NEXT) \
	FIRST("id", id, C_I64) \
	NEXT("kernel_id", kernel_id, C_I64) \
	NEXT("state", state, C_STATE) \
	NEXT("target", target, C_TEXT) \
	NEXT("input_name", input_name, C_TEXT) \
	NEXT("input", input, C_TEXT) \
	NEXT("config", config, C_TEXT) \
	NEXT("best", best, C_I64) \
	NEXT("best_ns", best_ns, C_I64) \
	NEXT("created_ns", created_ns, C_I64) \
	NEXT("finished_ns", finished_ns, C_I64) \
	NEXT("iteration", iteration, C_INT) \
	NEXT("tokens", tokens, C_LONG) \
	NEXT("verdict", verdict, C_TEXT)
#define ROW_TYPE struct run_row
static const struct column run_cols[] = COLUMNS_OF(RUN_TABLE);
#undef ROW_TYPE

void run_row_clear(struct run_row *r)
{
	if (!r)
		return;
	clear_columns(run_cols, NCOLUMNS(run_cols), r);
	memset(r, 0, sizeof(*r));
}

static const char SQL_RUN_CREATE[] =
	"INSERT INTO run(kernel_id, state, target, input_name, input, config, created_ns, best_ns) "
	"VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
static const char SQL_RUN_FILE_ADD[] =
	"INSERT OR REPLACE INTO run_file(run_id, name, data) VALUES (?, ?, ?)";

int store_run_create(struct store *s, int64_t kid, const char *target,
                     const char *input_name, const char *input, const char *config,
                     const struct ac_file *files, size_t nfiles, int64_t *rid)
{
	int rc = store_begin(s);
	if (rc)
		return rc;
	int64_t t = now_ns();
	rc = sql_write(s, SQL_RUN_CREATE, BINDS(INT(kid), TEXT(run_state_name(RS_QUEUED)),
	                                        TEXT(target), TEXT(input_name),
	                                        BLOB(input, strlen(input)), TEXT(config),
	                                        INT(t), INT(t)));
	int64_t id = sqlite3_last_insert_rowid(s->db);
	for (size_t i = 0; !rc && i < nfiles; i++)
		rc = sql_write(s, SQL_RUN_FILE_ADD, BINDS(INT(id), TEXT(files[i].name),
		                                          BLOB(files[i].data, files[i].size)));
	rc = tx_end(s, rc);
	if (!rc && rid)
		*rid = id;
	return rc;
}

int store_run_file_put(struct store *s, int64_t rid, const char *name, const void *data,
                       size_t len)
{
	return sql_write(s, SQL_RUN_FILE_ADD, BINDS(INT(rid), TEXT(name), BLOB(data, len)));
}

#define RUN_COLS COLUMNS_SQL(RUN_TABLE)

static int run_read(sqlite3_stmt *st, void *arg)
{
	return read_columns(st, 0, run_cols, NCOLUMNS(run_cols), arg);
}

static void run_clear(void *row)
{
	run_row_clear(row);
}

static const struct row_kind RUN_ROWS = {sizeof(struct run_row), run_read, run_clear};

static const char SQL_RUN_LATEST[] =
	"SELECT " RUN_COLS " FROM run WHERE kernel_id = ? ORDER BY id DESC LIMIT 1";

int store_run_latest(struct store *s, int64_t kid, struct run_row *r)
{
	return sql_get(s, SQL_RUN_LATEST, BINDS(INT(kid)), &RUN_ROWS, r);
}

static const char SQL_RUN_GET[] = "SELECT " RUN_COLS " FROM run WHERE id = ?";

int store_run_get(struct store *s, int64_t rid, struct run_row *r)
{
	return sql_get(s, SQL_RUN_GET, BINDS(INT(rid)), &RUN_ROWS, r);
}

static const char SQL_RUN_STATE[] =
	"UPDATE run SET state = ?, finished_ns = ? WHERE id = ?";

int store_run_set_state(struct store *s, int64_t rid, enum run_state state, bool finished)
{
	assert(state != RS_WAITING);
	return sql_write(s, SQL_RUN_STATE, BINDS(TEXT(run_state_name(state)),
	                                         INT(finished ? now_ns() : 0), INT(rid)));
}

static const char SQL_RUN_BEST[] = "UPDATE run SET best = ?, best_ns = ? WHERE id = ?";

int store_run_set_best(struct store *s, int64_t rid, int64_t num, int64_t ts)
{
	return sql_write(s, SQL_RUN_BEST, BINDS(INT(num), INT(ts), INT(rid)));
}

static const char SQL_RUN_PROGRESS[] = "UPDATE run SET iteration = ?, tokens = ? WHERE id = ?";

int store_run_set_progress(struct store *s, int64_t rid, int iteration, long tokens)
{
	return sql_write(s, SQL_RUN_PROGRESS, BINDS(INT(iteration), INT(tokens), INT(rid)));
}

static const char SQL_RUN_VERDICT[] = "UPDATE run SET verdict = ? WHERE id = ?";

int store_run_set_verdict(struct store *s, int64_t rid, const char *json)
{
	return sql_write(s, SQL_RUN_VERDICT, BINDS(TEXT(json), INT(rid)));
}

static const char SQL_RUNS_OPEN[] =
	"SELECT " RUN_COLS " FROM run r WHERE r.finished_ns = 0 AND r.id = "
	"(SELECT max(id) FROM run WHERE kernel_id = r.kernel_id) ORDER BY r.id";

int store_runs_unfinished(struct store *s, int64_t **rids, int *n)
{
	void *got;
	int m;
	*rids = NULL;
	*n = 0;
	int rc = sql_collect(s, SQL_RUNS_OPEN, NO_BINDS, &RUN_ROWS, &got, &m);
	if (rc)
		return rc;
	struct run_row *rows = got;
	*rids = calloc((size_t)m + 1, sizeof(**rids));
	for (int i = 0; *rids && i < m; i++)
		if (!run_state_final(rows[i].state))
			(*rids)[(*n)++] = rows[i].id;
	for (int i = 0; i < m; i++)
		run_row_clear(&rows[i]);
	free(rows);
	return *rids ? 0 : -ENOMEM;
}

static const char SQL_RUN_FILES[] =
	"SELECT 0, 0, name, length(data), 420, 0, 0, data FROM run_file WHERE run_id = ? "
	"ORDER BY name";

int store_run_files(struct store *s, int64_t rid, struct file_row **rows, int *n)
{
	void *got;
	int rc = sql_collect(s, SQL_RUN_FILES, BINDS(INT(rid)), &FILE_ROWS, &got, n);
	*rows = got;
	return rc;
}

/* ---- candidates ---- */

/* An outcome a row may hold: in range, or the write is a bug. */
static enum ac_outcome outcome_in_range(enum ac_outcome o)
{
	assert(o >= 0 && o < AC_OUTCOMES);
	return o;
}

/* A candidate as a listing shows it: every column but the long texts,
 * of which it has the lengths. */
#define CAND_TABLE(FIRST, NEXT) \
	FIRST("run_id", run_id, C_I64) \
	NEXT("num", num, C_I64) \
	NEXT("parent", parent, C_I64) \
	NEXT("iteration", iteration, C_INT) \
	NEXT("origin", origin, C_ORIGIN) \
	NEXT("plan", plan, C_TEXT) \
	NEXT("option", option, C_TEXT) \
	NEXT("model", model, C_TEXT) \
	NEXT("length(source)", source_len, C_SIZE) \
	NEXT("outcome", outcome, C_OUTCOME) \
	NEXT("time_ns", time_ns, C_I64) \
	NEXT("samples", samples, C_INT) \
	NEXT("spread", spread, C_REAL) \
	NEXT("message", message, C_TEXT) \
	NEXT("length(CAST(log AS BLOB))", log_len, C_SIZE) \
	NEXT("tokens", tokens, C_LONG) \
	NEXT("beam_iteration", beam_iteration, C_INT) \
	NEXT("created_ns", created_ns, C_I64) \
	NEXT("evaluated_ns", evaluated_ns, C_I64) \
	NEXT("slot", slot, C_TEXT) \
	NEXT("retime_ns", retime_ns, C_I64) \
	NEXT("reasoning_tokens", reasoning_tokens, C_LONG) \
	NEXT("verdict", verdict, C_TEXT) \
	NEXT("code_hash", code_hash, C_TEXT) \
	NEXT("same_as", same_as, C_I64) \
	NEXT("parent2", parent2, C_I64) \
	NEXT("metrics", metrics, C_TEXT) \
	NEXT("job", job, C_TEXT) \
	NEXT("node", node, C_TEXT)
/* The long texts, after CAND_TABLE's columns when one candidate is read
 * whole. */
#define CAND_TEXT_TABLE(FIRST, NEXT) \
	FIRST("source", source, C_TEXT) \
	NEXT("log", log, C_TEXT) \
	NEXT("plan_prompt", plan_prompt, C_TEXT) \
	NEXT("code_prompt", code_prompt, C_TEXT)
#define ROW_TYPE struct cand_row
static const struct column cand_cols[] = COLUMNS_OF(CAND_TABLE);
static const struct column cand_text_cols[] = COLUMNS_OF(CAND_TEXT_TABLE);
#undef ROW_TYPE

void cand_row_clear(struct cand_row *c)
{
	if (!c)
		return;
	clear_columns(cand_cols, NCOLUMNS(cand_cols), c);
	clear_columns(cand_text_cols, NCOLUMNS(cand_text_cols), c);
	memset(c, 0, sizeof(*c));
}

void cand_rows_free(struct cand_row *rows, int n)
{
	for (int i = 0; i < n; i++)
		cand_row_clear(&rows[i]);
	free(rows);
}

static const char SQL_CAND_NEXT[] =
	"SELECT coalesce(max(num) + 1, 0) FROM candidate WHERE run_id = ?";
static const char SQL_CAND_ADD[] =
	"INSERT INTO candidate(run_id, num, parent, iteration, origin, plan, option, model, "
	"source, outcome, message, plan_prompt, code_prompt, tokens, created_ns, slot, "
	"reasoning_tokens, code_hash, parent2) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";

int store_cand_add(struct store *s, struct cand_row *c)
{
	int rc = store_begin(s);
	if (rc)
		return rc;
	if (c->num < 0)
		rc = sql_row(s, SQL_CAND_NEXT, BINDS(INT(c->run_id)), read_int64, &c->num);
	if (!rc && !c->created_ns)
		c->created_ns = now_ns();
	const char *src = c->source ? c->source : "";
	if (!rc)
		rc = sql_write(s, SQL_CAND_ADD,
		               BINDS(INT(c->run_id), INT(c->num), INT(c->parent), INT(c->iteration),
		                     TEXT(cand_origin_name(c->origin)), TEXT(c->plan), TEXT(c->option),
		                     TEXT(c->model), BLOB(src, strlen(src)),
		                     TEXT(ac_outcome_name(outcome_in_range(c->outcome))),
		                     TEXT(c->message), TEXT(c->plan_prompt), TEXT(c->code_prompt),
		                     INT(c->tokens), INT(c->created_ns), TEXT(c->slot),
		                     INT(c->reasoning_tokens), TEXT(c->code_hash),
		                     INT(c->parent2 > 0 ? c->parent2 : 0)));
	return tx_end(s, rc);
}

static const char SQL_CAND_RESULT[] =
	"UPDATE candidate SET outcome = ?, time_ns = ?, samples = ?, spread = ?, message = ?, "
	"log = ?, evaluated_ns = ?, metrics = ?, same_as = ? WHERE run_id = ? AND num = ?";

int store_cand_set_result(struct store *s, int64_t rid, int64_t num,
                          const struct ac_result *r, int64_t ts)
{
	return store_cand_set_dup(s, rid, num, -1, r, ts);
}

int store_cand_set_dup(struct store *s, int64_t rid, int64_t num, int64_t same_as,
                       const struct ac_result *r, int64_t ts)
{
	return sql_write(s, SQL_CAND_RESULT,
	                 BINDS(TEXT(ac_outcome_name(outcome_in_range(r->outcome))), INT(r->time_ns),
	                       INT(r->samples),
	                       REAL(r->spread), TEXT(r->message), TEXT(r->log), INT(ts),
	                       TEXT(r->metrics), INT(same_as), INT(rid), INT(num)));
}


static const char SQL_CAND_HASH[] =
	"UPDATE candidate SET code_hash = ? WHERE run_id = ? AND num = ?";

int store_cand_set_hash(struct store *s, int64_t rid, int64_t num, const char *hash)
{
	return sql_write(s, SQL_CAND_HASH, BINDS(TEXT(hash), INT(rid), INT(num)));
}

static const char SQL_CAND_BEAM[] =
	"UPDATE candidate SET beam_iteration = ? WHERE run_id = ? AND num = ?";

int store_cand_set_beam(struct store *s, int64_t rid, int64_t num, int iteration)
{
	return sql_write(s, SQL_CAND_BEAM, BINDS(INT(iteration), INT(rid), INT(num)));
}

static const char SQL_CAND_RETIME[] =
	"UPDATE candidate SET retime_ns = ? WHERE run_id = ? AND num = ?";

int store_cand_set_retime(struct store *s, int64_t rid, int64_t num, int64_t ns)
{
	return sql_write(s, SQL_CAND_RETIME, BINDS(INT(ns), INT(rid), INT(num)));
}

static const char SQL_CAND_VERDICT[] =
	"UPDATE candidate SET verdict = ? WHERE run_id = ? AND num = ?";

int store_cand_set_verdict(struct store *s, int64_t rid, int64_t num, const char *json)
{
	return sql_write(s, SQL_CAND_VERDICT, BINDS(TEXT(json), INT(rid), INT(num)));
}

static const char SQL_CAND_WHERE[] =
	"UPDATE candidate SET job = ?, node = ? WHERE run_id = ? AND num = ?";

int store_cand_set_where(struct store *s, int64_t rid, int64_t num, const char *job,
                         const char *node)
{
	return sql_write(s, SQL_CAND_WHERE, BINDS(TEXT(job), TEXT(node), INT(rid), INT(num)));
}

static const char SQL_CAND_BY_SLOT[] =
	"SELECT num FROM candidate WHERE run_id = ? AND slot = ? ORDER BY num LIMIT 1";

int store_cand_by_slot(struct store *s, int64_t rid, const char *slot, int64_t *num)
{
	return sql_row(s, SQL_CAND_BY_SLOT, BINDS(INT(rid), TEXT(slot)), read_int64, num);
}

#define CAND_COLS COLUMNS_SQL(CAND_TABLE)

/* A candidate row of CAND_COLS; with its source, log and prompts when the
 * query selected them too (CAND_TEXT_TABLE, after CAND_COLS). */
static int cand_read(sqlite3_stmt *st, void *arg)
{
	const int ncols = NCOLUMNS(cand_cols);
	int rc = read_columns(st, 0, cand_cols, ncols, arg);
	if (rc || sqlite3_column_count(st) <= ncols)
		return rc;
	return read_columns(st, ncols, cand_text_cols, NCOLUMNS(cand_text_cols), arg);
}

static void cand_clear(void *row)
{
	cand_row_clear(row);
}

static const struct row_kind CAND_ROWS = {sizeof(struct cand_row), cand_read, cand_clear};

static const char SQL_CAND_GET[] =
	"SELECT " CAND_COLS ", " COLUMNS_SQL(CAND_TEXT_TABLE) " FROM candidate "
	"WHERE run_id = ? AND num = ?";

int store_cand_get(struct store *s, int64_t rid, int64_t num, struct cand_row *c)
{
	return sql_get(s, SQL_CAND_GET, BINDS(INT(rid), INT(num)), &CAND_ROWS, c);
}

static const char SQL_CAND_LIST[] =
	"SELECT " CAND_COLS " FROM candidate WHERE run_id = ? ORDER BY num";

int store_cand_list(struct store *s, int64_t rid, struct cand_row **rows, int *n)
{
	void *got;
	int rc = sql_collect(s, SQL_CAND_LIST, BINDS(INT(rid)), &CAND_ROWS, &got, n);
	*rows = got;
	return rc;
}

static const char SQL_CAND_BY_HASH[] =
	"SELECT " CAND_COLS " FROM candidate WHERE run_id = ? AND code_hash = ? AND num < ? "
	"ORDER BY num";

int store_cand_by_hash(struct store *s, int64_t rid, const char *hash, int64_t before,
                       struct cand_row **rows, int *n)
{
	*rows = NULL;
	*n = 0;
	if (!hash || !hash[0])
		return 0;
	void *got;
	int rc = sql_collect(s, SQL_CAND_BY_HASH, BINDS(INT(rid), TEXT(hash), INT(before)),
	                     &CAND_ROWS, &got, n);
	*rows = got;
	return rc;
}

static const char SQL_CAND_PENDING[] =
	"SELECT num FROM candidate WHERE run_id = ? AND outcome = ? ORDER BY num";

int store_cand_pending(struct store *s, int64_t rid, int64_t **nums, int *n)
{
	void *got;
	int rc = sql_collect(s, SQL_CAND_PENDING,
	                     BINDS(INT(rid), TEXT(ac_outcome_name(AC_PENDING))), &ID_ROWS, &got, n);
	*nums = got;
	return rc;
}

/* ---- LLM calls ---- */

#define CALL_TABLE(FIRST, NEXT) \
	FIRST("run_id", run_id, C_I64) \
	NEXT("slot", slot, C_TEXT) \
	NEXT("model", model, C_TEXT) \
	NEXT("prompt", prompt, C_TEXT) \
	NEXT("reply", reply, C_TEXT) \
	NEXT("reasoning", reasoning, C_TEXT) \
	NEXT("error", error, C_TEXT) \
	NEXT("truncated", truncated, C_INT) \
	NEXT("prompt_tokens", prompt_tokens, C_LONG) \
	NEXT("completion_tokens", completion_tokens, C_LONG) \
	NEXT("attempts", attempts, C_INT) \
	NEXT("wall_ns", wall_ns, C_I64) \
	NEXT("reasoning_tokens", reasoning_tokens, C_LONG) \
	NEXT("cost", cost, C_REAL)
#define ROW_TYPE struct llm_call_row
static const struct column call_cols[] = COLUMNS_OF(CALL_TABLE);
#undef ROW_TYPE

void llm_call_row_clear(struct llm_call_row *c)
{
	if (!c)
		return;
	clear_columns(call_cols, NCOLUMNS(call_cols), c);
	memset(c, 0, sizeof(*c));
}

static const char SQL_CALL_PUT[] =
	"INSERT OR REPLACE INTO llm_call(run_id, slot, model, prompt, reply, reasoning, error, "
	"truncated, prompt_tokens, completion_tokens, attempts, wall_ns, created_ns, "
	"reasoning_tokens, cost) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";

int store_call_put(struct store *s, const struct llm_call_row *c)
{
	return sql_write(s, SQL_CALL_PUT,
	                 BINDS(INT(c->run_id), TEXT(c->slot), TEXT(c->model), TEXT(c->prompt),
	                       TEXT(c->reply), TEXT(c->reasoning), TEXT(c->error),
	                       INT(c->truncated), INT(c->prompt_tokens), INT(c->completion_tokens),
	                       INT(c->attempts), INT(c->wall_ns), INT(now_ns()),
	                       INT(c->reasoning_tokens), REAL(c->cost)));
}

static int call_read(sqlite3_stmt *st, void *arg)
{
	return read_columns(st, 0, call_cols, NCOLUMNS(call_cols), arg);
}

static void call_clear(void *row)
{
	llm_call_row_clear(row);
}

static const struct row_kind CALL_ROWS = {sizeof(struct llm_call_row), call_read, call_clear};

static const char SQL_CALL_GET[] =
	"SELECT " COLUMNS_SQL(CALL_TABLE) " FROM llm_call WHERE run_id = ? AND slot = ?";

int store_call_get(struct store *s, int64_t rid, const char *slot, struct llm_call_row *c)
{
	return sql_get(s, SQL_CALL_GET, BINDS(INT(rid), TEXT(slot)), &CALL_ROWS, c);
}

struct call_totals {
	long calls, tokens, reasoning;
	int64_t wall_ns;
};

static int totals_read(sqlite3_stmt *st, void *arg)
{
	struct call_totals *t = arg;
	t->calls = (long)sqlite3_column_int64(st, 0);
	t->tokens = (long)sqlite3_column_int64(st, 1);
	t->wall_ns = sqlite3_column_int64(st, 2);
	t->reasoning = (long)sqlite3_column_int64(st, 3);
	return 0;
}

static const char SQL_CALL_TOTALS[] =
	"SELECT count(*), coalesce(sum(prompt_tokens + completion_tokens), 0), "
	"coalesce(sum(wall_ns), 0), coalesce(sum(reasoning_tokens), 0) FROM llm_call "
	"WHERE run_id = ?";

int store_call_totals(struct store *s, int64_t rid, long *calls, long *tokens, int64_t *wall_ns,
                      long *reasoning)
{
	struct call_totals t;
	int rc = sql_row(s, SQL_CALL_TOTALS, BINDS(INT(rid)), totals_read, &t);
	if (rc)
		return rc;
	*calls = t.calls;
	*tokens = t.tokens;
	*wall_ns = t.wall_ns;
	if (reasoning)
		*reasoning = t.reasoning;
	return 0;
}

static const char SQL_CALL_COST[] =
	"SELECT coalesce(sum(cost), 0) FROM llm_call WHERE ? < 0 OR run_id = ?";

int store_call_cost(struct store *s, int64_t rid, double *cost)
{
	*cost = 0;
	return sql_row(s, SQL_CALL_COST, BINDS(INT(rid), INT(rid)), read_double, cost);
}

/* ---- log ---- */

static const char SQL_LOG_ADD[] = "INSERT INTO log(kernel_id, ts_ns, line) VALUES (?, ?, ?)";

int store_log_add(struct store *s, int64_t kid, int64_t ts, const char *line)
{
	return sql_write(s, SQL_LOG_ADD, BINDS(INT(kid), INT(ts), TEXT(line)));
}

struct log_reader {
	void (*fn)(void *arg, int64_t id, int64_t ts, const char *line);
	void *arg;
};

static int log_read(sqlite3_stmt *st, void *arg)
{
	struct log_reader *r = arg;
	r->fn(r->arg, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
	      (const char *)sqlite3_column_text(st, 2));
	return 0;
}

static const char SQL_LOG_SINCE[] =
	"SELECT id, ts_ns, line FROM log WHERE kernel_id = ? AND id > ? ORDER BY id";

int store_log_since(struct store *s, int64_t kid, int64_t after,
                    void (*fn)(void *arg, int64_t id, int64_t ts, const char *line),
                    void *arg)
{
	struct log_reader r = {fn, arg};
	return sql_rows(s, SQL_LOG_SINCE, BINDS(INT(kid), INT(after)), log_read, &r);
}

static const char SQL_LOG_LAST[] =
	"SELECT coalesce(max(id), 0) FROM log WHERE kernel_id = ?";

int store_log_last(struct store *s, int64_t kid, int64_t *id)
{
	return sql_row(s, SQL_LOG_LAST, BINDS(INT(kid)), read_int64, id);
}

static const char SQL_LOG_PAGE[] =
	"SELECT id, ts_ns, line FROM log WHERE kernel_id = ? AND id > ? ORDER BY id LIMIT ?";

int store_log_page(struct store *s, int64_t kid, int64_t after, int limit,
                   void (*fn)(void *arg, int64_t id, int64_t ts, const char *line),
                   void *arg)
{
	struct log_reader r = {fn, arg};
	return sql_rows(s, SQL_LOG_PAGE, BINDS(INT(kid), INT(after), INT(limit)), log_read, &r);
}
