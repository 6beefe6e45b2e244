/* SPDX-License-Identifier: MIT */
/*
 * System registers across a call: ARM64-014.
 *
 * What: every function that returns is called (harmless arguments, as in
 * preserve.c) with the EL1 and EL0 system registers the binding names read
 * before and after each call; all must be equal. The registers the runtime
 * does not rely on (TTBR1_EL1, whose walks TCR_EL1.EPD1 disables; ELR_EL1,
 * SPSR_EL1, ESR_EL1 and FAR_EL1, which only an exception writes, and none
 * is taken meanwhile: interrupts are masked; CONTEXTIDR_EL1; CNTKCTL_EL1;
 * TPIDR_EL0 and TPIDRRO_EL0) hold test patterns during the test, so that a
 * hypervisor that resets one to its boot value is seen too; the runtime's
 * values are put back after.
 * Why: a guest kernel keeps its translation tables, exception vectors,
 * per-CPU pointers and thread pointers in these registers; one changed
 * behind its back breaks it later, far from the call.
 */
#include "binding_state.h"

enum sr {
	SR_SCTLR,
	SR_TTBR0,
	SR_TTBR1,
	SR_TCR,
	SR_MAIR,
	SR_AMAIR,
	SR_VBAR,
	SR_ELR,
	SR_SPSR,
	SR_ESR,
	SR_FAR,
	SR_CPACR,
	SR_CONTEXTIDR,
	SR_CNTKCTL,
	SR_TPIDR1,
	SR_TPIDR0,
	SR_TPIDRRO,
	SR_COUNT
};

static const struct {
	const char *name;
	uint64_t pattern; /* written for the test; 0: the runtime's value is kept */
} srs[SR_COUNT] = {
    [SR_SCTLR] = {"SCTLR_EL1", 0},
    [SR_TTBR0] = {"TTBR0_EL1", 0},
    [SR_TTBR1] = {"TTBR1_EL1", 0x0000000040DEF000ull},
    [SR_TCR] = {"TCR_EL1", 0},
    [SR_MAIR] = {"MAIR_EL1", 0},
    [SR_AMAIR] = {"AMAIR_EL1", 0},
    [SR_VBAR] = {"VBAR_EL1", 0},
    [SR_ELR] = {"ELR_EL1", 0xFFFF800012345678ull},
    [SR_SPSR] = {"SPSR_EL1", 0x000000003C5ull},
    [SR_ESR] = {"ESR_EL1", 0x0000000096000045ull},
    [SR_FAR] = {"FAR_EL1", 0x0000DEADBEEF0000ull},
    [SR_CPACR] = {"CPACR_EL1", 0},
    [SR_CONTEXTIDR] = {"CONTEXTIDR_EL1", 0x00000000C0DE0A64ull},
    [SR_CNTKCTL] = {"CNTKCTL_EL1", 0x0000000000000003ull},
    [SR_TPIDR1] = {"TPIDR_EL1", 0},
    [SR_TPIDR0] = {"TPIDR_EL0", 0x00007F00DEAD1000ull},
    [SR_TPIDRRO] = {"TPIDRRO_EL0", 0x00007F00BEEF2000ull},
};

static void read_all(uint64_t v[SR_COUNT])
{
	v[SR_SCTLR] = hcabi_read_sysreg(sctlr_el1);
	v[SR_TTBR0] = hcabi_read_sysreg(ttbr0_el1);
	v[SR_TTBR1] = hcabi_read_sysreg(ttbr1_el1);
	v[SR_TCR] = hcabi_read_sysreg(tcr_el1);
	v[SR_MAIR] = hcabi_read_sysreg(mair_el1);
	v[SR_AMAIR] = hcabi_read_sysreg(amair_el1);
	v[SR_VBAR] = hcabi_read_sysreg(vbar_el1);
	v[SR_ELR] = hcabi_read_sysreg(elr_el1);
	v[SR_SPSR] = hcabi_read_sysreg(spsr_el1);
	v[SR_ESR] = hcabi_read_sysreg(esr_el1);
	v[SR_FAR] = hcabi_read_sysreg(far_el1);
	v[SR_CPACR] = hcabi_read_sysreg(cpacr_el1);
	v[SR_CONTEXTIDR] = hcabi_read_sysreg(contextidr_el1);
	v[SR_CNTKCTL] = hcabi_read_sysreg(cntkctl_el1);
	v[SR_TPIDR1] = hcabi_read_sysreg(tpidr_el1);
	v[SR_TPIDR0] = hcabi_read_sysreg(tpidr_el0);
	v[SR_TPIDRRO] = hcabi_read_sysreg(tpidrro_el0);
}

/* Write v[] to the registers that hold patterns (the others keep theirs). */
static void write_patterned(const uint64_t v[SR_COUNT])
{
	hcabi_write_sysreg(ttbr1_el1, v[SR_TTBR1]);
	hcabi_write_sysreg(elr_el1, v[SR_ELR]);
	hcabi_write_sysreg(spsr_el1, v[SR_SPSR]);
	hcabi_write_sysreg(esr_el1, v[SR_ESR]);
	hcabi_write_sysreg(far_el1, v[SR_FAR]);
	hcabi_write_sysreg(contextidr_el1, v[SR_CONTEXTIDR]);
	hcabi_write_sysreg(cntkctl_el1, v[SR_CNTKCTL]);
	hcabi_write_sysreg(tpidr_el0, v[SR_TPIDR0]);
	hcabi_write_sysreg(tpidrro_el0, v[SR_TPIDRRO]);
	hcabi_isb();
}

static uint64_t want[SR_COUNT]; /* the values under test: patterns, or the runtime's */

static void rewrite_want(void)
{
	write_patterned(want);
}

static const char *sr_name(unsigned k)
{
	return srs[k].name;
}

HCABI_TEST(a64_preserve_sysregs, "ARM64.preserve_system_registers", "ARM64-014", HCABI_VERSION_1_0)
{
	static const struct binding_state state = {
	    SR_COUNT, read_all, rewrite_want, sr_name, "ARM64-014", "the 17 system registers"};
	uint64_t saved[SR_COUNT];
	uint64_t flags = hcabi_irq_save();

	read_all(saved);
	for (int i = 0; i < SR_COUNT; i++)
		want[i] = srs[i].pattern ? srs[i].pattern : saved[i];
	write_patterned(want);
	binding_each_call_preserves(&state);
	write_patterned(saved);
	hcabi_irq_restore(flags);
}
