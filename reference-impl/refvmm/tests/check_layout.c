/* SPDX-License-Identifier: MIT */
/*
 * check_layout.c - unit tests of the x86-64 guest-physical map
 * (src/arch/x86_64/layout.c) and the MP tables written into its BIOS area
 * (mptable.c), which need no KVM: the core's RAM ranges must be the memory
 * map's RAM (MEM-011.6), and the MP tables must be what Linux's mpparse.c
 * accepts: signatures, checksums, a processor per vCPU with APIC ID =
 * index and vCPU 0 the BSP, the ISA bus, the I/O APIC, ISA IRQs on pins.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "layout.h"

#define RAM (256ull << 20)

static uint8_t sum(const uint8_t *p, size_t len)
{
	uint8_t s = 0;
	for (size_t i = 0; i < len; i++)
		s = (uint8_t)(s + p[i]);
	return s;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

START_TEST(ram_layout)
{
	struct hcabi_ref_ram_range r[HCABI__ARCH_MAX_RAM_RANGES];
	struct hcabi_pvh_memmap_entry e[HCABI__X86_MAX_E820];

	ck_assert_uint_eq(hcabi__arch_ram_layout(RAM, r), 2);
	ck_assert_uint_eq(r[0].base, 0);
	ck_assert_uint_eq(r[0].size, 0xa0000);
	ck_assert_uint_eq(r[1].base, 0x100000);
	ck_assert_uint_eq(r[1].size, RAM - 0x100000);
	/* the E820 map: the same RAM, and the BIOS area reserved between */
	ck_assert_uint_eq(hcabi__x86_e820(RAM, e), 3);
	ck_assert_uint_eq(e[0].addr, r[0].base);
	ck_assert_uint_eq(e[0].size, r[0].size);
	ck_assert_uint_eq(e[2].addr, r[1].base);
	ck_assert_uint_eq(e[2].size, r[1].size);
	ck_assert_uint_eq(e[1].type, HCABI_PVH_MEMMAP_RESERVED);
	/* --memory 1M: low RAM and the BIOS area only */
	ck_assert_uint_eq(hcabi__arch_ram_layout(1ull << 20, r), 1);
	ck_assert_uint_eq(r[0].size, 0xa0000);
	ck_assert_uint_eq(hcabi__x86_e820(1ull << 20, e), 2);
	ck_assert_uint_eq(e[1].addr + e[1].size, 0x100000);
}
END_TEST

static const uint32_t vcpu_counts[] = {1, 2, 4, 255};

START_TEST(mp_table)
{
	uint32_t n = vcpu_counts[_i];
	uint8_t *ram = calloc(1, RAM);
	char err[256];
	uint8_t *mpf, *mpc, *p;
	uint32_t len, count, cpus = 0, irqs = 0, lints = 0, ioapics = 0, buses = 0;

	ck_assert_ptr_nonnull(ram);
	ck_assert_int_eq(hcabi__x86_mptable_write(ram, RAM, n, err, sizeof(err)), 0);
	/* the floating pointer: 16 bytes, 16-aligned, in the BIOS area */
	mpf = ram + HCABI__X86_BIOS_BASE;
	ck_assert_int_eq(memcmp(mpf, "_MP_", 4), 0);
	ck_assert_uint_eq(mpf[8], 1);
	ck_assert_uint_eq(mpf[9], 4);
	ck_assert_uint_eq(sum(mpf, 16), 0);
	ck_assert_uint_eq(mpf[11], 0); /* a configuration table follows */
	ck_assert_uint_ge(get32(mpf + 4), HCABI__X86_BIOS_BASE);
	ck_assert_uint_lt(get32(mpf + 4), HCABI__X86_HIGH_RAM_BASE);
	mpc = ram + get32(mpf + 4);
	ck_assert_int_eq(memcmp(mpc, "PCMP", 4), 0);
	len = mpc[4] | (uint32_t)mpc[5] << 8;
	count = mpc[34] | (uint32_t)mpc[35] << 8;
	ck_assert_uint_le(get32(mpf + 4) + len, HCABI__X86_HIGH_RAM_BASE);
	ck_assert_uint_eq(sum(mpc, len), 0);
	ck_assert_uint_eq(get32(mpc + 36), HCABI__X86_LAPIC_ADDR);
	p = mpc + 44;
	for (uint32_t i = 0; i < count; i++) {
		ck_assert_uint_lt((uint64_t)(p - mpc), len);
		switch (p[0]) {
		case 0: /* processor */
			ck_assert_uint_eq(p[1], cpus);
			ck_assert_uint_eq(p[3], cpus == 0 ? 3 : 1);
			cpus++;
			p += 20;
			break;
		case 1:
			ck_assert_int_eq(memcmp(p + 2, "ISA   ", 6), 0);
			buses++;
			p += 8;
			break;
		case 2: /* the I/O APIC: an ID no processor has */
			ck_assert_uint_eq(p[1], n);
			ck_assert_uint_eq(p[3], 1);
			ck_assert_uint_eq(get32(p + 4), HCABI__X86_IOAPIC_ADDR);
			ioapics++;
			p += 8;
			break;
		case 3: /* ISA IRQ k on pin k of that I/O APIC */
			ck_assert_uint_eq(p[1], 0);
			ck_assert_uint_ne(p[5], 2);
			ck_assert_uint_eq(p[6], n);
			ck_assert_uint_eq(p[7], p[5]);
			irqs++;
			p += 8;
			break;
		case 4:
			lints++;
			p += 8;
			break;
		default:
			ck_abort_msg("entry %u has type %u", i, p[0]);
		}
	}
	ck_assert_ptr_eq(p, mpc + len);
	ck_assert_uint_eq(cpus, n);
	ck_assert_uint_eq(buses, 1);
	ck_assert_uint_eq(ioapics, 1);
	ck_assert_uint_eq(irqs, 15);
	ck_assert_uint_eq(lints, 2);
	free(ram);
}
END_TEST

START_TEST(mp_table_refused)
{
	uint8_t *ram = calloc(1, RAM);
	char err[256];

	ck_assert_ptr_nonnull(ram);
	ck_assert_int_eq(hcabi__x86_mptable_write(ram, RAM, 0, err, sizeof(err)), -1);
	ck_assert_int_eq(hcabi__x86_mptable_write(ram, RAM, 256, err, sizeof(err)), -1);
	ck_assert_int_eq(hcabi__x86_mptable_write(ram, 0x80000, 1, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "BIOS area"));
	free(ram);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("layout");
	TCase *tc = tcase_create("layout");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, ram_layout);
	tcase_add_loop_test(tc, mp_table, 0, (int)(sizeof(vcpu_counts) / sizeof(vcpu_counts[0])));
	tcase_add_test(tc, mp_table_refused);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
