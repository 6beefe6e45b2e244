// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * /sys/hypervisor/hcabi/: what discovery and BASE found.
 *
 *   spec_version  MAJOR.MINOR (BASE.GET_SPEC_VERSION)
 *   impl_id       decimal (BASE.GET_IMPL_ID; 1 is the reference implementation)
 *   impl_version  0x-prefixed hex (BASE.GET_IMPL_VERSION)
 *   extensions    NAME:VERSION for each extension BASE.PROBE_EXTENSION found,
 *                 space-separated, in abi.h's order
 *   cpuid_base    0x-prefixed hex: leaf B of the HCABI CPUID block
 *   signature     the 12-byte vendor signature of leaf B
 */
#include <linux/kobject.h>
#include <linux/sysfs.h>

#include "hcabi.h"

static const struct hcabi_info *hcabi_sysfs_info;
static struct kobject *hcabi_kobj;

static ssize_t spec_version_show(struct kobject *kobj,
				 struct kobj_attribute *attr, char *buf)
{
	u32 v = hcabi_sysfs_info->spec_version;

	return sysfs_emit(buf, "%u.%u\n", HCABI_VERSION_MAJOR(v),
			  HCABI_VERSION_MINOR(v));
}

static ssize_t impl_id_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%llu\n", hcabi_sysfs_info->impl_id);
}

static ssize_t impl_version_show(struct kobject *kobj,
				 struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "0x%llx\n", hcabi_sysfs_info->impl_version);
}

static ssize_t extensions_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	const char *sep = "";
	unsigned int i;
	int len = 0;

	for (i = 0; i < hcabi_ext_count; i++) {
		if (!hcabi_sysfs_info->ext_version[i])
			continue;
		len += sysfs_emit_at(buf, len, "%s%s:%llu", sep,
				     hcabi_exts[i].name,
				     hcabi_sysfs_info->ext_version[i]);
		sep = " ";
	}
	len += sysfs_emit_at(buf, len, "\n");
	return len;
}

static ssize_t cpuid_base_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "0x%x\n", hcabi_sysfs_info->cpuid_base);
}

static ssize_t signature_show(struct kobject *kobj,
			      struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", hcabi_sysfs_info->signature);
}

static struct kobj_attribute spec_version_attr = __ATTR_RO(spec_version);
static struct kobj_attribute impl_id_attr = __ATTR_RO(impl_id);
static struct kobj_attribute impl_version_attr = __ATTR_RO(impl_version);
static struct kobj_attribute extensions_attr = __ATTR_RO(extensions);
static struct kobj_attribute cpuid_base_attr = __ATTR_RO(cpuid_base);
static struct kobj_attribute signature_attr = __ATTR_RO(signature);

static struct attribute *hcabi_attrs[] = {
	&spec_version_attr.attr,
	&impl_id_attr.attr,
	&impl_version_attr.attr,
	&extensions_attr.attr,
	&cpuid_base_attr.attr,
	&signature_attr.attr,
	NULL,
};

static const struct attribute_group hcabi_attr_group = {
	.attrs = hcabi_attrs,
};

int hcabi_sysfs_init(const struct hcabi_info *info)
{
	int ret;

	hcabi_sysfs_info = info;
	hcabi_kobj = kobject_create_and_add("hcabi", hypervisor_kobj);
	if (!hcabi_kobj)
		return -ENOMEM;
	ret = sysfs_create_group(hcabi_kobj, &hcabi_attr_group);
	if (ret) {
		kobject_put(hcabi_kobj);
		hcabi_kobj = NULL;
	}
	return ret;
}

void hcabi_sysfs_exit(void)
{
	sysfs_remove_group(hcabi_kobj, &hcabi_attr_group);
	kobject_put(hcabi_kobj);
	hcabi_kobj = NULL;
}
