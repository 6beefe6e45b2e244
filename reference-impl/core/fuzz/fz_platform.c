/* SPDX-License-Identifier: MIT */
/*
 * fz_platform.c - the fake platform: every callback the core makes is
 * checked for its arguments, logged into the current segment (oracle/fz_oracle.c
 * attributes it to the call that caused it), and may be failed on purpose
 * (fz_set_failure); and the knobs the input turns (clocks, steal time,
 * console input, vCPUs the VMM starts or parks, resets, CPUID).
 */

#include <string.h>

#include "fz_model.h"

static bool fk_soft(unsigned k)
{
	return k == FK_KICK_STATE || k == FK_INJECT_STATE || k == FK_TLB_STATE ||
	       k == FK_CWRITE_SHORT || k == FK_CREAD_LAZY || k == FK_BLOCK_EARLY ||
	       k == FK_STEAL_BACK || k == FK_MONO_BACK;
}

static void seg_add(uint8_t op, uint32_t vcpu, uint64_t a, uint64_t b)
{
	if (fz.nseg == SEG_MAX)
		fz_fail("one call made more than %u platform callbacks", SEG_MAX);
	fz.seg[fz.nseg].op = op;
	fz.seg[fz.nseg].vcpu = vcpu;
	fz.seg[fz.nseg].a = a;
	fz.seg[fz.nseg].b = b;
	fz.nseg++;
}

static void enter_cb(const char *what, uint32_t vcpu, bool has_vcpu)
{
	fz.ncallbacks++;
	CHECK(fz.in_dispatch, "callback %s outside hcabi_ref_dispatch", what);
	CHECK(!has_vcpu || vcpu < fz.nvcpus, "callback %s for vCPU %u of %u", what, vcpu, fz.nvcpus);
}

/* Does the injected failure `kind` hit this callback? */
static bool fails(unsigned kind)
{
	if (fz.fail_kind != kind)
		return false;
	if (fz.fail_skip > 0) {
		fz.fail_skip--;
		return false;
	}
	fz.fail_kind = FK_NONE;
	if (!fk_soft(kind)) {
		fz.call_failed = true;
		fz.seg_failed = true;
	}
	return true;
}

static int p_mem_read(void *ctx, uint64_t gpa, void *dst, size_t len)
{
	(void)ctx;
	enter_cb("mem_read", 0, false);
	CHECK(fz_ram_has(gpa, len), "mem_read of [0x%llx, +0x%zx) is not wholly in RAM",
	      (unsigned long long)gpa, len);
	seg_add(EV_READ, UINT32_MAX, gpa, len);
	if (fails(FK_MEM_READ))
		return HCABI_REF_PERR_FAULT;
	fz_peek(gpa, dst, len);
	return HCABI_REF_POK;
}

static int p_mem_write(void *ctx, uint64_t gpa, const void *src, size_t len)
{
	struct region *r;
	(void)ctx;
	enter_cb("mem_write", 0, false);
	r = fz_region_of(gpa, len);
	CHECK(r, "mem_write of [0x%llx, +0x%zx) is not wholly in RAM", (unsigned long long)gpa,
	      len);
	seg_add(EV_WRITE, UINT32_MAX, gpa, len);
	if (fails(FK_MEM_WRITE))
		return HCABI_REF_PERR_HOST;
	memcpy(r->mem + (gpa - r->base), src, len);
	return HCABI_REF_POK;
}

static int p_mem_release(void *ctx, uint64_t gpa, uint64_t npages)
{
	struct region *r;
	(void)ctx;
	enter_cb("mem_release", 0, false);
	CHECK(npages > 0 && npages <= UINT64_MAX / HCABI_PAGE_SIZE && gpa % HCABI_PAGE_SIZE == 0,
	      "mem_release(0x%llx, %llu): bad arguments", (unsigned long long)gpa,
	      (unsigned long long)npages);
	r = fz_region_of(gpa, npages * HCABI_PAGE_SIZE);
	CHECK(r, "mem_release(0x%llx, %llu) is not wholly in RAM", (unsigned long long)gpa,
	      (unsigned long long)npages);
	seg_add(EV_RELEASE, UINT32_MAX, gpa, npages);
	if (fails(FK_RELEASE_FAULT))
		return HCABI_REF_PERR_FAULT;
	if (fails(FK_RELEASE_HOST))
		return HCABI_REF_PERR_HOST;
	memset(r->mem + (gpa - r->base), 0, (size_t)(npages * HCABI_PAGE_SIZE));
	return HCABI_REF_POK;
}

static bool canonical(uint64_t a)
{
	uint64_t top = a >> 47;
	return top == 0 || top == 0x1FFFFu;
}

static int p_vcpu_start(void *ctx, uint32_t vcpu, const struct hcabi_vcpu_boot_state *bs)
{
	(void)ctx;
	enter_cb("vcpu_start", vcpu, true);
	seg_add(EV_START, vcpu, bs->rip, bs->cr3);
	CHECK(!fz.running[vcpu], "vcpu_start(%u) of a vCPU that is not stopped", vcpu);
	/* VCPU-022: the core passes only a valid boot state. */
	CHECK(bs->flags == 0 && bs->reserved0 == 0 && canonical(bs->rip) &&
		  (bs->cr3 & 0xFFFu) == 0 && fz_ram_has(bs->cr3, HCABI_PAGE_SIZE) &&
		  (bs->cs & 7u) == 0 && (bs->ds & 7u) == 0 && bs->cs != 0 && bs->ds != 0,
	      "vcpu_start(%u) with an invalid boot state (rip 0x%llx cr3 0x%llx cs 0x%x ds 0x%x "
	      "flags 0x%x reserved0 0x%x)",
	      vcpu, (unsigned long long)bs->rip, (unsigned long long)bs->cr3, bs->cs, bs->ds,
	      bs->flags, bs->reserved0);
	if (fails(FK_START))
		return HCABI_REF_PERR_HOST;
	fz.running[vcpu] = true;
	fz.wake_pending[vcpu] = false; /* the platform discards remembered kicks */
	return HCABI_REF_POK;
}

static int p_vcpu_block(void *ctx, uint32_t vcpu, uint64_t deadline)
{
	(void)ctx;
	enter_cb("vcpu_block", vcpu, true);
	seg_add(EV_BLOCK, vcpu, deadline, 0);
	fz.block_deadline = deadline;
	if (fails(FK_BLOCK))
		return -2;
	if (fz.wake_pending[vcpu]) {
		fz.wake_pending[vcpu] = false;
		return HCABI_BLOCK_WOKEN;
	}
	if (fz.mono >= deadline)
		return HCABI_BLOCK_TIMED_OUT;
	if (fails(FK_BLOCK_EARLY))
		return HCABI_BLOCK_TIMED_OUT; /* early: the core must report a wake-up */
	switch (fz.block_mode % 3) {
	case 0: /* time passes until the deadline; nothing wakes it */
		if (deadline == UINT64_MAX)
			return HCABI_BLOCK_WOKEN; /* some interrupt, eventually */
		fz.mono = deadline;
		return HCABI_BLOCK_TIMED_OUT;
	case 1:
		return HCABI_BLOCK_TIMED_OUT; /* spurious, early */
	default:
		return HCABI_BLOCK_WOKEN;
	}
}

static int p_vcpu_kick(void *ctx, uint32_t vcpu)
{
	(void)ctx;
	enter_cb("vcpu_kick", vcpu, true);
	seg_add(EV_KICK, vcpu, 0, 0);
	if (fails(FK_KICK))
		return HCABI_REF_PERR_HOST;
	if (fails(FK_KICK_STATE))
		return HCABI_REF_PERR_STATE;
	fz.wake_pending[vcpu] = true;
	return HCABI_REF_POK;
}

static void p_vcpu_yield(void *ctx, uint32_t vcpu, uint32_t target)
{
	(void)ctx;
	enter_cb("vcpu_yield", vcpu, true);
	CHECK(target == UINT32_MAX || target < fz.nvcpus, "vcpu_yield to %u", target);
	seg_add(EV_YIELD, vcpu, target, 0);
}

static int p_inject_irq(void *ctx, uint32_t vcpu, uint8_t vector)
{
	(void)ctx;
	enter_cb("inject_irq", vcpu, true);
	seg_add(EV_INJECT, vcpu, vector, 0);
	CHECK(fz.running[vcpu], "inject_irq into vCPU %u, which is stopped", vcpu);
	CHECK(vector >= HCABI_VECTOR_MIN, "inject_irq of vector %u", vector);
	if (fails(FK_INJECT))
		return HCABI_REF_PERR_HOST;
	if (fails(FK_INJECT_STATE))
		return HCABI_REF_PERR_STATE;
	fz.wake_pending[vcpu] = true;
	return HCABI_REF_POK;
}

static int p_timer_arm(void *ctx, uint32_t vcpu, uint64_t deadline, uint8_t vector)
{
	(void)ctx;
	enter_cb("timer_arm", vcpu, true);
	seg_add(EV_TARM, vcpu, deadline, vector);
	CHECK(vector >= HCABI_VECTOR_MIN, "timer_arm with vector %u", vector);
	if (fails(FK_TARM))
		return HCABI_REF_PERR_HOST;
	fz.timer_armed[vcpu] = true;
	return HCABI_REF_POK;
}

static int p_timer_arm_periodic(void *ctx, uint32_t vcpu, uint64_t first, uint64_t period,
				uint8_t vector)
{
	(void)ctx;
	enter_cb("timer_arm_periodic", vcpu, true);
	seg_add(EV_TARMP, vcpu, first, period);
	CHECK(vector >= HCABI_VECTOR_MIN && period >= HCABI_TIMER_MIN_PERIOD,
	      "TIME-040: timer_arm_periodic with vector %u period %llu", vector,
	      (unsigned long long)period);
	fz.tarmp_vector = vector;
	if (fails(FK_TARMP))
		return HCABI_REF_PERR_HOST;
	fz.timer_armed[vcpu] = true; /* a periodic timer stays armed */
	return HCABI_REF_POK;
}

static int p_timer_cancel(void *ctx, uint32_t vcpu, bool *was_pending)
{
	(void)ctx;
	enter_cb("timer_cancel", vcpu, true);
	seg_add(EV_TCANCEL, vcpu, 0, 0);
	if (fails(FK_TCANCEL))
		return HCABI_REF_PERR_HOST;
	fz.cancel_was_armed = fz.timer_armed[vcpu];
	*was_pending = fz.timer_armed[vcpu];
	fz.timer_armed[vcpu] = false;
	return HCABI_REF_POK;
}

static int p_tlb_flush(void *ctx, uint32_t vcpu, uint64_t gva, uint64_t npages)
{
	(void)ctx;
	enter_cb("tlb_flush", vcpu, true);
	seg_add(EV_TLB, vcpu, gva, npages);
	CHECK(fz.running[vcpu], "tlb_flush of vCPU %u, which is stopped", vcpu);
	if (fails(FK_TLB))
		return HCABI_REF_PERR_HOST;
	if (fails(FK_TLB_STATE))
		return HCABI_REF_PERR_STATE;
	return HCABI_REF_POK;
}

static uint64_t p_clock_mono(void *ctx)
{
	uint64_t v;
	(void)ctx;
	enter_cb("clock_monotonic_ns", 0, false);
	v = fails(FK_MONO_BACK) ? fz.mono / 2 : fz.mono;
	if (v > fz.mono_max)
		fz.mono_max = v;
	return v;
}

static uint64_t p_clock_wall(void *ctx)
{
	(void)ctx;
	enter_cb("clock_wall_ns", 0, false);
	return fz.wall;
}

static uint64_t p_steal_ns(void *ctx, uint32_t vcpu)
{
	uint64_t v;
	(void)ctx;
	enter_cb("steal_ns", vcpu, true);
	CHECK(vcpu == fz.caller, "steal_ns(%u) on vCPU %u's thread", vcpu, fz.caller);
	v = fails(FK_STEAL_BACK) ? fz.steal_plat[vcpu] / 3 : fz.steal_plat[vcpu];
	if (v > fz.steal_expect[vcpu])
		fz.steal_expect[vcpu] = v;
	return v;
}

static int64_t p_console_write(void *ctx, const void *buf, size_t len)
{
	size_t n = len;
	(void)ctx;
	(void)buf;
	enter_cb("console_write", 0, false);
	CHECK(len > 0 && len <= HCABI_CONSOLE_MAX_XFER, "console_write of %zu bytes", len);
	seg_add(EV_CWRITE, UINT32_MAX, len, 0);
	if (fails(FK_CWRITE_ERR))
		return HCABI_REF_PERR_HOST;
	if (fails(FK_CWRITE_ZERO))
		return 0;
	if (fails(FK_CWRITE_OVER))
		return (int64_t)len + 1;
	if (fails(FK_CWRITE_SHORT))
		n = 1;
	if (fz.write_chunk && n > fz.write_chunk)
		n = fz.write_chunk;
	fz.cwrite_total += n;
	return (int64_t)n;
}

static int64_t p_console_read(void *ctx, void *buf, size_t len)
{
	size_t n;
	(void)ctx;
	enter_cb("console_read", 0, false);
	CHECK(len > 0 && len <= HCABI_CONSOLE_MAX_XFER, "console_read of %zu bytes", len);
	seg_add(EV_CREAD, UINT32_MAX, len, 0);
	if (fails(FK_CREAD_ERR))
		return HCABI_REF_PERR_HOST;
	if (fails(FK_CREAD_OVER))
		return (int64_t)len + 1;
	if (fails(FK_CREAD_LAZY)) {
		/* claims bytes it did not write: the core must have zeroed
		 * its buffer (no uninitialised byte reaches the guest) */
		n = len < 5 ? len : 5;
		memset(fz.cread_copy, 0, n);
		fz.cread_n = n;
		return (int64_t)n;
	}
	n = fz.cin_len - fz.cin_pos;
	if (n > len)
		n = len;
	memcpy(buf, fz.cin + fz.cin_pos, n);
	memcpy(fz.cread_copy, fz.cin + fz.cin_pos, n);
	fz.cread_n = n;
	fz.cin_pos += n;
	return (int64_t)n;
}

const struct hcabi_platform_ops fz_ops = {
    .mem_read = p_mem_read,
    .mem_write = p_mem_write,
    .mem_release = p_mem_release,
    .vcpu_start = p_vcpu_start,
    .vcpu_block = p_vcpu_block,
    .vcpu_kick = p_vcpu_kick,
    .vcpu_yield = p_vcpu_yield,
    .inject_irq = p_inject_irq,
    .timer_arm = p_timer_arm,
    .timer_cancel = p_timer_cancel,
    .timer_arm_periodic = p_timer_arm_periodic,
    .tlb_flush = p_tlb_flush,
    .clock_monotonic_ns = p_clock_mono,
    .clock_wall_ns = p_clock_wall,
    .steal_ns = p_steal_ns,
    .console_write = p_console_write,
    .console_read = p_console_read,
};


void fz_set_failure(uint8_t kind, uint8_t skip)
{
	fz.fail_kind = (uint8_t)(kind % FK__COUNT);
	fz.fail_skip = skip;
}

void fz_reset_vm(void)
{
	/* The VMM resets the VM (SYSTEM.REBOOT); its timers are its own. */
	hcabi_ref_reset(fz.ref);
	fz_reset_shadow();
}

void fz_check_cpuid(uint32_t leaf, uint32_t subleaf)
{
	uint32_t out[4] = {0xDEAD, 0xDEAD, 0xDEAD, 0xDEAD};
	bool owned = hcabi_ref_cpuid(fz.ref, leaf, subleaf, out);
	CHECK(owned == (leaf == fz_cpuid_base || leaf == fz_cpuid_base + 1),
	      "DISC-002: cpuid leaf 0x%x owned %d (base 0x%x)", leaf, owned, fz_cpuid_base);
	if (leaf == fz_cpuid_base)
		CHECK(out[0] >= fz_cpuid_base + 1 && out[0] <= fz_cpuid_base + 0xFF,
		      "DISC-002: leaf B EAX 0x%x", out[0]);
	else if (owned)
		CHECK(out[0] == HCABI_CPUID_INTERFACE_SIGNATURE && out[1] == 0 && out[2] == 0 &&
			  out[3] == 0,
		      "DISC-003: leaf B+1");
}

void fz_platform_op(uint8_t kind, struct fz_in *in)
{
	uint32_t v;
	switch (kind % 16) {
	case 0:
		fz.mono += (uint64_t)fz_u16(in) * 1000 + 1;
		break;
	case 1:
		fz.mono = fz_u64(in); /* may go back: the core clamps (TIME-001) */
		break;
	case 2:
		v = fz_u8(in) % fz.nvcpus;
		fz.steal_plat[v] += (uint64_t)fz_u16(in) * 10;
		break;
	case 3:
		v = fz_u8(in) % fz.nvcpus;
		fz.steal_plat[v] = fz_u16(in); /* may go back: the core clamps (STEAL-004) */
		break;
	case 4: {
		unsigned n = fz_u8(in);
		if (fz.cin_pos == fz.cin_len)
			fz.cin_pos = fz.cin_len = 0;
		for (unsigned i = 0; i < n; i++) {
			uint8_t b = fz_u8(in);
			if (fz.cin_len < sizeof(fz.cin))
				fz.cin[fz.cin_len++] = b;
		}
		break;
	}
	case 5: /* the VMM boots a vCPU itself */
		v = fz_u8(in) % fz.nvcpus;
		hcabi_ref_set_vcpu_running(fz.ref, v, true);
		fz.running[v] = true;
		break;
	case 6: /* ... or parks one (never the last) */
		v = fz_u8(in) % fz.nvcpus;
		if (!fz.running[v] || fz_nrunning() > 1) {
			hcabi_ref_set_vcpu_running(fz.ref, v, false);
			fz.running[v] = false;
			fz.steal_on[v] = false;
		}
		break;
	case 7: /* an interrupt arrives */
		fz.wake_pending[fz_u8(in) % fz.nvcpus] = true;
		break;
	case 8:
		fz_reset_vm();
		break;
	case 9: /* console_write takes at most this much (0: all) */
		fz.write_chunk = (size_t)fz_u8(in) * 16u;
		break;
	case 10:
		fz.block_mode = fz_u8(in);
		break;
	case 11: {
		uint8_t b = fz_u8(in);
		uint32_t leaf = (b & 0x80) ? fz_u32(in) : fz_cpuid_base - 2 + b % 5u;
		fz_check_cpuid(leaf, fz_u32(in));
		break;
	}
	case 12:
		fz.wall = fz_u64(in);
		break;
	default:
		break;
	}
}
