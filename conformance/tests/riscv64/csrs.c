/* SPDX-License-Identifier: MIT */
/*
 * Supervisor CSRs across a call: RV64-012.
 *
 * What: every function that returns is called (harmless arguments, as in
 * preserve.c) with the nine CSRs the binding names read before and after
 * each call: sstatus, sie, stvec, sscratch, sepc, scause, stval, satp and
 * senvcfg (when the hart has it: a read that is an illegal instruction is
 * logged and the CSR left out); all must be equal. The CSRs that only a
 * trap writes (sepc, scause, stval: none is taken meanwhile, interrupts are
 * disabled) hold test patterns during the test, and so do the sstatus bits
 * that change nothing here (SUM, MXR: no page is a U-mode one, every page is
 * readable) and sie (every S-level
 * source enabled, taken by no one with sstatus.SIE clear), so that a
 * hypervisor that resets one to its boot value is seen too; the runtime's
 * values are put back after. satp holds an Sv39 identity map with ASID
 * 0x5A meanwhile (the runtime runs untranslated, satp 0, otherwise), so a
 * hypervisor that loses a guest's translation is seen. stvec and sscratch
 * (the runtime's trap vector and per-vCPU block) keep theirs.
 * Why: a guest kernel keeps its trap vector, per-CPU pointer, page tables
 * and interrupt enables in these CSRs; one changed behind its back breaks
 * it later, far from the call. sstatus.SIE in particular: a call must
 * neither enable nor disable interrupts.
 */
#include "binding_state.h"
#include "hcabi_riscv64_sv39.h"

enum csr {
	CSR_SSTATUS,
	CSR_SIE,
	CSR_STVEC,
	CSR_SSCRATCH,
	CSR_SEPC,
	CSR_SCAUSE,
	CSR_STVAL,
	CSR_SATP,
	CSR_SENVCFG,
	CSR_COUNT
};

static const char *const csr_names[CSR_COUNT] = {"sstatus", "sie",   "stvec", "sscratch", "sepc",
						 "scause",  "stval", "satp",  "senvcfg"};

#define SSTATUS_MXR (1ull << 19)
#define SIE_ALL 0x222ull /* SSIE, STIE, SEIE */
#define SENVCFG 0x10A	 /* by number: older assemblers do not know it */

static bool have_senvcfg;
static uint64_t satp_pattern; /* identity_satp()'s, 0: none */

/* An Sv39 identity map of the first 256 GiB in 1 GiB leaves (RAM, the
 * console and the IMSIC files all lie there), with ASID 0x5A: what satp
 * reads after it is written (0: the hart has no Sv39, the write had no
 * effect), or 0 when no page is free. */
static uint64_t identity_satp(void)
{
	uint64_t root = hcabi_alloc_page();

	if (!root)
		return 0;
	hcabi_sv39_identity((uint64_t *)(uintptr_t)root);
	__asm__ __volatile__("fence rw, rw" ::: "memory");
	hcabi_csr_write(satp, hcabi_sv39_satp(root, 0x5A));
	__asm__ __volatile__("sfence.vma" ::: "memory");
	return hcabi_csr_read(satp);
}

static void read_all(uint64_t v[CSR_COUNT])
{
	v[CSR_SSTATUS] = hcabi_csr_read(sstatus);
	v[CSR_SIE] = hcabi_csr_read(sie);
	v[CSR_STVEC] = hcabi_csr_read(stvec);
	v[CSR_SSCRATCH] = hcabi_csr_read(sscratch);
	v[CSR_SEPC] = hcabi_csr_read(sepc);
	v[CSR_SCAUSE] = hcabi_csr_read(scause);
	v[CSR_STVAL] = hcabi_csr_read(stval);
	v[CSR_SATP] = hcabi_csr_read(satp);
	v[CSR_SENVCFG] = have_senvcfg ? hcabi_csr_read(SENVCFG) : 0;
}

/* The patterns (sepc, scause, stval, sie, sstatus.SUM and MXR, satp). */
static void write_patterns(void)
{
	if (satp_pattern) {
		hcabi_csr_write(satp, satp_pattern);
		__asm__ __volatile__("sfence.vma" ::: "memory");
	}
	hcabi_csr_write(sepc, 0xFFFFFFC012345678ull);
	hcabi_csr_write(scause, 0x000000000000000Dull); /* load page fault */
	hcabi_csr_write(stval, 0x0000DEADBEEF0000ull);
	hcabi_csr_write(sie, SIE_ALL);
	hcabi_csr_set(sstatus, HCABI_SSTATUS_SUM | SSTATUS_MXR);
}

static const char *csr_name(unsigned k)
{
	return csr_names[k];
}

HCABI_TEST(rv_preserve_csrs, "RV64.preserve_supervisor_csrs", "RV64-012", HCABI_VERSION_1_0)
{
	uint64_t flags = hcabi_irq_save();
	uint64_t saved[CSR_COUNT];
	struct hcabi_exc_info info;
	unsigned compared = CSR_COUNT;

	expect_exception(HCABI_EXC_ILLEGAL);
	(void)hcabi_csr_read(SENVCFG);
	have_senvcfg = !exception_end(&info);
	if (!have_senvcfg) {
		test_log("senvcfg is an illegal instruction here (the hart has no senvcfg): not "
			 "compared");
		compared--;
	}
	read_all(saved);
	satp_pattern = identity_satp();
	if (!satp_pattern)
		test_log("no Sv39 (or no free page): satp stays 0 during the test");
	write_patterns();
	{
		char unchanged[40];
		const struct binding_state state = {CSR_COUNT, read_all, write_patterns, csr_name,
						    "RV64-012", unchanged};
		hcabi_snprintf(unchanged, sizeof(unchanged), "the %u supervisor CSRs", compared);
		binding_each_call_preserves(&state);
	}
	/* sstatus.SIE set around a call: still set after (interrupts may be
	 * taken, none is expected) */
	{
		struct hcabi_ret r;
		uint64_t s;
		hcabi_csr_write(sie, saved[CSR_SIE]);
		hcabi_irq_enable();
		r = hcabi_base_get_spec_version();
		s = hcabi_csr_read(sstatus);
		hcabi_irq_disable();
		check_true(
		    (s & HCABI_SSTATUS_SIE) != 0, "RV64-012",
		    "GET_SPEC_VERSION made with sstatus.SIE set: sstatus 0x%llx after (status "
		    "%lld)",
		    (unsigned long long)s, (long long)r.status);
	}
	hcabi_csr_write(sepc, saved[CSR_SEPC]);
	hcabi_csr_write(scause, saved[CSR_SCAUSE]);
	hcabi_csr_write(stval, saved[CSR_STVAL]);
	hcabi_csr_write(sie, saved[CSR_SIE]);
	hcabi_csr_clear(sstatus, (HCABI_SSTATUS_SUM | SSTATUS_MXR) & ~saved[CSR_SSTATUS]);
	hcabi_csr_write(satp, saved[CSR_SATP]);
	__asm__ __volatile__("sfence.vma" ::: "memory");
	hcabi_irq_restore(flags);
}
