/*
 * sandbox_child.c - the sandbox's child side: what runs between fork()
 * and execve() (sandbox.c is the parent's side).
 *
 * The daemon is multithreaded, so after fork() only async-signal-safe
 * calls are allowed here (signal-safety(7)): plain system calls (setpgid,
 * dup2, fcntl, close, close_range, setrlimit, sched_setaffinity, unshare,
 * setgroups, setresuid, chdir, prctl, fork, wait, execve, write, _exit),
 * the signal-set calls (sigaction, sigemptyset, sigprocmask) and memset.
 * Not allowed: malloc and free, or anything that may call them (strdup,
 * snprintf, getpwnam, opendir, realpath), stdio, mutexes, exit() and its
 * handlers, and assert() (a failing one prints through stdio). Another
 * thread may have held the malloc or stdio lock at the fork, and the
 * child would wait on it forever. Whatever needs memory or a lookup (the
 * environment, the executable's path, the uid, the limits, the
 * descriptor numbers) the parent prepares in the plan.
 *
 * A failure is reported as one record on the status pipe (one write() of
 * 8 bytes, so it arrives whole) and the child exits 127.
 */
#include "targets/exec/sandbox_child.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void child_rec(int fd, int kind, int value)
{
	struct sandbox_rec r;
	ssize_t w;

	r.kind = kind;
	r.value = value;
	do
		w = write(fd, &r, sizeof r);
	while (w < 0 && errno == EINTR);
}

static void __attribute__((noreturn)) child_fail(const struct sandbox_plan *p, int kind, int err)
{
	child_rec(p->st_fd, kind, err ? err : EIO);
	_exit(127);
}

static bool is_target_fd(const struct sandbox_plan *p, int fd)
{
	return fd <= 2 || fd == p->rep_fd || fd == p->st_fd;
}

/* Moves a source descriptor off the numbers the child is about to fill.
 * Returns the new number, or -1. */
static int move_off_targets(const struct sandbox_plan *p, int fd)
{
	while (fd >= 0 && is_target_fd(p, fd))
		fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	return fd;
}

static void close_from(unsigned lo, unsigned hi)
{
	if (lo > hi)
		return;
	if (close_range(lo, hi, 0) == 0)
		return;
	for (unsigned fd = lo; fd <= hi && fd < 65536; fd++)
		close((int)fd);
}

static void reset_signals(void)
{
	struct sigaction sa;
	sigset_t none;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	for (int s = 1; s < NSIG; s++)
		sigaction(s, &sa, NULL);   /* EINVAL for KILL/STOP and libc's own: fine */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Lays the descriptors out: 0 /dev/null, 1 and 2 the output pipe, rep_fd
 * the report pipe, st_fd the status pipe (close-on-exec); nothing else. */
static int child_fds(const struct sandbox_plan *p)
{
	int devnull = move_off_targets(p, p->devnull);
	int out = move_off_targets(p, p->out_w);
	int rep = p->rep_w >= 0 ? move_off_targets(p, p->rep_w) : -1;
	int st = move_off_targets(p, p->st_w);
	unsigned lo, hi;

	if (devnull < 0 || out < 0 || st < 0 || (p->rep_w >= 0 && rep < 0))
		return -1;
	if (dup2(st, p->st_fd) < 0 || fcntl(p->st_fd, F_SETFD, FD_CLOEXEC) < 0)
		return -1;
	if (dup2(devnull, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		return -1;
	if (rep >= 0 && dup2(rep, p->rep_fd) < 0)
		return -1;
	/* Close everything else: the numbers kept are 0-2, rep_fd and st_fd. */
	lo = (unsigned)(p->rep_fd < p->st_fd ? p->rep_fd : p->st_fd);
	hi = (unsigned)(p->rep_fd > p->st_fd ? p->rep_fd : p->st_fd);
	close_from(3, lo - 1);
	close_from(lo + 1, hi - 1);
	if (rep < 0)
		close(p->rep_fd);
	close_from(hi + 1, ~0u);
	return 0;
}

/* Sets a limit; without the privilege to raise a hard limit, stays within
 * the current one instead of failing. */
static int set_limit(int resource, struct rlimit want)
{
	struct rlimit cur;

	if (setrlimit(resource, &want) == 0)
		return 0;
	if (errno != EPERM || getrlimit(resource, &cur) != 0)
		return -1;
	if (want.rlim_max > cur.rlim_max)
		want.rlim_max = cur.rlim_max;
	if (want.rlim_cur > want.rlim_max)
		want.rlim_cur = want.rlim_max;
	return setrlimit(resource, &want);
}

static int child_limits(const struct sandbox_plan *p)
{
	struct rlimit zero = { 0, 0 };

	if (set_limit(RLIMIT_AS, p->as) != 0 ||
	    set_limit(RLIMIT_CPU, p->cpu_time) != 0 ||
	    set_limit(RLIMIT_NPROC, p->nproc) != 0 ||
	    set_limit(RLIMIT_FSIZE, p->fsize) != 0 ||
	    set_limit(RLIMIT_NOFILE, p->nofile) != 0 ||
	    set_limit(RLIMIT_CORE, zero) != 0)
		return -1;
	return 0;
}

/* pid 1 of the new PID namespace: start the command, reap everything,
 * report the command's status, exit (which kills the rest). */
static void __attribute__((noreturn)) child_init(const struct sandbox_plan *p)
{
	pid_t cmd;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	cmd = fork();
	if (cmd < 0)
		child_fail(p, REC_SETUP_ERR, errno);
	if (cmd == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execve(p->path, p->argv, p->envp);
		child_fail(p, REC_EXEC_ERR, errno);
	}
	/* Holding the pipes would keep them open after the command is gone. */
	close(0);
	close(1);
	close(2);
	if (p->rep_w >= 0)
		close(p->rep_fd);
	for (;;) {
		int status;
		pid_t w = wait(&status);

		if (w == cmd) {
			child_rec(p->st_fd, REC_STATUS, status);
			_exit(0);
		}
		if (w < 0 && errno != EINTR)
			_exit(0);
	}
}

void ac_sandbox_child_main(const struct sandbox_plan *p)
{
	bool pidns = false;
	pid_t init;
	int status;

	setpgid(0, 0);
	reset_signals();
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != p->parent)
		_exit(127);
	if (child_fds(p) != 0)
		_exit(127);   /* no status pipe to report on */
	umask(022);
	if (p->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		for (int c = p->cpu; c >= 0 && c > p->cpu - (p->ncpus > 1 ? p->ncpus : 1); c--)
			CPU_SET(c, &set);
		if (sched_setaffinity(0, sizeof set, &set) != 0)
			child_fail(p, REC_SETUP_ERR, errno);
	}
	if (p->isolate_net)
		child_rec(p->st_fd, REC_NET, unshare(CLONE_NEWNET) == 0);
	if (child_limits(p) != 0)
		child_fail(p, REC_SETUP_ERR, errno);
	if (p->pidns)
		pidns = unshare(CLONE_NEWPID) == 0;
	child_rec(p->st_fd, REC_PID, pidns);
	if (p->drop) {
		if (setgroups(0, NULL) != 0 || setresgid(p->gid, p->gid, p->gid) != 0 ||
		    setresuid(p->uid, p->uid, p->uid) != 0)
			child_fail(p, REC_SETUP_ERR, errno);
		/* A credential change clears the parent-death signal. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != p->parent)
			_exit(127);
	}
	if (chdir(p->dir) != 0)
		child_fail(p, REC_SETUP_ERR, errno);
	if (!pidns) {
		execve(p->path, p->argv, p->envp);
		child_fail(p, REC_EXEC_ERR, errno);
	}
	init = fork();
	if (init < 0)
		child_fail(p, REC_SETUP_ERR, errno);
	if (init == 0)
		child_init(p);
	child_rec(p->st_fd, REC_INIT, init);
	close(0);
	close(1);
	close(2);
	if (p->rep_w >= 0)
		close(p->rep_fd);
	close(p->st_fd);
	while (waitpid(init, &status, 0) < 0 && errno == EINTR)
		;
	_exit(0);
}
