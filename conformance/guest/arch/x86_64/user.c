/* SPDX-License-Identifier: MIT */
/*
 * user.c - run a function at CPL 3 and come back.
 *
 * hcabi_run_user() saves its context, IRETQs to CPL 3 on the vCPU's user
 * stack (every identity-mapped page is user-accessible), and the function's
 * return goes through int $HCABI_VEC_USER_RETURN (a DPL 3 gate), whose
 * handler longjmps back here. An expected exception at CPL 3 comes back
 * the same way (traps.c), so a test can check what the CPU reported.
 */
#include "hcabi_guest.h"
#include "hcabi_internal.h"

uint64_t hcabi_run_user(uint64_t (*fn)(uint64_t), uint64_t arg, bool *faulted)
{
	struct hcabi_cpu *c = hcabi_this_cpu();
	struct hcabi_jmpbuf jb;
	uint64_t flags = hcabi_read_rflags();
	volatile uint64_t result = 0;
	int r;

	if (faulted)
		*faulted = false;
	hcabi_irq_disable();
	c->user_ctx = &jb;
	c->user_result = 0;
	r = hcabi_setjmp(&jb);
	if (r == 0) {
		uint64_t rsp = (uint64_t)(uintptr_t)c->user_stack_top & ~0xFull;
		/* IF as the caller had it; IOPL 0, so port I/O at CPL 3 faults */
		hcabi__enter_user(fn, arg, rsp, HCABI_RFLAGS_FIXED | (flags & HCABI_RFLAGS_IF));
	}
	/* back at CPL 0 with interrupts off */
	c = hcabi_this_cpu();
	c->user_ctx = 0;
	if (r == 1)
		result = c->user_result;
	else if (faulted)
		*faulted = true;
	__asm__ __volatile__("mov %0, %%ds\n\tmov %0, %%es" ::"r"((uint64_t)HCABI_SEL_KDATA));
	hcabi_irq_restore(flags);
	return result;
}
