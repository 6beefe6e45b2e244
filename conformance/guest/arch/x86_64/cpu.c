/* SPDX-License-Identifier: MIT */
/*
 * cpu.c - per-vCPU setup: GS-based per-CPU data (the block of
 * lib/percpu.c), the shared IDT, one TSS per vCPU (RSP0 stack for
 * interrupts taken at CPL 3, IST1 stack for #DF, NMI and #MC), x87/SSE/AVX
 * enable, and the boot of vCPU 0.
 */
#include "hcabi_guest.h"
#include "hcabi_internal.h"

#define IST_SIZE (8 * 1024)
#define RSP0_SIZE (16 * 1024)
#define USER_STACK_SIZE (16 * 1024)

struct hcabi__idt_entry {
	uint16_t off0;
	uint16_t sel;
	uint8_t ist;
	uint8_t type;
	uint16_t off1;
	uint32_t off2;
	uint32_t reserved;
};
_Static_assert(sizeof(struct hcabi__idt_entry) == 16, "IDT entry layout");

static struct hcabi_tss tss[HCABI_MAX_CPUS] __attribute__((aligned(128)));
static struct hcabi__idt_entry idt[256] __attribute__((aligned(16)));
static uint8_t ist_stacks[HCABI_MAX_CPUS][IST_SIZE] __attribute__((aligned(16)));
static uint8_t rsp0_stacks[HCABI_MAX_CPUS][RSP0_SIZE] __attribute__((aligned(16)));
static uint8_t user_stacks[HCABI_MAX_CPUS][USER_STACK_SIZE] __attribute__((aligned(16)));

extern uint64_t hcabi__gdt[];
extern uint8_t hcabi__trap_stubs[];

static bool have_xsave, have_avx;
static uint64_t xcr0_boot;
static struct hcabi_vcpu_boot_state boot_states[HCABI_MAX_CPUS] __attribute__((aligned(64)));

static uint64_t hcabi__gdt_base(void)
{
	return (uint64_t)(uintptr_t)hcabi__gdt;
}

static uint16_t hcabi__gdt_limit(void)
{
	return (uint16_t)((HCABI_GDT_FIXED + 2 * HCABI_MAX_CPUS) * 8 - 1);
}

static uint64_t hcabi__idt_base(void)
{
	return (uint64_t)(uintptr_t)idt;
}

static uint16_t hcabi__idt_limit(void)
{
	return (uint16_t)(sizeof(idt) - 1);
}

bool hcabi_has_avx(void)
{
	return have_avx;
}

uint64_t hcabi_xcr0(void)
{
	uint32_t lo, hi;
	if (!have_xsave)
		return 0;
	__asm__ __volatile__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return ((uint64_t)hi << 32) | lo;
}

uint64_t hcabi_xcr0_boot(void)
{
	return xcr0_boot;
}

/* Whether a VEX-encoded instruction runs (AVX enabled for real: CR4.OSXSAVE
 * and XCR0.YMM as the CPU sees them). */
static bool vex_works(void)
{
	struct hcabi_exc_info info;
	expect_exception(HCABI_EXC_UD);
	__asm__ __volatile__(HCABI_ASM_FIXUP("1f") "vzeroupper\n1:" HCABI_ASM_FIXUP_CLEAR ::
				 : "memory");
	return !exception_end(&info);
}

static void set_gate(unsigned v, unsigned dpl, unsigned ist)
{
	uint64_t a = (uint64_t)(uintptr_t)(hcabi__trap_stubs + 16 * v);
	struct hcabi__idt_entry *e = &idt[v];
	e->off0 = (uint16_t)a;
	e->sel = HCABI_SEL_KCODE;
	e->ist = (uint8_t)ist;
	e->type = (uint8_t)(0x8E | (dpl << 5)); /* present, 64-bit interrupt gate */
	e->off1 = (uint16_t)(a >> 16);
	e->off2 = (uint32_t)(a >> 32);
	e->reserved = 0;
}

static void build_idt(void)
{
	for (unsigned v = 0; v < 256; v++)
		set_gate(v, 0, 0);
	set_gate(HCABI_EXC_NMI, 0, 1);
	set_gate(HCABI_EXC_DF, 0, 1);
	set_gate(HCABI_EXC_MC, 0, 1);
	set_gate(HCABI_VEC_USER_RETURN, 3, 0);
}

static void load_tables(struct hcabi_cpu *c)
{
	unsigned i = (unsigned)c->index;
	struct hcabi_dtr gdtr = {hcabi__gdt_limit(), hcabi__gdt_base()};
	struct hcabi_dtr idtr = {hcabi__idt_limit(), hcabi__idt_base()};
	uint16_t sel = (uint16_t)(HCABI_SEL_TSS0 + 16 * i);

	hcabi_tss_init(&tss[i], (uint64_t)(uintptr_t)c->rsp0_top, (uint64_t)(uintptr_t)c->ist_top);
	/* written fresh on every start so a restarted vCPU does not LTR a
	 * busy descriptor */
	hcabi_gdt_set_tss(hcabi__gdt, HCABI_GDT_FIXED + 2 * i, &tss[i]);

	__asm__ __volatile__("lgdt %0" ::"m"(gdtr) : "memory");
	__asm__ __volatile__("lidt %0" ::"m"(idtr) : "memory");
	__asm__ __volatile__("mov %0, %%ds\n\t"
			     "mov %0, %%es\n\t"
			     "mov %0, %%ss\n\t"
			     "pushq %1\n\t"
			     "leaq 1f(%%rip), %%rax\n\t"
			     "pushq %%rax\n\t"
			     "lretq\n"
			     "1:" ::"r"((uint64_t)HCABI_SEL_KDATA),
			     "i"((uint64_t)HCABI_SEL_KCODE)
			     : "rax", "memory");
	__asm__ __volatile__("ltr %0" ::"r"(sel) : "memory");
}

static void fpu_init(void)
{
	struct hcabi_cpuid id1 = hcabi_cpuid(1, 0);
	uint64_t cr0 = hcabi_read_cr0();
	uint64_t cr4 = hcabi_read_cr4();
	uint32_t mxcsr = 0x1F80;

	cr0 &= ~((1ull << 2) | (1ull << 3)); /* EM, TS */
	cr0 |= (1ull << 1) | (1ull << 5);    /* MP, NE */
	hcabi_write_cr0(cr0);
	cr4 |= (1ull << 9) | (1ull << 10); /* OSFXSR, OSXMMEXCPT */
	if (id1.ecx & (1u << 26)) {	   /* XSAVE */
		cr4 |= 1ull << 18;	   /* OSXSAVE */
		hcabi_write_cr4(cr4);
		struct hcabi_cpuid d = hcabi_cpuid(0xD, 0);
		uint64_t supported = ((uint64_t)d.edx << 32) | d.eax;
		uint64_t want = 0x3; /* x87, SSE */
		if ((id1.ecx & (1u << 28)) && (supported & 0x4))
			want |= 0x4; /* AVX */
		want &= supported | 0x3;
		__asm__ __volatile__("xsetbv" ::"c"(0), "a"((uint32_t)want),
				     "d"((uint32_t)(want >> 32)));
		have_xsave = true;
		xcr0_boot = want;
		have_avx = (want & 0x4) != 0 && vex_works();
		if ((want & 0x4) && !have_avx && hcabi_this_cpu()->index == 0)
			hcabi_printf("warning: XCR0 0x%llx enables AVX, but VEX instructions raise "
				     "#UD: AVX is not used",
				     (unsigned long long)hcabi_xcr0());
	} else {
		hcabi_write_cr4(cr4);
	}
	__asm__ __volatile__("fninit\n\tldmxcsr %0" ::"m"(mxcsr));
}

/* Everything a vCPU sets up for itself, vCPU 0 at boot and the others
 * when VCPU.START enters hcabi__ap_entry: its block (lib/percpu.c, filled
 * before it ran) gets its own stacks for interrupts, #DF/NMI/#MC and CPL 3
 * and its TSS, then the tables that use them. */
void hcabi__cpu_init(struct hcabi_cpu *c)
{
	unsigned i = (unsigned)c->index;

	c->ist_top = ist_stacks[i] + IST_SIZE;
	c->rsp0_top = rsp0_stacks[i] + RSP0_SIZE;
	c->user_stack_top = user_stacks[i] + USER_STACK_SIZE;
	c->tss = &tss[i];
	hcabi_wrmsr(HCABI_MSR_GS_BASE, (uint64_t)(uintptr_t)c);
	load_tables(c);
	fpu_init();
	hcabi_intc_enable();
}

int64_t hcabi_arch_vcpu_start(unsigned cpu, struct hcabi_cpu *c)
{
	/* 64-bit mode at hcabi__ap_entry on the target's own stack, with
	 * vCPU 0's page tables and the shared GDT and IDT; RDI = c */
	struct hcabi_vcpu_boot_state *bs = &boot_states[cpu];
	struct hcabi_dtr gdtr = {hcabi__gdt_limit(), hcabi__gdt_base()};
	struct hcabi_dtr idtr = {hcabi__idt_limit(), hcabi__idt_base()};

	hcabi_boot_state_init(bs, (uint64_t)(uintptr_t)hcabi__ap_entry,
			      (uint64_t)(uintptr_t)c->stack_top, (uint64_t)(uintptr_t)c, &gdtr, &idtr);
	hcabi_mb();
	return hcabi_vcpu_start(cpu, (uint64_t)(uintptr_t)bs).status;
}

void hcabi__boot(uint32_t start_info)
{
	struct hcabi_cpu *c;

	(void)start_info;
	c = hcabi__cpu_prepare(0);
	hcabi_wrmsr(HCABI_MSR_GS_BASE, (uint64_t)(uintptr_t)c);
	hcabi_serial_init();
	build_idt();
	/* The 8259 PICs (present under QEMU, in-kernel under KVM) stay
	 * masked: interrupts come from the LAPIC only. */
	hcabi_outb(0x21, 0xFF);
	hcabi_outb(0xA1, 0xFF);
	hcabi__cpu_init(c);
	hcabi__paging_init();
	hcabi__start();
}
