/* SPDX-License-Identifier: MIT */
/* check_vcpu.c - VCPU: identity, START and STOP, GET_STATUS and YIELD.
 * BLOCK, KICK and the concurrency of all of them: check_vcpu_block.c. */
#include "harness.h"

/* VCPU-001, VCPU-010 */
START_TEST(identity)
{
	for (uint32_t v = 0; v < hx.nvcpus; v++) {
		struct hcabi_ref_ret r = CALL(v, HCABI_FID_VCPU_GET_ID);
		CK_OK(r, v);
		r = CALL(v, HCABI_FID_VCPU_GET_COUNT);
		CK_OK(r, 4);
	}
}
END_TEST

/* VCPU-041: vCPU 0 runs at creation; the others are stopped; a vCPU asking
 * about itself sees RUNNING. */
START_TEST(initial_states)
{
	ck_assert_uint_eq(hx_vcpu_status(0, 0), HCABI_VCPU_STATUS_RUNNING);
	for (uint32_t v = 1; v < 4; v++)
		ck_assert_uint_eq(hx_vcpu_status(0, v), HCABI_VCPU_STATUS_STOPPED);
	/* the VMM runs vCPU 2 without telling the core: it still sees itself
	 * RUNNING */
	ck_assert_uint_eq(hx_vcpu_status(2, 2), HCABI_VCPU_STATUS_RUNNING);
}
END_TEST

/* VCPU-024: RUNNING, started from the boot state the guest gave. */
START_TEST(start_ok)
{
	struct hcabi_ref_ret r;
	const struct hcabi_vcpu_boot_state *b = &hx.fake->boot[2];
	hx_boot_state(HX_BOOT_STATE, 0xFFFFFFFF80001000ull, 0x4000, 0xABCDEF);
	r = CALL(0, HCABI_FID_VCPU_START, 2, HX_BOOT_STATE);
	CK_OK(r, 0);
	ck_assert_uint_eq(hx.fake->start_count[2], 1);
	ck_assert_uint_eq(b->rip, 0xFFFFFFFF80001000ull);
	ck_assert_uint_eq(b->rsp, 0x9000);
	ck_assert_uint_eq(b->cr3, 0x4000);
	ck_assert_uint_eq(b->arg, 0xABCDEF);
	ck_assert_uint_eq(b->gdtr_base, 0xA000);
	ck_assert_uint_eq(b->idtr_base, 0xB000);
	ck_assert_uint_eq(b->gdtr_limit, 0x17);
	ck_assert_uint_eq(b->idtr_limit, 0xFFF);
	ck_assert_uint_eq(b->cs, 0x08);
	ck_assert_uint_eq(b->ds, 0x10);
	ck_assert_uint_eq(hx_vcpu_status(0, 2), HCABI_VCPU_STATUS_RUNNING);
	ck_assert_uint_eq(hx_vcpu_status(2, 0), HCABI_VCPU_STATUS_RUNNING);
}
END_TEST

/* VCPU-023: a target that is not stopped (the caller included). */
START_TEST(start_already_started)
{
	struct hcabi_ref_ret r;
	hx_boot_state(HX_BOOT_STATE, 0x1000, 0x4000, 0);
	r = CALL(0, HCABI_FID_VCPU_START, 0, HX_BOOT_STATE);
	CK_STATUS(r, HCABI_ERR_ALREADY_STARTED);
	hx_start(0, 1);
	r = CALL(0, HCABI_FID_VCPU_START, 1, HX_BOOT_STATE);
	CK_STATUS(r, HCABI_ERR_ALREADY_STARTED);
	ck_assert_uint_eq(hx.fake->start_count[1], 1);
}
END_TEST

/* VCPU-020 */
static const uint64_t bad_targets[] = {4, 5, 256, 1ull << 32, ~0ull};
START_TEST(start_bad_target)
{
	struct hcabi_ref_ret r;
	hx_boot_state(HX_BOOT_STATE, 0x1000, 0x4000, 0);
	r = CALL(0, HCABI_FID_VCPU_START, bad_targets[_i], HX_BOOT_STATE);
	CK_STATUS(r, HCABI_ERR_INVALID_PARAM);
	ck_assert_uint_eq(fake_count(hx.fake, FOP_VCPU_START, UINT32_MAX), 0);
}
END_TEST

/* VCPU-021: misaligned, not wholly in RAM, overflowing. */
static const uint64_t bad_bs_gpas[] = {
    HX_BOOT_STATE + 4,
    HX_BOOT_STATE + 1,
    FAKE_HOLE,
    FAKE_R0_BASE + FAKE_R0_SIZE - 32,
    FAKE_R1_BASE - 8,
    FAKE_R1_BASE + FAKE_R1_SIZE,
    0xFFFFFFFFFFFFFFF8ull,
    0xFFFFFFFFFFFFFFC0ull,
};
START_TEST(start_bad_address)
{
	struct hcabi_ref_ret r = CALL(0, HCABI_FID_VCPU_START, 1, bad_bs_gpas[_i]);
	CK_STATUS(r, HCABI_ERR_INVALID_ADDRESS);
	ck_assert_uint_eq(fake_count(hx.fake, FOP_VCPU_START, UINT32_MAX), 0);
	ck_assert_uint_eq(hx_vcpu_status(0, 1), HCABI_VCPU_STATUS_STOPPED);
}
END_TEST

/* VCPU-022: each rule of the boot state, one at a time. */
struct bs_case {
	unsigned off, size;
	uint64_t val;
};
static const struct bs_case bad_bs[] = {
    {56, 4, 1},				  /* flags */
    {56, 4, 0x80000000u},		  /* flags */
    {60, 4, 1},				  /* reserved0 */
    {0, 8, 0x0000800000000000ull},	  /* rip not canonical */
    {0, 8, 0x8000000000000000ull},	  /* rip not canonical */
    {0, 8, 0xFFFF7FFFFFFFFFFFull},	  /* rip not canonical */
    {16, 8, 0x4001},			  /* cr3 bits 11:0 */
    {16, 8, 0x4800},			  /* cr3 bits 11:0 */
    {16, 8, FAKE_HOLE},			  /* cr3 outside RAM */
    {16, 8, FAKE_R1_BASE + FAKE_R1_SIZE}, /* cr3 outside RAM */
    {16, 8, 0xFFFFFFFFFFFFF000ull},	  /* cr3 outside RAM */
    {52, 2, 0x0B},			  /* cs RPL */
    {52, 2, 0x0C},			  /* cs TI (LDT) */
    {54, 2, 0x13},			  /* ds RPL */
    {54, 2, 0x14},			  /* ds TI */
    {52, 2, 0},				  /* cs null */
    {54, 2, 0},				  /* ds null */
};
START_TEST(start_bad_boot_state)
{
	const struct bs_case *c = &bad_bs[_i];
	struct hcabi_ref_ret r;
	uint8_t b[8];
	hx_boot_state(HX_BOOT_STATE, 0x1000, 0x4000, 0);
	for (unsigned i = 0; i < c->size; i++)
		b[i] = (uint8_t)(c->val >> (8 * i));
	fake_put(hx.fake, HX_BOOT_STATE + c->off, b, c->size);
	r = CALL(0, HCABI_FID_VCPU_START, 1, HX_BOOT_STATE);
	CK_STATUS(r, HCABI_ERR_INVALID_PARAM);
	ck_assert_uint_eq(fake_count(hx.fake, FOP_VCPU_START, UINT32_MAX), 0);
	ck_assert_uint_eq(hx_vcpu_status(0, 1), HCABI_VCPU_STATUS_STOPPED);
}
END_TEST

/* The boundaries that are valid. */
START_TEST(start_valid_edges)
{
	struct hcabi_ref_ret r;
	hx_boot_state(HX_BOOT_STATE, 0x00007FFFFFFFFFFFull, FAKE_R1_BASE + FAKE_R1_SIZE - 0x1000,
		      0);
	r = CALL(0, HCABI_FID_VCPU_START, 1, HX_BOOT_STATE);
	CK_OK(r, 0);
	hx_boot_state(HX_BOOT_STATE, 0xFFFF800000000000ull, 0, 0);
	r = CALL(0, HCABI_FID_VCPU_START, 2, HX_BOOT_STATE);
	CK_OK(r, 0);
	/* the last 64 bytes of RAM */
	hx_boot_state(FAKE_R0_SIZE - 64, 0x1000, 0x4000, 0);
	r = CALL(0, HCABI_FID_VCPU_START, 3, FAKE_R0_SIZE - 64);
	CK_OK(r, 0);
}
END_TEST

/* VCPU-025: the boot state is read once; a change made right after the
 * read (as by another vCPU) does not reach the started vCPU. */
static void scribble(struct fake *f, uint64_t gpa, size_t len)
{
	uint8_t z[64];
	if (gpa != HX_BOOT_STATE || len != 64)
		return;
	memset(z, 0, sizeof(z)); /* now invalid (cs = 0) */
	fake_put(f, HX_BOOT_STATE, z, sizeof(z));
}
START_TEST(start_reads_once)
{
	struct hcabi_ref_ret r;
	hx_boot_state(HX_BOOT_STATE, 0x1234000, 0x4000, 77);
	hx.fake->after_read = scribble;
	r = CALL(0, HCABI_FID_VCPU_START, 1, HX_BOOT_STATE);
	CK_OK(r, 0);
	ck_assert_uint_eq(fake_count(hx.fake, FOP_MEM_READ, UINT32_MAX), 1);
	ck_assert_uint_eq(hx.fake->boot[1].rip, 0x1234000);
	ck_assert_uint_eq(hx.fake->boot[1].arg, 77);
	ck_assert_uint_eq(hx.fake->boot[1].cs, 0x08);
}
END_TEST

/* A platform that cannot start the vCPU: it stays STOPPED, the guest gets
 * a permitted status, and an internal bug is counted. */
START_TEST(start_host_failure)
{
	struct hcabi_ref_ret r;
	struct hcabi_ref_stats st;
	hx_boot_state(HX_BOOT_STATE, 0x1000, 0x4000, 0);
	hx.fake->fail_vcpu_start = HCABI_REF_PERR_HOST;
	r = CALL(0, HCABI_FID_VCPU_START, 1, HX_BOOT_STATE);
	CK_STATUS(r, HCABI_ERR_FAILED); /* STATUS-005, since 1.2 */
	ck_assert_uint_eq(hx_vcpu_status(0, 1), HCABI_VCPU_STATUS_STOPPED);
	hcabi_ref_get_stats(hx.ref, &st);
	ck_assert_uint_eq(st.internal_bugs, 0); /* FAILED is permitted from 1.2 */
	hx.fake->fail_vcpu_start = 0;
	r = CALL(0, HCABI_FID_VCPU_START, 1, HX_BOOT_STATE);
	CK_OK(r, 0);
}
END_TEST

/* VCPU-031: the last running vCPU cannot stop. */
START_TEST(stop_last_denied)
{
	struct hcabi_ref_ret r = CALL(0, HCABI_FID_TIME_SET_TIMER, 5000, 40);
	CK_OK(r, 0);
	r = CALL(0, HCABI_FID_VCPU_STOP);
	CK_STATUS(r, HCABI_ERR_DENIED);
	ck_assert_uint_eq(hx_vcpu_status(0, 0), HCABI_VCPU_STATUS_RUNNING);
	ck_assert_uint_eq(fake_count(hx.fake, FOP_TIMER_CANCEL, UINT32_MAX), 0);
	ck_assert(hx.fake->timer_armed[0]);
}
END_TEST

/* VCPU-030, VCPU-032: STOP parks the caller, cancels its timer, unregisters
 * its steal-time record; START runs it again. */
START_TEST(stop_and_restart)
{
	struct hcabi_ref_ret r;
	uint8_t before[64], after[64];
	hx_start(0, 1);
	r = CALL(1, HCABI_FID_STEAL_SET_SHMEM, 0x6000);
	CK_OK(r, 0);
	r = CALL(1, HCABI_FID_TIME_SET_TIMER, 99999, 0x30);
	CK_OK(r, 0);
	fake_clear(hx.fake);
	r = CALL(1, HCABI_FID_VCPU_STOP);
	ck_assert_int_eq(r.action, HCABI_REF_ACTION_STOP_VCPU);
	ck_assert_int_eq(r.status, 0);
	ck_assert_uint_eq(fake_count(hx.fake, FOP_TIMER_CANCEL, 1), 1);
	ck_assert(!hx.fake->timer_armed[1]);
	ck_assert_uint_eq(hx_vcpu_status(0, 1), HCABI_VCPU_STATUS_STOPPED);
	/* KICK of a stopped vCPU: VCPU-070 */
	r = CALL(0, HCABI_FID_VCPU_KICK, 1);
	CK_STATUS(r, HCABI_ERR_INVALID_STATE);
	/* the record is no longer written, even once restarted */
	fake_get(hx.fake, 0x6000, before, 64);
	hx_start(0, 1);
	ck_assert_uint_eq(hx.fake->start_count[1], 2);
	ck_assert_uint_eq(hx_vcpu_status(0, 1), HCABI_VCPU_STATUS_RUNNING);
	r = CALL(1, HCABI_FID_VCPU_GET_ID);
	CK_OK(r, 1);
	fake_get(hx.fake, 0x6000, after, 64);
	ck_assert_mem_eq(before, after, 64);
	/* and now vCPU 0 may stop too: vCPU 1 runs */
	r = CALL(0, HCABI_FID_VCPU_STOP);
	ck_assert_int_eq(r.action, HCABI_REF_ACTION_STOP_VCPU);
	r = CALL(1, HCABI_FID_VCPU_STOP);
	CK_STATUS(r, HCABI_ERR_DENIED);
}
END_TEST

START_TEST(stop_single_vcpu_vm)
{
	struct hcabi_ref_ret r;
	hx_close();
	hx_open(1, 0);
	r = CALL(0, HCABI_FID_VCPU_STOP);
	CK_STATUS(r, HCABI_ERR_DENIED);
	r = CALL(0, HCABI_FID_VCPU_KICK, 1);
	CK_STATUS(r, HCABI_ERR_INVALID_PARAM);
}
END_TEST

/* VCPU-040, VCPU-070 (index), VCPU-050 */
static const uint64_t bad_index[] = {4, 64, 255, 256, 1ull << 32, 0xFFFFFFFFull, ~0ull - 1};
START_TEST(bad_index_args)
{
	struct hcabi_ref_ret r = CALL(0, HCABI_FID_VCPU_GET_STATUS, bad_index[_i]);
	CK_STATUS(r, HCABI_ERR_INVALID_PARAM);
	r = CALL(0, HCABI_FID_VCPU_KICK, bad_index[_i]);
	CK_STATUS(r, HCABI_ERR_INVALID_PARAM);
	r = CALL(0, HCABI_FID_VCPU_YIELD, bad_index[_i]);
	CK_REFUSED(r, HCABI_ERR_INVALID_PARAM);
}
END_TEST

/* VCPU-050 */
START_TEST(yield)
{
	struct hcabi_ref_ret r = CALL(1, HCABI_FID_VCPU_YIELD, 3);
	CK_OK(r, 0);
	ck_assert_uint_eq(fake_last(hx.fake, FOP_VCPU_YIELD)->a, 3);
	ck_assert_uint_eq(fake_last(hx.fake, FOP_VCPU_YIELD)->vcpu, 1);
	r = CALL(1, HCABI_FID_VCPU_YIELD, HCABI_VCPU_ANY);
	CK_OK(r, 0);
	ck_assert_uint_eq(fake_last(hx.fake, FOP_VCPU_YIELD)->a, UINT32_MAX);
	r = CALL(1, HCABI_FID_VCPU_YIELD, 1); /* itself: a valid index */
	CK_OK(r, 0);
}
END_TEST

static Suite *vcpu_suite(void)
{
	Suite *s = suite_create("vcpu");
	TCase *tc = hx_tcase(s, "identity", 10);
	tcase_add_test(tc, identity);
	tcase_add_test(tc, initial_states);
	tc = hx_tcase(s, "start", 10);
	tcase_add_test(tc, start_ok);
	tcase_add_test(tc, start_already_started);
	tcase_add_loop_test(tc, start_bad_target, 0,
			    (int)(sizeof(bad_targets) / sizeof(bad_targets[0])));
	tcase_add_loop_test(tc, start_bad_address, 0,
			    (int)(sizeof(bad_bs_gpas) / sizeof(bad_bs_gpas[0])));
	tcase_add_loop_test(tc, start_bad_boot_state, 0, (int)(sizeof(bad_bs) / sizeof(bad_bs[0])));
	tcase_add_test(tc, start_valid_edges);
	tcase_add_test(tc, start_reads_once);
	tcase_add_test(tc, start_host_failure);
	tc = hx_tcase(s, "stop", 10);
	tcase_add_test(tc, stop_last_denied);
	tcase_add_test(tc, stop_and_restart);
	tcase_add_test(tc, stop_single_vcpu_vm);
	tc = hx_tcase(s, "status_yield", 10);
	tcase_add_loop_test(tc, bad_index_args, 0, (int)(sizeof(bad_index) / sizeof(bad_index[0])));
	tcase_add_test(tc, yield);
	return s;
}

int main(void)
{
	return hx_run(vcpu_suite());
}
