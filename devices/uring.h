/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal io_uring (raw system calls, <linux/io_uring.h> only) for one
 * file: the disk backends submit reads, writes and flushes and learn of
 * completions through an eventfd on the device loop.  The ring is locked
 * down before use (IORING_REGISTER_RESTRICTIONS): only READV, WRITEV and
 * FSYNC, no further registration.  So the ring, whose operations seccomp
 * does not see, can do nothing that the device loop's own preadv, pwritev
 * and fsync could not.  The file is not registered with the ring: a
 * registered file stays open until the kernel tears the ring down, some
 * time after close(), and its lock with it (the next kvmini on the same
 * image would find it locked).
 */
#ifndef KVMINI_URING_H
#define KVMINI_URING_H

#include <linux/io_uring.h>
#include <stddef.h>
#include <stdint.h>

struct uring {
	int fd;
	int file_fd;  /* the file every SQE is aimed at */
	int event_fd; /* readable when completions were posted */
	unsigned int sq_entries;
	unsigned int local_tail; /* SQEs filled in, published at submit */
	/* submission queue, shared with the kernel */
	unsigned int *sq_head, *sq_tail, *sq_mask, *sq_array;
	struct io_uring_sqe *sqes;
	/* completion queue */
	unsigned int *cq_head, *cq_tail, *cq_mask;
	struct io_uring_cqe *cqes;
	void *sq_ring, *cq_ring;
	size_t sq_ring_len, cq_ring_len, sqes_len;
};

/*
 * @entries: submission slots (a power of two); @file_fd: the file the
 * SQEs of uring_get_sqe() are aimed at.  -1 with @why filled in
 * when the kernel has no usable io_uring (old, disabled, restricted).
 */
int uring_init(struct uring *u, unsigned int entries, int file_fd, char *why,
	       size_t len);
void uring_free(struct uring *u);

/* A cleared SQE aimed at the file, or NULL when the SQ is full. */
struct io_uring_sqe *uring_get_sqe(struct uring *u);
/* Hands every queued SQE to the kernel; 0, or -errno (they stay queued). */
int uring_submit(struct uring *u);
/* Hands over what is still queued, then blocks until at least one
 * completion is there (or -errno). */
int uring_wait(struct uring *u);
/* 1: *cqe holds the next completion (consumed); 0: none. */
int uring_next_cqe(struct uring *u, struct io_uring_cqe *cqe);

#endif
