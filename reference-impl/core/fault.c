/* SPDX-License-Identifier: MIT */
/*
 * fault.c - test-only fault injection: make calls of one function return a
 * wrong status or value, or clobber a register, or (CONSOLE) drop, reverse
 * or eagerly consume console data, so that a conformance suite can be shown
 * to catch a wrong implementation. Never enabled by default.
 */
#define _POSIX_C_SOURCE 200809L /* nanosleep */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hcabi_ref_internal.h"

int hcabi_ref_inject_fault(struct hcabi_ref *ref, uint32_t function_id,
			   enum hcabi_ref_fault_kind kind, uint64_t param)
{
	uint32_t n;
	int ret = 0;

	switch (kind) {
	case HCABI_REF_FAULT_NONE:
	case HCABI_REF_FAULT_STATUS:
		break;
	case HCABI_REF_FAULT_VALUE:
		if (param == 0)
			return -1;
		break;
	case HCABI_REF_FAULT_CLOBBER:
		if (param > HCABI_REF_GPR_R15)
			return -1;
		break;
	case HCABI_REF_FAULT_TWICE:
	case HCABI_REF_FAULT_REREAD:
	case HCABI_REF_FAULT_RACY:
		if (param > UINT64_C(10000000)) /* at most 10 s */
			return -1;
		break;
	case HCABI_REF_FAULT_CONSOLE_DROP:
	case HCABI_REF_FAULT_CONSOLE_REVERSE:
	case HCABI_REF_FAULT_CONSOLE_EAGER:
	case HCABI_REF_FAULT_OTHER_READING:
		if (param != 0)
			return -1;
		break;
	default:
		return -1;
	}

	pthread_mutex_lock(&ref->fault_lock);
	n = atomic_load(&ref->nfaults);
	if (kind == HCABI_REF_FAULT_NONE) {
		uint32_t k = 0;
		for (uint32_t i = 0; i < n; i++)
			if (ref->faults[i].function_id != function_id)
				ref->faults[k++] = ref->faults[i];
		n = k;
	} else {
		uint32_t i;
		for (i = 0; i < n; i++)
			if (ref->faults[i].function_id == function_id &&
			    ref->faults[i].kind == kind)
				break;
		if (i == n) {
			if (n == HCABI_REF_MAX_FAULTS) {
				ret = -1;
				goto out;
			}
			n++;
		}
		ref->faults[i].function_id = function_id;
		ref->faults[i].kind = kind;
		ref->faults[i].param = param;
	}
out:
	atomic_store_explicit(&ref->nfaults, n, memory_order_release);
	pthread_mutex_unlock(&ref->fault_lock);
	return ret;
}

bool hcabi__core_fault_has(struct hcabi_ref *ref, uint32_t function_id,
			   enum hcabi_ref_fault_kind kind)
{
	bool found = false;

	if (!atomic_load_explicit(&ref->nfaults, memory_order_acquire))
		return false;
	pthread_mutex_lock(&ref->fault_lock);
	for (uint32_t i = 0; i < atomic_load_explicit(&ref->nfaults, memory_order_relaxed); i++)
		if (ref->faults[i].function_id == function_id && ref->faults[i].kind == kind)
			found = true;
	pthread_mutex_unlock(&ref->fault_lock);
	return found;
}

bool hcabi__core_fault_apply(struct hcabi_ref *ref, uint32_t function_id, bool in_batch,
			     struct hcabi__core_res *res, uint32_t *clobber)
{
	bool applied = false;

	pthread_mutex_lock(&ref->fault_lock);
	for (uint32_t i = 0; i < atomic_load_explicit(&ref->nfaults, memory_order_relaxed); i++) {
		const struct hcabi__core_fault *f = &ref->faults[i];
		if (f->function_id != function_id)
			continue;
		switch (f->kind) {
		case HCABI_REF_FAULT_STATUS:
			res->status = (int64_t)f->param;
			applied = true;
			break;
		case HCABI_REF_FAULT_VALUE:
			res->value ^= f->param;
			applied = true;
			break;
		case HCABI_REF_FAULT_CLOBBER:
			/* A batch entry has no register of its own. */
			if (!in_batch && clobber) {
				*clobber |= UINT32_C(1) << f->param;
				applied = true;
			}
			break;
		default:
			break;
		}
	}
	pthread_mutex_unlock(&ref->fault_lock);
	return applied;
}

/* ---- behaviour faults (limits-races) -----------------------------------------
 * Faults no status or value change can express: the handler asks whether one
 * is set and misbehaves itself (ext_ipi.c: twice; ext_vcpu.c: reread, racy). */

bool hcabi__core_fault_behaviour(struct hcabi_ref *ref, uint32_t function_id,
				 enum hcabi_ref_fault_kind kind, uint64_t *usec)
{
	bool set = false;

	if (atomic_load_explicit(&ref->nfaults, memory_order_acquire) == 0)
		return false;
	pthread_mutex_lock(&ref->fault_lock);
	for (uint32_t i = 0; i < atomic_load_explicit(&ref->nfaults, memory_order_relaxed); i++) {
		const struct hcabi__core_fault *f = &ref->faults[i];
		if (f->function_id == function_id && f->kind == kind) {
			set = true;
			if (usec)
				*usec = f->param ? f->param : UINT64_C(20000);
		}
	}
	pthread_mutex_unlock(&ref->fault_lock);
	return set;
}

void hcabi__core_fault_delay(uint64_t usec)
{
	struct timespec ts = {.tv_sec = (time_t)(usec / 1000000u),
			      .tv_nsec = (long)(usec % 1000000u) * 1000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* ---- "FUNC:KIND[:PARAM]" ---------------------------------------------------- */

static const char *const gpr_names[] = {
    [HCABI_REF_GPR_RAX] = "rax", [HCABI_REF_GPR_RCX] = "rcx", [HCABI_REF_GPR_RDX] = "rdx",
    [HCABI_REF_GPR_RBX] = "rbx", [HCABI_REF_GPR_RSP] = "rsp", [HCABI_REF_GPR_RBP] = "rbp",
    [HCABI_REF_GPR_RSI] = "rsi", [HCABI_REF_GPR_RDI] = "rdi", [HCABI_REF_GPR_R8] = "r8",
    [HCABI_REF_GPR_R9] = "r9",	 [HCABI_REF_GPR_R10] = "r10", [HCABI_REF_GPR_R11] = "r11",
    [HCABI_REF_GPR_R12] = "r12", [HCABI_REF_GPR_R13] = "r13", [HCABI_REF_GPR_R14] = "r14",
    [HCABI_REF_GPR_R15] = "r15",
};

/* Case-insensitive comparison of s[0..n) with the NUL-terminated name. */
static bool name_eq(const char *s, size_t n, const char *name)
{
	size_t i;
	for (i = 0; i < n; i++) {
		if (name[i] == '\0' ||
		    toupper((unsigned char)s[i]) != toupper((unsigned char)name[i]))
			return false;
	}
	return name[i] == '\0';
}

/* An unsigned integer, decimal or 0x hex, filling s[0..n) exactly. */
static bool parse_u64(const char *s, size_t n, uint64_t *out)
{
	char buf[32];
	char *end;
	unsigned long long v;

	if (n == 0 || n >= sizeof(buf) || !isdigit((unsigned char)s[0]))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	errno = 0;
	v = strtoull(buf, &end, 0);
	if (errno != 0 || *end != '\0')
		return false;
	*out = v;
	return true;
}

static bool parse_function(const char *s, size_t n, uint32_t *out)
{
	uint64_t v;
	for (int i = 0; i < HCABI__CORE_NFN; i++) {
		if (name_eq(s, n, hcabi__core_fns[i].name)) {
			*out = hcabi__core_fns[i].id;
			return true;
		}
	}
	/* A function ID, known or not (to fault an unknown function too). */
	if (!parse_u64(s, n, &v) || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

static bool parse_status(const char *s, size_t n, uint64_t *out)
{
	uint64_t v;
#define HCABI__CORE_X(NAME, VALUE)                                                                 \
	if (name_eq(s, n, #NAME)) {                                                                \
		*out = (uint64_t)(int64_t)(VALUE);                                                 \
		return true;                                                                       \
	}
	HCABI_FOREACH_STATUS(HCABI__CORE_X)
#undef HCABI__CORE_X
	if (n > 1 && s[0] == '-') {
		if (!parse_u64(s + 1, n - 1, &v) || v > (uint64_t)INT64_MAX + 1)
			return false;
		*out = (uint64_t)0 - v;
		return true;
	}
	return parse_u64(s, n, out);
}

/* A behaviour kind's name: "twice", "reread" or "racy", PARAM an optional delay. */
static bool parse_behaviour(const char *kind_s, size_t kind_n, const char *param_s,
			    size_t param_n, enum hcabi_ref_fault_kind *kind, uint64_t *param,
			    const char **err)
{
	if (name_eq(kind_s, kind_n, "twice"))
		*kind = HCABI_REF_FAULT_TWICE;
	else if (name_eq(kind_s, kind_n, "reread"))
		*kind = HCABI_REF_FAULT_REREAD;
	else if (name_eq(kind_s, kind_n, "racy"))
		*kind = HCABI_REF_FAULT_RACY;
	else
		return false;
	*param = 0;
	if (param_s && (!parse_u64(param_s, param_n, param) || *param > UINT64_C(10000000))) {
		*param = UINT64_MAX;
		if (err)
			*err = "twice/reread/racy take an optional delay in microseconds, at most "
			       "10000000";
	}
	return true;
}

bool hcabi_ref_inject_fault_spec(struct hcabi_ref *ref, const char *spec, const char **err)
{
	const char *c1, *c2, *kind_s, *param_s = NULL;
	size_t kind_n, param_n = 0;
	enum hcabi_ref_fault_kind kind;
	uint32_t fid;
	uint64_t param = 0;

	if (err)
		*err = NULL;
	if (!spec || !(c1 = strchr(spec, ':'))) {
		if (err)
			*err = "expected FUNC:KIND[:PARAM]";
		return false;
	}
	if (!parse_function(spec, (size_t)(c1 - spec), &fid)) {
		if (err)
			*err = "unknown function (a name like BASE.GET_SPEC_VERSION, or a function "
			       "ID)";
		return false;
	}
	kind_s = c1 + 1;
	c2 = strchr(kind_s, ':');
	kind_n = c2 ? (size_t)(c2 - kind_s) : strlen(kind_s);
	if (c2) {
		param_s = c2 + 1;
		param_n = strlen(param_s);
	}
	if (name_eq(kind_s, kind_n, "status")) {
		kind = HCABI_REF_FAULT_STATUS;
		if (!param_s || !parse_status(param_s, param_n, &param)) {
			if (err)
				*err = "status needs a status name or a signed integer";
			return false;
		}
	} else if (name_eq(kind_s, kind_n, "value")) {
		kind = HCABI_REF_FAULT_VALUE;
		if (!param_s) {
			param = 1;
		} else if (!parse_u64(param_s, param_n, &param) || param == 0) {
			if (err)
				*err = "value needs a non-zero integer mask";
			return false;
		}
	} else if (name_eq(kind_s, kind_n, "clobber")) {
		kind = HCABI_REF_FAULT_CLOBBER;
		bool found = false;
		for (unsigned i = 0; param_s && i < sizeof(gpr_names) / sizeof(gpr_names[0]); i++) {
			if (name_eq(param_s, param_n, gpr_names[i])) {
				param = i;
				found = true;
			}
		}
		if (!found && (!param_s || !parse_u64(param_s, param_n, &param) ||
			       param > HCABI_REF_GPR_R15)) {
			if (err)
				*err =
				    "clobber needs a register (rcx, r11, ...) or its number 0..15";
			return false;
		}
	} else if (name_eq(kind_s, kind_n, "drop") || name_eq(kind_s, kind_n, "reverse") ||
		   name_eq(kind_s, kind_n, "eager")) {
		/* CONSOLE data paths; which function each applies to is
		 * checked so that a typo does not silently do nothing */
		bool drop = name_eq(kind_s, kind_n, "drop");
		bool reverse = name_eq(kind_s, kind_n, "reverse");
		kind = drop ? HCABI_REF_FAULT_CONSOLE_DROP
			    : reverse ? HCABI_REF_FAULT_CONSOLE_REVERSE : HCABI_REF_FAULT_CONSOLE_EAGER;
		if (param_s) {
			if (err)
				*err = "drop, reverse and eager take no parameter";
			return false;
		}
		if ((drop && fid != HCABI_FID_CONSOLE_WRITE && fid != HCABI_FID_CONSOLE_WRITE_BYTE) ||
		    (reverse && fid != HCABI_FID_CONSOLE_WRITE) ||
		    (!drop && !reverse && fid != HCABI_FID_CONSOLE_READ)) {
			if (err)
				*err = "drop is for CONSOLE.WRITE and CONSOLE.WRITE_BYTE, reverse for "
				       "CONSOLE.WRITE, eager for CONSOLE.READ";
			return false;
		}
	} else if (name_eq(kind_s, kind_n, "other")) {
		/* the 1.2 decisions a fault can show; each handler (and, for
		 * BATCH, the dispatcher) asks for it */
		kind = HCABI_REF_FAULT_OTHER_READING;
		if (param_s) {
			if (err)
				*err = "other takes no parameter";
			return false;
		}
		if (fid != HCABI_FID_IPI_SEND && fid != HCABI_FID_TLB_FLUSH &&
		    fid != HCABI_FID_CONSOLE_READ && fid != HCABI_FID_VCPU_START &&
		    fid != HCABI_FID_MEM_GET_LAYOUT && fid != HCABI_FID_BATCH_EXECUTE) {
			if (err)
				*err = "other is for IPI.SEND, TLB.FLUSH, CONSOLE.READ, VCPU.START, "
				       "MEM.GET_LAYOUT and BATCH.EXECUTE";
			return false;
		}
	} else if (name_eq(kind_s, kind_n, "none")) {
		kind = HCABI_REF_FAULT_NONE;
		if (param_s) {
			if (err)
				*err = "none takes no parameter";
			return false;
		}
	} else if (parse_behaviour(kind_s, kind_n, param_s, param_n, &kind, &param, err)) {
		if (param == UINT64_MAX)
			return false;
	} else {
		if (err)
			*err = "unknown kind (status, value, clobber, none, twice, reread, racy, drop, reverse, eager or other)";
		return false;
	}
	if (hcabi_ref_inject_fault(ref, fid, kind, param) != 0) {
		if (err)
			*err = "fault table full";
		return false;
	}
	return true;
}
