/* SPDX-License-Identifier: MIT */
/*
 * discover.c - the x86-64 binding's search for HCABI (hcabi_arch.h): the
 * CPUID bases 0x40000000, 0x40000100, ... 0x4000FF00, looking for leaf
 * B + 1 EAX == HCABI_CPUID_INTERFACE_SIGNATURE. Lenient: the signature
 * alone decides; the DISC tests check the rest of the CPUID rules.
 */
#include "hcabi_guest.h"

static void put_sig(char *out, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		out[i] = (char)(v >> (8 * i));
}

bool hcabi_arch_find_hcabi(struct hcabi_discovery *d)
{
	for (uint32_t b = HCABI_CPUID_BASE; b <= HCABI_CPUID_BASE + 0xFF00u;
	     b += HCABI_CPUID_BASE_STRIDE) {
		if (hcabi_cpuid(b + 1, 0).eax == HCABI_CPUID_INTERFACE_SIGNATURE) {
			struct hcabi_cpuid r = hcabi_cpuid(b, 0);
			d->base = b;
			d->max_leaf = r.eax;
			put_sig(d->signature, r.ebx);
			put_sig(d->signature + 4, r.ecx);
			put_sig(d->signature + 8, r.edx);
			return true;
		}
	}
	return false;
}
