/* SPDX-License-Identifier: MIT */
/*
 * General argument rules: GEN-001 .. GEN-003.
 *
 * What:
 *  - GEN-001: every guest-physical buffer argument of the provided
 *    extensions' functions is refused with INVALID_ADDRESS when the buffer
 *    lies outside guest RAM (beyond its end, far beyond, in the LAPIC page;
 *    GEN-001.1), when its end overflows 64 bits (.2), or when it is not
 *    aligned as the function requires (.3) (MEM.RELEASE 4 KiB, MEM.GET_LAYOUT and BATCH.EXECUTE
 *    8 bytes, STEAL.SET_SHMEM 64 bytes);
 *  - GEN-002.1: every argument field of HCABI_FOREACH_ARG_FIELD, for the
 *    functions that return, is refused with INVALID_PARAM when a bit outside
 *    the fields defined at the exposed version is set (the lowest such bit
 *    and bit 63), other arguments valid. SYSTEM.SHUTDOWN's code is checked in
 *    hcabi-conf-system-shutdown.elf, where ending the VM is expected;
 *  - GEN-003: structures the hypervisor writes have their reserved fields
 *    zero: struct hcabi_mem_range.reserved0 (MEM.GET_LAYOUT into a buffer
 *    filled with 0xA5), struct hcabi_steal_time.flags and .reserved
 *    (STEAL.SET_SHMEM). Those are the only structures with reserved fields
 *    the hypervisor writes; for each of the two extensions that is not
 *    provided (e.g. under the core profile) the test checks instead that
 *    its writer is NOT_SUPPORTED and wrote nothing (the 0xA5 buffer is
 *    intact): no structure written, so none with a reserved field set. The
 *    test never skips: GEN applies to every profile.
 * Why: these rules are stated once for all functions; an implementation
 * that forgets them in one function gives guests a hole (reading host
 * memory, ignoring a future flag, leaking stale bytes).
 */
#include "hcabi_test.h"
#include "hcabi_calls.h"

struct bad_gpa {
	uint64_t gpa;
	const char *why;
	const char *req; /* outside RAM: GEN-001.1; the end overflows: GEN-001.2 */
};

/* Bad addresses for a buffer of len bytes aligned to align (a power of
 * two): each one is aligned, so that only its place is wrong. */
static size_t bad_gpas(struct bad_gpa *out, uint64_t len, uint64_t align)
{
	uint64_t end = hcabi_ram_end();
	uint64_t straddle = (end - len / 2) & ~(align - 1);
	uint64_t overflow = (~0ull - len / 2) & ~(align - 1);
	size_t n = 0;

	out[n++] = (struct bad_gpa){end, "the first byte past the end of RAM", "GEN-001.1"};
	if (straddle < end && straddle + len > end)
		out[n++] = (struct bad_gpa){straddle, "straddling the end of RAM", "GEN-001.1"};
	out[n++] = (struct bad_gpa){1ull << 46, "far beyond RAM (64 TiB)", "GEN-001.1"};
	out[n++] = (struct bad_gpa){0xFEE00000ull, "the LAPIC page", "GEN-001.1"};
	if (overflow + len < overflow)
		out[n++] = (struct bad_gpa){overflow, "ending past 2^64 (overflow)", "GEN-001.2"};
	return n;
}

HCABI_TEST(gen_addresses, "GEN.guest_physical_addresses",
	   "GEN-001.1,GEN-001.2,GEN-001.3," HCABI_REQ_VALUE_ZERO, HCABI_VERSION_1_0)
{
	struct bad_gpa bad[8];
	size_t n;
	bool any = false;

	if (hcabi_has_ext(HCABI_EID_CONSOLE)) {
		any = true;
		n = bad_gpas(bad, 64, 1);
		for (size_t i = 0; i < n; i++) {
			check_status(hcabi_console_write(bad[i].gpa, 64), HCABI_ERR_INVALID_ADDRESS,
				     bad[i].req, "CONSOLE.WRITE(0x%llx, 64): %s",
				     (unsigned long long)bad[i].gpa, bad[i].why);
			check_status(hcabi_console_read(bad[i].gpa, 64), HCABI_ERR_INVALID_ADDRESS,
				     bad[i].req, "CONSOLE.READ(0x%llx, 64): %s",
				     (unsigned long long)bad[i].gpa, bad[i].why);
		}
	}
	if (hcabi_has_ext(HCABI_EID_MEM)) {
		uint64_t buf = (uint64_t)(uintptr_t)hcabi_scratch;
		any = true;
		/* GET_LAYOUT writes min(max_entries, total) entries: one is
		 * enough for every address below to be wrong */
		n = bad_gpas(bad, sizeof(struct hcabi_mem_range), 8);
		for (size_t i = 0; i < n; i++)
			check_status(hcabi_mem_get_layout(bad[i].gpa, 1), HCABI_ERR_INVALID_ADDRESS,
				     bad[i].req, "MEM.GET_LAYOUT(0x%llx, 1 entry): %s",
				     (unsigned long long)bad[i].gpa, bad[i].why);
		check_status(hcabi_mem_get_layout(buf + 4, 1), HCABI_ERR_INVALID_ADDRESS, "GEN-001.3",
			     "MEM.GET_LAYOUT: 4-byte aligned array (8 required)");
		check_status(hcabi_mem_release(hcabi_ram_end(), 1), HCABI_ERR_INVALID_ADDRESS,
			     "GEN-001.1", "MEM.RELEASE of the page past the end of RAM");
		check_status(hcabi_mem_release(0xFFFFFFFFFFFFF000ull, 2), HCABI_ERR_INVALID_ADDRESS,
			     "GEN-001.2", "MEM.RELEASE whose range overflows");
		check_status(hcabi_mem_release(buf + 2048, 1), HCABI_ERR_INVALID_ADDRESS, "GEN-001.3",
			     "MEM.RELEASE: 2 KiB aligned page (4 KiB required)");
	}
	if (hcabi_has_ext(HCABI_EID_STEAL)) {
		uint64_t buf = (uint64_t)(uintptr_t)hcabi_scratch;
		any = true;
		n = bad_gpas(bad, sizeof(struct hcabi_steal_time), 64);
		for (size_t i = 0; i < n; i++)
			check_status(hcabi_steal_set_shmem(bad[i].gpa), HCABI_ERR_INVALID_ADDRESS,
				     bad[i].req, "STEAL.SET_SHMEM(0x%llx): %s",
				     (unsigned long long)bad[i].gpa, bad[i].why);
		check_status(hcabi_steal_set_shmem(buf + 32), HCABI_ERR_INVALID_ADDRESS, "GEN-001.3",
			     "STEAL.SET_SHMEM: 32-byte aligned record (64 required)");
		hcabi_steal_set_shmem(HCABI_STEAL_DISABLE);
	}
	if (hcabi_has_ext(HCABI_EID_BATCH)) {
		uint64_t buf = (uint64_t)(uintptr_t)hcabi_scratch;
		any = true;
		n = bad_gpas(bad, 2 * sizeof(struct hcabi_batch_entry), 8);
		for (size_t i = 0; i < n; i++)
			check_status(hcabi_batch_execute(bad[i].gpa, 2), HCABI_ERR_INVALID_ADDRESS,
				     bad[i].req, "BATCH.EXECUTE(0x%llx, 2 entries): %s",
				     (unsigned long long)bad[i].gpa, bad[i].why);
		check_status(hcabi_batch_execute(buf + 4, 1), HCABI_ERR_INVALID_ADDRESS, "GEN-001.3",
			     "BATCH.EXECUTE: 4-byte aligned table (8 required)");
	}
	if (hcabi_has_ext(HCABI_EID_VCPU) && hcabi_smp_count() >= 2) {
		uint64_t buf = (uint64_t)(uintptr_t)hcabi_scratch;
		any = true;
		check_status(hcabi_vcpu_start(1, hcabi_ram_end() - 32), HCABI_ERR_INVALID_ADDRESS,
			     "GEN-001.1", "VCPU.START(1, boot state straddling the end of RAM)");
		check_status(hcabi_vcpu_start(1, buf + 4), HCABI_ERR_INVALID_ADDRESS, "GEN-001.3",
			     "VCPU.START(1, 4-byte aligned boot state)");
	}
	if (!any)
		test_skip("no provided extension takes a guest-physical address");
}

HCABI_TEST(gen_reserved_bits, "GEN.reserved_argument_bits", "GEN-002.1," HCABI_REQ_VALUE_ZERO,
	   HCABI_VERSION_1_0)
{
	const struct hcabi_arg_field *fields = hcabi_arg_fields;
	uint32_t spec = hcabi_spec();
	bool any = false;

	for (size_t i = 0; i < hcabi_num_arg_fields; i++) {
		const struct hcabi_fn *fn = hcabi_fn_by_id(fields[i].id);
		uint64_t defined = 0, a[6];
		if (!fn || (fn->flags & HCABI_FN_NO_RETURN) || fn->since > spec ||
		    !hcabi_has_ext(HCABI_FUNCTION_EID(fn->id)))
			continue;
		/* the bits of this argument with a meaning at the exposed version */
		for (size_t k = 0; k < hcabi_num_arg_fields; k++)
			if (fields[k].id == fields[i].id && fields[k].arg == fields[i].arg &&
			    fields[k].since <= spec)
				defined |=
				    (fields[k].hi == 63 ? ~0ull
							: ((1ull << (fields[k].hi + 1)) - 1)) &
				    ~((1ull << fields[k].lo) - 1);
		if (defined == ~0ull)
			continue;
		/* valid arguments first */
		hcabi_harmless_args(fn->id, a, 0);
		switch (fn->id) {
		case HCABI_FID_CONSOLE_WRITE_BYTE:
			a[0] = '\n';
			break;
		case HCABI_FID_TIME_SET_TIMER:
			a[0] = ~0ull; /* never */
			a[1] = 0x40;
			break;
		case HCABI_FID_IPI_SEND:
			a[0] = 0;
			a[2] = 0x40;
			break;
		case HCABI_FID_TIME_SET_PERIODIC:
			a[0] = ~0ull; /* never */
			a[1] = HCABI_TIMER_MIN_PERIOD;
			a[2] = 0x40;
			break;
		default:
			break;
		}
		for (int b = 0; b < 64; b++) {
			if (defined >> b & 1)
				continue;
			uint64_t lowest = 1ull << b;
			uint64_t saved = a[fields[i].arg];
			any = true;
			a[fields[i].arg] = saved | lowest;
			check_status(hcabi_raw_call(fn->id, a, false), HCABI_ERR_INVALID_PARAM,
				     "GEN-002.1", "%s.%s argument %u with reserved bit %d set",
				     fn->ext, fn->name, fields[i].arg, b);
			a[fields[i].arg] = saved | (1ull << 63);
			if (b != 63)
				check_status(hcabi_raw_call(fn->id, a, true),
					     HCABI_ERR_INVALID_PARAM, "GEN-002.1",
					     "%s.%s argument %u with reserved bit 63 set", fn->ext,
					     fn->name, fields[i].arg);
			a[fields[i].arg] = saved;
			break;
		}
	}
	if (hcabi_has_ext(HCABI_EID_TIME))
		hcabi_time_cancel_timer();
	if (!any)
		test_skip("no provided function has an argument with reserved bits");
}

/* An absent extension's structure writer: refused, and nothing written
 * into its buffer filled with 0xA5; at once, and after one more call (a
 * steal-time record registered anyway would be written on that return). */
static void gen_nothing_written(struct hcabi_ret r, const uint8_t *buf, size_t len,
				const char *what)
{
	check_status(r, HCABI_ERR_NOT_SUPPORTED, "GEN-003", "%s (extension not provided)", what);
	for (int pass = 0; pass < 2; pass++) {
		size_t i = 0;
		if (pass)
			hcabi_base_get_spec_version();
		while (i < len && buf[i] == 0xA5)
			i++;
		check_true(i == len, "GEN-003", "%s wrote nothing into its buffer%s (byte %u changed)",
			   what, pass ? ", after one more call" : "", (unsigned)i);
	}
}

HCABI_TEST(gen_reserved_fields, "GEN.reserved_fields_written_zero", "GEN-003," HCABI_REQ_VALUE_ZERO,
	   HCABI_VERSION_1_0)
{
	if (!hcabi_has_ext(HCABI_EID_MEM)) {
		memset(hcabi_scratch, 0xA5, 16 * sizeof(struct hcabi_mem_range));
		gen_nothing_written(hcabi_mem_get_layout((uint64_t)(uintptr_t)hcabi_scratch, 16),
				    hcabi_scratch, 16 * sizeof(struct hcabi_mem_range),
				    "MEM.GET_LAYOUT(buffer, 16)");
	} else {
		struct hcabi_mem_range *r = (struct hcabi_mem_range *)(void *)hcabi_scratch;
		struct hcabi_ret ret;
		memset(hcabi_scratch, 0xA5, 16 * sizeof(*r));
		ret = hcabi_mem_get_layout((uint64_t)(uintptr_t)r, 16);
		if (check_status(ret, HCABI_SUCCESS, "GEN-003", "MEM.GET_LAYOUT(buffer, 16)")) {
			uint64_t n = ret.value < 16 ? ret.value : 16;
			for (uint64_t i = 0; i < n; i++)
				check_eq_u64(r[i].reserved0, 0, "GEN-003",
					     "hcabi_mem_range[%llu].reserved0",
					     (unsigned long long)i);
		}
	}
	if (!hcabi_has_ext(HCABI_EID_STEAL)) {
		uint8_t *st = hcabi_scratch + 4096;
		memset(st, 0xA5, sizeof(struct hcabi_steal_time));
		gen_nothing_written(hcabi_steal_set_shmem((uint64_t)(uintptr_t)st), st,
				    sizeof(struct hcabi_steal_time), "STEAL.SET_SHMEM(record)");
	} else {
		struct hcabi_steal_time *st =
		    (struct hcabi_steal_time *)(void *)(hcabi_scratch + 4096);
		memset(st, 0xA5, sizeof(*st));
		if (check_status(hcabi_steal_set_shmem((uint64_t)(uintptr_t)st), HCABI_SUCCESS,
				 "GEN-003", "STEAL.SET_SHMEM(record)")) {
			bool zero = st->flags == 0;
			for (unsigned i = 0; i < HCABI_ARRAY_SIZE(st->reserved); i++)
				zero &= st->reserved[i] == 0;
			check_true(zero, "GEN-003",
				   "hcabi_steal_time.flags and .reserved[] are zero (flags 0x%x)",
				   st->flags);
			hcabi_steal_set_shmem(HCABI_STEAL_DISABLE);
		}
	}
}
