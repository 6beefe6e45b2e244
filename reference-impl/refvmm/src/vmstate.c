/* SPDX-License-Identifier: MIT */
/*
 * vmstate.c - the scheduling state that the vCPU threads, the timer thread,
 * the core's callbacks and the main thread share under vm->lock: the end of
 * the VM, kicks and wake-ups, TLB-flush requests, interrupt injection.
 *
 * A TLB flush of another vCPU is a request: the caller raises flush_req and
 * kicks the target, whose thread flushes its own TLB between two runs of
 * guest code and acknowledges (flush_ack). A thread that waits for anything
 * meanwhile serves the requests aimed at itself, so that two vCPUs flushing
 * each other cannot deadlock; hcabi__serve_flushes_locked is that loop.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "arch.h"
#include "refvmm.h"

static __thread struct hcabi__vcpu *tls_vcpu;

struct hcabi__vcpu *hcabi__current_vcpu(void)
{
	return tls_vcpu;
}

void hcabi__set_current_vcpu(struct hcabi__vcpu *v)
{
	tls_vcpu = v;
}

void hcabi__notify_all_locked(struct hcabi__vm *vm)
{
	for (uint32_t i = 0; i < vm->nvcpus; i++)
		pthread_cond_broadcast(&vm->vcpus[i].cv);
	pthread_cond_broadcast(&vm->main_cv);
}

void hcabi__vm_hold(struct hcabi__vm *vm)
{
	struct hcabi__vcpu *self = hcabi__current_vcpu();

	pthread_mutex_lock(&vm->lock);
	while (vm->held && !vm->ending)
		pthread_cond_wait(self ? &self->cv : &vm->main_cv, &vm->lock);
	vm->held = true;
	for (uint32_t i = 0; i < vm->nvcpus; i++)
		if (&vm->vcpus[i] != self)
			hcabi__vcpu_poke_locked(&vm->vcpus[i]);
	pthread_mutex_unlock(&vm->lock);
}

void hcabi__vm_release(struct hcabi__vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	vm->held = false;
	hcabi__notify_all_locked(vm);
	pthread_mutex_unlock(&vm->lock);
}

void hcabi__vcpu_poke_locked(struct hcabi__vcpu *v)
{
	if (v->thread_started && !v->exited)
		hcabi__arch_vcpu_kick(v);
	pthread_cond_broadcast(&v->cv);
}

void hcabi__vm_end(struct hcabi__vm *vm, int status, bool reboot, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&vm->lock);
	if (!vm->end.ended) {
		vm->end.ended = true;
		vm->end.reboot = reboot;
		vm->end.status = status;
		va_start(ap, fmt);
		vsnprintf(vm->end.msg, sizeof(vm->end.msg), fmt, ap);
		va_end(ap);
		if (vm->timed_out && status != HCABI__EXIT_TIMEOUT) {
			/* the guest's own end after the NMI: said, but the run
			 * timed out (the exit status says so) */
			hcabi__log("after --timeout: %s", vm->end.msg);
			vm->end.reboot = false;
			vm->end.status = HCABI__EXIT_TIMEOUT;
			snprintf(vm->end.msg, sizeof(vm->end.msg),
				 "timeout: --timeout %g s expired", vm->opts->timeout_s);
		}
		vm->ending = 1;
		for (uint32_t i = 0; i < vm->nvcpus; i++)
			hcabi__vcpu_poke_locked(&vm->vcpus[i]);
		hcabi__notify_all_locked(vm);
	}
	pthread_mutex_unlock(&vm->lock);
}

void hcabi__serve_flushes_locked(struct hcabi__vcpu *self)
{
	struct hcabi__vm *vm;

	if (!self)
		return;
	vm = self->vm;
	while (!vm->ending && self->flush_req != self->flush_ack) {
		uint64_t seq = self->flush_req;
		pthread_mutex_unlock(&vm->lock);
		if (hcabi__arch_vcpu_flush_tlb(self) < 0)
			hcabi__log("warning: TLB flush of vcpu %u failed: %s", self->index,
				   strerror(errno));
		pthread_mutex_lock(&vm->lock);
		self->flush_ack = seq;
		hcabi__notify_all_locked(vm);
	}
}

int hcabi__inject_irq(struct hcabi__vm *vm, uint32_t index, uint8_t vector)
{
	struct hcabi__vcpu *t;
	int r;

	if (index >= vm->nvcpus)
		return HCABI_REF_PERR_STATE;
	t = &vm->vcpus[index];
	r = hcabi__arch_inject_irq(vm, index, vector);
	if (r != HCABI_REF_POK)
		return r;
	/* Set after the interrupt controller holds the vector, so a BLOCK
	 * that saw the vector there and ended has cleared `blocking` (or
	 * clears wake_pending as it leaves): the wake is never left behind
	 * for a later BLOCK to find (platform.c). */
	pthread_mutex_lock(&vm->lock);
	if (t->blocking) {
		t->wake_pending = true;
		pthread_cond_broadcast(&t->cv);
	}
	pthread_mutex_unlock(&vm->lock);
	return HCABI_REF_POK;
}
