/* SPDX-License-Identifier: GPL-2.0 */
/* What `kvmini run` was asked to do: filled by cli.c, read by the rest. */
#ifndef KVMINI_CONFIG_H
#define KVMINI_CONFIG_H

#include <stdint.h>

enum console_kind {
	CONSOLE_STDIO,
	CONSOLE_NONE,
	CONSOLE_FILE,
};

enum reboot_policy {
	REBOOT_EXIT,	/* a guest reboot ends kvmini with 0 */
	REBOOT_RESTART, /* a guest reboot starts the VM again */
};

#define DEFAULT_MEM_SIZE (512ULL << 20)
#define MIN_MEM_SIZE	 (2ULL << 20)
#define MAX_DISKS 16
#define DISK_SERIAL_MAX 20 /* virtio-blk GET_ID returns 20 bytes */

struct disk_config {
	const char *path;
	int read_only;
	int direct;		/* cache=none: O_DIRECT */
	int mmio;		/* transport=mmio instead of PCI */
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

struct vm_config {
	const char *kernel;
	const char *initrd;
	const char *cmdline;
	uint64_t mem_size;
	int nr_cpus;
	const char *name;
	enum console_kind console;
	const char *console_path;
	enum reboot_policy reboot;
	int test_exit; /* port 0xF4 ends the VM with (v << 1) | 1 */
	int nr_disks;
	struct disk_config disks[MAX_DISKS];
	int nr_nics;
	struct net_config nics[MAX_NICS];
	struct gdb_config gdb;
};

#endif
