// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The entry of hcabi.ko: find HCABI through CPUID, read BASE, then start
 * the parts the hypervisor's extensions allow (sysfs, hvc console,
 * clocksource, power-off and restart). Without HCABI it refuses to load.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/build_bug.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <asm/cpufeature.h>
#include <asm/processor.h>

#include "hcabi.h"

/* The last candidate base of the x86 binding's search (req-disc-cpuid). */
#define HCABI_DRV_CPUID_LAST (HCABI_CPUID_BASE + 0xffu * HCABI_CPUID_BASE_STRIDE)

#define HCABI_DRV_EXT_ROW(name, eid, since) { #name, eid, since },

const struct hcabi_ext hcabi_exts[] = {
	HCABI_FOREACH_EXTENSION(HCABI_DRV_EXT_ROW)
};

#undef HCABI_DRV_EXT_ROW

const unsigned int hcabi_ext_count = ARRAY_SIZE(hcabi_exts);
static_assert(ARRAY_SIZE(hcabi_exts) <= HCABI_DRV_MAX_EXTS);

static struct hcabi_info hcabi_info;

static void hcabi_put_sig(char *out, u32 v)
{
	int i;

	for (i = 0; i < 4; i++)
		out[i] = (char)(v >> (8 * i));
}

/*
 * The guest's discovery procedure of the x86 binding: no hypervisor bit, no
 * search; else the first base B whose leaf B says B + 1 exists and whose
 * leaf B + 1 EAX is "HCA1". No hypercall before this succeeds (#UD).
 */
static bool hcabi_find(struct hcabi_info *info)
{
	u32 base, eax, ebx, ecx, edx;

	if (!boot_cpu_has(X86_FEATURE_HYPERVISOR))
		return false;
	for (base = HCABI_CPUID_BASE; base <= HCABI_DRV_CPUID_LAST;
	     base += HCABI_CPUID_BASE_STRIDE) {
		cpuid(base, &eax, &ebx, &ecx, &edx);
		if (eax < base + 1 || eax > base + 0xff)
			continue;
		if (cpuid_eax(base + 1) != HCABI_CPUID_INTERFACE_SIGNATURE)
			continue;
		info->cpuid_base = base;
		hcabi_put_sig(info->signature, ebx);
		hcabi_put_sig(info->signature + 4, ecx);
		hcabi_put_sig(info->signature + 8, edx);
		info->signature[12] = '\0';
		return true;
	}
	return false;
}

/* BASE: the version (major 1 only: a minor version only adds), the
 * implementation and every extension abi.h knows.
 */
static int hcabi_read_base(struct hcabi_info *info)
{
	struct hcabi_ret r;
	unsigned int i;

	r = hcabi_call(0, HCABI_FID_BASE_GET_SPEC_VERSION);
	if (r.status != HCABI_SUCCESS ||
	    HCABI_VERSION_MAJOR(r.value) != HCABI_VERSION_MAJOR(HCABI_VERSION_1_0)) {
		pr_err("HCABI at CPUID 0x%x: BASE.GET_SPEC_VERSION gave status %lld value 0x%llx, not a 1.x version\n",
		       info->cpuid_base, r.status, r.value);
		return -ENODEV;
	}
	info->spec_version = (u32)r.value;
	r = hcabi_call(0, HCABI_FID_BASE_GET_IMPL_ID);
	info->impl_id = r.value;
	r = hcabi_call(0, HCABI_FID_BASE_GET_IMPL_VERSION);
	info->impl_version = r.value;
	for (i = 0; i < hcabi_ext_count; i++) {
		/* One newer than the exposed version is not there. */
		if (hcabi_exts[i].since > info->spec_version)
			continue;
		r = hcabi_call(1, HCABI_FID_BASE_PROBE_EXTENSION,
			       hcabi_exts[i].eid);
		info->ext_version[i] = r.status == HCABI_SUCCESS ? r.value : 0;
	}
	return 0;
}

static bool hcabi_has(u32 eid)
{
	unsigned int i;

	for (i = 0; i < hcabi_ext_count; i++)
		if (hcabi_exts[i].eid == eid)
			return hcabi_info.ext_version[i] != 0;
	return false;
}

/* What each extension the hypervisor has lets hcabi.ko provide, in start order. */
static const struct hcabi_part {
	u32 eid;
	int (*init)(void);
	void (*exit)(void);
} hcabi_parts[] = {
	{ HCABI_EID_CONSOLE, hcabi_hvc_init, hcabi_hvc_exit },
	{ HCABI_EID_TIME, hcabi_clock_init, hcabi_clock_exit },
	{ HCABI_EID_SYSTEM, hcabi_power_init, hcabi_power_exit },
};

/* Stop the first n parts, last started first, then sysfs. */
static void hcabi_stop(unsigned int n)
{
	while (n--)
		if (hcabi_has(hcabi_parts[n].eid))
			hcabi_parts[n].exit();
	hcabi_sysfs_exit();
}

static int __init hcabi_init(void)
{
	unsigned int i;
	int ret;

	if (!hcabi_find(&hcabi_info)) {
		pr_err("no HCABI hypervisor: no CPUID base 0x%x-0x%x carries the \"HCA1\" signature\n",
		       HCABI_CPUID_BASE, HCABI_DRV_CPUID_LAST);
		return -ENODEV;
	}
	ret = hcabi_read_base(&hcabi_info);
	if (ret)
		return ret;
	pr_info("HCABI %u.%u at CPUID 0x%x (\"%s\"), implementation %llu version 0x%llx\n",
		HCABI_VERSION_MAJOR(hcabi_info.spec_version),
		HCABI_VERSION_MINOR(hcabi_info.spec_version),
		hcabi_info.cpuid_base, hcabi_info.signature,
		hcabi_info.impl_id, hcabi_info.impl_version);

	ret = hcabi_sysfs_init(&hcabi_info);
	if (ret)
		return ret;
	for (i = 0; i < ARRAY_SIZE(hcabi_parts); i++) {
		if (!hcabi_has(hcabi_parts[i].eid))
			continue;
		ret = hcabi_parts[i].init();
		if (ret) {
			hcabi_stop(i);
			return ret;
		}
	}
	return 0;
}

static void __exit hcabi_exit(void)
{
	hcabi_stop(ARRAY_SIZE(hcabi_parts));
}

module_init(hcabi_init);
module_exit(hcabi_exit);

MODULE_DESCRIPTION("HCABI hypercall ABI guest driver: discovery, hvc console, clocksource, power-off");
MODULE_LICENSE("Dual MIT/GPL");
