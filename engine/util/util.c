/*
 * util.c - the string buffer, the string list (strv), clocks and file
 * helpers declared in util.h.
 *
 * Deliberately small: no containers beyond strbuf and strv, no logging. Every
 * function reports failure as a negative errno, like the rest of the code.
 */
#include "engine/util/util.h"
#include "targets/exec/fileio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int sb_grow(struct strbuf *sb, size_t len)
{
	if (len + 1 <= sb->cap)
		return 0;
	size_t cap = sb->cap ? sb->cap : 64;
	while (cap < len + 1)
		cap *= 2;
	char *p = realloc(sb->buf, cap);
	if (!p)
		return -ENOMEM;
	if (!sb->buf)
		p[0] = '\0';
	sb->buf = p;
	sb->cap = cap;
	return 0;
}

int sb_add(struct strbuf *sb, const void *data, size_t len)
{
	int rc = sb_grow(sb, sb->len + len);
	if (rc)
		return rc;
	if (len)
		memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
	return 0;
}

int sb_adds(struct strbuf *sb, const char *s)
{
	return sb_add(sb, s, strlen(s));
}

int sb_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char small[256];
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n < sizeof(small))
		return sb_add(sb, small, (size_t)n);
	int rc = sb_grow(sb, sb->len + (size_t)n);
	if (rc)
		return rc;
	va_start(ap, fmt);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
	return 0;
}

int sb_setlen(struct strbuf *sb, size_t len)
{
	int rc = sb_grow(sb, len);
	if (rc)
		return rc;
	if (len > sb->len)
		memset(sb->buf + sb->len, 0, len - sb->len);
	sb->len = len;
	sb->buf[len] = '\0';
	return 0;
}

void sb_release(struct strbuf *sb)
{
	if (!sb)
		return;
	free(sb->buf);
	sb->buf = NULL;
	sb->len = 0;
	sb->cap = 0;
}

char *sb_detach(struct strbuf *sb)
{
	char *p = sb->buf;
	if (!p)
		p = calloc(1, 1);
	sb->buf = NULL;
	sb->len = 0;
	sb->cap = 0;
	return p;
}

int strv_len(char *const *v)
{
	int n = 0;
	while (v && v[n])
		n++;
	return n;
}

void strv_free(char **v)
{
	for (int i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

char **strv_split(const char *s, char sep)
{
	int cap = 1;
	for (const char *p = s; *p; p++)
		cap += *p == sep;
	char **v = calloc((size_t)cap + 1, sizeof(*v));
	if (!v)
		return NULL;
	int n = 0;
	const char *p = s;
	while (*p) {
		const char *e = strchr(p, sep);
		if (!e)
			e = p + strlen(p);
		const char *a = p, *b = e;
		while (a < b && (*a == ' ' || *a == '\t'))
			a++;
		while (b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '\n'))
			b--;
		if (b > a) {
			v[n] = strndup(a, (size_t)(b - a));
			if (!v[n]) {
				strv_free(v);
				return NULL;
			}
			n++;
		}
		p = *e ? e + 1 : e;
	}
	return v;
}

int strv_addn(char ***v, const char *s, size_t n)
{
	int len = strv_len(*v);
	char *copy = strndup(s, n);
	char **grown = copy ? realloc(*v, ((size_t)len + 2) * sizeof(**v)) : NULL;
	if (!grown) {
		free(copy);
		return -ENOMEM;
	}
	grown[len] = copy;
	grown[len + 1] = NULL;
	*v = grown;
	return 0;
}

int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int write_file_atomic(const char *path, const void *data, size_t len, int mode)
{
	char tmp[4096];
	int n = snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -ENAMETOOLONG;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	int rc = ac_write_all(fd, data, len);
	if (rc) {
		close(fd);
		unlink(tmp);
		return rc;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		int rc = -errno;
		unlink(tmp);
		return rc;
	}
	return 0;
}

int mkdir_p(const char *path, int mode)
{
	char buf[4096];
	int n = snprintf(buf, sizeof(buf), "%s", path);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

bool kernel_name_valid(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > 64 || name[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '.' || c == '_' ||
			  c == '-' || c == '+';
		if (!ok)
			return false;
	}
	return true;
}

bool file_name_valid(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > 255)
		return false;
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	return strchr(name, '/') == NULL;
}

const char *fmt_duration(int64_t ns, char *buf, size_t len)
{
	if (ns < 0)
		snprintf(buf, len, "-");
	else if (ns < 1000000)
		snprintf(buf, len, "%.0f us", ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, len, "%.3g ms", ns / 1e6);
	else
		snprintf(buf, len, "%.3g s", ns / 1e9);
	return buf;
}

const char *fmt_time(int64_t ns, char *buf, size_t len)
{
	time_t s = (time_t)(ns / 1000000000);
	struct tm tm;
	gmtime_r(&s, &tm);
	char day[32];
	strftime(day, sizeof(day), "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03d", day, (int)((ns / 1000000) % 1000));
	return buf;
}

void text_first_line(const char *text, char *out, size_t len)
{
	static const char ellipsis[] = "\xe2\x80\xa6";   /* U+2026 */
	while (*text == '\n' || *text == ' ' || *text == '#')
		text++;
	size_t n = strcspn(text, "\n");
	if (n < len) {
		memcpy(out, text, n);
		out[n] = '\0';
		return;
	}
	size_t room = len - sizeof(ellipsis);   /* what fits before the mark */
	size_t cut = room;
	while (cut > 0 && text[cut] != ' ')
		cut--;
	if (cut == 0) {
		/* one long word: cut between characters, not inside one */
		cut = room;
		while (cut > 0 && ((unsigned char)text[cut] & 0xc0) == 0x80)
			cut--;
	}
	while (cut > 0 && (text[cut - 1] == ' ' || text[cut - 1] == ',' || text[cut - 1] == ';' ||
	                   text[cut - 1] == ':'))
		cut--;
	memcpy(out, text, cut);
	memcpy(out + cut, ellipsis, sizeof(ellipsis));
}
