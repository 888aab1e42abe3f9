// SPDX-License-Identifier: GPL-2.0
/*
 * Taps are opened without IFF_PERSIST: when kvmini's descriptor closes,
 * on any exit path including SIGKILL, the kernel deletes a tap kvmini
 * created and takes it off its bridge.  An existing persistent tap that
 * the user named is left as it was found (only detached from the bridge
 * kvmini attached it to).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "tap.h"

#define VNET_HDR_LEN 12 /* struct virtio_net_hdr_v1 */

static int ifreq_ioctl(unsigned long req, struct ifreq *ifr)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int ret;

	if (s < 0)
		return -1;
	ret = ioctl(s, req, ifr);
	if (ret < 0) {
		int e = errno;

		close(s);
		errno = e;
		return -1;
	}
	close(s);
	return 0;
}

static int set_up(const char *name)
{
	struct ifreq ifr = { 0 };

	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (ifreq_ioctl(SIOCGIFFLAGS, &ifr))
		return -1;
	if (ifr.ifr_flags & IFF_UP)
		return 0; /* a user's persistent tap: no CAP_NET_ADMIN needed */
	ifr.ifr_flags |= IFF_UP;
	return ifreq_ioctl(SIOCSIFFLAGS, &ifr);
}

static int bridge_ctl(const char *bridge, const char *tap, unsigned long req)
{
	struct ifreq ifr = { 0 };

	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", bridge);
	ifr.ifr_ifindex = if_nametoindex(tap);
	if (!ifr.ifr_ifindex)
		return -1;
	return ifreq_ioctl(req, &ifr);
}

static const char *tun_hint(int e)
{
	if (e == EACCES || e == EPERM)
		return " (needs CAP_NET_ADMIN: run as root)";
	if (e == EBUSY)
		return " (another process has it open)";
	if (e == ENOENT || e == ENODEV)
		return " (modprobe tun)";
	return "";
}

int tap_open(struct tap *t, const char *name, const char *bridge)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };
	int hdr = VNET_HDR_LEN;

	memset(t, 0, sizeof(*t));
	if (bridge && !if_nametoindex(bridge)) {
		err("bridge %s does not exist (create it: ip link add %s type "
		    "bridge; see tools/net-setup.sh)",
		    bridge, bridge);
		return -1;
	}
	t->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (t->fd < 0) {
		err("cannot open /dev/net/tun: %s%s", strerror(errno),
		    tun_hint(errno));
		return -1;
	}
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name && *name ? name : "vnet%d");
	if (ioctl(t->fd, TUNSETIFF, &ifr) < 0) {
		err("cannot attach to tap %s: %s%s", ifr.ifr_name,
		    strerror(errno), tun_hint(errno));
		goto fail;
	}
	snprintf(t->name, IFNAMSIZ, "%s", ifr.ifr_name);
	if (ioctl(t->fd, TUNSETVNETHDRSZ, &hdr) < 0 || set_up(t->name)) {
		err("cannot configure tap %s: %s%s", t->name, strerror(errno),
		    tun_hint(errno));
		goto fail;
	}
	if (bridge) {
		if (bridge_ctl(bridge, t->name, SIOCBRADDIF)) {
			err("cannot add %s to bridge %s: %s", t->name, bridge,
			    strerror(errno));
			goto fail;
		}
		snprintf(t->bridge, IFNAMSIZ, "%s", bridge);
	}
	return 0;
fail:
	close(t->fd);
	t->fd = -1;
	return -1;
}

void tap_close(struct tap *t)
{
	if (t->fd < 0)
		return;
	if (t->bridge[0])
		bridge_ctl(t->bridge, t->name, SIOCBRDELIF);
	close(t->fd);
	t->fd = -1;
}

int tap_set_offload(struct tap *t, unsigned int flags)
{
	return ioctl(t->fd, TUNSETOFFLOAD, flags);
}
