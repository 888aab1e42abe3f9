/*
 * Port I/O exits of every width, in and out, and string I/O (rep
 * ins/outs), each read back through a real kvmini device:
 *   1 byte:  the COM1 scratch register (0x3ff)
 *   2 bytes: ACPI PM1 enable (0x602)
 *   4 bytes: the PCI configuration address latch (0xcf8)
 *   1/2/4 byte reads of configuration data (0xcfc..0xcff): the host
 *   bridge's vendor/device ID, 1b36:0008
 * then the same scalar accesses again at CPL3 with IOPL 3 (kvm_pvm raises
 * #GP there: with "pvm=1" on the command line that is a SKIP).  rep outsb
 * prints "rep-outsb: string I/O to COM1" (the runner looks for it).
 */
#include "args.h"
#include "cpu.h"
#include "runtime.h"
#include "serial.h"
#include "test.h"

#define COM1_SCR      0x3ff
#define PM1_EN	      0x602
#define CONF_ADDR     0xcf8
#define CONF_DATA     0xcfc
#define HOSTBRIDGE_ID 0x00081b36u

/* the scalar checks: a bit per failed one, so CPL3 can run them too */
static uint64_t scalar_checks(uint64_t unused)
{
	uint64_t bad = 0;

	(void)unused;
	outb(COM1_SCR, 0xa5);
	bad |= (inb(COM1_SCR) != 0xa5) << 0;
	outb(COM1_SCR, 0x5a);
	bad |= (inb(COM1_SCR) != 0x5a) << 1;
	outw(PM1_EN, 0x0121);
	bad |= (uint64_t)(inw(PM1_EN) != 0x0121) << 2;
	outw(PM1_EN, 0);
	bad |= (uint64_t)(inw(PM1_EN) != 0) << 3;
	outl(CONF_ADDR, 0x80000008);
	bad |= (uint64_t)(inl(CONF_ADDR) != 0x80000008) << 4;
	outl(CONF_ADDR, 0x80000000);
	bad |= (uint64_t)(inl(CONF_ADDR) != 0x80000000) << 5;
	bad |= (uint64_t)(inl(CONF_DATA) != HOSTBRIDGE_ID) << 6;
	bad |= (uint64_t)(inw(CONF_DATA) != 0x1b36) << 7;
	bad |= (uint64_t)(inw(CONF_DATA + 2) != 0x0008) << 8;
	bad |= (uint64_t)(inb(CONF_DATA) != 0x36) << 9;
	bad |= (uint64_t)(inb(CONF_DATA + 1) != 0x1b) << 10;
	bad |= (uint64_t)(inb(CONF_DATA + 2) != 0x08) << 11;
	bad |= (uint64_t)(inb(CONF_DATA + 3) != 0x00) << 12;
	outl(CONF_ADDR, 0);
	return bad;
}

static const char *const scalar_names[] = {
	"outb/inb 0x3ff = a5",
	"outb/inb 0x3ff = 5a",
	"outw/inw 0x602 = 0121",
	"outw/inw 0x602 = 0",
	"outl/inl 0xcf8 = 80000008",
	"outl/inl 0xcf8 = 80000000",
	"inl 0xcfc = 00081b36",
	"inw 0xcfc = 1b36",
	"inw 0xcfe = 0008",
	"inb 0xcfc = 36",
	"inb 0xcfd = 1b",
	"inb 0xcfe = 08",
	"inb 0xcff = 00",
};

static void report(const char *name, uint64_t bad)
{
	if (!bad) {
		test_pass(name);
		return;
	}
	for (unsigned int i = 0; i < 13; i++)
		if (bad & (1ULL << i))
			test_fail(name, "%s read back wrong", scalar_names[i]);
}

static void rep_ins_outs(void)
{
	static const char msg[] = "rep-outsb: string I/O to COM1\n";
	static const uint32_t addrs[2] = { 0x80000008, 0x80000000 };
	static const uint16_t en[3] = { 0x0001, 0x0100, 0x0020 };
	uint8_t b[16];
	uint16_t w[8];
	uint32_t l[8];
	int ok;
	void *p;
	uint64_t n;

	p = (void *)msg, n = sizeof(msg) - 1;
	__asm__ __volatile__("rep outsb"
			     : "+S"(p), "+c"(n)
			     : "d"(0x3f8)
			     : "memory");
	test_check(n == 0, "io_rep_outsb", "rcx %llu left",
		   (unsigned long long)n);

	outb(COM1_SCR, 0x77);
	memset(b, 0, sizeof(b));
	p = b, n = sizeof(b);
	__asm__ __volatile__("rep insb"
			     : "+D"(p), "+c"(n)
			     : "d"(COM1_SCR)
			     : "memory");
	ok = n == 0;
	for (unsigned int i = 0; i < sizeof(b); i++)
		ok &= b[i] == 0x77;
	test_check(ok, "io_rep_insb", "16 reads of 0x3ff are not all 0x77");

	p = (void *)en, n = 3;
	__asm__ __volatile__("rep outsw"
			     : "+S"(p), "+c"(n)
			     : "d"(PM1_EN)
			     : "memory");
	test_check(n == 0 && inw(PM1_EN) == 0x0020, "io_rep_outsw",
		   "PM1_EN %x after rep outsw, want the last word 0020",
		   inw(PM1_EN));
	outw(PM1_EN, 0);

	p = (void *)addrs, n = 2;
	__asm__ __volatile__("rep outsl"
			     : "+S"(p), "+c"(n)
			     : "d"(CONF_ADDR)
			     : "memory");
	test_check(n == 0 && inl(CONF_ADDR) == 0x80000000, "io_rep_outsl",
		   "0xcf8 %x after rep outsl, want the last dword 80000000",
		   inl(CONF_ADDR));

	memset(w, 0, sizeof(w));
	p = w, n = 8;
	__asm__ __volatile__("rep insw"
			     : "+D"(p), "+c"(n)
			     : "d"(CONF_DATA)
			     : "memory");
	ok = n == 0;
	for (unsigned int i = 0; i < 8; i++)
		ok &= w[i] == 0x1b36;
	test_check(ok, "io_rep_insw", "8 reads of 0xcfc are not all 1b36");

	memset(l, 0, sizeof(l));
	p = l, n = 8;
	__asm__ __volatile__("rep insl"
			     : "+D"(p), "+c"(n)
			     : "d"(CONF_DATA)
			     : "memory");
	ok = n == 0;
	for (unsigned int i = 0; i < 8; i++)
		ok &= l[i] == HOSTBRIDGE_ID;
	test_check(ok, "io_rep_insl", "8 reads of 0xcfc are not all 00081b36");
	outl(CONF_ADDR, 0);
}

int main(const struct hvm_start_info *si)
{
	uint64_t bad;

	report("io_widths_cpl0", scalar_checks(0));
	rep_ins_outs();
	bad = run_user(scalar_checks, 0, 0, 1);
	if (user_fault_vector == 13 && cmdline_has(si, "pvm=1"))
		printf("SKIP io_widths_cpl3: #GP on in/out at CPL3 with IOPL 3 "
		       "(kvm_pvm does not give CPL3 an IOPL)\n");
	else if (user_fault_vector >= 0)
		test_fail("io_widths_cpl3", "exception %d at CPL3 with IOPL 3",
			  user_fault_vector);
	else
		report("io_widths_cpl3", bad);
	return 0;
}
