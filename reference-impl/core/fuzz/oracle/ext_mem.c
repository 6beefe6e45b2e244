/* SPDX-License-Identifier: MIT */
/* oracle/ext_mem.c - MEM's releases and layout (mirrors core/ext_mem.c). */
#include "fz_oracle.h"

static bool mem_event(struct fz_seg *s, const struct ev *e)
{
	const uint64_t *a = s->c->args;
	if (e->op != EV_RELEASE || !s->effects || s->f->id != HCABI_FID_MEM_RELEASE ||
	    e->a != a[0] || e->b != a[1])
		return false;
	s->n_release++;
	return true;
}

/* MEM-012: GET_LAYOUT writes only the entries it fills. */
static bool mem_may_write(const struct fz_seg *s, uint64_t g, uint64_t len)
{
	const uint64_t *a = s->c->args;
	uint64_t k = a[1] < fz.nram ? a[1] : fz.nram;
	return s->f->id == HCABI_FID_MEM_GET_LAYOUT &&
	       fz_within(g, len, a[0], k * sizeof(struct hcabi_mem_range));
}

static void mem_complete(const struct fz_seg *s)
{
	if (s->f->id == HCABI_FID_MEM_RELEASE)
		CHECK(s->n_release == 1, "MEM.RELEASE succeeded with %u releases", s->n_release);
}

static void mem_values(const struct fz_seg *s)
{
	const uint64_t *a = s->c->args;
	uint64_t v = s->ev->value;

	if (s->ev->status != HCABI_SUCCESS)
		return;
	switch (s->f->id) {
	case HCABI_FID_MEM_RELEASE:
		CHECK(v == a[1], "MEM.RELEASE returned %llu", (unsigned long long)v);
		break;
	case HCABI_FID_MEM_GET_LAYOUT: {
		uint64_t k = a[1] < fz.nram ? a[1] : fz.nram;
		CHECK(v == fz.nram, "MEM-010: GET_LAYOUT returned %llu of %u", (unsigned long long)v,
		      fz.nram);
		for (uint64_t i = 0; i < k; i++) {
			uint8_t e[24];
			uint64_t g = a[0] + i * 24;
			if (fz_steal_rec_overlaps(s->direct, g, 24))
				continue;
			fz_peek(g, e, 24);
			CHECK(fz_le(e, 8) == fz.ram[i].base && fz_le(e + 8, 8) == fz.ram[i].size &&
				  fz_le(e + 16, 4) == HCABI_MEM_RANGE_RAM && fz_le(e + 20, 4) == 0,
			      "MEM-011: GET_LAYOUT entry %llu is wrong", (unsigned long long)i);
		}
		break;
	}
	default:
		break;
	}
}

const struct fz_ext_oracle fz_oracle_mem = {
    .eid = HCABI_EID_MEM,
    .event = mem_event,
    .may_write = mem_may_write,
    .complete = mem_complete,
    .values = mem_values,
};
