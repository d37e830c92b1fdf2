/*
 * autocomp_wire.h - the messages between the judge and the candidate's
 * process (the worker), shared by autocomp_judge.h and autocomp_worker.h.
 *
 * One SOCK_SEQPACKET socket pair, one fixed-size message each way. The
 * judge sends MAP (the buffers of the next call, their descriptors passed
 * with SCM_RIGHTS), CALL (which function, the argument bits), UNMAP and
 * PING; the worker answers MAP, CALL and PING with a reply, and sends an
 * unasked CRASH reply from its fault handler. Nothing the worker sends is
 * trusted: the judge reads only the status, the return value's bits and a
 * bounded text.
 */
#ifndef AUTOCOMP_WIRE_H
#define AUTOCOMP_WIRE_H

#include <stdint.h>

#define AC__W_MAXARGS 30      /* parameters of one forwarded function */
#define AC__W_MAXMAPS 16      /* distinct ac_alloc blocks one call may pass */

/* Where ac_alloc blocks live, at the same address in both processes: far
 * from where the kernel puts heaps, libraries and stacks on x86-64 and
 * aarch64 (48-bit address spaces). */
#define AC__W_BASE ((uintptr_t)0x300000000000ULL)

enum ac__wkind {
	AC__W_MAP = 1,
	AC__W_CALL = 2,
	AC__W_UNMAP = 3,
	AC__W_PING = 4,
	AC__W_CRASH = 5,
};

/* Argument classes: how a value travels and how the worker passes it. */
enum ac__wclass {
	AC__WC_VOID = 0,
	AC__WC_INT = 1,    /* integers, enums, bool, pointers: up to 8 bytes */
	AC__WC_F32 = 2,
	AC__WC_F64 = 3,
};

struct ac__wmap {
	uint64_t addr;
	uint64_t len;
	uint32_t writable;   /* 0: mapped read-only from a read-only descriptor */
	uint32_t pad;
};

struct ac__wmsg {
	uint32_t kind;
	uint32_t fn;         /* CALL: index into the generated function table */
	uint32_t nargs;
	uint32_t nmaps;      /* MAP: descriptors sent with the message, in order */
	uint8_t cls[AC__W_MAXARGS];
	uint8_t ret_cls;
	uint8_t pad[1];
	uint64_t bits[AC__W_MAXARGS];
	struct ac__wmap maps[AC__W_MAXMAPS];
};

struct ac__wreply {
	uint32_t kind;
	int32_t status;      /* 0, or an errno the worker met (MAP) */
	uint64_t ret_bits;
	char text[240];      /* why, for a failed MAP or a CRASH */
};

#endif
