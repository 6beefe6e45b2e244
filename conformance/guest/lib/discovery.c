/* SPDX-License-Identifier: MIT */
/*
 * discovery.c - find HCABI and learn what the implementation claims.
 *
 * The binding's search (hcabi_arch_find_hcabi; x86-64: the CPUID bases)
 * comes first. Only with the signature found does the guest execute a
 * hypercall instruction: on a hypervisor without HCABI, VMCALL may raise
 * #UD or do something else entirely. Then
 * GET_SPEC_VERSION, GET_IMPL_ID, GET_IMPL_VERSION and PROBE_EXTENSION of every
 * registry extension, reported in one protocol line:
 *   @hcabi discovery present=1 base=0x40000000 signature=... spec=1.0
 *          impl=0x1 implver=0x10000 exts=BASE:1,CONSOLE:1,...
 * Discovery is lenient (the signature alone decides); the DISC tests check
 * the rest of the CPUID rules.
 */
#include "hcabi_guest.h"

struct hcabi_discovery hcabi_disc;

static const struct {
	const char *name;
	uint32_t eid;
} extensions[] = {
#define HCABI__EXT_ENTRY(name, eid, since) {#name, eid},
    HCABI_FOREACH_EXTENSION(HCABI__EXT_ENTRY)
#undef HCABI__EXT_ENTRY
};

static const struct {
	const char *name;
	int64_t value;
} statuses[] = {
#define HCABI__STATUS_ENTRY(name, value) {#name, value},
    HCABI_FOREACH_STATUS(HCABI__STATUS_ENTRY)
#undef HCABI__STATUS_ENTRY
};

const char *hcabi_ext_name(uint32_t eid)
{
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(extensions); i++)
		if (extensions[i].eid == eid)
			return extensions[i].name;
	return 0;
}

int64_t hcabi_ext_eid(const char *name, size_t len)
{
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(extensions); i++)
		if (strlen(extensions[i].name) == len && !strncmp(extensions[i].name, name, len))
			return extensions[i].eid;
	return -1;
}

bool hcabi_has_ext(uint32_t eid)
{
	return hcabi_ext_version(eid) != 0;
}

uint64_t hcabi_ext_version(uint32_t eid)
{
	if (!hcabi_disc.present)
		return 0;
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(extensions); i++)
		if (extensions[i].eid == eid)
			return hcabi_disc.ext_version[i];
	return 0;
}

const char *hcabi_status_name(int64_t status)
{
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(statuses); i++)
		if (statuses[i].value == status)
			return statuses[i].name;
	return status <= HCABI_STATUS_VENDOR_MAX ? "VENDOR" : "?";
}

void hcabi_run_discovery(void)
{
	struct hcabi_discovery *d = &hcabi_disc;
	char exts[256], sig[13];
	size_t n = 0;

	memset(d, 0, sizeof(*d));
	d->present = hcabi_arch_find_hcabi(d);
	if (!d->present) {
		hcabi_proto("discovery present=0");
		return;
	}

	struct hcabi_ret r = hcabi_base_get_spec_version();
	d->spec_status = r.status;
	d->spec = r.status == HCABI_SUCCESS ? (uint32_t)r.value : 0;
	r = hcabi_base_get_impl_id();
	d->impl_id = r.status == HCABI_SUCCESS ? r.value : 0;
	r = hcabi_base_get_impl_version();
	d->impl_version = r.status == HCABI_SUCCESS ? r.value : 0;
	exts[0] = '\0';
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(extensions); i++) {
		r = hcabi_base_probe_extension(extensions[i].eid);
		d->ext_version[i] = r.status == HCABI_SUCCESS ? r.value : 0;
		if (d->ext_version[i] && n < sizeof(exts) - 40)
			n += (size_t)hcabi_snprintf(
			    exts + n, sizeof(exts) - n, "%s%s:%llu", n ? "," : "",
			    extensions[i].name,
			    (unsigned long long)(d->ext_version[i] & 0xFFFFFFFFull));
	}
	for (int i = 0; i < 12; i++) {
		char ch = d->signature[i];
		sig[i] = (ch > 0x20 && ch < 0x7F) ? ch : '?';
	}
	sig[12] = '\0';
	hcabi_proto("discovery present=1 base=0x%x signature=%s spec=%u.%u impl=0x%llx "
		    "implver=0x%llx exts=%s",
		    d->base, sig, HCABI_VERSION_MAJOR(d->spec), HCABI_VERSION_MINOR(d->spec),
		    (unsigned long long)d->impl_id, (unsigned long long)d->impl_version,
		    n ? exts : "-");
}
