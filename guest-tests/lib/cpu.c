/*
 * IDT, TSS, interrupt dispatch, fault fixups and page tables of the 64-bit
 * runtime.  See cpu.h.
 */
#include "apic.h"
#include "cpu.h"
#include "runtime.h"
#include "serial.h"
#include "smp.h"
#include "test.h"

struct idt_gate {
	uint16_t off_lo, sel;
	uint8_t ist, type_attr;
	uint16_t off_mid;
	uint32_t off_hi, zero;
};

struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3, iomap_base;
} __attribute__((packed));

/* .extable entries: the faulting instruction and where to resume */
struct extable_entry {
	uint64_t insn, fixup;
};

extern char isr_stubs[], user_return[], user_exit_ud2[];
void user_return_c(uint64_t result) __attribute__((noreturn));
extern uint64_t gdt64[];
extern struct extable_entry __extable_start[], __extable_end[];
extern uint64_t pdpt[];

static struct idt_gate idt[256] __attribute__((aligned(16)));
struct tss64 tss64 __attribute__((aligned(16)));
static int_handler handlers[256];
volatile uint32_t unexpected_interrupts;
volatile int fault_vector = -1;
volatile int user_fault_vector = -1;

static const char *const exc_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
	"#DF", "?",   "#TS", "#NP", "#SS", "#GP", "#PF", "?",
	"#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

static void set_gate(uint8_t vec, void *fn, uint8_t dpl)
{
	uint64_t a = (uint64_t)fn;

	idt[vec] = (struct idt_gate){ .off_lo = (uint16_t)a,
				      .sel = SEL_KCODE,
				      .type_attr = 0x8e | dpl << 5,
				      .off_mid = (uint16_t)(a >> 16),
				      .off_hi = (uint32_t)(a >> 32) };
}

static void load_idt(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) p = { sizeof(idt) - 1, (uint64_t)idt };

	__asm__ __volatile__("lidt %0" : : "m"(p));
}

static void load_gdt(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) p = { 9 * 8 - 1, (uint64_t)gdt64 };

	__asm__ __volatile__("lgdt %0" : : "m"(p));
}

void cpu_init_bsp(void)
{
	uint64_t base = (uint64_t)&tss64, limit = sizeof(tss64) - 1;

	for (int v = 0; v < 256; v++)
		set_gate(v, isr_stubs + 16 * v, 0);
	set_gate(VEC_USER_RETURN, user_return, 3);
	load_idt();
	tss64.iomap_base = sizeof(tss64); /* no I/O bitmap */
	/* a 64-bit available TSS descriptor: 16 bytes */
	gdt64[6] = (limit & 0xffff) | (base & 0xffffff) << 16 | 0x89ULL << 40 |
		   ((base >> 24) & 0xff) << 56;
	gdt64[7] = base >> 32;
	load_gdt();
	__asm__ __volatile__("ltr %w0" : : "r"(SEL_TSS));
}

void cpu_init_ap(void)
{
	load_gdt();
	load_idt();
}

void set_int_handler(uint8_t vector, int_handler h)
{
	handlers[vector] = h;
}

static int fixup(struct int_frame *f)
{
	for (struct extable_entry *e = __extable_start; e < __extable_end; e++)
		if (e->insn == f->rip) {
			f->rip = e->fixup;
			fault_vector = (int)f->vector;
			return 1;
		}
	return 0;
}

void int_dispatch(struct int_frame *f)
{
	uint64_t cr2;

	if (f->vector == 6 && (f->cs & 3) == 3 &&
	    f->rip == (uint64_t)user_exit_ud2)
		user_return_c(f->rax);
	if (f->vector < 32 && (f->cs & 3) == 3 && !handlers[f->vector]) {
		printf("info: %s at CPL3, rip %llx: back to run_user's caller\n",
		       exc_names[f->vector] ? exc_names[f->vector] : "?",
		       (unsigned long long)f->rip);
		user_fault_vector = (int)f->vector;
		user_return_c(0);
	}
	if (handlers[f->vector]) {
		handlers[f->vector](f);
		return;
	}
	if (f->vector >= 32) {
		unexpected_interrupts++;
		if (f->vector != VEC_SPURIOUS)
			lapic_eoi();
		return;
	}
	if (fixup(f))
		return;
	__asm__ __volatile__("mov %%cr2, %0" : "=r"(cr2));
	printf("FAIL exception: %s (vector %llu) error %llx at rip %llx "
	       "cs %llx rsp %llx cr2 %llx, cpu %u\n",
	       exc_names[f->vector] ? exc_names[f->vector] : "?",
	       (unsigned long long)f->vector, (unsigned long long)f->error,
	       (unsigned long long)f->rip, (unsigned long long)f->cs,
	       (unsigned long long)f->rsp, (unsigned long long)cr2, this_cpu());
	test_exit(TEST_EXIT_FAIL);
}

int rdmsr_safe(uint32_t msr, uint64_t *v)
{
	uint32_t lo = 0, hi = 0;

	fault_vector = -1;
	__asm__ __volatile__("1: rdmsr\n2:\n"
			     ".pushsection .extable, \"a\"\n"
			     ".quad 1b, 2b\n"
			     ".popsection"
			     : "+a"(lo), "+d"(hi)
			     : "c"(msr)
			     : "memory");
	*v = (uint64_t)hi << 32 | lo;
	return fault_vector < 0 ? 0 : fault_vector;
}

int wrmsr_safe(uint32_t msr, uint64_t v)
{
	fault_vector = -1;
	__asm__ __volatile__("1: wrmsr\n2:\n"
			     ".pushsection .extable, \"a\"\n"
			     ".quad 1b, 2b\n"
			     ".popsection"
			     :
			     : "c"(msr), "a"((uint32_t)v),
			       "d"((uint32_t)(v >> 32))
			     : "memory");
	return fault_vector < 0 ? 0 : fault_vector;
}

/* page directories for RAM above 4 GiB: 16 of them, 16 GiB */
#define PD_POOL 16
static uint64_t pd_pool[PD_POOL][512] __attribute__((aligned(4096)));
static int pd_used;

int map_identity(uint64_t start, uint64_t end)
{
	uint64_t gib, a;

	for (a = start & ~0x1fffffULL; a < end; a += 0x200000) {
		uint64_t *pd;

		gib = a >> 30;
		if (gib >= 512)
			return -1;
		if (!(pdpt[gib] & 1)) {
			if (pd_used == PD_POOL)
				return -1;
			pdpt[gib] = (uint64_t)pd_pool[pd_used++] | 0x7;
		}
		pd = (uint64_t *)(pdpt[gib] & ~0xfffULL);
		pd[(a >> 21) & 511] = a | 0x87;
	}
	/* reload CR3: nothing stale may stay in the TLB */
	__asm__ __volatile__("mov %%cr3, %%rax; mov %%rax, %%cr3" ::
				     : "rax", "memory");
	return 0;
}

uint32_t this_cpu(void)
{
	return lapic_id();
}

/* from start64.S on the BSP */
void start64_c(const struct hvm_start_info *si)
{
	cpu_init_bsp();
	main(si);
	test_finish();
}
