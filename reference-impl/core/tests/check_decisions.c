/* SPDX-License-Identifier: MIT */
/*
 * check_decisions.c - the HCABI 1.2 decisions (docs/spec-1.2-decisions.md):
 * for each, the reference takes the reading 1.2 requires, and the test-only
 * fault "other" (fault.c) takes the reading 1.1 also allowed, so that the
 * conformance suite can be shown to tell them apart at 1.2.
 */
#include <stdio.h>
#include <string.h>

#include "harness.h"

#define BS 0x8000ull  /* a boot state */
#define TBL 0x7000ull /* a BATCH table */
#define ENT 72u	      /* sizeof(struct hcabi_batch_entry) */
#define RANGE 24u     /* sizeof(struct hcabi_mem_range) */

/* CK_OK and CK_STATUS evaluate their call argument more than once. */
#define OK(call, val)                                                                              \
	do {                                                                                       \
		struct hcabi_ref_ret r_ = (call);                                                  \
		CK_OK(r_, val);                                                                    \
	} while (0)
#define STATUS(call, st)                                                                           \
	do {                                                                                       \
		struct hcabi_ref_ret r_ = (call);                                                  \
		CK_STATUS(r_, st);                                                                 \
	} while (0)

static void other(const char *fn)
{
	char spec[64];
	const char *err = NULL;
	snprintf(spec, sizeof(spec), "%s:other", fn);
	ck_assert_msg(hcabi_ref_inject_fault_spec(hx.ref, spec, &err), "%s: %s", spec,
		      err ? err : "?");
}

/* X86-010: RAX[63:32] wins over an unknown function (the dispatcher checks
 * it first; no fault needed: a status fault on the unknown ID shows it). */
START_TEST(rax_high_before_unknown)
{
	STATUS(CALL(0, (1ull << 32) | 0x7FFE1234u), HCABI_ERR_INVALID_PARAM);
	STATUS(CALL(0, 0x7FFE1234u), HCABI_ERR_NOT_SUPPORTED);
}
END_TEST

/* IPI-005: mask 0 with a vector below 32 is INVALID_PARAM; the fault
 * returns SUCCESS first. */
START_TEST(ipi_mask_zero_bad_vector)
{
	STATUS(CALL(0, HCABI_FID_IPI_SEND, 0, 0, 31), HCABI_ERR_INVALID_PARAM);
	OK(CALL(0, HCABI_FID_IPI_SEND, 0, 0, 0x40), 0);
	other("IPI.SEND");
	OK(CALL(0, HCABI_FID_IPI_SEND, 0, 0, 31), 0);
	/* a mask that names targets still checks the vector */
	STATUS(CALL(0, HCABI_FID_IPI_SEND, 1, 0, 31), HCABI_ERR_INVALID_PARAM);
	ck_assert_uint_eq(fake_count(hx.fake, FOP_INJECT_IRQ, UINT32_MAX), 0);
}
END_TEST

/* TLB-004, TLB-005 and TLB-006. */
START_TEST(tlb_mask_zero_and_top_page)
{
	unsigned before = fake_count(hx.fake, FOP_TLB_FLUSH, UINT32_MAX);
	STATUS(CALL(0, HCABI_FID_TLB_FLUSH, 0, 0, 0x1001, 1), HCABI_ERR_INVALID_PARAM);
	OK(CALL(0, HCABI_FID_TLB_FLUSH, 1, 0, 0xFFFFFFFFFFFFF000ull, 1), 0);
	/* canonical only with 57-bit addresses */
	STATUS(CALL(0, HCABI_FID_TLB_FLUSH, 1, 0, 0x0000800000000000ull, 1),
	       HCABI_ERR_INVALID_PARAM);
	STATUS(CALL(0, HCABI_FID_TLB_FLUSH, 1, 0, 0xFF00000000000000ull, 1),
	       HCABI_ERR_INVALID_PARAM);
	ck_assert_uint_eq(fake_count(hx.fake, FOP_TLB_FLUSH, UINT32_MAX) - before, 1);
	before = fake_count(hx.fake, FOP_TLB_FLUSH, UINT32_MAX);
	other("TLB.FLUSH");
	OK(CALL(0, HCABI_FID_TLB_FLUSH, 0, 0, 0x1001, 1), 0);
	STATUS(CALL(0, HCABI_FID_TLB_FLUSH, 1, 0, 0xFFFFFFFFFFFFF000ull, 1),
	       HCABI_ERR_INVALID_PARAM);
	/* the one below the top is valid in both readings */
	OK(CALL(0, HCABI_FID_TLB_FLUSH, 1, 0, 0xFFFFFFFFFFFFE000ull, 1), 0);
	ck_assert_uint_eq(fake_count(hx.fake, FOP_TLB_FLUSH, UINT32_MAX) - before, 1);
	/* the 57-bit reading: valid there, not canonical in either */
	OK(CALL(0, HCABI_FID_TLB_FLUSH, 1, 0, 0x0000800000000000ull, 1), 0);
	OK(CALL(0, HCABI_FID_TLB_FLUSH, 1, 0, 0xFF00000000000000ull, 1), 0);
	STATUS(CALL(0, HCABI_FID_TLB_FLUSH, 1, 0, 0x0100000000000000ull, 1),
	       HCABI_ERR_INVALID_PARAM);
	ck_assert_uint_eq(fake_count(hx.fake, FOP_TLB_FLUSH, UINT32_MAX) - before, 3);
}
END_TEST

/* CONSOLE-023: len 0 does not check gpa; the fault checks one byte. */
START_TEST(console_read_len_zero)
{
	OK(CALL(0, HCABI_FID_CONSOLE_READ, 0xFFFFFFFFFFFFFFF0ull, 0), 0);
	other("CONSOLE.READ");
	STATUS(CALL(0, HCABI_FID_CONSOLE_READ, 0xFFFFFFFFFFFFFFF0ull, 0),
	       HCABI_ERR_INVALID_ADDRESS);
	OK(CALL(0, HCABI_FID_CONSOLE_READ, 0x1000, 0), 0);
	ck_assert_uint_eq(fake_count(hx.fake, FOP_CONSOLE_READ, UINT32_MAX), 0);
}
END_TEST

/* VCPU-026: START of a running vCPU (the caller) with a misaligned boot
 * state is INVALID_ADDRESS; the fault says ALREADY_STARTED first. */
START_TEST(start_arguments_before_state)
{
	hx_boot_state(BS, 0x1000, 0x4000, 0);
	STATUS(CALL(0, HCABI_FID_VCPU_START, 0, BS + 4), HCABI_ERR_INVALID_ADDRESS);
	STATUS(CALL(0, HCABI_FID_VCPU_START, 0, BS), HCABI_ERR_ALREADY_STARTED);
	other("VCPU.START");
	STATUS(CALL(0, HCABI_FID_VCPU_START, 0, BS + 4), HCABI_ERR_ALREADY_STARTED);
	/* a stopped target still gets its arguments checked */
	STATUS(CALL(0, HCABI_FID_VCPU_START, 1, BS + 4), HCABI_ERR_INVALID_ADDRESS);
	ck_assert_uint_eq(fake_count(hx.fake, FOP_VCPU_START, UINT32_MAX), 0);
}
END_TEST

/* MEM-013: the fake has 2 RAM ranges; a buffer with room for exactly 2 at
 * the end of the first range, with max_entries far larger. */
START_TEST(layout_checks_written_entries)
{
	uint64_t gpa = FAKE_R0_BASE + FAKE_R0_SIZE - 2 * RANGE;
	OK(CALL(0, HCABI_FID_MEM_GET_LAYOUT, gpa, 1000), 2);
	ck_assert_uint_eq(fake_get64(hx.fake, gpa), FAKE_R0_BASE);
	ck_assert_uint_eq(fake_get64(hx.fake, gpa + RANGE), FAKE_R1_BASE);
	other("MEM.GET_LAYOUT");
	STATUS(CALL(0, HCABI_FID_MEM_GET_LAYOUT, gpa, 1000), HCABI_ERR_INVALID_ADDRESS);
	OK(CALL(0, HCABI_FID_MEM_GET_LAYOUT, gpa, 2), 2);
}
END_TEST

/* BATCH-006: a SYSTEM.SHUTDOWN entry whose code has a reserved bit set is
 * DENIED; the fault checks the reserved bits first. Never executed. */
START_TEST(batch_denied_before_reserved)
{
	for (int pass = 0; pass < 2; pass++) {
		struct hcabi_ref_ret r;
		fake_put64(hx.fake, TBL, HCABI_FID_SYSTEM_SHUTDOWN);
		fake_put64(hx.fake, TBL + 8, 0x100);
		for (unsigned k = 1; k < 6; k++)
			fake_put64(hx.fake, TBL + 8 + 8 * k, 0);
		r = CALL(0, HCABI_FID_BATCH_EXECUTE, TBL, 1);
		CK_OK(r, 1);
		ck_assert_int_eq((int64_t)fake_get64(hx.fake, TBL + 56),
				 pass == 0 ? HCABI_ERR_DENIED : HCABI_ERR_INVALID_PARAM);
		if (pass == 0)
			other("BATCH.EXECUTE");
	}
	/* under the fault, a valid code is still DENIED */
	fake_put64(hx.fake, TBL + 8, 7);
	OK(CALL(0, HCABI_FID_BATCH_EXECUTE, TBL, 1), 1);
	ck_assert_int_eq((int64_t)fake_get64(hx.fake, TBL + 56), HCABI_ERR_DENIED);
}
END_TEST

/* STATUS-005: a host failure of a call with valid arguments is FAILED from
 * 1.2, and INVALID_PARAM (the only status 1.1's tables allow) at 1.1. */
START_TEST(host_failure_failed_from_1_2)
{
	for (int pass = 0; pass < 2; pass++) {
		int64_t want = pass ? HCABI_ERR_INVALID_PARAM : HCABI_ERR_FAILED;
		if (pass) {
			hx_close();
			hx_open(4, HCABI_VERSION_1_1);
		}
		hx_start(0, 1);
		hx.fake->fail_inject_irq = HCABI_REF_PERR_HOST;
		STATUS(CALL(0, HCABI_FID_IPI_SEND, 2, 0, 0x40), want);
		hx.fake->fail_tlb_flush = HCABI_REF_PERR_HOST;
		STATUS(CALL(0, HCABI_FID_TLB_FLUSH, 2, 0, 0, 0), want);
		hx.fake->fail_timer_arm = HCABI_REF_PERR_HOST;
		STATUS(CALL(0, HCABI_FID_TIME_SET_TIMER, 1, 40), want);
		hx.fake->fail_timer_arm_periodic = HCABI_REF_PERR_HOST;
		STATUS(CALL(0, HCABI_FID_TIME_SET_PERIODIC, 1, HCABI_TIMER_MIN_PERIOD, 40), want);
		hx.fake->fail_timer_cancel = HCABI_REF_PERR_HOST;
		STATUS(CALL(0, HCABI_FID_TIME_CANCEL_TIMER), want);
		hx.fake->fail_vcpu_kick = HCABI_REF_PERR_HOST;
		STATUS(CALL(0, HCABI_FID_VCPU_KICK, 1), want);
		hx_boot_state(BS, 0x1000, 0x4000, 0);
		hx.fake->fail_vcpu_start = HCABI_REF_PERR_HOST;
		STATUS(CALL(0, HCABI_FID_VCPU_START, 2, BS), want);
		/* FAILED is no bug where the table lists it; INVALID_PARAM at
		 * 1.1 is a fallback, counted */
		{
			struct hcabi_ref_stats st;
			hcabi_ref_get_stats(hx.ref, &st);
			ck_assert_uint_eq(st.internal_bugs, pass ? 7 : 0);
			ck_assert_uint_eq(st.host_errors, 7);
		}
	}
}
END_TEST

/* CONSOLE-024: a host error after part of a WRITE is SUCCESS with the
 * count written (4 + 4 + 2 bytes, then the sink fails); IO only when no
 * byte was written. The reference answers so at every version: 1.1 allowed
 * it (and IO). */
START_TEST(console_partial_write)
{
	for (int pass = 0; pass < 2; pass++) {
		struct hcabi_ref_stats st;
		if (pass) {
			hx_close();
			hx_open(4, HCABI_VERSION_1_1);
		}
		fake_put(hx.fake, 0x2000, "0123456789abcdef", 16);
		hx.fake->write_chunk = 4;
		hx.fake->write_fail_at = 10;
		OK(CALL(0, HCABI_FID_CONSOLE_WRITE, 0x2000, 16), 10);
		ck_assert_uint_eq(hx.fake->nout, 10);
		ck_assert_mem_eq(hx.fake->out, "0123456789", 10);
		ck_assert_uint_eq(fake_count(hx.fake, FOP_CONSOLE_WRITE, UINT32_MAX), 4);
		/* the sink is still failing: nothing of the next WRITE is written */
		STATUS(CALL(0, HCABI_FID_CONSOLE_WRITE, 0x2000, 16), HCABI_ERR_IO);
		STATUS(CALL(0, HCABI_FID_CONSOLE_WRITE_BYTE, 'x'), HCABI_ERR_IO);
		ck_assert_uint_eq(hx.fake->nout, 10);
		hcabi_ref_get_stats(hx.ref, &st);
		ck_assert_uint_eq(st.host_errors, 3);
		ck_assert_uint_eq(st.internal_bugs, 0);
	}
}
END_TEST

/* BATCH-007: entry 1 writes to the console the low byte of entry 0's value
 * (CONSOLE.WRITE of 3 bytes: 3) as it is when entry 1 runs; the fault
 * writes the results after the last entry, so entry 1 sees the poison. */
START_TEST(batch_results_before_next_entry)
{
	for (int pass = 0; pass < 2; pass++) {
		uint8_t want = pass ? 0xA5 : 3;
		fake_put(hx.fake, 0x2000, "xyz", 3);
		memset(hx.fake->out, 0, sizeof(hx.fake->out));
		hx.fake->nout = 0;
		fake_put64(hx.fake, TBL, HCABI_FID_CONSOLE_WRITE);
		fake_put64(hx.fake, TBL + 8, 0x2000);
		fake_put64(hx.fake, TBL + 16, 3);
		fake_put64(hx.fake, TBL + 56, 0xA5A5A5A5A5A5A5A5ull);
		fake_put64(hx.fake, TBL + 64, 0xA5A5A5A5A5A5A5A5ull);
		fake_put64(hx.fake, TBL + ENT, HCABI_FID_CONSOLE_WRITE);
		fake_put64(hx.fake, TBL + ENT + 8, TBL + 64);
		fake_put64(hx.fake, TBL + ENT + 16, 1);
		OK(CALL(0, HCABI_FID_BATCH_EXECUTE, TBL, 2), 2);
		ck_assert_uint_eq(hx.fake->nout, 4);
		ck_assert_mem_eq(hx.fake->out, "xyz", 3);
		ck_assert_uint_eq(hx.fake->out[3], want);
		/* in both readings the results end up in the entries */
		ck_assert_uint_eq(fake_get64(hx.fake, TBL + 56), 0);
		ck_assert_uint_eq(fake_get64(hx.fake, TBL + 64), 3);
		ck_assert_uint_eq(fake_get64(hx.fake, TBL + ENT + 64), 1);
		if (pass == 0)
			other("BATCH.EXECUTE");
	}
}
END_TEST

/* CONSOLE-025, CONSOLE-026: with input pending, READ(1) returns a byte and
 * READ(0) consumes none; the fault returns 0 for odd lengths. */
START_TEST(console_read_pending)
{
	uint8_t got[2];
	fake_console_input(hx.fake, "abc", 3);
	OK(CALL(0, HCABI_FID_CONSOLE_READ, 0x3000, 0), 0);
	OK(CALL(0, HCABI_FID_CONSOLE_READ, 0x3000, 1), 1);
	fake_get(hx.fake, 0x3000, got, 1);
	ck_assert_uint_eq(got[0], 'a');
	other("CONSOLE.READ");
	OK(CALL(0, HCABI_FID_CONSOLE_READ, 0x3000, 1), 0);
	OK(CALL(0, HCABI_FID_CONSOLE_READ, 0x3000, 2), 2);
	fake_get(hx.fake, 0x3000, got, 2);
	ck_assert_mem_eq(got, "bc", 2);
}
END_TEST

/* "other" is refused where no 1.2 decision applies, or with a parameter. */
START_TEST(other_parse)
{
	const char *err = NULL;
	ck_assert(!hcabi_ref_inject_fault_spec(hx.ref, "BASE.GET_IMPL_ID:other", &err));
	ck_assert_ptr_nonnull(strstr(err, "other is for IPI.SEND"));
	ck_assert(!hcabi_ref_inject_fault_spec(hx.ref, "IPI.SEND:other:1", &err));
	ck_assert_ptr_nonnull(strstr(err, "no parameter"));
	ck_assert(hcabi_ref_inject_fault_spec(hx.ref, "ipi.send:OTHER", &err));
}
END_TEST

static Suite *decisions_suite(void)
{
	Suite *s = suite_create("decisions");
	TCase *tc = hx_tcase(s, "v1.2", 10);
	tcase_add_test(tc, rax_high_before_unknown);
	tcase_add_test(tc, ipi_mask_zero_bad_vector);
	tcase_add_test(tc, tlb_mask_zero_and_top_page);
	tcase_add_test(tc, console_read_len_zero);
	tcase_add_test(tc, start_arguments_before_state);
	tcase_add_test(tc, layout_checks_written_entries);
	tcase_add_test(tc, batch_denied_before_reserved);
	tcase_add_test(tc, other_parse);
	tcase_add_test(tc, host_failure_failed_from_1_2);
	tcase_add_test(tc, console_partial_write);
	tcase_add_test(tc, batch_results_before_next_entry);
	tcase_add_test(tc, console_read_pending);
	return s;
}

int main(void)
{
	return hx_run(decisions_suite());
}
