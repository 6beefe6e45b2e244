/*
 * nested-probe-kvm.h: the KVM steps that the nested probes share, around
 * their architecture's own checks: the last line (arm64, riscv64), /dev/kvm
 * and a VM, a vCPU 0 with a little guest code in one memory slot, KVM_RUN,
 * and the holder's wait for its signal.  Included by each probe's single source
 * file after <linux/kvm.h>, so everything here is static inline.
 */
#ifndef HCABI__NESTED_PROBE_KVM_H
#define HCABI__NESTED_PROBE_KVM_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "nested-probe-report.h"

/* "nested-probe: result=ok" (0), or "result=fail: WHY (first failed KEY)" (1). */
static inline int probe_finish(const char *why)
{
	if (!first_failure) {
		printf("nested-probe: result=ok\n");
		return 0;
	}
	printf("nested-probe: result=fail: %s (%s)\n", why ? why : "the first failed check", first_failure);
	return 1;
}

/* /dev/kvm in *kvm, its API version (12) and a VM, one line each (an
 * "open" line only when /dev/kvm cannot be opened); the VM, or -1. */
static inline int probe_vm(int *kvm)
{
	*kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (*kvm < 0) {
		report("open", 0, "fail(/dev/kvm: %s)", strerror(errno));
		return -1;
	}
	int api = ioctl(*kvm, KVM_GET_API_VERSION, 0);
	report("api_version", api == 12, "%d", api);
	int vm;
	do {
		vm = ioctl(*kvm, KVM_CREATE_VM, 0);
	} while (vm < 0 && errno == EINTR);
	if (vm < 0)
		report("create_vm", 0, "fail(%s)", strerror(errno));
	else
		report("create_vm", 1, "ok");
	return vm;
}

/* vCPU 0 of `vm`, whose slot 0 holds `code` at guest address `base`
 * (`mem` bytes of anonymous memory); its fd, or -1 after reporting `key`. */
static inline int probe_vcpu(int vm, const char *key, const void *code, size_t size, uint64_t base,
			     size_t mem)
{
	uint8_t *m = mmap(NULL, mem, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		report(key, 0, "fail(mmap: %s)", strerror(errno));
		return -1;
	}
	memcpy(m, code, size);
	struct kvm_userspace_memory_region region = {
	    .slot = 0, .guest_phys_addr = base, .memory_size = mem, .userspace_addr = (uintptr_t)m};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
		report(key, 0, "fail(KVM_SET_USER_MEMORY_REGION: %s)", strerror(errno));
		return -1;
	}
	int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		report(key, 0, "fail(KVM_CREATE_VCPU: %s)", strerror(errno));
	return vcpu;
}

/* KVM_RUN until an exit other than an interrupted run; -1 on error. */
static inline int probe_run(int vcpu)
{
	for (int i = 0; i < 100; i++) {
		if (ioctl(vcpu, KVM_RUN, 0) == 0)
			return 0;
		if (errno != EINTR && errno != EAGAIN)
			return -1;
	}
	errno = ETIMEDOUT;
	return -1;
}

/* --hold: block the signals that end the holder before anything is held, so
 * that one arriving from then on waits for probe_hold_until_signal(). */
static inline void probe_hold_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	sigprocmask(SIG_BLOCK, set, NULL);
}

/* Sleep until one of them; say "nested-probe: hold=released signal=N". */
static inline int probe_hold_until_signal(const sigset_t *set)
{
	siginfo_t si;
	int sig;
	do {
		sig = sigwaitinfo(set, &si);
	} while (sig < 0 && errno == EINTR);
	printf("nested-probe: hold=released signal=%d\n", sig);
	fflush(stdout);
	return 0;
}

#endif
