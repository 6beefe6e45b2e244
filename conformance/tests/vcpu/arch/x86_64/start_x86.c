/* SPDX-License-Identifier: MIT */
/*
 * VCPU.START on x86-64: the boot state's own rules (VCPU-022), the register
 * state a started vCPU begins with (VCPU-024) and the boot state read once
 * (VCPU-025, with rsp and cr3). start.c has what every architecture shares.
 *
 * What:
 *  - a boot state with flags or reserved0 not zero, a non-canonical rip,
 *    cr3 with any of bits 11:0 set or outside RAM, cs or ds with RPL or TI
 *    set, or a null cs or ds is INVALID_PARAM and starts nothing (VCPU-022,
 *    GEN-002.2);
 *  - a successful START returns SUCCESS with 0, GET_STATUS reports the
 *    target RUNNING right away, and the target's first instruction sees: RDI
 *    = arg and every other general-purpose register but RSP zero; RSP, CR3
 *    (a copy of the page tables, so the value is distinctive), GDTR (a
 *    limit smaller than the runtime's) and IDTR as given; RFLAGS = 0x2 (IF
 *    clear); CR0 with PE, MP, ET, NE, WP, PG; CR4 with PAE, OSFXSR,
 *    OSXMMEXCPT; EFER with LME, LMA, NXE; CS = cs and DS, ES, FS, GS, SS =
 *    ds; the LAPIC globally enabled (IA32_APIC_BASE bit 11); MXCSR 0x1F80
 *    (VCPU-024); after it stops, GET_STATUS reports STOPPED (VCPU-041);
 *  - the boot state is read once: overwritten right after START returns
 *    (another arg, rsp and cr3, and an invalid flags value), the started
 *    vCPU still runs with the values START was given (VCPU-025).
 * The x87 control word is only logged: "as after reset" is 0x0040 after a
 * hardware RESET and 0x037F after FNINIT or KVM's vCPU reset, so the text
 * does not pin one value.
 */
#include "vcpu_common.h"

#define APIC_BASE_EN (1ull << 11)

static struct vcpu_raw raw_a, raw_b;
static vcpu_bs bs __attribute__((aligned(64)));

HCABI_TEST(vcpu_start_bad_state, "VCPU.start_bad_state",
	   "VCPU-022.1,VCPU-022.2,VCPU-022.3,VCPU-022.4,VCPU-022.5,VCPU-022.6,GEN-002.2,VCPU-030.2,"
	   "STATUS-004," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_VCPU_START_SINCE)
{
	enum { F_FLAGS, F_RES0, F_CS, F_DS, F_CR3, F_RIP };
	const struct {
		int field;
		uint64_t v;
		const char *req, *what;
	} cases[] = {
	    {F_FLAGS, 1, "VCPU-022.1", "flags = 1"},
	    {F_FLAGS, 0x80000000u, "GEN-002.2", "flags = 0x80000000"},
	    {F_RES0, 1, "VCPU-022.1", "reserved0 = 1"},
	    {F_RES0, 0x80000000u, "GEN-002.2", "reserved0 = 0x80000000"},
	    {F_CS, HCABI_SEL_KCODE | 1, "VCPU-022.5", "cs with RPL 1"},
	    {F_CS, HCABI_SEL_KCODE | 3, "VCPU-022.5", "cs with RPL 3"},
	    {F_CS, HCABI_SEL_KCODE | 4, "VCPU-022.5", "cs with TI (LDT) set"},
	    {F_DS, HCABI_SEL_KDATA | 2, "VCPU-022.5", "ds with RPL 2"},
	    {F_DS, HCABI_SEL_KDATA | 4, "VCPU-022.5", "ds with TI (LDT) set"},
	    {F_CS, 0, "VCPU-022.6", "the null selector in cs"},
	    {F_DS, 0, "VCPU-022.6", "the null selector in ds"},
	    {F_CR3, 0x8, "VCPU-022.3", "cr3 with bit 3 (PWT) set"},
	    {F_CR3, 0x1, "VCPU-022.3", "cr3 with bit 0 set"},
	    {F_CR3, 0x800, "VCPU-022.3", "cr3 with bit 11 set"},
	    {F_CR3, 0, "VCPU-022.4", "cr3 = the end of RAM"},
	    {F_CR3, 1, "VCPU-022.4", "cr3 = 2^52 - 4096 (outside RAM)"},
	    {F_RIP, 0x0000800000000000ull, "VCPU-022.2", "rip 0x0000800000000000 (non-canonical)"},
	    {F_RIP, 0x8000000000000000ull, "VCPU-022.2", "rip 0x8000000000000000 (non-canonical)"},
	    {F_RIP, 0xFFFF7FFFFFFFFFFFull, "VCPU-022.2", "rip 0xFFFF7FFFFFFFFFFF (non-canonical)"},
	};

	if (!test_require_cpus(2))
		return;
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(cases); i++) {
		vcpu_raw_prepare(&raw_a, 1, 0);
		vcpu_raw_boot_state(&bs, &raw_a, 0);
		switch (cases[i].field) {
		case F_FLAGS:
			bs.flags = (uint32_t)cases[i].v;
			break;
		case F_RES0:
			bs.reserved0 = (uint32_t)cases[i].v;
			break;
		case F_CS:
			bs.cs = (uint16_t)cases[i].v;
			break;
		case F_DS:
			bs.ds = (uint16_t)cases[i].v;
			break;
		case F_CR3:
			if (cases[i].v == 0)
				bs.cr3 = hcabi_ram_top();
			else if (cases[i].v == 1)
				bs.cr3 = (1ull << 52) - 4096;
			else
				bs.cr3 |= cases[i].v;
			break;
		case F_RIP:
			bs.rip = cases[i].v;
			break;
		}
		check_status(hcabi_vcpu_start(1, hcabi_gpa(&bs)), HCABI_ERR_INVALID_PARAM,
			     cases[i].req, "START(1, a boot state with %s)", cases[i].what);
		if (!vcpu_not_started(1, &raw_a, "STATUS-004", cases[i].what))
			return;
	}
}

HCABI_TEST(vcpu_start_state, "VCPU.start_register_state",
	   "VCPU-024.1,VCPU-024.2,VCPU-024.3,VCPU-024.4,VCPU-041.1,VCPU-030.2,"
	   HCABI_REQ_VALUE_ZERO, HCABI_FID_VCPU_START_SINCE)
{
	uint64_t cr3copy;
	struct hcabi_ret r, st;

	if (!test_require_cpus(2))
		return;
	cr3copy = vcpu_cr3_copy();
	if (!cr3copy)
		return;
	vcpu_raw_prepare(&raw_a, 1, vcpu_raw_wait_release);
	vcpu_raw_boot_state(&bs, &raw_a, cr3copy);
	r = vcpu_start_raw(1, &bs);
	st = hcabi_vcpu_get_status(1);
	if (!check_ret(r, HCABI_SUCCESS, 0, "VCPU-024.2", "START(1, a valid boot state)"))
		return;
	check_ret(st, HCABI_SUCCESS, HCABI_VCPU_STATUS_RUNNING, "VCPU-024.1",
		  "GET_STATUS(1) right after START returned");
	if (!check_true(vcpu_raw_wait_entered(&raw_a, 1, HCABI_SEC(10)), "VCPU-024.2",
			"vCPU 1 began executing at rip with RDI = arg (within 10 s)"))
		return;

	vcpu_check_start_state(&raw_a, &bs, "");
	check_true(raw_a.apic_base & APIC_BASE_EN, "VCPU-024.3",
		   "the local APIC is globally enabled (IA32_APIC_BASE 0x%llx)",
		   (unsigned long long)raw_a.apic_base);
	test_log("x87 control word at start: 0x%04x", raw_a.fcw);

	hcabi_atomic_store(&raw_a.release, 1);
	if (!vcpu_raw_wait_stopped(&raw_a, 1, HCABI_SEC(30))) {
		check_true(false, "VCPU-030.2",
			   "vCPU 1 called VCPU.STOP and was not STOPPED within 30 s");
		return;
	}
	check_ret(hcabi_vcpu_get_status(1), HCABI_SUCCESS, HCABI_VCPU_STATUS_STOPPED, "VCPU-041.1",
		  "GET_STATUS(1) after vCPU 1 executed STOP");
	check_true(!raw_a.faulted, "VCPU-024.3", "vCPU 1 ran its code without an exception");
}

HCABI_TEST(vcpu_start_read_once, "VCPU.start_reads_boot_state_once",
	   "VCPU-025,VCPU-030.2," HCABI_REQ_VALUE_ZERO, HCABI_FID_VCPU_START_SINCE)
{
	uint64_t cr3copy, want_rsp;
	struct hcabi_ret r;

	if (!test_require_cpus(2))
		return;
	cr3copy = vcpu_cr3_copy();
	if (!cr3copy)
		return;
	vcpu_raw_prepare(&raw_a, 1, vcpu_raw_wait_release);
	vcpu_raw_prepare(&raw_b, 1, vcpu_raw_wait_release);
	vcpu_raw_boot_state(&bs, &raw_a, cr3copy);
	want_rsp = bs.rsp;
	r = vcpu_start_raw(1, &bs);
	/* at once: another arg, stack and page tables, and an invalid flags */
	bs.arg = hcabi_gpa(&raw_b);
	bs.rsp = (uint64_t)(uintptr_t)(raw_b.stack + sizeof(raw_b.stack));
	bs.cr3 = hcabi_read_cr3() & ~0xFFFull;
	bs.flags = 0xFFFFFFFFu;
	hcabi_mb();
	if (!check_ret(r, HCABI_SUCCESS, 0, "VCPU-025", "START(1, a valid boot state)"))
		return;
	if (!vcpu_raw_wait_entered(&raw_a, 1, HCABI_SEC(10))) {
		check_true(false, "VCPU-025",
			   "vCPU 1 entered with the arg START was given (raw_a entries %llu, the "
			   "overwritten arg's entries %llu)",
			   (unsigned long long)raw_a.entries, (unsigned long long)raw_b.entries);
		(void)vcpu_wait_state(1, HCABI_VCPU_STATUS_STOPPED, HCABI_SEC(10));
		hcabi_atomic_store(&raw_b.release, 1);
		return;
	}
	check_eq_u64(raw_b.entries, 0, "VCPU-025", "nothing entered with the overwritten arg");
	check_eq_u64(raw_a.gpr[R_RDI], hcabi_gpa(&raw_a), "VCPU-025",
		     "RDI = the arg START was given");
	check_eq_u64(raw_a.gpr[R_RSP], want_rsp, "VCPU-025", "RSP = the rsp START was given");
	check_eq_u64(raw_a.cr3, cr3copy, "VCPU-025", "CR3 = the cr3 START was given");
	hcabi_atomic_store(&raw_a.release, 1);
	if (!vcpu_raw_wait_stopped(&raw_a, 1, HCABI_SEC(30)))
		check_true(false, "VCPU-030.2",
			   "vCPU 1 called VCPU.STOP and was not STOPPED within 30 s");
}
