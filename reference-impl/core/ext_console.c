/* SPDX-License-Identifier: MIT */
/*
 * ext_console.c - CONSOLE: the VM's log channel. Each buffer is copied from
 * guest memory once into a host buffer (no double fetch) before the
 * platform sees it; input is read into a host buffer and only the bytes
 * read are written to the guest.
 */
#include <string.h>

#include "hcabi_ref_internal.h"

static uint64_t xfer_len(uint64_t len)
{
	return len < HCABI_CONSOLE_MAX_XFER ? len : HCABI_CONSOLE_MAX_XFER;
}

/* Write buf; returns how many bytes reached the console: n, or fewer when
 * the platform failed or made no progress (a host error, counted). */
static size_t write_all(struct hcabi_ref *ref, const uint8_t *buf, size_t n)
{
	size_t done = 0;
	while (done < n) {
		int64_t r = ref->ops->console_write(ref->ctx, buf + done, n - done);
		if (r <= 0 || (uint64_t)r > n - done) {
			hcabi__core_count_host_error(ref);
			break;
		}
		done += (size_t)r;
	}
	return done;
}

static int64_t console_handler(const struct hcabi__core_req *req, struct hcabi__core_res *res)
{
	struct hcabi_ref *ref = req->ref;
	uint8_t buf[HCABI_CONSOLE_MAX_XFER];

	switch (req->fid) {
	case HCABI_FID_CONSOLE_WRITE: {
		uint64_t gpa = req->args[0];
		uint64_t n = xfer_len(req->args[1]);
		int64_t st;

		/* CONSOLE-003: len 0 writes nothing and gpa is not checked. */
		if (n == 0) {
			res->value = 0;
			return HCABI_SUCCESS;
		}
		/* CONSOLE-003, GEN-001: [gpa, gpa + n) wholly in RAM, no
		 * overflow; CONSOLE-002: any alignment, may cross pages. */
		st = hcabi__core_check_gpa(ref, gpa, n, 1, 1);
		if (st != HCABI_SUCCESS)
			return st;
		if (ref->ops->mem_read(ref->ctx, gpa, buf, (size_t)n) != HCABI_REF_POK) {
			hcabi__core_count_host_error(ref);
			return HCABI_ERR_INVALID_ADDRESS;
		}
		/* test-only faults: the suite must see these (CONSOLE-001) */
		if (hcabi__core_fault_has(ref, req->fid, HCABI_REF_FAULT_CONSOLE_REVERSE)) {
			for (size_t i = 0, j = (size_t)n - 1; i < j; i++, j--) {
				uint8_t t = buf[i];
				buf[i] = buf[j];
				buf[j] = t;
			}
		}
		if (hcabi__core_fault_has(ref, req->fid, HCABI_REF_FAULT_CONSOLE_DROP)) {
			res->value = n;
			return HCABI_SUCCESS;
		}
		/* CONSOLE-001: the n bytes, in order, as one unit; CONSOLE-024:
		 * after a host error, the count of those that were written,
		 * and IO only when none was (STATUS-004's partial effect). */
		n = write_all(ref, buf, (size_t)n);
		if (n == 0)
			return HCABI_ERR_IO;
		res->value = n;
		return HCABI_SUCCESS;
	}

	case HCABI_FID_CONSOLE_WRITE_BYTE:
		/* CONSOLE-010: bits 63:8 are rejected centrally (GEN-002). */
		buf[0] = (uint8_t)(req->args[0] & HCABI_CONSOLE_WRITE_BYTE_BYTE_BYTE_MASK);
		if (hcabi__core_fault_has(ref, req->fid, HCABI_REF_FAULT_CONSOLE_DROP)) {
			res->value = 0; /* test-only fault: nothing written */
			return HCABI_SUCCESS;
		}
		if (write_all(ref, buf, 1) == 0)
			return HCABI_ERR_IO;
		res->value = 0;
		return HCABI_SUCCESS;

	case HCABI_FID_CONSOLE_READ: {
		uint64_t gpa = req->args[0];
		uint64_t n = xfer_len(req->args[1]);
		int64_t st, r;

		/* CONSOLE-023: len 0 reads nothing, consumes nothing, and (as
		 * for WRITE, CONSOLE-003) does not check gpa; the test-only
		 * fault "other" checks one byte at gpa, as 1.1 allowed. */
		if (n == 0 && hcabi__core_fault_has(ref, req->fid, HCABI_REF_FAULT_OTHER_READING)) {
			st = hcabi__core_check_gpa(ref, gpa, 1, 1, 1);
			if (st != HCABI_SUCCESS)
				return st;
		}
		if (n == 0) {
			res->value = 0;
			return HCABI_SUCCESS;
		}
		/* CONSOLE-021: checked before any input is consumed. */
		st = hcabi__core_check_gpa(ref, gpa, n, 1, 1);
		if (st != HCABI_SUCCESS) {
			/* test-only fault: consume the input anyway (CONSOLE-021) */
			if (hcabi__core_fault_has(ref, req->fid, HCABI_REF_FAULT_CONSOLE_EAGER))
				(void)ref->ops->console_read(ref->ctx, buf, (size_t)n);
			return st;
		}
		/* test-only fault "other": a READ of an odd length returns 0
		 * even with input pending, as CONSOLE-020's "up to" allowed
		 * before 1.2 (CONSOLE-025) */
		if ((n & 1) && hcabi__core_fault_has(ref, req->fid, HCABI_REF_FAULT_OTHER_READING)) {
			res->value = 0;
			return HCABI_SUCCESS;
		}
		/* No uninitialised byte may reach the guest, whatever the
		 * platform's count claims. */
		memset(buf, 0, (size_t)n);
		/* CONSOLE-020: never waits. */
		r = ref->ops->console_read(ref->ctx, buf, (size_t)n);
		if (r < 0 || (uint64_t)r > n) {
			hcabi__core_count_host_error(ref);
			return HCABI_ERR_IO;
		}
		/* CONSOLE-022: only [gpa, gpa + count) is written. */
		if (r > 0 && ref->ops->mem_write(ref->ctx, gpa, buf, (size_t)r) != HCABI_REF_POK) {
			hcabi__core_count_host_error(ref);
			return HCABI_ERR_IO;
		}
		res->value = (uint64_t)r;
		return HCABI_SUCCESS;
	}

	default:
		return HCABI_ERR_NOT_SUPPORTED;
	}
}

const struct hcabi__ext hcabi__ext_CONSOLE = {
    .eid = HCABI_EID_CONSOLE,
    .handler = console_handler,
};
