/* SPDX-License-Identifier: MIT */
/* check_console.c - CONSOLE.WRITE, WRITE_BYTE, READ. */
#include <pthread.h>
#include <stdio.h>

#include "harness.h"

static void fill(uint64_t gpa, const char *s)
{
	fake_put(hx.fake, gpa, s, strlen(s));
}

/* CONSOLE-001 */
START_TEST(write_basic)
{
	struct hcabi_ref_ret r;
	fill(0x1000, "hello, console");
	r = CALL(0, HCABI_FID_CONSOLE_WRITE, 0x1000, 14);
	CK_OK(r, 14);
	ck_assert_uint_eq(hx.fake->nout, 14);
	ck_assert_mem_eq(hx.fake->out, "hello, console", 14);
	/* one copy from the guest (no double fetch), one unit to the host */
	ck_assert_uint_eq(fake_count(hx.fake, FOP_MEM_READ, UINT32_MAX), 1);
	ck_assert_uint_eq(fake_count(hx.fake, FOP_CONSOLE_WRITE, UINT32_MAX), 1);
}
END_TEST

/* CONSOLE-002: any alignment, across pages and across touching RAM. */
START_TEST(write_unaligned_cross_page)
{
	struct hcabi_ref_ret r;
	fill(0x1FFD, "crossing!");
	r = CALL(0, HCABI_FID_CONSOLE_WRITE, 0x1FFD, 9);
	CK_OK(r, 9);
	ck_assert_mem_eq(hx.fake->out, "crossing!", 9);
}
END_TEST

/* CONSOLE-001: at most HCABI_CONSOLE_MAX_XFER bytes, the first ones. */
START_TEST(write_truncated_to_max)
{
	struct hcabi_ref_ret r;
	uint8_t *p = fake_ptr(hx.fake, 0x10000, 10000);
	for (int i = 0; i < 10000; i++)
		p[i] = (uint8_t)(i * 7);
	r = CALL(0, HCABI_FID_CONSOLE_WRITE, 0x10000, 10000);
	CK_OK(r, HCABI_CONSOLE_MAX_XFER);
	ck_assert_uint_eq(hx.fake->nout, HCABI_CONSOLE_MAX_XFER);
	ck_assert_mem_eq(hx.fake->out, p, HCABI_CONSOLE_MAX_XFER);
	/* a huge len only needs its first 4096 bytes in RAM */
	r = CALL(0, HCABI_FID_CONSOLE_WRITE, 0x10000, ~0ull);
	CK_OK(r, HCABI_CONSOLE_MAX_XFER);
}
END_TEST

/* CONSOLE-003: len 0 writes nothing and does not check gpa. */
START_TEST(write_zero_len)
{
	static const uint64_t gpas[] = {0, FAKE_HOLE, ~0ull, 0xFFFFFFFFFFFFF000ull};
	for (unsigned i = 0; i < 4; i++) {
		struct hcabi_ref_ret r = CALL(0, HCABI_FID_CONSOLE_WRITE, gpas[i], 0);
		CK_OK(r, 0);
	}
	ck_assert_uint_eq(fake_effects(hx.fake), 0);
}
END_TEST

/* CONSOLE-003, CONSOLE-021, GEN-001: ranges not wholly in RAM. */
struct range_case {
	uint64_t gpa, len;
};
static const struct range_case bad_ranges[] = {
    {FAKE_HOLE, 1},			       /* in the hole */
    {FAKE_R0_BASE + FAKE_R0_SIZE - 4, 8},      /* RAM into the hole */
    {FAKE_R1_BASE - 1, 2},		       /* hole into RAM */
    {FAKE_R1_BASE + FAKE_R1_SIZE - 100, 4096}, /* beyond the last range */
    {FAKE_R1_BASE + FAKE_R1_SIZE, 1},	       /* just after RAM */
    {0x40000000, 16},			       /* far beyond */
    {0xFFFFFFFFFFFFFFF0ull, 0x20},	       /* end wraps into low RAM */
    {~0ull, 1},				       /* last byte of the space */
    {~0ull, 2},				       /* wraps to 0 */
};
#define NBAD (int)(sizeof(bad_ranges) / sizeof(bad_ranges[0]))

START_TEST(write_bad_range)
{
	const struct range_case *c = &bad_ranges[_i];
	struct hcabi_ref_ret r = CALL(0, HCABI_FID_CONSOLE_WRITE, c->gpa, c->len);
	CK_STATUS(r, HCABI_ERR_INVALID_ADDRESS);
	ck_assert_uint_eq(hx.fake->nout, 0);
	ck_assert_uint_eq(fake_count(hx.fake, FOP_CONSOLE_WRITE, UINT32_MAX), 0);
}
END_TEST

START_TEST(read_bad_range)
{
	const struct range_case *c = &bad_ranges[_i];
	struct hcabi_ref_ret r;
	fake_console_input(hx.fake, "pending", 7);
	r = CALL(0, HCABI_FID_CONSOLE_READ, c->gpa, c->len);
	CK_STATUS(r, HCABI_ERR_INVALID_ADDRESS);
	/* CONSOLE-021: no input consumed, nothing written */
	ck_assert_uint_eq(hx.fake->in_pos, 0);
	ck_assert_uint_eq(fake_count(hx.fake, FOP_CONSOLE_READ, UINT32_MAX), 0);
	ck_assert_uint_eq(fake_count(hx.fake, FOP_MEM_WRITE, UINT32_MAX), 0);
}
END_TEST

/* The test-only CONSOLE faults (fault.c) break exactly what they say:
 * the conformance suite is shown to catch each. */
START_TEST(console_faults)
{
	struct hcabi_ref_ret r;
	const char *err = NULL;

	fill(0x1000, "abcdef");
	ck_assert(hcabi_ref_inject_fault_spec(hx.ref, "CONSOLE.WRITE:reverse", &err));
	r = CALL(0, HCABI_FID_CONSOLE_WRITE, 0x1000, 6);
	CK_OK(r, 6);
	ck_assert_mem_eq(hx.fake->out, "fedcba", 6);
	ck_assert(hcabi_ref_inject_fault_spec(hx.ref, "CONSOLE.WRITE:drop", &err));
	ck_assert(hcabi_ref_inject_fault_spec(hx.ref, "console.write_byte:DROP", &err));
	CK_OK(CALL(0, HCABI_FID_CONSOLE_WRITE, 0x1000, 6), 6);
	CK_OK(CALL(0, HCABI_FID_CONSOLE_WRITE_BYTE, 'x'), 0);
	ck_assert_uint_eq(hx.fake->nout, 6);

	fake_console_input(hx.fake, "pending", 7);
	ck_assert(hcabi_ref_inject_fault_spec(hx.ref, "CONSOLE.READ:eager", &err));
	CK_STATUS(CALL(0, HCABI_FID_CONSOLE_READ, 0xFFFFFFFFFFFFFFF0ull, 32),
		  HCABI_ERR_INVALID_ADDRESS);
	ck_assert_uint_eq(hx.fake->in_pos, 7);
	ck_assert_uint_eq(fake_count(hx.fake, FOP_MEM_WRITE, UINT32_MAX), 0);

	/* a kind on the wrong function, or with a parameter, is refused */
	ck_assert(!hcabi_ref_inject_fault_spec(hx.ref, "CONSOLE.READ:reverse", &err));
	ck_assert_ptr_nonnull(strstr(err, "reverse for CONSOLE.WRITE"));
	ck_assert(!hcabi_ref_inject_fault_spec(hx.ref, "BASE.GET_SPEC_VERSION:drop", &err));
	ck_assert(!hcabi_ref_inject_fault_spec(hx.ref, "CONSOLE.WRITE:drop:1", &err));
}
END_TEST

/* CONSOLE-001: a platform that takes a few bytes at a time gets them all,
 * in order. */
START_TEST(write_short_host_writes)
{
	struct hcabi_ref_ret r;
	hx.fake->write_chunk = 3;
	fill(0x2000, "0123456789abcdef");
	r = CALL(0, HCABI_FID_CONSOLE_WRITE, 0x2000, 16);
	CK_OK(r, 16);
	ck_assert_uint_eq(hx.fake->nout, 16);
	ck_assert_mem_eq(hx.fake->out, "0123456789abcdef", 16);
	ck_assert_uint_eq(fake_count(hx.fake, FOP_CONSOLE_WRITE, UINT32_MAX), 6);
}
END_TEST

/* IO on a host failure, for every function that lists it. */
START_TEST(host_failures_are_io)
{
	struct hcabi_ref_ret r;
	struct hcabi_ref_stats st;
	fill(0x2000, "abc");
	hx.fake->fail_console_write = true;
	r = CALL(0, HCABI_FID_CONSOLE_WRITE, 0x2000, 3);
	CK_STATUS(r, HCABI_ERR_IO);
	r = CALL(0, HCABI_FID_CONSOLE_WRITE_BYTE, 'x');
	CK_STATUS(r, HCABI_ERR_IO);
	hx.fake->fail_console_read = true;
	fake_console_input(hx.fake, "zz", 2);
	r = CALL(0, HCABI_FID_CONSOLE_READ, 0x3000, 16);
	CK_STATUS(r, HCABI_ERR_IO);
	hcabi_ref_get_stats(hx.ref, &st);
	ck_assert_uint_eq(st.internal_bugs, 0);
	ck_assert_uint_eq(st.host_errors, 3);
}
END_TEST

/* A platform claiming more bytes than asked must not make the core write
 * past the buffer: IO, and no guest write. */
START_TEST(read_overclaim)
{
	struct hcabi_ref_ret r;
	hx.fake->console_read_overclaim = true;
	r = CALL(0, HCABI_FID_CONSOLE_READ, 0x3000, 16);
	CK_STATUS(r, HCABI_ERR_IO);
	ck_assert_uint_eq(fake_count(hx.fake, FOP_MEM_WRITE, UINT32_MAX), 0);
}
END_TEST

/* No host byte the platform did not fill reaches the guest: not stale data
 * of an earlier call (here a WRITE through the same stack buffer). */
START_TEST(read_never_leaks_host_bytes)
{
	struct hcabi_ref_ret r;
	uint8_t got[5];
	fill(0x2000, "SECRETSECRET");
	r = CALL(0, HCABI_FID_CONSOLE_WRITE, 0x2000, 12);
	CK_OK(r, 12);
	hx.fake->console_read_lazy = true;
	r = CALL(0, HCABI_FID_CONSOLE_READ, 0x3000, 12);
	CK_OK(r, 5);
	fake_get(hx.fake, 0x3000, got, 5);
	ck_assert_mem_eq(got, "\0\0\0\0\0", 5);
}
END_TEST

/* A platform making no progress ends in IO rather than a loop. */
START_TEST(write_no_progress)
{
	struct hcabi_ref_ret r;
	fill(0x2000, "abc");
	hx.fake->nout = FAKE_OUT_MAX; /* full: writes return 0 */
	r = CALL(0, HCABI_FID_CONSOLE_WRITE, 0x2000, 3);
	CK_STATUS(r, HCABI_ERR_IO);
}
END_TEST

/* CONSOLE-010 */
START_TEST(write_byte)
{
	struct hcabi_ref_ret r = CALL(0, HCABI_FID_CONSOLE_WRITE_BYTE, 'A');
	CK_OK(r, 0);
	r = CALL(1, HCABI_FID_CONSOLE_WRITE_BYTE, 0xFF);
	CK_OK(r, 0);
	ck_assert_uint_eq(hx.fake->nout, 2);
	ck_assert_uint_eq(hx.fake->out[0], 'A');
	ck_assert_uint_eq(hx.fake->out[1], 0xFF);
}
END_TEST

static const uint64_t bad_bytes[] = {0x100, 0x141, 1ull << 63, ~0ull, 0xFFFFFFFFFFFFFF41ull};
START_TEST(write_byte_reserved)
{
	struct hcabi_ref_ret r = CALL(0, HCABI_FID_CONSOLE_WRITE_BYTE, bad_bytes[_i]);
	CK_STATUS(r, HCABI_ERR_INVALID_PARAM);
	ck_assert_uint_eq(hx.fake->nout, 0);
}
END_TEST

/* CONSOLE-020, CONSOLE-022 */
START_TEST(read_basic)
{
	struct hcabi_ref_ret r;
	uint8_t buf[8];
	memset(fake_ptr(hx.fake, 0x3000, 32), 0xEE, 32);
	fake_console_input(hx.fake, "abc", 3);
	r = CALL(0, HCABI_FID_CONSOLE_READ, 0x3001, 10);
	CK_OK(r, 3);
	fake_get(hx.fake, 0x3000, buf, 8);
	ck_assert_uint_eq(buf[0], 0xEE); /* before gpa: untouched */
	ck_assert_mem_eq(buf + 1, "abc", 3);
	ck_assert_uint_eq(buf[4], 0xEE); /* after gpa + count: untouched */
	ck_assert_uint_eq(fake_count(hx.fake, FOP_MEM_WRITE, UINT32_MAX), 1);
	ck_assert_uint_eq(fake_last(hx.fake, FOP_MEM_WRITE)->b, 3);
	/* nothing pending: 0 at once, no guest write */
	r = CALL(0, HCABI_FID_CONSOLE_READ, 0x3001, 10);
	CK_OK(r, 0);
	ck_assert_uint_eq(fake_count(hx.fake, FOP_MEM_WRITE, UINT32_MAX), 1);
}
END_TEST

/* CONSOLE-020: at most min(len, MAX); the rest stays pending. */
START_TEST(read_limits)
{
	static uint8_t in[6000];
	struct hcabi_ref_ret r;
	for (unsigned i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)i;
	fake_console_input(hx.fake, in, sizeof(in));
	r = CALL(0, HCABI_FID_CONSOLE_READ, 0x10000, 5);
	CK_OK(r, 5);
	r = CALL(0, HCABI_FID_CONSOLE_READ, 0x10000, ~0ull);
	CK_OK(r, HCABI_CONSOLE_MAX_XFER);
	ck_assert_mem_eq(fake_ptr(hx.fake, 0x10000, 4096), in + 5, 4096);
	r = CALL(0, HCABI_FID_CONSOLE_READ, 0x10000, 10000);
	CK_OK(r, sizeof(in) - 5 - 4096);
}
END_TEST

/* len 0 reads nothing and consumes nothing, whatever gpa is. */
START_TEST(read_zero_len)
{
	struct hcabi_ref_ret r;
	fake_console_input(hx.fake, "x", 1);
	r = CALL(0, HCABI_FID_CONSOLE_READ, FAKE_HOLE, 0);
	CK_OK(r, 0);
	ck_assert_uint_eq(hx.fake->in_pos, 0);
	ck_assert_uint_eq(fake_effects(hx.fake), 0);
}
END_TEST

/* CONSOLE.WRITE description: one call's bytes are not interleaved with
 * another vCPU's: the core hands each buffer to the platform in one piece. */
#define NWRITERS 4
#define NMSG 50
static void *writer(void *arg)
{
	uint32_t v = (uint32_t)(uintptr_t)arg;
	uint64_t gpa = 0x20000 + v * 0x1000;
	char msg[64];
	int n = snprintf(msg, sizeof(msg), "<vcpu %u: the quick brown fox jumps over>", v);
	fake_put(hx.fake, gpa, msg, (size_t)n);
	for (int i = 0; i < NMSG; i++) {
		struct hcabi_ref_ret r = RAW(v, HCABI_FID_CONSOLE_WRITE, gpa, (uint64_t)n);
		if (r.status != 0 || r.value != (uint64_t)n)
			return (void *)1;
	}
	return NULL;
}

START_TEST(concurrent_writes_not_interleaved)
{
	pthread_t t[NWRITERS];
	void *res;
	hx.fake->log_enabled = false;
	for (uintptr_t i = 0; i < NWRITERS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, writer, (void *)i), 0);
	for (int i = 0; i < NWRITERS; i++) {
		pthread_join(t[i], &res);
		ck_assert_ptr_null(res);
	}
	/* the capture is a sequence of whole messages */
	size_t pos = 0;
	unsigned count = 0;
	while (pos < hx.fake->nout) {
		char expect[64];
		unsigned v = (unsigned)(hx.fake->out[pos + 6] - '0');
		int n = snprintf(expect, sizeof(expect),
				 "<vcpu %u: the quick brown fox jumps over>", v);
		ck_assert_uint_lt(v, NWRITERS);
		ck_assert_mem_eq(hx.fake->out + pos, expect, (size_t)n);
		pos += (size_t)n;
		count++;
	}
	ck_assert_uint_eq(count, NWRITERS * NMSG);
}
END_TEST

static Suite *console_suite(void)
{
	Suite *s = suite_create("console");
	TCase *tc = hx_tcase(s, "write", 10);
	tcase_add_test(tc, write_basic);
	tcase_add_test(tc, write_unaligned_cross_page);
	tcase_add_test(tc, write_truncated_to_max);
	tcase_add_test(tc, write_zero_len);
	tcase_add_loop_test(tc, write_bad_range, 0, NBAD);
	tcase_add_test(tc, write_short_host_writes);
	tcase_add_test(tc, write_no_progress);
	tcase_add_test(tc, host_failures_are_io);
	tc = hx_tcase(s, "write_byte", 10);
	tcase_add_test(tc, write_byte);
	tcase_add_loop_test(tc, write_byte_reserved, 0,
			    (int)(sizeof(bad_bytes) / sizeof(bad_bytes[0])));
	tc = hx_tcase(s, "read", 10);
	tcase_add_test(tc, read_basic);
	tcase_add_test(tc, read_limits);
	tcase_add_test(tc, read_zero_len);
	tcase_add_test(tc, read_overclaim);
	tcase_add_test(tc, read_never_leaks_host_bytes);
	tcase_add_loop_test(tc, read_bad_range, 0, NBAD);
	tc = hx_tcase(s, "faults", 10);
	tcase_add_test(tc, console_faults);
	tc = hx_tcase(s, "concurrency", 30);
	tcase_add_test(tc, concurrent_writes_not_interleaved);
	return s;
}

int main(void)
{
	return hx_run(console_suite());
}
