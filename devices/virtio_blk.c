// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-blk: requests are {header, data..., status} chains (5.2.6).
 * Every request is bounds-checked against the image size before any host
 * I/O: an out-of-range sector or a malformed request completes with
 * IOERR or UNSUPP and never reaches the file.  I/O runs on the device
 * loop with preadv/pwritev; cache=none uses O_DIRECT, with an aligned
 * bounce buffer when the guest's buffers are not aligned.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <linux/virtio_blk.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "log.h"
#include "virtio_blk.h"
#include "virtio_mmio.h"
#include "virtio_pci.h"
#include "vm.h"

#define SECTOR_SIZE	    512ULL
#define QUEUE_SIZE	    256
#define SEG_MAX		    (QUEUE_SIZE - 2) /* header and status take two */
#define SIZE_MAX_SEG	    (1U << 20)	     /* bytes per data segment */
#define MAX_DISCARD_SECTORS (1U << 22)
#define DIRECT_ALIGN	    4096
#define BURST		    64 /* requests per wake-up; then other devices get a turn */
/* bytes per wake-up: a few huge requests must not hold the device loop */
#define BURST_BYTES	    (64ULL << 20)
/* one request moves at most what seg_max * size_max allows */
#define MAX_REQ_BYTES	    ((uint64_t)SEG_MAX * SIZE_MAX_SEG)

struct virtio_blk {
	struct virtio_dev *vd; /* in whichever transport carries it */
	struct virtio_pci pci;
	struct virtio_mmio mmio;
	struct virtio_blk_config config;
	int fd;
	int read_only;
	int direct;
	uint64_t capacity;  /* bytes, a multiple of SECTOR_SIZE */
	uint64_t io_errors; /* host I/O failures, for rate-limited warnings */
	char serial[DISK_SERIAL_MAX];
	struct iovec iov[VIRTQ_MAX_SEGS];
};

struct blk_req {
	uint32_t type;
	uint64_t sector;
	uint64_t data_len; /* payload bytes (excluding header/status) */
};

/* Is [sector, sector + len) inside the image?  Overflow-safe. */
static int in_range(struct virtio_blk *b, uint64_t sector, uint64_t len)
{
	if (sector > b->capacity / SECTOR_SIZE)
		return 0;
	return len <= b->capacity - sector * SECTOR_SIZE;
}

/* iovecs over the data bytes of a request, skipping header and status. */
static int data_iov(struct virtio_blk *b, struct virtq_req *req, int is_in,
		    uint64_t len)
{
	unsigned int first = is_in ? req->nr_out : 0;
	unsigned int last = is_in ? req->nr_out + req->nr_in : req->nr_out;
	uint64_t skip = is_in ? 0 : sizeof(struct virtio_blk_outhdr);
	int n = 0;

	for (unsigned int i = first; i < last && len; i++) {
		struct virtq_seg *s = &req->seg[i];
		uint64_t take;

		if (skip >= s->len) {
			skip -= s->len;
			continue;
		}
		take = s->len - skip < len ? s->len - skip : len;
		b->iov[n++] = (struct iovec){ s->addr + skip, take };
		len -= take;
		skip = 0;
	}
	return n;
}

static int iov_aligned(const struct iovec *iov, int n)
{
	for (int i = 0; i < n; i++)
		if (((uintptr_t)iov[i].iov_base | iov[i].iov_len) &
		    (DIRECT_ALIGN - 1))
			return 0;
	return 1;
}

/*
 * A host I/O failure becomes the guest's IOERR; the operator hears about
 * it too (ENOSPC, EIO), rate-limited because a guest can retry forever.
 */
static void host_io_failed(struct virtio_blk *b, const char *what, int e)
{
	b->io_errors++;
	if (b->io_errors <= 3 || b->io_errors % 10000 == 0)
		warn("virtio-blk: %s failed: %s; the guest gets an I/O error "
		     "(host error %llu)",
		     what, e ? strerror(e) : "end of file",
		     (unsigned long long)b->io_errors);
}

/*
 * Full transfer or failure: short reads/writes are retried, so a request
 * is acknowledged only once all of it reached the file.  A read or write
 * that moves nothing (end of file: the image shrank under us) fails.
 * errno is 0 for that case.
 */
static int rw_full(struct virtio_blk *b, int write, struct iovec *iov, int n,
		   uint64_t off)
{
	while (n > 0) {
		ssize_t r = write ? pwritev(b->fd, iov, n, off)
				  : preadv(b->fd, iov, n, off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = 0;
			return -1;
		}
		off += r;
		while (n > 0 && (size_t)r >= iov->iov_len) {
			r -= iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + r;
			iov->iov_len -= r;
		}
	}
	return 0;
}

/* O_DIRECT needs aligned memory: go through a bounce buffer if not. */
static int do_rw(struct virtio_blk *b, int write, struct iovec *iov, int n,
		 uint64_t len, uint64_t off)
{
	struct iovec one;
	uint8_t *bounce, *p;
	int ret;

	if (!b->direct || iov_aligned(iov, n))
		return rw_full(b, write, iov, n, off);
	if (posix_memalign((void **)&bounce, DIRECT_ALIGN,
			   (len + DIRECT_ALIGN - 1) & ~(DIRECT_ALIGN - 1ULL))) {
		errno = ENOMEM;
		return -1;
	}
	one = (struct iovec){ bounce, len };
	if (write) {
		p = bounce;
		for (int i = 0; i < n; p += iov[i].iov_len, i++)
			memcpy(p, iov[i].iov_base, iov[i].iov_len);
	}
	ret = rw_full(b, write, &one, 1, off);
	if (!ret && !write) {
		p = bounce;
		for (int i = 0; i < n; p += iov[i].iov_len, i++)
			memcpy(iov[i].iov_base, p, iov[i].iov_len);
	}
	free(bounce);
	return ret;
}

static uint8_t do_read_write(struct virtio_blk *b, struct virtq_req *req,
			     const struct blk_req *r, uint32_t *written)
{
	int is_in = r->type == VIRTIO_BLK_T_IN;
	int n;

	if (!is_in && b->read_only)
		return VIRTIO_BLK_S_IOERR;
	if (r->data_len % SECTOR_SIZE || r->data_len > MAX_REQ_BYTES ||
	    !in_range(b, r->sector, r->data_len))
		return VIRTIO_BLK_S_IOERR;
	n = data_iov(b, req, is_in, r->data_len);
	if (do_rw(b, !is_in, b->iov, n, r->data_len, r->sector * SECTOR_SIZE)) {
		host_io_failed(b, is_in ? "read" : "write", errno);
		return VIRTIO_BLK_S_IOERR;
	}
	if (is_in)
		*written = r->data_len;
	return VIRTIO_BLK_S_OK;
}

static uint8_t do_get_id(struct virtio_blk *b, struct virtq_req *req,
			 const struct blk_req *r, uint32_t *written)
{
	uint64_t n =
		r->data_len < DISK_SERIAL_MAX ? r->data_len : DISK_SERIAL_MAX;

	*written = virtq_copy_to(req, 0, b->serial, n);
	return VIRTIO_BLK_S_OK;
}

/* Zeroes [off, off+len) where fallocate cannot (e.g. block devices). */
static int write_zeroes_slow(struct virtio_blk *b, uint64_t off, uint64_t len)
{
	static const uint8_t zero[65536] __attribute__((aligned(4096)));

	while (len) {
		size_t n = len < sizeof(zero) ? len : sizeof(zero);
		ssize_t w = pwrite(b->fd, zero, n, off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = 0;
			return -1;
		}
		off += w;
		len -= w;
	}
	return 0;
}

static uint8_t do_discard_zeroes(struct virtio_blk *b, struct virtq_req *req,
				 const struct blk_req *r)
{
	struct virtio_blk_discard_write_zeroes seg;
	uint64_t n = r->data_len / sizeof(seg);

	if (b->read_only)
		return VIRTIO_BLK_S_IOERR;
	if (n != 1 || r->data_len % sizeof(seg))
		return VIRTIO_BLK_S_UNSUPP; /* we announced one segment */
	virtq_copy_from(req, sizeof(struct virtio_blk_outhdr), &seg,
			sizeof(seg));
	if (seg.num_sectors > MAX_DISCARD_SECTORS ||
	    !in_range(b, seg.sector, seg.num_sectors * SECTOR_SIZE))
		return VIRTIO_BLK_S_IOERR;
	if (r->type == VIRTIO_BLK_T_DISCARD) {
		/* advisory: a file system that can't punch holes is fine */
		fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			  seg.sector * SECTOR_SIZE,
			  seg.num_sectors * SECTOR_SIZE);
		return VIRTIO_BLK_S_OK;
	}
	if (fallocate(b->fd,
		      (seg.flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP
			       ? FALLOC_FL_PUNCH_HOLE
			       : FALLOC_FL_ZERO_RANGE) |
			      FALLOC_FL_KEEP_SIZE,
		      seg.sector * SECTOR_SIZE,
		      seg.num_sectors * SECTOR_SIZE) == 0)
		return VIRTIO_BLK_S_OK;
	if (write_zeroes_slow(b, seg.sector * SECTOR_SIZE,
			      seg.num_sectors * SECTOR_SIZE)) {
		host_io_failed(b, "write zeroes", errno);
		return VIRTIO_BLK_S_IOERR;
	}
	return VIRTIO_BLK_S_OK;
}

/*
 * Reads take only the header from the driver and give back data and
 * status; writes take header and data and give back only the status.
 */
static int directions_ok(const struct virtq_req *req, uint32_t type)
{
	if (type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID)
		return req->out_len == sizeof(struct virtio_blk_outhdr);
	return req->in_len == 1;
}

/* Returns bytes written into the guest's buffers, status included. */
static uint32_t handle_request(struct virtio_blk *b, struct virtq_req *req)
{
	struct virtio_blk_outhdr hdr;
	struct blk_req r;
	uint32_t written = 0;
	uint8_t status;

	virtq_copy_from(req, 0, &hdr, sizeof(hdr));
	r.type = hdr.type;
	r.sector = hdr.sector;
	/* the last writable byte is the status (5.2.6) */
	r.data_len = r.type == VIRTIO_BLK_T_IN || r.type == VIRTIO_BLK_T_GET_ID
			     ? req->in_len - 1
			     : req->out_len - sizeof(hdr);
	switch (r.type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		/* data in the wrong direction would "succeed" moving nothing */
		if (!directions_ok(req, r.type)) {
			status = VIRTIO_BLK_S_IOERR;
			break;
		}
		status = do_read_write(b, req, &r, &written);
		break;
	case VIRTIO_BLK_T_FLUSH:
		/* acknowledged only after fdatasync() returned: durable */
		status = VIRTIO_BLK_S_OK;
		if (!b->read_only && fdatasync(b->fd)) {
			host_io_failed(b, "flush", errno);
			status = VIRTIO_BLK_S_IOERR;
		}
		break;
	case VIRTIO_BLK_T_GET_ID:
		if (!directions_ok(req, r.type)) {
			status = VIRTIO_BLK_S_IOERR;
			break;
		}
		status = do_get_id(b, req, &r, &written);
		break;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		if (!directions_ok(req, r.type)) {
			status = VIRTIO_BLK_S_IOERR;
			break;
		}
		status = do_discard_zeroes(b, req, &r);
		break;
	default: status = VIRTIO_BLK_S_UNSUPP;
	}
	virtq_copy_to(req, req->in_len - 1, &status, 1);
	return written + 1;
}

static void blk_queue_notify(struct virtio_dev *vd, unsigned int q)
{
	struct virtio_blk *b = vd->priv;
	struct virtq *vq = &vd->vq[q];
	struct virtq_req *req = vd->req;
	uint64_t bytes = 0;
	int r = 0, done = 0;

	while (done < BURST && bytes < BURST_BYTES &&
	       (r = virtq_pop(vq, &vd->vm->mem, req)) == 1) {
		if (req->out_len < sizeof(struct virtio_blk_outhdr) ||
		    req->in_len < 1) {
			r = -1; /* no header or no status byte: unusable */
			break;
		}
		/* the status byte goes out after the I/O returned: no early ack
		 */
		virtq_push(vq, req->head, handle_request(b, req));
		bytes += req->out_len + req->in_len;
		done++;
	}
	if (done == BURST || bytes >= BURST_BYTES)
		virtio_kick(vd, q); /* more later: others first */
	else if (r < 0)
		virtio_needs_reset(vd, "malformed request chain");
	if (done)
		virtio_queue_done(vd, q);
}

uint64_t virtio_blk_sectors(const struct virtio_blk *b)
{
	return b->capacity / SECTOR_SIZE;
}

int virtio_blk_is_read_only(const struct virtio_blk *b)
{
	return b->read_only;
}

/*
 * The firmware's disk port (devices/bios_dev.c) checked range, ro and
 * guest RAM already; this is the same host I/O virtio requests get, on the
 * caller's thread (preadv/pwritev with offsets: safe beside the device
 * loop's requests).
 */
int virtio_blk_sync_rw(struct virtio_blk *b, int write, uint64_t sector,
		       void *buf, uint64_t len)
{
	struct iovec one = { buf, len };

	if ((write && b->read_only) || !in_range(b, sector, len))
		return -1;
	return do_rw(b, write, &one, 1, len, sector * SECTOR_SIZE);
}

static const struct virtio_device_ops blk_ops = {
	.name = "virtio-blk",
	.device_id = 2,
	.nr_queues = 1,
	.queue_max = QUEUE_SIZE,
	.config_size = sizeof(struct virtio_blk_config),
	.queue_notify = blk_queue_notify,
};

/* No-op interrupts for virtio_blk_test_notify(): no transport there. */
static void test_signal_queue(struct virtio_dev *vd, unsigned int q)
{
}

static void test_signal_config(struct virtio_dev *vd)
{
}

void virtio_blk_test_notify(struct vm *vm, struct virtq *vq,
			    struct virtq_req *req, int fd, uint64_t capacity)
{
	static const struct virtio_transport_ops tops = {
		.signal_queue = test_signal_queue,
		.signal_config = test_signal_config,
	};
	struct virtio_dev *vd = calloc(1, sizeof(*vd));
	struct virtio_blk *b = calloc(1, sizeof(*b));

	if (!vd || !b)
		abort();
	b->vd = vd;
	b->fd = fd;
	b->capacity = capacity & ~(SECTOR_SIZE - 1);
	memcpy(b->serial, "fuzz", 5);
	vd->vm = vm;
	vd->ops = &blk_ops;
	vd->tops = &tops;
	vd->priv = b;
	vd->req = req;
	vd->notify[0].fd = -1;
	vd->vq[0] = *vq;
	blk_queue_notify(vd, 0);
	*vq = vd->vq[0];
	free(b);
	free(vd);
}

static int open_image(struct virtio_blk *b, const struct disk_config *d)
{
	struct flock lock = { .l_type = d->read_only ? F_RDLCK : F_WRLCK,
			      .l_whence = SEEK_SET };
	int flags = (d->read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC |
		    (d->direct ? O_DIRECT : 0);
	struct stat st;
	uint64_t size = 0;

	b->fd = open(d->path, flags);
	if (b->fd < 0) {
		err("cannot open disk %s: %s", d->path, strerror(errno));
		return -1;
	}
	/* OFD lock: a second kvmini cannot write the same image */
	if (fcntl(b->fd, F_OFD_SETLK, &lock) < 0) {
		err("disk %s is in use by another process (it is locked %s)",
		    d->path,
		    d->read_only ? "for writing" : "for reading or writing");
		return -1;
	}
	if (fstat(b->fd, &st) == 0 && S_ISREG(st.st_mode))
		size = st.st_size;
	else if (fstat(b->fd, &st) == 0 && S_ISBLK(st.st_mode))
		ioctl(b->fd, BLKGETSIZE64, &size);
	else {
		err("disk %s is neither a regular file nor a block device",
		    d->path);
		return -1;
	}
	if (size < SECTOR_SIZE) {
		err("disk %s is smaller than one 512-byte sector", d->path);
		return -1;
	}
	b->capacity = size & ~(SECTOR_SIZE - 1);
	return 0;
}

static void fill_config(struct virtio_blk *b)
{
	struct virtio_blk_config *c = &b->config;

	c->capacity = b->capacity / SECTOR_SIZE;
	c->size_max = SIZE_MAX_SEG;
	c->seg_max = SEG_MAX;
	c->blk_size = SECTOR_SIZE;
	c->num_queues = 1;
	c->max_discard_sectors = MAX_DISCARD_SECTORS;
	c->max_discard_seg = 1;
	c->discard_sector_alignment = 8;
	c->max_write_zeroes_sectors = MAX_DISCARD_SECTORS;
	c->max_write_zeroes_seg = 1;
	c->write_zeroes_may_unmap = 1;
}

/* At exit every acknowledged write reaches the disk, even on SIGTERM. */
static void blk_destroy(void *arg)
{
	struct virtio_blk *b = arg;

	if (b->fd < 0)
		return;
	if (!b->read_only && fdatasync(b->fd))
		warn("disk flush failed: %s", strerror(errno));
	close(b->fd);
	if (b->vd && b->vd->ops)
		virtio_dev_free(b->vd);
}

int virtio_blk_create(struct vm *vm, const struct disk_config *d)
{
	struct virtio_blk *b = calloc(1, sizeof(*b));
	uint64_t features =
		1ULL << VIRTIO_BLK_F_SIZE_MAX | 1ULL << VIRTIO_BLK_F_SEG_MAX |
		1ULL << VIRTIO_BLK_F_BLK_SIZE | 1ULL << VIRTIO_BLK_F_FLUSH |
		1ULL << VIRTIO_BLK_F_DISCARD |
		1ULL << VIRTIO_BLK_F_WRITE_ZEROES;

	if (!b)
		return -1;
	vm_own_device(vm, b); /* freed with the VM, even on failure */
	b->fd = -1;
	b->read_only = d->read_only;
	b->direct = d->direct;
	memcpy(b->serial, d->serial, strnlen(d->serial, DISK_SERIAL_MAX));
	vm_on_destroy(vm, blk_destroy, b);
	if (open_image(b, d))
		return -1;
	if (vm->nr_blk < MAX_DISKS)
		vm->blk[vm->nr_blk++] = b; /* the firmware's drives 0x80.. */
	if (d->read_only)
		features |= 1ULL << VIRTIO_BLK_F_RO;
	fill_config(b);
	b->vd = d->mmio ? &b->mmio.vd : &b->pci.vd;
	if (virtio_dev_init(b->vd, vm, &blk_ops, features, b,
			    (uint8_t *)&b->config) ||
	    (d->mmio ? virtio_mmio_register(vm, &b->mmio)
		     : virtio_pci_register(vm, &b->pci))) {
		err("cannot create virtio-blk for %s", d->path);
		return -1;
	}
	return 0;
}
