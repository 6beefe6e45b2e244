/* SPDX-License-Identifier: MIT */
/*
 * core.c - the instance's life cycle (configuration, extension tables,
 * argument masks), names and counters; the registry's own tables and the
 * version grammar are registry.c's.
 */
#include <stdlib.h>
#include <string.h>

#include "hcabi_ref_internal.h"


/* The handlers, one per extension of the registry: a new extension in the
 * registry does not link until its ext_<name>.c exists. */
static const struct hcabi__ext *const ext_impl[HCABI__CORE_NEXT] = {
#define HCABI__CORE_X(NAME, EID, SINCE) [HCABI__CORE_EXT_##NAME] = &hcabi__ext_##NAME,
    HCABI_FOREACH_EXTENSION(HCABI__CORE_X)
#undef HCABI__CORE_X
};

struct ext_version_row {
	uint8_t ext;
	uint32_t number;
	uint32_t since;
};
static const struct ext_version_row ext_versions[] = {
#define HCABI__CORE_X(NAME, NUMBER, SINCE) {HCABI__CORE_EXT_##NAME, (NUMBER), (SINCE)},
    HCABI_FOREACH_EXTENSION_VERSION(HCABI__CORE_X)
#undef HCABI__CORE_X
};

struct arg_field_row {
	uint8_t fn;
	uint8_t idx;
	uint8_t hi, lo;
	uint32_t since;
};
static const struct arg_field_row arg_fields[] = {
#define HCABI__CORE_X(EXT, NAME, IDX, ARG, HI, LO, SINCE)                                          \
	{HCABI__CORE_FN_##EXT##_##NAME, (IDX), (HI), (LO), (SINCE)},
    HCABI_FOREACH_ARG_FIELD(HCABI__CORE_X)
#undef HCABI__CORE_X
	{HCABI__CORE_NFN, 0, 0, 0, 0}, /* end (the registry may have no field) */
};


static uint64_t bits(unsigned hi, unsigned lo)
{
	uint64_t upto = hi >= 63 ? UINT64_MAX : ((UINT64_C(1) << (hi + 1)) - 1);
	return upto & ~((UINT64_C(1) << lo) - 1);
}


uint32_t hcabi_ref_spec_version(const struct hcabi_ref *ref)
{
	return ref->version;
}

/* ---- Life cycle ------------------------------------------------------------ */

static const char *check_config(const struct hcabi_ref_config *cfg, bool provide[HCABI__CORE_NEXT])
{
	const struct hcabi_platform_ops *o = cfg->ops;
	if (!o)
		return "ops is NULL";
	if (!o->mem_read || !o->mem_write || !o->mem_release)
		return "ops: a memory callback is NULL";
	if (!o->vcpu_start || !o->vcpu_block || !o->vcpu_kick || !o->vcpu_yield)
		return "ops: a vCPU callback is NULL";
	if (!o->inject_irq || !o->timer_arm || !o->timer_cancel || !o->tlb_flush)
		return "ops: an interrupt, timer or TLB callback is NULL";
	if (!o->clock_monotonic_ns || !o->clock_wall_ns || !o->steal_ns)
		return "ops: a clock callback is NULL";
	if (!o->console_write || !o->console_read)
		return "ops: a console callback is NULL";
	if (cfg->vcpu_count < 1 || cfg->vcpu_count > HCABI_REF_MAX_VCPUS)
		return "vcpu_count is not in 1 .. HCABI_REF_MAX_VCPUS";
	if (!cfg->ram || cfg->ram_count == 0)
		return "ram: no RAM range";
	for (uint32_t i = 0; i < cfg->ram_count; i++) {
		const struct hcabi_ref_ram_range *r = &cfg->ram[i];
		if (r->base % HCABI_PAGE_SIZE || r->size % HCABI_PAGE_SIZE || r->size == 0)
			return "ram: a range is not 4 KiB aligned, or empty";
		if (r->base > UINT64_MAX - r->size)
			return "ram: a range ends beyond the 64-bit address space";
		if (i > 0 && r->base < cfg->ram[i - 1].base + cfg->ram[i - 1].size)
			return "ram: ranges are not sorted, or overlap";
	}
	if (cfg->spec_version != 0 && !hcabi__core_version_implemented(cfg->spec_version))
		return "spec_version is not a version this library implements";
	/* TIME.SET_PERIODIC (1.1) needs the periodic timer; a VMM that pins an
	 * older version need not provide it. */
	if (!o->timer_arm_periodic &&
	    (cfg->spec_version ? cfg->spec_version : hcabi_ref_newest_version()) >=
		HCABI_FID_TIME_SET_PERIODIC_SINCE)
		return "ops: timer_arm_periodic is NULL, and the exposed version has "
		       "TIME.SET_PERIODIC";
	if (cfg->cpuid_base != 0 &&
	    (cfg->cpuid_base < HCABI_CPUID_BASE ||
	     (cfg->cpuid_base - HCABI_CPUID_BASE) % HCABI_CPUID_BASE_STRIDE != 0 ||
	     cfg->cpuid_base > HCABI_CPUID_BASE + 0xFF * HCABI_CPUID_BASE_STRIDE))
		return "cpuid_base is not one of 0x40000000, 0x40000100, ... 0x4000FF00 (DISC-002)";
	if (cfg->arch != HCABI_REF_ARCH_X86_64 && cfg->arch != HCABI_REF_ARCH_ARM64 &&
	    cfg->arch != HCABI_REF_ARCH_RISCV64)
		return "arch is not an enum hcabi_ref_arch";
	return hcabi__core_select_extensions(
	    cfg, cfg->spec_version ? cfg->spec_version : hcabi_ref_newest_version(), provide);
}

/* What the exposed version provides (VER-001, VER-002): extensions and their
 * version numbers, functions, and the meaningful bits of each argument. */
static void apply_version(struct hcabi_ref *ref)
{
	uint32_t v = ref->version;
	uint32_t first_since[HCABI__CORE_NFN][HCABI__CORE_NARGS];

	for (int e = 0; e < HCABI__CORE_NEXT; e++) {
		/* A withheld extension is absent, as one the version lacks. */
		ref->ext[e] =
		    hcabi__core_exts[e].since <= v && ref->ext_selected[e] ? ext_impl[e] : NULL;
		ref->ext_version[e] = 0;
	}
	for (size_t i = 0; i < sizeof(ext_versions) / sizeof(ext_versions[0]); i++) {
		const struct ext_version_row *r = &ext_versions[i];
		if (ref->ext[r->ext] && r->since <= v && r->number > ref->ext_version[r->ext])
			ref->ext_version[r->ext] = r->number;
	}
	for (int f = 0; f < HCABI__CORE_NFN; f++) {
		const struct hcabi__core_fn *fn = &hcabi__core_fns[f];
		ref->fn_present[f] = fn->since <= v && ref->ext[fn->ext] != NULL;
		ref->fn_statuses[f] = fn->statuses;
		ref->arg_checked[f] = 0;
		for (int a = 0; a < HCABI__CORE_NARGS; a++) {
			ref->arg_valid[f][a] = 0;
			first_since[f][a] = UINT32_MAX;
		}
	}
	/* STATUS-001, STATUS-005: a status added to a function after the
	 * exposed version is not one it may return (a host failure then
	 * falls back to INVALID_PARAM, as that version's table says). */
#define HCABI__CORE_X(ID, STATUS, SINCE)                                                           \
	if ((SINCE) > v) {                                                                         \
		int f_ = hcabi__core_fn_lookup(ID);                                                \
		if (f_ >= 0)                                                                       \
			ref->fn_statuses[f_] &= ~(UINT32_C(1) << (unsigned)-(HCABI_ERR_##STATUS)); \
	}
	HCABI_FOREACH_LATE_STATUS(HCABI__CORE_X)
#undef HCABI__CORE_X
	/* GEN-002: an argument that has fields has exactly the bits of the
	 * fields of the exposed version; every other bit is reserved. An
	 * argument whose first field comes after the exposed version does not
	 * exist at that version, and is ignored like any register beyond the
	 * argument count (X86-003). */
	for (size_t i = 0; arg_fields[i].fn != HCABI__CORE_NFN; i++) {
		const struct arg_field_row *r = &arg_fields[i];
		if (r->since < first_since[r->fn][r->idx])
			first_since[r->fn][r->idx] = r->since;
		if (r->since <= v)
			ref->arg_valid[r->fn][r->idx] |= bits(r->hi, r->lo);
	}
	for (int f = 0; f < HCABI__CORE_NFN; f++)
		for (int a = 0; a < HCABI__CORE_NARGS; a++)
			if (first_since[f][a] <= v)
				ref->arg_checked[f] |= (uint8_t)(1u << a);
}

static void set_initial_vcpu_state(struct hcabi_ref *ref)
{
	for (uint32_t i = 0; i < ref->nvcpus; i++) {
		struct hcabi__core_vcpu *c = &ref->vcpus[i];
		memset(c, 0, sizeof(*c));
		c->state = i == 0 ? HCABI__CORE_RUNNING : HCABI__CORE_STOPPED;
	}
}

struct hcabi_ref *hcabi_ref_create(const struct hcabi_ref_config *cfg, const char **err)
{
	struct hcabi_ref *ref;
	bool provide[HCABI__CORE_NEXT];
	const char *e;
	uint32_t n = 0;

	if (err)
		*err = NULL;
	if (!cfg) {
		if (err)
			*err = "cfg is NULL";
		return NULL;
	}
	e = check_config(cfg, provide);
	if (e) {
		if (err)
			*err = e;
		return NULL;
	}
	for (int i = 0; i < HCABI__CORE_NEXT; i++) {
		if (!ext_impl[i] || ext_impl[i]->eid != hcabi__core_exts[i].eid ||
		    !ext_impl[i]->handler) {
			if (err)
				*err = "internal: an extension handler does not match the registry";
			return NULL;
		}
	}

	ref = calloc(1, sizeof(*ref));
	if (!ref)
		goto nomem;
	ref->vcpus = calloc(cfg->vcpu_count, sizeof(*ref->vcpus));
	ref->ram = calloc(cfg->ram_count, sizeof(*ref->ram));
	if (!ref->vcpus || !ref->ram)
		goto nomem;
	ref->ops = cfg->ops;
	ref->ctx = cfg->ctx;
	ref->nvcpus = cfg->vcpu_count;
	ref->version = cfg->spec_version ? cfg->spec_version : hcabi_ref_newest_version();
	ref->impl_version = cfg->impl_version;
	ref->cpuid_base = cfg->cpuid_base ? cfg->cpuid_base : HCABI_CPUID_BASE;
	ref->arch = cfg->arch;

	/* MEM-011: sorted, neither overlapping nor touching. */
	for (uint32_t i = 0; i < cfg->ram_count; i++) {
		if (n > 0 && ref->ram[n - 1].base + ref->ram[n - 1].size == cfg->ram[i].base)
			ref->ram[n - 1].size += cfg->ram[i].size;
		else
			ref->ram[n++] = cfg->ram[i];
	}
	ref->nram = n;

	memcpy(ref->ext_selected, provide, sizeof(ref->ext_selected));
	apply_version(ref);
	set_initial_vcpu_state(ref);
	atomic_init(&ref->mono_last, 0);
	atomic_init(&ref->n_calls, 0);
	atomic_init(&ref->n_bugs, 0);
	atomic_init(&ref->n_host_errors, 0);
	atomic_init(&ref->nfaults, 0);
	if (pthread_mutex_init(&ref->lock, NULL) != 0)
		goto nomem;
	if (pthread_cond_init(&ref->cv, NULL) != 0) {
		pthread_mutex_destroy(&ref->lock);
		goto nomem;
	}
	if (pthread_mutex_init(&ref->fault_lock, NULL) != 0) {
		pthread_cond_destroy(&ref->cv);
		pthread_mutex_destroy(&ref->lock);
		goto nomem;
	}
	return ref;

nomem:
	if (ref) {
		free(ref->vcpus);
		free(ref->ram);
		free(ref);
	}
	if (err)
		*err = "out of memory";
	return NULL;
}

void hcabi_ref_destroy(struct hcabi_ref *ref)
{
	if (!ref)
		return;
	pthread_mutex_destroy(&ref->fault_lock);
	pthread_cond_destroy(&ref->cv);
	pthread_mutex_destroy(&ref->lock);
	free(ref->vcpus);
	free(ref->ram);
	free(ref);
}

void hcabi_ref_set_vcpu_running(struct hcabi_ref *ref, uint32_t vcpu, bool running)
{
	if (vcpu >= ref->nvcpus)
		return;
	pthread_mutex_lock(&ref->lock);
	(void)hcabi__core_vstate_locked(ref, vcpu);
	ref->vcpus[vcpu].state = running ? HCABI__CORE_RUNNING : HCABI__CORE_STOPPED;
	pthread_cond_broadcast(&ref->cv);
	pthread_mutex_unlock(&ref->lock);
	if (!running)
		hcabi__core_steal_unregister(ref, vcpu);
}

void hcabi_ref_reset(struct hcabi_ref *ref)
{
	pthread_mutex_lock(&ref->lock);
	set_initial_vcpu_state(ref);
	pthread_cond_broadcast(&ref->cv);
	pthread_mutex_unlock(&ref->lock);
}

bool hcabi__core_test_set_ext(struct hcabi_ref *ref, const struct hcabi__ext *ext)
{
	for (int i = 0; i < HCABI__CORE_NEXT; i++) {
		if (hcabi__core_exts[i].eid == ext->eid) {
			if (ref->ext[i])
				ref->ext[i] = ext;
			return true;
		}
	}
	return false;
}

/* ---- Counters, names, trace -------------------------------------------------- */

void hcabi_ref_get_stats(const struct hcabi_ref *ref, struct hcabi_ref_stats *out)
{
	struct hcabi_ref *r = (struct hcabi_ref *)ref; /* atomics: loads only */
	memset(out, 0, sizeof(*out));
	out->calls = atomic_load(&r->n_calls);
	out->internal_bugs = atomic_load(&r->n_bugs);
	out->host_errors = atomic_load(&r->n_host_errors);
}

const char *hcabi_ref_function_name(uint32_t function_id)
{
	int i = hcabi__core_fn_lookup(function_id);
	return i < 0 ? NULL : hcabi__core_fns[i].name;
}

const char *hcabi_ref_status_name(int64_t status)
{
	switch (status) {
#define HCABI__CORE_X(NAME, VALUE)                                                                 \
	case (VALUE):                                                                              \
		return #NAME;
		HCABI_FOREACH_STATUS(HCABI__CORE_X)
#undef HCABI__CORE_X
	default:
		return NULL;
	}
}

void hcabi_ref_set_trace(struct hcabi_ref *ref,
			 void (*fn)(void *arg, const struct hcabi_ref_trace_event *ev), void *arg)
{
	ref->trace = fn;
	ref->trace_arg = fn ? arg : NULL;
}
