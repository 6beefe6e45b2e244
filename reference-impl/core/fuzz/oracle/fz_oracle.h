/* SPDX-License-Identifier: MIT */
/*
 * fz_oracle.h - what one extension's oracle tells the harness about its
 * functions. The generic checks (statuses, the segment of platform events,
 * the trace hook) live in fz_oracle.c; what only one extension knows lives
 * here, one file per extension, beside the name of the handler it mirrors
 * (oracle/ext_ipi.c mirrors core/ext_ipi.c).
 */
#ifndef HCABI_FZ_ORACLE_H
#define HCABI_FZ_ORACLE_H

#include "fz_model.h"

/* One executed call (a direct call or a BATCH entry) and what its segment
 * of platform events has shown so far. */
struct fz_seg {
	const struct callctx *c;		/* RAX and the arguments */
	const struct fz_fn *f;			/* the function, if present (else NULL) */
	const struct hcabi_ref_trace_event *ev; /* status, value, action */
	bool direct;				/* not a BATCH entry */
	bool runs;    /* the function's body ran: present, batchable, no reserved bit */
	bool effects; /* it may have had effects: SUCCESS, or a host failure hit it */
	bool seen[FZ_MAX_VCPUS]; /* vCPUs an interrupt or a flush already went to */
	unsigned n_inject, n_tlb, n_start, n_release, n_tarm;
};

struct fz_ext_oracle {
	uint32_t eid;
	/* Is platform event e one this call may cause? Checks its details
	 * (CHECK) and counts it in s. NULL: the extension causes none. */
	bool (*event)(struct fz_seg *s, const struct ev *e);
	/* May a successful call write guest memory [g, g + len)? */
	bool (*may_write)(const struct fz_seg *s, uint64_t g, uint64_t len);
	/* A SUCCESS with no host failure did all it must (the counts of s). */
	void (*complete)(const struct fz_seg *s);
	/* Values and state-dependent statuses, against the shadow model as it
	 * was before the call; only for calls that ran with no host failure. */
	void (*values)(const struct fz_seg *s);
	/* The action a function that does not return ends with. */
	enum hcabi_ref_action (*action)(const struct fz_fn *f);
	/* The shadow model after the call. */
	void (*shadow)(const struct fz_seg *s);
};

#define FZ_ORACLE_EXT(X)                                                                           \
	X(base) X(console) X(time) X(vcpu) X(ipi) X(tlb) X(mem) X(steal) X(batch) X(system)
#define FZ__DECLARE_ORACLE(name) extern const struct fz_ext_oracle fz_oracle_##name;
FZ_ORACLE_EXT(FZ__DECLARE_ORACLE)
#undef FZ__DECLARE_ORACLE

/* Does the caller's registered steal record overlap [g, g + len)? For a
 * direct call, the steal update comes after the function's own writes,
 * so the bytes there are not the function's. */
bool fz_steal_rec_overlaps(bool direct, uint64_t g, uint64_t len);
/* Is vCPU t named by (mask, base)? */
bool fz_named(uint64_t mask, uint64_t base, uint32_t t);

#endif
