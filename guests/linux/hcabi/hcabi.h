/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * What the parts of hcabi.ko share: the result of discovery and
 * each part's set-up and tear-down, which core.c calls (never each other).
 */
#ifndef HCABI_DRV_H
#define HCABI_DRV_H

#include <linux/errno.h>
#include <linux/types.h>
#include <asm/cpufeature.h>

#include "abi.h"

/*
 * Every call goes through hcabi_call(): abi.h's VMMCALL wrapper on CPUs
 * with X86_FEATURE_VMMCALL (AMD, Hygon), its VMCALL one elsewhere. A
 * conforming hypervisor accepts both (X86-001), but one built on KVM gets
 * the other vendor's instruction as a #UD that KVM's emulator turns into
 * the native one by rewriting the 3 bytes in guest memory: on a module's
 * read-only text that write faults (#PF) instead. The kernel's own KVM
 * guest code chooses the native instruction for the same reason.
 * hcabi_call(N, FID, args...) takes abi.h's HCABI_FID_* and N arguments.
 */
#define hcabi_call(n, ...)						\
	(boot_cpu_has(X86_FEATURE_VMMCALL) ?				\
	 hcabi_vmmcall##n(__VA_ARGS__) : hcabi_vmcall##n(__VA_ARGS__))

/* An extension abi.h knows (HCABI_FOREACH_EXTENSION). */
struct hcabi_ext {
	const char *name;
	u32 eid;
	u32 since;		/* the HCABI version that added it */
};

#define HCABI_DRV_MAX_EXTS 64

extern const struct hcabi_ext hcabi_exts[];
extern const unsigned int hcabi_ext_count;

/* What discovery and BASE found; filled once, read-only afterwards. */
struct hcabi_info {
	u32 cpuid_base;			/* leaf B of the HCABI block */
	char signature[13];		/* leaf B EBX, ECX, EDX, NUL-terminated */
	u32 spec_version;		/* BASE.GET_SPEC_VERSION */
	u64 impl_id;			/* BASE.GET_IMPL_ID */
	u64 impl_version;		/* BASE.GET_IMPL_VERSION */
	u64 ext_version[HCABI_DRV_MAX_EXTS];	/* hcabi_exts[i]'s; 0: absent */
};

/* A call's failure as an errno; only IO has a closer match than -EIO. */
static inline int hcabi_errno(s64 status)
{
	switch (status) {
	case HCABI_SUCCESS:
		return 0;
	case HCABI_ERR_NOT_SUPPORTED:
		return -EOPNOTSUPP;
	case HCABI_ERR_INVALID_PARAM:
	case HCABI_ERR_INVALID_ADDRESS:
		return -EINVAL;
	default:
		return -EIO;
	}
}

int hcabi_sysfs_init(const struct hcabi_info *info);
void hcabi_sysfs_exit(void);
int hcabi_hvc_init(void);
void hcabi_hvc_exit(void);
int hcabi_clock_init(void);
void hcabi_clock_exit(void);
int hcabi_power_init(void);
void hcabi_power_exit(void);

#endif /* HCABI_DRV_H */
