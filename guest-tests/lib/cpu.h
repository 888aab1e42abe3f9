/*
 * The 64-bit guest runtime: long mode entered from the PVH 32-bit entry
 * (lib/start64.S), a GDT with user segments and a TSS, an IDT whose stubs
 * (lib/isr64.S) call C handlers with the vector and the saved frame,
 * faults that resume at a fixup point (rdmsr_safe), CPL3 for heavy loops,
 * and identity-mapped page tables.
 *
 * Memory map of the 64-bit guests (kvmini owns everything below 1 MiB
 * except the trampoline page):
 *   0x00010000  the AP real-mode trampoline (SIPI vector 0x10)
 *   0x00080000  top of the BSP's stack
 *   0x00100000  the image: code, data, .bss (page tables, IDT, GDT, TSS)
 *   0x00200000  dma_alloc() arena (16 MiB)
 *   0x01200000  scratch for tests (USER_SCRATCH, 13 MiB): CPL3 buffers
 *   0x01f00000  top of the CPL3 stack (grows down)
 *   0x01f00000  AP stacks up from here, AP_STACK_SIZE each, by APIC ID
 * so the 64-bit guests want --mem 32M or more (run.sh gives 64M).
 */
#ifndef GUEST_CPU_H
#define GUEST_CPU_H

#include <stdint.h>

#define SEL_KCODE   0x08
#define SEL_KDATA   0x10
#define SEL_KCODE32 0x18
#define SEL_UDATA   0x23 /* RPL 3 */
#define SEL_UCODE   0x2b
#define SEL_TSS	    0x30

#define USER_SCRATCH	0x01200000ULL
#define USER_SCRATCH_SZ 0x00d00000ULL
#define USER_STACK_TOP	0x01f00000ULL
#define AP_STACK_BASE	0x01f00000ULL
#define AP_STACK_SIZE	0x4000ULL
#define MAX_CPUS	64

/* vectors the runtime uses */
#define VEC_USER_RETURN 0x81 /* int from CPL3: back to run_user's caller */
#define VEC_SPURIOUS	0xff

/* what isr64.S saves, lowest address first */
struct int_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

typedef void (*int_handler)(struct int_frame *f);

/* set up IDT, GDT with TSS on this CPU (the BSP: start64.S calls it) */
void cpu_init_bsp(void);
/* load the shared GDT and IDT on an AP (no TSS: APs stay at CPL0) */
void cpu_init_ap(void);
/* handler for a vector; NULL restores the default (exceptions: FAIL and
 * end the test; interrupts: count as unexpected) */
void set_int_handler(uint8_t vector, int_handler h);
/* interrupts with no handler seen so far */
extern volatile uint32_t unexpected_interrupts;

/* set by a fault that hit an instruction listed in .extable (the
 * *_safe helpers): the vector, else -1 */
extern volatile int fault_vector;

static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ __volatile__("cpuid"
			     : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			     : "a"(leaf), "c"(sub));
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ __volatile__("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ __volatile__("wrmsr"
			     :
			     : "c"(msr), "a"((uint32_t)v),
			       "d"((uint32_t)(v >> 32))
			     : "memory");
}

/* rdmsr/wrmsr that survive a #GP: return the fault vector or 0 */
int rdmsr_safe(uint32_t msr, uint64_t *v);
int wrmsr_safe(uint32_t msr, uint64_t v);

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static inline void irq_enable(void)
{
	__asm__ __volatile__("sti" ::: "memory");
}

static inline void irq_disable(void)
{
	__asm__ __volatile__("cli" ::: "memory");
}

/* sti; hlt as one step: an interrupt pending after sti wakes the hlt */
static inline void safe_halt(void)
{
	__asm__ __volatile__("sti; hlt" ::: "memory");
}

static inline void cpu_relax(void)
{
	__asm__ __volatile__("pause" ::: "memory");
}

/*
 * Run fn(arg) at CPL3 on the user stack and return its result.  Interrupts
 * are on during the call when irqs is set (they come back through the TSS's
 * RSP0), and iopl3 lets CPL3 use in/out.  fn returns to a stub that runs
 * a ud2 that brings it back to CPL0.  An exception at CPL3 (with no handler
 * set for its vector) also ends the call: run_user returns 0 and
 * user_fault_vector says which one (it is -1 after a clean return).
 */
extern volatile int user_fault_vector;
uint64_t run_user(uint64_t (*fn)(uint64_t), uint64_t arg, int irqs, int iopl3);
/* the CPL3 code: a CPL check from user code */
static inline unsigned int current_cpl(void)
{
	uint16_t cs;

	__asm__ __volatile__("mov %%cs, %0" : "=r"(cs));
	return cs & 3;
}

/*
 * Identity map [start, end) with 2 MiB pages, user-accessible and
 * writable; the first 4 GiB are mapped at boot.  Returns 0, or -1 when
 * the page-table pool is used up (16 GiB more).
 */
int map_identity(uint64_t start, uint64_t end);

/* CPU index of the caller: its LAPIC ID (kvmini numbers vCPUs 0..n-1) */
uint32_t this_cpu(void);

#endif
