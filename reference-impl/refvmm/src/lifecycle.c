/* SPDX-License-Identifier: MIT */
/*
 * lifecycle.c - a VM from creation to its end: the core it serves
 * hypercalls with, the backend's VM and vCPUs, the vCPU and timer threads,
 * and the main thread's wait for the end (a guest's request, --timeout, a
 * signal), after which every thread is stopped and joined.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arch.h"
#include "clock.h"
#include "refvmm.h"

static void init_cond(pthread_cond_t *cv)
{
	pthread_condattr_t a;
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(cv, &a);
	pthread_condattr_destroy(&a);
}

struct hcabi_ref *hcabi__core_create(struct hcabi__vm *vm, const struct hcabi__opts *opts,
				     int *status, char *err, size_t errlen)
{
	struct hcabi_ref_ram_range ram[HCABI__ARCH_MAX_RAM_RANGES];
	struct hcabi_ref_config cfg;
	struct hcabi_ref *ref;
	const char *cerr = NULL;

	*status = HCABI__EXIT_HOST;
	memset(&cfg, 0, sizeof(cfg));
	cfg.vcpu_count = opts->vcpus;
	/* the RAM the boot memory map gives the guest (MEM-011.6) */
	cfg.ram = ram;
	cfg.ram_count = hcabi__arch_ram_layout(opts->mem_size, ram);
	cfg.spec_version = opts->spec_version;
	cfg.impl_version = HCABI_REFVMM_IMPL_VERSION;
	cfg.cpuid_base = HCABI__ARCH_CPUID_BASE;
	cfg.arch = HCABI__ARCH_CORE_ARCH;
	cfg.extensions = opts->extensions;
	cfg.extension_count = opts->extension_count;
	cfg.ops = &hcabi__platform_ops;
	cfg.ctx = vm;
	ref = hcabi_ref_create(&cfg, &cerr);
	if (!ref) {
		hcabi__fail(err, errlen, "cannot create the HCABI core: %s", cerr ? cerr : "?");
		return NULL;
	}
	for (size_t i = 0; i < opts->nfaults; i++) {
		const char *ferr = NULL;
		if (!hcabi_ref_inject_fault_spec(ref, opts->faults[i], &ferr)) {
			*status = HCABI__EXIT_USAGE;
			hcabi__fail(err, errlen, "invalid --inject-fault '%s': %s", opts->faults[i],
				    ferr ? ferr : "rejected");
			hcabi_ref_destroy(ref);
			return NULL;
		}
	}
	return ref;
}

int hcabi__vm_create(struct hcabi__vm *vm, const struct hcabi__opts *opts,
		     const struct hcabi__image *image, struct hcabi_ref *ref, char *err,
		     size_t errlen)
{
	memset(vm, 0, sizeof(*vm));
	vm->opts = opts;
	vm->image = image;
	vm->ref = ref;
	pthread_mutex_init(&vm->lock, NULL);
	init_cond(&vm->main_cv);
	pthread_mutex_init(&vm->timer_lock, NULL);
	init_cond(&vm->timer_cv);

	hcabi__devices_reset();
	if (hcabi__arch_vm_create(vm, err, errlen) < 0)
		return -1;
	vm->vcpus = calloc(opts->vcpus, sizeof(*vm->vcpus));
	if (!vm->vcpus)
		return hcabi__fail(err, errlen, "out of memory");
	vm->nvcpus = opts->vcpus;
	for (uint32_t i = 0; i < vm->nvcpus; i++) {
		struct hcabi__vcpu *v = &vm->vcpus[i];
		v->vm = vm;
		v->index = i;
		init_cond(&v->cv);
		v->state = HCABI__VCPU_STOPPED;
		v->hw_wait = HCABI__ARCH_HW_VCPU_START && i != 0;
	}
	for (uint32_t i = 0; i < vm->nvcpus; i++)
		if (hcabi__arch_vcpu_create(&vm->vcpus[i], err, errlen) < 0)
			return -1;
	if (hcabi__arch_boot(vm, image, opts->cmdline, err, errlen) < 0)
		return -1;
	hcabi__devices_start(vm);
	vm->vcpus[0].state = HCABI__VCPU_RUNNING;
	return 0;
}

bool hcabi__vm_run(struct hcabi__vm *vm, uint64_t deadline_ns, struct hcabi__end *end)
{
	bool clean = true;
	uint64_t give_up;

	if (hcabi__timer_start(vm) != 0) {
		hcabi__vm_end(vm, HCABI__EXIT_HOST, false, "error: cannot start the timer thread");
	} else {
		for (uint32_t i = 0; i < vm->nvcpus; i++) {
			struct hcabi__vcpu *v = &vm->vcpus[i];
			pthread_mutex_lock(&vm->lock);
			if (pthread_create(&v->thread, NULL, hcabi__vcpu_thread, v) == 0)
				v->thread_started = true;
			pthread_mutex_unlock(&vm->lock);
			if (!v->thread_started) {
				hcabi__vm_end(vm, HCABI__EXIT_HOST, false,
					      "error: cannot create the thread of vcpu %u", i);
				break;
			}
		}
	}

	pthread_mutex_lock(&vm->lock);
	while (!vm->end.ended) {
		uint64_t now = hcabi__now_ns();
		uint64_t wake = now + 100000000ull; /* flush serial output every 100 ms */
		struct timespec ts;
		if (hcabi__stop_signal) {
			int sig = hcabi__stop_signal;
			pthread_mutex_unlock(&vm->lock);
			hcabi__vm_end(vm, 128 + sig, false, "stopped by signal %d (%s)", sig,
				      strsignal(sig));
			pthread_mutex_lock(&vm->lock);
			break;
		}
		if (deadline_ns && now >= deadline_ns && vm->opts->timeout_nmi_s > 0 &&
		    !vm->timed_out) {
			/* each running vCPU looks at itself between two runs;
			 * one that never started (stopped, or waiting for SIPI)
			 * runs no guest code and is left alone */
			vm->timed_out = true;
			for (uint32_t i = 0; i < vm->nvcpus; i++) {
				struct hcabi__vcpu *v = &vm->vcpus[i];
				if (v->thread_started && !v->exited &&
				    v->state == HCABI__VCPU_RUNNING && !v->hw_wait) {
					v->nmi_req = true;
					hcabi__vcpu_poke_locked(v);
				}
			}
			hcabi__log("--timeout %g s expired: an NMI to each vCPU that runs with "
				   "interrupts off, %g s more for the guest to say where "
				   "(--timeout-nmi)",
				   vm->opts->timeout_s, vm->opts->timeout_nmi_s);
			deadline_ns = now + (uint64_t)(vm->opts->timeout_nmi_s * 1e9);
			continue;
		}
		if (deadline_ns && now >= deadline_ns) {
			pthread_mutex_unlock(&vm->lock);
			hcabi__vm_end(vm, HCABI__EXIT_TIMEOUT, false,
				      "timeout: --timeout %g s expired", vm->opts->timeout_s);
			pthread_mutex_lock(&vm->lock);
			break;
		}
		if (deadline_ns && wake > deadline_ns)
			wake = deadline_ns;
		ts = hcabi__to_ts(wake);
		pthread_cond_timedwait(&vm->main_cv, &vm->lock, &ts);
		pthread_mutex_unlock(&vm->lock);
		hcabi__devices_replay(vm); /* a guest that wrote, then made no exit */
		hcabi__serial_flush();
		pthread_mutex_lock(&vm->lock);
	}
	*end = vm->end;

	/* Stop every vCPU thread: they see vm->ending after a kick. */
	give_up = hcabi__now_ns() + 5000000000ull;
	for (;;) {
		uint32_t running = 0;
		struct timespec ts;
		for (uint32_t i = 0; i < vm->nvcpus; i++) {
			struct hcabi__vcpu *v = &vm->vcpus[i];
			if (v->thread_started && !v->exited) {
				running++;
				hcabi__vcpu_poke_locked(v);
			}
		}
		if (!running)
			break;
		if (hcabi__now_ns() >= give_up) {
			clean = false;
			break;
		}
		ts = hcabi__to_ts(hcabi__now_ns() + 50000000ull);
		pthread_cond_timedwait(&vm->main_cv, &vm->lock, &ts);
	}
	pthread_mutex_unlock(&vm->lock);
	if (!clean)
		return false;
	for (uint32_t i = 0; i < vm->nvcpus; i++) {
		if (vm->vcpus[i].thread_started) {
			pthread_join(vm->vcpus[i].thread, NULL);
			vm->vcpus[i].thread_started = false;
		}
	}
	/* a guest that never ended: say where each vCPU was (diag.c) */
	if (!end->reboot && end->status == HCABI__EXIT_TIMEOUT)
		for (uint32_t i = 0; i < vm->nvcpus; i++)
			hcabi__arch_vcpu_report(&vm->vcpus[i]);
	hcabi__timer_stop(vm);
	hcabi__devices_replay(vm); /* before the last line refvmm prints */
	hcabi__serial_flush();
	return true;
}

void hcabi__vm_destroy(struct hcabi__vm *vm)
{
	hcabi__arch_vm_destroy(vm);
	if (vm->vcpus) {
		for (uint32_t i = 0; i < vm->nvcpus; i++)
			pthread_cond_destroy(&vm->vcpus[i].cv);
		free(vm->vcpus);
	}
	pthread_mutex_destroy(&vm->lock);
	pthread_cond_destroy(&vm->main_cv);
	pthread_mutex_destroy(&vm->timer_lock);
	pthread_cond_destroy(&vm->timer_cv);
	memset(vm, 0, sizeof(*vm));
}
