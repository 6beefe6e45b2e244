/* SPDX-License-Identifier: MIT */
/*
 * A stand-in for the Linux kernel's own <linux/types.h>, for the abi_h.*.kernel
 * tests only: the fixed-width types as the kernel defines them (u64 is unsigned
 * long long on every architecture), and nothing from a C library. Those tests
 * compile abi.h with -D__KERNEL__ -nostdinc, as kbuild does, so that an include
 * of <stdint.h> or <stddef.h> in abi.h's kernel branch fails to compile.
 */
#ifndef HCABI_KERNEL_STUB_TYPES_H
#define HCABI_KERNEL_STUB_TYPES_H
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef signed char s8;
typedef short s16;
typedef int s32;
typedef long long s64;
typedef u8 uint8_t;
typedef u16 uint16_t;
typedef u32 uint32_t;
typedef u64 uint64_t;
typedef s8 int8_t;
typedef s16 int16_t;
typedef s32 int32_t;
typedef s64 int64_t;
#endif
