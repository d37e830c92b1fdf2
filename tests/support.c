/*
 * support.c - the end-to-end tests' daemon, shell and polling helpers.
 */
#include "tests/support.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ac_config.h"

const char *src_dir(void)
{
	const char *s = getenv("AC_SOURCE_DIR");
	return s && *s ? s : AC_SOURCE_DIR;
}

const char *daemon_path(void)
{
	static char buf[1024];
	const char *s = getenv("AC_DAEMON");
	if (s && *s)
		return s;
	snprintf(buf, sizeof(buf), "%s/autocompfs", AC_BUILD_DIR);
	return buf;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

void mnt_init(struct mnt *m)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->base, sizeof(m->base), "/tmp/acfs-test-XXXXXX");
	cr_assert(mkdtemp(m->base), "mkdtemp: %s", strerror(errno));
	snprintf(m->dir, sizeof(m->dir), "%s/mnt", m->base);
	snprintf(m->state, sizeof(m->state), "%s/state", m->base);
	snprintf(m->log, sizeof(m->log), "%s/daemon.log", m->base);
	cr_assert(mkdir(m->dir, 0755) == 0);
}

static bool mounted(const char *dir)
{
	char *mounts = slurp("/proc/self/mounts");
	bool yes = false;
	if (mounts) {
		char needle[400];
		snprintf(needle, sizeof(needle), " %s fuse", dir);
		yes = strstr(mounts, needle) != NULL;
	}
	free(mounts);
	return yes;
}

void mnt_start(struct mnt *m, const char *const *args, const char *const *env)
{
	char stateopt[400];
	snprintf(stateopt, sizeof(stateopt), "state=%s", m->state);
	const char *argv[32];
	int n = 0;
	argv[n++] = daemon_path();
	argv[n++] = "-f";
	argv[n++] = "-o";
	argv[n++] = stateopt;
	for (int i = 0; args && args[i] && n < 30; i++)
		argv[n++] = args[i];
	argv[n++] = m->dir;
	argv[n] = NULL;
	pid_t parent = getpid();
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(1);
		int fd = open(m->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		for (int i = 0; env && env[i]; i++)
			putenv((char *)env[i]);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	m->pid = pid;
	for (int i = 0; i < 200; i++) {
		if (mounted(m->dir))
			return;
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			char *log = slurp(m->log);
			m->pid = 0;
			cr_assert_fail("daemon exited before mounting: %s", log ? log : "");
		}
		sleep_ms(50);
	}
	cr_assert_fail("the mount did not appear within 10 s");
}

int mnt_stop(struct mnt *m)
{
	if (!m->pid)
		return -1;
	sh("fusermount3 -u '%s' 2>/dev/null", m->dir);
	int st = 0;
	for (int i = 0; i < 600; i++) {
		pid_t r = waitpid(m->pid, &st, WNOHANG);
		if (r == m->pid) {
			m->pid = 0;
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		}
		sleep_ms(50);
	}
	kill(m->pid, SIGKILL);
	waitpid(m->pid, &st, 0);
	m->pid = 0;
	sh("fusermount3 -uz '%s' 2>/dev/null", m->dir);
	return -1;
}

void mnt_kill9(struct mnt *m)
{
	if (!m->pid)
		return;
	kill(m->pid, SIGKILL);
	int st;
	waitpid(m->pid, &st, 0);
	m->pid = 0;
	sh("fusermount3 -u '%s' 2>/dev/null || fusermount3 -uz '%s' 2>/dev/null", m->dir, m->dir);
}

void mnt_cleanup(struct mnt *m)
{
	if (m->pid)
		mnt_stop(m);
	if (m->base[0])
		sh("rm -rf '%s'", m->base);
}

static char *vfmt(const char *fmt, va_list ap)
{
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		return NULL;
	return s;
}

int sh(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *cmd = vfmt(fmt, ap);
	va_end(ap);
	int st = system(cmd);
	free(cmd);
	if (st == -1)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

char *sh_out(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *cmd = vfmt(fmt, ap);
	va_end(ap);
	FILE *p = popen(cmd, "r");
	free(cmd);
	if (!p)
		return NULL;
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	size_t n;
	while ((n = fread(buf + len, 1, cap - len - 1, p)) > 0) {
		len += n;
		if (cap - len < 1024)
			buf = realloc(buf, cap *= 2);
	}
	buf[len] = '\0';
	pclose(p);
	return buf;
}

char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	size_t n;
	while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (cap - len < 1024)
			buf = realloc(buf, cap *= 2);
	}
	buf[len] = '\0';
	fclose(f);
	return buf;
}

char *slurpf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *path = vfmt(fmt, ap);
	va_end(ap);
	char *s = slurp(path);
	free(path);
	return s;
}

bool wait_contains(const char *path, const char *needle, double timeout_s)
{
	for (double t = 0; t < timeout_s; t += 0.05) {
		char *s = slurp(path);
		bool ok = s && strstr(s, needle);
		free(s);
		if (ok)
			return true;
		sleep_ms(50);
	}
	return false;
}

char *wait_final(const struct mnt *m, const char *kernel, double timeout_s)
{
	for (double t = 0; t < timeout_s; t += 0.05) {
		char *s = slurpf("%s/kernels/%s/status", m->dir, kernel);
		if (s && (!strncmp(s, "done", 4) || !strncmp(s, "failed", 6) ||
		          !strncmp(s, "stopped", 7)))
			return s;
		free(s);
		sleep_ms(50);
	}
	return NULL;
}

int count_of(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; p && (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

int mock_start(const char *script, int latency_ms, const char *log, pid_t *pid)
{
	return mock_start_on(script, 0, latency_ms, log, pid);
}

int mock_start_on(const char *script, int port_wanted, int latency_ms, const char *log,
                  pid_t *pid)
{
	char portarg[16];
	snprintf(portarg, sizeof(portarg), "%d", port_wanted);
	const char *mock = getenv("AC_MOCK_LLM");
	char def[1024], dir[1024], lat[32];
	if (!mock || !*mock) {
		snprintf(def, sizeof(def), "%s/mock-llm", AC_BUILD_DIR);
		mock = def;
	}
	snprintf(dir, sizeof(dir), "%s/%s", src_dir(), script);
	snprintf(lat, sizeof(lat), "%d", latency_ms);
	int p[2];
	cr_assert(pipe(p) == 0);
	pid_t parent = getpid();
	pid_t child = fork();
	cr_assert(child >= 0);
	if (child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(1);
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		if (log)
			execl(mock, mock, "--script", dir, "--port", portarg, "--latency-ms", lat, "--log",
			      log, (char *)NULL);
		else
			execl(mock, mock, "--script", dir, "--port", portarg, "--latency-ms", lat,
			      (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	char buf[64] = "";
	size_t n = 0;
	while (n < sizeof(buf) - 1) {
		ssize_t r = read(p[0], buf + n, 1);
		if (r <= 0 || buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = '\0';
	close(p[0]);
	int port = atoi(buf);
	cr_assert(port > 0, "mock-llm did not print its port (%s)", mock);
	*pid = child;
	return port;
}

void mock_stop(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	int st;
	waitpid(pid, &st, 0);
}
