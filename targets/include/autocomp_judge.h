/*
 * autocomp_judge.h - the judge half of a harness: the candidate's
 * functions run in another process, and every figure is taken here.
 *
 * The cpu target builds three programs from one harness. ./candidate is
 * the judge: the harness, the reference (ref_gemm...), the random inputs,
 * the clock and the report, compiled with AC_JUDGE defined, linked with a
 * stub for every function the input defines (.ac_stubs.c, generated). A
 * stub has the function's symbol; it forwards the call to
 * ./candidate.worker, a trusted loader (autocomp_worker.h) that locks
 * itself in with seccomp before it loads the candidate (candidate.so), and
 * waits for the answer. The harness stays ordinary C. What the judge
 * assumes of the worker: nothing. It is arbitrary code that speaks the
 * wire protocol however it likes, and knows this file.
 *
 *  - Memory: ac_alloc blocks are shared memory (one memfd each) at the
 *    same address in both processes. Every block the harness allocated is
 *    mapped in the worker during every call, so a pointer the harness
 *    passes (whatever its C type: double A[n][m], a struct holding
 *    pointers, a table of row pointers) is good there: read-only the
 *    blocks the harness ac_protect'ed (from a read-only descriptor, which
 *    mprotect cannot widen), read-write the rest. Blocks a check names as
 *    the expected answer are taken away from the worker and never given to
 *    a fresh one. The judge is not dumpable and the worker holds no
 *    descriptor of it.
 *  - Time: a call's time is the judge's clock from sending CALL to its
 *    reply (which must carry the call's nonce), extended while any other
 *    thread of the worker still runs. Nothing the worker does between
 *    calls is free: the whole worker process's CPU time (all threads,
 *    exited ones too) is read after each call has come to rest and again
 *    before the next; what it used in between is added to the next call's
 *    time, and more than AC__J_GAP_MAX_S of it is a run error. After a
 *    call, every other thread must wait on a futex (a thread pool); one
 *    sleeping or polling is work left for later, a run error. A message
 *    the judge did not ask for is a run error.
 *  - The round trip taken off a call is measured against a process the
 *    candidate cannot touch: the same loader started without the candidate
 *    (`candidate.worker 3 echo`), called with the same message after every
 *    call in AC_TIME, pinned with the worker; its running median is
 *    subtracted. A call no longer than that noise is a run error.
 *  - Inputs: in AC_TIME the timed call's inputs change between
 *    repetitions: the ac_fill_* calls that made them are replayed with
 *    other seeds into a few input sets, whose answers the judge computes
 *    up front with the ref_ function, and every timed repetition's outputs
 *    (the blocks the reference writes) are checked against its set's
 *    answer with every check rule the harness stated on them. Every round
 *    of sets runs in a fresh worker, which sees each set once (after one
 *    untimed call on a warm-up set of its own). A round ends with the
 *    harness's own inputs and the timing ends with a round, so checks
 *    after AC_TIME see what they expect.
 *  - Words: the worker's messages are codes; the judge phrases every
 *    verdict. The one text it may send (why candidate.so did not load) is
 *    quoted, capped and marked as the loader's.
 *
 * Environment: AC_SETS (input sets, 1 to 64; default from the reference's
 * cost, 2 to 64; 1 turns rotation off), OMP_NUM_THREADS (passed on).
 */
#ifndef AUTOCOMP_JUDGE_H
#define AUTOCOMP_JUDGE_H

#include "autocomp_stub.h"
#include "autocomp_wire.h"

#include <dirent.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define AC__J_MAXBLOCKS 128
#define AC__J_MAXFILLS 8
#define AC__J_MAXRULES 8
#define AC__J_MAXSETS 65         /* 64 timed, one to warm a new process up */
#define AC__J_SETS_BYTES (256u << 20)   /* input sets' memory, at most */
#define AC__J_GAP_MAX_S 100e-6   /* CPU between two timed calls that is a run error */
#define AC__J_GAP_FREE_S 1e-6    /* ... and below which it is measurement grain */
#define AC__J_MAXRT 255          /* round-trip samples kept: the newest */
#define AC__J_WARM_S 1e-3        /* a fresh process warms up this long ... */
#define AC__J_WARM_MAX 64        /* ... in at most this many calls */
#define AC__J_PRIME_BELOW_S 1e-3 /* a call shorter than this is primed before it is timed */

struct ac__jfillrec {
	size_t off;         /* bytes from the block's start */
	struct ac__fill f;
};

struct ac__jrule {
	size_t off;         /* bytes from the block's start */
	size_t n;
	int etype;
	double rtol, atol;
	char what[48];
};

struct ac__jblock {
	char *addr;
	size_t len;         /* bytes mapped (whole pages) */
	size_t bytes;       /* bytes asked for */
	int fd_rw, fd_ro;
	int freed;
	int readonly;       /* ac_protect'ed */
	int answer;         /* the expected side of a check: never shown to the worker */
	int passed;         /* passed to a candidate's function directly */
	int inout;
	char *pristine;     /* ac_inout's copy */
	int mapped_as;      /* in the current worker: 0 no, 1 read-only, 2 read-write */
	int nfill;
	struct ac__jfillrec fill[AC__J_MAXFILLS];
	int nrule;
	struct ac__jrule rule[AC__J_MAXRULES];
	char name[48];      /* the first parameter or check that named it */
	/* rotation */
	int kept;           /* has per-set images */
	int output;         /* the reference's call writes it */
	char *set_in[AC__J_MAXSETS];
	char *set_out[AC__J_MAXSETS];
};

/* A buffer of the call being forwarded. */
struct ac__jcall {
	const struct ac__jfn *fn;
	int nargs;
	struct ac__farg args[AC__W_MAXARGS];
	int ret_cls;        /* the wire's class (AC__WC_*) */
	int ret_size;       /* bytes of the return value (0: void) */
	void *argstruct;    /* the typed arguments, for the reference */
	size_t argsize;
	void (*ref)(const void *args, void *ret);
};

/* A process the judge talks to: the worker, or the echo. */
struct ac__jproc {
	pid_t pid;          /* as fork() answered, in the judge's PID namespace */
	pid_t procpid;      /* its number in /proc, which may be another namespace's */
	int sock;
	int stat_fd;        /* /proc/PID/stat, kept open */
	clockid_t cpu;      /* the whole process's CPU clock */
	int has_cpu;
};

static struct ac__judge {
	int nblocks;
	struct ac__jblock b[AC__J_MAXBLOCKS];
	uintptr_t next;
	struct ac__jproc w;         /* the worker */
	struct ac__jproc e;         /* the echo */
	int started;
	int workers;                /* worker processes started */
	int phase;                  /* 0: untimed, 1: warming up, 2: timed repetitions */
	int exec_calls;             /* forwarded calls in the current execution of the statement */
	int first_exec_calls;
	int warm_execs;
	double rep_s;               /* forwarded time in the current repetition */
	int rep_calls;
	int rep;                    /* timed repetitions so far */
	uint64_t nonce_state;
	/* the round trip: the newest echo samples, kept sorted (rt) and in
	 * the order they came (rt_ring, rt_next the oldest once it is full) */
	double rt[AC__J_MAXRT], rt_ring[AC__J_MAXRT];
	int nrt, rt_next;
	int rt_steady;              /* rt holds only samples taken beside timed calls */
	unsigned long timed_calls;  /* calls timed so far (the echo's turn) */
	/* the worker's CPU after the last call came to rest; < 0: unknown */
	double cpu_rest;
	double gap_max_s;           /* the most CPU charged for a gap */
	int threads_watched;        /* its threads could be read in /proc */
	int short_call;             /* the last timed call was short: prime the next */
	int files_confined;         /* the worker said Landlock holds it to its directory */
	/* rotation */
	int captured;
	struct ac__jcall cap;
	int nsets;
	int checked;                /* timed repetitions whose outputs were checked */
	char rotation_off[200];
	double ref_s;
	uint64_t set_seed;
	uint64_t set_ret[AC__J_MAXSETS];
	/* where the judge's own time goes, for the report (seconds) */
	double t_spawn, t_sets, t_install, t_check, t_echo, t_calls;
	int has_scalar;             /* a check on memory outside ac_alloc: a returned value's rule */
	struct ac__jrule scalar;
	int check_ret;              /* the rotated call's return value is checked too */
} ac__j AC__UNUSED;

static const struct ac__jfn *ac__j_now_fn AC__UNUSED;   /* the call being forwarded */

static inline void ac__j_fatal(const char *fmt, ...) AC__PRINTF(1, 2);

static inline void ac__j_kill(struct ac__jproc *p)
{
	if (p->pid > 0) {
		close(p->sock);
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
		p->pid = 0;
	}
	if (p->stat_fd >= 0 && p->stat_fd != 0)
		close(p->stat_fd);
	p->stat_fd = -1;
}

static inline void ac__j_fatal(const char *fmt, ...)
{
	char why[640];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	ac__j_kill(&ac__j.w);
	ac__j_kill(&ac__j.e);
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
	snprintf(b->name, sizeof b->name, "block %d", ac__j.nblocks);
	return p;
}

/* The block holding p (anywhere inside it), or -1. */
static inline int ac__j_block_of(const void *p)
{
	const char *c = (const char *)p;
	int i;

	for (i = 0; i < ac__j.nblocks; i++)
		if (!ac__j.b[i].freed && c >= ac__j.b[i].addr && c < ac__j.b[i].addr + ac__j.b[i].len)
			return i;
	return -1;
}

/* The block whose address range or guard page holds a, or -1. */
static inline int ac__j_block_near(uintptr_t a)
{
	int i;

	for (i = 0; i < ac__j.nblocks; i++) {
		uintptr_t s = (uintptr_t)ac__j.b[i].addr;

		if (a >= s && a < s + ac__j.b[i].len + ac__page())
			return i;
	}
	return -1;
}

static inline size_t ac__j_block_bytes(const void *p)
{
	int i = ac__j_block_of(p);

	return i < 0 ? 0 : (size_t)(ac__j.b[i].addr + ac__j.b[i].len - (const char *)p);
}

static inline void ac__j_name(int i, const char *name)
{
	if (i >= 0 && name && name[0] && !strncmp(ac__j.b[i].name, "block ", 6))
		snprintf(ac__j.b[i].name, sizeof ac__j.b[i].name, "%s", name);
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
	ac__j.b[i].freed = 1;
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
static inline void ac__j_record_fill(const void *p, const struct ac__fill *f)
{
	int i = ac__j_block_of(p), k;
	struct ac__jblock *b;
	size_t off;

	if (i < 0)
		return;
	b = &ac__j.b[i];
	off = (size_t)((const char *)p - b->addr);
	for (k = 0; k < b->nfill; k++)
		if (b->fill[k].off == off && b->fill[k].f.n == f->n)
			break;
	if (k == b->nfill) {
		if (b->nfill == AC__J_MAXFILLS)
			return;
		b->nfill++;
	}
	b->fill[k].off = off;
	b->fill[k].f = *f;
}

static inline void ac__j_inout(const void *p)
{
	int i = ac__j_block_of(p);
	struct ac__jblock *b;

	if (i < 0)
		return;
	b = &ac__j.b[i];
	if (!b->pristine)
		b->pristine = (char *)malloc(b->len);
	if (!b->pristine)
		ac__j_fatal("harness: out of memory for an ac_inout copy");
	memcpy(b->pristine, b->addr, b->len);
	b->inout = 1;
}

/* ac_check_* remember every rule they apply to a buffer (each range,
 * each output in a block), and which block holds the expected answer. */
static inline void ac__j_record_check(const char *what, const void *got, const void *want,
                                      size_t n, int etype, double rtol, double atol)
{
	int i = ac__j_block_of(got), w = ac__j_block_of(want), k;
	struct ac__jblock *b;
	struct ac__jrule r;

	memset(&r, 0, sizeof r);
	r.n = n;
	r.etype = etype;
	r.rtol = rtol;
	r.atol = atol;
	snprintf(r.what, sizeof r.what, "%s", what ? what : "output");
	if (w >= 0 && w != i && !ac__j.b[w].passed)
		ac__j.b[w].answer = 1;
	if (i < 0) {
		/* a value the harness keeps itself, as a returned one is */
		ac__j.has_scalar = 1;
		ac__j.scalar = r;
		return;
	}
	b = &ac__j.b[i];
	ac__j_name(i, r.what);
	r.off = (size_t)((const char *)got - b->addr);
	for (k = 0; k < b->nrule; k++)
		if (b->rule[k].off == r.off && b->rule[k].n == n && b->rule[k].etype == etype)
			break;
	if (k == b->nrule) {
		if (b->nrule == AC__J_MAXRULES)
			ac__j_fatal("harness: more than %d check rules on %s", AC__J_MAXRULES, b->name);
		b->nrule++;
	}
	b->rule[k] = r;
}

/* --- processes and /proc ---------------------------------------------- */

/* Finds a child in /proc. In a PID namespace whose /proc is the machine's
 * (the sandbox's), fork()'s pid names another process there: look for the
 * child of the judge's own /proc number instead. 0 if not found. */
static inline pid_t ac__j_find_procpid(pid_t child, const struct ac__jproc *other)
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
		return child;   /* /proc is this namespace's */
	dir = opendir("/proc");
	while (dir && !found && (d = readdir(dir))) {
		int pid = atoi(d->d_name), fd, ppid = 0;
		const char *p;

		if (pid <= 0 || (other && pid == other->procpid))
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

/* A process's state letter and thread count from /proc/PID/stat; 0 when
 * it cannot be read. */
static inline char ac__j_stat(const struct ac__jproc *p, int *threads)
{
	char buf[1024];
	const char *s;
	ssize_t n;
	int field;

	*threads = 1;
	if (p->stat_fd < 0)
		return 0;
	n = pread(p->stat_fd, buf, sizeof buf - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	s = strrchr(buf, ')');
	if (!s || !s[1] || !s[2])
		return 0;
	/* ") S ..." : state is field 3, num_threads field 20 */
	{
		char st = s[2];
		const char *q = s + 2;

		for (field = 3; *q && field < 20; q++)
			if (*q == ' ')
				field++;
		*threads = atoi(q) > 0 ? atoi(q) : 1;
		return st;
	}
}

/* Counts the process's threads other than its main one that are
 * running (R). With parked, also checks that every other thread that is
 * not running waits on a futex: returns -1 and sets *bad_tid/*bad_call for
 * the first that does not (its system call). */
static inline int ac__j_others(const struct ac__jproc *p, int parked, int *bad_tid, long *bad_call)
{
	char path[96], buf[512];
	struct dirent *d;
	DIR *dir;
	int running = 0;

	snprintf(path, sizeof path, "/proc/%d/task", (int)p->procpid);
	dir = opendir(path);
	if (!dir)
		return 0;
	while ((d = readdir(dir))) {
		int tid = atoi(d->d_name), fd;
		ssize_t n;
		const char *s;

		if (tid <= 0 || tid == p->procpid)
			continue;
		snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)p->procpid, tid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;   /* it exited meanwhile */
		n = read(fd, buf, sizeof buf - 1);
		close(fd);
		buf[n > 0 ? n : 0] = '\0';
		s = strrchr(buf, ')');
		if (s && s[1] == ' ' && s[2] == 'R')
			running++;
		else if (parked && s && s[2] != 'Z' && s[2] != 'X') {
			long call = -1;

			snprintf(path, sizeof path, "/proc/%d/task/%d/syscall", (int)p->procpid, tid);
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0) {
				ac__j.threads_watched = 0;   /* not ours to read here */
				continue;
			}
			n = read(fd, buf, sizeof buf - 1);
			close(fd);
			if (n <= 0) {
				ac__j.threads_watched = 0;
				continue;
			}
			buf[n] = '\0';
			if (!strncmp(buf, "running", 7)) {
				running++;   /* it woke up meanwhile: still at work */
				continue;
			}
			if (buf[0] >= '0' && buf[0] <= '9')
				call = strtol(buf, NULL, 10);
#ifdef SYS_futex_waitv
			if (call == SYS_futex_waitv)
				continue;
#endif
			if (call != SYS_futex) {
				*bad_tid = tid;
				*bad_call = call;
				closedir(dir);
				return -1;
			}
		}
	}
	closedir(dir);
	return running;
}

/* The process's CPU time (all its threads, exited ones included); < 0
 * when it cannot be read. */
static inline double ac__j_cpu(const struct ac__jproc *p)
{
	struct timespec ts;

	if (!p->has_cpu || clock_gettime(p->cpu, &ts) != 0)
		return -1;
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline void ac__j_worker_gone(const struct ac__jproc *p, const char *during,
                                     const struct ac__wreply *crash);

static inline void ac__j_send(struct ac__jproc *p, const struct ac__wmsg *m, const int *fds,
                              int nfds)
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
	while (sendmsg(p->sock, &mh, MSG_NOSIGNAL) < 0) {
		if (errno != EINTR)
			ac__j_worker_gone(p, ac__j_now_fn ? ac__j_now_fn->name : "the run", NULL);
	}
}

/* Says how a process ended (its socket closed), and ends the judge. */
static inline void ac__j_worker_gone(const struct ac__jproc *p, const char *during,
                                     const struct ac__wreply *crash)
{
	int status = 0, in_call = ac__j_now_fn != NULL, died_of = 0;
	char how[96];

	if (p == &ac__j.e)
		ac__j_fatal("the judge's echo process stopped answering during %s", during);
	if (ac__j.w.pid > 0 && waitpid(ac__j.w.pid, &status, 0) == ac__j.w.pid) {
		if (WIFSIGNALED(status)) {
			died_of = WTERMSIG(status);
			snprintf(how, sizeof how, "was killed by %s", strsignal(died_of));
		} else {
			snprintf(how, sizeof how, "exited with status %d", WEXITSTATUS(status));
		}
	} else {
		snprintf(how, sizeof how, "stopped answering");
	}
	ac__j.w.pid = 0;
	/* a crash report counts only when the process died of that signal:
	 * anything else is the candidate's own message, not a fact */
	if (crash && crash->status != died_of)
		crash = NULL;
	if (crash && (crash->status == SIGSEGV || crash->status == SIGBUS)) {
		uintptr_t a = (uintptr_t)crash->ret_bits;
		int bl = ac__j_block_near(a);
		const char *sig = strsignal(crash->status);

		if (bl >= 0) {
			const struct ac__jblock *b = &ac__j.b[bl];
			size_t off = (size_t)(a - (uintptr_t)b->addr);

			if (off >= b->len)
				ac__j_fatal("the candidate ran past the end of %s in %s (%s %zu bytes past "
				            "its %zu): every access must stay inside the buffers it is given",
				            b->name, during, sig, off - b->bytes, b->bytes);
			if (b->freed)
				ac__j_fatal("the candidate touched %s in %s after the harness freed it "
				            "(%s at offset %zu)", b->name, during, sig, off);
			if (b->answer)
				ac__j_fatal("the candidate touched %s in %s, the reference's answer, which "
				            "the judge does not share with it (%s at offset %zu)", b->name,
				            during, sig, off);
			if (b->readonly)
				ac__j_fatal("the candidate wrote to %s, a read-only input of %s (%s at offset "
				            "%zu); inputs are const: write only the outputs", b->name, during,
				            sig, off);
		}
		if (a >= AC__W_BASE && a < AC__W_BASE + ((uintptr_t)1 << 40))
			ac__j_fatal("the candidate crashed in %s: %s at address %#llx, among the harness's "
			            "buffers but in none of them: pointers stored in buffers must point "
			            "into ac_alloc memory", during, sig, (unsigned long long)a);
		if (!in_call)
			ac__j_fatal("the candidate's process crashed between calls: %s at address %#llx",
			            sig, (unsigned long long)a);
		if (a < 65536)
			ac__j_fatal("the candidate crashed in %s: %s at address %#llx", during, sig,
			            (unsigned long long)a);
		ac__j_fatal("the candidate crashed in %s: %s at address %#llx (not in any buffer the "
		            "harness allocated: pointers the candidate follows, those stored in "
		            "buffers too, must point into ac_alloc memory)", during, sig,
		            (unsigned long long)a);
	}
	if (crash && crash->status > 0 && crash->status < 65)
		ac__j_fatal("the candidate crashed in %s: %s", during, strsignal(crash->status));
	ac__j_fatal("the candidate's process %s during %s", how, during);
}

/* Receives p's reply of kind to the request with nonce (0: none). A
 * CRASH is reported; anything else unexpected is a run error. */
static inline void ac__j_recv(struct ac__jproc *p, struct ac__wreply *rep, uint32_t kind,
                              uint64_t nonce, const char *during)
{
	for (;;) {
		ssize_t n = recv(p->sock, rep, sizeof *rep, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			ac__j_worker_gone(p, during, NULL);
		if (p == &ac__j.w && (size_t)n == sizeof *rep && rep->kind == AC__W_CRASH) {
			struct ac__wreply crash = *rep;

			/* let it die, then say how */
			while (recv(p->sock, rep, sizeof *rep, 0) > 0)
				;
			ac__j_worker_gone(p, during, &crash);
		}
		if ((size_t)n != sizeof *rep || rep->kind != kind || rep->nonce != nonce)
			ac__j_fatal("the candidate's process sent a message the judge did not ask for "
			            "during %s: the candidate's functions must return to their caller",
			            during);
		return;
	}
}

/* Nothing may wait on p's socket when the judge sends: a reply sent
 * ahead of its request is a run error. */
static inline void ac__j_nothing_pending(struct ac__jproc *p, const char *during)
{
	struct ac__wreply rep;
	ssize_t n = recv(p->sock, &rep, sizeof rep, MSG_DONTWAIT | MSG_PEEK);

	if (n == 0)
		ac__j_worker_gone(p, during, NULL);
	if (n > 0) {
		if ((size_t)n == sizeof rep && rep.kind == AC__W_CRASH)
			ac__j_recv(p, &rep, AC__W_CALL, 0, during);
		ac__j_fatal("the candidate's process sent a message the judge did not ask for "
		            "before %s: the candidate's functions must return to their caller", during);
	}
}

/* What the worker may see of block b: 0 nothing, 1 read-only, 2 read-write. */
static inline int ac__j_mode(const struct ac__jblock *b)
{
	if (b->freed || b->answer)
		return 0;
	return b->readonly ? 1 : 2;
}

/* Sends the worker the blocks it should have and does not (MAP), and
 * takes away the ones it should not (UNMAP). */
static inline void ac__j_sync_maps(void)
{
	struct ac__wmsg m, u;
	int fds[AC__W_MAXMAPS], i;

	memset(&m, 0, sizeof m);
	memset(&u, 0, sizeof u);
	m.kind = AC__W_MAP;
	u.kind = AC__W_UNMAP;
	for (i = 0; i <= ac__j.nblocks; i++) {
		struct ac__jblock *b = i < ac__j.nblocks ? &ac__j.b[i] : NULL;
		int want = b ? ac__j_mode(b) : 0;

		if (b && want != b->mapped_as && want) {
			m.maps[m.nmaps].addr = (uint64_t)(uintptr_t)b->addr;
			m.maps[m.nmaps].len = b->len;
			m.maps[m.nmaps].writable = want == 2;
			fds[m.nmaps++] = want == 2 ? b->fd_rw : b->fd_ro;
			b->mapped_as = want;
		} else if (b && want != b->mapped_as) {
			u.maps[u.nmaps].addr = (uint64_t)(uintptr_t)b->addr;
			u.maps[u.nmaps].len = b->len;
			u.nmaps++;
			b->mapped_as = 0;
		}
		if (m.nmaps == AC__W_MAXMAPS || (!b && m.nmaps)) {
			ac__j_send(&ac__j.w, &m, fds, (int)m.nmaps);
			m.nmaps = 0;
		}
		if (u.nmaps == AC__W_MAXMAPS || (!b && u.nmaps)) {
			ac__j_send(&ac__j.w, &u, NULL, 0);
			u.nmaps = 0;
		}
	}
}

/* Waits until p has come to rest after a reply received at t_reply: its
 * main thread back waiting, its other threads not running. Returns when
 * the call's work ended: t_reply, or later while other threads ran on.
 * With parked, every other thread must then wait on a futex. */
static inline double ac__j_settle(struct ac__jproc *p, double t_reply, const char *fname,
                                  int parked)
{
	double end = t_reply;

	for (;;) {
		int threads, others = 0;
		char st = ac__j_stat(p, &threads);

		if (st && threads > 1) {
			int tid = 0;
			long call = 0;

			others = ac__j_others(p, 0, &tid, &call);
		}
		if (others > 0)
			end = ac__now_s();
		if (others == 0 && st != 'R') {
			if (parked && threads > 1) {
				int tid = 0;
				long call = 0;

				others = ac__j_others(p, 1, &tid, &call);
				if (others > 0) {
					end = ac__now_s();
					continue;   /* one woke up: it is the call's work too */
				}
				if (others < 0) {
					if (call == SYS_nanosleep || call == SYS_clock_nanosleep)
						ac__j_fatal("the candidate left a thread sleeping after %s returned, "
						            "to work later: a call's work must end before it returns",
						            fname);
					ac__j_fatal("the candidate left a thread waiting in system call %ld "
					            "after %s returned: a call's work must end before it "
					            "returns; a thread pool's threads must wait on a futex, as "
					            "OpenMP's do", call, fname);
				}
			}
			return end;
		}
		if (ac__now_s() - t_reply > 2.0)
			ac__j_fatal("the candidate left threads running 2 s after %s returned: a call's "
			            "work must end before it returns", fname);
		if (others > 0) {
			struct timespec ts = { 0, 20000 };

			nanosleep(&ts, NULL);
		} else {
			sched_yield();
		}
	}
}

/* Starts ./candidate.worker (the judge's own path + ".worker"), as the
 * worker or, with echo, as the echo; maps the blocks and waits for START. */
static inline void ac__j_spawn(struct ac__jproc *p, int echo)
{
	char exe[4096], worker[4200], path[64];
	struct ac__wmsg m;
	struct ac__wreply rep;
	int sv[2], i;
	ssize_t n;
	pid_t pid;
	double t0 = ac__now_s();

	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		ac__j_fatal("cannot find the judge's own executable: %s", strerror(errno));
	exe[n] = '\0';
	snprintf(worker, sizeof worker, "%s.worker", exe);
	if (access(worker, X_OK) != 0)
		ac__j_fatal("no %s: the candidate's loader is missing", worker);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		ac__j_fatal("socketpair: %s", strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		ac__j_fatal("cannot start the candidate's process: %s", strerror(errno));
	if (pid == 0) {
		char *argv[] = { worker, (char *)"3", (char *)(echo ? "echo" : NULL), NULL };
		char omp[64];
		char *envp[7];
		const char *threads = getenv("OMP_NUM_THREADS");
		int e = 0;

		envp[e++] = (char *)"LANG=C";
		/* idle pool threads wait on a futex instead of spinning between calls */
		envp[e++] = (char *)"OMP_WAIT_POLICY=passive";
		if (threads && strlen(threads) < 32) {
			snprintf(omp, sizeof omp, "OMP_NUM_THREADS=%s", threads);
			envp[e++] = omp;
		}
		if (threads && atoi(threads) > 1) {
			/* one thread on each core it was given (autocomp_worker.h:
			 * ac__w_pool) */
			envp[e++] = (char *)"OMP_PROC_BIND=close";
			envp[e++] = (char *)"OMP_PLACES=threads";
		}
		envp[e] = NULL;
		if (dup2(sv[1], 3) != 3)
			_exit(127);
		syscall(SYS_close_range, 4u, ~0u, 0u);
		execve(worker, argv, envp);
		_exit(127);
	}
	close(sv[1]);
	memset(p, 0, sizeof *p);
	p->sock = sv[0];
	p->pid = pid;
	p->procpid = ac__j_find_procpid(pid, p == &ac__j.w ? &ac__j.e : &ac__j.w);
	p->stat_fd = -1;
	if (p->procpid > 0) {
		snprintf(path, sizeof path, "/proc/%d/stat", (int)p->procpid);
		p->stat_fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	p->has_cpu = clock_getcpuclockid(pid, &p->cpu) == 0;
	if (!echo) {
		for (i = 0; i < ac__j.nblocks; i++)
			ac__j.b[i].mapped_as = 0;
		ac__j_sync_maps();
		ac__j.workers++;
	}
	memset(&m, 0, sizeof m);
	m.kind = AC__W_START;
	ac__j_send(p, &m, NULL, 0);
	n = recv(p->sock, &rep, sizeof rep, 0);
	if (n <= 0)
		ac__j_worker_gone(p, "start-up", NULL);
	if ((size_t)n != sizeof rep || (rep.kind != AC__W_START && rep.kind != AC__W_CRASH))
		ac__j_fatal("the candidate's process sent a message the judge did not ask for at "
		            "start-up");
	if (rep.kind == AC__W_CRASH)
		ac__j_worker_gone(p, "start-up (loading the candidate)", &rep);
	if (rep.status == AC__WS_LOCK)
		ac__j_fatal("cannot lock the candidate's process in (seccomp: %s)",
		            strerror((int)rep.ret_bits));
	if (rep.status == AC__WS_MAP)
		ac__j_fatal("cannot share the harness's buffers with the candidate's process (the "
		            "one at %#llx did not map)", (unsigned long long)rep.ret_bits);
	if (rep.status == AC__WS_SYM)
		ac__j_fatal("the candidate does not define the input's function number %llu",
		            (unsigned long long)rep.ret_bits + 1);
	if (rep.status == AC__WS_LOAD) {
		char q[161];
		size_t k;

		/* the loader's words about the candidate's object: quoted, printable */
		for (k = 0; k < sizeof rep.text && rep.text[k]; k++)
			q[k] = rep.text[k] >= 32 && rep.text[k] < 127 && rep.text[k] != '"' ? rep.text[k] : '?';
		q[k] = '\0';
		ac__j_fatal("the candidate's object did not load; the loader says: \"%s\"", q);
	}
	if (rep.status != 0)
		ac__j_fatal("the candidate's process could not start (code %d)", (int)rep.status);
	if (!echo)
		ac__j.files_confined = rep.ret_bits == 1;
	ac__j_settle(p, ac__now_s(), "start-up", 0);
	ac__j.t_spawn += ac__now_s() - t0;
}

/* Adds one round-trip sample, keeping them sorted. */
static inline void ac__j_rt_add(double s)
{
	int i;

	if (ac__j.nrt == AC__J_MAXRT) {
		/* the window is full: the oldest sample leaves it */
		double old = ac__j.rt_ring[ac__j.rt_next];

		for (i = 0; i < ac__j.nrt - 1 && ac__j.rt[i] != old; i++)
			;
		memmove(ac__j.rt + i, ac__j.rt + i + 1, sizeof ac__j.rt[0] * (size_t)(ac__j.nrt - 1 - i));
		ac__j.nrt--;
	}
	ac__j.rt_ring[ac__j.rt_next] = s;
	ac__j.rt_next = (ac__j.rt_next + 1) % AC__J_MAXRT;
	for (i = ac__j.nrt; i > 0 && ac__j.rt[i - 1] > s; i--)
		ac__j.rt[i] = ac__j.rt[i - 1];
	ac__j.rt[i] = s;
	ac__j.nrt++;
}

/* The round trip to subtract: the running median of the echo's. */
static inline double ac__j_rt(void)
{
	if (ac__j.nrt == 0)
		return 0;
	return ac__j.nrt % 2 ? ac__j.rt[ac__j.nrt / 2]
	                      : 0.5 * (ac__j.rt[ac__j.nrt / 2 - 1] + ac__j.rt[ac__j.nrt / 2]);
}

static inline void ac__j_rt_clear(void)
{
	ac__j.nrt = 0;
	ac__j.rt_next = 0;
}

/* One call to the echo with message m (its CALL's arguments): a sample.
 * The samples of back-to-back calls at the start read faster than those
 * taken beside the timed calls (by 0.5-1 us here: nothing ran in
 * between); the first sample beside a timed call clears them. */
static inline void ac__j_echo(struct ac__wmsg *m, int beside_timed)
{
	struct ac__wreply rep;
	double t0, t1, te = ac__now_s();

	m->nonce = ac__splitmix(&ac__j.nonce_state);
	ac__j_nothing_pending(&ac__j.e, "the echo");
	t0 = ac__now_s();
	ac__j_send(&ac__j.e, m, NULL, 0);
	ac__j_recv(&ac__j.e, &rep, AC__W_CALL, m->nonce, "the echo");
	t1 = ac__now_s();
	ac__j_settle(&ac__j.e, t1, "the echo", 0);
	if (beside_timed && !ac__j.rt_steady) {
		ac__j_rt_clear();
		ac__j.rt_steady = 1;
	}
	ac__j_rt_add(t1 - t0);
	ac__j.t_echo += ac__now_s() - te;
}

/* Starts the echo and the first worker, and warms the round trip up. */
static inline void ac__j_start(void)
{
	struct ac__wmsg m;
	int i;

	ac__j.started = 1;
	ac__j.threads_watched = 1;
	ac__j.cpu_rest = -1;
	ac__j_spawn(&ac__j.e, 1);
	ac__j_spawn(&ac__j.w, 0);
	memset(&m, 0, sizeof m);
	m.kind = AC__W_CALL;
	for (i = 0; i < 60; i++) {
		ac__j_echo(&m, 0);
		if (i == 19)
			ac__j_rt_clear();   /* the first ones warm it up */
	}
}

/* Ends the worker and starts a fresh one: nothing it kept (a cache of
 * answers by content) survives into the next round. */
static inline void ac__j_restart(void)
{
	ac__j_kill(&ac__j.w);
	ac__j_spawn(&ac__j.w, 0);
	ac__j.cpu_rest = ac__j_cpu(&ac__j.w);
}

/* How a call is forwarded: outside AC_TIME, in AC_TIME (its gaps
 * charged, the echo after it), or to prime a short one in AC_TIME (gaps
 * charged, no echo). */
enum { AC__J_UNTIMED = 0, AC__J_TIMED = 1, AC__J_PRIME = 2 };

/* Forwards one call; returns its time in seconds, the round trip taken off. */
static inline double ac__j_forward(const struct ac__jcall *c, uint64_t *ret, int timed)
{
	struct ac__wmsg m;
	struct ac__wreply rep;
	double t0, t_reply, t1, charge = 0, dt;
	int i, echo_first;

	if (!ac__j.started)
		ac__j_start();
	ac__j_now_fn = c->fn;
	ac__j_sync_maps();
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
	m.nonce = ac__splitmix(&ac__j.nonce_state);
	/* the echo goes first in every other timed call: whichever process
	 * the judge wakes first after its own work (installing inputs,
	 * reading /proc) takes 0.5-1 us longer to start here, so that cost
	 * falls on the echo and the worker alike and cancels in the median */
	echo_first = timed == AC__J_TIMED && (ac__j.timed_calls++ & 1);
	if (echo_first) {
		struct ac__wmsg em = m;

		ac__j_echo(&em, 1);
	}
	ac__j_nothing_pending(&ac__j.w, c->fn->name);
	if (timed && ac__j.phase == 2 && ac__j.cpu_rest >= 0) {
		/* what the worker did since the last call came to rest */
		double gap = ac__j_cpu(&ac__j.w) - ac__j.cpu_rest;

		if (gap > AC__J_GAP_MAX_S)
			ac__j_fatal("the candidate's process used %.3f ms of CPU between calls, where "
			            "nothing asked it to work: a call's work must happen inside the call",
			            gap * 1e3);
		if (gap > AC__J_GAP_FREE_S)
			charge = gap;
		if (charge > ac__j.gap_max_s)
			ac__j.gap_max_s = charge;
	}
	t0 = ac__now_s();
	ac__j_send(&ac__j.w, &m, NULL, 0);
	ac__j_recv(&ac__j.w, &rep, AC__W_CALL, m.nonce, c->fn->name);
	t_reply = ac__now_s();
	t1 = ac__j_settle(&ac__j.w, t_reply, c->fn->name, 1);
	ac__j.cpu_rest = ac__j_cpu(&ac__j.w);
	ac__j.t_calls += ac__now_s() - t0;
	if (rep.status == AC__WS_MAP)
		ac__j_fatal("cannot share the harness's buffers with the candidate's process (the "
		            "one at %#llx did not map)", (unsigned long long)rep.ret_bits);
	if (rep.status != 0)
		ac__j_fatal("cannot call %s in the candidate's process (%s)", c->fn->name,
		            rep.status == AC__WS_ARGS ? "its arguments do not fit the registers and "
		                                        "stack slots" : "no such function");
	if (ret)
		*ret = rep.ret_bits;
	ac__j_now_fn = NULL;
	if (timed == AC__J_TIMED && !echo_first)
		ac__j_echo(&m, 1);
	dt = t1 - t0 + charge - ac__j_rt();
	return dt > 0 ? dt : 0;
}

/* The round trip as subtracted, in ns (the report's words). */
static inline double ac__j_round_trip_ns(void)
{
	return ac__j_rt() * 1e9;
}

/* --- input sets ------------------------------------------------------- */

/* Replays block i's fills with the seed of set s into img. */
static inline void ac__j_refill(int i, int s, char *img)
{
	const struct ac__jblock *b = &ac__j.b[i];
	int k;

	for (k = 0; k < b->nfill; k++) {
		const struct ac__jfillrec *f = &b->fill[k];
		uint64_t x = ac__j.set_seed ^ ((uint64_t)s << 40) ^ ((uint64_t)i << 20) ^ (uint64_t)k;
		uint64_t st[4];
		int w;

		if (f->f.shape == AC__F_NAN)
			continue;   /* the same in every set */
		for (w = 0; w < 4; w++)
			st[w] = ac__splitmix(&x);
		if (f->off + ac__fill_count(&f->f) * ac__esize(f->f.etype) <= b->len)
			ac__gen(img + f->off, &f->f, st);
	}
}

static inline int ac__j_randomized(int i)
{
	int k;

	for (k = 0; k < ac__j.b[i].nfill; k++)
		if (ac__j.b[i].fill[k].f.shape != AC__F_NAN)
			return 1;
	return 0;
}

/* Puts set s's inputs in place. */
static inline void ac__j_install(int s)
{
	double t0 = ac__now_s();
	int i;

	for (i = 0; i < ac__j.nblocks; i++)
		if (ac__j.b[i].kept && ac__j.b[i].set_in[s])
			ac__j_write(i, ac__j.b[i].set_in[s]);
	ac__j.t_install += ac__now_s() - t0;
}

/* A 64-bit hash of block i's bytes: did a call change it? */
static inline uint64_t ac__j_hash(int i)
{
	const struct ac__jblock *b = &ac__j.b[i];
	const uint64_t *w = (const uint64_t *)b->addr;
	uint64_t h = 0x9e3779b97f4a7c15ULL;
	size_t k;

	for (k = 0; k < b->len / 8; k++)
		h = (h ^ w[k]) * 0x100000001b3ULL;
	return h;
}

static inline char *ac__j_copy(const void *src, size_t len)
{
	char *d = (char *)malloc(len);

	if (!d)
		ac__j_fatal("harness: out of memory for input sets");
	memcpy(d, src, len);
	return d;
}

/* Runs the reference on the inputs in place; keeps its outputs as set s's
 * answer. */
static inline void ac__j_answer(int s)
{
	struct ac__jcall *c = &ac__j.cap;
	uint64_t retbuf[4];
	int i;

	memset(retbuf, 0, sizeof retbuf);
	c->ref(c->argstruct, retbuf);
	memcpy(&ac__j.set_ret[s], retbuf, sizeof ac__j.set_ret[s]);
	for (i = 0; i < ac__j.nblocks; i++)
		if (ac__j.b[i].output)
			ac__j.b[i].set_out[s] = ac__j_copy(ac__j.b[i].addr, ac__j.b[i].len);
}

/* Makes the input sets and their answers (after the warm-up). */
static inline void ac__j_plan_sets(void);

static inline void ac__j_plan(void)
{
	double t0 = ac__now_s();

	ac__j_plan_sets();
	ac__j.t_sets += ac__now_s() - t0;
}

static inline void ac__j_plan_sets(void)
{
	struct ac__jcall *c = &ac__j.cap;
	const char *env = getenv("AC_SETS");
	int i, s, any_random = 0, any_check = 0, want = 0;
	uint64_t h[AC__J_MAXBLOCKS];
	double t0;

	ac__j.nsets = 1;
	if (!ac__j.captured) {
		snprintf(ac__j.rotation_off, sizeof ac__j.rotation_off,
		         "the timed statement made %d forwarded calls, not one",
		         ac__j.first_exec_calls);
		return;
	}
	/* set 0: the harness's own inputs (an ac_inout block's as it was
	 * given), then its answer; the blocks the reference writes are the
	 * outputs */
	for (i = 0; i < ac__j.nblocks; i++) {
		struct ac__jblock *b = &ac__j.b[i];

		if (!b->set_in[0])
			continue;
		ac__j_write(i, b->inout && b->pristine ? b->pristine : b->set_in[0]);
		h[i] = ac__j_hash(i);
	}
	t0 = ac__now_s();
	{
		uint64_t retbuf[4];

		memset(retbuf, 0, sizeof retbuf);
		c->ref(c->argstruct, retbuf);
		ac__j.ref_s = ac__now_s() - t0;
		memcpy(&ac__j.set_ret[0], retbuf, sizeof ac__j.set_ret[0]);
	}
	for (i = 0; i < ac__j.nblocks; i++) {
		struct ac__jblock *b = &ac__j.b[i];

		if (!b->set_in[0])
			continue;
		/* written by the reference, or checked by the harness (an output
		 * that already held its answer) */
		b->output = ac__j_hash(i) != h[i] || b->nrule > 0;
		b->kept = b->output || b->inout || ac__j_randomized(i);
		any_random |= ac__j_randomized(i);
		any_check |= b->output && b->nrule > 0;
		if (b->output)
			b->set_out[0] = ac__j_copy(b->addr, b->len);
		if (b->inout && b->pristine)
			memcpy(b->set_in[0], b->pristine, b->len);
		if (!b->kept) {
			free(b->set_in[0]);
			b->set_in[0] = NULL;
		}
	}
	/* a returned value is checked with the rule of the harness's check on
	 * a value of its own (ac_check_close_* on a local) */
	ac__j.check_ret = c->ret_cls != 0 && ac__j.has_scalar;
	any_check |= ac__j.check_ret;
	if (!any_random) {
		snprintf(ac__j.rotation_off, sizeof ac__j.rotation_off,
		         "%s's inputs were not made by ac_fill_*", c->fn->name);
		ac__j_install(0);
		return;
	}
	if (!any_check) {
		snprintf(ac__j.rotation_off, sizeof ac__j.rotation_off,
		         "no ac_check_* on %s's outputs before AC_TIME", c->fn->name);
		ac__j_install(0);
		return;
	}
	if (env && *env)
		want = atoi(env);
	if (want == 1) {
		snprintf(ac__j.rotation_off, sizeof ac__j.rotation_off, "AC_SETS=1");
		ac__j_install(0);
		return;
	}
	if (want < 2 || want > AC__J_MAXSETS - 1) {
		size_t per_set = 0;

		/* as many as 25 ms of the reference allows: a cheap kernel gets
		 * long rounds (a fresh process's first calls weigh little), within
		 * the memory the sets may take */
		want = 1 + (int)(0.025 / (ac__j.ref_s > 1e-6 ? ac__j.ref_s : 1e-6));
		if (want > AC__J_MAXSETS - 1)
			want = AC__J_MAXSETS - 1;
		for (i = 0; i < ac__j.nblocks; i++)
			per_set += ac__j.b[i].kept ? ac__j.b[i].len * (ac__j.b[i].output ? 2 : 1) : 0;
		while (want > 2 && (size_t)want * per_set > AC__J_SETS_BYTES)
			want--;
		if (want < 2)
			want = 2;
	}
	/* sets 1..want-1 are timed, set want warms each new process up (it
	 * needs no answer: nothing of it is timed or kept) */
	for (s = 1; s <= want; s++) {
		for (i = 0; i < ac__j.nblocks; i++) {
			struct ac__jblock *b = &ac__j.b[i];

			if (!b->kept)
				continue;
			b->set_in[s] = ac__j_copy(b->set_in[0], b->len);
			ac__j_refill(i, s, b->set_in[s]);
		}
		if (s < want) {
			ac__j_install(s);
			ac__j_answer(s);
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

/* Checks a repetition's outputs (and returned value) against set s's
 * answer, with every rule the harness stated on them. */
static inline void ac__j_check_rep(int s, uint64_t ret)
{
	const struct ac__jcall *c = &ac__j.cap;
	double t0 = ac__now_s();
	int i, k, checked = 0;

	if (s == ac__j.nsets)
		return;   /* the warm-up set: not timed, its outputs not kept */
	if (ac__j.check_ret) {
		int cls = c->ret_cls;
		double got = ac__j_ret_value(ret, cls, c->ret_size);
		double want = ac__j_ret_value(ac__j.set_ret[s], cls, c->ret_size);

		checked = 1;
		if (!ac__close(got, want, ac__j.scalar.rtol, ac__j.scalar.atol))
			ac_fail("%s returned %.9g, want %.9g in a timed repetition (input set %d of %d): "
			        "the answer must follow this call's inputs", c->fn->name, got, want, s + 1,
			        ac__j.nsets);
	}
	for (i = 0; i < ac__j.nblocks; i++) {
		const struct ac__jblock *b = &ac__j.b[i];

		if (!b->output || !b->set_out[s])
			continue;
		for (k = 0; k < b->nrule; k++) {
			const struct ac__jrule *r = &b->rule[k];
			const char *got = b->addr + r->off, *want = b->set_out[s] + r->off;
			size_t e, bad = 0, first = 0;

			if (r->off + r->n * ac__esize(r->etype) > b->len)
				continue;
			for (e = 0; e < r->n; e++)
				if (!ac__elem_close(got, want, r->etype, e, r->rtol, r->atol) && bad++ == 0)
					first = e;
			checked = 1;
			if (bad)
				ac_fail("%s[%zu]: got %.9g, want %.9g in timed repetition %d (input set %d of "
				        "%d); %zu of %zu elements differ: the answer must follow this call's "
				        "inputs", r->what, first, ac__get(got, r->etype, first),
				        ac__get(want, r->etype, first), ac__j.rep + 1, s + 1, ac__j.nsets, bad,
				        r->n);
		}
	}
	ac__j.checked += checked;
	ac__j.t_check += ac__now_s() - t0;
}

/* --- what the stubs and AC_TIME call ---------------------------------- */

/* The first warm-up call: the one to rotate. Keeps its arguments and the
 * image of every block the worker sees. */
static inline void ac__j_capture(const struct ac__jcall *call)
{
	int i;

	ac__j.cap = *call;
	ac__j.cap.argstruct = malloc(call->argsize ? call->argsize : 1);
	if (!ac__j.cap.argstruct)
		ac__j_fatal("harness: out of memory");
	memcpy(ac__j.cap.argstruct, call->argstruct, call->argsize);
	for (i = 0; i < ac__j.nblocks; i++) {
		struct ac__jblock *b = &ac__j.b[i];

		if (ac__j_mode(b) && !b->set_in[0])
			b->set_in[0] = ac__j_copy(b->addr, b->len);
	}
	ac__j.captured = 1;
}

/* A stub's body: check the pointers, forward, time. */
static inline uint64_t ac__j_stub(const struct ac__jfn *fn, const struct ac__farg *args, int nargs,
                                  int ret_cls, int ret_size, void *argstruct, size_t argsize,
                                  void (*ref)(const void *, void *))
{
	struct ac__jcall call;
	uint64_t ret = 0;
	int i;
	double t;

	memset(&call, 0, sizeof call);
	call.fn = fn;
	call.nargs = nargs;
	call.ret_cls = ret_cls;
	call.ret_size = ret_size;
	call.argstruct = argstruct;
	call.argsize = argsize;
	call.ref = ref;
	for (i = 0; i < nargs && i < AC__W_MAXARGS; i++) {
		call.args[i] = args[i];
		if (args[i].cls == 5 && args[i].bits) {
			int bl = ac__j_block_of((const void *)(uintptr_t)args[i].bits);

			if (bl < 0)
				ac__j_fatal("harness: %s's argument %s (%p) is not in ac_alloc memory: the "
				            "judge shares only ac_alloc blocks with the candidate (a function "
				            "pointer cannot travel either)", fn->name, args[i].name,
				            (void *)(uintptr_t)args[i].bits);
			ac__j_name(bl, args[i].name);
			ac__j.b[bl].passed = 1;
			ac__j.b[bl].answer = 0;
		}
	}
	if (ac__j.phase == 1) {
		/* warm-up: the first execution's only call is the one to rotate */
		ac__j.exec_calls++;
		if (ac__j.warm_execs == 0 && ac__j.exec_calls == 1)
			ac__j_capture(&call);
		else if (ac__j.warm_execs == 0)
			ac__j.captured = 0;
	}
	if (ac__j.phase == 2 && ac__j.nsets > 1) {
		/* a round is sets 1 .. n-1, then 0, the harness's own: the last
		 * repetition (rounds are whole) leaves its inputs and its answer,
		 * in the buffers and in what the call returned */
		int r = ac__j.rep % ac__j.nsets;
		int s = (r + 1) % ac__j.nsets;

		if (call.fn != ac__j.cap.fn || memcmp(argstruct, ac__j.cap.argstruct, argsize) != 0)
			ac__j_fatal("harness: the timed statement changed its call to %s between "
			            "repetitions", fn->name);
		if (r == 0) {
			/* a round: a fresh process that sees every set once, after
			 * untimed calls on a set of its own (page faults, thread pools,
			 * caches and branch predictors): at least one, and for a short
			 * call as many as fill AC__J_WARM_S */
			double w0 = ac__now_s();
			int k = 0;

			ac__j_restart();
			do {
				ac__j_install(ac__j.nsets);
				ac__j_forward(&call, &ret, AC__J_PRIME);
			} while (++k < AC__J_WARM_MAX && ac__now_s() - w0 < AC__J_WARM_S);
			ac__j.short_call = ac__now_s() - w0 < k * AC__J_PRIME_BELOW_S;
		}
		if (ac__j.short_call) {
			/* a short call is preceded by an untimed one on the warm-up
			 * set, so that it starts as warm (code, branch predictors) as
			 * a call in a loop of the harness's own would: what came in
			 * between (the judge's checks, the echo) is not its cost */
			ac__j_install(ac__j.nsets);
			ac__j_forward(&call, &ret, AC__J_PRIME);
		}
		ac__j_install(s);
		t = ac__j_forward(&call, &ret, AC__J_TIMED);
		ac__j.short_call = t < AC__J_PRIME_BELOW_S;
		ac__j_check_rep(s, ret);
	} else {
		t = ac__j_forward(&call, &ret, ac__j.phase != 0 ? AC__J_TIMED : AC__J_UNTIMED);
	}
	if (ac__j.phase == 2) {
		ac__j.rep_s += t;
		ac__j.rep_calls++;
	}
	return ret;
}

/* The stubs' entry from their own translation unit. */
uint64_t ac__j_stub_ext(const struct ac__jfn *fn, const struct ac__farg *args, int nargs,
                        int ret_cls, int ret_size, void *argstruct, size_t argsize,
                        void (*ref)(const void *args, void *ret))
{
	return ac__j_stub(fn, args, nargs, ret_cls, ret_size, argstruct, argsize, ref);
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
	ac__j.cpu_rest = -1;
}

/* The CPUs this process may run on (the cores a time was measured on). */
static inline int ac__j_cores(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof set, &set) != 0)
		return 0;
	return CPU_COUNT(&set);
}

/* The judge's part of the report: how the verdict was reached. */
static inline size_t ac__j_report(char *out, size_t cap)
{
	int n = snprintf(out, cap,
	                 ",\"judge\":{\"forward_ns\":%.0f,\"sets\":%d,\"checked\":%d,"
	                 "\"processes\":%d,\"threads_watched\":%s,\"ref_ns\":%.0f,"
	                 "\"cores\":%d,\"gap_ns\":%.0f,\"files_confined\":%s,\"spent_ms\":{\"starts\":%.1f,"
	                 "\"answers\":%.1f,\"installs\":%.1f,\"calls\":%.1f,\"echo\":%.1f,"
	                 "\"checks\":%.1f},\"rotation\":\"",
	                 ac__j_rt() * 1e9, ac__j.nsets, ac__j.checked, ac__j.workers,
	                 ac__j.w.procpid > 0 && ac__j.threads_watched ? "true" : "false",
	                 ac__j.ref_s * 1e9, ac__j_cores(), ac__j.gap_max_s * 1e9,
	                 ac__j.files_confined ? "true" : "false",
	                 ac__j.t_spawn * 1e3, ac__j.t_sets * 1e3, ac__j.t_install * 1e3,
	                 ac__j.t_calls * 1e3, ac__j.t_echo * 1e3, ac__j.t_check * 1e3);
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
	uint64_t seed = 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	/* no ptrace, no /proc/PID/mem or /proc/PID/fd of the judge */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	ac__j.set_seed = ac_rand();
	/* the nonces: not from the harness's stream (AC_SEED must not make
	 * them known) */
	if (fd < 0 || read(fd, &seed, sizeof seed) != (ssize_t)sizeof seed)
		seed = (uint64_t)(ac__now_s() * 1e9) ^ ((uint64_t)getpid() << 32);
	if (fd >= 0)
		close(fd);
	ac__j.nonce_state = seed;
	ac__j.w.stat_fd = -1;
	ac__j.e.stat_fd = -1;
}

/* Ends the worker and the echo when the judge exits. */
static inline void ac__j_stop(void)
{
	ac__j_kill(&ac__j.w);
	ac__j_kill(&ac__j.e);
}

#endif
