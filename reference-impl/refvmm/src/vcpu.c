/* SPDX-License-Identifier: MIT */
/*
 * vcpu.c - one thread per vCPU: it waits while its vCPU is stopped, runs
 * guest code through the backend otherwise, and acts on what the backend
 * decodes (arch.h): device accesses, hypercalls (handed to the core, the
 * answer back to the backend), faults.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "arch.h"
#include "refvmm.h"

/* Let the vCPUs that this one started run (see hcabi__vcpu.gate). */
static void open_gates(struct hcabi__vcpu *v)
{
	struct hcabi__vm *vm = v->vm;
	pthread_mutex_lock(&vm->lock);
	for (uint32_t i = 0; i < vm->nvcpus; i++) {
		struct hcabi__vcpu *t = &vm->vcpus[i];
		if (t->gate == v->index + 1) {
			t->gate = 0;
			pthread_cond_broadcast(&t->cv);
		}
	}
	v->opens_gates = false;
	pthread_mutex_unlock(&vm->lock);
}

enum { HC_CONTINUE, HC_STOPPED, HC_END };

static int handle_hcall(struct hcabi__vcpu *v, const struct hcabi_ref_call *call)
{
	struct hcabi__vm *vm = v->vm;
	struct hcabi_ref_ret ret;
	char err[200];

	memset(&ret, 0, sizeof(ret));
	hcabi_ref_dispatch(vm->ref, v->index, call, &ret);
	if (v->opens_gates)
		open_gates(v);

	switch (ret.action) {
	case HCABI_REF_ACTION_RESUME:
	case HCABI_REF_ACTION_RAISE_UD:
	case HCABI_REF_ACTION_STOP_VCPU:
		if (hcabi__arch_hcall_return(v, &ret, err, sizeof(err)) < 0) {
			hcabi__vm_end(vm, HCABI__EXIT_HOST, false, "error: %s", err);
			return HC_END;
		}
		if (ret.action != HCABI_REF_ACTION_STOP_VCPU)
			return HC_CONTINUE;
		pthread_mutex_lock(&vm->lock);
		v->state = HCABI__VCPU_STOPPED;
		v->kick_pending = false;
		v->wake_pending = false;
		hcabi__notify_all_locked(vm);
		pthread_mutex_unlock(&vm->lock);
		return HC_STOPPED;

	case HCABI_REF_ACTION_SHUTDOWN:
		hcabi__serial_flush();
		hcabi__vm_end(vm, HCABI__EXIT_SHUTDOWN, false, "shutdown code=%llu",
			      (unsigned long long)ret.action_arg);
		return HC_END;

	case HCABI_REF_ACTION_REBOOT:
		hcabi__serial_flush();
		if (vm->opts->no_reboot)
			hcabi__vm_end(vm, HCABI__EXIT_REBOOT, false,
				      "reboot requested by the guest (--no-reboot)");
		else
			hcabi__vm_end(vm, -1, true, "reboot requested by the guest");
		return HC_END;

	case HCABI_REF_ACTION_CRASH:
		hcabi__serial_flush();
		hcabi__vm_end(vm, HCABI__EXIT_CRASH, false, "crash code=%llu",
			      (unsigned long long)ret.action_arg);
		return HC_END;
	}
	hcabi__vm_end(vm, HCABI__EXIT_HOST, false, "error: the core returned unknown action %d",
		      (int)ret.action);
	return HC_END;
}

/* Serve TLB flush requests and --timeout-nmi's look; false when the VM is
 * ending. */
static bool service_requests(struct hcabi__vcpu *v)
{
	struct hcabi__vm *vm = v->vm;
	bool ok, nmi;

	pthread_mutex_lock(&vm->lock);
	hcabi__serve_flushes_locked(v);
	while (vm->held && !vm->ending) /* hcabi__vm_hold */
		pthread_cond_wait(&v->cv, &vm->lock);
	nmi = v->nmi_req;
	v->nmi_req = false;
	ok = !vm->ending;
	pthread_mutex_unlock(&vm->lock);
	if (ok && nmi)
		hcabi__arch_vcpu_nmi_if_masked(v);
	return ok;
}

/* Act on what a run of guest code ended with; false when the vCPU stopped
 * or the VM ends. */
static bool handle_exit(struct hcabi__vcpu *v, const struct hcabi__exit *ex)
{
	struct hcabi__vm *vm = v->vm;
	struct hcabi__end req;

	/* output collected without an exit goes first, whatever this exit is */
	hcabi__devices_replay(vm);
	switch (ex->event) {
	case HCABI__EV_NONE:
		break;
	case HCABI__EV_IO:
		hcabi__device_io(&ex->io, &req);
		if (req.ended) {
			hcabi__serial_flush();
			hcabi__vm_end(vm, req.status, req.reboot, "%s", req.msg);
		}
		break;
	case HCABI__EV_HCALL: {
		int r = handle_hcall(v, &ex->call);
		if (r == HC_STOPPED || r == HC_END)
			return false;
		break;
	}
	case HCABI__EV_FAULT:
		hcabi__serial_flush();
		hcabi__vm_end(vm, HCABI__EXIT_GUEST_FAULT, false, "guest fault: %s", ex->what);
		return false;
	case HCABI__EV_HOST_ERROR:
		hcabi__vm_end(vm, HCABI__EXIT_HOST, false, "error: %s", ex->what);
		return false;
	case HCABI__EV_END:
		hcabi__serial_flush();
		hcabi__vm_end(vm, ex->end.status, ex->end.reboot, "%s", ex->end.msg);
		return false;
	}
	return !vm->ending;
}

/* Run guest code until the vCPU stops or the VM ends, after acting on
 * `first` (not NULL: the exit that ended its wait in the power-on start
 * state). */
static void run_loop(struct hcabi__vcpu *v, const struct hcabi__exit *first)
{
	struct hcabi__exit ex;

	if (first && !handle_exit(v, first))
		return;
	for (;;) {
		if (!service_requests(v))
			return;
		hcabi__arch_vcpu_run(v, &ex);
		if (!handle_exit(v, &ex))
			return;
	}
}

/* HCABI__ARCH_HW_VCPU_START: wait in the architecture's power-on start
 * state, inside the backend's run (x86: KVM holds the vCPU in
 * wait-for-SIPI until another vCPU's local APIC sends INIT and SIPI). true
 * when that started it: *first is its first exit. A kick (VCPU.START, a
 * flush request, the end of the VM) returns false. vm->lock held, dropped
 * meanwhile. */
static bool hw_start_wait(struct hcabi__vcpu *v, struct hcabi__exit *first)
{
	struct hcabi__vm *vm = v->vm;

	v->in_hw_wait = true;
	pthread_mutex_unlock(&vm->lock);
	hcabi__arch_vcpu_run(v, first);
	pthread_mutex_lock(&vm->lock);
	v->in_hw_wait = false;
	hcabi__notify_all_locked(vm);
	/* VCPU.START took it out of the wait meanwhile (hw_wait false): START
	 * wins, this exit is dropped */
	if (!v->hw_wait || vm->ending)
		return false;
	/* a kick can end the run of a vCPU that SIPI started before its first
	 * exit: ask KVM */
	if (first->event == HCABI__EV_NONE) {
		bool started;
		pthread_mutex_unlock(&vm->lock);
		started = hcabi__arch_vcpu_hw_started(v);
		pthread_mutex_lock(&vm->lock);
		if (!started || !v->hw_wait || vm->ending)
			return false;
	}
	v->hw_wait = false;
	v->state = HCABI__VCPU_RUNNING;
	return true;
}

void *hcabi__vcpu_thread(void *arg)
{
	struct hcabi__vcpu *v = arg;
	struct hcabi__vm *vm = v->vm;

	hcabi__set_current_vcpu(v);
	hcabi__arch_thread_enter(v);
	pthread_mutex_lock(&vm->lock);
	v->tid = (pid_t)syscall(SYS_gettid);
	for (;;) {
		struct hcabi__exit first;
		bool hw_started = false;

		while ((v->state == HCABI__VCPU_STOPPED || v->gate) && !vm->ending) {
			/* Nothing cached yet (a start flushes): ack at once. */
			if (v->flush_req != v->flush_ack) {
				v->flush_ack = v->flush_req;
				hcabi__notify_all_locked(vm);
			}
			if (v->state == HCABI__VCPU_STOPPED && v->hw_wait && !v->gate) {
				hw_started = hw_start_wait(v, &first);
				continue;
			}
			pthread_cond_wait(&v->cv, &vm->lock);
		}
		if (vm->ending)
			break;
		pthread_mutex_unlock(&vm->lock);
		if (hw_started) /* the core learns it runs before its first call */
			hcabi_ref_set_vcpu_running(vm->ref, v->index, true);
		run_loop(v, hw_started ? &first : NULL);
		pthread_mutex_lock(&vm->lock);
	}
	v->exited = true;
	pthread_cond_broadcast(&vm->main_cv);
	pthread_mutex_unlock(&vm->lock);
	hcabi__arch_thread_leave(v);
	return NULL;
}
