/* SPDX-License-Identifier: MIT */
/*
 * kvm_host.c - the Linux KVM plumbing every backend shares (kvm_host.h).
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

int hcabi__kvm_open(char *err, size_t errlen)
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
	int fd = hcabi__kvm_open(err, errlen);
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

int hcabi__kvm_vcpu_open(int vm_fd, uint32_t index, size_t run_size, int *fd,
			 struct kvm_run **run, char *err, size_t errlen)
{
	void *page;

	install_kick_handler();
	*run = NULL;
	*fd = hcabi__kvm_ioctl(vm_fd, KVM_CREATE_VCPU, (void *)(uintptr_t)index);
	if (*fd < 0)
		return hcabi__fail(err, errlen, "KVM_CREATE_VCPU %u: %s", index, strerror(errno));
	page = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
	if (page == MAP_FAILED)
		return hcabi__fail(err, errlen, "mmap of vcpu %u: %s", index, strerror(errno));
	*run = page;
	return 0;
}

void hcabi__kvm_vcpu_close(int fd, struct kvm_run *run, size_t run_size)
{
	if (run)
		munmap(run, run_size);
	if (fd >= 0)
		close(fd);
}

void hcabi__kvm_thread_runs(struct kvm_run *run)
{
	tls_run = run;
}

void hcabi__kvm_kick(pthread_t t)
{
	pthread_kill(t, KICK_SIGNAL);
}
