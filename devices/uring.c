// SPDX-License-Identifier: GPL-2.0
/*
 * io_uring through its three system calls (io_uring_setup(2),
 * io_uring_enter(2), io_uring_register(2)); ring layout and memory
 * ordering as the kernel's io_uring.h describes them: the SQ tail and CQ
 * head are ours (release stores), the SQ head and CQ tail the kernel's
 * (acquire loads).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "uring.h"

static int sys_setup(unsigned int entries, struct io_uring_params *p)
{
	return syscall(__NR_io_uring_setup, entries, p);
}

static int sys_enter(int fd, unsigned int submit, unsigned int min,
		     unsigned int flags)
{
	return syscall(__NR_io_uring_enter, fd, submit, min, flags, NULL, 0);
}

static int sys_register(int fd, unsigned int op, const void *arg,
			unsigned int nr)
{
	return syscall(__NR_io_uring_register, fd, op, arg, nr);
}

static void *map_ring(int fd, size_t len, uint64_t off)
{
	return mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_POPULATE, fd, off);
}

static int map_rings(struct uring *u, const struct io_uring_params *p)
{
	u->sq_ring_len = p->sq_off.array + p->sq_entries * sizeof(unsigned int);
	u->cq_ring_len =
		p->cq_off.cqes + p->cq_entries * sizeof(struct io_uring_cqe);
	if (p->features & IORING_FEAT_SINGLE_MMAP) {
		if (u->cq_ring_len > u->sq_ring_len)
			u->sq_ring_len = u->cq_ring_len;
		u->cq_ring_len = 0; /* one mapping for both */
	}
	u->sq_ring = map_ring(u->fd, u->sq_ring_len, IORING_OFF_SQ_RING);
	if (u->sq_ring == MAP_FAILED)
		return -1;
	u->cq_ring = u->sq_ring;
	if (u->cq_ring_len) {
		u->cq_ring =
			map_ring(u->fd, u->cq_ring_len, IORING_OFF_CQ_RING);
		if (u->cq_ring == MAP_FAILED)
			return -1;
	}
	u->sqes_len = p->sq_entries * sizeof(struct io_uring_sqe);
	u->sqes = map_ring(u->fd, u->sqes_len, IORING_OFF_SQES);
	if (u->sqes == MAP_FAILED)
		return -1;
	u->sq_head = (unsigned int *)((char *)u->sq_ring + p->sq_off.head);
	u->sq_tail = (unsigned int *)((char *)u->sq_ring + p->sq_off.tail);
	u->sq_mask = (unsigned int *)((char *)u->sq_ring + p->sq_off.ring_mask);
	u->sq_array = (unsigned int *)((char *)u->sq_ring + p->sq_off.array);
	u->cq_head = (unsigned int *)((char *)u->cq_ring + p->cq_off.head);
	u->cq_tail = (unsigned int *)((char *)u->cq_ring + p->cq_off.tail);
	u->cq_mask = (unsigned int *)((char *)u->cq_ring + p->cq_off.ring_mask);
	u->cqes = (struct io_uring_cqe *)((char *)u->cq_ring + p->cq_off.cqes);
	u->sq_entries = p->sq_entries;
	u->local_tail = *u->sq_tail;
	return 0;
}

/* Reads, writes and flushes; nothing else, ever. */
static int restrict_ring(struct uring *u)
{
	static const uint8_t ops[] = { IORING_OP_READV, IORING_OP_WRITEV,
				       IORING_OP_FSYNC };
	struct io_uring_restriction r[4];
	unsigned int n = 0;

	memset(r, 0, sizeof(r));
	for (unsigned int i = 0; i < sizeof(ops); i++) {
		r[n].opcode = IORING_RESTRICTION_SQE_OP;
		r[n++].sqe_op = ops[i];
	}
	r[n].opcode = IORING_RESTRICTION_SQE_FLAGS_ALLOWED;
	r[n++].sqe_flags = IOSQE_IO_DRAIN;
	return sys_register(u->fd, IORING_REGISTER_RESTRICTIONS, r, n);
}

static int setup_failed(struct uring *u, const char *what, char *why,
			size_t len)
{
	snprintf(why, len, "%s: %s", what, strerror(errno));
	uring_free(u);
	return -1;
}

int uring_init(struct uring *u, unsigned int entries, int file_fd, char *why,
	       size_t len)
{
	/* disabled until locked down: nothing runs before the restrictions */
	struct io_uring_params p = { .flags = IORING_SETUP_R_DISABLED };

	memset(u, 0, sizeof(*u));
	u->event_fd = -1;
	u->file_fd = file_fd;
	u->sq_ring = u->cq_ring = u->sqes = MAP_FAILED;
	u->fd = sys_setup(entries, &p);
	if (u->fd < 0)
		return setup_failed(u, "io_uring_setup", why, len);
	if (map_rings(u, &p))
		return setup_failed(u, "mapping the rings", why, len);
	u->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (u->event_fd < 0 ||
	    sys_register(u->fd, IORING_REGISTER_EVENTFD, &u->event_fd, 1))
		return setup_failed(u, "registering the eventfd", why, len);
	if (restrict_ring(u))
		return setup_failed(u, "restricting the ring", why, len);
	if (sys_register(u->fd, IORING_REGISTER_ENABLE_RINGS, NULL, 0))
		return setup_failed(u, "enabling the ring", why, len);
	return 0;
}

void uring_free(struct uring *u)
{
	if (u->sqes != MAP_FAILED && u->sqes)
		munmap(u->sqes, u->sqes_len);
	if (u->cq_ring != MAP_FAILED && u->cq_ring && u->cq_ring != u->sq_ring)
		munmap(u->cq_ring, u->cq_ring_len);
	if (u->sq_ring != MAP_FAILED && u->sq_ring)
		munmap(u->sq_ring, u->sq_ring_len);
	u->sqes = u->cq_ring = u->sq_ring = NULL;
	if (u->event_fd >= 0)
		close(u->event_fd);
	if (u->fd >= 0)
		close(u->fd);
	u->fd = u->event_fd = -1;
}

struct io_uring_sqe *uring_get_sqe(struct uring *u)
{
	unsigned int head = __atomic_load_n(u->sq_head, __ATOMIC_ACQUIRE);
	unsigned int idx = u->local_tail & *u->sq_mask;
	struct io_uring_sqe *sqe;

	if (u->local_tail - head >= u->sq_entries)
		return NULL;
	sqe = &u->sqes[idx];
	memset(sqe, 0, sizeof(*sqe));
	sqe->fd = u->file_fd;
	u->sq_array[idx] = idx;
	u->local_tail++;
	return sqe;
}

int uring_submit(struct uring *u)
{
	unsigned int pending;
	int r;

	/* the SQEs are filled in: publish them */
	__atomic_store_n(u->sq_tail, u->local_tail, __ATOMIC_RELEASE);
	pending = u->local_tail - __atomic_load_n(u->sq_head, __ATOMIC_ACQUIRE);
	if (!pending)
		return 0;
	do
		r = sys_enter(u->fd, pending, 0, 0);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : 0;
}

int uring_wait(struct uring *u)
{
	unsigned int pending;
	int r;

	/* SQEs an earlier failed submission left queued go in first: a wait
	 * for requests the kernel never saw would never end */
	__atomic_store_n(u->sq_tail, u->local_tail, __ATOMIC_RELEASE);
	pending = u->local_tail - __atomic_load_n(u->sq_head, __ATOMIC_ACQUIRE);
	do
		r = sys_enter(u->fd, pending, 1, IORING_ENTER_GETEVENTS);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : 0;
}

int uring_next_cqe(struct uring *u, struct io_uring_cqe *cqe)
{
	unsigned int head = *u->cq_head;

	if (head == __atomic_load_n(u->cq_tail, __ATOMIC_ACQUIRE))
		return 0;
	*cqe = u->cqes[head & *u->cq_mask];
	__atomic_store_n(u->cq_head, head + 1, __ATOMIC_RELEASE);
	return 1;
}
