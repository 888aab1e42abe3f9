/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The firmware's private ports (bios/abi.h, bios/README.md): synchronous
 * disk I/O for INT 13h, the unknown-call and stop reports, and port 0x92.
 * Registered only when the firmware boots the VM (--boot disk).
 */
#ifndef KVMINI_BIOS_DEV_H
#define KVMINI_BIOS_DEV_H

#include <stdint.h>

#include "guest_mem.h"

struct vm;
struct virtio_blk;

struct bios_drive {
	uint64_t sectors;
	int read_only;
	struct virtio_blk *blk; /* NULL in unit tests */
};

struct bios_disk_req {
	uint32_t cmd, drive, count, buf;
	uint64_t lba;
};

/*
 * Validates @r against the drives and guest RAM; returns BIOS_ST_OK and
 * the host pointer of the guest buffer in @host, or an INT 13h error.
 * Nothing here trusts the guest: every field is checked, overflow-safe.
 */
uint8_t bios_disk_check(const struct guest_mem *mem,
			const struct bios_drive *drives, int nr_drives,
			const struct bios_disk_req *r, void **host);

int bios_dev_create(struct vm *vm);

#endif
