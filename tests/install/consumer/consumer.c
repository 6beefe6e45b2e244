/* SPDX-License-Identifier: MIT */
/*
 * consumer.c - a hypervisor's first use of an installed libhcabi_ref, built
 * out of tree by tests/install/check.cmake (with find_package and with
 * pkg-config). It creates a core instance on a platform that does nothing,
 * dispatches BASE.GET_SPEC_VERSION, BASE.PROBE_FUNCTION and
 * BASE.PROBE_EXTENSION and checks the exact status and value, and reads a function's name: proof
 * that the program called into the library, not only that it linked.
 * Prints "hcabi_ref consumer: OK <version>" and exits 0, else names the
 * first difference and exits 1.
 */
#include "hcabi_ref.h"

#include <stdio.h>
#include <string.h>

/* hcabi_ref.h takes abi.h without the guest's call wrappers. */
#ifdef hcabi_call0
#error "hcabi_ref.h pulled abi.h's guest call wrappers into a hypervisor"
#endif

static int no_mem_read(void *c, uint64_t g, void *d, size_t n) { (void)c; (void)g; (void)d; (void)n; return HCABI_REF_PERR_FAULT; }
static int no_mem_write(void *c, uint64_t g, const void *s, size_t n) { (void)c; (void)g; (void)s; (void)n; return HCABI_REF_PERR_FAULT; }
static int no_mem_release(void *c, uint64_t g, uint64_t n) { (void)c; (void)g; (void)n; return HCABI_REF_PERR_FAULT; }
static int no_vcpu_start(void *c, uint32_t v, const struct hcabi_vcpu_boot_state *b) { (void)c; (void)v; (void)b; return HCABI_REF_PERR_HOST; }
static int no_vcpu_block(void *c, uint32_t v, uint64_t d) { (void)c; (void)v; (void)d; return HCABI_REF_POK; }
static int no_vcpu_kick(void *c, uint32_t v) { (void)c; (void)v; return HCABI_REF_POK; }
static void no_vcpu_yield(void *c, uint32_t v, uint32_t t) { (void)c; (void)v; (void)t; }
static int no_inject_irq(void *c, uint32_t v, uint8_t x) { (void)c; (void)v; (void)x; return HCABI_REF_PERR_HOST; }
static int no_timer_arm(void *c, uint32_t v, uint64_t d, uint8_t x) { (void)c; (void)v; (void)d; (void)x; return HCABI_REF_PERR_HOST; }
static int no_timer_cancel(void *c, uint32_t v, bool *p) { (void)c; (void)v; *p = false; return HCABI_REF_POK; }
static int no_timer_arm_periodic(void *c, uint32_t v, uint64_t f, uint64_t p, uint8_t x) { (void)c; (void)v; (void)f; (void)p; (void)x; return HCABI_REF_PERR_HOST; }
static int no_tlb_flush(void *c, uint32_t v, uint64_t g, uint64_t n) { (void)c; (void)v; (void)g; (void)n; return HCABI_REF_POK; }
static uint64_t zero_clock(void *c) { (void)c; return 0; }
static uint64_t zero_steal(void *c, uint32_t v) { (void)c; (void)v; return 0; }
static int64_t no_console_write(void *c, const void *b, size_t n) { (void)c; (void)b; return (int64_t)n; }
static int64_t no_console_read(void *c, void *b, size_t n) { (void)c; (void)b; (void)n; return 0; }

static const struct hcabi_platform_ops ops = {
	.mem_read = no_mem_read, .mem_write = no_mem_write, .mem_release = no_mem_release,
	.vcpu_start = no_vcpu_start, .vcpu_block = no_vcpu_block, .vcpu_kick = no_vcpu_kick,
	.vcpu_yield = no_vcpu_yield, .inject_irq = no_inject_irq, .timer_arm = no_timer_arm,
	.timer_cancel = no_timer_cancel, .timer_arm_periodic = no_timer_arm_periodic,
	.tlb_flush = no_tlb_flush, .clock_monotonic_ns = zero_clock, .clock_wall_ns = zero_clock,
	.steal_ns = zero_steal, .console_write = no_console_write, .console_read = no_console_read,
};

static int call(struct hcabi_ref *ref, uint64_t function_id, uint64_t arg0, int64_t want_status,
		uint64_t want_value, const char *what)
{
	struct hcabi_ref_call c = { .function_id = function_id, .args = { arg0 }, .cpl = 0 };
	struct hcabi_ref_ret r;
	hcabi_ref_dispatch(ref, 0, &c, &r);
	if (r.status != want_status || r.value != want_value || r.action != HCABI_REF_ACTION_RESUME) {
		fprintf(stderr, "hcabi_ref consumer: %s: status %lld value %#llx action %d, want status %lld value %#llx\n",
			what, (long long)r.status, (unsigned long long)r.value, (int)r.action,
			(long long)want_status, (unsigned long long)want_value);
		return 1;
	}
	return 0;
}

int main(void)
{
	static const struct hcabi_ref_ram_range ram = { .base = 0, .size = 1u << 20 };
	const struct hcabi_ref_config cfg = { .vcpu_count = 1, .ram = &ram, .ram_count = 1, .ops = &ops };
	const char *err = NULL;
	struct hcabi_ref *ref = hcabi_ref_create(&cfg, &err);
	if (!ref) {
		fprintf(stderr, "hcabi_ref consumer: hcabi_ref_create: %s\n", err ? err : "failed");
		return 1;
	}
	uint32_t newest = hcabi_ref_newest_version();
	const char *name = hcabi_ref_function_name(HCABI_FID_BASE_GET_SPEC_VERSION);
	int bad = 0;
	if (newest < HCABI_VERSION(1, 0) || hcabi_ref_spec_version(ref) != newest) {
		fprintf(stderr, "hcabi_ref consumer: exposed version %#x, newest %#x\n",
			(unsigned)hcabi_ref_spec_version(ref), (unsigned)newest);
		bad = 1;
	}
	if (!name || strcmp(name, "BASE.GET_SPEC_VERSION") != 0) {
		fprintf(stderr, "hcabi_ref consumer: function name %s\n", name ? name : "(null)");
		bad = 1;
	}
	bad |= call(ref, HCABI_FID_BASE_GET_SPEC_VERSION, 0, HCABI_SUCCESS, newest, "BASE.GET_SPEC_VERSION");
	bad |= call(ref, HCABI_FID_BASE_PROBE_FUNCTION, HCABI_FID_BASE_GET_SPEC_VERSION, HCABI_SUCCESS, 1,
		    "BASE.PROBE_FUNCTION(BASE.GET_SPEC_VERSION)");
	/* a vendor EID the reference implementation does not provide */
	bad |= call(ref, HCABI_FID_BASE_PROBE_EXTENSION, 0xC000u, HCABI_SUCCESS, 0, "BASE.PROBE_EXTENSION(0xC000)");
	hcabi_ref_destroy(ref);
	if (bad)
		return 1;
	printf("hcabi_ref consumer: OK %u.%u\n", (unsigned)HCABI_VERSION_MAJOR(newest), (unsigned)(newest & 0xffffu));
	return 0;
}
