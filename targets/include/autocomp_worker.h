/*
 * autocomp_worker.h - the candidate's process: the main() of
 * ./candidate.worker, a trusted loader the judge (./candidate) starts.
 *
 * The cpu target builds the candidate as a shared object (candidate.so,
 * its functions and data only) and this loader once per run, from a
 * generated file that names the input's functions:
 *
 *     static const char *const ac__names[] = { "gemm" };
 *     #define AC__NFNS 1
 *     #include <autocomp_worker.h>
 *
 * The loader maps the harness's buffers at the judge's addresses, locks
 * itself in with seccomp and only then loads candidate.so (dlopen). So no
 * code of the candidate runs unconfined, not even code the C runtime would
 * run before main (constructors, _init, __gmon_start__, TM clone tables):
 * by the time the object's own initializers run, the filter is in place.
 * The filter is an allow-list (ac__w_lock says why each call is there):
 * what a kernel needs (memory, threads, reading files, stdout/stderr, the
 * judge's socket), nothing that reaches another process, outlives this
 * one, or moves it off its cores.
 *
 * Started as `candidate.worker 3 echo`, it loads nothing and every
 * function is empty: the judge times the round trip to it, interleaved
 * with the candidate's calls, as the overhead to take off. It runs the
 * same code as the worker; only the candidate is missing.
 *
 * The loader decides nothing: every figure and every check is the judge's,
 * and its messages are codes (autocomp_wire.h).
 *
 * It includes autocomp_wire.h (the message layout) and nothing else of
 * ours, on purpose: the candidate's object is loaded into this process,
 * so every helper here is code a hostile candidate runs beside. The
 * harness headers' helpers (autocomp.h, autocomp_judge.h) are written for
 * the judge's process, which trusts them; a loader that shared them would
 * change with every change to the judge. Where this file builds a struct
 * the way they do (memset, then the fields), the likeness is kept, not
 * shared.
 */
#ifndef AUTOCOMP_WORKER_H
#define AUTOCOMP_WORKER_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include "autocomp_wire.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#if defined(__x86_64__)
#define AC__ARCH AUDIT_ARCH_X86_64
#define AC__NG 6   /* integer argument registers */
#include <asm/prctl.h>
#elif defined(__aarch64__)
#define AC__ARCH AUDIT_ARCH_AARCH64
#define AC__NG 8
#else
#error "the candidate's process needs x86-64 or aarch64 (argument registers)"
#endif
#define AC__NF 8    /* floating-point argument registers */
#define AC__NS 24   /* stack slots: AC__W_MAXARGS - AC__NG at most */

#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41
#endif

/* --- calling a function whose prototype is known only at run time ---- */

/*
 * Every forwarded parameter is an integer-class value of at most 8 bytes
 * (integers, enums, pointers), a float or a double. On both ABIs these go,
 * in order, into the next free integer or floating-point register and,
 * once those run out, into the next 8-byte stack slot. So one canonical
 * prototype with every register and enough stack slots calls any such
 * function correctly: a float travels as the low 32 bits of a double's
 * register or slot, exactly where the callee reads it.
 */
#if AC__NG == 6
#define AC__GPARAMS uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t
#define AC__GARGS(g) g[0], g[1], g[2], g[3], g[4], g[5]
#else
#define AC__GPARAMS uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t
#define AC__GARGS(g) g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7]
#endif
#define AC__FPARAMS double, double, double, double, double, double, double, double
#define AC__FARGS(x) x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]
#define AC__S8 uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t
#define AC__SPARAMS AC__S8, AC__S8, AC__S8
#define AC__SARGS(s) s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9], s[10], \
	s[11], s[12], s[13], s[14], s[15], s[16], s[17], s[18], s[19], s[20], s[21],     \
	s[22], s[23]

typedef uint64_t (*ac__wifn)(AC__GPARAMS, AC__FPARAMS, AC__SPARAMS);
typedef double (*ac__wdfn)(AC__GPARAMS, AC__FPARAMS, AC__SPARAMS);

/* Calls f with m's arguments; returns the return value's bits. *bad set
 * when the arguments do not fit the canonical prototype. */
static uint64_t ac__w_call(void (*f)(void), const struct ac__wmsg *m, int *bad)
{
	uint64_t g[AC__NG] = { 0 }, s[AC__NS] = { 0 };
	double x[AC__NF] = { 0 };
	int gi = 0, xi = 0, si = 0;
	uint64_t ret = 0;
	uint32_t i;

	*bad = 0;
	for (i = 0; i < m->nargs && i < AC__W_MAXARGS; i++) {
		uint64_t bits = m->bits[i];

		if (m->cls[i] == AC__WC_INT) {
			if (gi < AC__NG)
				g[gi++] = bits;
			else if (si < AC__NS)
				s[si++] = bits;
			else
				*bad = 1;
		} else if (m->cls[i] == AC__WC_F32 || m->cls[i] == AC__WC_F64) {
			if (xi < AC__NF)
				memcpy(&x[xi++], &bits, sizeof bits);
			else if (si < AC__NS)
				s[si++] = bits;
			else
				*bad = 1;
		} else {
			*bad = 1;
		}
	}
	if (*bad)
		return 0;
	if (m->ret_cls == AC__WC_F32 || m->ret_cls == AC__WC_F64) {
		double d = ((ac__wdfn)(void *)f)(AC__GARGS(g), AC__FARGS(x), AC__SARGS(s));

		memcpy(&ret, &d, sizeof ret);
		if (m->ret_cls == AC__WC_F32)
			ret &= 0xffffffffu;
	} else {
		ret = ((ac__wifn)(void *)f)(AC__GARGS(g), AC__FARGS(x), AC__SARGS(s));
	}
	return ret;
}

/* Puts the vector registers' state back to its initial configuration after
 * a call: the kernel then saves and restores none of it when it switches
 * to the judge and back, as for the echo, whose empty calls never touch
 * it. Otherwise a candidate's AVX-512 registers (2 KiB a switch) would
 * make its round trips longer than the echo's, and read as its time. */
static void ac__w_vector_rest(void)
{
#if defined(__x86_64__) && defined(__AVX__)
	__asm__ volatile("vzeroupper" ::: "memory");
#endif
#if defined(__x86_64__) && defined(__AVX512F__)
	/* XRSTOR of opmask, ZMM_Hi256 and Hi16_ZMM (XCR0 bits 5-7) from a
	 * header that says they are in their initial state */
	static char area[4096] __attribute__((aligned(64)));

	__asm__ volatile("xrstor64 %0" : : "m"(area), "a"(0xe0u), "d"(0u) : "memory");
#endif
}

/* The echo's functions: nothing, through the same path. */
static uint64_t ac__w_nothing(void)
{
	return 0;
}

/* --- the lock: an allow-list -------------------------------------------- */

#define AC__WBPF_MAX 512

struct ac__wbpf {
	struct sock_filter f[AC__WBPF_MAX];
	unsigned short n;
	unsigned short allow_jumps[160];   /* JEQ instructions that jump to ALLOW */
	unsigned short nallow;
};

static void ac__wbpf_put(struct ac__wbpf *p, struct sock_filter s)
{
	if (p->n < AC__WBPF_MAX)
		p->f[p->n++] = s;
}

#define AC__LD_NR BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr))
#define AC__LD_ARG(k) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, \
	offsetof(struct seccomp_data, args) + 8 * (k))
#define AC__LD_ARGHI(k) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, \
	offsetof(struct seccomp_data, args) + 8 * (k) + 4)
#define AC__RET(v) BPF_STMT(BPF_RET | BPF_K, (v))
#define AC__ALLOW AC__RET(SECCOMP_RET_ALLOW)
#define AC__EPERM AC__RET(SECCOMP_RET_ERRNO | EPERM)

/* nr -> allowed (a jump to the shared ALLOW at the end). */
static void ac__wbpf_allow(struct ac__wbpf *p, long nr)
{
	if (p->nallow < sizeof p->allow_jumps / sizeof p->allow_jumps[0])
		p->allow_jumps[p->nallow++] = p->n;
	ac__wbpf_put(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0, 0));
}

/* nr -> fails with err. */
static void ac__wbpf_errno(struct ac__wbpf *p, long nr, int err)
{
	ac__wbpf_put(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0, 1));
	ac__wbpf_put(p, (struct sock_filter)AC__RET(SECCOMP_RET_ERRNO | (err & SECCOMP_RET_DATA)));
}

/* nr allowed only when (arg k & mask) is 0 (clear) or not 0 (!clear). */
static void ac__wbpf_allow_bits(struct ac__wbpf *p, long nr, int k, uint32_t mask, int clear)
{
	ac__wbpf_put(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0, 4));
	ac__wbpf_put(p, (struct sock_filter)AC__LD_ARG(k));
	ac__wbpf_put(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, mask,
	                                             clear ? 0 : 1, clear ? 1 : 0));
	ac__wbpf_put(p, (struct sock_filter)AC__EPERM);
	ac__wbpf_put(p, (struct sock_filter)AC__ALLOW);
}

/* nr allowed only when arg k (its low 32 bits) is one of v[0..nv). */
static void ac__wbpf_allow_in(struct ac__wbpf *p, long nr, int k, const uint32_t *v, int nv)
{
	int i;

	ac__wbpf_put(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0,
	                                             (uint8_t)(nv + 3)));
	ac__wbpf_put(p, (struct sock_filter)AC__LD_ARG(k));
	for (i = 0; i < nv; i++)
		ac__wbpf_put(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, v[i],
		                                             (uint8_t)(nv - i), 0));
	ac__wbpf_put(p, (struct sock_filter)AC__EPERM);
	ac__wbpf_put(p, (struct sock_filter)AC__ALLOW);
}

static void ac__w_pool_body(void *arg)
{
	(void)arg;
}

/* With OMP_NUM_THREADS above 1, starts GCC's OpenMP runtime and its
 * thread pool before the lock, each thread placed on one of the cores
 * the process was given (OMP_PROC_BIND and OMP_PLACES, from the judge):
 * placing a thread is a sched_setaffinity, which the filter turns into
 * nothing. The candidate's parallel regions then reuse these threads (its
 * candidate.so needs the same libgomp.so.1, already loaded); left to the
 * scheduler, a woken pool thread could queue behind the main one on its
 * core, and a call on two cores took the time of one. With one thread,
 * or a runtime that does not load, nothing is started. */
static void ac__w_pool(void)
{
	const char *threads = getenv("OMP_NUM_THREADS");
	void (*parallel)(void (*)(void *), void *, unsigned, unsigned);
	void *gomp;

	if (!threads || atoi(threads) < 2)
		return;
	gomp = dlopen("libgomp.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!gomp)
		return;
	*(void **)&parallel = dlsym(gomp, "GOMP_parallel");
	if (parallel)
		parallel(ac__w_pool_body, NULL, 0, 0);
}

/* Installs the filter; 0 or -errno. self is this process's pid as it sees
 * it (signals may go only there). */
static int ac__w_lock(pid_t self)
{
	/*
	 * Allowed as they are, and why:
	 *  - memory: mmap, munmap, mprotect, mremap, madvise, brk, msync
	 *    (a kernel allocates; mappings die with the process);
	 *  - threads: futex, set_robust_list, rseq, set_tid_address, gettid,
	 *    exit, sched_yield, sched_getaffinity (to count its cores), getcpu,
	 *    restart_syscall; clone below;
	 *  - signals of its own: rt_sigaction, rt_sigprocmask, rt_sigreturn,
	 *    sigaltstack (fault handlers; signals to others are below);
	 *  - reading: read, pread64, readv, lseek, close, fstat, newfstatat,
	 *    statx, getdents64, readlinkat, faccessat, getcwd, statfs, fstatfs
	 *    (data files and dlopen; every open is read-only, below);
	 *  - the judge's socket: recvmsg, recvfrom, sendmsg, sendto (the only
	 *    socket it has; it may create none);
	 *  - clocks and facts: clock_gettime, clock_getres, clock_nanosleep,
	 *    nanosleep, gettimeofday, getrandom, uname, sysinfo, getrusage,
	 *    times, getpid, getppid, getuid, geteuid, getgid, getegid,
	 *    getpriority, sched_getparam, sched_getscheduler;
	 *  - exit_group.
	 * Allowed with a condition: write/writev to stdout and stderr only;
	 * openat/open read-only; clone for threads only (CLONE_THREAD);
	 * kill/tgkill/rt_sigqueueinfo/rt_tgsigqueueinfo to this process only;
	 * fcntl's descriptor flags (no F_SETOWN, F_SETSIG, F_NOTIFY, O_ASYNC:
	 * nothing may run between calls); ioctl TCGETS/TIOCGWINSZ (isatty);
	 * prctl naming threads and mappings; prlimit64 reading this process's
	 * limits; arch_prctl (x86-64: reading and setting its own TLS base).
	 * Everything else fails with EPERM: other processes (ptrace,
	 * process_vm_*, kcmp, pidfd_*), new processes and programs (fork,
	 * execve), sockets and pipes, timers and asynchronous I/O (setitimer,
	 * timer_create, io_uring, eventfd, signalfd), writing or changing any
	 * file (creat, write-opens, rename, unlink, chmod, utimensat,
	 * truncate, fallocate, setxattr...), state that outlives it (System V
	 * IPC, message queues, keys, memfd_create), moving off its cores or
	 * rising in priority (setpriority, sched_setscheduler, sched_setattr),
	 * and anything else not named. sched_setaffinity does nothing and
	 * returns 0: the process stays on its cores, and an OpenMP team larger
	 * than the pool (num_threads) still starts, its new threads unplaced,
	 * where a refusal would stop libgomp.
	 * clone3 and openat2 fail with ENOSYS (their arguments are out of a
	 * filter's sight) so glibc falls back to clone and openat.
	 */
	static const long plain[] = {
		SYS_mmap, SYS_munmap, SYS_mprotect, SYS_mremap, SYS_madvise, SYS_brk, SYS_msync,
		SYS_futex, SYS_set_robust_list, SYS_rseq, SYS_set_tid_address, SYS_gettid,
		SYS_exit, SYS_sched_yield, SYS_sched_getaffinity, SYS_getcpu, SYS_restart_syscall,
		SYS_rt_sigaction, SYS_rt_sigprocmask, SYS_rt_sigreturn, SYS_sigaltstack,
		SYS_read, SYS_pread64, SYS_readv, SYS_lseek, SYS_close, SYS_fstat, SYS_newfstatat,
		SYS_statx, SYS_getdents64, SYS_readlinkat, SYS_faccessat, SYS_getcwd, SYS_statfs,
		SYS_fstatfs, SYS_recvmsg, SYS_recvfrom, SYS_sendmsg, SYS_sendto,
		SYS_clock_gettime, SYS_clock_getres, SYS_clock_nanosleep, SYS_nanosleep,
		SYS_gettimeofday, SYS_getrandom, SYS_uname, SYS_sysinfo, SYS_getrusage, SYS_times,
		SYS_getpid, SYS_getppid, SYS_getuid, SYS_geteuid, SYS_getgid, SYS_getegid,
		SYS_getpriority, SYS_sched_getparam, SYS_sched_getscheduler, SYS_exit_group,
#ifdef SYS_futex_waitv
		SYS_futex_waitv,
#endif
#if defined(__x86_64__)
		SYS_stat, SYS_lstat, SYS_access, SYS_readlink, SYS_getdents, SYS_time,
		SYS_getrlimit, SYS_arch_prctl,
#endif
	};
	static const uint32_t std_fds[] = { 1, 2 };
	static const uint32_t tty_ioctls[] = { TCGETS, TIOCGWINSZ };
	static const uint32_t prctls[] = { PR_SET_NAME, PR_GET_NAME, PR_SET_VMA };
	static const uint32_t fcntls[] = { F_GETFD, F_SETFD, F_GETFL, F_DUPFD, F_DUPFD_CLOEXEC };
	const uint32_t writes = O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND;
	const uint32_t me = (uint32_t)self;
	static struct ac__wbpf p;
	struct sock_fprog prog;
	size_t i;

	memset(&p, 0, sizeof p);
	ac__wbpf_put(&p, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
	                                              offsetof(struct seccomp_data, arch)));
	ac__wbpf_put(&p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AC__ARCH, 1, 0));
	ac__wbpf_put(&p, (struct sock_filter)AC__RET(SECCOMP_RET_KILL_PROCESS));
	ac__wbpf_put(&p, (struct sock_filter)AC__LD_NR);
#if defined(__x86_64__)
	/* the x32 numbers are another door to the same calls */
	ac__wbpf_put(&p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 1));
	ac__wbpf_put(&p, (struct sock_filter)AC__EPERM);
#endif
	for (i = 0; i < sizeof plain / sizeof plain[0]; i++)
		ac__wbpf_allow(&p, plain[i]);
	ac__wbpf_errno(&p, SYS_clone3, ENOSYS);
	ac__wbpf_errno(&p, SYS_sched_setaffinity, 0);
	ac__wbpf_errno(&p, SYS_openat2, ENOSYS);
	/* threads yes, processes no */
	ac__wbpf_allow_bits(&p, SYS_clone, 0, CLONE_THREAD, 0);
	/* files open for reading only */
	ac__wbpf_allow_bits(&p, SYS_openat, 2, writes, 1);
#ifdef SYS_open
	ac__wbpf_allow_bits(&p, SYS_open, 1, writes, 1);
#endif
	/* printing; the socket is spoken to with sendmsg */
	ac__wbpf_allow_in(&p, SYS_write, 0, std_fds, 2);
	ac__wbpf_allow_in(&p, SYS_writev, 0, std_fds, 2);
	/* signals to itself only: raise, abort, pthread_kill */
	ac__wbpf_allow_in(&p, SYS_kill, 0, &me, 1);
	ac__wbpf_allow_in(&p, SYS_tgkill, 0, &me, 1);
	ac__wbpf_allow_in(&p, SYS_rt_sigqueueinfo, 0, &me, 1);
	ac__wbpf_allow_in(&p, SYS_rt_tgsigqueueinfo, 0, &me, 1);
	ac__wbpf_allow_in(&p, SYS_ioctl, 1, tty_ioctls, 2);
	ac__wbpf_allow_in(&p, SYS_prctl, 0, prctls, 3);
	/* F_SETFL without O_ASYNC (signal-driven I/O would run code between calls) */
	ac__wbpf_put(&p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_fcntl, 0, 7));
	ac__wbpf_put(&p, (struct sock_filter)AC__LD_ARG(1));
	ac__wbpf_put(&p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, F_SETFL, 0, 4));
	ac__wbpf_put(&p, (struct sock_filter)AC__LD_ARG(2));
	ac__wbpf_put(&p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, O_ASYNC, 0, 1));
	ac__wbpf_put(&p, (struct sock_filter)AC__EPERM);
	ac__wbpf_put(&p, (struct sock_filter)AC__ALLOW);
	ac__wbpf_put(&p, (struct sock_filter)AC__LD_NR);
	ac__wbpf_allow_in(&p, SYS_fcntl, 1, fcntls, 5);
	/* prlimit64(0 or self, resource, NULL, old): reading its own limits */
	ac__wbpf_put(&p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_prlimit64, 0, 9));
	ac__wbpf_put(&p, (struct sock_filter)AC__LD_ARG(2));
	ac__wbpf_put(&p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 5));
	ac__wbpf_put(&p, (struct sock_filter)AC__LD_ARGHI(2));
	ac__wbpf_put(&p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 3));
	ac__wbpf_put(&p, (struct sock_filter)AC__LD_ARG(0));
	ac__wbpf_put(&p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 2, 0));
	ac__wbpf_put(&p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, me, 1, 0));
	ac__wbpf_put(&p, (struct sock_filter)AC__EPERM);
	ac__wbpf_put(&p, (struct sock_filter)AC__ALLOW);
	/* everything else */
	ac__wbpf_put(&p, (struct sock_filter)AC__EPERM);
	ac__wbpf_put(&p, (struct sock_filter)AC__ALLOW);
	if (p.n >= AC__WBPF_MAX)
		return -E2BIG;
	for (i = 0; i < p.nallow; i++) {
		unsigned at = p.allow_jumps[i], to = (unsigned)p.n - 1;

		if (to - at - 1 > 255)
			return -E2BIG;
		p.f[at].jt = (uint8_t)(to - at - 1);
	}
	prog.len = p.n;
	prog.filter = p.f;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -errno;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog) != 0)
		return -errno;
	return 0;
}

/* --- what it may read: Landlock -------------------------------------- */

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif

/* Allows access under path (best effort: a path that does not exist is
 * left out). */
static void ac__w_ll_allow(int ruleset, const char *path, uint64_t access)
{
	struct landlock_path_beneath_attr pb;
	int fd = open(path, O_PATH | O_CLOEXEC);

	if (fd < 0)
		return;
	pb.allowed_access = access;
	pb.parent_fd = fd;
	if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) != 0 &&
	    errno == EINVAL) {
		/* a file takes no directory rights */
		pb.allowed_access = access & (LANDLOCK_ACCESS_FS_READ_FILE |
		                              LANDLOCK_ACCESS_FS_EXECUTE);
		syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
	}
	close(fd);
}

/* Confines what the process may open to its own directory (the
 * evaluation's: candidate.so and the kernel's files), the system's
 * libraries and the few files the C and OpenMP runtimes read: no other
 * evaluation's files, no /proc of other processes. Returns 1 when the
 * kernel applied it, 0 when it has no Landlock (the filter still keeps
 * every file read-only). */
static int ac__w_confine(const char *self_path)
{
	const uint64_t read = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR |
	                      LANDLOCK_ACCESS_FS_EXECUTE;
	struct landlock_ruleset_attr attr;
	char dir[4096];
	const char *slash = strrchr(self_path, '/');
	int rs;

	memset(&attr, 0, sizeof attr);
	/* every right of ABI 1, so that nothing but the rules below is allowed */
	attr.handled_access_fs = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |
	                         LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR |
	                         LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |
	                         LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR |
	                         LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK |
	                         LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK |
	                         LANDLOCK_ACCESS_FS_MAKE_SYM;
	rs = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
	if (rs < 0)
		return 0;
	snprintf(dir, sizeof dir, "%.*s", slash && slash > self_path ? (int)(slash - self_path) : 1,
	         slash ? self_path : ".");
	ac__w_ll_allow(rs, dir, read);
	ac__w_ll_allow(rs, "/usr", read);
	ac__w_ll_allow(rs, "/lib", read);
	ac__w_ll_allow(rs, "/lib64", read);
	ac__w_ll_allow(rs, "/etc/ld.so.cache", read);
	ac__w_ll_allow(rs, "/etc/localtime", read);
	ac__w_ll_allow(rs, "/sys/devices/system/cpu", read);
	ac__w_ll_allow(rs, "/proc/cpuinfo", read);
	ac__w_ll_allow(rs, "/dev/null", read);
	ac__w_ll_allow(rs, "/dev/urandom", read);
	if (syscall(SYS_landlock_restrict_self, rs, 0) != 0) {
		close(rs);
		return 0;
	}
	close(rs);
	return 1;
}

/* --- serving the judge ------------------------------------------------ */

static int ac__w_sock = -1;
static void (*ac__w_fns[AC__NFNS > 0 ? AC__NFNS : 1])(void);
static uint64_t ac__w_map_failed;   /* an address that did not map (reported with CALL) */

/* A fault: tell the judge the signal and the address, then die of it
 * (SA_RESETHAND: returning re-runs the access with the default action).
 * The judge knows its own buffers and says what the address was. */
static void ac__w_fault(int sig, siginfo_t *si, void *uc)
{
	struct ac__wreply rep;

	(void)uc;
	memset(&rep, 0, sizeof rep);
	rep.kind = AC__W_CRASH;
	rep.status = sig;
	rep.ret_bits = (uint64_t)(uintptr_t)si->si_addr;
	send(ac__w_sock, &rep, sizeof rep, MSG_NOSIGNAL);
}

static void ac__w_reply(uint32_t kind, int status, uint64_t bits, uint64_t nonce, const char *text)
{
	struct ac__wreply rep;

	memset(&rep, 0, sizeof rep);
	rep.kind = kind;
	rep.status = status;
	rep.ret_bits = bits;
	rep.nonce = nonce;
	if (text)
		snprintf(rep.text, sizeof rep.text, "%s", text);
	send(ac__w_sock, &rep, sizeof rep, MSG_NOSIGNAL);
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

static int ac__w_started;   /* START came: the judge may write the blocks any time */

/* Makes every page of a writable shared mapping writable in the page
 * tables (a kernel without MADV_POPULATE_WRITE: each page's first byte
 * written back as it is, which only before START, while the judge writes
 * nothing, is safe). */
static void ac__w_writable(char *p, size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), off;

	if (madvise(p, len, MADV_POPULATE_WRITE) == 0 || ac__w_started)
		return;
	for (off = 0; off < len; off += page) {
		volatile char *b = p + off;

		*b = *b;
	}
}

/* Maps (or maps again, read-only or read-write) the blocks of a MAP. */
static void ac__w_map(const struct ac__wmsg *m, const int *fds, int nfds)
{
	uint32_t i;

	for (i = 0; i < m->nmaps && i < AC__W_MAXMAPS; i++) {
		const struct ac__wmap *w = &m->maps[i];
		int prot = PROT_READ | (w->writable ? PROT_WRITE : 0);
		void *want = (void *)(uintptr_t)w->addr;
		void *got;

		if ((int)i >= nfds) {
			ac__w_map_failed = w->addr;
			break;
		}
		munmap(want, (size_t)w->len);
		got = mmap(want, (size_t)w->len, prot, MAP_SHARED | MAP_FIXED_NOREPLACE | MAP_POPULATE,
		           fds[i], 0);
		if (got != want) {
			if (got != MAP_FAILED)
				munmap(got, (size_t)w->len);
			ac__w_map_failed = w->addr;
		} else if (w->writable) {
			/* MAP_POPULATE maps a shared page read-only until its first
			 * write: fault them writable now, not in the first calls */
			ac__w_writable((char *)want, (size_t)w->len);
		}
	}
}

static void ac__w_unmap(const struct ac__wmsg *m)
{
	uint32_t i;

	for (i = 0; i < m->nmaps && i < AC__W_MAXMAPS; i++)
		munmap((void *)(uintptr_t)m->maps[i].addr, (size_t)m->maps[i].len);
}

/* Receives one message and the descriptors that came with it. <= 0: the
 * judge is gone. */
static ssize_t ac__w_recv(struct ac__wmsg *m, int *fds, int *nfds)
{
	char cbuf[CMSG_SPACE(sizeof(int) * AC__W_MAXMAPS)];
	struct iovec iov = { m, sizeof *m };
	struct msghdr mh;
	struct cmsghdr *c;
	ssize_t n;

	for (;;) {
		memset(&mh, 0, sizeof mh);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof cbuf;
		n = recvmsg(ac__w_sock, &mh, MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		break;
	}
	*nfds = 0;
	for (c = CMSG_FIRSTHDR(&mh); n > 0 && c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int)), j;

			for (j = 0; j < k && *nfds < AC__W_MAXMAPS; j++)
				memcpy(&fds[(*nfds)++], CMSG_DATA(c) + j * sizeof(int), sizeof(int));
		}
	}
	if (n > 0 && (size_t)n != sizeof *m)
		m->kind = 0;   /* not a message of ours: ignored */
	return n;
}

/* Loads candidate.so (beside this program) and finds the functions. */
static int ac__w_load(const char *self_path, char *why, size_t whylen, uint64_t *which)
{
	char path[4200];
	const char *slash = strrchr(self_path, '/');
	void *h;
	int i;

	snprintf(path, sizeof path, "%.*scandidate.so", slash ? (int)(slash - self_path + 1) : 0,
	         self_path);
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *e = dlerror();

		snprintf(why, whylen, "%s", e ? e : "dlopen failed");
		return AC__WS_LOAD;
	}
	for (i = 0; i < AC__NFNS; i++) {
		void *f = dlsym(h, ac__names[i]);

		if (!f) {
			*which = (uint64_t)i;
			return AC__WS_SYM;
		}
		memcpy(&ac__w_fns[i], &f, sizeof f);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	stack_t ss;
	static char altstack[64 * 1024];
	char self_path[4096], why[160] = "";
	int echo = argc == 3 && !strcmp(argv[2], "echo");
	uint64_t which = 0;
	ssize_t n;
	int rc, i, confined;

	if ((argc != 2 && !echo) || strcmp(argv[1], "3") != 0 || fcntl(3, F_GETFD) < 0) {
		fprintf(stderr, "%s: the candidate's process; ./candidate starts it\n", argv[0]);
		return 2;
	}
	ac__w_sock = 3;
	n = readlink("/proc/self/exe", self_path, sizeof self_path - 1);
	self_path[n > 0 ? n : 0] = '\0';
	ss.ss_sp = altstack;
	ss.ss_size = sizeof altstack;
	ss.ss_flags = 0;
	sigaltstack(&ss, NULL);
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = ac__w_fault;
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_ONSTACK;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGFPE, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);
	for (i = 0; i < AC__NFNS; i++)
		ac__w_fns[i] = (void (*)(void))(void *)ac__w_nothing;

	/* the buffers, then the lock, then the candidate */
	for (;;) {
		struct ac__wmsg m;
		int fds[AC__W_MAXMAPS], nfds = 0;

		if (ac__w_recv(&m, fds, &nfds) <= 0)
			return 0;
		if (m.kind == AC__W_MAP)
			ac__w_map(&m, fds, nfds);
		while (nfds > 0)
			close(fds[--nfds]);
		if (m.kind == AC__W_START)
			break;
	}
	ac__w_started = 1;
	if (ac__w_map_failed) {
		ac__w_reply(AC__W_START, AC__WS_MAP, ac__w_map_failed, 0, NULL);
		return 3;
	}
	confined = ac__w_confine(self_path);
	ac__w_pool();
	rc = ac__w_lock(getpid());
	if (rc < 0) {
		/* refuse to run unlocked: the judge reports why */
		ac__w_reply(AC__W_START, AC__WS_LOCK, (uint64_t)-rc, 0, NULL);
		return 3;
	}
	rc = echo ? 0 : ac__w_load(self_path, why, sizeof why, &which);
	ac__w_reply(AC__W_START, rc, rc ? which : (uint64_t)confined, 0, rc ? why : NULL);
	if (rc)
		return 3;

	for (;;) {
		struct ac__wmsg m;
		int fds[AC__W_MAXMAPS], nfds = 0;

		if (ac__w_recv(&m, fds, &nfds) <= 0)
			return 0;   /* the judge is done */
		switch (m.kind) {
		case AC__W_MAP:
			ac__w_map(&m, fds, nfds);
			break;
		case AC__W_UNMAP:
			ac__w_unmap(&m);
			break;
		case AC__W_CALL: {
			int bad = 0;
			uint64_t ret = 0;

			if (ac__w_map_failed) {
				ac__w_reply(AC__W_CALL, AC__WS_MAP, ac__w_map_failed, m.nonce, NULL);
				break;
			}
			if (m.fn >= AC__NFNS) {
				ac__w_reply(AC__W_CALL, AC__WS_FN, 0, m.nonce, NULL);
				break;
			}
			ret = ac__w_call(ac__w_fns[m.fn], &m, &bad);
			ac__w_vector_rest();
			ac__w_reply(AC__W_CALL, bad ? AC__WS_ARGS : 0, ret, m.nonce, NULL);
			break;
		}
		default:
			break;
		}
		while (nfds > 0)
			close(fds[--nfds]);
	}
}

#endif
