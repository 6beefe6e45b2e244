/* SPDX-License-Identifier: MIT */
/*
 * rvguest.c - refvmm riscv64's own test guest (refvmm.nested.riscv64): the
 * riscv64 backend end to end, without the conformance runtime. One line
 * per check, "ok NAME" or "FAIL NAME: why", then "rvguest: all passed" and
 * SBI SRST shutdown, or "rvguest: N failed" and SRST cold reboot (refvmm
 * --no-reboot: status 10). Run with --vcpus 2 --spec-version 1.0.
 */
#include <stdint.h>

#include "abi.h"

#define UART 0x10000000ul
#define UART_LSR 5u
#define LSR_THRE 0x20u
#define SBI_SRST_EID 0x53525354ul
#define SBI_ERR_NOT_SUPPORTED (-2l)
#define OTHER_EXPERIMENTAL_EID 0x08000000ul
#define START_ARG 0x1234567890abcdefull
#define IMSIC_PAGE0 0x28000000ul /* hart 0's S-level interrupt file */
#define MSI_VECTOR 7u
#define BLOCK_SHORT_NS 50000000ull /* 50 ms */
#define BLOCK_LONG_NS 10000000000ull /* 10 s */
/* the S-level AIA CSRs (Ssaia) and the IMSIC registers behind siselect */
#define CSR_SISELECT 0x150
#define CSR_SIREG 0x151
#define CSR_STOPEI 0x15c
#define IMSIC_EIDELIVERY 0x70u
#define IMSIC_EITHRESHOLD 0x72u
#define IMSIC_EIP0 0x80u
#define IMSIC_EIE0 0xc0u

#define STR_(x) #x
#define STR(x) STR_(x)
#define CSR_WRITE(csr, v) __asm__ __volatile__("csrw " STR(csr) ", %0" ::"r"((uint64_t)(v)))
#define CSR_READ(csr, v) __asm__ __volatile__("csrr %0, " STR(csr) : "=r"(v))
#define CSR_SWAP(csr, v) __asm__ __volatile__("csrrw %0, " STR(csr) ", %0" : "+r"(v))

/* An IMSIC register of the S-level interrupt file, through siselect. */
static void imsic_write(uint64_t reg, uint64_t val)
{
	CSR_WRITE(CSR_SISELECT, reg);
	CSR_WRITE(CSR_SIREG, val);
}

extern char secondary_entry[];

static unsigned failures;
static volatile uint64_t secondary_done;
static struct hcabi_vcpu_boot_state_riscv64 boot_state __attribute__((aligned(8)));

static void putc_uart(char c)
{
	volatile uint8_t *u = (volatile uint8_t *)UART;
	while (!(u[UART_LSR] & LSR_THRE))
		;
	u[0] = (uint8_t)c;
}

static void puts_uart(const char *s)
{
	while (*s)
		putc_uart(*s++);
}

static void puthex(uint64_t v)
{
	puts_uart("0x");
	for (int i = 60; i >= 0; i -= 4)
		putc_uart("0123456789abcdef"[(v >> i) & 0xf]);
}

static void putdec(unsigned v)
{
	if (v >= 10)
		putdec(v / 10);
	putc_uart((char)('0' + v % 10));
}

/* "ok NAME" or "FAIL NAME: WHAT got 0x..."; NAME is name.vec when vec is
 * not 0. */
static void check_vec(int ok, const char *name, unsigned vec, const char *what, uint64_t got)
{
	puts_uart(ok ? "ok " : "FAIL ");
	puts_uart(name);
	if (vec) {
		putc_uart('.');
		putdec(vec);
	}
	if (ok) {
		putc_uart('\n');
		return;
	}
	failures++;
	puts_uart(": ");
	puts_uart(what);
	puts_uart(" got ");
	puthex(got);
	putc_uart('\n');
}

static void check(int ok, const char *name, const char *what, uint64_t got)
{
	check_vec(ok, name, 0, what, got);
}

static struct hcabi_ret sbi(uint64_t eid, uint64_t fid, uint64_t a0, uint64_t a1)
{
	register uint64_t r_a0 __asm__("a0") = a0;
	register uint64_t r_a1 __asm__("a1") = a1;
	register uint64_t r_a6 __asm__("a6") = fid;
	register uint64_t r_a7 __asm__("a7") = eid;
	__asm__ __volatile__("ecall" : "+r"(r_a0), "+r"(r_a1) : "r"(r_a6), "r"(r_a7) : "memory");
	return (struct hcabi_ret){.status = (int64_t)r_a0, .value = r_a1};
}

/* IPI.SEND to itself makes identity `vec` pending in its own S-level IMSIC
 * file (RV64-019): eip0 shows it, and it is claimed through stopei with
 * interrupts off. The edges of RV64-018's range and one between. */
static const uint8_t ipi_vectors[] = {HCABI_RISCV64_VECTOR_MIN, 5, 31, 32, 33, 62, HCABI_RISCV64_VECTOR_MAX};

static void ipi_self(void)
{
	uint64_t enable = 0;

	for (unsigned i = 0; i < sizeof(ipi_vectors); i++)
		enable |= 1ull << ipi_vectors[i];
	imsic_write(IMSIC_EIDELIVERY, 1);
	imsic_write(IMSIC_EITHRESHOLD, 0);
	imsic_write(IMSIC_EIE0, enable);
	for (unsigned i = 0; i < sizeof(ipi_vectors); i++) {
		unsigned vec = ipi_vectors[i];
		uint64_t pend, top = 0;
		struct hcabi_ret r = hcabi_ipi_send(1, 0, vec);

		check_vec(r.status == HCABI_SUCCESS, "ipi.send", vec, "status", (uint64_t)r.status);
		CSR_WRITE(CSR_SISELECT, IMSIC_EIP0);
		CSR_READ(CSR_SIREG, pend);
		check_vec(pend == 1ull << vec, "ipi.eip", vec, "eip0", pend);
		CSR_SWAP(CSR_STOPEI, top); /* read and claim */
		check_vec((top >> 16) == vec, "ipi.stopei", vec, "stopei identity", top >> 16);
	}
}

/* VCPU.BLOCK ends for an interrupt that does not come through refvmm: the
 * guest's own MSI, a write of identity MSI_VECTOR to its IMSIC page (what
 * another hart's IPI is; refvmm reads the file's eip0 & eie0); without one
 * it times out. */
static void block_on_own_msi(void)
{
	volatile uint32_t *page = (volatile uint32_t *)IMSIC_PAGE0; /* seteipnum_le */
	struct hcabi_ret r, t0, t1;
	uint64_t top = 0;

	imsic_write(IMSIC_EIE0, 1ull << MSI_VECTOR);
	(void)hcabi_vcpu_block(0); /* the wake-up ipi_self's interrupts left remembered */
	r = hcabi_vcpu_block(BLOCK_SHORT_NS);
	check(r.status == HCABI_SUCCESS && r.value == HCABI_BLOCK_TIMED_OUT, "block.timeout", "value",
	      r.value);
	*page = MSI_VECTOR;
	__asm__ __volatile__("fence" ::: "memory");
	t0 = hcabi_time_get_monotonic();
	r = hcabi_vcpu_block(BLOCK_LONG_NS);
	t1 = hcabi_time_get_monotonic();
	check(r.status == HCABI_SUCCESS && r.value == HCABI_BLOCK_WOKEN, "block.msi", "value", r.value);
	check(t1.value - t0.value < BLOCK_LONG_NS / 2, "block.msi.soon", "ns blocked",
	      t1.value - t0.value);
	CSR_SWAP(CSR_STOPEI, top);
	check((top >> 16) == MSI_VECTOR, "block.msi.stopei", "stopei identity", top >> 16);
}

void rv_secondary(uint64_t hartid, uint64_t arg, uint64_t others);

void rv_secondary(uint64_t hartid, uint64_t arg, uint64_t others)
{
	uint64_t satp, sstatus;

	CSR_READ(satp, satp);
	CSR_READ(sstatus, sstatus);
	check(hartid == 1, "start.a0", "a0 (hart ID)", hartid);
	check(arg == START_ARG, "start.a1", "a1 (arg)", arg);
	check(others == 0, "start.regs", "OR of the other registers", others);
	check(satp == 0, "start.satp", "satp", satp);
	check((sstatus & 2) == 0, "start.sie", "sstatus", sstatus);
	secondary_done = 1;
	hcabi_vcpu_stop();
	for (;;)
		;
}

void rv_main(uint64_t hartid, const uint32_t *dtb);

void rv_main(uint64_t hartid, const uint32_t *dtb)
{
	struct hcabi_ret r;

	puts_uart("rvguest: hello from hart 0\n");
	check(hartid == 0, "boot.a0", "a0 (hart ID)", hartid);
	check(dtb[0] == 0xedfe0dd0u, "boot.dtb", "the word at a1 (FDT magic, big-endian)", dtb[0]);

	/* RV64-015: discovery by SBI Base probe_extension, with the signature */
	r = hcabi_sbi_probe_extension(HCABI_RISCV64_SBI_EID);
	check(r.status == 0, "discovery.status", "status", (uint64_t)r.status);
	check(r.value == HCABI_CPUID_INTERFACE_SIGNATURE, "discovery.value", "value", r.value);
	/* another forwarded extension: absent (0), and its calls not supported */
	r = hcabi_sbi_probe_extension(OTHER_EXPERIMENTAL_EID);
	check(r.status == 0 && r.value == 0, "discovery.other", "value", r.value);
	r = sbi(OTHER_EXPERIMENTAL_EID, 0, 0, 0);
	check(r.status == SBI_ERR_NOT_SUPPORTED, "sbi.other", "status", (uint64_t)r.status);

	/* an HCABI call: status and value (run with --spec-version 1.0) */
	r = hcabi_base_get_spec_version();
	check(r.status == HCABI_SUCCESS, "spec_version.status", "status", (uint64_t)r.status);
	check(r.value == HCABI_VERSION_1_0, "spec_version.value", "value", r.value);
	/* RV64-002: a6 bits 63:32 set: INVALID_PARAM */
	r = sbi(HCABI_RISCV64_SBI_EID, (1ull << 32) | HCABI_FID_BASE_GET_SPEC_VERSION, 0, 0);
	check(r.status == HCABI_ERR_INVALID_PARAM && r.value == 0, "a6.upper", "status",
	      (uint64_t)r.status);

	ipi_self();
	block_on_own_msi();

	/* VCPU.START of vCPU 1 (RV64-021..026), which reports and stops */
	boot_state.entry = (uint64_t)(uintptr_t)secondary_entry;
	boot_state.arg = START_ARG;
	r = hcabi_vcpu_start(1, (uint64_t)(uintptr_t)&boot_state);
	while (r.status == HCABI_SUCCESS && !secondary_done) /* its lines first */
		__asm__ __volatile__("" ::: "memory");
	check(r.status == HCABI_SUCCESS, "vcpu.start", "status", (uint64_t)r.status);

	if (failures) {
		puts_uart("rvguest: ");
		puthex(failures);
		puts_uart(" failed\n");
		sbi(SBI_SRST_EID, 0, 1 /* cold reboot */, 0);
	} else {
		puts_uart("rvguest: all passed\n");
		sbi(SBI_SRST_EID, 0, 0 /* shutdown */, 0);
	}
	for (;;)
		__asm__ __volatile__("wfi");
}
