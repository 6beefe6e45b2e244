/* SPDX-License-Identifier: MIT */
/*
 * The register tests the arm64 and riscv64 bindings share (registers in
 * and out, unknown function IDs): one definition, compiled into each
 * binding's image (conformance/CMakeLists.txt). What differs stays in each
 * binding's test file: the register names its messages use and the
 * requirement IDs its checks cite (tables the test body names, so the
 * tests manifest still finds every ID a test checks).
 */
#ifndef HCABI_CONF_BINDING_REGS_H
#define HCABI_CONF_BINDING_REGS_H

#include "hcabi_test.h"
#include "hcabi_calls.h"

/* The registers of a binding, as its messages name them. */
struct binding_names {
	const char *arch;    /* "arm64": CONSOLE.WRITE's line */
	const char *status;  /* the status register: "x0" */
	const char *value;   /* the value register: "x1" */
	const char *id;	     /* the function ID register: "x1" */
	const char *arg[6];  /* the argument registers, in order: "x2" .. "x7" */
	unsigned arg0;	     /* the number of arg[0]: 2 (x2) */
	uint64_t vector_min; /* the lowest valid interrupt vector */
};

/* The requirements of the status, the value, and the value with an error. */
struct binding_result_reqs {
	const char *status, *value, *zero;
};

/* ... and of the argument registers' order and of those past the count. */
struct binding_arg_reqs {
	struct binding_result_reqs result;
	const char *order, *ignored;
};

/* ... and of an unknown extension and an unknown function number. */
struct binding_unknown_reqs {
	struct binding_result_reqs result;
	const char *unknown_ext, *unknown_fn;
};

/* ... and of the function ID's upper bits: INVALID_PARAM, then the value 0
 * where the status is an error (a wrong SUCCESS fails the status check
 * alone: the value rule is about errors). */
struct binding_upper_reqs {
	const char *invalid, *zero;
};

/* Status and value of r, each checked exactly under its own requirement. */
void binding_check_exact(const struct binding_names *n, const struct binding_result_reqs *q,
			 struct hcabi_ret r, int64_t status, uint64_t value, const char *what);

/* Every function the test may reject (hcabi_fn_rejectable) called with
 * each of hcabi_upper_halves in the function ID register's bits 63:32:
 * INVALID_PARAM, the value 0 (the loop of the function_id_upper_bits
 * tests). */
void binding_upper_bits_each_fn(const struct binding_names *n, const struct binding_upper_reqs *q);

/* Arguments from the argument registers in order, those past a function's
 * count ignored (the body of the argument_registers tests). */
void binding_arg_registers(const struct binding_names *n, const struct binding_arg_reqs *q);

/* The status signed in the status register, the value in the value
 * register, an unknown extension or function NOT_SUPPORTED with value 0
 * (the body of the result_registers tests). */
void binding_result_registers(const struct binding_names *n, const struct binding_unknown_reqs *q);

#endif
