/*
 * abi_h_check.c - compiled (never run) by the abi_h.* CTest tests.
 *
 * abi.h must compile standalone, warning-free under
 * -Wall -Wextra -pedantic-errors -Werror, as C99 and C11, hosted and
 * -ffreestanding, and as C++11, with gcc and clang, for x86-64, arm64 and
 * riscv64 (and i386, which has no call wrappers), and in a kernel build
 * (__KERNEL__, -nostdinc, with the stand-ins of tests/kernel-stub). This translation unit
 * includes only abi.h, calls the wrappers of the architecture it is compiled
 * for, and expands the X-macro tables, so that every part of the header is
 * instantiated.
 */
#include "abi.h"

#ifdef __cplusplus
extern "C" {
#endif
int hcabi_abi_h_check(void);
#ifdef __cplusplus
}
#endif

#define COUNT_STATUS(name, value) +1
#define COUNT_EXTENSION(name, eid, since) +1
#define FUNCTION_ID(ext, name, id, nargs, since, statuses, flags) id,
#define ARG_FIELD(ext, name, index, arg, hi, lo, since) +1

static const uint32_t function_ids[] = { HCABI_FOREACH_FUNCTION(FUNCTION_ID) 0u };

HCABI_STATIC_ASSERT(HCABI_FUNCTION_ID(HCABI_EID_CONSOLE, 0) == HCABI_FID_CONSOLE_WRITE,
		    "function ID layout");
HCABI_STATIC_ASSERT(sizeof(struct hcabi_ret) == 16, "struct hcabi_ret");
/* The argument bit-field constants are constant expressions in every mode; a field's
 * mask starts at its shift, and two fields of one argument do not overlap. The values
 * themselves are checked against the registry by spec/tests/test_registry.py. */
HCABI_STATIC_ASSERT(((HCABI_IPI_SEND_VECTOR_ALL_BUT_SELF_MASK >> HCABI_IPI_SEND_VECTOR_ALL_BUT_SELF_SHIFT) & 1u) == 1u,
		    "a field's mask starts at its shift");
HCABI_STATIC_ASSERT((HCABI_IPI_SEND_VECTOR_VECTOR_MASK & HCABI_IPI_SEND_VECTOR_ALL_BUT_SELF_MASK) == 0u,
		    "the fields of IPI.SEND's vector do not overlap");

int hcabi_abi_h_check(void)
{
	int statuses = 0 HCABI_FOREACH_STATUS(COUNT_STATUS);
	int extensions = 0 HCABI_FOREACH_EXTENSION(COUNT_EXTENSION);
	int fields = 0 HCABI_FOREACH_ARG_FIELD(ARG_FIELD);
	struct hcabi_batch_entry entry;
	int sum = statuses + extensions + fields + (int)(function_ids[1] & 0xFFu);

	entry.function_id = HCABI_FID_BASE_GET_SPEC_VERSION;
	entry.status = HCABI_SUCCESS;
	sum += (int)(entry.function_id >> 16) + (int)entry.status;
#if defined(HCABI__HAVE_CALL_WRAPPERS)
	{
		struct hcabi_ret version = hcabi_base_get_spec_version();
		struct hcabi_ret written = hcabi_console_write_byte(0x41u);
		struct hcabi_ret six = hcabi_call6(HCABI_FID_BASE_PROBE_FUNCTION, 1u, 2u, 3u, 4u, 5u, 6u);

		if (version.status != HCABI_SUCCESS || HCABI_VERSION_MAJOR(version.value) < 1u)
			return -1;
		sum += (int)written.status + (int)six.value;
	}
#endif
#if defined(__x86_64__) && !defined(HCABI_NO_CALL_WRAPPERS)
	sum += (int)hcabi_vmmcall1(HCABI_FID_BASE_PROBE_EXTENSION, HCABI_EID_TIME).value;
#endif
#if (defined(__aarch64__) || defined(__riscv)) && !defined(HCABI_NO_CALL_WRAPPERS)
	/* The other architectures' bindings: discovery, and their own structures. */
	{
		struct hcabi_vcpu_boot_state_arm64 a;
		struct hcabi_vcpu_boot_state_riscv64 r;

		a.entry = r.entry = 0x80000000u;
		a.arg = r.arg = 0u;
		sum += hcabi_discover() + (int)(a.entry >> 28) + (int)r.arg;
	}
#endif
#if defined(__aarch64__) && !defined(HCABI_NO_CALL_WRAPPERS)
	{
		uint64_t regs[4];

		hcabi_hvc_discover(regs);
		sum += (int)(regs[1] & 0xFFu) + (int)hcabi_hvc0(HCABI_FID_BASE_GET_IMPL_ID).status;
	}
#endif
#if defined(__riscv) && !defined(HCABI_NO_CALL_WRAPPERS)
	sum += (int)hcabi_sbi_probe_extension(HCABI_RISCV64_SBI_EID).value +
	       (int)hcabi_ecall0(HCABI_FID_BASE_GET_IMPL_ID).status;
#endif
	return sum;
}
