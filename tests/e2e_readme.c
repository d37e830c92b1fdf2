/*
 * e2e_readme.c - the README's transcripts, run as written.
 *
 * Every code block in README.md that follows a line `<!-- checked -->` is
 * a transcript: `$ command` lines, each followed by what it prints. The
 * blocks run in order, in one shell session each command, from the source
 * tree, against a real mount and the mock model, and each command's
 * output must match what the README shows:
 *
 *   - a number in the README matches any number (times, ports, counts and
 *     timestamps differ from run to run, their places do not);
 *   - "..." matches any text within a line, and a line that is only
 *     "..." matches any number of lines;
 *   - /mnt/ac is a fresh temporary mountpoint, the default state
 *     directory a temporary one, build/ this test's build, the mock's
 *     port the one it printed, and a command that ends in '&' runs in
 *     the background (what it printed in its first seconds is compared).
 *
 * A transcript that cannot run here (a real provider's key, a GPU) is
 * simply not marked; the ones marked stay true as the product changes.
 * AC_README_PRINT=1 prints what each command printed, to write a new one.
 */
#include <criterion/criterion.h>
#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support.h"

static struct mnt m;
static pid_t bg[8];
static int nbg;

static void setup(void)
{
	mnt_init(&m);
}

static void teardown(void)
{
	sh("fusermount3 -u %s 2>/dev/null; true", m.dir);
	for (int i = 0; i < nbg; i++)
		if (bg[i] > 0)
			kill(bg[i], SIGTERM);
	mnt_cleanup(&m);
}

TestSuite(readme, .init = setup, .fini = teardown, .timeout = 900);

/* Does the text s[0..slen) match the pattern p[0..plen) (one line)? */
static bool match(const char *p, size_t plen, const char *s, size_t slen)
{
	if (plen >= 3 && !strncmp(p, "...", 3)) {
		for (size_t k = 0; k <= slen; k++)
			if (match(p + 3, plen - 3, s + k, slen - k))
				return true;
		return false;
	}
	if (!plen)
		return !slen;
	if (isdigit((unsigned char)*p)) {
		/* a number: digits, with a decimal part or not */
		size_t pn = 0, sn = 0;
		while (pn < plen && (isdigit((unsigned char)p[pn]) ||
		                     (p[pn] == '.' && pn + 1 < plen && isdigit((unsigned char)p[pn + 1]))))
			pn++;
		while (sn < slen && (isdigit((unsigned char)s[sn]) ||
		                     (s[sn] == '.' && sn + 1 < slen && isdigit((unsigned char)s[sn + 1]))))
			sn++;
		if (!sn)
			return false;
		return match(p + pn, plen - pn, s + sn, slen - sn);
	}
	return slen && *p == *s && match(p + 1, plen - 1, s + 1, slen - 1);
}

/* Lines of text into an array of (start, length); returns the count. */
static int lines_of(const char *text, const char **at, size_t *len, int max)
{
	int n = 0;
	while (*text && n < max) {
		size_t l = strcspn(text, "\n");
		at[n] = text;
		len[n++] = l;
		text += l + (text[l] == '\n');
	}
	return n;
}

/* Do the printed lines match the README's (with "..." lines)? */
static bool match_lines(const char **pa, const size_t *pl, int np, const char **sa,
                        const size_t *sl, int ns)
{
	if (!np)
		return !ns;
	if (pl[0] == 3 && !strncmp(pa[0], "...", 3)) {
		for (int k = 0; k <= ns; k++)
			if (match_lines(pa + 1, pl + 1, np - 1, sa + k, sl + k, ns - k))
				return true;
		return false;
	}
	return ns && match(pa[0], pl[0], sa[0], sl[0]) &&
	       match_lines(pa + 1, pl + 1, np - 1, sa + 1, sl + 1, ns - 1);
}

/* s with every "from" replaced by "to" (a new string). */
static char *replace(const char *s, const char *from, const char *to)
{
	struct strbuf {
		char *buf;
		size_t len;
	} out = {0};
	size_t fl = strlen(from), tl = strlen(to);
	out.buf = malloc(strlen(s) * (tl > fl ? tl / (fl ? fl : 1) + 2 : 1) + 1);
	cr_assert(out.buf);
	while (*s) {
		if (fl && !strncmp(s, from, fl)) {
			memcpy(out.buf + out.len, to, tl);
			out.len += tl;
			s += fl;
		} else {
			out.buf[out.len++] = *s++;
		}
	}
	out.buf[out.len] = '\0';
	return out.buf;
}

static char port[16] = ":41237";   /* the README's port until the mock says its own */

/* The README's names for this test's: the mountpoint, the mock's port. */
static char *localize(const char *s)
{
	char *a = replace(s, "/mnt/ac", m.dir);
	char *b = replace(a, ":41237", port);
	free(a);
	/* build/ is the build this test belongs to (build-asan/ in CI's
	 * sanitizer pass) */
	const char *bd = getenv("AC_BUILD_DIR");
	char to[1100];
	snprintf(to, sizeof(to), "%s/", bd && *bd ? bd : "build");
	char *c = b;
	if (!strncmp(b, "build/", 6)) {
		c = malloc(strlen(b) + strlen(to) + 1);
		cr_assert(c);
		snprintf(c, strlen(b) + strlen(to) + 1, "%s%s", to, b + 6);
		free(b);
	}
	return c;
}

/* Runs one command as the README shows it; returns what it printed
 * (stdout and stderr together; caller frees). */
static char *run(const char *cmd)
{
	char out[400], pidf[400];
	snprintf(out, sizeof(out), "%s/readme.out", m.base);
	snprintf(pidf, sizeof(pidf), "%s/readme.pid", m.base);
	char *local = localize(cmd);
	size_t n = strlen(local);
	while (n && local[n - 1] == ' ')
		local[--n] = '\0';
	char script[400];
	snprintf(script, sizeof(script), "%s/readme.sh", m.base);
	FILE *f = fopen(script, "w");
	cr_assert(f);
	if (n && local[n - 1] == '&') {
		/* the background: what it prints in its first seconds */
		local[n - 1] = '\0';
		fprintf(f, "%s >%s 2>&1 &\necho $! >%s\n", local, out, pidf);
		fclose(f);
		cr_assert_eq(sh("cd %s && XDG_STATE_HOME=%s/xdg bash %s", src_dir(), m.base, script), 0);
		char *pid = slurp(pidf);
		cr_assert(pid && nbg < 8);
		bg[nbg++] = atoi(pid);
		free(pid);
		for (int i = 0; i < 50; i++) {
			char *got = slurp(out);
			bool some = got && strchr(got, '\n') && strstr(got, "\n") != strrchr(got, '\n');
			free(got);
			if (some)
				break;
			usleep(100000);
		}
	} else {
		fprintf(f, "%s\n", local);
		fclose(f);
		sh("cd %s && XDG_STATE_HOME=%s/xdg timeout 600 bash %s >%s 2>&1 </dev/null", src_dir(),
		   m.base, script, out);
	}
	free(local);
	char *got = slurp(out);
	cr_assert(got);
	/* the mock's port, once it said it */
	const char *at = strstr(got, "127.0.0.1:");
	if (at && !strcmp(port, ":41237"))
		snprintf(port, sizeof(port), ":%d", atoi(at + 10));
	/* this test's paths back to the README's */
	char *back = replace(got, m.dir, "/mnt/ac");
	free(got);
	return back;
}

static void check_block(const char *block, int lineno)
{
	const char *at[512];
	size_t len[512];
	int n = lines_of(block, at, len, 512);
	for (int i = 0; i < n;) {
		if (len[i] < 2 || strncmp(at[i], "$ ", 2)) {
			i++;
			continue;
		}
		char cmd[2048];
		snprintf(cmd, sizeof(cmd), "%.*s", (int)len[i] - 2, at[i] + 2);
		int j = i + 1;
		while (j < n && !(len[j] >= 2 && !strncmp(at[j], "$ ", 2)))
			j++;
		char *got = run(cmd);
		if (getenv("AC_README_PRINT"))
			fprintf(stderr, "$ %s\n%s", cmd, got);
		const char *sa[2048];
		size_t sl[2048];
		int ns = lines_of(got, sa, sl, 2048);
		cr_expect(match_lines(at + i + 1, len + i + 1, j - i - 1, sa, sl, ns),
		          "README.md line %d: `%s` printed:\n%s\nbut the README shows:\n%.*s",
		          lineno + i, cmd, got, (int)(j > i + 1 ? at[j - 1] + len[j - 1] - at[i + 1] : 0),
		          j > i + 1 ? at[i + 1] : "");
		free(got);
		i = j;
	}
}

Test(readme, matching_rules)
{
	const char *p = "done: 8 iterations, best 1.5x (#10, 222 us vs ...)";
	const char *s = "done: 8 iterations, best 123.36x (#7, 222 us vs 27.4 ms)";
	cr_assert(match(p, strlen(p), s, strlen(s)));
	const char *bad = "done: 8 iterations, best x (#7, 222 us vs 1 ms)";
	cr_assert(!match(p, strlen(p), bad, strlen(bad)), "a number is there or not");
	const char *pl[] = {"a", "...", "z"};
	size_t pn[] = {1, 3, 1};
	const char *sl[] = {"a", "b", "c", "z"};
	size_t sn[] = {1, 1, 1, 1};
	cr_assert(match_lines(pl, pn, 3, sl, sn, 4));
	cr_assert(match_lines(pl, pn, 3, sl + 2, sn + 2, 0) == false);
}

Test(readme, the_checked_transcripts_are_true)
{
	char *readme = slurpf("%s/README.md", src_dir());
	cr_assert(readme);
	int blocks = 0;
	for (const char *p = readme; (p = strstr(p, "<!-- checked -->")); p++) {
		const char *open = strstr(p, "```");
		cr_assert(open);
		const char *body = strchr(open, '\n') + 1;
		const char *close = strstr(body, "```");
		cr_assert(close);
		char *block = strndup(body, (size_t)(close - body));
		int lineno = 1;
		for (const char *c = readme; c < body; c++)
			lineno += *c == '\n';
		check_block(block, lineno);
		free(block);
		blocks++;
	}
	cr_assert_geq(blocks, 2, "the README's checked transcripts");
	free(readme);
}
