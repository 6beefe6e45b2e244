/* SPDX-License-Identifier: MIT */
/* oracle/ext_console.c - CONSOLE's effects and values (mirrors core/ext_console.c). */
#include <string.h>

#include "fz_oracle.h"

static bool console_event(struct fz_seg *s, const struct ev *e)
{
	uint32_t fid = s->f->id;
	if (!s->effects)
		return false;
	if (e->op == EV_CWRITE)
		return fid == HCABI_FID_CONSOLE_WRITE || fid == HCABI_FID_CONSOLE_WRITE_BYTE;
	return e->op == EV_CREAD && fid == HCABI_FID_CONSOLE_READ;
}

/* CONSOLE-022: READ writes [gpa, gpa + count) of the count it returns. */
static bool console_may_write(const struct fz_seg *s, uint64_t g, uint64_t len)
{
	const uint64_t *a = s->c->args;
	uint64_t n = a[1] < HCABI_CONSOLE_MAX_XFER ? a[1] : HCABI_CONSOLE_MAX_XFER;
	if (s->f->id != HCABI_FID_CONSOLE_READ)
		return false;
	if (s->ev->status == HCABI_SUCCESS)
		n = s->ev->value;
	return fz_within(g, len, a[0], n);
}

static void console_values(const struct fz_seg *s)
{
	const uint64_t *a = s->c->args;
	uint64_t v = s->ev->value;
	int64_t st = s->ev->status;

	switch (s->f->id) {
	case HCABI_FID_CONSOLE_WRITE:
		if (st == HCABI_SUCCESS)
			CHECK(v == (a[1] < HCABI_CONSOLE_MAX_XFER ? a[1] : HCABI_CONSOLE_MAX_XFER),
			      "CONSOLE-001: WRITE of %llu returned %llu", (unsigned long long)a[1],
			      (unsigned long long)v);
		break;
	case HCABI_FID_CONSOLE_READ:
		if (st == HCABI_SUCCESS && a[1] != 0) {
			uint8_t got[HCABI_CONSOLE_MAX_XFER];
			CHECK(v == fz.cread_n,
			      "CONSOLE-020: READ returned %llu, %zu bytes were read",
			      (unsigned long long)v, fz.cread_n);
			if (v && !fz_steal_rec_overlaps(s->direct, a[0], v)) {
				fz_peek(a[0], got, (size_t)v);
				CHECK(memcmp(got, fz.cread_copy, (size_t)v) == 0,
				      "CONSOLE-020: READ wrote other bytes than it read");
			}
		}
		break;
	default:
		break;
	}
}

const struct fz_ext_oracle fz_oracle_console = {
    .eid = HCABI_EID_CONSOLE,
    .event = console_event,
    .may_write = console_may_write,
    .values = console_values,
};
