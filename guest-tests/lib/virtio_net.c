/*
 * virtio-net driver pieces for the test guests: see virtio_net.h.
 */
#include "virtio_net.h"
#include "args.h"
#include "io.h"
#include "runtime.h"
#include "serial.h"

int net_find(struct net *n, uint16_t qsize)
{
	struct pci_dev d;

	memset(n, 0, sizeof(*n));
	if (!pci_find(VIRTIO_PCI_VENDOR, VIRTIO_ID_NET_PCI, &d)) {
		puts("no virtio-net device (1af4:1041) on PCI bus 0\n");
		return -1;
	}
	printf("virtio-net at %02x:%02x.%x rev %u\n", d.bus, d.slot, d.func,
	       d.revision);
	if (d.revision < 1) {
		puts("virtio-net: revision 0 is not a modern-only device\n");
		return -1;
	}
	if (vpci_open(&n->vp, &d))
		return -1;
	if (!n->vp.device.cap) {
		puts("virtio-net: no device config capability\n");
		return -1;
	}
	if (n->vp.num_queues < 2) {
		printf("virtio-net: %u queues, wanted at least 2\n",
		       n->vp.num_queues);
		return -1;
	}
	virtq_alloc(&n->rx, NET_RXQ, qsize);
	virtq_alloc(&n->tx, NET_TXQ, qsize);
	return 0;
}

int net_setup(struct net *n, uint64_t wanted)
{
	struct virtio_pci *vp = &n->vp;
	int i;

	if (vpci_begin(vp) || vpci_negotiate(vp, wanted))
		return -1;
	virtq_reset(&n->rx);
	virtq_reset(&n->tx);
	if (vpci_setup_queue(vp, &n->rx) || vpci_setup_queue(vp, &n->tx))
		return -1;
	/* byte by byte: the MAC is not a naturally aligned field */
	for (i = 0; i < 6; i++)
		n->mac[i] = vp->features & VIRTIO_NET_F_MAC
				    ? vpci_cfg8(vp, VIRTIO_NET_CFG_MAC + i)
				    : 0;
	return 0;
}

int net_start(struct net *n, uint64_t wanted)
{
	return net_setup(n, wanted) || net_go(n) ? -1 : 0;
}

int net_go(struct net *n)
{
	struct virtio_pci *vp = &n->vp;
	uint8_t status;

	vpci_driver_ok(vp);
	status = vpci_get_status(vp);
	if (status & (VIRTIO_STATUS_DEVICE_NEEDS_RESET | VIRTIO_STATUS_FAILED)) {
		printf("virtio-net: status %x after DRIVER_OK\n", status);
		return -1;
	}
	return 0;
}

void net_publish(struct net *n, struct virtq *vq, uint16_t head)
{
	virtq_publish(vq, head);
	vpci_kick(&n->vp, vq);
}

int net_tx_chain(struct net *n, const struct vq_buf *bufs, int nbufs,
		 uint32_t ms, uint32_t *id, uint32_t *len)
{
	uint16_t head = virtq_add_chain(&n->tx, bufs, nbufs);

	n->tx_head = head;
	*id = *len = 0xffffffff;
	net_publish(n, &n->tx, head);
	return vpci_wait(&n->vp, &n->tx, ms, id, len);
}

void net_mac_str(const uint8_t *mac, char *buf)
{
	static const char hex[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 6; i++) {
		buf[3 * i] = hex[mac[i] >> 4];
		buf[3 * i + 1] = hex[mac[i] & 15];
		buf[3 * i + 2] = i < 5 ? ':' : 0;
	}
}

int net_cmdline_has(const void *start_info, const char *w)
{
	return cmdline_has(start_info, w);
}
