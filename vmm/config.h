/* SPDX-License-Identifier: GPL-2.0 */
/* What `kvmini run` was asked to do: filled by cli.c, read by the rest. */
#ifndef KVMINI_CONFIG_H
#define KVMINI_CONFIG_H

#include <stdint.h>

struct console_sock;

enum console_kind {
	CONSOLE_STDIO,
	CONSOLE_NONE,
	CONSOLE_FILE,
	CONSOLE_SOCKET, /* ring + rundir/NAME.console (console_sock.h) */
};

enum reboot_policy {
	REBOOT_EXIT,	/* a guest reboot ends kvmini with 0 */
	REBOOT_RESTART, /* a guest reboot starts the VM again */
};

#define DEFAULT_MEM_SIZE (512ULL << 20)
#define MIN_MEM_SIZE	 (2ULL << 20)
#define MAX_DISKS 16
#define DISK_SERIAL_MAX 20 /* virtio-blk GET_ID returns 20 bytes */
#define DISK_QUEUES_MAX 8  /* VIRTIO_MAX_QUEUES in devices/virtio.h */

/* aio=: io_uring where the kernel has it (auto), or insist on one */
enum disk_aio {
	DISK_AIO_AUTO,
	DISK_AIO_URING,
	DISK_AIO_SYNC,
};

struct disk_config {
	const char *path;
	int read_only;
	int direct;		/* cache=none: O_DIRECT */
	int mmio;		/* transport=mmio instead of PCI */
	enum disk_aio aio;	/* aio=: how the device loop does its I/O */
	unsigned int queues;	/* queues=: request queues; 0: one per vCPU */
	char serial[DISK_SERIAL_MAX + 1];
};

#define MAX_NICS 8
#define NIC_NAME_MAX 16 /* IFNAMSIZ */

struct net_config {
	char tap[NIC_NAME_MAX];	  /* tap=NAME, or "" */
	char bridge[NIC_NAME_MAX]; /* bridge=BR, or "" */
	uint8_t mac[6];
	int has_mac;
};

enum trace_format {
	TRACE_TEXT, /* aligned columns */
	TRACE_JSON, /* one JSON object per line */
};

#define SINGLE_STEP_DEFAULT 1000
#define SINGLE_STEP_MAX	    1000000000

/* --kernel FILE[,format=...][,addr=][,entry=][,mode=] (docs/boot-formats.md) */
enum kernel_format {
	KERNEL_FORMAT_AUTO, /* bzImage, then Multiboot header, then ELF */
	KERNEL_FORMAT_BZIMAGE,
	KERNEL_FORMAT_ELF,
	KERNEL_FORMAT_MULTIBOOT,
	KERNEL_FORMAT_FLAT,
};

enum flat_mode {
	FLAT_MODE_DEFAULT, /* real below 1 MiB, else 32 */
	FLAT_MODE_REAL,
	FLAT_MODE_32,
	FLAT_MODE_64,
};

struct kernel_options {
	enum kernel_format format;
	int has_addr, has_entry;
	uint64_t addr, entry; /* format=flat only */
	enum flat_mode mode;
};

#define MAX_MODULES 16 /* --module; the initrd comes first, as module 0 */

struct module_config {
	const char *path;
	const char *cmdline; /* NULL: the guest sees the path */
};

enum gdb_transport {
	GDB_OFF,
	GDB_TCP,
	GDB_UNIX,
};

#define GDB_HOST_MAX 64
#define GDB_PATH_MAX 108 /* sizeof(sun_path) */

/* --gdb tcp:HOST:PORT | unix:PATH, --gdb-wait */
struct gdb_config {
	enum gdb_transport transport;
	char host[GDB_HOST_MAX]; /* IPv4 literal; "" never (127.0.0.1) */
	int port;		 /* 0: the kernel picks one, printed */
	char path[GDB_PATH_MAX];
	int wait; /* vCPUs wait for gdb before the first instruction */
};

#define MAX_CPUS	 254 /* 8-bit APIC IDs: 0xff is broadcast, IOAPIC takes n */

/* --boot: what the VM starts (default: kernel with --kernel, else disk) */
enum boot_source {
	BOOT_KERNEL, /* kvmini loads --kernel itself */
	BOOT_DISK,   /* the firmware (bios/) boots drive 0x80 */
};

/* --seccomp (vmm/seccomp.h) */
enum seccomp_mode {
	SECCOMP_MODE_DEFAULT, /* on; log in sanitizer builds */
	SECCOMP_MODE_ON,
	SECCOMP_MODE_OFF,
	SECCOMP_MODE_LOG,
};

struct vm_config {
	enum boot_source boot;
	int boot_given; /* --boot was on the command line */
	const char *kernel;
	struct kernel_options kopts;
	int nr_modules;
	struct module_config modules[MAX_MODULES];
	const char *initrd;
	const char *cmdline;
	uint64_t mem_size;
	int nr_cpus;
	const char *name;
	enum console_kind console;
	const char *console_path;
	int console_given;		   /* --console was on the command line */
	struct console_sock *console_sock; /* CONSOLE_SOCKET: made by run */
	int detach;			   /* --detach */
	const char *log_path;		   /* --log FILE, with --detach */
	enum reboot_policy reboot;
	int test_exit; /* port 0xF4 ends the VM with (v << 1) | 1 */
	int nr_disks;
	struct disk_config disks[MAX_DISKS];
	int nr_nics;
	struct net_config nics[MAX_NICS];
	/* observing exits (docs/tracing.md) */
	int trace_exits;	    /* --trace exits[=FILE] */
	const char *trace_path; /* NULL: stderr, "-": stdout */
	enum trace_format trace_format;
	int stats;		    /* --stats */
	uint64_t single_step;	    /* steps to trace on vCPU 0; 0 = off */
	struct gdb_config gdb;
	/* guest RAM backing (vmm/guest_mem.c) */
	int ksm;		    /* --ksm: madvise(MADV_MERGEABLE) */
	int hugepages;		    /* --hugepages[=DIR] */
	const char *hugepages_path; /* DIR, a hugetlbfs mount; NULL: THP */
	/* hardening (docs/threat-model.md) */
	enum seccomp_mode seccomp;
	const char *user;	/* --user USER[:GROUP], or NULL */
	const char *chroot_dir; /* --chroot DIR, or NULL */
};

#endif
