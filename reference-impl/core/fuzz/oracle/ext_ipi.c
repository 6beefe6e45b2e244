/* SPDX-License-Identifier: MIT */
/* oracle/ext_ipi.c - IPI.SEND's interrupts (mirrors core/ext_ipi.c). */
#include "fz_oracle.h"

/* The call succeeded (or failed on the host after its checks), so every
 * reserved bit of `vector` was clear: a set all_but_self bit means 1.1. */
static bool all_but_self(const uint64_t *a)
{
	return (a[2] & HCABI_IPI_SEND_VECTOR_ALL_BUT_SELF_MASK) != 0;
}

/* IPI-002: exactly once, the call's vector, into a named target (IPI-004,
 * 1.1's all_but_self: any vCPU but the caller). */
static bool ipi_event(struct fz_seg *s, const struct ev *e)
{
	const uint64_t *a = s->c->args;

	if (e->op != EV_INJECT || !s->effects)
		return false;
	if (s->f->id == HCABI_FID_IPI_SEND) {
		uint64_t vector = (a[2] & HCABI_IPI_SEND_VECTOR_VECTOR_MASK) >>
				  HCABI_IPI_SEND_VECTOR_VECTOR_SHIFT;

		CHECK(e->a == vector, "IPI.SEND injected vector %llu, not %llu",
		      (unsigned long long)e->a, (unsigned long long)vector);
		if (!all_but_self(a))
			CHECK(fz_named(a[0], a[1], e->vcpu),
			      "IPI.SEND injected into vCPU %u, which mask 0x%llx base %llu does "
			      "not name",
			      e->vcpu, (unsigned long long)a[0], (unsigned long long)a[1]);
		else
			CHECK(e->vcpu != fz.caller, "IPI.SEND (all but self) injected into the caller");
		CHECK(!s->seen[e->vcpu], "IPI.SEND injected into vCPU %u twice", e->vcpu);
	}
	s->seen[e->vcpu] = true;
	s->n_inject++;
	return true;
}

/* Every running target got it. */
static void ipi_complete(const struct fz_seg *s)
{
	const uint64_t *a = s->c->args;
	unsigned want = 0;

	if (s->f->id != HCABI_FID_IPI_SEND)
		return;
	if (!all_but_self(a)) {
		for (unsigned i = 0; i < 64; i++)
			if (((a[0] >> i) & 1u) && fz.running[a[1] + i])
				want++;
	} else {
		/* IPI-004 (1.1, all_but_self): mask and base 0, every running
		 * vCPU but the caller. */
		CHECK(a[0] == 0 && a[1] == 0,
		      "IPI-004: all_but_self with mask 0x%llx base %llu succeeded",
		      (unsigned long long)a[0], (unsigned long long)a[1]);
		for (uint32_t i = 0; i < fz.nvcpus; i++)
			if (i != fz.caller && fz.running[i])
				want++;
	}
	CHECK(s->n_inject == want, "IPI.SEND injected %u interrupts, %u targets run", s->n_inject,
	      want);
}

const struct fz_ext_oracle fz_oracle_ipi = {
    .eid = HCABI_EID_IPI,
    .event = ipi_event,
    .complete = ipi_complete,
};
