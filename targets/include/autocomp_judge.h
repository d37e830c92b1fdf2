/*
 * autocomp_judge.h - the judge half of a harness: the candidate's
 * functions run in another process, and every figure is taken here.
 *
 * The cpu target builds two programs from one harness. ./candidate is the
 * judge: the harness, the reference (ref_gemm...), the random inputs, the
 * clock and the report, compiled with AC_JUDGE defined and with a
 * generated stub for every function the input defines. A stub has the
 * function's prototype; it forwards the call to ./candidate.worker, the
 * candidate's code in its own process (autocomp_worker.h), and waits for
 * the answer. So the harness stays ordinary C, and a candidate can touch
 * neither the judge's memory, nor its descriptors, nor its clock:
 *
 *  - ac_alloc blocks are shared memory (one memfd each) at the same
 *    address in both processes. A call maps only its own buffers into the
 *    worker: pointers to const read-only, from a read-only descriptor
 *    (mprotect cannot make them writable), the others read-write, and
 *    unmaps them after. A pointer outside ac_alloc memory is a harness
 *    error.
 *  - The judge is not dumpable (no ptrace, no /proc/PID/mem or fd of it
 *    for the same uid) and the worker starts with no descriptor but its
 *    socket; the worker then locks itself in with seccomp.
 *  - The time of a call is the judge's clock around the forwarded call,
 *    the output pages read and any of the worker's threads still running
 *    waited for; the round trip of an empty call (its 10th percentile,
 *    measured at start) is subtracted. Threads still running 2 s after a call returned, or
 *    threads that ran between calls, are a run error.
 *  - In AC_TIME, the timed call's inputs change between repetitions: the
 *    ac_fill_* calls that made them are replayed with other seeds into
 *    a few input sets, whose reference answers the judge computes up
 *    front with the ref_ function, and every timed repetition's outputs
 *    are checked against its set's answer with the rule of the harness's
 *    last ac_check_close_* on that buffer. A candidate that replays a
 *    cached answer is then wrong, and the message names the repetition.
 *    Every round of sets runs in a fresh worker process, which sees each
 *    set once (after one untimed call on a warm-up set of its own), so no
 *    cache inside the candidate, keyed on pointers or on content, ever
 *    hits. A round ends with the harness's own inputs and the timing ends
 *    with a round, so checks after AC_TIME see what they expect (in the
 *    buffers and in a returned value).
 *
 * Environment: AC_SETS (input sets, 1 to 16; default from the reference's
 * cost, 2 to 16; 1 turns rotation off).
 */
#ifndef AUTOCOMP_JUDGE_H
#define AUTOCOMP_JUDGE_H

#include "autocomp_wire.h"

#include <dirent.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define AC__J_MAXBLOCKS 128
#define AC__J_MAXFILLS 8
#define AC__J_MAXSETS 17   /* 16 timed, one to warm a new process up */

enum { AC__JF_F32 = 1, AC__JF_F64, AC__JF_NAN32, AC__JF_NAN64 };

struct ac__jfill {
	size_t off, n;      /* in elements from the block's start */
	int kind;
	double lo, hi;
};

struct ac__jcheck {
	size_t off, n;
	int f64;
	double rtol, atol;
	char what[48];
};

struct ac__jblock {
	char *addr;
	size_t len;         /* bytes mapped (whole pages) */
	size_t bytes;       /* bytes asked for */
	int fd_rw, fd_ro;
	int readonly;       /* ac_protect'ed in the judge */
	int nfill;
	struct ac__jfill fill[AC__J_MAXFILLS];
	int has_check;
	struct ac__jcheck check;
};

/* One forwarded argument, as the stub describes it. */
struct ac__farg {
	const char *name;
	int cls;            /* __builtin_classify_type */
	int size;
	int is_const;       /* pointer to const */
	uint64_t bits;
};

/* One function the input defines, as the generated stub file names it. */
struct ac__jfn {
	const char *name;
	unsigned index;
};

/* A buffer of the call being forwarded. */
struct ac__jmapped {
	int block;
	int writable;
	const char *name;   /* the first parameter that passed it */
};

struct ac__jcall {
	const struct ac__jfn *fn;
	int nargs;
	struct ac__farg args[AC__W_MAXARGS];
	int ret_cls;
	int ret_size;       /* bytes of the return value (0: void) */
	int nmap;
	struct ac__jmapped map[AC__W_MAXMAPS];
	void *argstruct;    /* the typed arguments, for the reference */
	size_t argsize;
	void (*ref)(const void *args, void *ret);
};

static struct ac__judge {
	int nblocks;
	struct ac__jblock b[AC__J_MAXBLOCKS];
	uintptr_t next;
	pid_t pid;
	pid_t procpid;      /* the worker's number in /proc, which may belong to
	                       another PID namespace than fork()'s answer */
	int sock;
	int started;
	int workers;        /* processes started: a fresh one for every round of sets */
	double overhead_s;  /* the empty call's round trip (10th percentile) */
	int phase;          /* 0: untimed, 1: warming up, 2: timed repetitions */
	int exec_calls;     /* forwarded calls in the current execution of the statement */
	int first_exec_calls;
	int warm_execs;
	double rep_s;       /* forwarded time in the current repetition */
	int rep_calls;
	int rep;            /* timed repetitions so far */
	/* rotation */
	int captured;
	struct ac__jcall cap;
	char *set_in[AC__J_MAXSETS][AC__W_MAXMAPS];   /* block images before the call */
	char *set_out[AC__J_MAXSETS][AC__W_MAXMAPS];  /* the reference's outputs */
	int nsets;
	int checked;        /* timed repetitions whose outputs were checked */
	char rotation_off[200];
	double max_between_s;
	double ref_s;
	uint64_t set_seed;
	uint64_t set_ret[AC__J_MAXSETS];   /* the reference's return value per set */
	int has_scalar;     /* a check on memory outside ac_alloc: a returned value's rule */
	struct ac__jcheck scalar;
	int check_ret;      /* the rotated call's return value is checked too */
} ac__j AC__UNUSED;

static struct ac__jcall *ac__j_now_call AC__UNUSED;   /* the call being forwarded */
static double ac__j_cpu_end AC__UNUSED = -1;         /* worker's other threads' CPU after the last call */

static inline void ac__j_fatal(const char *fmt, ...) AC__PRINTF(1, 2);

static inline void ac__j_fatal(const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	if (ac__j.pid > 0) {
		kill(ac__j.pid, SIGKILL);
		waitpid(ac__j.pid, NULL, 0);
		ac__j.pid = 0;
	}
	ac__report_error(why);
	_exit(0);
}

/* --- blocks ----------------------------------------------------------- */

static inline void *ac__j_alloc(size_t bytes)
{
	size_t page = ac__page();
	size_t len = (bytes + page - 1) / page * page;
	struct ac__jblock *b;
	char path[64];
	void *p;
	int fd, ro;

	if (len == 0)
		len = page;
	if (ac__j.nblocks >= AC__J_MAXBLOCKS)
		ac__j_fatal("harness: more than %d ac_alloc blocks", AC__J_MAXBLOCKS);
	if (!ac__j.next)
		ac__j.next = AC__W_BASE;
	fd = (int)syscall(SYS_memfd_create, "ac_alloc", 1u /* MFD_CLOEXEC */);
	if (fd < 0 || ftruncate(fd, (off_t)len) != 0)
		ac__j_fatal("harness: no shared memory for %zu bytes: %s", bytes, strerror(errno));
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	ro = open(path, O_RDONLY | O_CLOEXEC);
	if (ro < 0)
		ac__j_fatal("harness: cannot open a read-only view of shared memory: %s",
		            strerror(errno));
	/* a guard page between blocks stays unmapped */
	p = mmap((void *)ac__j.next, len, PROT_READ | PROT_WRITE,
	         MAP_SHARED | MAP_FIXED_NOREPLACE, fd, 0);
	if (p != (void *)ac__j.next)
		ac__j_fatal("harness: cannot map %zu bytes of shared memory at %p: %s", bytes,
		            (void *)ac__j.next, p == MAP_FAILED ? strerror(errno) : "taken");
	ac__j.next += len + page;
	b = &ac__j.b[ac__j.nblocks++];
	memset(b, 0, sizeof *b);
	b->addr = (char *)p;
	b->len = len;
	b->bytes = bytes;
	b->fd_rw = fd;
	b->fd_ro = ro;
	return p;
}

/* The block holding p (anywhere inside it), or -1. */
static inline int ac__j_block_of(const void *p)
{
	const char *c = (const char *)p;
	int i;

	for (i = 0; i < ac__j.nblocks; i++)
		if (ac__j.b[i].addr && c >= ac__j.b[i].addr && c < ac__j.b[i].addr + ac__j.b[i].len)
			return i;
	return -1;
}

static inline void ac__j_protect(const void *p)
{
	int i = ac__j_block_of(p);

	if (i >= 0) {
		mprotect(ac__j.b[i].addr, ac__j.b[i].len, PROT_READ);
		ac__j.b[i].readonly = 1;
	}
}

static inline void ac__j_free(void *p)
{
	int i = ac__j_block_of(p);

	if (i < 0)
		return;
	munmap(ac__j.b[i].addr, ac__j.b[i].len);
	close(ac__j.b[i].fd_rw);
	close(ac__j.b[i].fd_ro);
	ac__j.b[i].addr = NULL;
}

/* The judge's own writes into a block (input sets), past ac_protect. */
static inline void ac__j_write(int i, const void *src)
{
	struct ac__jblock *b = &ac__j.b[i];

	if (b->readonly)
		mprotect(b->addr, b->len, PROT_READ | PROT_WRITE);
	memcpy(b->addr, src, b->len);
	if (b->readonly)
		mprotect(b->addr, b->len, PROT_READ);
}

/* ac_fill_* remember how they filled a block, to make other input sets. */
static inline void ac__j_record_fill(const void *p, size_t n, int kind, double lo, double hi)
{
	int i = ac__j_block_of(p), k;
	struct ac__jblock *b;
	size_t esz = (kind == AC__JF_F32 || kind == AC__JF_NAN32) ? 4 : 8;
	size_t off;

	if (i < 0 || n == 0)
		return;
	b = &ac__j.b[i];
	off = (size_t)((const char *)p - b->addr) / esz;
	for (k = 0; k < b->nfill; k++)
		if (b->fill[k].off == off && b->fill[k].n == n)
			break;
	if (k == b->nfill) {
		if (b->nfill == AC__J_MAXFILLS)
			return;
		b->nfill++;
	}
	b->fill[k].off = off;
	b->fill[k].n = n;
	b->fill[k].kind = kind;
	b->fill[k].lo = lo;
	b->fill[k].hi = hi;
}

/* ac_check_close_* remember the rule for the buffer they checked. */
static inline void ac__j_record_check(const char *what, const void *got, size_t n, int f64,
                               double rtol, double atol)
{
	int i = ac__j_block_of(got);
	struct ac__jblock *b;

	if (i < 0) {
		/* a value the harness keeps itself, as a returned one is */
		ac__j.has_scalar = 1;
		ac__j.scalar.f64 = f64;
		ac__j.scalar.rtol = rtol;
		ac__j.scalar.atol = atol;
		snprintf(ac__j.scalar.what, sizeof ac__j.scalar.what, "%s", what ? what : "value");
		return;
	}
	b = &ac__j.b[i];
	b->has_check = 1;
	b->check.off = (size_t)((const char *)got - b->addr) / (f64 ? 8 : 4);
	b->check.n = n;
	b->check.f64 = f64;
	b->check.rtol = rtol;
	b->check.atol = atol;
	snprintf(b->check.what, sizeof b->check.what, "%s", what ? what : "output");
}

/* --- the worker ------------------------------------------------------- */

static inline void ac__j_worker_gone(const char *during, const struct ac__wreply *crash);

/* The worker went away between two messages: what it said last (a crash
 * report its fault handler sent) says why. */
static inline void ac__j_send_failed(void)
{
	struct ac__wreply rep, crash;
	int have = 0;

	while (recv(ac__j.sock, &rep, sizeof rep, MSG_DONTWAIT) == (ssize_t)sizeof rep) {
		if (rep.kind == AC__W_CRASH) {
			rep.text[sizeof rep.text - 1] = '\0';
			crash = rep;
			have = 1;
		}
	}
	ac__j_worker_gone(ac__j_now_call ? ac__j_now_call->fn->name : "the run",
	                  have ? &crash : NULL);
}

static inline void ac__j_send(const struct ac__wmsg *m, const int *fds, int nfds)
{
	char cbuf[CMSG_SPACE(sizeof(int) * AC__W_MAXMAPS)];
	struct iovec iov = { (void *)m, sizeof *m };
	struct msghdr mh;

	memset(&mh, 0, sizeof mh);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (nfds > 0) {
		struct cmsghdr *c;

		memset(cbuf, 0, sizeof cbuf);
		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}
	while (sendmsg(ac__j.sock, &mh, MSG_NOSIGNAL) < 0) {
		if (errno != EINTR)
			ac__j_send_failed();
	}
}

/* Describes how the worker ended, after it closed its socket. */
static inline void ac__j_worker_gone(const char *during, const struct ac__wreply *crash)
{
	int status = 0;
	char how[96];

	if (ac__j.pid > 0 && waitpid(ac__j.pid, &status, 0) == ac__j.pid) {
		if (WIFSIGNALED(status))
			snprintf(how, sizeof how, "was killed by %s", strsignal(WTERMSIG(status)));
		else
			snprintf(how, sizeof how, "exited with status %d", WEXITSTATUS(status));
	} else {
		snprintf(how, sizeof how, "stopped answering");
	}
	ac__j.pid = 0;
	if (crash && crash->text[0] == 0 && crash->status == 0)
		crash = NULL;
	if (crash && crash->status == 0)
		ac__j_fatal("%s", crash->text);
	if (crash && crash->status != SIGSEGV && crash->status != SIGBUS)
		ac__j_fatal("the candidate crashed in %s: %s", during, strsignal(crash->status));
	if (crash && (crash->status == SIGSEGV || crash->status == SIGBUS)) {
		uintptr_t a = (uintptr_t)crash->ret_bits;
		int bl = ac__j_block_of((const void *)a);
		const struct ac__jcall *c = ac__j_now_call;
		const char *buf = NULL;
		int k;

		for (k = 0; c && bl >= 0 && k < c->nmap; k++)
			if (c->map[k].block == bl)
				buf = c->map[k].name;
		if (crash->text[0] == 'c' && crash->text[1] == 'r' && buf)
			ac__j_fatal("the candidate wrote to %s, a read-only input of %s "
			            "(%s at offset %zu); inputs are const: write only the outputs",
			            buf, c->fn->name, strsignal(crash->status),
			            (size_t)(a - (uintptr_t)ac__j.b[bl].addr));
		if (crash->text[0] == 'w' && bl >= 0)
			ac__j_fatal("the candidate touched a buffer of the harness after the call "
			            "returned (%s at %#llx): a call's buffers are shared only while it "
			            "runs, and its work must end before it returns",
			            strsignal(crash->status), (unsigned long long)a);
		if (crash->text[0] == 'w')
			ac__j_fatal("the candidate's process crashed between calls: %s at address %#llx",
			            strsignal(crash->status), (unsigned long long)a);
		ac__j_fatal("the candidate crashed in %s: %s at address %#llx", during,
		            strsignal(crash->status), (unsigned long long)a);
	}
	ac__j_fatal("the candidate's process %s during %s", how, during);
}

static inline void ac__j_recv(struct ac__wreply *rep, uint32_t kind, const char *during)
{
	for (;;) {
		ssize_t n = recv(ac__j.sock, rep, sizeof *rep, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			ac__j_worker_gone(during, NULL);
		if ((size_t)n != sizeof *rep)
			continue;
		rep->text[sizeof rep->text - 1] = '\0';
		if (rep->kind == AC__W_CRASH) {
			struct ac__wreply crash = *rep;

			/* let it die, then say how */
			while (recv(ac__j.sock, rep, sizeof *rep, 0) > 0)
				;
			ac__j_worker_gone(during, &crash);
		}
		if (rep->kind == kind)
			return;
	}
}

/* Finds the worker in /proc. In a PID namespace whose /proc is the
 * machine's (the sandbox's), fork()'s pid names another process there: look
 * for the child of the judge's own /proc number instead. 0 if not found. */
static inline pid_t ac__j_find_procpid(void)
{
	char self[32], path[64], buf[512];
	struct dirent *d;
	DIR *dir;
	ssize_t n = readlink("/proc/self", self, sizeof self - 1);
	pid_t me, found = 0;

	if (n <= 0)
		return 0;
	self[n] = '\0';
	me = (pid_t)atoi(self);
	if (me == getpid())
		return ac__j.pid;   /* /proc is this namespace's */
	dir = opendir("/proc");
	while (dir && !found && (d = readdir(dir))) {
		int pid = atoi(d->d_name), fd, ppid = 0;
		const char *p;

		if (pid <= 0)
			continue;
		snprintf(path, sizeof path, "/proc/%d/stat", pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof buf - 1);
		close(fd);
		buf[n > 0 ? n : 0] = '\0';
		p = strrchr(buf, ')');
		/* ") S PPID ..." */
		if (p && sscanf(p + 2, "%*c %d", &ppid) == 1 && ppid == me)
			found = (pid_t)pid;
	}
	if (dir)
		closedir(dir);
	return found;
}

/* Field 20 (num_threads) of /proc/PID/stat; 1 when it cannot be read. */
static inline int ac__j_threads(void)
{
	char path[64], buf[1024];
	const char *p;
	ssize_t n;
	int fd, field;

	if (ac__j.procpid <= 0)
		return 1;
	snprintf(path, sizeof path, "/proc/%d/stat", (int)ac__j.procpid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 1;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 1;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p)
		return 1;
	/* after ") " comes field 3 */
	for (field = 2; *p && field < 20; p++)
		if (*p == ' ')
			field++;
	return atoi(p) > 0 ? atoi(p) : 1;
}

/* Visits the worker's threads other than its main one: state and CPU ns.
 * Returns how many are running (R). */
static inline int ac__j_other_threads(double *cpu_s)
{
	char path[96], buf[512];
	struct dirent *d;
	DIR *dir;
	int running = 0;

	*cpu_s = 0;
	snprintf(path, sizeof path, "/proc/%d/task", (int)ac__j.procpid);
	dir = opendir(path);
	if (!dir)
		return 0;
	while ((d = readdir(dir))) {
		int tid = atoi(d->d_name), fd;
		ssize_t n;
		const char *p;

		if (tid <= 0 || tid == ac__j.procpid)
			continue;
		snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)ac__j.procpid, tid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			n = read(fd, buf, sizeof buf - 1);
			close(fd);
			buf[n > 0 ? n : 0] = '\0';
			p = strrchr(buf, ')');
			if (p && p[1] == ' ' && p[2] == 'R')
				running++;
		}
		snprintf(path, sizeof path, "/proc/%d/task/%d/schedstat", (int)ac__j.procpid, tid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			n = read(fd, buf, sizeof buf - 1);
			close(fd);
			buf[n > 0 ? n : 0] = '\0';
			*cpu_s += strtod(buf, NULL) * 1e-9;
		}
	}
	closedir(dir);
	return running;
}

/* After a call returned: the worker's other threads must come to rest;
 * the time until they do is the call's. */
static inline void ac__j_settle(const char *fname)
{
	double t0, cpu;

	if (ac__j_threads() <= 1)
		return;
	t0 = ac__now_s();
	while (ac__j_other_threads(&cpu) > 0) {
		struct timespec ts = { 0, 20000 };

		if (ac__now_s() - t0 > 2.0)
			ac__j_fatal("the candidate left threads running 2 s after %s returned: "
			            "a call's work must end before it returns", fname);
		nanosleep(&ts, NULL);
	}
}

/* Starts ./candidate.worker (the judge's own path + ".worker"). */
static inline void ac__j_start(void)
{
	char exe[4096], worker[4200];
	int sv[2], i;
	ssize_t n;
	pid_t pid;

	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		ac__j_fatal("cannot find the judge's own executable: %s", strerror(errno));
	exe[n] = '\0';
	snprintf(worker, sizeof worker, "%s.worker", exe);
	if (access(worker, X_OK) != 0)
		ac__j_fatal("no %s: the candidate's program is missing", worker);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		ac__j_fatal("socketpair: %s", strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		ac__j_fatal("cannot start the candidate's process: %s", strerror(errno));
	if (pid == 0) {
		char *argv[] = { worker, (char *)"3", NULL };
		char omp[64];
		char *envp[4];
		const char *threads = getenv("OMP_NUM_THREADS");
		int e = 0;

		envp[e++] = (char *)"LANG=C";
		/* idle pool threads sleep instead of spinning between calls */
		envp[e++] = (char *)"OMP_WAIT_POLICY=passive";
		if (threads && strlen(threads) < 32) {
			snprintf(omp, sizeof omp, "OMP_NUM_THREADS=%s", threads);
			envp[e++] = omp;
		}
		envp[e] = NULL;
		if (dup2(sv[1], 3) != 3)
			_exit(127);
		syscall(SYS_close_range, 4u, ~0u, 0u);
		execve(worker, argv, envp);
		_exit(127);
	}
	close(sv[1]);
	ac__j.sock = sv[0];
	ac__j.pid = pid;
	ac__j.procpid = ac__j_find_procpid();
	ac__j.workers++;
	if (ac__j.started)
		return;   /* a fresh process for the next round: the round trip is known */
	ac__j.started = 1;
	/* the empty call's round trip: its 10th percentile over many, after a
	 * warm-up. What is subtracted is surely overhead; the rest of the
	 * round trip's noise stays in every figure alike (the input's too),
	 * so a call shorter than that noise reads slower, never faster, and
	 * a fast call is not taken to zero by a round trip measured while
	 * the fresh process was still cold. */
	{
		double s[101];
		struct ac__wmsg m;
		struct ac__wreply rep;

		memset(&m, 0, sizeof m);
		m.kind = AC__W_PING;
		for (i = -50; i < 101; i++) {
			double t0 = ac__now_s();

			ac__j_send(&m, NULL, 0);
			ac__j_recv(&rep, AC__W_PING, "start-up");
			ac__j_settle("the empty call");
			if (i >= 0)
				s[i] = ac__now_s() - t0;
		}
		qsort(s, 101, sizeof s[0], ac__cmp_double);
		ac__j.overhead_s = s[10];
	}
}

/* Ends the candidate's process and starts a fresh one: nothing it kept
 * (a cache of answers by content) survives into the next round. */
static inline void ac__j_restart(void)
{
	if (ac__j.pid > 0) {
		close(ac__j.sock);
		kill(ac__j.pid, SIGKILL);
		waitpid(ac__j.pid, NULL, 0);
		ac__j.pid = 0;
	}
	ac__j_cpu_end = -1;
	ac__j_start();
}

/* Forwards one call (maps, calls, unmaps); returns the forwarded time in
 * seconds, the round trip taken off. */
static inline double ac__j_forward(struct ac__jcall *c, uint64_t *ret)
{
	struct ac__wmsg m;
	struct ac__wreply rep;
	int fds[AC__W_MAXMAPS];
	double t0, t1, cpu0 = 0, cpu1 = 0;
	int i;

	if (!ac__j.started)
		ac__j_start();
	ac__j_now_call = c;
	memset(&m, 0, sizeof m);
	m.kind = AC__W_MAP;
	m.nmaps = (uint32_t)c->nmap;
	for (i = 0; i < c->nmap; i++) {
		struct ac__jblock *b = &ac__j.b[c->map[i].block];

		m.maps[i].addr = (uint64_t)(uintptr_t)b->addr;
		m.maps[i].len = b->len;
		m.maps[i].writable = (uint32_t)c->map[i].writable;
		fds[i] = c->map[i].writable ? b->fd_rw : b->fd_ro;
	}
	ac__j_send(&m, fds, c->nmap);
	ac__j_recv(&rep, AC__W_MAP, c->fn->name);
	if (rep.status != 0)
		ac__j_fatal("cannot share %s's buffers with the candidate's process: %s",
		            c->fn->name, rep.text);

	memset(&m, 0, sizeof m);
	m.kind = AC__W_CALL;
	m.fn = c->fn->index;
	m.nargs = (uint32_t)c->nargs;
	m.ret_cls = (uint8_t)c->ret_cls;
	for (i = 0; i < c->nargs; i++) {
		int cls = c->args[i].cls;

		m.cls[i] = (uint8_t)(cls == 8 ? (c->args[i].size == 4 ? AC__WC_F32 : AC__WC_F64)
		                              : AC__WC_INT);
		m.bits[i] = c->args[i].bits;
	}
	/* threads of the worker that ran while it was not called did work the
	 * clock did not see */
	if (ac__j_threads() > 1) {
		ac__j_other_threads(&cpu0);
		if (ac__j_cpu_end >= 0 && cpu0 - ac__j_cpu_end > ac__j.max_between_s)
			ac__j.max_between_s = cpu0 - ac__j_cpu_end;
	}
	t0 = ac__now_s();
	ac__j_send(&m, NULL, 0);
	ac__j_recv(&rep, AC__W_CALL, c->fn->name);
	/* read the outputs' pages: nothing may be left to compute */
	for (i = 0; i < c->nmap; i++) {
		if (c->map[i].writable) {
			const struct ac__jblock *b = &ac__j.b[c->map[i].block];
			volatile const char *p = b->addr;
			size_t off;

			for (off = 0; off < b->len; off += 4096)
				(void)p[off];
		}
	}
	ac__j_settle(c->fn->name);
	t1 = ac__now_s();
	if (rep.status != 0)
		ac__j_fatal("cannot call %s in the candidate's process: %s", c->fn->name, rep.text);
	ac__j_cpu_end = -1;
	if (ac__j_threads() > 1) {
		ac__j_other_threads(&cpu1);
		ac__j_cpu_end = cpu1;
	}
	memset(&m, 0, sizeof m);
	m.kind = AC__W_UNMAP;
	ac__j_send(&m, NULL, 0);
	if (ret)
		*ret = rep.ret_bits;
	ac__j_now_call = NULL;
	return t1 - t0 > ac__j.overhead_s ? t1 - t0 - ac__j.overhead_s : 0;
}

/* The empty call's round trip as subtracted, in ns (the report's words). */
static inline double ac__j_round_trip_ns(void)
{
	return ac__j.overhead_s * 1e9;
}

/* --- input sets ------------------------------------------------------- */

static inline uint64_t ac__j_rng(uint64_t *x)
{
	return ac__splitmix(x);
}

/* Replays block i's fills with the seed of set s. */
static inline void ac__j_refill(int i, int s, char *img)
{
	const struct ac__jblock *b = &ac__j.b[i];
	int k;

	for (k = 0; k < b->nfill; k++) {
		const struct ac__jfill *f = &b->fill[k];
		uint64_t x = ac__j.set_seed ^ ((uint64_t)s << 40) ^ ((uint64_t)i << 20) ^ (uint64_t)k;
		size_t e;

		for (e = 0; e < f->n; e++) {
			double u = (double)(ac__j_rng(&x) >> 11) * (1.0 / 9007199254740992.0);

			if (f->kind == AC__JF_F32)
				((float *)img)[f->off + e] = (float)(f->lo + (f->hi - f->lo) * u);
			else if (f->kind == AC__JF_F64)
				((double *)img)[f->off + e] = f->lo + (f->hi - f->lo) * u;
		}
	}
}

static inline int ac__j_randomized(int i)
{
	int k;

	for (k = 0; k < ac__j.b[i].nfill; k++)
		if (ac__j.b[i].fill[k].kind == AC__JF_F32 || ac__j.b[i].fill[k].kind == AC__JF_F64)
			return 1;
	return 0;
}

static inline void ac__j_install(int s)
{
	int k;

	for (k = 0; k < ac__j.cap.nmap; k++)
		ac__j_write(ac__j.cap.map[k].block, ac__j.set_in[s][k]);
}

/* Makes the input sets and their answers (after the warm-up). */
static inline void ac__j_plan(void)
{
	struct ac__jcall *c = &ac__j.cap;
	const char *env = getenv("AC_SETS");
	int k, s, any_random = 0, any_check = 0, want = 0;
	uint64_t retbuf[4];
	double t0;

	ac__j.nsets = 1;
	if (!ac__j.captured) {
		snprintf(ac__j.rotation_off, sizeof ac__j.rotation_off,
		         "the timed statement made %d forwarded calls, not one",
		         ac__j.first_exec_calls);
		return;
	}
	for (k = 0; k < c->nmap; k++) {
		int bl = c->map[k].block;

		any_random |= ac__j_randomized(bl);
		any_check |= c->map[k].writable && ac__j.b[bl].has_check;
	}
	/* a returned value is checked with the rule of the harness's check on
	 * a value of its own (ac_check_close_* on a local) */
	ac__j.check_ret = c->ret_cls != 0 && ac__j.has_scalar;
	any_check |= ac__j.check_ret;
	if (!any_random) {
		snprintf(ac__j.rotation_off, sizeof ac__j.rotation_off,
		         "%s's inputs were not made by ac_fill_*", c->fn->name);
		return;
	}
	if (!any_check) {
		snprintf(ac__j.rotation_off, sizeof ac__j.rotation_off,
		         "no ac_check_close_* on %s's outputs before AC_TIME", c->fn->name);
		return;
	}
	if (env && *env)
		want = atoi(env);
	if (want == 1) {
		snprintf(ac__j.rotation_off, sizeof ac__j.rotation_off, "AC_SETS=1");
		return;
	}
	/* set 0: the harness's own inputs, then its answer */
	ac__j_install(0);
	t0 = ac__now_s();
	memset(retbuf, 0, sizeof retbuf);
	c->ref(c->argstruct, retbuf);
	ac__j.ref_s = ac__now_s() - t0;
	memcpy(&ac__j.set_ret[0], retbuf, sizeof ac__j.set_ret[0]);
	for (k = 0; k < c->nmap; k++) {
		if (c->map[k].writable) {
			const struct ac__jblock *b = &ac__j.b[c->map[k].block];

			ac__j.set_out[0][k] = (char *)malloc(b->len);
			if (!ac__j.set_out[0][k])
				ac__j_fatal("harness: out of memory for input sets");
			memcpy(ac__j.set_out[0][k], b->addr, b->len);
		}
	}
	if (want < 2 || want > AC__J_MAXSETS - 1) {
		want = 1 + (int)(0.05 / (ac__j.ref_s > 1e-6 ? ac__j.ref_s : 1e-6));
		if (want < 2)
			want = 2;
		if (want > 16)
			want = 16;   /* fewer fresh processes for a cheap kernel */
	}
	/* sets 1..want-1 are timed, set want warms each new process up */
	for (s = 1; s <= want; s++) {
		for (k = 0; k < c->nmap; k++) {
			const struct ac__jblock *b = &ac__j.b[c->map[k].block];

			ac__j.set_in[s][k] = (char *)malloc(b->len);
			if (!ac__j.set_in[s][k])
				ac__j_fatal("harness: out of memory for input sets");
			memcpy(ac__j.set_in[s][k], ac__j.set_in[0][k], b->len);
			ac__j_refill(c->map[k].block, s, ac__j.set_in[s][k]);
		}
		ac__j_install(s);
		memset(retbuf, 0, sizeof retbuf);
		c->ref(c->argstruct, retbuf);
		memcpy(&ac__j.set_ret[s], retbuf, sizeof ac__j.set_ret[s]);
		for (k = 0; k < c->nmap; k++) {
			if (c->map[k].writable) {
				const struct ac__jblock *b = &ac__j.b[c->map[k].block];

				ac__j.set_out[s][k] = (char *)malloc(b->len);
				if (!ac__j.set_out[s][k])
					ac__j_fatal("harness: out of memory for input sets");
				memcpy(ac__j.set_out[s][k], b->addr, b->len);
			}
		}
	}
	ac__j.nsets = want;
	ac__j_install(0);
}

/* The return value's bits as a number of its class. */
static inline double ac__j_ret_value(uint64_t bits, int cls, int size)
{
	if (cls == AC__WC_F32) {
		float f;
		uint32_t b = (uint32_t)bits;

		memcpy(&f, &b, sizeof f);
		return f;
	}
	if (cls == AC__WC_F64) {
		double d;

		memcpy(&d, &bits, sizeof d);
		return d;
	}
	/* an integer or a pointer: only its own bytes count */
	if (size > 0 && size < 8)
		bits &= (1ULL << (8 * size)) - 1;
	return (double)bits;
}

/* Checks a timed repetition's outputs (and returned value) against its
 * set's answer. */
static inline void ac__j_check_rep(int s, uint64_t ret)
{
	const struct ac__jcall *c = &ac__j.cap;
	int k, checked = 0;

	if (ac__j.check_ret) {
		int cls = c->ret_cls;   /* the wire's class (AC__WC_*) */
		double got = ac__j_ret_value(ret, cls, c->ret_size);
		double want = ac__j_ret_value(ac__j.set_ret[s], cls, c->ret_size);

		checked = 1;
		if (!ac__close(got, want, ac__j.scalar.rtol, ac__j.scalar.atol))
			ac_fail("%s returned %.9g, want %.9g in %s (input set %d of %d): the answer must "
			        "follow this call's inputs", c->fn->name, got, want,
			        s == ac__j.nsets ? "the warm-up call of a fresh process" : "a timed repetition",
			        s + 1, ac__j.nsets);
	}

	for (k = 0; k < c->nmap; k++) {
		const struct ac__jblock *b = &ac__j.b[c->map[k].block];
		const struct ac__jcheck *ck = &b->check;
		size_t e, bad = 0, first = 0;
		double g = 0, w = 0;

		if (!c->map[k].writable || !b->has_check || !ac__j.set_out[s][k])
			continue;
		for (e = 0; e < ck->n; e++) {
			double got, want;

			if (ck->f64) {
				got = ((const double *)b->addr)[ck->off + e];
				want = ((const double *)ac__j.set_out[s][k])[ck->off + e];
			} else {
				got = ((const float *)b->addr)[ck->off + e];
				want = ((const float *)ac__j.set_out[s][k])[ck->off + e];
			}
			if (!ac__close(got, want, ck->rtol, ck->atol) && bad++ == 0) {
				first = e;
				g = got;
				w = want;
			}
		}
		checked = 1;
		if (bad) {
			if (s == ac__j.nsets)
				ac_fail("%s[%zu]: got %.9g, want %.9g in the warm-up call of a fresh process; "
				        "%zu of %zu elements differ", ck->what, first, g, w, bad, ck->n);
			else
				ac_fail("%s[%zu]: got %.9g, want %.9g in timed repetition %d (input set %d of "
				        "%d); %zu of %zu elements differ: the answer must follow this call's "
				        "inputs", ck->what, first, g, w, ac__j.rep + 1, s + 1, ac__j.nsets, bad,
				        ck->n);
		}
	}
	if (s < ac__j.nsets)
		ac__j.checked += checked;
}

/* --- what the stubs and AC_TIME call ---------------------------------- */

/* A stub's body: validate and describe the buffers, forward, time. */
static inline uint64_t ac__j_stub(const struct ac__jfn *fn, const struct ac__farg *args, int nargs,
                           int ret_cls, int ret_size, void *argstruct, size_t argsize,
                           void (*ref)(const void *, void *))
{
	struct ac__jcall call;
	uint64_t ret = 0;
	int i, k;
	double t;

	memset(&call, 0, sizeof call);
	call.fn = fn;
	call.nargs = nargs;
	call.ret_cls = ret_cls;
	call.ret_size = ret_size;
	call.argstruct = argstruct;
	call.argsize = argsize;
	call.ref = ref;
	for (i = 0; i < nargs; i++) {
		call.args[i] = args[i];
		if (args[i].cls == 5 && args[i].bits) {
			int bl = ac__j_block_of((const void *)(uintptr_t)args[i].bits);

			if (bl < 0)
				ac__j_fatal("harness: %s's argument %s (%p) is not in ac_alloc memory: "
				            "the judge shares only ac_alloc blocks with the candidate",
				            fn->name, args[i].name, (void *)(uintptr_t)args[i].bits);
			for (k = 0; k < call.nmap; k++)
				if (call.map[k].block == bl)
					break;
			if (k == call.nmap) {
				if (call.nmap == AC__W_MAXMAPS)
					ac__j_fatal("harness: %s passes more than %d buffers", fn->name,
					            AC__W_MAXMAPS);
				call.map[k].block = bl;
				call.map[k].name = args[i].name;
				call.nmap++;
			}
			call.map[k].writable |= !args[i].is_const;
		}
	}
	if (ac__j.phase == 1) {
		/* warm-up: the first execution's only call is the one to rotate */
		ac__j.exec_calls++;
		if (ac__j.warm_execs == 0 && ac__j.exec_calls == 1) {
			ac__j.cap = call;
			ac__j.cap.argstruct = malloc(argsize);
			if (!ac__j.cap.argstruct)
				ac__j_fatal("harness: out of memory");
			memcpy(ac__j.cap.argstruct, argstruct, argsize);
			for (k = 0; k < call.nmap; k++) {
				const struct ac__jblock *b = &ac__j.b[call.map[k].block];

				ac__j.set_in[0][k] = (char *)malloc(b->len);
				if (!ac__j.set_in[0][k])
					ac__j_fatal("harness: out of memory");
				memcpy(ac__j.set_in[0][k], b->addr, b->len);
			}
			ac__j.captured = 1;
		} else if (ac__j.warm_execs == 0) {
			ac__j.captured = 0;
		}
	}
	if (ac__j.phase == 2 && ac__j.nsets > 1) {
		/* a round is sets 1 .. n-1, then 0, the harness's own: the last
		 * repetition (rounds are whole) leaves its inputs and its answer,
		 * in the buffers and in what the call returned */
		int i = ac__j.rep % ac__j.nsets;
		int s = (i + 1) % ac__j.nsets;

		if (call.fn != ac__j.cap.fn || memcmp(argstruct, ac__j.cap.argstruct, argsize) != 0)
			ac__j_fatal("harness: the timed statement changed its call to %s between "
			            "repetitions", fn->name);
		if (i == 0) {
			/* a round: a fresh process that sees every set once, after one
			 * untimed call on a set of its own (page faults, thread pools) */
			ac__j_restart();
			ac__j_install(ac__j.nsets);
			ac__j_forward(&call, &ret);
			ac__j_check_rep(ac__j.nsets, ret);
		}
		ac__j_install(s);
		t = ac__j_forward(&call, &ret);
		ac__j_check_rep(s, ret);
	} else {
		t = ac__j_forward(&call, &ret);
	}
	if (ac__j.phase == 2) {
		ac__j.rep_s += t;
		ac__j.rep_calls++;
	}
	return ret;
}

static inline void ac__j_time_begin(void)
{
	ac__j.phase = 1;
	ac__j.warm_execs = 0;
	ac__j.exec_calls = 0;
	ac__j.captured = 0;
}

/* After each execution of the statement while warming up. */
static inline void ac__j_warm_exec(void)
{
	if (ac__j.warm_execs == 0)
		ac__j.first_exec_calls = ac__j.exec_calls;
	ac__j.warm_execs++;
	ac__j.exec_calls = 0;
}

static inline void ac__j_warm_done(void)
{
	if (ac__j.first_exec_calls != 1)
		ac__j.captured = 0;
	ac__j_plan();
	ac__j.phase = 2;
	ac__j.rep = 0;
}

static inline void ac__j_rep_begin(void)
{
	ac__j.rep_s = 0;
	ac__j.rep_calls = 0;
}

static inline double ac__j_rep_end(void)
{
	if (ac__j.rep_calls == 0)
		ac__j_fatal("harness: the timed statement calls none of the candidate's functions");
	ac__j.rep++;
	return ac__j.rep_s;
}

/* Must the timing go on to finish a round of sets? */
static inline int ac__j_mid_round(void)
{
	return ac__j.phase == 2 && ac__j.nsets > 1 && ac__j.rep % ac__j.nsets != 0;
}

static inline void ac__j_time_end(void)
{
	ac__j.phase = 0;
	if (ac__j.max_between_s > 0.001)
		ac__j_fatal("the candidate's threads ran for %.1f ms between calls, where the judge "
		            "does not time: a call's work must happen inside the call",
		            ac__j.max_between_s * 1e3);
}

/* The judge's part of the report: how the verdict was reached. */
static inline size_t ac__j_report(char *out, size_t cap)
{
	int n = snprintf(out, cap,
	                 ",\"judge\":{\"forward_ns\":%.0f,\"sets\":%d,\"checked\":%d,"
	                 "\"processes\":%d,\"threads_watched\":%s,\"ref_ns\":%.0f,"
	                 "\"rotation\":\"",
	                 ac__j.overhead_s * 1e9, ac__j.nsets, ac__j.checked, ac__j.workers,
	                 ac__j.procpid > 0 ? "true" : "false", ac__j.ref_s * 1e9);
	size_t len = n > 0 && (size_t)n < cap ? (size_t)n : 0;

	len = ac__json_escape(out, cap - 3, len,
	                      ac__j.nsets > 1 ? "on" : (ac__j.rotation_off[0] ? ac__j.rotation_off
	                                                                     : "off"));
	out[len++] = '"';
	out[len++] = '}';
	out[len] = '\0';
	return len;
}

static inline void ac__j_init(void)
{
	/* no ptrace, no /proc/PID/mem or /proc/PID/fd of the judge */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	ac__j.set_seed = ac_rand();
}

/* Ends the worker when the judge exits. */
static inline void ac__j_stop(void)
{
	if (ac__j.pid > 0) {
		close(ac__j.sock);
		waitpid(ac__j.pid, NULL, 0);
		ac__j.pid = 0;
	}
}

#endif
