/*
 * Modern virtio-pci transport (virtio 1.2 section 4.1), driver side, no
 * legacy interface and no interrupts: the guests poll.
 *
 * Bring-up order (3.1.1): vpci_open, vpci_begin (reset, ACKNOWLEDGE,
 * DRIVER), vpci_negotiate (features, FEATURES_OK), vpci_setup_queue for
 * each queue, vpci_driver_ok.
 */
#ifndef GUEST_VIRTIO_PCI_H
#define GUEST_VIRTIO_PCI_H

#include <stdint.h>

#include "pci.h"
#include "virtq.h"

#define VIRTIO_PCI_VENDOR 0x1af4

/* device status bits (2.1) */
#define VIRTIO_STATUS_ACKNOWLEDGE	 1
#define VIRTIO_STATUS_DRIVER		 2
#define VIRTIO_STATUS_DRIVER_OK		 4
#define VIRTIO_STATUS_FEATURES_OK	 8
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 0x40
#define VIRTIO_STATUS_FAILED		 0x80

/* reserved feature bits (6) */
#define VIRTIO_F_RING_INDIRECT_DESC (1ULL << 28)
#define VIRTIO_F_RING_EVENT_IDX	    (1ULL << 29)
#define VIRTIO_F_VERSION_1	    (1ULL << 32)
#define VIRTIO_F_ACCESS_PLATFORM    (1ULL << 33)

/* virtio_pci_cap.cfg_type (4.1.4) */
#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG	  3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4

/* common configuration structure offsets (4.1.4.3) */
#define VIRTIO_COMMON_DFSELECT	    0x00 /* le32 device_feature_select */
#define VIRTIO_COMMON_DF	    0x04 /* le32 device_feature */
#define VIRTIO_COMMON_GFSELECT	    0x08 /* le32 driver_feature_select */
#define VIRTIO_COMMON_GF	    0x0c /* le32 driver_feature */
#define VIRTIO_COMMON_MSIX	    0x10 /* le16 config_msix_vector */
#define VIRTIO_COMMON_NUMQ	    0x12 /* le16 num_queues */
#define VIRTIO_COMMON_STATUS	    0x14 /* u8 device_status */
#define VIRTIO_COMMON_CFGGENERATION 0x15 /* u8 config_generation */
#define VIRTIO_COMMON_Q_SELECT	    0x16 /* le16 queue_select */
#define VIRTIO_COMMON_Q_SIZE	    0x18 /* le16 queue_size */
#define VIRTIO_COMMON_Q_MSIX	    0x1a /* le16 queue_msix_vector */
#define VIRTIO_COMMON_Q_ENABLE	    0x1c /* le16 queue_enable */
#define VIRTIO_COMMON_Q_NOFF	    0x1e /* le16 queue_notify_off */
#define VIRTIO_COMMON_Q_DESC	    0x20 /* le64 queue_desc */
#define VIRTIO_COMMON_Q_DRIVER	    0x28 /* le64 queue_driver */
#define VIRTIO_COMMON_Q_DEVICE	    0x30 /* le64 queue_device */
#define VIRTIO_COMMON_LEN	    0x38 /* what every device has */

/* where one capability points */
struct virtio_pci_region {
	uint8_t cap;  /* config offset of the capability, 0: absent */
	uint8_t bar;
	uint32_t offset, length;
	uintptr_t addr; /* BAR base + offset */
};

struct virtio_pci {
	struct pci_dev pci;
	struct virtio_pci_region common, notify, isr, device;
	uint32_t notify_mult; /* notify_off_multiplier */
	uint16_t num_queues;
	uint64_t offered;  /* device features */
	uint64_t features; /* negotiated */
};

/* vpci_wait results */
#define VQ_DONE	       0
#define VQ_TIMEOUT     (-1)
#define VQ_NEEDS_RESET (-2)

/* find the virtio capabilities, check them against the BARs, enable
 * memory decode and bus mastering; prints the reason and returns -1 on
 * failure */
int vpci_open(struct virtio_pci *vp, const struct pci_dev *d);

uint8_t vpci_get_status(struct virtio_pci *vp);
void vpci_add_status(struct virtio_pci *vp, uint8_t bits);
/* write 0 to device_status and wait (bounded) until it reads back 0 */
int vpci_reset(struct virtio_pci *vp);
/* reset, ACKNOWLEDGE, DRIVER */
int vpci_begin(struct virtio_pci *vp);
uint64_t vpci_device_features(struct virtio_pci *vp);
/* accept offered & wanted (VERSION_1 is required), set FEATURES_OK and
 * check that it stuck */
int vpci_negotiate(struct virtio_pci *vp, uint64_t wanted);
/* select the queue, read its maximum size, shrink vq->size to fit, hand the
 * ring addresses over, enable it */
int vpci_setup_queue(struct virtio_pci *vp, struct virtq *vq);
void vpci_driver_ok(struct virtio_pci *vp);
/* notify the device of new buffers on vq */
void vpci_kick(struct virtio_pci *vp, struct virtq *vq);
/* poll until a used entry shows up (VQ_DONE, with *id and *len), the device
 * sets DEVICE_NEEDS_RESET, or ms milliseconds pass */
int vpci_wait(struct virtio_pci *vp, struct virtq *vq, uint32_t ms,
	      uint32_t *id, uint32_t *len);

/* device-specific configuration, read with the field's own width */
uint8_t vpci_cfg8(struct virtio_pci *vp, uint32_t off);
uint16_t vpci_cfg16(struct virtio_pci *vp, uint32_t off);
uint32_t vpci_cfg32(struct virtio_pci *vp, uint32_t off);
/* a 64-bit field as two 32-bit reads, retried until config_generation is
 * stable (2.5.1) */
uint64_t vpci_cfg64(struct virtio_pci *vp, uint32_t off);

#endif
