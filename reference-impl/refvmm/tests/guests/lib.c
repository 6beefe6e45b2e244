/* SPDX-License-Identifier: MIT */
/* lib.c - runtime of refvmm's test guests (see guest.h). */
#include "guest.h"

#define COM1 0x3f8
#define LAPIC ((volatile uint32_t *)0xfee00000ul)

void putc_serial(char c)
{
	while (!(hcabi_inb(COM1 + 5) & 0x20))
		;
	hcabi_outb(COM1, (uint8_t)c);
}

void puts_serial(const char *s)
{
	while (*s)
		putc_serial(*s++);
}

void put_hex(uint64_t v)
{
	static const char d[] = "0123456789abcdef";
	puts_serial("0x");
	for (int i = 60; i >= 0; i -= 4)
		putc_serial(d[(v >> i) & 0xf]);
}

void put_dec(uint64_t v)
{
	char b[24];
	int n = 0;
	do {
		b[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		putc_serial(b[--n]);
}

void debug_exit(uint8_t v)
{
	hcabi_outb(0xf4, v);
	for (;;)
		__asm__ __volatile__("cli; hlt");
}

struct idt_entry {
	uint16_t off0, sel;
	uint8_t ist, type;
	uint16_t off1;
	uint32_t off2, zero;
};

static struct idt_entry idt[256] __attribute__((aligned(16)));
static isr_fn handlers[256];
extern char isr_stubs[];

static void unexpected(struct frame *f)
{
	puts_serial("unexpected exception ");
	put_dec(f->vector);
	puts_serial(" error ");
	put_hex(f->error);
	puts_serial(" at rip ");
	put_hex(f->rip);
	puts_serial("\n");
	debug_exit(0x7f);
}

void isr_dispatch(struct frame *f)
{
	isr_fn fn = handlers[f->vector & 0xff];
	if (fn)
		fn(f);
	else
		unexpected(f);
}

void idt_set(unsigned v, isr_fn fn, unsigned dpl)
{
	uint64_t a = (uint64_t)(uintptr_t)(isr_stubs + 16 * v);
	idt[v].off0 = (uint16_t)a;
	idt[v].sel = 0x08;
	idt[v].ist = 0;
	idt[v].type = (uint8_t)(0x8e | (dpl << 5));
	idt[v].off1 = (uint16_t)(a >> 16);
	idt[v].off2 = (uint32_t)(a >> 32);
	idt[v].zero = 0;
	handlers[v] = fn;
}

void idt_init(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) d = {sizeof(idt) - 1, (uint64_t)(uintptr_t)idt};
	for (unsigned v = 0; v < 256; v++)
		idt_set(v, 0, 0);
	__asm__ __volatile__("lidt %0" : : "m"(d));
}

static struct {
	uint32_t r0;
	uint64_t rsp0, rsp1, rsp2, r1, ist[7], r2;
	uint16_t r3, iomap;
} __attribute__((packed)) tss;

void tss_init(uint64_t rsp0)
{
	uint64_t b = (uint64_t)(uintptr_t)&tss;
	uint64_t lim = sizeof(tss) - 1;
	tss.rsp0 = rsp0;
	tss.iomap = sizeof(tss);
	gdt[5] = (lim & 0xffff) | ((b & 0xffffff) << 16) | (0x89ull << 40) |
		 (((lim >> 16) & 0xf) << 48) | (((b >> 24) & 0xff) << 56);
	gdt[6] = b >> 32;
	__asm__ __volatile__("ltr %w0" : : "r"(0x28));
}

void lapic_enable(void)
{
	LAPIC[0xf0 / 4] = 0x1ff;
}

void lapic_eoi(void)
{
	LAPIC[0xb0 / 4] = 0;
}

uint64_t now_ns(void)
{
	return hcabi_vmcall0(HCABI_FID_TIME_GET_MONOTONIC).value;
}

int64_t start_ap(uint32_t index, void *stack_top, uint64_t arg)
{
	static struct hcabi_vcpu_boot_state bs __attribute__((aligned(64)));
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) d;

	__asm__ __volatile__("sidt %0" : "=m"(d));
	bs.rip = (uint64_t)(uintptr_t)ap_entry;
	bs.rsp = (uint64_t)(uintptr_t)stack_top;
	bs.cr3 = (uint64_t)(uintptr_t)pml4;
	bs.arg = arg;
	bs.gdtr_base = (uint64_t)(uintptr_t)gdt;
	bs.gdtr_limit = 7 * 8 - 1;
	bs.idtr_base = d.base;
	bs.idtr_limit = d.limit;
	bs.cs = 0x08;
	bs.ds = 0x10;
	bs.flags = 0;
	bs.reserved0 = 0;
	return hcabi_vmcall2(HCABI_FID_VCPU_START, index, (uint64_t)(uintptr_t)&bs).status;
}

/* Guests that start no AP need no ap_main. */
__attribute__((weak)) void ap_main(uint64_t arg)
{
	(void)arg;
	for (;;)
		__asm__ __volatile__("cli; hlt");
}
