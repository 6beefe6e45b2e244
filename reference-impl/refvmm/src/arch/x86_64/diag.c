/* SPDX-License-Identifier: MIT */
/*
 * diag.c - what refvmm says about a vCPU that faulted (docs/refvmm.md,
 * "Diagnosing a guest fault").
 *
 * On AMD, KVM INITs a vCPU on a shutdown intercept, so after a triple fault
 * its registers are gone. What is left to explain the fault: the boot state
 * the vCPU was last started with (VCPU.START), what that state's page tables
 * say *now* about the addresses the first instructions touch (a software
 * walk of guest RAM: RIP, RSP, GDT, IDT), and the vCPU's last exits. All of
 * this is recorded at no cost (a few stores per exit) and printed only when a
 * guest fault ends the VM.
 *
 * HCABI_REFVMM_DIAG (environment) adds what costs something:
 *   rip       read RIP at every exit for the exit history (one more ioctl);
 *   trace=N   single-step the first N instructions of every vCPU that
 *             VCPU.START starts (KVM_SET_GUEST_DEBUG), recording each RIP;
 *             the guest sees RFLAGS.TF while it is stepped;
 *   stack=N   when the VM ends on --timeout or a signal, also print the N
 *             quadwords at each vCPU's RSP (through its page tables), where a
 *             guest kernel's return addresses say how it came to be there;
 *   nocoalesce  every COM1 THR write exits, as on a KVM without coalesced
 *             port I/O (coalesce.c): to compare, or to rule it out;
 * e.g. HCABI_REFVMM_DIAG=rip,trace=64,stack=64.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "diag.h"

#define RING 16u
#define TRACE_MAX 256u
#define STACK_MAX 512u
#define RFLAGS_IF (1ull << 9)

struct diag_exit {
	uint32_t reason;
	uint64_t rip;  /* UINT64_MAX: not read */
	uint64_t info; /* io: port; xen: RAX (function id) */
};

struct diag_vcpu {
	bool started; /* by VCPU.START (not the boot vCPU's PVH entry) */
	struct hcabi_vcpu_boot_state bs;
	uint64_t starts;
	uint64_t exits_since_start;
	struct diag_exit ring[RING];
	uint32_t ring_next;
	uint32_t trace_left;
	uint32_t trace_len;
	uint64_t trace[TRACE_MAX];
};

static struct diag_vcpu diag[HCABI__MAX_VCPUS];
static bool want_rip;
static bool no_coalesce;
static uint32_t want_trace;
static uint32_t want_stack;

void hcabi__diag_init(void)
{
	const char *env = getenv("HCABI_REFVMM_DIAG");
	char buf[128], *save = NULL, *tok;

	memset(diag, 0, sizeof(diag));
	if (!env || !*env)
		return;
	snprintf(buf, sizeof(buf), "%s", env);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "rip"))
			want_rip = true;
		else if (!strcmp(tok, "nocoalesce"))
			no_coalesce = true;
		else if (!strncmp(tok, "trace=", 6)) {
			unsigned long n = strtoul(tok + 6, NULL, 0);
			want_trace = n > TRACE_MAX ? TRACE_MAX : (uint32_t)n;
		} else if (!strncmp(tok, "stack=", 6)) {
			unsigned long n = strtoul(tok + 6, NULL, 0);
			want_stack = n > STACK_MAX ? STACK_MAX : (uint32_t)n;
		} else
			hcabi__log("warning: HCABI_REFVMM_DIAG: unknown item '%s' "
				   "(rip, trace=N, stack=N, nocoalesce)", tok);
	}
}

bool hcabi__diag_no_coalesce(void)
{
	return no_coalesce;
}

static struct diag_vcpu *of(const struct hcabi__vcpu *v)
{
	return v->index < HCABI__MAX_VCPUS ? &diag[v->index] : NULL;
}

/* Called by the starting thread with the target parked. */
void hcabi__diag_started(struct hcabi__vcpu *v, const struct hcabi_vcpu_boot_state *bs)
{
	struct diag_vcpu *d = of(v);
	if (!d)
		return;
	d->started = true;
	d->bs = *bs;
	d->starts++;
	d->exits_since_start = 0;
	d->trace_len = 0;
	d->trace_left = want_trace;
	if (want_trace) {
		struct kvm_guest_debug dbg;
		memset(&dbg, 0, sizeof(dbg));
		dbg.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP;
		if (ioctl(v->arch->fd, KVM_SET_GUEST_DEBUG, &dbg) < 0)
			hcabi__log(
			    "warning: HCABI_REFVMM_DIAG trace: KVM_SET_GUEST_DEBUG on vcpu %u: %s",
			    v->index, strerror(errno));
	}
}

void hcabi__diag_exit(struct hcabi__vcpu *v)
{
	struct diag_vcpu *d = of(v);
	struct diag_exit *e;

	if (!d)
		return;
	e = &d->ring[d->ring_next++ % RING];
	e->reason = v->arch->run->exit_reason;
	e->rip = UINT64_MAX;
	e->info = 0;
	if (e->reason == KVM_EXIT_IO)
		e->info = v->arch->run->io.port;
	else if (e->reason == KVM_EXIT_XEN)
		e->info = v->arch->run->xen.u.hcall.input;
	if (want_rip) {
		struct kvm_regs r;
		if (ioctl(v->arch->fd, KVM_GET_REGS, &r) == 0)
			e->rip = r.rip;
	}
	d->exits_since_start++;
}

bool hcabi__diag_debug_exit(struct hcabi__vcpu *v)
{
	struct diag_vcpu *d = of(v);

	if (!d || !want_trace)
		return false;
	if (d->trace_len < TRACE_MAX)
		d->trace[d->trace_len++] = v->arch->run->debug.arch.pc;
	if (d->trace_left && --d->trace_left == 0) {
		struct kvm_guest_debug dbg;
		memset(&dbg, 0, sizeof(dbg));
		(void)ioctl(v->arch->fd, KVM_SET_GUEST_DEBUG, &dbg);
	}
	return true;
}

/* ---- the report -------------------------------------------------------------- */
static bool ram_u64(const struct hcabi__vm *vm, uint64_t gpa, uint64_t *out)
{
	if (gpa > vm->ram_size || vm->ram_size - gpa < 8 || (gpa & 7))
		return false;
	memcpy(out, vm->ram + gpa, 8);
	return true;
}

/* Walk 4-level long-mode page tables in guest RAM as they are now; writes
 * "pml4e=... pdpte=... pde=... pte=... -> gpa" into buf and, when the walk
 * ends in a page, its guest-physical address into *out. */
static bool walk(const struct hcabi__vm *vm, uint64_t cr3, uint64_t va, char *buf, size_t len,
		 uint64_t *out)
{
	static const char *const names[4] = {"pml4e", "pdpte", "pde", "pte"};
	uint64_t table = cr3 & 0x000ffffffffff000ull, e = 0;
	size_t n = 0;

	buf[0] = 0;
	for (int level = 0; level < 4; level++) {
		unsigned shift = 39 - 9 * (unsigned)level;
		uint64_t gpa = table + ((va >> shift) & 511) * 8;
		if (!ram_u64(vm, gpa, &e)) {
			snprintf(buf + n, len - n, "%s@0x%llx outside RAM", names[level],
				 (unsigned long long)gpa);
			return false;
		}
		n += (size_t)snprintf(buf + n, len - n, "%s=0x%llx ", names[level],
				      (unsigned long long)e);
		if (n >= len)
			return false;
		if (!(e & 1)) {
			snprintf(buf + n, len - n, "-> not present");
			return false;
		}
		if (level > 0 && level < 3 && (e & 0x80)) {
			uint64_t mask = (1ull << shift) - 1;
			*out = (e & 0x000ffffffffff000ull & ~mask) | (va & mask);
			snprintf(buf + n, len - n, "-> 0x%llx", (unsigned long long)*out);
			return true;
		}
		table = e & 0x000ffffffffff000ull;
	}
	*out = table | (va & 0xfff);
	snprintf(buf + n, len - n, "-> 0x%llx", (unsigned long long)*out);
	return true;
}

static const char *reason_name(uint32_t r)
{
	switch (r) {
	case KVM_EXIT_IO:
		return "io";
	case KVM_EXIT_MMIO:
		return "mmio";
	case KVM_EXIT_XEN:
		return "hcall";
	case KVM_EXIT_HLT:
		return "hlt";
	case KVM_EXIT_INTR:
		return "intr";
	case KVM_EXIT_SHUTDOWN:
		return "shutdown";
	case KVM_EXIT_DEBUG:
		return "debug";
	case KVM_EXIT_IRQ_WINDOW_OPEN:
		return "irq-window";
	case KVM_EXIT_INTERNAL_ERROR:
		return "internal-error";
	case KVM_EXIT_FAIL_ENTRY:
		return "fail-entry";
	default:
		return "other";
	}
}

/* "diag: vcpu N: last exits (oldest first): ..." */
static void log_last_exits(const struct hcabi__vcpu *v, const struct diag_vcpu *d)
{
	char line[512];
	size_t n;

	n = (size_t)snprintf(line, sizeof(line),
			     "diag: vcpu %u: last exits (oldest first):", v->index);
	for (uint32_t k = 0; k < RING && n < sizeof(line); k++) {
		uint32_t i = d->ring_next + k; /* oldest first */
		const struct diag_exit *e = &d->ring[i % RING];
		if (i < RING && d->ring_next < RING && i >= d->ring_next)
			continue; /* not written yet */
		n += (size_t)snprintf(line + n, sizeof(line) - n, " %s", reason_name(e->reason));
		if (n < sizeof(line) && (e->reason == KVM_EXIT_IO || e->reason == KVM_EXIT_XEN))
			n += (size_t)snprintf(line + n, sizeof(line) - n, "(0x%llx)",
					      (unsigned long long)e->info);
		if (n < sizeof(line) && e->rip != UINT64_MAX)
			n += (size_t)snprintf(line + n, sizeof(line) - n, "@0x%llx",
					      (unsigned long long)e->rip);
	}
	hcabi__log("%s", line);
}

void hcabi__diag_fault(struct hcabi__vcpu *v)
{
	const struct hcabi__vm *vm = v->vm;
	struct diag_vcpu *d = of(v);
	char line[512], w[256];
	size_t n;

	if (!d)
		return;
	if (d->started) {
		const struct hcabi_vcpu_boot_state *bs = &d->bs;
		static const char *const what[4] = {"rip", "rsp-8", "gdt", "idt"};
		uint64_t va[4] = {bs->rip, bs->rsp - 8, bs->gdtr_base, bs->idtr_base};

		hcabi__log("diag: vcpu %u: start %llu by VCPU.START, %llu exits since (the fault's "
			   "included): rip=0x%llx "
			   "rsp=0x%llx cr3=0x%llx arg=0x%llx gdtr=0x%llx/0x%x idtr=0x%llx/0x%x "
			   "cs=0x%x ds=0x%x",
			   v->index, (unsigned long long)d->starts,
			   (unsigned long long)d->exits_since_start, (unsigned long long)bs->rip,
			   (unsigned long long)bs->rsp, (unsigned long long)bs->cr3,
			   (unsigned long long)bs->arg, (unsigned long long)bs->gdtr_base,
			   bs->gdtr_limit, (unsigned long long)bs->idtr_base, bs->idtr_limit,
			   bs->cs, bs->ds);
		for (int i = 0; i < 4; i++) {
			uint64_t gpa;
			walk(vm, bs->cr3, va[i], w, sizeof(w), &gpa);
			hcabi__log("diag: vcpu %u: now in RAM, %s 0x%llx: %s", v->index, what[i],
				   (unsigned long long)va[i], w);
		}
	} else {
		hcabi__log("diag: vcpu %u: never started by VCPU.START", v->index);
	}
	log_last_exits(v, d);
	if (want_trace) {
		n = (size_t)snprintf(line, sizeof(line), "diag: vcpu %u: first %u steps:", v->index,
				     d->trace_len);
		for (uint32_t i = 0; i < d->trace_len && n < sizeof(line) - 24; i++)
			n += (size_t)snprintf(line + n, sizeof(line) - n, " 0x%llx",
					      (unsigned long long)d->trace[i]);
		hcabi__log("%s", line);
	}
}

/* Four quadwords a line, each line's first address given; stops at the
 * first page the walk cannot find. */
static void log_stack(const struct hcabi__vcpu *v, uint64_t rsp)
{
	struct kvm_sregs sr;
	char w[256], line[160];
	uint64_t gpa, q;

	if (hcabi__kvm_ioctl(v->arch->fd, KVM_GET_SREGS, &sr) < 0) {
		hcabi__log("diag: vcpu %u: stack unreadable: %s", v->index, strerror(errno));
		return;
	}
	for (uint32_t i = 0; i < want_stack; i += 4) {
		size_t n = (size_t)snprintf(line, sizeof(line), "diag: vcpu %u: stack 0x%llx:",
					    v->index, (unsigned long long)(rsp + 8ull * i));
		for (uint32_t k = i; k < i + 4 && k < want_stack; k++) {
			uint64_t va = rsp + 8ull * k;
			if (!walk(v->vm, sr.cr3, va, w, sizeof(w), &gpa) ||
			    !ram_u64(v->vm, gpa, &q)) {
				hcabi__log("%s (0x%llx: %s)", line, (unsigned long long)va, w);
				return;
			}
			n += (size_t)snprintf(line + n, sizeof(line) - n, " %016llx",
					      (unsigned long long)q);
		}
		hcabi__log("%s", line);
	}
}

void hcabi__arch_vcpu_nmi_if_masked(struct hcabi__vcpu *v)
{
	struct kvm_regs r;
	struct kvm_mp_state mp;

	if (hcabi__kvm_ioctl(v->arch->fd, KVM_GET_REGS, &r) < 0 ||
	    hcabi__kvm_ioctl(v->arch->fd, KVM_GET_MP_STATE, &mp) < 0) {
		hcabi__log("diag: vcpu %u: registers unreadable: %s", v->index, strerror(errno));
		return;
	}
	/* halted or waiting for SIPI: nothing spins */
	if (mp.mp_state != KVM_MP_STATE_RUNNABLE || (r.rflags & RFLAGS_IF))
		return;
	if (hcabi__kvm_ioctl(v->arch->fd, KVM_NMI, NULL) < 0) {
		hcabi__log("diag: vcpu %u: KVM_NMI: %s", v->index, strerror(errno));
		return;
	}
	hcabi__log("diag: vcpu %u runs with interrupts off at rip=0x%llx: NMI sent", v->index,
		   (unsigned long long)r.rip);
}

void hcabi__arch_vcpu_report(struct hcabi__vcpu *v)
{
	struct diag_vcpu *d = of(v);
	struct kvm_regs r;
	struct kvm_mp_state mp;

	if (!d)
		return;
	if (hcabi__kvm_ioctl(v->arch->fd, KVM_GET_REGS, &r) < 0 ||
	    hcabi__kvm_ioctl(v->arch->fd, KVM_GET_MP_STATE, &mp) < 0) {
		hcabi__log("diag: vcpu %u: registers unreadable: %s", v->index, strerror(errno));
		return;
	}
	hcabi__log("diag: vcpu %u at the end: rip=0x%llx rsp=0x%llx rflags=0x%llx mp_state=%u, "
		   "%llu exits to refvmm",
		   v->index, (unsigned long long)r.rip, (unsigned long long)r.rsp,
		   (unsigned long long)r.rflags, mp.mp_state,
		   (unsigned long long)d->exits_since_start);
	log_last_exits(v, d);
	if (want_stack)
		log_stack(v, r.rsp);
}
