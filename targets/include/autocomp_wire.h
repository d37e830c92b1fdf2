/*
 * autocomp_wire.h - the messages between the judge and the candidate's
 * process (the worker), shared by autocomp_judge.h and autocomp_worker.h.
 *
 * One SOCK_SEQPACKET socket pair, one fixed-size message each way:
 *
 *     judge                                  worker (trusted loader)
 *     MAP (blocks, their descriptors) ...  ->  maps them at the judge's addresses
 *     START                                ->  locks itself in (seccomp), then
 *                                              loads candidate.so; nothing of the
 *                                         <-   candidate ran before this: START
 *     MAP / UNMAP (when blocks change)     ->  (no reply)
 *     CALL (function, argument bits, nonce)->  calls it
 *                                         <-   CALL (return bits, the nonce)
 *                                         <-   CRASH, unasked, from its fault handler
 *
 * Everything the worker sends is data: the judge reads a status code, the
 * return value's bits, the nonce and, in a START that failed, a bounded
 * text it quotes as the loader's words. A reply of another kind, out of
 * turn, or with the wrong nonce is a run error; the judge phrases every
 * message itself.
 */
#ifndef AUTOCOMP_WIRE_H
#define AUTOCOMP_WIRE_H

#include <stdint.h>

#define AC__W_MAXARGS 30      /* parameters of one forwarded function */
#define AC__W_MAXMAPS 16      /* blocks (and descriptors) in one MAP message */

/* Where ac_alloc blocks live, at the same address in both processes: far
 * from where the kernel puts heaps, libraries and stacks on x86-64 and
 * aarch64 (48-bit address spaces). */
#define AC__W_BASE ((uintptr_t)0x300000000000ULL)

enum ac__wkind {
	AC__W_MAP = 1,
	AC__W_CALL = 2,
	AC__W_START = 3,
	AC__W_UNMAP = 4,
	AC__W_CRASH = 5,
};

/* Argument classes: how a value travels and how the worker passes it. */
enum ac__wclass {
	AC__WC_VOID = 0,
	AC__WC_INT = 1,    /* integers, enums, bool, pointers: up to 8 bytes */
	AC__WC_F32 = 2,
	AC__WC_F64 = 3,
};

/* A START or CALL reply's status: 0, an errno, or one of these. */
enum ac__wstatus {
	AC__WS_LOCK = 1001,   /* seccomp could not be installed */
	AC__WS_LOAD = 1002,   /* candidate.so did not load (text: the loader's words) */
	AC__WS_SYM = 1003,    /* a function is missing from it (ret_bits: its index) */
	AC__WS_MAP = 1004,    /* a block could not be mapped (ret_bits: its address) */
	AC__WS_ARGS = 1005,   /* the arguments do not fit the registers and stack slots */
	AC__WS_FN = 1006,     /* no such function index */
};

struct ac__wmap {
	uint64_t addr;
	uint64_t len;
	uint32_t writable;   /* 0: mapped read-only from a read-only descriptor */
	uint32_t pad;
};

struct ac__wmsg {
	uint32_t kind;
	uint32_t fn;         /* CALL: index into the input's functions */
	uint32_t nargs;
	uint32_t nmaps;      /* MAP/UNMAP: entries in maps (MAP: descriptors sent in order) */
	uint64_t nonce;      /* CALL: the reply must carry it back */
	uint8_t cls[AC__W_MAXARGS];
	uint8_t ret_cls;
	uint8_t pad[1];
	uint64_t bits[AC__W_MAXARGS];
	struct ac__wmap maps[AC__W_MAXMAPS];
};

struct ac__wreply {
	uint32_t kind;
	int32_t status;      /* 0, an errno or an ac__wstatus; CRASH: the signal */
	uint64_t ret_bits;   /* CALL: the return value; CRASH: the fault address */
	uint64_t nonce;      /* CALL: the request's */
	char text[160];      /* START with AC__WS_LOAD: the loader's words, quoted as such */
};

#endif
