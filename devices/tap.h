/* SPDX-License-Identifier: GPL-2.0 */
/* Host side of a virtual NIC: a tap device, optionally on a bridge. */
#ifndef KVMINI_TAP_H
#define KVMINI_TAP_H

#include <net/if.h>

struct tap {
	int fd;
	char name[IFNAMSIZ];
	char bridge[IFNAMSIZ]; /* attached to this bridge, or "" */
};

/*
 * Opens tap @name (created if it does not exist; "" picks vnetN) with
 * IFF_VNET_HDR and a 12-byte virtio 1.x header, sets it up and, with a
 * @bridge, attaches it.  On failure prints one line and returns -1.
 */
int tap_open(struct tap *t, const char *name, const char *bridge);
/* Detaches from the bridge and closes (a tap kvmini made disappears). */
void tap_close(struct tap *t);
/* TUNSETOFFLOAD flags (TUN_F_*) matching what the guest accepts. */
int tap_set_offload(struct tap *t, unsigned int flags);

#endif
