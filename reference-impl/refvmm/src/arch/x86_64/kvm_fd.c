/* SPDX-License-Identifier: MIT */
/*
 * kvm_fd.c - the two ways the x86-64 backend talks to KVM at all: opening
 * /dev/kvm and an ioctl that a kick's signal does not break off.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "x86_kvm.h"

int hcabi__x86_ioctl(int fd, unsigned long req, void *arg)
{
	int r;
	do {
		r = ioctl(fd, req, arg);
	} while (r < 0 && errno == EINTR);
	return r;
}

int hcabi__x86_open_kvm(char *err, size_t errlen)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return hcabi__fail(err, errlen,
					   "no /dev/kvm: KVM is not available on this host "
					   "(run refvmm nested with scripts/hcabi-nested)");
		return hcabi__fail(err, errlen, "cannot open /dev/kvm: %s", strerror(errno));
	}
	return fd;
}
