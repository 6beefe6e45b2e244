/* SPDX-License-Identifier: MIT */
/*
 * cpuid.c - the CPUID every vCPU of hcabi-refvmm sees: what KVM supports,
 * without KVM's own paravirt leaves, with the core's HCABI discovery
 * leaves and the hypervisor bit; each vCPU's copy carries its APIC ID.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "x86_kvm.h"

static struct kvm_cpuid2 *get_supported_cpuid(int kvm_fd)
{
	for (unsigned nent = 128; nent <= 4096; nent *= 2) {
		struct kvm_cpuid2 *c =
		    calloc(1, sizeof(*c) + nent * sizeof(struct kvm_cpuid_entry2));
		if (!c)
			return NULL;
		c->nent = nent;
		if (hcabi__kvm_ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
			return c;
		free(c);
		if (errno != E2BIG)
			return NULL;
	}
	return NULL;
}

/* Drop KVM's own paravirt leaves, add the core's, set the hypervisor bit. */
static struct kvm_cpuid2 *merge_cpuid(struct hcabi__vm *vm, struct kvm_cpuid2 *sup)
{
	struct kvm_cpuid2 *c =
	    calloc(1, sizeof(*c) + (sup->nent + 256) * sizeof(struct kvm_cpuid_entry2));
	uint32_t n = 0;

	if (!c)
		return NULL;
	for (uint32_t i = 0; i < sup->nent; i++) {
		struct kvm_cpuid_entry2 e = sup->entries[i];
		if (e.function >= 0x40000000u && e.function <= 0x400000ffu)
			continue; /* "KVMKVMKVM" and its feature leaf */
		if (e.function == 1 && e.index == 0)
			e.ecx |= 1u << 31; /* hypervisor present */
		/* XCR0 starts as x87 | SSE | AVX where the guest may have them,
		 * not at its reset value 1. Under QEMU TCG's nested SVM (how
		 * refvmm runs where there is no usable /dev/kvm) a guest's
		 * XSETBV is not intercepted, so KVM never learns the guest's
		 * XCR0 and reloads its own copy at every entry; starting from
		 * the value guests set keeps AVX state alive across exits
		 * there (X86-008). On a real host KVM intercepts XSETBV and a
		 * guest still sets whatever it wants. */
		if (e.function == 0xd && e.index == 0)
			vm->arch->own.xcr0_init = 1u | (e.eax & 0x6u);
		c->entries[n++] = e;
	}
	for (uint32_t leaf = 0x40000000u; leaf <= 0x400000ffu; leaf++) {
		uint32_t out[4];
		if (!hcabi_ref_cpuid(vm->ref, leaf, 0, out))
			continue;
		memset(&c->entries[n], 0, sizeof(c->entries[n]));
		c->entries[n].function = leaf;
		c->entries[n].eax = out[0];
		c->entries[n].ebx = out[1];
		c->entries[n].ecx = out[2];
		c->entries[n].edx = out[3];
		n++;
	}
	c->nent = n;
	return c;
}

/* Per-vCPU copy with its APIC ID (= vCPU index) in the topology leaves. */
int hcabi__x86_set_vcpu_cpuid(struct hcabi__vcpu *v, const struct kvm_cpuid2 *base)
{
	size_t sz = sizeof(*base) + base->nent * sizeof(struct kvm_cpuid_entry2);
	struct kvm_cpuid2 *c = malloc(sz);
	int r;

	if (!c)
		return -1;
	memcpy(c, base, sz);
	for (uint32_t i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];
		if (e->function == 1)
			e->ebx = (e->ebx & 0x00ffffffu) | (v->index << 24);
		else if (e->function == 0xb || e->function == 0x1f)
			e->edx = v->index;
		else if (e->function == 0x8000001eu)
			e->eax = v->index;
	}
	r = hcabi__kvm_ioctl(v->arch->fd, KVM_SET_CPUID2, c);
	free(c);
	return r;
}

struct kvm_cpuid2 *hcabi__x86_build_cpuid(struct hcabi__vm *vm)
{
	struct kvm_cpuid2 *sup = get_supported_cpuid(vm->arch->kvm_fd);
	struct kvm_cpuid2 *c;

	if (!sup)
		return NULL;
	c = merge_cpuid(vm, sup);
	free(sup);
	return c;
}
