/* SPDX-License-Identifier: MIT */
/* The VCPU tests' raw vCPU entry (see raw_start.c). */
#include "../vcpu/raw_entry.S"
