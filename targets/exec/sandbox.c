/*
 * sandbox.c - run one untrusted command, contained, and collect what it
 * printed.
 *
 * Every compiler run, candidate run and evaluator run goes through
 * ac_sandbox_run(). This file is the parent's side: it prepares everything
 * that needs memory (the clean environment, the resolved executable, the
 * uid decision) before it forks, because the child of a multithreaded
 * daemon may only make async-signal-safe calls. The child (its code is
 * sandbox_child.c, with the rules of what it may call) then puts itself in
 * a new process group, sets up its descriptors, rlimits, CPU pinning and
 * namespaces, drops root where it can and executes the command. The
 * parent polls the output, report and status pipes, enforces the wall
 * clock and the cancel flag, and kills the whole group when anything ends
 * it.
 *
 * The process tree when the caller is root:
 *
 *     daemon --fork--> setup (own pgid) --fork--> init (pid 1 of a new PID
 *                                                  namespace, a reaper)
 *                                                   --fork--> command
 *
 * When the command ends, init reports its wait status on the status pipe
 * and exits, and the kernel kills whatever is left in the namespace, even
 * processes that left the group with setsid(). Without root there is no PID
 * namespace and the setup process executes the command itself; the group
 * kill is then the only cleanup.
 *
 * What it deliberately does not do: cgroups, seccomp, a private mount
 * namespace or chroot. The command sees the real filesystem; when it runs
 * as the sandbox user it can write only where that user can (its own
 * directory, /tmp).
 */
#include "targets/exec/sandbox.h"
#include "targets/exec/sandbox_child.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_TIMEOUT_S 60.0
#define DEFAULT_OUTPUT_CAP (64u * 1024u)
#define REPORT_CAP (64u * 1024u)
#define DEFAULT_MEM ((size_t)8 << 30)
#define DEFAULT_NPROC 256u
#define DEFAULT_FSIZE ((size_t)256 << 20)
#define DEFAULT_NOFILE 256u
#define MIN_NOFILE 16u
#define POLL_MS 50
#define BASE_PATH "/usr/local/bin:/usr/bin:/bin"
#define CUDA_BIN "/usr/local/cuda/bin"

/* --- the parent's one-time setup ------------------------------------ */

static pthread_once_t once = PTHREAD_ONCE_INIT;
static uid_t sandbox_uid = 65534;
static gid_t sandbox_gid = 65534;

static void init_once(void)
{
	struct passwd pw;
	struct passwd *found = NULL;
	char buf[1024];

	/* A pipe whose reader died must never kill the daemon. */
	signal(SIGPIPE, SIG_IGN);
	if (getpwnam_r("nobody", &pw, buf, sizeof buf, &found) == 0 && found) {
		sandbox_uid = found->pw_uid;
		sandbox_gid = found->pw_gid;
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Can uid/gid (with no supplementary groups) search every ancestor of the
 * absolute, canonical path dir? The directory itself is chowned later. */
static bool ancestors_searchable(const char *dir, uid_t uid, gid_t gid)
{
	char path[PATH_MAX];
	size_t len = strlen(dir);

	if (len == 0 || len >= sizeof path || dir[0] != '/')
		return false;
	memcpy(path, dir, len + 1);
	for (;;) {
		char *slash = strrchr(path, '/');
		struct stat st;
		mode_t need;

		if (!slash)
			return false;
		if (slash == path)
			slash[1] = '\0';   /* the root directory */
		else
			*slash = '\0';
		if (stat(path, &st) != 0)
			return false;
		if (st.st_uid == uid)
			need = S_IXUSR;
		else if (st.st_gid == gid)
			need = S_IXGRP;
		else
			need = S_IXOTH;
		if (!(st.st_mode & need))
			return false;
		if (slash == path)
			return true;
	}
}

/* May dir be chowned to the sandbox user? Only a directory that root or
 * that user already owns, and never "/": a caller's mistake must not hand
 * a system directory to "nobody". */
static bool may_hand_over(const char *dir, uid_t uid)
{
	struct stat st;

	if (strcmp(dir, "/") == 0 || lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return false;
	return st.st_uid == 0 || st.st_uid == uid;
}

/* Room for the command's PATH: the system's directories, and CUDA's when
 * it is installed. */
#define SEARCH_MAX (sizeof BASE_PATH + sizeof CUDA_BIN + 2)

/* The PATH a sandboxed command gets, into search. */
static void sandbox_search(char search[SEARCH_MAX])
{
	struct stat st;

	snprintf(search, SEARCH_MAX, "%s", BASE_PATH);
	if (stat(CUDA_BIN, &st) == 0 && S_ISDIR(st.st_mode))
		snprintf(search, SEARCH_MAX, "%s:%s", BASE_PATH, CUDA_BIN);
}

/* Finds name in the colon-separated search path, the way execvp would.
 * A name with a '/' is used as it is (relative to the child's directory).
 * Returns 0 and fills out, or -ENOENT. */
static int resolve_exec(const char *name, const char *search, char *out, size_t len)
{
	if (!name || !*name)
		return -ENOENT;
	if (strchr(name, '/')) {
		if ((size_t)snprintf(out, len, "%s", name) >= len)
			return -ENAMETOOLONG;
		return 0;
	}
	return ac_sandbox_which(name, search, out, len);
}

int ac_sandbox_which(const char *name, const char *search, char *out, size_t len)
{
	char own[SEARCH_MAX];
	const char *p = search;

	if (!name || !*name || strchr(name, '/'))
		return -ENOENT;
	if (!p) {
		sandbox_search(own);
		p = own;
	}
	while (*p) {
		const char *end = strchr(p, ':');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		struct stat st;

		if (n > 0 && (size_t)snprintf(out, len, "%.*s/%s", (int)n, p, name) < len &&
		    stat(out, &st) == 0 && S_ISREG(st.st_mode) &&
		    (st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)))
			return 0;
		if (!end)
			break;
		p = end + 1;
	}
	return -ENOENT;
}

static bool env_has_name(char *const *env, const char *entry)
{
	size_t n = strcspn(entry, "=");

	for (; env && *env; env++)
		if (strncmp(*env, entry, n) == 0 && (*env)[n] == '=')
			return true;
	return false;
}

static void free_env(char **envp)
{
	if (!envp)
		return;
	for (char **e = envp; *e; e++)
		free(*e);
	free(envp);
}

/* The clean environment: the caller's extra entries win over the defaults
 * of the same name; nothing comes from the daemon's own environment. */
static char **build_env(const struct ac_sandbox_opts *o, const char *dir,
                        const char *search, int rep_fd)
{
	char defaults[5][PATH_MAX + 16];
	size_t nextra = 0;
	size_t n = 0;
	char **envp;

	snprintf(defaults[0], sizeof defaults[0], "PATH=%s", search);
	snprintf(defaults[1], sizeof defaults[1], "HOME=%s", dir);
	snprintf(defaults[2], sizeof defaults[2], "TMPDIR=%s", dir);
	snprintf(defaults[3], sizeof defaults[3], "LANG=C");
	snprintf(defaults[4], sizeof defaults[4], "AC_REPORT_FD=%d", rep_fd);
	for (char *const *e = o->env; e && *e; e++)
		nextra++;
	envp = calloc(nextra + 6, sizeof *envp);
	if (!envp)
		return NULL;
	for (char *const *e = o->env; e && *e; e++) {
		if (!strchr(*e, '=') || strncmp(*e, "AC_REPORT_FD=", 13) == 0)
			continue;
		envp[n] = strdup(*e);
		if (!envp[n])
			goto fail;
		n++;
	}
	for (int i = 0; i < 5; i++) {
		if (i == 4 && rep_fd < 0)
			continue;
		if (i < 4 && env_has_name(o->env, defaults[i]))
			continue;
		envp[n] = strdup(defaults[i]);
		if (!envp[n])
			goto fail;
		n++;
	}
	return envp;
fail:
	free_env(envp);
	return NULL;
}

/* --- the parent ------------------------------------------------------- */

struct sink {
	char *buf;
	size_t len, cap, limit;
	bool truncated;
};

static void sink_add(struct sink *s, const char *data, size_t n)
{
	size_t room;

	assert(s->len <= s->limit);
	room = s->limit - s->len;

	if (n > room) {
		s->truncated = true;
		n = room;
	}
	if (n == 0)
		return;
	if (s->len + n + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		char *nb;

		while (cap < s->len + n + 1)
			cap *= 2;
		if (cap > s->limit + 1)
			cap = s->limit + 1;
		nb = realloc(s->buf, cap);
		if (!nb) {
			s->truncated = true;
			return;
		}
		s->buf = nb;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, data, n);
	s->len += n;
	s->buf[s->len] = '\0';
}

struct status_reader {
	char pending[sizeof(struct sandbox_rec)];
	size_t npending;
	int net, pid, setup_err, exec_err;
	pid_t init;
	bool have_status;
	int status;
};

static void status_feed(struct status_reader *sr, const char *data, size_t n)
{
	while (n > 0) {
		size_t take = sizeof sr->pending - sr->npending;
		struct sandbox_rec r;

		assert(sr->npending < sizeof sr->pending);   /* a whole record is never left pending */

		if (take > n)
			take = n;
		memcpy(sr->pending + sr->npending, data, take);
		sr->npending += take;
		data += take;
		n -= take;
		if (sr->npending < sizeof sr->pending)
			break;
		memcpy(&r, sr->pending, sizeof r);
		sr->npending = 0;
		switch (r.kind) {
		case REC_NET:
			sr->net = r.value;
			break;
		case REC_PID:
			sr->pid = r.value;
			break;
		case REC_SETUP_ERR:
			sr->setup_err = r.value;
			break;
		case REC_EXEC_ERR:
			sr->exec_err = r.value;
			break;
		case REC_STATUS:
			sr->have_status = true;
			sr->status = r.value;
			break;
		case REC_INIT:
			sr->init = r.value;
			break;
		default:
			break;
		}
	}
}

enum { FD_OUT, FD_REP, FD_ST, FD_PID, NPOLL };

struct watch {
	int fd[NPOLL];
	struct sink out, rep;
	struct status_reader st;
};

/* Reads what fd i has without blocking, at most max_reads times (a writer
 * as fast as we are must not keep us from the clock); closes it at EOF. */
static void drain_one(struct watch *w, int i, int max_reads)
{
	char buf[16384];

	while (w->fd[i] >= 0 && max_reads-- > 0) {
		ssize_t n = read(w->fd[i], buf, sizeof buf);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return;   /* EAGAIN: nothing more now */
		if (n == 0) {
			close(w->fd[i]);
			w->fd[i] = -1;
			return;
		}
		if (i == FD_OUT)
			sink_add(&w->out, buf, (size_t)n);
		else if (i == FD_REP)
			sink_add(&w->rep, buf, (size_t)n);
		else
			status_feed(&w->st, buf, (size_t)n);
	}
}

/* Has the child exited? Leaves it unreaped (a zombie keeps its pid and so
 * its process group id from being reused until we have killed the group). */
static bool child_exited(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof si);
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0)
		return errno == ECHILD;
	return si.si_pid == pid;
}

static void close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

/* How many tasks (threads count) uid runs now: RLIMIT_NPROC counts all of
 * them, not just this command's, so the limit is set that far above. */
static rlim_t count_tasks(uid_t uid)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	rlim_t n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char path[300], buf[512];
		struct stat st;
		const char *p;
		ssize_t len;
		int fd;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%s", e->d_name);
		if (stat(path, &st) != 0 || st.st_uid != uid)
			continue;
		snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		len = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (len <= 0)
			continue;
		buf[len] = '\0';
		/* "pid (comm) state ppid ..."; num_threads is the 20th field,
		 * the 18th after the ')' that ends comm. */
		p = strrchr(buf, ')');
		for (int field = 2; p && field < 20; field++) {
			p = strchr(p + 1, ' ');
		}
		n += p ? (rlim_t)strtoul(p + 1, NULL, 10) : 1;
	}
	closedir(d);
	return n;
}

static void fill_limits(struct sandbox_plan *p, const struct ac_sandbox_opts *o, double timeout)
{
	rlim_t cores = o->cpu >= 0 && o->ncpus > 1 ? (rlim_t)o->ncpus : 1;
	rlim_t cpu_s = o->cpu_s ? o->cpu_s : (rlim_t)timeout * cores + 5;
	rlim_t nofile = o->nofile ? o->nofile : DEFAULT_NOFILE;

	if (nofile < MIN_NOFILE)
		nofile = MIN_NOFILE;
	p->as.rlim_cur = p->as.rlim_max = o->mem_bytes ? o->mem_bytes : DEFAULT_MEM;
	p->cpu_time.rlim_cur = cpu_s;
	p->cpu_time.rlim_max = cpu_s + 1;   /* SIGXCPU first, SIGKILL a second later */
	p->nproc.rlim_cur = p->nproc.rlim_max = o->nproc ? o->nproc : DEFAULT_NPROC;
	/* The kernel ignores RLIMIT_NPROC for root; for anyone else it counts
	 * every task of the user, so leave room for those that exist. */
	if (p->drop)
		p->nproc.rlim_cur = p->nproc.rlim_max += count_tasks(p->uid);
	else if (geteuid() != 0)
		p->nproc.rlim_cur = p->nproc.rlim_max += count_tasks(geteuid());
	p->fsize.rlim_cur = p->fsize.rlim_max = o->fsize_bytes ? o->fsize_bytes : DEFAULT_FSIZE;
	p->nofile.rlim_cur = p->nofile.rlim_max = nofile;
}

/* Picks the child's numbers for the report and status pipes: high (just
 * under the descriptor limit) and distinct from every descriptor the child
 * is handed, so the layout in child_fds never overwrites a source. */
static void pick_fds(struct sandbox_plan *p)
{
	int fd = (int)p->nofile.rlim_cur - 1;
	int *slots[2] = { &p->rep_fd, &p->st_fd };

	for (int i = 0; i < 2; i++) {
		while (fd == p->devnull || fd == p->out_w || fd == p->rep_w || fd == p->st_w ||
		       (i == 1 && fd == p->rep_fd))
			fd--;
		*slots[i] = fd;
		fd--;
	}
	/* child_fds keeps 0-2 and these two: they must lie above 2 and apart
	 * (nofile is at least MIN_NOFILE, and at most four numbers are skipped) */
	assert(p->st_fd > 2 && p->rep_fd > 2 && p->st_fd != p->rep_fd);
}

/* Resolves what the command is: dir, the canonical o->dir; search, its
 * PATH; exe, argv[0] found in it. 0 or -errno. */
static int find_command(const struct ac_sandbox_opts *o, char dir[PATH_MAX],
                        char search[SEARCH_MAX], char exe[PATH_MAX])
{
	if (!realpath(o->dir, dir))
		return -errno;
	sandbox_search(search);
	return resolve_exec(o->argv[0], search, exe, PATH_MAX);
}

/* Fills the plan with the command, the uid decision and the limits; the
 * descriptors and the environment come later (open_pipes, build_env).
 * Hands dir to the sandbox user when the command is to run as that user. */
static void plan_init(struct sandbox_plan *p, const struct ac_sandbox_opts *o, const char *dir,
                      const char *exe, double timeout)
{
	memset(p, 0, sizeof *p);
	p->dir = dir;
	p->path = exe;
	p->argv = o->argv;
	p->parent = getpid();
	p->cpu = o->cpu;
	p->ncpus = o->ncpus;
	p->isolate_net = o->isolate_net;
	p->pidns = geteuid() == 0;
	p->uid = sandbox_uid;
	p->gid = sandbox_gid;
	p->drop = geteuid() == 0 && !o->keep_uid && may_hand_over(dir, p->uid) &&
	          ancestors_searchable(dir, p->uid, p->gid) &&
	          chown(dir, p->uid, p->gid) == 0;
	fill_limits(p, o, timeout);
}

/* An empty watch: no descriptors yet, the sinks' caps set. */
static void watch_init(struct watch *w, const struct ac_sandbox_opts *o)
{
	memset(w, 0, sizeof *w);
	for (int i = 0; i < NPOLL; i++)
		w->fd[i] = -1;
	w->out.limit = o->output_cap ? o->output_cap : DEFAULT_OUTPUT_CAP;
	w->rep.limit = REPORT_CAP;
}

/* The pipes from the child: its output, its report (only when asked for)
 * and the status records. -1 where closed or not made. */
struct pipes {
	int out[2], rep[2], st[2];
};

static void pipes_close(struct pipes *pp)
{
	close_fd(&pp->out[0]);
	close_fd(&pp->out[1]);
	close_fd(&pp->rep[0]);
	close_fd(&pp->rep[1]);
	close_fd(&pp->st[0]);
	close_fd(&pp->st[1]);
}

/* Opens /dev/null and the pipes, and lays out the numbers they get in
 * the child. 0 or -errno; what was opened is the caller's to close. */
static int open_pipes(struct sandbox_plan *p, struct pipes *pp, const struct ac_sandbox_opts *o)
{
	p->devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (p->devnull < 0)
		return -errno;
	if (pipe2(pp->out, O_CLOEXEC) != 0 || pipe2(pp->st, O_CLOEXEC) != 0 ||
	    (o->report && pipe2(pp->rep, O_CLOEXEC) != 0))
		return -errno;
	p->out_w = pp->out[1];
	p->rep_w = pp->rep[1];
	p->st_w = pp->st[1];
	pick_fds(p);
	return 0;
}

/* The parent's side once the child is forked: the group set from here too
 * (so a kill can never miss it), the write ends closed and the read ends
 * moved into the watch, non-blocking, with a pidfd for the child. */
static void watch_start(struct watch *w, struct pipes *pp, pid_t pid)
{
	setpgid(pid, pid);
	close_fd(&pp->out[1]);
	close_fd(&pp->rep[1]);
	close_fd(&pp->st[1]);
	w->fd[FD_OUT] = pp->out[0];
	w->fd[FD_REP] = pp->rep[0];
	w->fd[FD_ST] = pp->st[0];
	pp->out[0] = pp->rep[0] = pp->st[0] = -1;
	for (int i = FD_OUT; i <= FD_ST; i++)
		if (w->fd[i] >= 0)
			fcntl(w->fd[i], F_SETFL, O_NONBLOCK);
	w->fd[FD_PID] = (int)syscall(SYS_pidfd_open, pid, 0);
}

/* Collects what the child writes until it exits (true), the deadline
 * passes or the cancel flag is set (res says which; false), or poll fails
 * (false). */
static bool watch_until_end(struct watch *w, pid_t pid, const struct ac_sandbox_opts *o,
                            double deadline, struct ac_proc_result *res)
{
	for (;;) {
		struct pollfd pfd[NPOLL];
		nfds_t n = 0;
		int idx[NPOLL];
		double left;
		int ms;

		if (child_exited(pid))
			return true;
		left = deadline - now_s();
		if (left <= 0) {
			res->timed_out = true;
			return false;
		}
		if (o->cancel && atomic_load(o->cancel)) {
			res->cancelled = true;
			return false;
		}
		for (int i = 0; i < NPOLL; i++) {
			if (w->fd[i] < 0)
				continue;
			pfd[n].fd = w->fd[i];
			pfd[n].events = POLLIN;
			pfd[n].revents = 0;
			idx[n++] = i;
		}
		ms = left * 1000 < POLL_MS ? (int)(left * 1000) + 1 : POLL_MS;
		if (poll(pfd, n, ms) < 0 && errno != EINTR)
			return false;
		for (nfds_t i = 0; i < n; i++)
			if (pfd[i].revents && idx[i] != FD_PID)
				drain_one(w, idx[i], 16);
	}
}

/* Kills what is left of the run and reaps the child; returns its wait
 * status.
 *
 * Whatever ended the run, nothing of the group may outlive it. With a
 * PID namespace, killing its init kills everything in it, and the
 * setup process - still alive to reap init - exits once all of it is
 * gone; so nothing is left for the system's init to reap. Then (and
 * without a namespace, at once) the group is killed. The child is
 * still unreaped here, so the group id is still ours. */
static int end_group(struct watch *w, pid_t pid, bool exited)
{
	int status = 0;

	drain_one(w, FD_ST, 16);
	if (!exited && w->st.init > 0) {
		kill(w->st.init, SIGKILL);
		for (int i = 0; i < 400 && !child_exited(pid); i++) {
			struct timespec ms = { 0, 5 * 1000 * 1000 };

			nanosleep(&ms, NULL);
		}
	}
	kill(-pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

/* Fills res from what the run left: its status (the command's own, from
 * the ns init, when it exited), the isolation it got, and the output and
 * report, which move from w to res. 0, or -errno of a failed setup step or
 * execve, or -ENOMEM. */
static int collect(struct watch *w, const struct sandbox_plan *p, bool exited, int status,
                   struct ac_proc_result *res)
{
	if (w->st.exec_err || w->st.setup_err)
		return -(w->st.exec_err ? w->st.exec_err : w->st.setup_err);
	if (exited && w->st.have_status)
		status = w->st.status;   /* the command's own status, from the ns init */
	if (WIFSIGNALED(status))
		res->signal = WTERMSIG(status);
	else if (WIFEXITED(status))
		res->exit_code = WEXITSTATUS(status);
	if ((res->timed_out || res->cancelled) && !res->signal)
		res->signal = SIGKILL;
	res->net_isolated = w->st.net == 1;
	res->pid_isolated = w->st.pid == 1;
	res->uid_dropped = p->drop;
	res->truncated = w->out.truncated;
	if (!w->out.buf) {
		w->out.buf = calloc(1, 1);
		if (!w->out.buf)
			return -ENOMEM;
	}
	res->output = w->out.buf;
	res->output_len = w->out.len;
	w->out.buf = NULL;
	if (w->rep.len > 0) {
		res->report = w->rep.buf;
		res->report_len = w->rep.len;
		w->rep.buf = NULL;
	}
	return 0;
}

int ac_sandbox_run(const struct ac_sandbox_opts *o, struct ac_proc_result *res)
{
	char dir[PATH_MAX];
	char search[SEARCH_MAX];
	char exe[PATH_MAX];
	struct sandbox_plan p;
	struct watch w;
	struct pipes pp = { { -1, -1 }, { -1, -1 }, { -1, -1 } };
	double timeout, start;
	bool exited;
	int status;
	pid_t pid;
	int rc;

	memset(res, 0, sizeof *res);
	if (!o || !o->dir || !o->argv || !o->argv[0] || o->cpu >= CPU_SETSIZE ||
	    (o->cpu >= 0 && (o->ncpus < 0 || o->ncpus > o->cpu + 1)))
		return -EINVAL;
	pthread_once(&once, init_once);
	rc = find_command(o, dir, search, exe);
	if (rc < 0)
		return rc;

	timeout = o->timeout_s > 0 ? o->timeout_s : DEFAULT_TIMEOUT_S;
	plan_init(&p, o, dir, exe, timeout);
	watch_init(&w, o);
	rc = open_pipes(&p, &pp, o);
	if (rc < 0)
		goto out;
	p.envp = build_env(o, dir, search, o->report ? p.rep_fd : -1);
	if (!p.envp) {
		rc = -ENOMEM;
		goto out;
	}

	start = now_s();
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		goto out;
	}
	if (pid == 0)
		ac_sandbox_child_main(&p);

	watch_start(&w, &pp, pid);
	exited = watch_until_end(&w, pid, o, start + timeout, res);
	status = end_group(&w, pid, exited);
	res->wall_s = now_s() - start;
	/* What the dead wrote is still in the pipes. Bounded: without a PID
	 * namespace, a process that left the group may still be writing. */
	for (int i = FD_OUT; i <= FD_ST; i++)
		drain_one(&w, i, 256);
	rc = collect(&w, &p, exited, status, res);
out:
	if (rc < 0) {
		memset(res, 0, sizeof *res);
	}
	for (int i = 0; i < NPOLL; i++)
		close_fd(&w.fd[i]);
	pipes_close(&pp);
	close_fd(&p.devnull);
	free(w.out.buf);
	free(w.rep.buf);
	free_env(p.envp);
	return rc;
}

int ac_sandbox_last_cpu(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof set, &set) != 0)
		return -1;
	for (int c = CPU_SETSIZE - 1; c >= 0; c--)
		if (CPU_ISSET(c, &set))
			return c;
	return -1;
}

void ac_proc_result_clear(struct ac_proc_result *res)
{
	if (!res)
		return;
	free(res->output);
	free(res->report);
	memset(res, 0, sizeof *res);
}

const char *ac_proc_describe(const struct ac_proc_result *res, double timeout_s,
                             char *buf, size_t len)
{
	if (!buf || len == 0)
		return "";
	if (!res) {
		snprintf(buf, len, "did not run");
	} else if (res->cancelled) {
		snprintf(buf, len, "cancelled");
	} else if (res->timed_out) {
		snprintf(buf, len, "timed out after %.1f s",
		         timeout_s > 0 ? timeout_s : DEFAULT_TIMEOUT_S);
	} else if (res->signal) {
		const char *abbrev = sigabbrev_np(res->signal);

		if (abbrev)
			snprintf(buf, len, "killed by SIG%s", abbrev);
		else
			snprintf(buf, len, "killed by signal %d", res->signal);
	} else {
		snprintf(buf, len, "exit %d", res->exit_code);
	}
	return buf;
}
