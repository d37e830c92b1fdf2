/*
 * logfile.c - a kernel's `log` as the mount serves it (logfile.h).
 *
 * The bytes of the file are a function of the store's rows: line i is
 * fmt_time(ts) + " " + text + "\n". So an offset never needs the text
 * before it, only where a nearby line starts: a mark (the id of the line
 * before, and the offset of the lines after it) is taken every `stride`
 * lines, and when LOGFILE_MARKS are taken every other one goes and the
 * stride doubles. A read before the kept tail starts at the last mark
 * before it and renders pages of lines from the store until it has what
 * was asked: a `cat log` of a long log costs store reads, never memory.
 *
 * What it does not do: decide when the log grows (its owner calls
 * logfile_extend), or know of FUSE.
 */
#include "fs/logfile.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/util/util.h"

/* Lines fetched from the store per query when reading back. */
#define LOG_PAGE 256

struct logmark {
	int64_t after_id;   /* the lines with a greater id... */
	size_t off;         /* ...start at this offset */
};

struct logfile {
	pthread_mutex_t lock;
	int64_t kid;
	int64_t empty_mtime_ns;
	int64_t last_id;       /* the newest line taken in */
	size_t len;            /* taken in */
	int64_t mtime_ns;      /* the newest line's time; 0 while empty */
	size_t shown;          /* the length readers see */
	int64_t shown_mtime_ns;
	char *tail;            /* bytes [tail_off, len) */
	size_t tail_len, tail_cap, tail_off;
	struct logmark marks[LOGFILE_MARKS];
	int nmarks;
	int stride;            /* lines between marks */
	int since_mark;        /* lines taken since the last mark */
	int64_t upto;          /* logfile_extend's bound */
};

struct logfile *logfile_new(int64_t kid, int64_t empty_mtime_ns)
{
	struct logfile *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	pthread_mutex_init(&l->lock, NULL);
	l->kid = kid;
	l->empty_mtime_ns = empty_mtime_ns;
	l->marks[0] = (struct logmark){0, 0};
	l->nmarks = 1;
	l->stride = 16;
	return l;
}

void logfile_free(struct logfile *l)
{
	if (!l)
		return;
	free(l->tail);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

/* The rendered form of one line into buf (NUL-terminated, cut to fit);
 * returns its full length. */
static size_t render_line(int64_t ts, const char *text, char *buf, size_t size)
{
	char t[64];
	int n = snprintf(buf, size, "%s %s\n", fmt_time(ts, t, sizeof(t)), text ? text : "");
	return n > 0 ? (size_t)n : 0;
}

/* Keeps at most LOGFILE_TAIL bytes (trimmed when twice that is held, so
 * appending stays amortized O(1)). */
static int tail_add(struct logfile *l, const char *data, size_t n)
{
	if (l->tail_len + n > l->tail_cap) {
		size_t cap = l->tail_cap ? l->tail_cap : 4096;
		while (cap < l->tail_len + n)
			cap *= 2;
		char *p = realloc(l->tail, cap);
		if (!p)
			return -1;
		l->tail = p;
		l->tail_cap = cap;
	}
	memcpy(l->tail + l->tail_len, data, n);
	l->tail_len += n;
	if (l->tail_len > 2 * LOGFILE_TAIL) {
		size_t drop = l->tail_len - LOGFILE_TAIL;
		memmove(l->tail, l->tail + drop, LOGFILE_TAIL);
		l->tail_len = LOGFILE_TAIL;
		l->tail_off += drop;
		/* give back what a burst made the buffer grow to */
		if (l->tail_cap > 4 * LOGFILE_TAIL) {
			char *p = realloc(l->tail, 2 * LOGFILE_TAIL);
			if (p) {
				l->tail = p;
				l->tail_cap = 2 * LOGFILE_TAIL;
			}
		}
	}
	return 0;
}

static void add_mark(struct logfile *l)
{
	if (l->nmarks == LOGFILE_MARKS) {
		int k = 0;
		for (int i = 0; i < l->nmarks; i += 2)
			l->marks[k++] = l->marks[i];
		l->nmarks = k;
		l->stride *= 2;
	}
	l->marks[l->nmarks++] = (struct logmark){l->last_id, l->len};
	l->since_mark = 0;
}

/* engine_log_since's callback: one more line of the file, unless it is
 * past the line the caller took in up to. */
static void take(void *arg, int64_t id, int64_t ts, const char *text)
{
	struct logfile *l = arg;
	if (id > l->upto)
		return;
	char small[512];
	size_t n = render_line(ts, text, small, sizeof(small));
	char *line = small;
	if (n >= sizeof(small)) {
		line = malloc(n + 1);
		if (!line)
			return;
		render_line(ts, text, line, n + 1);
	}
	if (l->since_mark >= l->stride)
		add_mark(l);
	/* a line that cannot be kept in the tail is still counted: the file's
	 * bytes are the store's, a read of them goes back there */
	if (tail_add(l, line, n)) {
		l->tail_off = l->len + n;
		l->tail_len = 0;
	}
	if (line != small)
		free(line);
	l->len += n;
	l->last_id = id;
	l->mtime_ns = ts;
	l->since_mark++;
}

int logfile_extend(struct logfile *l, struct engine *e, int64_t upto)
{
	pthread_mutex_lock(&l->lock);
	l->upto = upto;
	int rc = upto > l->last_id ? engine_log_since(e, l->kid, l->last_id, take, l) : 0;
	pthread_mutex_unlock(&l->lock);
	return rc;
}

bool logfile_show(struct logfile *l)
{
	pthread_mutex_lock(&l->lock);
	bool moved = l->shown != l->len;
	l->shown = l->len;
	l->shown_mtime_ns = l->mtime_ns;
	pthread_mutex_unlock(&l->lock);
	return moved;
}

void logfile_stat(struct logfile *l, size_t *len, int64_t *mtime_ns)
{
	pthread_mutex_lock(&l->lock);
	*len = l->shown;
	*mtime_ns = l->shown_mtime_ns ? l->shown_mtime_ns : l->empty_mtime_ns;
	pthread_mutex_unlock(&l->lock);
}

size_t logfile_memory(struct logfile *l)
{
	pthread_mutex_lock(&l->lock);
	size_t n = sizeof(*l) + l->tail_cap;
	pthread_mutex_unlock(&l->lock);
	return n;
}

/* A read back from the store: [pos, end) of the file rendered from the
 * lines after `after`, copied where it meets [want, want_end). */
struct readback {
	int64_t after;
	size_t pos;
	size_t want, want_end;
	char *buf;
	size_t got;
	int rows;
};

static void copy_line(void *arg, int64_t id, int64_t ts, const char *text)
{
	struct readback *r = arg;
	r->rows++;
	r->after = id;
	if (r->pos >= r->want_end)
		return;
	char small[512];
	size_t n = render_line(ts, text, small, sizeof(small));
	char *line = small;
	if (n >= sizeof(small)) {
		line = malloc(n + 1);
		if (!line) {
			r->pos = r->want_end;   /* stop: the count says how far it got */
			return;
		}
		render_line(ts, text, line, n + 1);
	}
	size_t a = r->pos > r->want ? r->pos : r->want;
	size_t b = r->pos + n < r->want_end ? r->pos + n : r->want_end;
	if (a < b && a == r->want + r->got) {
		memcpy(r->buf + r->got, line + (a - r->pos), b - a);
		r->got += b - a;
	}
	if (line != small)
		free(line);
	r->pos += n;
}

size_t logfile_read(struct logfile *l, struct engine *e, char *buf, size_t size, size_t off)
{
	pthread_mutex_lock(&l->lock);
	if (off >= l->shown || !size) {
		pthread_mutex_unlock(&l->lock);
		return 0;
	}
	size_t end = off + size < l->shown ? off + size : l->shown;
	if (off >= l->tail_off && end <= l->tail_off + l->tail_len) {
		memcpy(buf, l->tail + (off - l->tail_off), end - off);
		pthread_mutex_unlock(&l->lock);
		return end - off;
	}
	/* the last mark at or before off */
	int lo = 0, hi = l->nmarks - 1;
	while (lo < hi) {
		int mid = (lo + hi + 1) / 2;
		if (l->marks[mid].off <= off)
			lo = mid;
		else
			hi = mid - 1;
	}
	struct logmark m = l->marks[lo];
	pthread_mutex_unlock(&l->lock);

	/* lines never change once stored, so this needs no lock: the marks
	 * and the length it took say where they are */
	struct readback r = {.after = m.after_id, .pos = m.off, .want = off, .want_end = end,
	                     .buf = buf};
	while (r.pos < end) {
		r.rows = 0;
		if (engine_log_page(e, l->kid, r.after, LOG_PAGE, copy_line, &r) || !r.rows)
			break;
	}
	return r.got;
}
