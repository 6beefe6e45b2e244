/* SPDX-License-Identifier: MIT */
/*
 * batch.c - BATCH.EXECUTE of random mixed tables, checked entry by entry.
 */
#include "common.h"

static struct hcabi_batch_entry batch_tab[MAXC][HCABI_BATCH_MAX_ENTRIES]
    __attribute__((aligned(64)));

/* ---- BATCH --------------------------------------------------------------------- */

enum bkind {
	BK_SPEC,
	BK_MONO,
	BK_ID,
	BK_COUNT,
	BK_STATUS,
	BK_PROBE,
	BK_YIELD,
	BK_KICK,
	BK_IPI,
	BK__N,
	BK_FAIL_KICK, /* INVALID_PARAM */
	BK_FAIL_BLOCK, /* DENIED */
	BK_FAIL_BATCH, /* DENIED */
};

#define SENT_STATUS 0x5a5a5a5a5a5aull
#define SENT_VALUE 0xa5a5a5a5a5a5ull

void batch_op(struct percpu *p)
{
	unsigned s = me();
	struct hcabi_batch_entry *tab = batch_tab[s];
	uint8_t kind[HCABI_BATCH_MAX_ENTRIES];
	uint8_t target[HCABI_BATCH_MAX_ENTRIES];
	unsigned count = 4 + (unsigned)(rnd(p) % (HCABI_BATCH_MAX_ENTRIES - 3)), fail_at = count;
	uint64_t t_before, t_after, last_mono, want;
	struct hcabi_ret r;

	set_op(OP_BATCH);
	if ((rnd(p) & 3) == 0)
		fail_at = count - 1 - (unsigned)(rnd(p) % (count < 4 ? count : 4));
	for (unsigned i = 0; i < count; i++) {
		struct hcabi_batch_entry *e = &tab[i];
		unsigned k = (unsigned)(rnd(p) % BK__N);
		unsigned t = (unsigned)(rnd(p) % nham);
		memset(e, 0, sizeof(*e));
		e->status = (int64_t)SENT_STATUS;
		e->value = SENT_VALUE;
		if (i == fail_at)
			k = BK_FAIL_KICK + (unsigned)(rnd(p) % 3);
		else if (i > fail_at)
			k = BK_SPEC; /* must stay unexecuted */
		if (k == BK_IPI && ipi_ready(s, 1ull << t) == 0)
			k = BK_SPEC;
		kind[i] = (uint8_t)k;
		target[i] = (uint8_t)t;
		switch (k) {
		case BK_SPEC:
			e->function_id = HCABI_FID_BASE_GET_SPEC_VERSION;
			break;
		case BK_MONO:
			e->function_id = HCABI_FID_TIME_GET_MONOTONIC;
			break;
		case BK_ID:
			e->function_id = HCABI_FID_VCPU_GET_ID;
			break;
		case BK_COUNT:
			e->function_id = HCABI_FID_VCPU_GET_COUNT;
			break;
		case BK_STATUS:
			e->function_id = HCABI_FID_VCPU_GET_STATUS;
			e->args[0] = t;
			break;
		case BK_PROBE:
			e->function_id = HCABI_FID_BASE_PROBE_EXTENSION;
			e->args[0] = HCABI_EID_IPI;
			break;
		case BK_YIELD:
			e->function_id = HCABI_FID_VCPU_YIELD;
			e->args[0] = HCABI_VCPU_ANY;
			break;
		case BK_KICK:
			e->function_id = HCABI_FID_VCPU_KICK;
			e->args[0] = t;
			break;
		case BK_IPI:
			e->function_id = HCABI_FID_IPI_SEND;
			e->args[0] = 1;
			e->args[1] = t;
			e->args[2] = VEC_IPI + s;
			hcabi_atomic_add(&ipi_sent[s][t], 1);
			break;
		case BK_FAIL_KICK:
			e->function_id = HCABI_FID_VCPU_KICK;
			e->args[0] = ncpu;
			break;
		case BK_FAIL_BLOCK:
			e->function_id = HCABI_FID_VCPU_BLOCK;
			e->args[0] = HCABI_SEC(100);
			break;
		default:
			e->function_id = HCABI_FID_BATCH_EXECUTE;
			e->args[0] = hcabi_gpa(tab);
			e->args[1] = 1;
			break;
		}
	}
	want = fail_at < count ? fail_at + 1 : count;
	t_before = hcabi_now_ns();
	r = hcabi_batch_execute(hcabi_gpa(tab), count);
	t_after = hcabi_now_ns();
	p->n_batch++;
	p->n_entries += want;
	if (!expect_ok(r, want, "BATCH.EXECUTE")) {
		fail("  (a table of %u entries, entry %u failing: %llu executed)", count, fail_at,
		     (unsigned long long)r.value);
		return;
	}
	last_mono = t_before;
	for (unsigned i = 0; i < count; i++) {
		const struct hcabi_batch_entry *e = &tab[i];
		int64_t st = e->status;
		uint64_t v = e->value;
		bool ok = st == HCABI_SUCCESS;
		if (i >= want) {
			if ((uint64_t)st != SENT_STATUS || v != SENT_VALUE)
				fail("BATCH entry %u after the failing entry %u was written (BATCH-003)",
				     i, fail_at);
			continue;
		}
		switch (kind[i]) {
		case BK_SPEC:
			ok = ok && v == hcabi_disc.spec;
			break;
		case BK_MONO:
			ok = ok && v >= last_mono && v <= t_after;
			if (ok)
				last_mono = v;
			break;
		case BK_ID:
			ok = ok && v == s;
			break;
		case BK_COUNT:
			ok = ok && v == ncpu;
			break;
		case BK_STATUS:
			ok = ok && (target[i] == s ? v == HCABI_VCPU_STATUS_RUNNING
						   : (v == HCABI_VCPU_STATUS_RUNNING ||
						      v == HCABI_VCPU_STATUS_BLOCKED));
			break;
		case BK_PROBE:
			ok = ok && v == hcabi_ext_version(HCABI_EID_IPI);
			break;
		case BK_YIELD:
		case BK_KICK:
		case BK_IPI:
			ok = ok && v == 0;
			break;
		case BK_FAIL_KICK:
			ok = st == HCABI_ERR_INVALID_PARAM && v == 0;
			break;
		default:
			ok = st == HCABI_ERR_DENIED && v == 0;
			break;
		}
		if (!ok)
			fail("BATCH entry %u of %u (kind %u, function 0x%llx): status %lld value "
			     "0x%llx is wrong (BATCH-002)",
			     i, count, kind[i], (unsigned long long)e->function_id, (long long)st,
			     (unsigned long long)v);
	}
}
