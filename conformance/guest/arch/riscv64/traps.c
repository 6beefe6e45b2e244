/* SPDX-License-Identifier: MIT */
/*
 * traps.c - exception and interrupt dispatch (riscv64).
 *
 * An exception a test announced with expect_exception(code) is recorded and
 * the code resumes at its fixup label, or after the faulting ECALL, EBREAK
 * or illegal instruction. Any other is an error of the running test
 * (scause, sepc, stval reported), after which the hart resumes at its abort
 * context (the test runner, or the SMP task wrapper); without one (boot,
 * discovery) the image prints a FATAL line with the same and ends: never a
 * silent hang. A trap from U-mode (but for hcabi_run_umode's, which its
 * own vector in umode.S takes) and any interrupt but the supervisor
 * external one are fatal.
 *
 * Interrupts: supervisor external (scause interrupt 9), the IMSIC's; each
 * identity claimed (intc.c) goes to its handler (trapstate.c), then the end
 * of interrupt.
 */
#include "hcabi_guest.h"
#include "hcabi_internal.h"

static const char *const exc_names[16] = {
    [HCABI_EXC_INSN_MISALIGNED] = "instruction address misaligned",
    [HCABI_EXC_INSN_ACCESS] = "instruction access fault",
    [HCABI_EXC_ILLEGAL] = "illegal instruction",
    [HCABI_EXC_BREAKPOINT] = "breakpoint",
    [HCABI_EXC_LOAD_MISALIGNED] = "load address misaligned",
    [HCABI_EXC_LOAD_ACCESS] = "load access fault",
    [HCABI_EXC_STORE_MISALIGNED] = "store/AMO address misaligned",
    [HCABI_EXC_STORE_ACCESS] = "store/AMO access fault",
    [HCABI_EXC_ECALL_U] = "environment call from U-mode",
    [HCABI_EXC_ECALL_S] = "environment call from S-mode",
    [HCABI_EXC_INSN_PAGE] = "instruction page fault",
    [HCABI_EXC_LOAD_PAGE] = "load page fault",
    [HCABI_EXC_STORE_PAGE] = "store/AMO page fault",
};

const char *hcabi_exception_name(unsigned vector)
{
	if (vector < 16)
		return exc_names[vector] ? exc_names[vector] : "exception";
	return "IRQ";
}

static HCABI_NORETURN void fatal(struct hcabi_frame *f, const char *why)
{
	bool irq = (f->cause & HCABI_SCAUSE_IRQ) != 0;
	unsigned code = (unsigned)(f->cause & 0xFF);

	hcabi_printf("FATAL: %s: %s %u (%s) scause=0x%llx sepc=0x%llx stval=0x%llx "
		     "sstatus=0x%llx sp=0x%llx vCPU %u",
		     why, irq ? "interrupt" : "exception", code,
		     irq ? "interrupt" : hcabi_exception_name(code), (unsigned long long)f->cause,
		     (unsigned long long)f->pc, (unsigned long long)f->tval,
		     (unsigned long long)f->status, (unsigned long long)HCABI_FRAME_REG(f, 2),
		     hcabi_cpu_index());
	hcabi_exit(HCABI_EXIT_FATAL);
}

/* The length of the instruction at pc if an expected exception may skip
 * it (ECALL, EBREAK, C.EBREAK, an illegal instruction), else 0. */
static unsigned skippable_len(unsigned code, uint64_t pc)
{
	uint16_t lo = *(const volatile uint16_t *)(uintptr_t)pc;

	if (code != HCABI_EXC_ECALL_S && code != HCABI_EXC_ECALL_U &&
	    code != HCABI_EXC_BREAKPOINT && code != HCABI_EXC_ILLEGAL)
		return 0;
	return (lo & 3) == 3 ? 4 : 2; /* 16-bit (C) or 32-bit encoding */
}

/* Resume in hcabi_longjmp(ctx, value), in S-mode, interrupts off. */
static void redirect_longjmp(struct hcabi_frame *f, struct hcabi_jmpbuf *ctx, int value)
{
	f->pc = (uint64_t)(uintptr_t)hcabi_longjmp;
	HCABI_FRAME_REG(f, 10) = (uint64_t)(uintptr_t)ctx;
	HCABI_FRAME_REG(f, 11) = (uint64_t)value;
	f->status = (f->status | HCABI_SSTATUS_SPP) & ~(uint64_t)HCABI_SSTATUS_SPIE;
}

static void exception(struct hcabi_cpu *c, struct hcabi_frame *f)
{
	unsigned code = (unsigned)(f->cause & 0xFF);
	char msg[256];

	if (c->trap_depth > 2)
		fatal(f, "exception while handling an exception");
	if (!(f->status & HCABI_SSTATUS_SPP))
		fatal(f, "a trap from U-mode outside hcabi_run_umode, whose own vector takes them");
	if (c->expect_vector == (int)code || c->expect_vector == HCABI_EXC_ANY) {
		unsigned len;
		c->expect_vector = -1;
		c->exc.happened = true;
		c->exc.vector = code;
		c->exc.cause = f->cause;
		c->exc.tval = f->tval;
		c->exc.frame = *f;
		if (c->fixup) {
			f->pc = c->fixup;
			c->fixup = 0;
			return;
		}
		len = skippable_len(code, f->pc);
		if (len) {
			f->pc += len;
			return;
		}
		/* expected, but nowhere to resume: an error */
	}
	hcabi_snprintf(msg, sizeof(msg),
		       "unexpected exception %s (scause %u) scause=0x%llx sepc=0x%llx stval=0x%llx "
		       "sp=0x%llx on vCPU %u",
		       hcabi_exception_name(code), code, (unsigned long long)f->cause,
		       (unsigned long long)f->pc, (unsigned long long)f->tval,
		       (unsigned long long)HCABI_FRAME_REG(f, 2), hcabi_cpu_index());
	if (!c->abort_ctx)
		fatal(f, "unexpected exception outside a test");
	c->fixup = 0;
	c->expect_vector = -1;
	hcabi__on_unexpected_exception(msg);
	redirect_longjmp(f, c->abort_ctx, 1);
}

static void interrupt(struct hcabi_cpu *c, struct hcabi_frame *f)
{
	unsigned id;

	if ((f->cause & 0xFF) != HCABI_IRQ_S_EXTERNAL)
		fatal(f, "an interrupt the runtime never enables");
	if (!hcabi_frame_irq_enabled(f) && hcabi__irq_filter_replays()) {
		/* Taken with interrupts off: no hart does that (hcabi_irq_replays).
		 * Nothing claimed: an identity the IMSIC does have pending stays
		 * pending, and is taken once the code enables interrupts. */
		__atomic_add_fetch(&c->irq_replays, 1, __ATOMIC_SEQ_CST);
		return;
	}
	/* every pending identity, highest priority first */
	while ((id = hcabi__intc_claim()) != 0) {
		hcabi_irq_handler handler;
		if (id < HCABI_IRQ_VECTORS)
			__atomic_add_fetch(&c->irq_count[id], 1, __ATOMIC_SEQ_CST);
		handler = hcabi__irq_handler(id);
		if (handler)
			handler(f, id);
		else
			hcabi__on_unexpected_irq(hcabi_cpu_index(), id);
		hcabi_intc_eoi();
	}
}

void hcabi__trap(struct hcabi_frame *f)
{
	struct hcabi_cpu *c = hcabi_this_cpu();

	if (!c)
		for (;;) /* before sscratch is set: nothing to report with */
			__asm__ __volatile__("wfi");
	c->trap_depth++;
	if (f->cause & HCABI_SCAUSE_IRQ)
		interrupt(c, f);
	else
		exception(c, f);
	c->trap_depth--;
}
