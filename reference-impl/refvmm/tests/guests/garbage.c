/* SPDX-License-Identifier: MIT */
/*
 * garbage.c - 20000 calls with pseudo-random values in every general-purpose
 * register, alternating VMCALL and VMMCALL: random 64-bit function IDs,
 * unknown extensions, unassigned function numbers, and assigned functions
 * with random arguments (all but those that end, block or reboot the VM).
 * After each call every register but RAX and RDX must be unchanged, DF
 * still set, and RDX zero on an error status. Ends with isa-debug-exit 0
 * (status 1) or, on the first violation, 0x20 (status 65).
 */
#include "guest.h"

static uint64_t seed = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed;
}

static const uint32_t callable[] = {
    HCABI_FID_BASE_GET_SPEC_VERSION,
    HCABI_FID_BASE_GET_IMPL_ID,
    HCABI_FID_BASE_GET_IMPL_VERSION,
    HCABI_FID_BASE_PROBE_EXTENSION,
    HCABI_FID_BASE_PROBE_FUNCTION,
    HCABI_FID_CONSOLE_WRITE,
    HCABI_FID_CONSOLE_READ,
    HCABI_FID_TIME_GET_MONOTONIC,
    HCABI_FID_TIME_GET_WALLCLOCK,
    HCABI_FID_TIME_SET_TIMER,
    HCABI_FID_TIME_CANCEL_TIMER,
    HCABI_FID_VCPU_GET_ID,
    HCABI_FID_VCPU_GET_COUNT,
    HCABI_FID_VCPU_START,
    HCABI_FID_VCPU_STOP,
    HCABI_FID_VCPU_GET_STATUS,
    HCABI_FID_VCPU_YIELD,
    HCABI_FID_VCPU_KICK,
    HCABI_FID_IPI_SEND,
    HCABI_FID_TLB_FLUSH,
    HCABI_FID_MEM_RELEASE,
    HCABI_FID_MEM_GET_LAYOUT,
    HCABI_FID_STEAL_SET_SHMEM,
    HCABI_FID_BATCH_EXECUTE,
};

/* BASE function numbers that KVM's Xen intercept may answer in the kernel
 * (Xen hypercall numbers; see docs/refvmm.md): never used here. */
static bool xen_accelerated(uint64_t id)
{
	return id == 15 || id == 17 || id == 24 || id == 29 || id == 32;
}

static void fail(unsigned i, const char *what, uint64_t got, uint64_t want)
{
	puts_serial("garbage: FAIL call ");
	put_dec(i);
	puts_serial(": ");
	puts_serial(what);
	puts_serial(" got ");
	put_hex(got);
	puts_serial(" want ");
	put_hex(want);
	puts_serial("\n");
	debug_exit(0x20);
}

void guest_main(uint64_t start_info)
{
	static const unsigned n = 20000;
	(void)start_info;
	puts_serial("garbage: start\n");
	for (unsigned i = 0; i < n; i++) {
		struct gpregs in, out;
		uint64_t *w = (uint64_t *)&in;
		for (unsigned k = 0; k < 15; k++)
			w[k] = rnd();
		switch (i % 4) {
		case 0:
			break; /* random 64-bit RAX */
		case 1:
			in.rax =
			    HCABI_FUNCTION_ID(0x000a + rnd() % (0x10000 - 0x000a), rnd() & 0xffff);
			break;
		case 2:
			in.rax = callable[rnd() % (sizeof(callable) / sizeof(callable[0]))];
			break;
		case 3:
			in.rax = HCABI_FUNCTION_ID(rnd() % 10, 0x10 + rnd() % (0x10000 - 0x10));
			break;
		}
		if (xen_accelerated(in.rax))
			in.rax = 0x7fff0000u;
		in.rflags = 0;
		out = in;
		if (i & 1)
			regs_vmmcall(&out);
		else
			regs_vmcall(&out);
#define SAME(reg)                                                                                  \
	if (out.reg != in.reg)                                                                     \
	fail(i, #reg " changed", out.reg, in.reg)
		SAME(rbx);
		SAME(rcx);
		SAME(rsi);
		SAME(rdi);
		SAME(rbp);
		SAME(r8);
		SAME(r9);
		SAME(r10);
		SAME(r11);
		SAME(r12);
		SAME(r13);
		SAME(r14);
		SAME(r15);
		if (!(out.rflags & (1u << 10)))
			fail(i, "DF cleared", out.rflags, 1u << 10);
		if ((int64_t)out.rax < 0 && out.rdx != 0)
			fail(i, "RDX not 0 on error", out.rdx, 0);
		if ((in.rax >> 32) && (int64_t)out.rax != HCABI_ERR_INVALID_PARAM)
			fail(i, "RAX[63:32] != 0 not INVALID_PARAM", out.rax,
			     (uint64_t)HCABI_ERR_INVALID_PARAM);
	}
	puts_serial("garbage: ");
	put_dec(n);
	puts_serial(" calls, registers preserved\n");
	debug_exit(0);
}
