/*
 * store.c - SQLite persistence for kernels, files, runs, candidates, logs.
 *
 * The schema is versioned with PRAGMA user_version and brought up to date by
 * the migrations[] array, one entry per version, each applied in its own
 * transaction. WAL mode lets the mount read while the engine writes;
 * synchronous=NORMAL is durable against a killed daemon (not power loss),
 * which is the failure this product promises to survive.
 *
 * Statements are prepared once per connection and kept in a small cache
 * keyed by the SQL text's address: each query below is a static string.
 */
#include "engine/store.h"

#include <errno.h>
#include <stdatomic.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/util.h"

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
};

static atomic_long full_count;

long store_full_count(void)
{
	return atomic_load(&full_count);
}

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

static void lock(struct store *s)
{
	pthread_mutex_lock(&s->lock);
}

static void unlock(struct store *s)
{
	pthread_mutex_unlock(&s->lock);
}

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

/* Runs a statement without result rows; returns 0 or -errno. */
static int step_done(struct store *s, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	int ret = (rc == SQLITE_DONE || rc == SQLITE_ROW) ? 0 : errno_of(rc);
	sqlite3_reset(st);
	(void)s;
	return ret;
}

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

static void bind_text(sqlite3_stmt *st, int i, const char *t)
{
	sqlite3_bind_text(st, i, t ? t : "", -1, SQLITE_TRANSIENT);
}

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

int store_schema_version(struct store *s)
{
	int v = -1;
	lock(s);
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	unlock(s);
	return v;
}

static int migrate(struct store *s, char *err, size_t errlen)
{
	int have = store_schema_version(s);
	int want = (int)(sizeof(migrations) / sizeof(migrations[0]));
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
			exec(s, "ROLLBACK");
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
		exec(s, "ROLLBACK");
	unlock(s);
	return rc;
}

void store_rollback(struct store *s)
{
	exec(s, "ROLLBACK");
	unlock(s);
}

char *store_integrity(struct store *s)
{
	char *res = NULL;
	lock(s);
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		res = col_text(st, 0);
	sqlite3_finalize(st);
	unlock(s);
	return res ? res : strdup("integrity_check failed to run");
}

/* ---- kernels ---- */

void kernel_row_clear(struct kernel_row *k)
{
	if (!k)
		return;
	free(k->name);
	free(k->state);
	free(k->status);
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
	lock(s);
	int64_t t = now_ns();
	sqlite3_stmt *st = stmt(s, SQL_KERNEL_CREATE);
	int rc = -EIO;
	if (st) {
		bind_text(st, 1, name);
		bind_text(st, 2, "waiting");
		bind_text(st, 3, "waiting: copy input and harness here");
		sqlite3_bind_int64(st, 4, t);
		sqlite3_bind_int64(st, 5, t);
		rc = step_done(s, st);
		if (!rc && id)
			*id = sqlite3_last_insert_rowid(s->db);
	}
	unlock(s);
	return rc;
}

static const char SQL_KERNEL_DELETE[] = "DELETE FROM kernel WHERE id = ? AND id <> 0";

int store_kernel_delete(struct store *s, int64_t id)
{
	lock(s);
	sqlite3_stmt *st = stmt(s, SQL_KERNEL_DELETE);
	int rc = -EIO;
	if (st) {
		sqlite3_bind_int64(st, 1, id);
		rc = step_done(s, st);
	}
	unlock(s);
	return rc;
}

static const char SQL_KERNEL_RENAME[] = "UPDATE kernel SET name = ? WHERE id = ?";

int store_kernel_rename(struct store *s, int64_t id, const char *to)
{
	lock(s);
	sqlite3_stmt *st = stmt(s, SQL_KERNEL_RENAME);
	int rc = -EIO;
	if (st) {
		bind_text(st, 1, to);
		sqlite3_bind_int64(st, 2, id);
		rc = step_done(s, st);
	}
	unlock(s);
	return rc;
}

static const char SQL_KERNEL_STATUS[] =
	"UPDATE kernel SET state = ?, status = ?, status_ns = ? WHERE id = ?";

int store_kernel_set_status(struct store *s, int64_t id, const char *state,
                            const char *status, int64_t ts)
{
	lock(s);
	sqlite3_stmt *st = stmt(s, SQL_KERNEL_STATUS);
	int rc = -EIO;
	if (st) {
		bind_text(st, 1, state);
		bind_text(st, 2, status);
		sqlite3_bind_int64(st, 3, ts);
		sqlite3_bind_int64(st, 4, id);
		rc = step_done(s, st);
	}
	unlock(s);
	return rc;
}

static void kernel_from(sqlite3_stmt *st, struct kernel_row *k)
{
	k->id = sqlite3_column_int64(st, 0);
	k->name = col_text(st, 1);
	k->state = col_text(st, 2);
	k->status = col_text(st, 3);
	k->created_ns = sqlite3_column_int64(st, 4);
	k->status_ns = sqlite3_column_int64(st, 5);
}

static const char SQL_KERNEL_LIST[] =
	"SELECT id, name, state, status, created_ns, status_ns FROM kernel "
	"WHERE id <> 0 ORDER BY name";

int store_kernel_list(struct store *s, struct kernel_row **rows, int *n)
{
	*rows = NULL;
	*n = 0;
	lock(s);
	sqlite3_stmt *st = stmt(s, SQL_KERNEL_LIST);
	int rc = st ? 0 : -EIO;
	int cap = 0;
	while (!rc) {
		int r = sqlite3_step(st);
		if (r == SQLITE_DONE)
			break;
		if (r != SQLITE_ROW) {
			rc = errno_of(r);
			break;
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			struct kernel_row *p = realloc(*rows, (size_t)cap * sizeof(**rows));
			if (!p) {
				rc = -ENOMEM;
				break;
			}
			*rows = p;
		}
		memset(&(*rows)[*n], 0, sizeof(**rows));
		kernel_from(st, &(*rows)[(*n)++]);
	}
	if (st)
		sqlite3_reset(st);
	unlock(s);
	if (rc) {
		kernel_rows_free(*rows, *n);
		*rows = NULL;
		*n = 0;
	}
	return rc;
}

static const char SQL_KERNEL_GET[] =
	"SELECT id, name, state, status, created_ns, status_ns FROM kernel WHERE id = ?";

int store_kernel_get(struct store *s, int64_t id, struct kernel_row *k)
{
	memset(k, 0, sizeof(*k));
	lock(s);
	sqlite3_stmt *st = stmt(s, SQL_KERNEL_GET);
	int rc = -EIO;
	if (st) {
		sqlite3_bind_int64(st, 1, id);
		int r = sqlite3_step(st);
		if (r == SQLITE_ROW) {
			kernel_from(st, k);
			rc = 0;
		} else {
			rc = r == SQLITE_DONE ? -ENOENT : errno_of(r);
		}
		sqlite3_reset(st);
	}
	unlock(s);
	return rc;
}

/* ---- files ---- */

void file_row_clear(struct file_row *f)
{
	if (!f)
		return;
	free(f->name);
	free(f->data);
	memset(f, 0, sizeof(*f));
}

void file_rows_free(struct file_row *rows, int n)
{
	for (int i = 0; i < n; i++)
		file_row_clear(&rows[i]);
	free(rows);
}

static void file_from(sqlite3_stmt *st, struct file_row *f, bool with_data)
{
	f->id = sqlite3_column_int64(st, 0);
	f->kernel_id = sqlite3_column_int64(st, 1);
	f->name = col_text(st, 2);
	f->size = (size_t)sqlite3_column_int64(st, 3);
	f->mode = sqlite3_column_int(st, 4);
	f->mtime_ns = sqlite3_column_int64(st, 5);
	f->ctime_ns = sqlite3_column_int64(st, 6);
	if (with_data) {
		const void *d = sqlite3_column_blob(st, 7);
		size_t n = (size_t)sqlite3_column_bytes(st, 7);
		f->data = malloc(n + 1);
		if (f->data) {
			if (n)
				memcpy(f->data, d, n);
			f->data[n] = '\0';
		}
		f->size = n;
	}
}

static const char SQL_FILE_GET[] =
	"SELECT id, kernel_id, name, length(data), mode, mtime_ns, ctime_ns FROM file "
	"WHERE kernel_id = ? AND name = ?";
static const char SQL_FILE_GET_DATA[] =
	"SELECT id, kernel_id, name, length(data), mode, mtime_ns, ctime_ns, data FROM file "
	"WHERE kernel_id = ? AND name = ?";
static const char SQL_FILE_GET_ID[] =
	"SELECT id, kernel_id, name, length(data), mode, mtime_ns, ctime_ns FROM file "
	"WHERE id = ?";
static const char SQL_FILE_GET_ID_DATA[] =
	"SELECT id, kernel_id, name, length(data), mode, mtime_ns, ctime_ns, data FROM file "
	"WHERE id = ?";

static int file_one(struct store *s, sqlite3_stmt *st, bool with_data, struct file_row *f)
{
	int r = sqlite3_step(st);
	int rc;
	if (r == SQLITE_ROW) {
		file_from(st, f, with_data);
		rc = (with_data && !f->data) ? -ENOMEM : 0;
	} else {
		rc = r == SQLITE_DONE ? -ENOENT : errno_of(r);
	}
	sqlite3_reset(st);
	(void)s;
	return rc;
}

int store_file_get(struct store *s, int64_t kid, const char *name, bool with_data,
                   struct file_row *f)
{
	memset(f, 0, sizeof(*f));
	lock(s);
	sqlite3_stmt *st = stmt(s, with_data ? SQL_FILE_GET_DATA : SQL_FILE_GET);
	int rc = -EIO;
	if (st) {
		sqlite3_bind_int64(st, 1, kid);
		bind_text(st, 2, name);
		rc = file_one(s, st, with_data, f);
	}
	unlock(s);
	return rc;
}

int store_file_get_id(struct store *s, int64_t fid, bool with_data, struct file_row *f)
{
	memset(f, 0, sizeof(*f));
	lock(s);
	sqlite3_stmt *st = stmt(s, with_data ? SQL_FILE_GET_ID_DATA : SQL_FILE_GET_ID);
	int rc = -EIO;
	if (st) {
		sqlite3_bind_int64(st, 1, fid);
		rc = file_one(s, st, with_data, f);
	}
	unlock(s);
	return rc;
}

static const char SQL_FILE_LIST[] =
	"SELECT id, kernel_id, name, length(data), mode, mtime_ns, ctime_ns FROM file "
	"WHERE kernel_id = ? ORDER BY name";
static const char SQL_FILE_LIST_DATA[] =
	"SELECT id, kernel_id, name, length(data), mode, mtime_ns, ctime_ns, data FROM file "
	"WHERE kernel_id = ? ORDER BY name";

int store_file_list(struct store *s, int64_t kid, bool with_data,
                    struct file_row **rows, int *n)
{
	*rows = NULL;
	*n = 0;
	lock(s);
	sqlite3_stmt *st = stmt(s, with_data ? SQL_FILE_LIST_DATA : SQL_FILE_LIST);
	int rc = st ? 0 : -EIO;
	int cap = 0;
	if (st)
		sqlite3_bind_int64(st, 1, kid);
	while (!rc) {
		int r = sqlite3_step(st);
		if (r == SQLITE_DONE)
			break;
		if (r != SQLITE_ROW) {
			rc = errno_of(r);
			break;
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			struct file_row *p = realloc(*rows, (size_t)cap * sizeof(**rows));
			if (!p) {
				rc = -ENOMEM;
				break;
			}
			*rows = p;
		}
		memset(&(*rows)[*n], 0, sizeof(**rows));
		file_from(st, &(*rows)[(*n)++], with_data);
	}
	if (st)
		sqlite3_reset(st);
	unlock(s);
	if (rc) {
		file_rows_free(*rows, *n);
		*rows = NULL;
		*n = 0;
	}
	return rc;
}

static const char SQL_FILE_CREATE[] =
	"INSERT INTO file(kernel_id, name, data, mode, mtime_ns, ctime_ns) "
	"VALUES (?, ?, x'', ?, ?, ?) ON CONFLICT(kernel_id, name) DO NOTHING";
static const char SQL_FILE_ID[] = "SELECT id FROM file WHERE kernel_id = ? AND name = ?";

int store_file_create(struct store *s, int64_t kid, const char *name, int mode,
                      int64_t *fid)
{
	lock(s);
	int64_t t = now_ns();
	sqlite3_stmt *st = stmt(s, SQL_FILE_CREATE);
	int rc = -EIO;
	if (st) {
		sqlite3_bind_int64(st, 1, kid);
		bind_text(st, 2, name);
		sqlite3_bind_int(st, 3, mode);
		sqlite3_bind_int64(st, 4, t);
		sqlite3_bind_int64(st, 5, t);
		rc = step_done(s, st);
	}
	if (!rc) {
		st = stmt(s, SQL_FILE_ID);
		rc = -EIO;
		if (st) {
			sqlite3_bind_int64(st, 1, kid);
			bind_text(st, 2, name);
			if (sqlite3_step(st) == SQLITE_ROW) {
				if (fid)
					*fid = sqlite3_column_int64(st, 0);
				rc = 0;
			} else {
				rc = -ENOENT;
			}
			sqlite3_reset(st);
		}
	}
	unlock(s);
	return rc;
}

static const char SQL_FILE_WRITE[] =
	"UPDATE file SET data = ?, mtime_ns = ?, ctime_ns = ? WHERE id = ?";

int store_file_write(struct store *s, int64_t fid, const void *data, size_t len,
                     int64_t mtime_ns)
{
	lock(s);
	sqlite3_stmt *st = stmt(s, SQL_FILE_WRITE);
	int rc = -EIO;
	if (st) {
		sqlite3_bind_blob64(st, 1, len ? data : "", len, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 2, mtime_ns);
		sqlite3_bind_int64(st, 3, now_ns());
		sqlite3_bind_int64(st, 4, fid);
		rc = step_done(s, st);
		if (!rc && sqlite3_changes(s->db) == 0)
			rc = -ENOENT;
	}
	unlock(s);
	return rc;
}

static const char SQL_FILE_PUT[] =
	"INSERT INTO file(kernel_id, name, data, mode, mtime_ns, ctime_ns) VALUES (?,?,?,?,?,?) "
	"ON CONFLICT(kernel_id, name) DO UPDATE SET data = excluded.data, "
	"mtime_ns = excluded.mtime_ns, ctime_ns = excluded.ctime_ns";

int store_file_put(struct store *s, int64_t kid, const char *name, const void *data,
                   size_t len, int mode, int64_t mtime_ns)
{
	lock(s);
	sqlite3_stmt *st = stmt(s, SQL_FILE_PUT);
	int rc = -EIO;
	if (st) {
		sqlite3_bind_int64(st, 1, kid);
		bind_text(st, 2, name);
		sqlite3_bind_blob64(st, 3, len ? data : "", len, SQLITE_TRANSIENT);
		sqlite3_bind_int(st, 4, mode);
		sqlite3_bind_int64(st, 5, mtime_ns);
		sqlite3_bind_int64(st, 6, now_ns());
		rc = step_done(s, st);
	}
	unlock(s);
	return rc;
}

static const char SQL_FILE_TRUNC[] =
	"UPDATE file SET data = CAST(substr(data, 1, ?) AS BLOB) || zeroblob(max(0, ? - length(data))), "
	"mtime_ns = ?, ctime_ns = ? WHERE id = ?";

int store_file_truncate(struct store *s, int64_t fid, size_t len, int64_t mtime_ns)
{
	lock(s);
	sqlite3_stmt *st = stmt(s, SQL_FILE_TRUNC);
	int rc = -EIO;
	if (st) {
		sqlite3_bind_int64(st, 1, (int64_t)len);
		sqlite3_bind_int64(st, 2, (int64_t)len);
		sqlite3_bind_int64(st, 3, mtime_ns);
		sqlite3_bind_int64(st, 4, now_ns());
		sqlite3_bind_int64(st, 5, fid);
		rc = step_done(s, st);
		if (!rc && sqlite3_changes(s->db) == 0)
			rc = -ENOENT;
	}
	unlock(s);
	return rc;
}

static const char SQL_FILE_MODE[] = "UPDATE file SET mode = ?, ctime_ns = ? WHERE id = ?";

int store_file_set_mode(struct store *s, int64_t fid, int mode)
{
	lock(s);
	sqlite3_stmt *st = stmt(s, SQL_FILE_MODE);
	int rc = -EIO;
	if (st) {
		sqlite3_bind_int(st, 1, mode);
		sqlite3_bind_int64(st, 2, now_ns());
		sqlite3_bind_int64(st, 3, fid);
		rc = step_done(s, st);
	}
	unlock(s);
	return rc;
}

static const char SQL_FILE_TIMES[] = "UPDATE file SET mtime_ns = ?, ctime_ns = ? WHERE id = ?";

int store_file_set_times(struct store *s, int64_t fid, int64_t mtime_ns)
{
	lock(s);
	sqlite3_stmt *st = stmt(s, SQL_FILE_TIMES);
	int rc = -EIO;
	if (st) {
		sqlite3_bind_int64(st, 1, mtime_ns);
		sqlite3_bind_int64(st, 2, now_ns());
		sqlite3_bind_int64(st, 3, fid);
		rc = step_done(s, st);
	}
	unlock(s);
	return rc;
}

static const char SQL_FILE_UNLINK[] = "DELETE FROM file WHERE kernel_id = ? AND name = ?";

int store_file_unlink(struct store *s, int64_t kid, const char *name)
{
	lock(s);
	sqlite3_stmt *st = stmt(s, SQL_FILE_UNLINK);
	int rc = -EIO;
	if (st) {
		sqlite3_bind_int64(st, 1, kid);
		bind_text(st, 2, name);
		rc = step_done(s, st);
		if (!rc && sqlite3_changes(s->db) == 0)
			rc = -ENOENT;
	}
	unlock(s);
	return rc;
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
	if (!rc) {
		sqlite3_stmt *st = stmt(s, SQL_FILE_RENAME);
		rc = -EIO;
		if (st) {
			bind_text(st, 1, to);
			sqlite3_bind_int64(st, 2, now_ns());
			sqlite3_bind_int64(st, 3, kid);
			bind_text(st, 4, from);
			rc = step_done(s, st);
		}
	}
	if (rc) {
		store_rollback(s);
		return rc;
	}
	return store_commit(s);
}

/* ---- runs ---- */

void run_row_clear(struct run_row *r)
{
	if (!r)
		return;
	free(r->state);
	free(r->target);
	free(r->input_name);
	free(r->input);
	free(r->config);
	free(r->verdict);
	memset(r, 0, sizeof(*r));
}

static const char SQL_RUN_CREATE[] =
	"INSERT INTO run(kernel_id, state, target, input_name, input, config, created_ns, best_ns) "
	"VALUES (?, 'queued', ?, ?, ?, ?, ?, ?)";
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
	sqlite3_stmt *st = stmt(s, SQL_RUN_CREATE);
	rc = -EIO;
	if (st) {
		sqlite3_bind_int64(st, 1, kid);
		bind_text(st, 2, target);
		bind_text(st, 3, input_name);
		sqlite3_bind_blob64(st, 4, input, strlen(input), SQLITE_TRANSIENT);
		bind_text(st, 5, config);
		sqlite3_bind_int64(st, 6, t);
		sqlite3_bind_int64(st, 7, t);
		rc = step_done(s, st);
	}
	int64_t id = sqlite3_last_insert_rowid(s->db);
	for (size_t i = 0; !rc && i < nfiles; i++) {
		st = stmt(s, SQL_RUN_FILE_ADD);
		rc = -EIO;
		if (st) {
			sqlite3_bind_int64(st, 1, id);
			bind_text(st, 2, files[i].name);
			sqlite3_bind_blob64(st, 3, files[i].size ? files[i].data : "",
			                    files[i].size, SQLITE_TRANSIENT);
			rc = step_done(s, st);
		}
	}
	if (rc) {
		store_rollback(s);
		return rc;
	}
	rc = store_commit(s);
	if (!rc && rid)
		*rid = id;
	return rc;
}

#define RUN_COLS "id, kernel_id, state, target, input_name, input, config, best, best_ns, " \
	"created_ns, finished_ns, iteration, tokens, verdict"

static void run_from(sqlite3_stmt *st, struct run_row *r)
{
	r->id = sqlite3_column_int64(st, 0);
	r->kernel_id = sqlite3_column_int64(st, 1);
	r->state = col_text(st, 2);
	r->target = col_text(st, 3);
	r->input_name = col_text(st, 4);
	r->input = col_text(st, 5);
	r->config = col_text(st, 6);
	r->best = sqlite3_column_int64(st, 7);
	r->best_ns = sqlite3_column_int64(st, 8);
	r->created_ns = sqlite3_column_int64(st, 9);
	r->finished_ns = sqlite3_column_int64(st, 10);
	r->iteration = sqlite3_column_int(st, 11);
	r->tokens = (long)sqlite3_column_int64(st, 12);
	r->verdict = col_text(st, 13);
}

static int run_one(sqlite3_stmt *st, struct run_row *r)
{
	int x = sqlite3_step(st);
	int rc;
	if (x == SQLITE_ROW) {
		run_from(st, r);
		rc = 0;
	} else {
		rc = x == SQLITE_DONE ? -ENOENT : errno_of(x);
	}
	sqlite3_reset(st);
	return rc;
}

static const char SQL_RUN_LATEST[] =
	"SELECT " RUN_COLS " FROM run WHERE kernel_id = ? ORDER BY id DESC LIMIT 1";

int store_run_latest(struct store *s, int64_t kid, struct run_row *r)
{
	memset(r, 0, sizeof(*r));
	lock(s);
	sqlite3_stmt *st = stmt(s, SQL_RUN_LATEST);
	int rc = -EIO;
	if (st) {
		sqlite3_bind_int64(st, 1, kid);
		rc = run_one(st, r);
	}
	unlock(s);
	return rc;
}

static const char SQL_RUN_GET[] = "SELECT " RUN_COLS " FROM run WHERE id = ?";

int store_run_get(struct store *s, int64_t rid, struct run_row *r)
{
	memset(r, 0, sizeof(*r));
	lock(s);
	sqlite3_stmt *st = stmt(s, SQL_RUN_GET);
	int rc = -EIO;
	if (st) {
		sqlite3_bind_int64(st, 1, rid);
		rc = run_one(st, r);
	}
	unlock(s);
	return rc;
}

static const char SQL_RUN_STATE[] =
	"UPDATE run SET state = ?, finished_ns = ? WHERE id = ?";

int store_run_set_state(struct store *s, int64_t rid, const char *state, bool finished)
{
	lock(s);
	sqlite3_stmt *st = stmt(s, SQL_RUN_STATE);
	int rc = -EIO;
	if (st) {
		bind_text(st, 1, state);
		sqlite3_bind_int64(st, 2, finished ? now_ns() : 0);
		sqlite3_bind_int64(st, 3, rid);
		rc = step_done(s, st);
	}
	unlock(s);
	return rc;
}

static const char SQL_RUN_BEST[] = "UPDATE run SET best = ?, best_ns = ? WHERE id = ?";

int store_run_set_best(struct store *s, int64_t rid, int64_t num, int64_t ts)
{
	lock(s);
	sqlite3_stmt *st = stmt(s, SQL_RUN_BEST);
	int rc = -EIO;
	if (st) {
		sqlite3_bind_int64(st, 1, num);
		sqlite3_bind_int64(st, 2, ts);
		sqlite3_bind_int64(st, 3, rid);
		rc = step_done(s, st);
	}
	unlock(s);
	return rc;
}

static const char SQL_RUN_PROGRESS[] = "UPDATE run SET iteration = ?, tokens = ? WHERE id = ?";

int store_run_set_progress(struct store *s, int64_t rid, int iteration, long tokens)
{
	lock(s);
	sqlite3_stmt *st = stmt(s, SQL_RUN_PROGRESS);
	int rc = -EIO;
	if (st) {
		sqlite3_bind_int(st, 1, iteration);
		sqlite3_bind_int64(st, 2, tokens);
		sqlite3_bind_int64(st, 3, rid);
		rc = step_done(s, st);
	}
	unlock(s);
	return rc;
}

static const char SQL_RUNS_UNFINISHED[] =
	"SELECT r.id FROM run r WHERE r.finished_ns = 0 AND r.state NOT IN "
	"('done', 'stopped', 'failed') AND r.id = "
	"(SELECT max(id) FROM run WHERE kernel_id = r.kernel_id) ORDER BY r.id";

static int id_list(struct store *s, sqlite3_stmt *st, int64_t **ids, int *n)
{
	*ids = NULL;
	*n = 0;
	int cap = 0;
	int rc = 0;
	for (;;) {
		int r = sqlite3_step(st);
		if (r == SQLITE_DONE)
			break;
		if (r != SQLITE_ROW) {
			rc = errno_of(r);
			break;
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			int64_t *p = realloc(*ids, (size_t)cap * sizeof(**ids));
			if (!p) {
				rc = -ENOMEM;
				break;
			}
			*ids = p;
		}
		(*ids)[(*n)++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	(void)s;
	if (rc) {
		free(*ids);
		*ids = NULL;
		*n = 0;
	}
	return rc;
}

int store_runs_unfinished(struct store *s, int64_t **rids, int *n)
{
	lock(s);
	sqlite3_stmt *st = stmt(s, SQL_RUNS_UNFINISHED);
	int rc = st ? id_list(s, st, rids, n) : -EIO;
	unlock(s);
	return rc;
}

static const char SQL_RUN_FILES[] =
	"SELECT 0, 0, name, length(data), 420, 0, 0, data FROM run_file WHERE run_id = ? "
	"ORDER BY name";

int store_run_files(struct store *s, int64_t rid, struct file_row **rows, int *n)
{
	*rows = NULL;
	*n = 0;
	lock(s);
	sqlite3_stmt *st = stmt(s, SQL_RUN_FILES);
	int rc = st ? 0 : -EIO;
	int cap = 0;
	if (st)
		sqlite3_bind_int64(st, 1, rid);
	while (!rc) {
		int r = sqlite3_step(st);
		if (r == SQLITE_DONE)
			break;
		if (r != SQLITE_ROW) {
			rc = errno_of(r);
			break;
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			struct file_row *p = realloc(*rows, (size_t)cap * sizeof(**rows));
			if (!p) {
				rc = -ENOMEM;
				break;
			}
			*rows = p;
		}
		memset(&(*rows)[*n], 0, sizeof(**rows));
		file_from(st, &(*rows)[(*n)++], true);
	}
	if (st)
		sqlite3_reset(st);
	unlock(s);
	if (rc) {
		file_rows_free(*rows, *n);
		*rows = NULL;
		*n = 0;
	}
	return rc;
}

/* ---- candidates ---- */

void cand_row_clear(struct cand_row *c)
{
	if (!c)
		return;
	free(c->origin);
	free(c->plan);
	free(c->option);
	free(c->model);
	free(c->source);
	free(c->outcome);
	free(c->message);
	free(c->log);
	free(c->plan_prompt);
	free(c->code_prompt);
	free(c->slot);
	free(c->verdict);
	free(c->code_hash);
	free(c->metrics);
	free(c->job);
	free(c->node);
	memset(c, 0, sizeof(*c));
}

double cand_speedup(const struct cand_row *input, const struct cand_row *c)
{
	if (!input || !c || !input->outcome || !c->outcome || strcmp(input->outcome, "ok") ||
	    strcmp(c->outcome, "ok"))
		return 0;
	if (input->retime_ns > 0 && c->retime_ns > 0)
		return (double)input->retime_ns / (double)c->retime_ns;
	if (input->time_ns <= 0 || c->time_ns <= 0)
		return 0;
	return (double)input->time_ns / (double)(c->retime_ns > 0 ? c->retime_ns : c->time_ns);
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
	if (c->num < 0) {
		sqlite3_stmt *st = stmt(s, SQL_CAND_NEXT);
		rc = -EIO;
		if (st) {
			sqlite3_bind_int64(st, 1, c->run_id);
			if (sqlite3_step(st) == SQLITE_ROW) {
				c->num = sqlite3_column_int64(st, 0);
				rc = 0;
			}
			sqlite3_reset(st);
		}
	}
	if (!rc) {
		sqlite3_stmt *st = stmt(s, SQL_CAND_ADD);
		rc = -EIO;
		if (!c->created_ns)
			c->created_ns = now_ns();
		if (st) {
			sqlite3_bind_int64(st, 1, c->run_id);
			sqlite3_bind_int64(st, 2, c->num);
			sqlite3_bind_int64(st, 3, c->parent);
			sqlite3_bind_int(st, 4, c->iteration);
			bind_text(st, 5, c->origin);
			bind_text(st, 6, c->plan);
			bind_text(st, 7, c->option);
			bind_text(st, 8, c->model);
			const char *src = c->source ? c->source : "";
			sqlite3_bind_blob64(st, 9, src, strlen(src), SQLITE_TRANSIENT);
			bind_text(st, 10, c->outcome ? c->outcome : "pending");
			bind_text(st, 11, c->message);
			bind_text(st, 12, c->plan_prompt);
			bind_text(st, 13, c->code_prompt);
			sqlite3_bind_int64(st, 14, c->tokens);
			sqlite3_bind_int64(st, 15, c->created_ns);
			bind_text(st, 16, c->slot);
			sqlite3_bind_int64(st, 17, c->reasoning_tokens);
			bind_text(st, 18, c->code_hash);
			sqlite3_bind_int64(st, 19, c->parent2 > 0 ? c->parent2 : 0);
			rc = step_done(s, st);
		}
	}
	if (rc) {
		store_rollback(s);
		return rc;
	}
	return store_commit(s);
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
	lock(s);
	sqlite3_stmt *st = stmt(s, SQL_CAND_RESULT);
	int rc = -EIO;
	if (st) {
		bind_text(st, 1, ac_outcome_name(r->outcome));
		sqlite3_bind_int64(st, 2, r->time_ns);
		sqlite3_bind_int(st, 3, r->samples);
		sqlite3_bind_double(st, 4, r->spread);
		bind_text(st, 5, r->message);
		bind_text(st, 6, r->log);
		sqlite3_bind_int64(st, 7, ts);
		bind_text(st, 8, r->metrics);
		sqlite3_bind_int64(st, 9, same_as);
		sqlite3_bind_int64(st, 10, rid);
		sqlite3_bind_int64(st, 11, num);
		rc = step_done(s, st);
	}
	unlock(s);
	return rc;
}

static const char SQL_CAND_BY_HASH[] =
	"SELECT num FROM candidate WHERE run_id = ? AND code_hash = ? AND num < ? AND same_as < 0 "
	"AND outcome <> 'failed' ORDER BY num LIMIT 1";

int store_cand_by_hash(struct store *s, int64_t rid, const char *hash, int64_t before,
                       int64_t *num)
{
	if (!hash || !hash[0])
		return -ENOENT;
	lock(s);
	sqlite3_stmt *st = stmt(s, SQL_CAND_BY_HASH);
	int rc = -EIO;
	if (st) {
		sqlite3_bind_int64(st, 1, rid);
		bind_text(st, 2, hash);
		sqlite3_bind_int64(st, 3, before);
		int r = sqlite3_step(st);
		if (r == SQLITE_ROW) {
			*num = sqlite3_column_int64(st, 0);
			rc = 0;
		} else {
			rc = r == SQLITE_DONE ? -ENOENT : errno_of(r);
		}
		sqlite3_reset(st);
	}
	unlock(s);
	return rc;
}

static const char SQL_CAND_HASH[] =
	"UPDATE candidate SET code_hash = ? WHERE run_id = ? AND num = ?";

int store_cand_set_hash(struct store *s, int64_t rid, int64_t num, const char *hash)
{
	lock(s);
	sqlite3_stmt *st = stmt(s, SQL_CAND_HASH);
	int rc = -EIO;
	if (st) {
		bind_text(st, 1, hash);
		sqlite3_bind_int64(st, 2, rid);
		sqlite3_bind_int64(st, 3, num);
		rc = step_done(s, st);
	}
	unlock(s);
	return rc;
}

static const char SQL_CAND_BEAM[] = "UPDATE candidate SET in_beam = ? WHERE run_id = ? AND num = ?";

int store_cand_set_beam(struct store *s, int64_t rid, int64_t num, int in_beam)
{
	lock(s);
	sqlite3_stmt *st = stmt(s, SQL_CAND_BEAM);
	int rc = -EIO;
	if (st) {
		sqlite3_bind_int(st, 1, in_beam);
		sqlite3_bind_int64(st, 2, rid);
		sqlite3_bind_int64(st, 3, num);
		rc = step_done(s, st);
	}
	unlock(s);
	return rc;
}

#define CAND_COLS "run_id, num, parent, iteration, origin, plan, option, model, " \
	"length(source), outcome, time_ns, samples, spread, message, length(CAST(log AS BLOB)), tokens, " \
	"in_beam, created_ns, evaluated_ns, slot, retime_ns, reasoning_tokens, verdict, " \
	"code_hash, same_as, parent2, metrics, job, node"
#define CAND_NCOLS 29

static void cand_from(sqlite3_stmt *st, struct cand_row *c)
{
	c->run_id = sqlite3_column_int64(st, 0);
	c->num = sqlite3_column_int64(st, 1);
	c->parent = sqlite3_column_int64(st, 2);
	c->iteration = sqlite3_column_int(st, 3);
	c->origin = col_text(st, 4);
	c->plan = col_text(st, 5);
	c->option = col_text(st, 6);
	c->model = col_text(st, 7);
	c->source_len = (size_t)sqlite3_column_int64(st, 8);
	c->outcome = col_text(st, 9);
	c->time_ns = sqlite3_column_int64(st, 10);
	c->samples = sqlite3_column_int(st, 11);
	c->spread = sqlite3_column_double(st, 12);
	c->message = col_text(st, 13);
	c->log_len = (size_t)sqlite3_column_int64(st, 14);
	c->tokens = (long)sqlite3_column_int64(st, 15);
	c->in_beam = sqlite3_column_int(st, 16);
	c->created_ns = sqlite3_column_int64(st, 17);
	c->evaluated_ns = sqlite3_column_int64(st, 18);
	c->slot = col_text(st, 19);
	c->retime_ns = sqlite3_column_int64(st, 20);
	c->reasoning_tokens = (long)sqlite3_column_int64(st, 21);
	c->verdict = col_text(st, 22);
	c->code_hash = col_text(st, 23);
	c->same_as = sqlite3_column_int64(st, 24);
	c->parent2 = sqlite3_column_int64(st, 25);
	c->metrics = col_text(st, 26);
	c->job = col_text(st, 27);
	c->node = col_text(st, 28);
}

static const char SQL_CAND_GET[] =
	"SELECT " CAND_COLS ", source, log, plan_prompt, code_prompt FROM candidate "
	"WHERE run_id = ? AND num = ?";

int store_cand_get(struct store *s, int64_t rid, int64_t num, struct cand_row *c)
{
	memset(c, 0, sizeof(*c));
	lock(s);
	sqlite3_stmt *st = stmt(s, SQL_CAND_GET);
	int rc = -EIO;
	if (st) {
		sqlite3_bind_int64(st, 1, rid);
		sqlite3_bind_int64(st, 2, num);
		int r = sqlite3_step(st);
		if (r == SQLITE_ROW) {
			cand_from(st, c);
			c->source = col_text(st, CAND_NCOLS);
			c->log = col_text(st, CAND_NCOLS + 1);
			c->plan_prompt = col_text(st, CAND_NCOLS + 2);
			c->code_prompt = col_text(st, CAND_NCOLS + 3);
			rc = (c->source && c->log) ? 0 : -ENOMEM;
		} else {
			rc = r == SQLITE_DONE ? -ENOENT : errno_of(r);
		}
		sqlite3_reset(st);
	}
	unlock(s);
	if (rc)
		cand_row_clear(c);
	return rc;
}

static const char SQL_CAND_LIST[] =
	"SELECT " CAND_COLS " FROM candidate WHERE run_id = ? ORDER BY num";

int store_cand_list(struct store *s, int64_t rid, struct cand_row **rows, int *n)
{
	*rows = NULL;
	*n = 0;
	lock(s);
	sqlite3_stmt *st = stmt(s, SQL_CAND_LIST);
	int rc = st ? 0 : -EIO;
	int cap = 0;
	if (st)
		sqlite3_bind_int64(st, 1, rid);
	while (!rc) {
		int r = sqlite3_step(st);
		if (r == SQLITE_DONE)
			break;
		if (r != SQLITE_ROW) {
			rc = errno_of(r);
			break;
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			struct cand_row *p = realloc(*rows, (size_t)cap * sizeof(**rows));
			if (!p) {
				rc = -ENOMEM;
				break;
			}
			*rows = p;
		}
		memset(&(*rows)[*n], 0, sizeof(**rows));
		cand_from(st, &(*rows)[(*n)++]);
	}
	if (st)
		sqlite3_reset(st);
	unlock(s);
	if (rc) {
		cand_rows_free(*rows, *n);
		*rows = NULL;
		*n = 0;
	}
	return rc;
}

static const char SQL_CAND_PENDING[] =
	"SELECT num FROM candidate WHERE run_id = ? AND outcome = 'pending' ORDER BY num";

int store_cand_pending(struct store *s, int64_t rid, int64_t **nums, int *n)
{
	lock(s);
	sqlite3_stmt *st = stmt(s, SQL_CAND_PENDING);
	int rc = -EIO;
	if (st) {
		sqlite3_bind_int64(st, 1, rid);
		rc = id_list(s, st, nums, n);
	}
	unlock(s);
	return rc;
}

/* ---- log ---- */

static const char SQL_LOG_ADD[] = "INSERT INTO log(kernel_id, ts_ns, line) VALUES (?, ?, ?)";

int store_log_add(struct store *s, int64_t kid, int64_t ts, const char *line)
{
	lock(s);
	sqlite3_stmt *st = stmt(s, SQL_LOG_ADD);
	int rc = -EIO;
	if (st) {
		sqlite3_bind_int64(st, 1, kid);
		sqlite3_bind_int64(st, 2, ts);
		bind_text(st, 3, line);
		rc = step_done(s, st);
	}
	unlock(s);
	return rc;
}

static const char SQL_LOG_SINCE[] =
	"SELECT id, ts_ns, line FROM log WHERE kernel_id = ? AND id > ? ORDER BY id";

int store_log_since(struct store *s, int64_t kid, int64_t after,
                    void (*fn)(void *arg, int64_t id, int64_t ts, const char *line),
                    void *arg)
{
	lock(s);
	sqlite3_stmt *st = stmt(s, SQL_LOG_SINCE);
	int rc = st ? 0 : -EIO;
	if (st) {
		sqlite3_bind_int64(st, 1, kid);
		sqlite3_bind_int64(st, 2, after);
		for (;;) {
			int r = sqlite3_step(st);
			if (r == SQLITE_DONE)
				break;
			if (r != SQLITE_ROW) {
				rc = errno_of(r);
				break;
			}
			fn(arg, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
			   (const char *)sqlite3_column_text(st, 2));
		}
		sqlite3_reset(st);
	}
	unlock(s);
	return rc;
}

static const char SQL_CAND_RETIME[] =
	"UPDATE candidate SET retime_ns = ? WHERE run_id = ? AND num = ?";

int store_cand_set_retime(struct store *s, int64_t rid, int64_t num, int64_t ns)
{
	lock(s);
	sqlite3_stmt *st = stmt(s, SQL_CAND_RETIME);
	int rc = -EIO;
	if (st) {
		sqlite3_bind_int64(st, 1, ns);
		sqlite3_bind_int64(st, 2, rid);
		sqlite3_bind_int64(st, 3, num);
		rc = step_done(s, st);
	}
	unlock(s);
	return rc;
}

static const char SQL_CAND_VERDICT[] =
	"UPDATE candidate SET verdict = ? WHERE run_id = ? AND num = ?";

int store_cand_set_verdict(struct store *s, int64_t rid, int64_t num, const char *json)
{
	lock(s);
	sqlite3_stmt *st = stmt(s, SQL_CAND_VERDICT);
	int rc = -EIO;
	if (st) {
		bind_text(st, 1, json ? json : "");
		sqlite3_bind_int64(st, 2, rid);
		sqlite3_bind_int64(st, 3, num);
		rc = step_done(s, st);
	}
	unlock(s);
	return rc;
}

static const char SQL_RUN_VERDICT[] = "UPDATE run SET verdict = ? WHERE id = ?";

int store_run_set_verdict(struct store *s, int64_t rid, const char *json)
{
	lock(s);
	sqlite3_stmt *st = stmt(s, SQL_RUN_VERDICT);
	int rc = -EIO;
	if (st) {
		bind_text(st, 1, json ? json : "");
		sqlite3_bind_int64(st, 2, rid);
		rc = step_done(s, st);
	}
	unlock(s);
	return rc;
}

static const char SQL_CAND_WHERE[] =
	"UPDATE candidate SET job = ?, node = ? WHERE run_id = ? AND num = ?";

int store_cand_set_where(struct store *s, int64_t rid, int64_t num, const char *job,
                         const char *node)
{
	lock(s);
	sqlite3_stmt *st = stmt(s, SQL_CAND_WHERE);
	int rc = -EIO;
	if (st) {
		bind_text(st, 1, job ? job : "");
		bind_text(st, 2, node ? node : "");
		sqlite3_bind_int64(st, 3, rid);
		sqlite3_bind_int64(st, 4, num);
		rc = step_done(s, st);
	}
	unlock(s);
	return rc;
}

static const char SQL_CAND_BY_SLOT[] =
	"SELECT num FROM candidate WHERE run_id = ? AND slot = ? ORDER BY num LIMIT 1";

int store_cand_by_slot(struct store *s, int64_t rid, const char *slot, int64_t *num)
{
	lock(s);
	sqlite3_stmt *st = stmt(s, SQL_CAND_BY_SLOT);
	int rc = -EIO;
	if (st) {
		sqlite3_bind_int64(st, 1, rid);
		bind_text(st, 2, slot);
		int r = sqlite3_step(st);
		if (r == SQLITE_ROW) {
			*num = sqlite3_column_int64(st, 0);
			rc = 0;
		} else {
			rc = r == SQLITE_DONE ? -ENOENT : errno_of(r);
		}
		sqlite3_reset(st);
	}
	unlock(s);
	return rc;
}

/* ---- LLM calls ---- */

void llm_call_row_clear(struct llm_call_row *c)
{
	if (!c)
		return;
	free(c->slot);
	free(c->model);
	free(c->prompt);
	free(c->reply);
	free(c->reasoning);
	free(c->error);
	memset(c, 0, sizeof(*c));
}

static const char SQL_CALL_PUT[] =
	"INSERT OR REPLACE INTO llm_call(run_id, slot, model, prompt, reply, reasoning, error, "
	"truncated, prompt_tokens, completion_tokens, attempts, wall_ns, created_ns, "
	"reasoning_tokens, cost) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";

int store_call_put(struct store *s, const struct llm_call_row *c)
{
	lock(s);
	sqlite3_stmt *st = stmt(s, SQL_CALL_PUT);
	int rc = -EIO;
	if (st) {
		sqlite3_bind_int64(st, 1, c->run_id);
		bind_text(st, 2, c->slot);
		bind_text(st, 3, c->model);
		bind_text(st, 4, c->prompt);
		bind_text(st, 5, c->reply);
		bind_text(st, 6, c->reasoning);
		bind_text(st, 7, c->error);
		sqlite3_bind_int(st, 8, c->truncated);
		sqlite3_bind_int64(st, 9, c->prompt_tokens);
		sqlite3_bind_int64(st, 10, c->completion_tokens);
		sqlite3_bind_int(st, 11, c->attempts);
		sqlite3_bind_int64(st, 12, c->wall_ns);
		sqlite3_bind_int64(st, 13, now_ns());
		sqlite3_bind_int64(st, 14, c->reasoning_tokens);
		sqlite3_bind_double(st, 15, c->cost);
		rc = step_done(s, st);
	}
	unlock(s);
	return rc;
}

static const char SQL_CALL_GET[] =
	"SELECT run_id, slot, model, prompt, reply, reasoning, error, truncated, prompt_tokens, "
	"completion_tokens, attempts, wall_ns, reasoning_tokens, cost FROM llm_call "
	"WHERE run_id = ? AND slot = ?";

int store_call_get(struct store *s, int64_t rid, const char *slot, struct llm_call_row *c)
{
	memset(c, 0, sizeof(*c));
	lock(s);
	sqlite3_stmt *st = stmt(s, SQL_CALL_GET);
	int rc = -EIO;
	if (st) {
		sqlite3_bind_int64(st, 1, rid);
		bind_text(st, 2, slot);
		int r = sqlite3_step(st);
		if (r == SQLITE_ROW) {
			c->run_id = sqlite3_column_int64(st, 0);
			c->slot = col_text(st, 1);
			c->model = col_text(st, 2);
			c->prompt = col_text(st, 3);
			c->reply = col_text(st, 4);
			c->reasoning = col_text(st, 5);
			c->error = col_text(st, 6);
			c->truncated = sqlite3_column_int(st, 7);
			c->prompt_tokens = (long)sqlite3_column_int64(st, 8);
			c->completion_tokens = (long)sqlite3_column_int64(st, 9);
			c->attempts = sqlite3_column_int(st, 10);
			c->wall_ns = sqlite3_column_int64(st, 11);
			c->reasoning_tokens = (long)sqlite3_column_int64(st, 12);
			c->cost = sqlite3_column_double(st, 13);
			rc = 0;
		} else {
			rc = r == SQLITE_DONE ? -ENOENT : errno_of(r);
		}
		sqlite3_reset(st);
	}
	unlock(s);
	return rc;
}

static const char SQL_CALL_TOTALS[] =
	"SELECT count(*), coalesce(sum(prompt_tokens + completion_tokens), 0), "
	"coalesce(sum(wall_ns), 0), coalesce(sum(reasoning_tokens), 0) FROM llm_call "
	"WHERE run_id = ?";

int store_call_totals(struct store *s, int64_t rid, long *calls, long *tokens, int64_t *wall_ns,
                      long *reasoning)
{
	lock(s);
	sqlite3_stmt *st = stmt(s, SQL_CALL_TOTALS);
	int rc = -EIO;
	if (st) {
		sqlite3_bind_int64(st, 1, rid);
		if (sqlite3_step(st) == SQLITE_ROW) {
			*calls = (long)sqlite3_column_int64(st, 0);
			*tokens = (long)sqlite3_column_int64(st, 1);
			*wall_ns = sqlite3_column_int64(st, 2);
			if (reasoning)
				*reasoning = (long)sqlite3_column_int64(st, 3);
			rc = 0;
		}
		sqlite3_reset(st);
	}
	unlock(s);
	return rc;
}

static const char SQL_CALL_COST[] =
	"SELECT coalesce(sum(cost), 0) FROM llm_call WHERE ? < 0 OR run_id = ?";

int store_call_cost(struct store *s, int64_t rid, double *cost)
{
	*cost = 0;
	lock(s);
	sqlite3_stmt *st = stmt(s, SQL_CALL_COST);
	int rc = -EIO;
	if (st) {
		sqlite3_bind_int64(st, 1, rid);
		sqlite3_bind_int64(st, 2, rid);
		if (sqlite3_step(st) == SQLITE_ROW) {
			*cost = sqlite3_column_double(st, 0);
			rc = 0;
		}
		sqlite3_reset(st);
	}
	unlock(s);
	return rc;
}
