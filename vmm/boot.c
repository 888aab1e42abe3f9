// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot.h"
#include "boot_multiboot.h"
#include "layout.h"
#include "vcpu.h"
#include "vm.h"

#define E820_TYPE_RAM	   1
#define E820_TYPE_RESERVED 2

#define X86_CR0_PE   (1ULL << 0)
#define X86_CR0_ET   (1ULL << 4)
#define X86_CR0_PG   (1ULL << 31)
#define X86_CR4_PAE  (1ULL << 5)
#define X86_EFER_LME (1ULL << 8)
#define X86_EFER_LMA (1ULL << 10)

#define PTE_PRESENT 0x1ULL
#define PTE_WRITE   0x2ULL
#define PTE_HUGE    0x80ULL

#define GDT_CODE64 0x10
#define GDT_DATA   0x18
#define GDT_CODE32 0x20
#define GDT_TSS	   0x28

static int open_regular(const char *path, struct stat *st, char *why)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(why, BOOT_WHY_LEN, "cannot open %s: %s", path,
			 strerror(errno));
		return -1;
	}
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		snprintf(why, BOOT_WHY_LEN, "%s is not a regular file", path);
		close(fd);
		return -1;
	}
	return fd;
}

static int read_full(int fd, void *buf, uint64_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len > (1 << 30) ? (1 << 30) : len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			errno = 0; /* end of file: the file shrank */
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

int boot_read_file(const char *path, uint64_t max, struct boot_image *img,
		   char *why)
{
	struct stat st;
	int fd = open_regular(path, &st, why);

	memset(img, 0, sizeof(*img));
	if (fd < 0)
		return -1;
	if ((uint64_t)st.st_size > max || st.st_size == 0) {
		snprintf(why, BOOT_WHY_LEN,
			 st.st_size ? "%s is too large (%lld bytes) for guest "
				      "RAM"
				    : "%s is empty",
			 path, (long long)st.st_size);
		close(fd);
		return -1;
	}
	img->path = path;
	img->size = st.st_size;
	img->data = malloc(img->size);
	if (!img->data || read_full(fd, img->data, img->size)) {
		snprintf(why, BOOT_WHY_LEN, "cannot read %s: %s", path,
			 !img->data ? "out of memory"
			 : errno    ? strerror(errno)
				    : "file shrank");
		close(fd);
		boot_free_image(img);
		return -1;
	}
	close(fd);
	return 0;
}

void boot_free_image(struct boot_image *img)
{
	free(img->data);
	img->data = NULL;
}

int boot_load_file_at(const struct guest_mem *mem, const char *path,
		      uint64_t gpa, uint64_t size, char *why)
{
	struct stat st;
	int fd = open_regular(path, &st, why);
	void *dst;
	int ret = -1;

	if (fd < 0)
		return -1;
	dst = gpa_ptr(mem, gpa, size);
	if ((uint64_t)st.st_size != size)
		snprintf(why, BOOT_WHY_LEN, "%s changed size while loading",
			 path);
	else if (!dst)
		snprintf(why, BOOT_WHY_LEN,
			 "%s: cannot place %llu bytes at "
			 "guest address 0x%llx",
			 path, (unsigned long long)size,
			 (unsigned long long)gpa);
	else if (read_full(fd, dst, size))
		snprintf(why, BOOT_WHY_LEN, "cannot read %s: %s", path,
			 errno ? strerror(errno) : "file shrank");
	else
		ret = 0;
	close(fd);
	return ret;
}

uint64_t boot_place_initrd(const struct guest_mem *mem, const char *path,
			   uint64_t lowest, uint64_t highest_end,
			   uint64_t *size, char *why)
{
	struct stat st;
	uint64_t top = guest_mem_low_end(mem), addr;
	int fd = open_regular(path, &st, why);

	if (fd < 0)
		return 0;
	close(fd);
	*size = st.st_size;
	if (highest_end && highest_end < top)
		top = highest_end;
	if (*size == 0 || *size > top || ((top - *size) & ~0xfffULL) < lowest) {
		snprintf(why, BOOT_WHY_LEN,
			 "initrd %s (%llu MiB) does not fit in guest RAM "
			 "beside the kernel; give more --mem",
			 path, (unsigned long long)(*size >> 20));
		return 0;
	}
	addr = (top - *size) & ~0xfffULL;
	if (boot_load_file_at(mem, path, addr, *size, why))
		return 0;
	return addr;
}

const char *boot_cmdline(const struct vm *vm)
{
	return vm->cmdline ? vm->cmdline : vm->cfg->cmdline;
}

int boot_write_cmdline(const struct guest_mem *mem, const char *cmdline,
		       uint64_t max_len, char *why)
{
	size_t len = strlen(cmdline);

	if (max_len > CMDLINE_MAX - 1)
		max_len = CMDLINE_MAX - 1;
	if (len > max_len) {
		snprintf(why, BOOT_WHY_LEN,
			 "kernel command line is %zu bytes; this kernel "
			 "accepts at most %llu",
			 len, (unsigned long long)max_len);
		return -1;
	}
	return guest_mem_write(mem, CMDLINE_ADDR, cmdline, len + 1);
}

static int add_range(struct boot_e820_entry *out, int n, int max, uint64_t addr,
		     uint64_t size, uint32_t type)
{
	if (n < max && size)
		out[n++] = (struct boot_e820_entry){ addr, size, type };
	return n;
}

int memmap_build_low(const struct guest_mem *mem, uint64_t low_ram_end,
		     struct boot_e820_entry *out, int max)
{
	uint64_t low_end = guest_mem_low_end(mem);
	int n = 0;

	/* conventional memory up to the EBDA (or the Multiboot info); the
	 * rest below 1 MiB is reserved */
	n = add_range(out, n, max, 0, low_ram_end, E820_TYPE_RAM);
	n = add_range(out, n, max, low_ram_end, BIOS_AREA_END - low_ram_end,
		      E820_TYPE_RESERVED);
	if (low_end > BIOS_AREA_END)
		n = add_range(out, n, max, BIOS_AREA_END,
			      low_end - BIOS_AREA_END, E820_TYPE_RAM);
	for (int i = 1; i < mem->nr_regions; i++)
		n = add_range(out, n, max, mem->regions[i].gpa,
			      mem->regions[i].size, E820_TYPE_RAM);
	return n;
}

int memmap_build(const struct guest_mem *mem, struct boot_e820_entry *out,
		 int max)
{
	return memmap_build_low(mem, EBDA_ADDR, out, max);
}

int linux_is_bzimage(const struct boot_image *img)
{
	return img->size >= 0x264 && img->data[0x1fe] == 0x55 &&
	       img->data[0x1ff] == 0xaa &&
	       memcmp(img->data + 0x202, "HdrS", 4) == 0;
}

enum kernel_format boot_detect_format(const uint8_t *data, size_t size)
{
	struct boot_image img = { .data = (uint8_t *)data, .size = size };
	struct multiboot_header mh;
	uint64_t off;

	if (linux_is_bzimage(&img))
		return KERNEL_FORMAT_BZIMAGE;
	if (multiboot_find_header(data, size, &mh, &off) == MULTIBOOT_FOUND)
		return KERNEL_FORMAT_MULTIBOOT;
	if (elf_is_elf(&img))
		return KERNEL_FORMAT_ELF;
	return KERNEL_FORMAT_AUTO;
}

static const char *const format_names[] = {
	[KERNEL_FORMAT_AUTO] = "of no known format",
	[KERNEL_FORMAT_BZIMAGE] = "a Linux bzImage",
	[KERNEL_FORMAT_ELF] = "an ELF kernel without a Multiboot header",
	[KERNEL_FORMAT_MULTIBOOT] = "a Multiboot kernel",
	[KERNEL_FORMAT_FLAT] = "a flat binary",
};

/* The format of the file's first 8 KiB; AUTO if it cannot be read. */
static enum kernel_format probe_format(const char *path)
{
	uint8_t head[MULTIBOOT_SEARCH_BYTES];
	struct stat st;
	int fd = open_regular(path, &st, (char[BOOT_WHY_LEN]){ 0 });
	ssize_t n;

	if (fd < 0)
		return KERNEL_FORMAT_AUTO;
	n = read(fd, head, sizeof(head));
	close(fd);
	return n > 0 ? boot_detect_format(head, n) : KERNEL_FORMAT_AUTO;
}

int boot_check_options(const struct vm_config *cfg, char *why)
{
	enum kernel_format fmt = cfg->kopts.format;

	if (!cfg->nr_modules || fmt == KERNEL_FORMAT_MULTIBOOT)
		return 0;
	if (fmt == KERNEL_FORMAT_AUTO)
		fmt = probe_format(cfg->kernel);
	if (fmt == KERNEL_FORMAT_AUTO || fmt == KERNEL_FORMAT_MULTIBOOT)
		return 0; /* unreadable or unknown: boot_load says why */
	snprintf(why, BOOT_WHY_LEN,
		 "--module needs a Multiboot kernel; %.150s is %s", cfg->kernel,
		 format_names[fmt]);
	return -1;
}

/* kvmini's structures that a flat image must not overwrite */
static const struct reserved_area {
	uint64_t start, end;
	const char *name;
	unsigned int modes; /* 1 << enum boot_mode */
} reserved_areas[] = {
	{ GDT_ADDR, GDT_ADDR + 0x30, "GDT",
	  1 << BOOT_MODE_32 | 1 << BOOT_MODE_64 },
	{ PML4_ADDR, PD_ADDR + 4 * 0x1000, "page tables", 1 << BOOT_MODE_64 },
	{ EBDA_ADDR, BIOS_AREA_END, "BIOS area (EBDA, ACPI and MP tables)",
	  ~0u },
};

const char *boot_reserved_overlap(uint64_t gpa, uint64_t len, int mode)
{
	for (size_t i = 0;
	     i < sizeof(reserved_areas) / sizeof(reserved_areas[0]); i++) {
		const struct reserved_area *r = &reserved_areas[i];

		if ((r->modes & (1u << mode)) && gpa < r->end &&
		    gpa + len > r->start)
			return r->name;
	}
	return NULL;
}

static int load_as(struct vm *vm, const struct boot_image *img,
		   enum kernel_format fmt, uint64_t rsdp,
		   struct boot_entry *entry, char *why)
{
	switch (fmt) {
	case KERNEL_FORMAT_BZIMAGE:
		if (linux_is_bzimage(img))
			return linux_load_bzimage(vm, img, rsdp, entry, why);
		break;
	case KERNEL_FORMAT_ELF:
		if (elf_is_elf(img))
			return elf_load(vm, img, rsdp, entry, why);
		break;
	case KERNEL_FORMAT_MULTIBOOT:
		return multiboot_load(vm, img, entry, why);
	case KERNEL_FORMAT_FLAT: return flat_load(vm, img, entry, why);
	default:
		snprintf(why, BOOT_WHY_LEN,
			 "%s is neither a Linux bzImage nor an ELF kernel nor "
			 "Multiboot (a raw binary needs format=flat,addr=ADDR)",
			 img->path);
		return -1;
	}
	snprintf(why, BOOT_WHY_LEN, "%s is not %s (format=%s)", img->path,
		 fmt == KERNEL_FORMAT_ELF ? "an ELF file" : "a Linux bzImage",
		 fmt == KERNEL_FORMAT_ELF ? "elf" : "bzimage");
	return -1;
}

int boot_load(struct vm *vm, uint64_t rsdp, struct boot_entry *entry, char *why)
{
	const struct vm_config *cfg = vm->cfg;
	enum kernel_format fmt = cfg->kopts.format;
	struct boot_image img;
	int ret;

	if (boot_read_file(cfg->kernel, vm->mem.total, &img, why))
		return -1;
	if (fmt == KERNEL_FORMAT_AUTO)
		fmt = boot_detect_format(img.data, img.size);
	if (cfg->nr_modules && fmt != KERNEL_FORMAT_MULTIBOOT) {
		snprintf(why, BOOT_WHY_LEN,
			 "--module needs a Multiboot kernel; %.150s is %s",
			 cfg->kernel, format_names[fmt]);
		ret = -1;
	} else {
		ret = load_as(vm, &img, fmt, rsdp, entry, why);
	}
	boot_free_image(&img);
	return ret;
}

static int write_gdt(const struct guest_mem *mem)
{
	const uint64_t gdt[] = {
		0,		       /* null */
		0,		       /* unused */
		0x00af9b000000ffffULL, /* 0x10: 64-bit code */
		0x00cf93000000ffffULL, /* 0x18: flat data */
		0x00cf9b000000ffffULL, /* 0x20: 32-bit code */
		0x00008b0000000067ULL, /* 0x28: 32-bit TSS (busy) */
	};

	return guest_mem_write(mem, GDT_ADDR, gdt, sizeof(gdt));
}

/* Identity map of the first 4 GiB with 2 MiB pages. */
static int write_page_tables(const struct guest_mem *mem)
{
	uint64_t *pml4 = gpa_ptr(mem, PML4_ADDR, 0x1000);
	uint64_t *pdpt = gpa_ptr(mem, PDPT_ADDR, 0x1000);
	uint64_t *pd = gpa_ptr(mem, PD_ADDR, 4 * 0x1000);

	if (!pml4 || !pdpt || !pd)
		return -1;
	memset(pml4, 0, 0x1000);
	memset(pdpt, 0, 0x1000);
	pml4[0] = PDPT_ADDR | PTE_PRESENT | PTE_WRITE;
	for (int i = 0; i < 4; i++)
		pdpt[i] = (PD_ADDR + i * 0x1000) | PTE_PRESENT | PTE_WRITE;
	for (uint64_t i = 0; i < 4 * 512; i++)
		pd[i] = (i << 21) | PTE_PRESENT | PTE_WRITE | PTE_HUGE;
	return 0;
}

static struct kvm_segment flat_segment(uint16_t sel, uint8_t type, int l,
				       int db)
{
	return (struct kvm_segment){ .base = 0,
				     .limit = 0xffffffff,
				     .selector = sel,
				     .type = type,
				     .present = 1,
				     .dpl = 0,
				     .db = db,
				     .s = 1,
				     .l = l,
				     .g = 1 };
}

static void set_protected_mode(struct kvm_sregs *s, int long_mode)
{
	struct kvm_segment data = flat_segment(GDT_DATA, 0x3, 0, 1);

	s->cs = long_mode ? flat_segment(GDT_CODE64, 0xb, 1, 0)
			  : flat_segment(GDT_CODE32, 0xb, 0, 1);
	s->ds = s->es = s->fs = s->gs = s->ss = data;
	s->tr = (struct kvm_segment){ .base = 0,
				      .limit = 0x67,
				      .selector = GDT_TSS,
				      .type = 0xb,
				      .present = 1 };
	s->gdt.base = GDT_ADDR;
	s->gdt.limit = 6 * 8 - 1;
	s->cr0 = X86_CR0_PE | X86_CR0_ET;
	s->cr4 = 0;
	s->efer = 0;
	if (long_mode) {
		s->cr3 = PML4_ADDR;
		s->cr4 |= X86_CR4_PAE;
		s->cr0 |= X86_CR0_PG;
		s->efer |= X86_EFER_LME | X86_EFER_LMA;
	}
}

/* Real mode at real_seg:rip, every data segment the same as CS. */
static void set_real_mode(struct kvm_sregs *s, uint16_t seg)
{
	struct kvm_segment r = { .base = (uint64_t)seg << 4,
				 .limit = 0xffff,
				 .selector = seg,
				 .type = 0x3,
				 .present = 1,
				 .s = 1 };

	s->ds = s->es = s->ss = r;
	r.type = 0xb;
	s->cs = r;
	r = (struct kvm_segment){
		.limit = 0xffff, .type = 0x3, .present = 1, .s = 1
	};
	s->fs = s->gs = r;
	s->cr0 &= ~(X86_CR0_PE | X86_CR0_PG);
	s->cr4 = 0;
	s->efer = 0;
}

int boot_setup_bsp(struct vcpu *bsp, const struct boot_entry *entry)
{
	const struct guest_mem *mem = &bsp->vm->mem;
	int long_mode = entry->mode == BOOT_MODE_64;
	int real_mode = entry->mode == BOOT_MODE_REAL;
	struct kvm_sregs sregs;
	struct kvm_regs regs = { .rflags = 0x2,
				 .rip = entry->rip,
				 .rsi = entry->rsi,
				 .rbx = entry->rbx,
				 .rax = entry->rax,
				 .rsp = entry->rsp };

	/* real-mode guests get nothing written below 1 MiB (docs) */
	if (!real_mode &&
	    (write_gdt(mem) || (long_mode && write_page_tables(mem))))
		return -1;
	if (ioctl(bsp->fd, KVM_GET_SREGS, &sregs) < 0)
		return -1;
	if (real_mode)
		set_real_mode(&sregs, entry->real_seg);
	else
		set_protected_mode(&sregs, long_mode);
	if (ioctl(bsp->fd, KVM_SET_SREGS, &sregs) < 0)
		return -1;
	return ioctl(bsp->fd, KVM_SET_REGS, &regs);
}
