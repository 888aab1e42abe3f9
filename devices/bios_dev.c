// SPDX-License-Identifier: GPL-2.0
/*
 * kvmini's side of the firmware (bios/): a private port interface instead
 * of a virtio driver in the BIOS.  Real-mode code runs in KVM's
 * instruction emulator on some hosts (PVM) and every port access is an
 * exit, so one INT 13h call costs six register writes and one status read
 * here; the firmware stays small, and the disk I/O is the same host
 * backend (virtio_blk_sync_rw) with the same range and ro checks.
 *
 * The command runs synchronously inside the vCPU's port write: when the
 * firmware reads STATUS the transfer is complete.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "../bios/abi.h"
#include "bios_dev.h"
#include "bus.h"
#include "log.h"
#include "virtio_blk.h"
#include "vm.h"

#define SECTOR_SIZE 512ULL

struct bios_dev {
	struct vm *vm;
	pthread_mutex_t lock; /* the registers: any vCPU may use the port */
	struct bios_drive drives[MAX_DISKS];
	int nr_drives;
	uint32_t regs[BIOS_DISK_PORT_LEN / 4];
	uint8_t status;
	uint64_t unknown_calls; /* also the bios-debug region's writes */
	uint16_t last_unknown;
};

uint8_t bios_disk_check(const struct guest_mem *mem,
			const struct bios_drive *drives, int nr_drives,
			const struct bios_disk_req *r, void **host)
{
	const struct bios_drive *d;
	uint64_t len;

	*host = NULL;
	if (r->cmd != BIOS_DISK_CMD_READ && r->cmd != BIOS_DISK_CMD_WRITE)
		return BIOS_ST_BAD_COMMAND;
	if (r->drive >= (uint32_t)nr_drives || r->count > BIOS_DISK_MAX_COUNT)
		return BIOS_ST_BAD_COMMAND;
	d = &drives[r->drive];
	if (r->cmd == BIOS_DISK_CMD_WRITE && d->read_only)
		return BIOS_ST_WRITE_PROTECT;
	/* lba + count, both bounded: count <= 0xffff, lba checked first */
	if (r->lba > d->sectors || r->count > d->sectors - r->lba)
		return BIOS_ST_NOT_FOUND;
	len = (uint64_t)r->count * SECTOR_SIZE;
	if (!len)
		return BIOS_ST_OK; /* nothing to move: a valid no-op */
	*host = gpa_ptr(mem, r->buf, len);
	return *host ? BIOS_ST_OK : BIOS_ST_BOUNDARY;
}

static void disk_command(struct bios_dev *dev, uint32_t cmd)
{
	struct bios_disk_req r = {
		.cmd = cmd,
		.drive = dev->regs[BIOS_DISK_DRIVE / 4],
		.count = dev->regs[BIOS_DISK_COUNT / 4],
		.buf = dev->regs[BIOS_DISK_BUF / 4],
		.lba = (uint64_t)dev->regs[BIOS_DISK_LBA_HI / 4] << 32 |
		       dev->regs[BIOS_DISK_LBA_LO / 4],
	};
	void *host;

	dev->status = bios_disk_check(&dev->vm->mem, dev->drives,
				      dev->nr_drives, &r, &host);
	if (dev->status != BIOS_ST_OK || !host)
		return;
	if (virtio_blk_sync_rw(dev->drives[r.drive].blk,
			       cmd == BIOS_DISK_CMD_WRITE, r.lba, host,
			       r.count * SECTOR_SIZE))
		dev->status = BIOS_ST_HOST_ERROR;
}

static uint64_t disk_read(void *opaque, uint64_t off, unsigned int size)
{
	struct bios_dev *dev = opaque;
	uint64_t val = ~0ULL;

	pthread_mutex_lock(&dev->lock);
	if (off == BIOS_DISK_CMD)
		val = dev->status;
	else if (off % 4 == 0 && off < BIOS_DISK_PORT_LEN)
		val = dev->regs[off / 4];
	pthread_mutex_unlock(&dev->lock);
	return val;
}

/* Registers take 1-, 2- or 4-byte writes inside one register. */
static void disk_write(void *opaque, uint64_t off, unsigned int size,
		       uint64_t val)
{
	struct bios_dev *dev = opaque;
	unsigned int shift = (off % 4) * 8;
	uint64_t mask = size >= 4 ? 0xffffffffULL : (1ULL << (8 * size)) - 1;

	if (off >= BIOS_DISK_PORT_LEN || off % 4 + size > 4)
		return;
	pthread_mutex_lock(&dev->lock);
	if (off == BIOS_DISK_CMD)
		disk_command(dev, (uint32_t)(val & mask));
	else
		dev->regs[off / 4] =
			(dev->regs[off / 4] & ~(uint32_t)(mask << shift)) |
			(uint32_t)((val & mask) << shift);
	pthread_mutex_unlock(&dev->lock);
}

static uint64_t debug_read(void *opaque, uint64_t off, unsigned int size)
{
	return 0;
}

static void debug_write(void *opaque, uint64_t off, unsigned int size,
			uint64_t val)
{
	struct bios_dev *dev = opaque;

	if (off == BIOS_DEBUG_UNKNOWN) {
		__atomic_add_fetch(&dev->unknown_calls, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&dev->last_unknown, (uint16_t)val,
				 __ATOMIC_RELAXED);
		return;
	}
	if (off != BIOS_DEBUG_STOP)
		return;
	if ((val & 0xff) == BIOS_STOP_NO_BOOT)
		err("BIOS: no bootable disk (drive 0x80 has no 0x55AA boot "
		    "signature)");
	else
		err("BIOS: stopped with code %u", (unsigned int)(val & 0xff));
	vm_request_stop(dev->vm, VM_STOP_ERROR, EXIT_FAILURE_RT);
}

/* A20 is always on (KVM has no A20 gate); bit 0 resets the machine. */
static uint64_t port92_read(void *opaque, uint64_t off, unsigned int size)
{
	return 0x02;
}

static void port92_write(void *opaque, uint64_t off, unsigned int size,
			 uint64_t val)
{
	if (val & 1)
		vm_request_stop(opaque, VM_STOP_REBOOT, EXIT_OK);
}

static const struct io_ops disk_ops = { .read = disk_read,
					.write = disk_write };
static const struct io_ops debug_ops = { .read = debug_read,
					 .write = debug_write };
static const struct io_ops port92_ops = { .read = port92_read,
					  .write = port92_write };

/* With --stats: the unknown calls, by name (the device line counts). */
static void report_unknown(void *arg)
{
	struct bios_dev *dev = arg;

	if (dev->vm->cfg->stats && dev->unknown_calls)
		fprintf(stderr,
			"bios: %llu unknown call(s), last INT %02xh AH=%02xh\n",
			(unsigned long long)dev->unknown_calls,
			dev->last_unknown >> 8, dev->last_unknown & 0xff);
}

int bios_dev_create(struct vm *vm)
{
	struct bios_dev *dev = calloc(1, sizeof(*dev));

	if (!dev)
		return -1;
	vm_own_device(vm, dev);
	dev->vm = vm;
	pthread_mutex_init(&dev->lock, NULL);
	for (int i = 0; i < vm->nr_blk; i++)
		dev->drives[i] = (struct bios_drive){
			.sectors = virtio_blk_sectors(vm->blk[i]),
			.read_only = virtio_blk_is_read_only(vm->blk[i]),
			.blk = vm->blk[i],
		};
	dev->nr_drives = vm->nr_blk;
	vm->bios = dev;
	vm_on_destroy(vm, report_unknown, dev);
	if (bus_register(&vm->pio, BIOS_DISK_PORT, BIOS_DISK_PORT_LEN,
			 "bios-disk", &disk_ops, dev) ||
	    bus_register(&vm->pio, BIOS_DEBUG_PORT, BIOS_DEBUG_PORT_LEN,
			 "bios-debug", &debug_ops, dev) ||
	    bus_register(&vm->pio, BIOS_PORT92, 1, "port92", &port92_ops, vm))
		return -1;
	return 0;
}
