/* SPDX-License-Identifier: MIT */
/*
 * hcabi_dt.h - the device tree the boot protocol handed the guest (arm64,
 * riscv64: the Linux Image protocol), kept by lib/dt.c and read with
 * hcabi_fdt.h. Used by the architectures that boot with one.
 */
#ifndef HCABI_DT_H
#define HCABI_DT_H

#include <stdbool.h>
#include <stdint.h>

#include "hcabi_fdt.h"

/* Take the boot's device tree address; false when it is not one. */
bool hcabi__dt_init(uint64_t dtb);
/* The device tree (already checked: NULL if unusable). */
const struct hcabi_fdt *hcabi_fdt(void);
/* The vCPUs of /cpus (nodes with device_type "cpu", at most
 * HCABI_MAX_CPUS), and the reg of vCPU `cpu` (arm64: its MPIDR affinity;
 * riscv64: its hart ID), or -1. */
unsigned hcabi_dt_cpu_count(void);
int64_t hcabi_dt_cpu_reg(unsigned cpu);

#endif /* HCABI_DT_H */
