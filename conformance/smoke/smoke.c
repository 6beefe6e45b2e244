/* SPDX-License-Identifier: MIT */
/*
 * smoke.c - hcabi-smoke.elf: the quickest "does HCABI work at all" guest.
 *
 * Checks the CPUID signature, calls BASE.GET_SPEC_VERSION, GET_IMPL_ID,
 * PROBE_EXTENSION(BASE) and CONSOLE.WRITE of one line, prints what it saw on
 * COM1, and leaves through isa-debug-exit: 0 on success (VMM exit status 1)
 * and a distinct value for each kind of failure (status (v << 1) | 1):
 *
 *   0  success                        -> exit status 1
 *   2  no HCABI signature in CPUID    -> 5
 *   3  GET_SPEC_VERSION failed/bad    -> 7
 *   4  GET_IMPL_ID failed/zero        -> 9
 *   5  PROBE_EXTENSION(BASE) not 1+   -> 11
 *   6  CONSOLE not advertised         -> 13
 *   7  CONSOLE.WRITE failed           -> 15
 *   0x7f  runtime fault               -> 255
 *
 * No hypercall is made unless the signature is found.
 */
#include "hcabi_guest.h"

enum {
	SMOKE_OK = 0,
	SMOKE_NO_SIGNATURE = 2,
	SMOKE_SPEC_VERSION = 3,
	SMOKE_IMPL_ID = 4,
	SMOKE_PROBE_BASE = 5,
	SMOKE_NO_CONSOLE = 6,
	SMOKE_CONSOLE_WRITE = 7,
};

static HCABI_NORETURN void finish(uint8_t code, const char *what)
{
	hcabi_printf("hcabi-smoke: %s: %s (isa-debug-exit %u)", code ? "FAIL" : "PASS", what, code);
	hcabi_exit(code);
}

void hcabi_main(void)
{
	static const char line[] = "hcabi-smoke: hello through CONSOLE.WRITE\n";
	struct hcabi_ret r;

	hcabi_printf("hcabi-smoke: starting");
	hcabi_hello("smoke");
	hcabi_run_discovery();
	if (!hcabi_disc.present)
		finish(SMOKE_NO_SIGNATURE, "no HCABI signature in CPUID 0x40000000-0x4000FF00");
	hcabi_printf("hcabi-smoke: signature at CPUID 0x%x, max leaf 0x%x", hcabi_disc.base,
		     hcabi_disc.max_leaf);

	r = hcabi_base_get_spec_version();
	hcabi_printf("hcabi-smoke: GET_SPEC_VERSION status=%lld value=0x%llx", (long long)r.status,
		     (unsigned long long)r.value);
	if (r.status != HCABI_SUCCESS || (r.value >> 32) || HCABI_VERSION_MAJOR(r.value) < 1)
		finish(SMOKE_SPEC_VERSION, "BASE.GET_SPEC_VERSION");

	r = hcabi_base_get_impl_id();
	hcabi_printf("hcabi-smoke: GET_IMPL_ID status=%lld value=0x%llx", (long long)r.status,
		     (unsigned long long)r.value);
	if (r.status != HCABI_SUCCESS || r.value == 0)
		finish(SMOKE_IMPL_ID, "BASE.GET_IMPL_ID");

	r = hcabi_base_probe_extension(HCABI_EID_BASE);
	hcabi_printf("hcabi-smoke: PROBE_EXTENSION(BASE) status=%lld value=0x%llx",
		     (long long)r.status, (unsigned long long)r.value);
	if (r.status != HCABI_SUCCESS || r.value < 1)
		finish(SMOKE_PROBE_BASE, "BASE.PROBE_EXTENSION(BASE)");

	if (!hcabi_has_ext(HCABI_EID_CONSOLE))
		finish(SMOKE_NO_CONSOLE, "CONSOLE not advertised");
	r = hcabi_console_write((uint64_t)(uintptr_t)line, sizeof(line) - 1);
	hcabi_printf("hcabi-smoke: CONSOLE.WRITE status=%lld value=%llu", (long long)r.status,
		     (unsigned long long)r.value);
	if (r.status != HCABI_SUCCESS || r.value != sizeof(line) - 1)
		finish(SMOKE_CONSOLE_WRITE, "CONSOLE.WRITE");

	finish(SMOKE_OK, "every check passed");
}
