/* SPDX-License-Identifier: MIT */
/* oracle/ext_tlb.c - TLB.FLUSH's flushes (mirrors core/ext_tlb.c). */
#include "fz_oracle.h"

/* Once per named vCPU, with the call's range (a count of 0: everything). */
static bool tlb_event(struct fz_seg *s, const struct ev *e)
{
	const uint64_t *a = s->c->args;
	uint64_t gva = a[3] ? a[2] : 0;

	if (e->op != EV_TLB || !s->effects || s->f->id != HCABI_FID_TLB_FLUSH)
		return false;
	CHECK(fz_named(a[0], a[1], e->vcpu) && e->a == gva && e->b == a[3] && !s->seen[e->vcpu],
	      "TLB.FLUSH (status %lld) flushed vCPU %u (gva 0x%llx, %llu pages)",
	      (long long)s->ev->status, e->vcpu, (unsigned long long)e->a,
	      (unsigned long long)e->b);
	s->seen[e->vcpu] = true;
	s->n_tlb++;
	return true;
}

/* Every running target was flushed. */
static void tlb_complete(const struct fz_seg *s)
{
	const uint64_t *a = s->c->args;
	unsigned want = 0;

	if (s->f->id != HCABI_FID_TLB_FLUSH)
		return;
	for (unsigned i = 0; i < 64; i++)
		if (((a[0] >> i) & 1u) && fz.running[a[1] + i])
			want++;
	CHECK(s->n_tlb == want, "TLB.FLUSH flushed %u vCPUs, %u targets run", s->n_tlb, want);
}

const struct fz_ext_oracle fz_oracle_tlb = {
    .eid = HCABI_EID_TLB,
    .event = tlb_event,
    .complete = tlb_complete,
};
