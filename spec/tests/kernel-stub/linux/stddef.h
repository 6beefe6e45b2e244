/* SPDX-License-Identifier: MIT */
/* A stand-in for the Linux kernel's <linux/stddef.h>: see types.h beside it. */
#ifndef HCABI_KERNEL_STUB_STDDEF_H
#define HCABI_KERNEL_STUB_STDDEF_H
#undef NULL
#define NULL ((void *)0)
#undef offsetof
#define offsetof(TYPE, MEMBER) __builtin_offsetof(TYPE, MEMBER)
#endif
