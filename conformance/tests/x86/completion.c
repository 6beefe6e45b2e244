/* SPDX-License-Identifier: MIT */
/*
 * What a call does to single-stepping and to an interrupt shadow: X86-012
 * (parts .1 to .3), X86-013. Only the CPU's native hypercall
 * instruction is used: KVM emulates the foreign one, and its emulator
 * raises the step's #DB at the instruction it re-executes, before the call.
 *
 * What:
 *  - single-step: BASE.GET_SPEC_VERSION with RFLAGS.TF set (by POPF right
 *    before, interrupts off) must return its status and version and be
 *    followed by exactly one #DB (X86-012.1) whose saved RIP is the
 *    instruction after the hypercall instruction (X86-012.2), with DR6 =
 *    0xFFFF4FF0: BS set, B0-B3 clear, the reserved bits as the CPU resets
 *    them (X86-012.3; DR6 is set to 0xFFFF0FF0 right before). The test's
 *    own #DB handler clears TF in its frame, so a second #DB can only be a
 *    second one raised for the same step; without the #DB the first comes
 *    after the next instruction, with the wrong RIP.
 *  - STI: with interrupts off, a self-IPI through the local APIC (the
 *    hardware's, no HCABI extension: the rule binds every implementation,
 *    whatever it provides) makes vector 0x61 pending; then `sti; <call>;
 *    cli`: the interrupt must be taken once, at the CLI's address (X86-013).
 *    A shadow left standing after the call would cover the CLI, and the
 *    interrupt would come only after the test enables interrupts again.
 * The shadow of a MOV SS has no requirement: seeing it end needs a call that
 * makes an interrupt pending while it runs (IPI.SEND to the caller), and a
 * binding requirement must be checkable on every implementation.
 * Where the shadow tests cannot fail: a platform whose VM entry ignores
 * the interrupt shadow recorded at the exit (QEMU's emulated SVM before
 * QEMU 9.1 does not load the VMCB's interrupt state on VMRUN, so the
 * nested test machine of docs/performance.md is one) never holds an
 * interrupt back after a call, whatever the hypervisor does with the
 * shadow. On hardware and on newer QEMU they catch a shadow left standing.
 * Why: a kernel that single-steps code (a debugger, kprobes) expects one
 * trap per instruction, and a kernel that ends an idle loop with
 * `sti; <call>` or switches stacks with MOV SS must not lose an interrupt
 * behind the instruction that follows.
 */
#include "x86_asm.h"

#define SHADOW_VECTOR 0x61u
#define DB_VECTOR 1u
#define DR6_STEP 0xffff4ff0ull /* the reset value 0xFFFF0FF0 with BS (bit 14) */
#define LATE_WAIT HCABI_MS(500)

/* ---- single-step ---- */

struct idt_gate {
	uint16_t off0, sel;
	uint8_t ist, type;
	uint16_t off1;
	uint32_t off2, reserved;
} __attribute__((packed));

static volatile struct idt_gate *db_gate(void)
{
	return (volatile struct idt_gate *)(uintptr_t)hcabi_sidt().base + DB_VECTOR;
}

static void set_db_handler(volatile struct idt_gate *g, uint64_t fn)
{
	g->off0 = (uint16_t)fn;
	g->off1 = (uint16_t)(fn >> 16);
	g->off2 = (uint32_t)(fn >> 32);
}

static void step_call(bool vmmcall)
{
	x86_call_fn *fn = vmmcall ? x86_step_vmmcall : x86_step_vmcall;
	uint64_t next = (uint64_t)(uintptr_t)(vmmcall ? x86_step_vmmcall_next : x86_step_vmcall_next);
	const char *insn = vmmcall ? "VMMCALL" : "VMCALL";
	volatile struct idt_gate *g = db_gate();
	struct idt_gate saved = *g;
	uint64_t flags = hcabi_irq_save();
	uint64_t count, rip, dr6;
	struct hcabi_ret r;

	x86_db_count = 0;
	x86_db_rip = 0;
	x86_db_dr6 = 0;
	set_db_handler(g, (uint64_t)(uintptr_t)x86_db_entry);
	r = fn(HCABI_FID_BASE_GET_SPEC_VERSION, 0, 0, 0);
	*g = saved;
	count = x86_db_count;
	rip = x86_db_rip;
	dr6 = x86_db_dr6;
	hcabi_irq_restore(flags);

	check_ret(r, HCABI_SUCCESS, hcabi_disc.spec, "X86-004.2",
		  "BASE.GET_SPEC_VERSION through %s with RFLAGS.TF set", insn);
	check_eq_u64(count, 1, "X86-012.1", "#DB raised for a %s made with RFLAGS.TF set", insn);
	check_eq_u64(rip, next, "X86-012.2",
		     "saved RIP of the #DB after %s (the instruction after it is at 0x%llx)", insn,
		     (unsigned long long)next);
	check_eq_u64(dr6, DR6_STEP, "X86-012.3", "DR6 at the #DB after %s (BS set, B0-B3 clear)",
		     insn);
}

HCABI_TEST(x86_single_step, "X86.single_step_call",
	   "X86-012.1,X86-012.2,X86-012.3,X86-004.2," HCABI_REQ_VALUE_ZERO, HCABI_VERSION_1_3)
{
	step_call(x86_vmmcall_native());
}

/* ---- interrupt shadows ---- */

static volatile uint64_t shadow_irqs, shadow_rip;

static void on_shadow_irq(struct hcabi_frame *f, unsigned vector)
{
	(void)vector;
	if (shadow_irqs++ == 0)
		shadow_rip = f->rip;
}

/* Let an interrupt that a wrong shadow held back arrive now, so that it is
 * neither lost into the next test nor counted twice. */
static void settle(uint64_t flags)
{
	uint64_t end = hcabi_now_ns() + LATE_WAIT;

	hcabi_irq_enable();
	while (shadow_irqs == 0 && hcabi_now_ns() < end)
		hcabi_pause();
	hcabi_irq_restore(flags);
}

static void check_taken_at(uint64_t irqs, uint64_t rip, uint64_t next, const char *req,
			   const char *after, const char *insn)
{
	check_eq_u64(irqs, 1, req,
		     "interrupts of vector 0x%02x taken between `%s; %s` and the CLI after it",
		     SHADOW_VECTOR, after, insn);
	check_eq_u64(rip, next, req,
		     "saved RIP of that interrupt (the CLI after %s is at 0x%llx; 0: not taken there)",
		     insn, (unsigned long long)next);
}

/* Make the call, note what the handler saw right after it, then let a late
 * interrupt arrive. */
static uint64_t shadow_call(x86_call_fn *fn, uint64_t fid, const uint64_t args[3], uint64_t flags,
			    struct hcabi_ret *r, uint64_t *rip)
{
	uint64_t irqs;

	*r = fn(fid, args[0], args[1], args[2]);
	irqs = shadow_irqs;
	*rip = shadow_rip;
	settle(flags);
	return irqs;
}

static void sti_call(bool vmmcall)
{
	static const uint64_t none[3];
	uint64_t next = (uint64_t)(uintptr_t)(vmmcall ? x86_sti_vmmcall_next : x86_sti_vmcall_next);
	const char *insn = vmmcall ? "VMMCALL" : "VMCALL";
	uint64_t flags = hcabi_irq_save();
	uint64_t irqs, rip;
	struct hcabi_ret r;

	hcabi_intc_self_ipi(SHADOW_VECTOR);
	if (!hcabi_intc_pending(SHADOW_VECTOR)) {
		settle(flags);
		test_error("the local APIC's self-IPI left vector 0x%02x not pending", SHADOW_VECTOR);
		return;
	}
	irqs = shadow_call(vmmcall ? x86_sti_vmmcall : x86_sti_vmcall,
			   HCABI_FID_BASE_GET_SPEC_VERSION, none, flags, &r, &rip);
	check_ret(r, HCABI_SUCCESS, hcabi_disc.spec, "X86-004.2",
		  "BASE.GET_SPEC_VERSION through %s right after STI", insn);
	check_taken_at(irqs, rip, next, "X86-013", "sti", insn);
}

HCABI_TEST(x86_sti_shadow, "X86.sti_shadow_ends", "X86-013,X86-004.2," HCABI_REQ_VALUE_ZERO,
	   HCABI_VERSION_1_3)
{
	shadow_irqs = 0;
	shadow_rip = 0;
	hcabi_irq_register(SHADOW_VECTOR, on_shadow_irq);
	sti_call(x86_vmmcall_native());
	hcabi_irq_unregister(SHADOW_VECTOR);
}
