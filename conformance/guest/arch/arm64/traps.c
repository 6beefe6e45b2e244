/* SPDX-License-Identifier: MIT */
/*
 * traps.c - exception and interrupt dispatch (arm64).
 *
 * A synchronous exception a test announced with expect_exception(EC) is
 * recorded and the code resumes at its fixup label, or after the faulting
 * HVC, SMC or UDF. Any other is an error of the running test (EC, ESR, ELR,
 * FAR reported), after which the vCPU resumes at its abort context (the
 * test runner, or the SMP task wrapper); without one (boot, discovery) the
 * image prints a FATAL line with ESR/ELR/FAR and ends: never a silent hang.
 * SErrors, FIQs and the vector entries the runtime never uses are fatal.
 *
 * Interrupts: the interrupt controller's acknowledge gives the INTID, whose
 * handler (trapstate.c) runs, then the end of interrupt (intc.c).
 */
#include "hcabi_guest.h"
#include "hcabi_internal.h"


static const char *const ec_names[64] = {
    [HCABI_EXC_UNKNOWN] = "UNDEF",	[HCABI_EXC_WFX] = "WFx",
    [HCABI_EXC_FP] = "FP/SIMD trap",	[HCABI_EXC_ILLEGAL] = "illegal state",
    [HCABI_EXC_SVC64] = "SVC",		[HCABI_EXC_HVC64] = "HVC",
    [HCABI_EXC_SMC64] = "SMC",		[HCABI_EXC_SYSREG] = "system register trap",
    [HCABI_EXC_IABT_LOW] = "EL0 instruction abort",
    [HCABI_EXC_IABT] = "instruction abort",
    [HCABI_EXC_PC_ALIGN] = "PC alignment",
    [HCABI_EXC_DABT_LOW] = "EL0 data abort",
    [HCABI_EXC_DABT] = "data abort",	[HCABI_EXC_SP_ALIGN] = "SP alignment",
    [HCABI_EXC_BRK] = "BRK",
};

const char *hcabi_exception_name(unsigned vector)
{
	if (vector == HCABI_EXC_SERROR)
		return "SError";
	if (vector < 64)
		return ec_names[vector] ? ec_names[vector] : "exception";
	return "IRQ";
}

static const char *const kind_names[] = {"synchronous exception", "IRQ", "FIQ", "SError",
					  "exception through an unused vector entry"};

static HCABI_NORETURN void fatal(struct hcabi_frame *f, const char *why)
{
	unsigned kind = f->kind < HCABI_ARRAY_SIZE(kind_names) ? (unsigned)f->kind : 4;
	hcabi_printf("FATAL: %s: %s, EC 0x%x (%s) ESR=0x%llx ELR=0x%llx FAR=0x%llx SPSR=0x%llx "
		     "SP=0x%llx vCPU %u",
		     why, kind_names[kind], (unsigned)(f->esr >> 26) & 0x3F,
		     hcabi_exception_name((unsigned)(f->esr >> 26) & 0x3F),
		     (unsigned long long)f->esr, (unsigned long long)f->pc,
		     (unsigned long long)f->far, (unsigned long long)f->pstate,
		     (unsigned long long)f->sp, hcabi_cpu_index());
	hcabi_exit(HCABI_EXIT_FATAL);
}

/* Whether the instruction at pc is HVC, SMC or UDF (which an expected
 * exception may skip). */
static bool skippable_insn(uint64_t pc)
{
	uint32_t insn = *(const volatile uint32_t *)(uintptr_t)pc;
	return (insn & 0xFFE0001Fu) == 0xD4000002u || (insn & 0xFFE0001Fu) == 0xD4000003u ||
	       (insn & 0xFFFF0000u) == 0;
}

/* Resume in hcabi_longjmp(ctx, value), IRQs masked. */
static void redirect_longjmp(struct hcabi_frame *f, struct hcabi_jmpbuf *ctx, int value)
{
	f->pc = (uint64_t)(uintptr_t)hcabi_longjmp;
	f->x[0] = (uint64_t)(uintptr_t)ctx;
	f->x[1] = (uint64_t)value;
	f->pstate = HCABI_SPSR_EL1H_MASKED;
}

static void exception(struct hcabi_cpu *c, struct hcabi_frame *f)
{
	unsigned ec = (unsigned)(f->esr >> 26) & 0x3F;
	char msg[256];

	if (c->trap_depth > 2)
		fatal(f, "exception while handling an exception");
	if (c->expect_vector == (int)ec || c->expect_vector == HCABI_EXC_ANY) {
		c->expect_vector = -1;
		c->exc.happened = true;
		c->exc.vector = ec;
		c->exc.esr = f->esr;
		c->exc.far = f->far;
		c->exc.frame = *f;
		if (c->fixup) {
			f->pc = c->fixup;
			c->fixup = 0;
			return;
		}
		if (skippable_insn(f->pc)) {
			f->pc += 4;
			return;
		}
		/* expected, but nowhere to resume: an error */
	}
	hcabi_snprintf(msg, sizeof(msg),
		       "unexpected exception %s (EC 0x%x) ESR=0x%llx ELR=0x%llx FAR=0x%llx "
		       "SP=0x%llx on vCPU %u",
		       hcabi_exception_name(ec), ec, (unsigned long long)f->esr,
		       (unsigned long long)f->pc, (unsigned long long)f->far,
		       (unsigned long long)f->sp, hcabi_cpu_index());
	if (!c->abort_ctx)
		fatal(f, "unexpected exception outside a test");
	c->fixup = 0;
	c->expect_vector = -1;
	hcabi__on_unexpected_exception(msg);
	redirect_longjmp(f, c->abort_ctx, 1);
}

static void interrupt(struct hcabi_cpu *c, struct hcabi_frame *f)
{
	unsigned intid;
	hcabi_irq_handler handler;

	if (!hcabi_frame_irq_enabled(f) && hcabi__irq_filter_replays()) {
		/* Taken with IRQs masked: no GIC delivers that (hcabi_irq_replays).
		 * Not acknowledged: an interrupt the GIC does have pending stays
		 * pending, and is taken once the code unmasks IRQs. */
		__atomic_add_fetch(&c->irq_replays, 1, __ATOMIC_SEQ_CST);
		return;
	}
	intid = hcabi__intc_ack();
	if (intid >= 1020)
		return; /* spurious: nothing to end */
	if (intid < HCABI_IRQ_VECTORS)
		__atomic_add_fetch(&c->irq_count[intid], 1, __ATOMIC_SEQ_CST);
	handler = hcabi__irq_handler(intid);
	if (handler)
		handler(f, intid);
	else
		hcabi__on_unexpected_irq(hcabi_cpu_index(), intid);
	hcabi_intc_eoi();
}

void hcabi__trap(struct hcabi_frame *f)
{
	struct hcabi_cpu *c = hcabi_this_cpu();

	c->trap_depth++;
	if (f->kind == HCABI__TRAP_SYNC)
		exception(c, f);
	else if (f->kind == HCABI__TRAP_IRQ)
		interrupt(c, f);
	else
		fatal(f, "unrecoverable exception");
	c->trap_depth--;
}
