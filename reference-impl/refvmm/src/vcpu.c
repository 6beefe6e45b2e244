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

/* Serve TLB flush requests; false when the VM is ending. */
static bool service_requests(struct hcabi__vcpu *v)
{
	struct hcabi__vm *vm = v->vm;
	bool ok;

	pthread_mutex_lock(&vm->lock);
	hcabi__serve_flushes_locked(v);
	ok = !vm->ending;
	pthread_mutex_unlock(&vm->lock);
	return ok;
}

/* Run guest code until the vCPU stops or the VM ends. */
static void run_loop(struct hcabi__vcpu *v)
{
	struct hcabi__vm *vm = v->vm;
	struct hcabi__exit ex;
	struct hcabi__end req;

	for (;;) {
		if (!service_requests(v))
			return;
		hcabi__arch_vcpu_run(v, &ex);
		switch (ex.event) {
		case HCABI__EV_NONE:
			break;
		case HCABI__EV_IO:
			hcabi__device_io(&ex.io, &req);
			if (req.ended) {
				hcabi__serial_flush();
				hcabi__vm_end(vm, req.status, req.reboot, "%s", req.msg);
			}
			break;
		case HCABI__EV_HCALL: {
			int r = handle_hcall(v, &ex.call);
			if (r == HC_STOPPED || r == HC_END)
				return;
			break;
		}
		case HCABI__EV_FAULT:
			hcabi__serial_flush();
			hcabi__vm_end(vm, HCABI__EXIT_GUEST_FAULT, false, "guest fault: %s",
				      ex.what);
			return;
		case HCABI__EV_HOST_ERROR:
			hcabi__vm_end(vm, HCABI__EXIT_HOST, false, "error: %s", ex.what);
			return;
		case HCABI__EV_END:
			hcabi__serial_flush();
			hcabi__vm_end(vm, ex.end.status, ex.end.reboot, "%s", ex.end.msg);
			return;
		}
		if (vm->ending)
			return;
	}
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
		while ((v->state == HCABI__VCPU_STOPPED || v->gate) && !vm->ending) {
			/* Nothing cached yet (a start flushes): ack at once. */
			if (v->flush_req != v->flush_ack) {
				v->flush_ack = v->flush_req;
				hcabi__notify_all_locked(vm);
			}
			pthread_cond_wait(&v->cv, &vm->lock);
		}
		if (vm->ending)
			break;
		pthread_mutex_unlock(&vm->lock);
		run_loop(v);
		pthread_mutex_lock(&vm->lock);
	}
	v->exited = true;
	pthread_cond_broadcast(&vm->main_cv);
	pthread_mutex_unlock(&vm->lock);
	hcabi__arch_thread_leave(v);
	return NULL;
}
