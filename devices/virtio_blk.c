// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-blk: requests are {header, data..., status} chains (5.2.6).
 * Every request is bounds-checked against the image size before any host
 * I/O: an out-of-range sector or a malformed request completes with
 * IOERR or UNSUPP and never reaches the file.  Reads, writes and flushes
 * go to an io_uring (devices/uring.c) from the device loop, which learns
 * of their completion through an eventfd; without io_uring (aio=sync, an
 * old kernel) they run on the device loop with preadv/pwritev.
 * cache=none uses O_DIRECT, with an aligned bounce buffer when the
 * guest's buffers are not aligned.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <linux/virtio_blk.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "log.h"
#include "uring.h"
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
/* io_uring: requests in flight per disk, and their O_DIRECT bounce bytes */
#define AIO_SLOTS	    128
#define AIO_BOUNCE_MAX	    (64ULL << 20)
#define REQ_PENDING	    UINT32_MAX /* handle_request: completes later */

/* One request handed to the io_uring, until its completion. */
struct blk_aio {
	uint16_t head;
	uint16_t q;
	uint8_t op;	     /* VIRTIO_BLK_T_IN, _OUT or _FLUSH */
	uint32_t generation; /* b->generation when it was handed over */
	uint8_t *status;     /* the request's status byte, in guest RAM */
	uint32_t written;    /* bytes for the used ring on success */
	uint64_t off, left;  /* file offset and bytes still to move */
	struct iovec *io;    /* the iovecs still to move */
	int nr_io;
	int nr_guest;	 /* guest iovecs in iov[] */
	uint8_t *bounce; /* O_DIRECT copy of unaligned guest buffers */
	uint64_t bounce_len;
	struct iovec bounce_iov;
	struct iovec iov[SEG_MAX];
};

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
	/* the io_uring path: aio set when the ring is in use */
	int aio;
	struct uring ring;
	struct event_source aio_done;
	struct blk_aio *slot[AIO_SLOTS]; /* allocated on first use */
	uint16_t free_slot[AIO_SLOTS];
	unsigned int nr_free;
	uint64_t bounce_bytes; /* in flight */
	int starved;	       /* a queue waits for a free slot */
	uint32_t generation;   /* device resets so far */
	int no_nowait;	       /* preadv2(RWF_NOWAIT) is not supported */
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

/*
 * iovecs over the data bytes of a request, skipping header and status:
 * their number, or -1 if they need more than @max.
 */
static int data_iov(struct virtq_req *req, int is_in, uint64_t len,
		    struct iovec *iov, int max)
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
		if (n == max)
			return -1;
		iov[n++] = (struct iovec){ s->addr + skip, take };
		len -= take;
		skip = 0;
	}
	return n;
}

/* Skips @done bytes of @*iov (@*n entries): what a short transfer moved. */
static void iov_skip(struct iovec **iov, int *n, size_t done)
{
	while (*n > 0 && done >= (*iov)->iov_len) {
		done -= (*iov)->iov_len;
		(*iov)++;
		(*n)--;
	}
	if (*n > 0) {
		(*iov)->iov_base = (uint8_t *)(*iov)->iov_base + done;
		(*iov)->iov_len -= done;
	}
}

/* The bytes of @n iovecs into @buf (gather) or from it (scatter). */
static void iov_to_buf(const struct iovec *iov, int n, uint8_t *buf)
{
	for (int i = 0; i < n; buf += iov[i].iov_len, i++)
		memcpy(buf, iov[i].iov_base, iov[i].iov_len);
}

static void buf_to_iov(const uint8_t *buf, const struct iovec *iov, int n)
{
	for (int i = 0; i < n; buf += iov[i].iov_len, i++)
		memcpy(iov[i].iov_base, buf, iov[i].iov_len);
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
		iov_skip(&iov, &n, r);
	}
	return 0;
}

/* O_DIRECT needs aligned memory: go through a bounce buffer if not. */
static int do_rw(struct virtio_blk *b, int write, struct iovec *iov, int n,
		 uint64_t len, uint64_t off)
{
	struct iovec one;
	uint8_t *bounce;
	int ret;

	if (!b->direct || iov_aligned(iov, n))
		return rw_full(b, write, iov, n, off);
	if (posix_memalign((void **)&bounce, DIRECT_ALIGN,
			   (len + DIRECT_ALIGN - 1) & ~(DIRECT_ALIGN - 1ULL))) {
		errno = ENOMEM;
		return -1;
	}
	one = (struct iovec){ bounce, len };
	if (write)
		iov_to_buf(iov, n, bounce);
	ret = rw_full(b, write, &one, 1, off);
	if (!ret && !write)
		buf_to_iov(bounce, iov, n);
	free(bounce);
	return ret;
}

/* ---- io_uring path: requests in flight, completed on the device loop ---- */

static struct blk_aio *aio_get(struct virtio_blk *b, unsigned int *idx)
{
	unsigned int i = b->free_slot[b->nr_free - 1];

	if (!b->slot[i]) {
		b->slot[i] = malloc(sizeof(*b->slot[i]));
		if (!b->slot[i])
			return NULL;
	}
	b->nr_free--;
	*idx = i;
	return b->slot[i];
}

static void aio_put(struct virtio_blk *b, struct blk_aio *a, unsigned int idx)
{
	if (a->bounce) {
		b->bounce_bytes -= a->bounce_len;
		free(a->bounce);
		a->bounce = NULL;
	}
	b->free_slot[b->nr_free++] = idx;
}

/* Queues the SQE that moves what is left of @a (or its flush). */
static void aio_queue(struct virtio_blk *b, struct blk_aio *a, unsigned int idx)
{
	struct io_uring_sqe *sqe = uring_get_sqe(&b->ring);

	/* one SQE per slot at most, and as many SQEs as slots: never NULL */
	if (!sqe)
		die(EXIT_FAILURE_RT, "internal error: io_uring queue full");
	sqe->user_data = idx;
	if (a->op == VIRTIO_BLK_T_FLUSH) {
		sqe->opcode = IORING_OP_FSYNC;
		sqe->fsync_flags = IORING_FSYNC_DATASYNC;
		/* after every request handed over before it: all are covered */
		sqe->flags |= IOSQE_IO_DRAIN;
		return;
	}
	sqe->opcode =
		a->op == VIRTIO_BLK_T_IN ? IORING_OP_READV : IORING_OP_WRITEV;
	sqe->addr = (uintptr_t)a->io;
	sqe->len = a->nr_io;
	sqe->off = a->off;
}

/*
 * The bounce buffer for O_DIRECT with unaligned guest buffers; 0 when the
 * request cannot have one now (the caller does it synchronously).
 */
static int aio_bounce(struct virtio_blk *b, struct blk_aio *a, uint64_t len)
{
	uint64_t size = (len + DIRECT_ALIGN - 1) & ~(DIRECT_ALIGN - 1ULL);

	if (b->bounce_bytes + len > AIO_BOUNCE_MAX ||
	    posix_memalign((void **)&a->bounce, DIRECT_ALIGN, size)) {
		a->bounce = NULL;
		return 0;
	}
	a->bounce_iov = (struct iovec){ a->bounce, len };
	a->bounce_len = len;
	b->bounce_bytes += len;
	a->io = &a->bounce_iov;
	a->nr_io = 1;
	if (a->op == VIRTIO_BLK_T_OUT)
		iov_to_buf(a->iov, a->nr_guest, a->bounce);
	return 1;
}

/*
 * Hands a checked read, write or flush to the io_uring: 1 if it did, 0 if
 * the request must run synchronously (more segments than a slot holds, no
 * bounce memory).  The caller checked that a slot is free.
 */
static int aio_start(struct virtio_blk *b, unsigned int q,
		     struct virtq_req *req, const struct blk_req *r)
{
	struct blk_aio *a;
	unsigned int idx;
	int n = 0;

	a = aio_get(b, &idx);
	if (!a)
		return 0;
	*a = (struct blk_aio){ .head = req->head,
			       .q = q,
			       .op = r->type,
			       .generation = b->generation };
	a->status = virtq_in_byte(req, req->in_len - 1);
	if (r->type != VIRTIO_BLK_T_FLUSH) {
		n = data_iov(req, r->type == VIRTIO_BLK_T_IN, r->data_len,
			     a->iov, SEG_MAX);
		a->nr_guest = n;
		a->io = a->iov;
		a->nr_io = n;
		a->off = r->sector * SECTOR_SIZE;
		a->left = r->data_len;
		if (r->type == VIRTIO_BLK_T_IN)
			a->written = r->data_len;
	}
	if (n < 0 || (b->direct && !iov_aligned(a->iov, n) &&
		      !aio_bounce(b, a, r->data_len))) {
		aio_put(b, a, idx);
		return 0;
	}
	aio_queue(b, a, idx);
	return 1;
}

/* Skips @done bytes of the iovecs still to move (a short transfer). */
static void aio_advance(struct blk_aio *a, uint64_t done)
{
	a->off += done;
	a->left -= done;
	iov_skip(&a->io, &a->nr_io, done);
}

/*
 * One completion.  Returns 2 when the request is finished and went to
 * its used ring (status byte set), 1 when it is finished without (@push
 * 0, or a reset came since), 0 when it went back to the ring for the rest
 * of a short transfer.  The slot is free unless 0.
 */
static int aio_finish(struct virtio_blk *b, unsigned int idx, int res, int push)
{
	struct blk_aio *a = b->slot[idx];
	uint8_t status = VIRTIO_BLK_S_OK;

	if (res > 0 && a->op != VIRTIO_BLK_T_FLUSH && (uint64_t)res < a->left) {
		aio_advance(a, res);
		if (push) {
			aio_queue(b, a, idx);
			return 0;
		}
		res = -EINTR; /* draining for a reset: the rest is dropped */
	}
	if (res < 0 || (res == 0 && a->op != VIRTIO_BLK_T_FLUSH && a->left)) {
		host_io_failed(b,
			       a->op == VIRTIO_BLK_T_IN	   ? "read"
			       : a->op == VIRTIO_BLK_T_OUT ? "write"
							   : "flush",
			       res < 0 ? -res : 0);
		status = VIRTIO_BLK_S_IOERR;
		a->written = 0;
	} else if (a->bounce && a->op == VIRTIO_BLK_T_IN &&
		   a->generation == b->generation) {
		buf_to_iov(a->bounce, a->iov, a->nr_guest);
	}
	/* after a reset whose drain failed: nothing for the new queues */
	push = push && a->generation == b->generation &&
	       b->vd->vq[a->q].enabled;
	if (push) {
		if (a->status)
			*a->status = status;
		virtq_push(&b->vd->vq[a->q], a->head, a->written + 1);
	}
	aio_put(b, a, idx);
	return push ? 2 : 1;
}

/* Takes every posted completion; the queues that got used entries. */
static unsigned int aio_reap(struct virtio_blk *b, int push)
{
	struct io_uring_cqe cqe;
	unsigned int queues = 0, requeued = 0;

	while (uring_next_cqe(&b->ring, &cqe)) {
		unsigned int idx = cqe.user_data;

		if (idx >= AIO_SLOTS || !b->slot[idx])
			continue; /* not ours: cannot happen */
		switch (aio_finish(b, idx, cqe.res, push)) {
		case 2: queues |= 1U << b->slot[idx]->q; break;
		case 0: requeued++; break;
		}
	}
	if (requeued)
		uring_submit(&b->ring);
	return queues;
}

/* One system call for a batch of requests. */
static void aio_submit(struct virtio_blk *b)
{
	int r = uring_submit(&b->ring);

	/* they stay queued in the ring: the next batch hands them over */
	if (r < 0)
		warn_once("virtio-blk: io_uring_enter failed: %s",
			  strerror(-r));
}

/* Completions to the used rings, interrupts, starved queues (lock held). */
static void aio_complete(struct virtio_blk *b)
{
	struct virtio_dev *vd = b->vd;
	unsigned int queues = aio_reap(b, 1);

	for (unsigned int q = 0; q < vd->nr_queues; q++)
		if (queues & (1U << q))
			virtio_queue_done(vd, q);
	if (b->starved && b->nr_free) {
		b->starved = 0;
		for (unsigned int q = 0; q < vd->nr_queues; q++)
			virtio_kick(vd, q);
	}
}

/* The ring's eventfd: completions were posted (device loop). */
static void aio_event(struct event_source *src, uint32_t events)
{
	struct virtio_blk *b = src->opaque;
	struct virtio_dev *vd = b->vd;
	uint64_t v;

	if (read(src->fd, &v, sizeof(v)) < 0)
		return;
	pthread_mutex_lock(&vd->lock);
	aio_complete(b);
	aio_submit(b); /* what a failed submission left queued, if any */
	pthread_mutex_unlock(&vd->lock);
}

/*
 * Waits for every request in flight, without touching the queues: a reset
 * device must not write guest memory afterwards, and a closing disk must
 * have all acknowledged writes in the file before its final flush.
 */
static void aio_drain(struct virtio_blk *b)
{
	int r;

	while (b->aio && b->nr_free < AIO_SLOTS) {
		aio_reap(b, 0);
		if (b->nr_free == AIO_SLOTS)
			break;
		r = uring_wait(&b->ring);
		if (r < 0) {
			warn("virtio-blk: waiting for I/O in flight: %s",
			     strerror(-r));
			break;
		}
	}
	b->starved = 0;
}

static void blk_reset(struct virtio_dev *vd)
{
	struct virtio_blk *b = vd->priv;

	aio_drain(b);
	/* what a failed drain left in flight must not reach the new queues */
	b->generation++;
}

/* A read or write the disk can do: direction, size, range (overflow-safe). */
static int rw_req_ok(struct virtio_blk *b, const struct blk_req *r)
{
	return (r->type == VIRTIO_BLK_T_IN || !b->read_only) &&
	       !(r->data_len % SECTOR_SIZE) && r->data_len <= MAX_REQ_BYTES &&
	       in_range(b, r->sector, r->data_len);
}

static uint8_t do_read_write(struct virtio_blk *b, struct virtq_req *req,
			     const struct blk_req *r, uint32_t *written)
{
	int is_in = r->type == VIRTIO_BLK_T_IN;
	int n;

	if (!rw_req_ok(b, r))
		return VIRTIO_BLK_S_IOERR;
	n = data_iov(req, is_in, r->data_len, b->iov, VIRTQ_MAX_SEGS);
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

/*
 * A read the page cache can answer at once is done right here: cheaper
 * than a trip through the io_uring (measured: 4 KiB reads at qd 32 from
 * a cached image).  RWF_NOWAIT fails instead of waiting for the disk;
 * then, or when the file system cannot say, the io_uring does it.
 */
static int cached_read(struct virtio_blk *b, struct virtq_req *req,
		       const struct blk_req *r)
{
	ssize_t got;
	int n;

	if (b->direct || b->no_nowait || r->type != VIRTIO_BLK_T_IN)
		return 0;
	n = data_iov(req, 1, r->data_len, b->iov, VIRTQ_MAX_SEGS);
	got = preadv2(b->fd, b->iov, n, r->sector * SECTOR_SIZE, RWF_NOWAIT);
	if (got < 0 && errno == EOPNOTSUPP)
		b->no_nowait = 1;
	return got >= 0 && (uint64_t)got == r->data_len;
}

/* Can this request go to the io_uring (after its checks passed)? */
static int aio_wanted(struct virtio_blk *b, const struct blk_req *r)
{
	if (!b->aio)
		return 0;
	if (r->type == VIRTIO_BLK_T_FLUSH)
		return !b->read_only;
	return rw_req_ok(b, r);
}

/*
 * Returns bytes written into the guest's buffers, status included, or
 * REQ_PENDING when the io_uring completes the request later.
 */
static uint32_t handle_request(struct virtio_blk *b, unsigned int q,
			       struct virtq_req *req)
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
		if (aio_wanted(b, &r)) {
			if (cached_read(b, req, &r)) {
				status = VIRTIO_BLK_S_OK;
				written = r.data_len;
				break;
			}
			if (aio_start(b, q, req, &r))
				return REQ_PENDING;
		}
		status = do_read_write(b, req, &r, &written);
		break;
	case VIRTIO_BLK_T_FLUSH:
		if (aio_wanted(b, &r) && aio_start(b, q, req, &r))
			return REQ_PENDING;
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
	int r = 0, done = 0, pushed = 0, submitted = 0;
	uint32_t written;

	while (done < BURST && bytes < BURST_BYTES) {
		if (b->aio && !b->nr_free) {
			b->starved = 1; /* a completion kicks the queue */
			break;
		}
		r = virtq_pop(vq, &vd->vm->mem, req);
		if (r != 1)
			break;
		if (req->out_len < sizeof(struct virtio_blk_outhdr) ||
		    req->in_len < 1) {
			r = -1; /* no header or no status byte: unusable */
			break;
		}
		/* the status byte goes out after the I/O finished: no early
		 * ack */
		written = handle_request(b, q, req);
		if (written == REQ_PENDING) {
			submitted++;
		} else {
			virtq_push(vq, req->head, written);
			pushed++;
		}
		bytes += req->out_len + req->in_len;
		done++;
	}
	if (b->aio)
		aio_submit(b);
	if (done == BURST || bytes >= BURST_BYTES)
		virtio_kick(vd, q); /* more later: others first */
	else if (r < 0)
		virtio_needs_reset(vd, "malformed request chain");
	if (pushed)
		virtio_queue_done(vd, q);
	/* page-cache hits completed inside the submission: answer now */
	if (submitted)
		aio_complete(b);
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
	.reset = blk_reset,
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
	vd->nr_queues = 1;
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

static void fill_config(struct virtio_blk *b, unsigned int nr_queues)
{
	struct virtio_blk_config *c = &b->config;

	c->capacity = b->capacity / SECTOR_SIZE;
	c->size_max = SIZE_MAX_SEG;
	c->seg_max = SEG_MAX;
	c->blk_size = SECTOR_SIZE;
	c->num_queues = nr_queues;
	c->max_discard_sectors = MAX_DISCARD_SECTORS;
	c->max_discard_seg = 1;
	c->discard_sector_alignment = 8;
	c->max_write_zeroes_sectors = MAX_DISCARD_SECTORS;
	c->max_write_zeroes_seg = 1;
	c->write_zeroes_may_unmap = 1;
}

/*
 * The io_uring for this disk; with aio=auto a kernel without a usable one
 * (too old, io_uring_disabled, a container's seccomp) means synchronous
 * I/O on the device loop, as aio=sync.
 */
static int aio_setup(struct virtio_blk *b, struct vm *vm,
		     const struct disk_config *d)
{
	char why[200];

	if (d->aio == DISK_AIO_SYNC)
		return 0;
	if (uring_init(&b->ring, AIO_SLOTS, b->fd, why, sizeof(why))) {
		if (d->aio == DISK_AIO_AUTO)
			return 0;
		err("disk %s: aio=io_uring: %s", d->path, why);
		return -1;
	}
	b->aio = 1;
	for (unsigned int i = 0; i < AIO_SLOTS; i++)
		b->free_slot[i] = AIO_SLOTS - 1 - i;
	b->nr_free = AIO_SLOTS;
	b->aio_done = (struct event_source){ .fd = b->ring.event_fd,
					     .handler = aio_event,
					     .opaque = b };
	if (event_loop_add(&vm->loop, &b->aio_done, EPOLLIN)) {
		err("disk %s: cannot watch its io_uring", d->path);
		return -1;
	}
	return 0;
}

/* At exit every acknowledged write reaches the disk, even on SIGTERM. */
static void blk_destroy(void *arg)
{
	struct virtio_blk *b = arg;

	if (b->aio) {
		aio_drain(b); /* before the flush: it must cover them */
		uring_free(&b->ring);
		b->aio = 0;
	}
	for (unsigned int i = 0; i < AIO_SLOTS; i++)
		free(b->slot[i]);
	if (b->fd < 0)
		return;
	if (!b->read_only && fdatasync(b->fd))
		warn("disk flush failed: %s", strerror(errno));
	close(b->fd);
	if (b->vd && b->vd->ops)
		virtio_dev_free(b->vd);
}

/*
 * A request queue per vCPU (VIRTIO_BLK_F_MQ) unless queues= says: a Linux
 * guest then submits from each CPU without sharing a queue, and each
 * queue's completions come back on its own MSI-X vector.  One device loop
 * serves them all; the io_uring overlaps their I/O.
 */
_Static_assert(DISK_QUEUES_MAX == VIRTIO_MAX_QUEUES, "queues= limit");

static unsigned int disk_queues(const struct vm *vm,
				const struct disk_config *d)
{
	unsigned int n = d->queues;

	if (!n)
		n = vm->nr_vcpus > 0 ? (unsigned int)vm->nr_vcpus : 1;
	return n > VIRTIO_MAX_QUEUES ? VIRTIO_MAX_QUEUES : n;
}

int virtio_blk_create(struct vm *vm, const struct disk_config *d)
{
	struct virtio_blk *b = calloc(1, sizeof(*b));
	uint64_t features =
		1ULL << VIRTIO_BLK_F_SIZE_MAX | 1ULL << VIRTIO_BLK_F_SEG_MAX |
		1ULL << VIRTIO_BLK_F_BLK_SIZE | 1ULL << VIRTIO_BLK_F_FLUSH |
		1ULL << VIRTIO_BLK_F_DISCARD |
		1ULL << VIRTIO_BLK_F_WRITE_ZEROES | 1ULL << VIRTIO_BLK_F_MQ;
	unsigned int nr_queues = disk_queues(vm, d);

	if (!b)
		return -1;
	vm_own_device(vm, b); /* freed with the VM, even on failure */
	b->fd = -1;
	b->read_only = d->read_only;
	b->direct = d->direct;
	memcpy(b->serial, d->serial, strnlen(d->serial, DISK_SERIAL_MAX));
	vm_on_destroy(vm, blk_destroy, b);
	b->ring.fd = b->ring.event_fd = -1;
	if (open_image(b, d) || aio_setup(b, vm, d))
		return -1;
	if (vm->nr_blk < MAX_DISKS)
		vm->blk[vm->nr_blk++] = b; /* the firmware's drives 0x80.. */
	if (d->read_only)
		features |= 1ULL << VIRTIO_BLK_F_RO;
	fill_config(b, nr_queues);
	b->vd = d->mmio ? &b->mmio.vd : &b->pci.vd;
	if (virtio_dev_init_queues(b->vd, vm, &blk_ops, nr_queues, features, b,
				   (uint8_t *)&b->config) ||
	    (d->mmio ? virtio_mmio_register(vm, &b->mmio)
		     : virtio_pci_register(vm, &b->pci))) {
		err("cannot create virtio-blk for %s", d->path);
		return -1;
	}
	return 0;
}
