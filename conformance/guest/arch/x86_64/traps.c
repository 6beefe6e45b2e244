/* SPDX-License-Identifier: MIT */
/*
 * traps.c - exception and interrupt dispatch.
 *
 * Exceptions: an exception a test announced with expect_exception() is
 * recorded and the code resumes at its landing point; any other is an
 * error of the running test (vector, error code, RIP reported), after which
 * the vCPU resumes at its abort context (the test runner, or the SMP task
 * wrapper) instead of hanging. Without an abort context (boot, discovery)
 * the image ends with HCABI_EXIT_FATAL. #DF, NMI and #MC run on IST1 and
 * always end the image.
 *
 * Interrupts 32..254 go to the handler registered for the vector
 * (trapstate.c), then the LAPIC gets its EOI; 0xFF is the LAPIC spurious vector (no EOI); 0x80 from
 * CPL 3 is the way back from hcabi_run_user.
 */
#include "hcabi_guest.h"
#include "hcabi_internal.h"

static const char *const exc_names[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#CSO", "#TS",
    "#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE",  "#CP",
    "#22", "#23", "#24", "#25", "#26", "#27", "#HV", "#VC", "#SX", "#31",
};

const char *hcabi_exception_name(unsigned vector)
{
	return vector < 32 ? exc_names[vector] : "IRQ";
}

/* Make the frame resume in hcabi_longjmp(ctx, value) at CPL 0 with
 * interrupts disabled. */
static void redirect_longjmp(struct hcabi_frame *f, struct hcabi_jmpbuf *ctx, int value)
{
	f->rip = (uint64_t)(uintptr_t)hcabi_longjmp;
	f->rdi = (uint64_t)(uintptr_t)ctx;
	f->rsi = (uint64_t)value;
	f->cs = HCABI_SEL_KCODE;
	f->ss = HCABI_SEL_KDATA;
	f->rsp = (ctx->rsp - 256) & ~0xFull; /* below the saved context: free */
	f->rflags = HCABI_RFLAGS_FIXED;
}

/* Length of the instruction at rip if it is VMCALL, VMMCALL or UD2. */
static unsigned skippable_insn(uint64_t rip)
{
	const volatile uint8_t *p = (const volatile uint8_t *)(uintptr_t)rip;
	if (rip < 0x1000 || rip >= (1ull << 32))
		return 0;
	if (p[0] == 0x0F && p[1] == 0x01 && (p[2] == 0xC1 || p[2] == 0xD9))
		return 3;
	if (p[0] == 0x0F && p[1] == 0x0B)
		return 2;
	return 0;
}

/* Fatal: write straight to the console and end the image. */
static HCABI_NORETURN void fatal(struct hcabi_frame *f, const char *why)
{
	hcabi_printf("FATAL: %s: %s (vector %u) error=0x%llx rip=0x%llx cs=0x%llx rsp=0x%llx "
		     "rflags=0x%llx cr2=0x%llx vCPU %u",
		     why, hcabi_exception_name((unsigned)f->vector), (unsigned)f->vector,
		     (unsigned long long)f->error_code, (unsigned long long)f->rip,
		     (unsigned long long)f->cs, (unsigned long long)f->rsp,
		     (unsigned long long)f->rflags, (unsigned long long)hcabi_read_cr2(),
		     hcabi_cpu_index());
	hcabi_exit(HCABI_EXIT_FATAL);
}

static void exception(struct hcabi_cpu *c, struct hcabi_frame *f)
{
	unsigned vec = (unsigned)f->vector;
	char msg[256];

	if (vec == HCABI_EXC_DF || vec == HCABI_EXC_NMI || vec == HCABI_EXC_MC)
		fatal(f, "unrecoverable exception");
	if (c->trap_depth > 2)
		fatal(f, "exception while handling an exception");

	if (c->expect_vector == (int)vec || c->expect_vector == HCABI_EXC_ANY) {
		unsigned len;
		c->expect_vector = -1;
		c->exc.happened = true;
		c->exc.vector = vec;
		c->exc.error_code = f->error_code;
		c->exc.cr2 = vec == HCABI_EXC_PF ? hcabi_read_cr2() : 0;
		c->exc.frame = *f;
		if (c->fixup) {
			f->rip = c->fixup;
			c->fixup = 0;
			return;
		}
		if ((f->cs & 3) == 3 && c->user_ctx) {
			redirect_longjmp(f, c->user_ctx, 2);
			return;
		}
		len = skippable_insn(f->rip);
		if (len) {
			f->rip += len;
			return;
		}
		/* expected, but nowhere to resume: fall through as an error */
	}

	hcabi_snprintf(
	    msg, sizeof(msg),
	    "unexpected exception %s (vector %u) error=0x%llx rip=0x%llx cpl=%u "
	    "rsp=0x%llx cr2=0x%llx on vCPU %u",
	    hcabi_exception_name(vec), vec, (unsigned long long)f->error_code,
	    (unsigned long long)f->rip, (unsigned)(f->cs & 3), (unsigned long long)f->rsp,
	    (unsigned long long)(vec == HCABI_EXC_PF ? hcabi_read_cr2() : 0), hcabi_cpu_index());
	if (!c->abort_ctx)
		fatal(f, "unexpected exception outside a test");
	c->user_ctx = 0;
	c->fixup = 0;
	c->expect_vector = -1;
	hcabi__on_unexpected_exception(msg);
	redirect_longjmp(f, c->abort_ctx, 1);
}

static void interrupt(struct hcabi_cpu *c, struct hcabi_frame *f)
{
	unsigned vec = (unsigned)f->vector;
	hcabi_irq_handler handler;

	if (vec == HCABI_VEC_USER_RETURN && (f->cs & 3) == 3 && c->user_ctx) {
		c->user_result = f->rdi; /* the CPL 3 function's result */
		redirect_longjmp(f, c->user_ctx, 1);
		return;
	}
	if (vec != HCABI_VEC_SPURIOUS && hcabi__irq_filter_replays() &&
	    (!hcabi_frame_irq_enabled(f) || !hcabi_intc_in_service(vec))) {
		/* A platform replay (hcabi_irq_replays): a LAPIC delivers a
		 * fixed interrupt neither into IF = 0 code nor without setting
		 * the vector's in-service bit, which stays set until the EOI.
		 * Neither counted nor EOIed: the delivery it repeats, whose
		 * acceptance set that bit, ends with its own handler's EOI.
		 * Not printed here: the interrupted code may hold the console. */
		__atomic_add_fetch(&c->irq_replays, 1, __ATOMIC_SEQ_CST);
		return;
	}
	__atomic_add_fetch(&c->irq_count[vec], 1, __ATOMIC_SEQ_CST);
	if (vec == HCABI_VEC_SPURIOUS)
		return;
	handler = hcabi__irq_handler(vec);
	if (handler)
		handler(f, vec);
	else
		hcabi__on_unexpected_irq(hcabi_cpu_index(), vec);
	hcabi_intc_eoi();
}

void hcabi__trap(struct hcabi_frame *f)
{
	struct hcabi_cpu *c = hcabi_this_cpu();

	c->trap_depth++;
	if (f->vector < 32)
		exception(c, f);
	else
		interrupt(c, f);
	c->trap_depth--;
}
