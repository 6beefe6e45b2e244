/* SPDX-License-Identifier: MIT */
/*
 * kvm_host.c - the Linux KVM plumbing every backend shares (kvm_host.h):
 * what is the same on every architecture of the capability check, the VM,
 * its RAM and vCPUs, the kick, ONE_REG, and the exits that read the same
 * everywhere (faults, host errors, the platform's system events).
 *
 * The kick: a vCPU thread blocked in KVM_RUN is interrupted by a signal
 * (no SA_RESTART, so KVM_RUN returns -EINTR), and the handler also sets
 * the thread's kvm_run immediate_exit, so that a kick that comes just before
 * KVM_RUN is not lost: KVM then returns at once.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm_host.h"
#include "refvmm.h"

#define KICK_SIGNAL SIGUSR1

int hcabi__kvm_ioctl(int fd, unsigned long req, void *arg)
{
	int r;
	do {
		r = ioctl(fd, req, arg);
	} while (r < 0 && errno == EINTR);
	return r;
}

/* /dev/kvm; -1 + err (saying how to run refvmm nested when there is none) */
static int kvm_open(char *err, size_t errlen)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return hcabi__fail(err, errlen,
					   "no /dev/kvm: KVM is not available on this host (run refvmm "
					   "nested with %s)",
					   HCABI__KVM_NESTED_HINT);
		return hcabi__fail(err, errlen, "cannot open /dev/kvm: %s", strerror(errno));
	}
	return fd;
}

/* ---- capabilities ---------------------------------------------------------- */
int hcabi__kvm_probe(const struct hcabi__kvm_cap *need, size_t n, char *err, size_t errlen)
{
	int fd = kvm_open(err, errlen);
	int r;

	if (fd < 0)
		return -1;
	r = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (r != KVM_API_VERSION) {
		close(fd);
		return hcabi__fail(err, errlen, "unsupported KVM API version %d", r);
	}
	for (size_t i = 0; i < n; i++) {
		if (ioctl(fd, KVM_CHECK_EXTENSION, need[i].cap) <= 0) {
			close(fd);
			return hcabi__fail(err, errlen, "KVM lacks %s", need[i].name);
		}
	}
	return fd;
}

uint32_t hcabi__kvm_max_vcpus(int kvm_fd)
{
	int r = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	if (r <= 0)
		r = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	if (r <= 0)
		r = 4;
	return (uint32_t)r;
}

/* ---- the VM and its RAM ------------------------------------------------------ */
int hcabi__kvm_vm_open(struct hcabi__vm *vm, char *err, size_t errlen)
{
	static const struct hcabi__kvm_own_vm own_init = HCABI__KVM_OWN_VM_INIT;
	struct hcabi__arch_vm *a = calloc(1, sizeof(*a));
	int r;

	if (!a)
		return hcabi__fail(err, errlen, "out of memory");
	a->kvm_fd = a->vm_fd = -1;
	a->own = own_init;
	vm->arch = a;
	a->kvm_fd = kvm_open(err, errlen);
	if (a->kvm_fd < 0)
		return -1;
	a->vm_fd = hcabi__kvm_ioctl(a->kvm_fd, KVM_CREATE_VM, NULL);
	if (a->vm_fd < 0)
		return hcabi__fail(err, errlen, "KVM_CREATE_VM: %s", strerror(errno));
	r = ioctl(a->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (r <= 0)
		return hcabi__fail(err, errlen, "KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
	a->run_size = (size_t)r;
	return 0;
}

int hcabi__kvm_ram_map(struct hcabi__vm *vm, char *err, size_t errlen)
{
	struct kvm_userspace_memory_region mr;

	vm->ram_base = HCABI__ARCH_RAM_BASE;
	vm->ram_size = vm->opts->mem_size;
	vm->ram = mmap(NULL, vm->ram_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->ram == MAP_FAILED) {
		vm->ram = NULL;
		return hcabi__fail(err, errlen, "cannot map %llu bytes of guest RAM: %s",
				   (unsigned long long)vm->ram_size, strerror(errno));
	}
	memset(&mr, 0, sizeof(mr));
	mr.slot = 0;
	mr.guest_phys_addr = vm->ram_base;
	mr.memory_size = vm->ram_size;
	mr.userspace_addr = (uint64_t)(uintptr_t)vm->ram;
	if (hcabi__kvm_ioctl(vm->arch->vm_fd, KVM_SET_USER_MEMORY_REGION, &mr) < 0)
		return hcabi__fail(err, errlen, "KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
	return 0;
}

void hcabi__kvm_vm_close(struct hcabi__vm *vm)
{
	struct hcabi__arch_vm *a = vm->arch;

	for (uint32_t i = 0; vm->vcpus && i < vm->nvcpus; i++) {
		struct hcabi__arch_vcpu *c = vm->vcpus[i].arch;
		if (!c)
			continue;
		if (c->run)
			munmap(c->run, a->run_size);
		if (c->fd >= 0)
			close(c->fd);
		free(c);
		vm->vcpus[i].arch = NULL;
	}
	if (a) {
		if (a->vm_fd >= 0)
			close(a->vm_fd);
		if (a->kvm_fd >= 0)
			close(a->kvm_fd);
		free(a);
		vm->arch = NULL;
	}
	if (vm->ram)
		munmap(vm->ram, vm->ram_size);
	vm->ram = NULL;
}

/* ---- vCPUs and the kick ------------------------------------------------------ */
static __thread struct kvm_run *volatile tls_run;

static void kick_handler(int sig)
{
	struct kvm_run *r = tls_run;
	(void)sig;
	if (r)
		r->immediate_exit = 1;
}

static void install_kick_handler(void)
{
	static bool done;
	struct sigaction sa;
	if (done)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick_handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: KVM_RUN must return -EINTR */
	sigaction(KICK_SIGNAL, &sa, NULL);
	done = true;
}

int hcabi__kvm_vcpu_open(struct hcabi__vcpu *v, char *err, size_t errlen)
{
	struct hcabi__arch_vm *a = v->vm->arch;
	struct hcabi__arch_vcpu *c = calloc(1, sizeof(*c));
	uint32_t i = v->index;
	void *page;

	if (!c)
		return hcabi__fail(err, errlen, "out of memory");
	c->fd = -1;
	v->arch = c;
	install_kick_handler();
	c->fd = hcabi__kvm_ioctl(a->vm_fd, KVM_CREATE_VCPU, (void *)(uintptr_t)i);
	if (c->fd < 0)
		return hcabi__fail(err, errlen, "KVM_CREATE_VCPU %u: %s", i, strerror(errno));
	page = mmap(NULL, a->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
	if (page == MAP_FAILED)
		return hcabi__fail(err, errlen, "mmap of vcpu %u: %s", i, strerror(errno));
	c->run = page;
	return 0;
}

/* arch.h's thread_enter and thread_leave: while the calling thread runs v,
 * a kick's signal sets v's immediate_exit. */
void hcabi__arch_thread_enter(struct hcabi__vcpu *v)
{
	tls_run = v->arch->run;
}

void hcabi__arch_thread_leave(struct hcabi__vcpu *v)
{
	(void)v;
	tls_run = NULL;
}

void hcabi__arch_vcpu_kick(struct hcabi__vcpu *v)
{
	pthread_kill(v->thread, KICK_SIGNAL);
}

void hcabi__kvm_exit_what(const struct kvm_run *run, char *what, size_t n)
{
	switch (run->exit_reason) {
	case KVM_EXIT_INTERNAL_ERROR:
		snprintf(what, n, "KVM internal error (suberror %u)", run->internal.suberror);
		return;
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(what, n, "VM entry failed (hardware reason 0x%llx)",
			 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		return;
	case KVM_EXIT_SYSTEM_EVENT:
		snprintf(what, n, "unhandled system event %u", run->system_event.type);
		return;
	default:
		snprintf(what, n, "unhandled KVM exit reason %u", run->exit_reason);
		return;
	}
}

int hcabi__kvm_get_one_reg(struct hcabi__vcpu *v, uint64_t id, uint64_t *val)
{
	struct kvm_one_reg r = {.id = id, .addr = (uint64_t)(uintptr_t)val};
	return hcabi__kvm_ioctl(v->arch->fd, KVM_GET_ONE_REG, &r);
}

int hcabi__kvm_set_one_reg(struct hcabi__vcpu *v, uint64_t id, uint64_t val)
{
	struct kvm_one_reg r = {.id = id, .addr = (uint64_t)(uintptr_t)&val};
	return hcabi__kvm_ioctl(v->arch->fd, KVM_SET_ONE_REG, &r);
}

void hcabi__kvm_fault(struct hcabi__vcpu *v, struct hcabi__exit *ex, const char *what,
		      uint64_t pc)
{
	ex->event = HCABI__EV_FAULT;
	if (pc == UINT64_MAX)
		snprintf(ex->what, sizeof(ex->what), "%s on vcpu %u (pc unknown)", what, v->index);
	else
		snprintf(ex->what, sizeof(ex->what), "%s on vcpu %u at pc=0x%llx", what, v->index,
			 (unsigned long long)pc);
}

void hcabi__kvm_host_error(struct hcabi__vcpu *v, struct hcabi__exit *ex, const char *what)
{
	ex->event = HCABI__EV_HOST_ERROR;
	snprintf(ex->what, sizeof(ex->what), "%s on vcpu %u: %s", what, v->index, strerror(errno));
}

bool hcabi__kvm_system_event(struct hcabi__vcpu *v, struct hcabi__exit *ex, const char *off,
			     const char *reset)
{
	struct hcabi__end *e = &ex->end;

	memset(e, 0, sizeof(*e));
	e->ended = true;
	switch (v->arch->run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		e->status = HCABI__EXIT_SHUTDOWN;
		snprintf(e->msg, sizeof(e->msg), "%s from vcpu %u", off, v->index);
		break;
	case KVM_SYSTEM_EVENT_RESET:
		e->reboot = !v->vm->opts->no_reboot;
		e->status = e->reboot ? -1 : HCABI__EXIT_REBOOT;
		snprintf(e->msg, sizeof(e->msg), "%s from vcpu %u%s", reset, v->index,
			 e->reboot ? "" : " (--no-reboot)");
		break;
	default:
		return false;
	}
	ex->event = HCABI__EV_END;
	return true;
}
