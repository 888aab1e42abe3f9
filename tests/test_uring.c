// SPDX-License-Identifier: GPL-2.0
/* devices/uring.c: I/O through the ring, its eventfd, its lockdown. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "suites.h"
#include "uring.h"

static void init_or_fail(struct uring *u, int fd)
{
	char why[200];

	if (uring_init(u, 8, fd, why, sizeof(why)))
		ck_abort_msg("%s (is /proc/sys/kernel/io_uring_disabled 0?)",
			     why);
}

/* submits one SQE, waits, returns the completion's result */
static int run_one(struct uring *u, struct io_uring_sqe *sqe)
{
	struct io_uring_cqe cqe;

	sqe->user_data = 42;
	ck_assert_int_eq(uring_submit(u), 0);
	while (!uring_next_cqe(u, &cqe))
		ck_assert_int_eq(uring_wait(u), 0);
	ck_assert_uint_eq(cqe.user_data, 42);
	return cqe.res;
}

static int rw(struct uring *u, int op, void *buf, size_t len, uint64_t off)
{
	struct iovec iov = { buf, len };
	struct io_uring_sqe *sqe = uring_get_sqe(u);

	ck_assert_ptr_nonnull(sqe);
	sqe->opcode = op;
	sqe->addr = (uintptr_t)&iov;
	sqe->len = 1;
	sqe->off = off;
	return run_one(u, sqe);
}

START_TEST(test_write_read_fsync)
{
	char path[] = "/tmp/kvmini-uring-XXXXXX";
	int fd = mkstemp(path);
	uint8_t out[8192], in[8192];
	struct io_uring_sqe *sqe;
	struct uring u;

	ck_assert_int_ge(fd, 0);
	unlink(path);
	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)(i * 7 + 3);
	init_or_fail(&u, fd);
	ck_assert_int_eq(rw(&u, IORING_OP_WRITEV, out, sizeof(out), 4096),
			 sizeof(out));
	ck_assert_int_eq(lseek(fd, 0, SEEK_END), 4096 + sizeof(out));
	memset(in, 0, sizeof(in));
	ck_assert_int_eq(rw(&u, IORING_OP_READV, in, sizeof(in), 4096),
			 sizeof(in));
	ck_assert_mem_eq(in, out, sizeof(in));
	/* past the end: a read of nothing */
	ck_assert_int_eq(rw(&u, IORING_OP_READV, in, sizeof(in), 1 << 20), 0);
	sqe = uring_get_sqe(&u);
	sqe->opcode = IORING_OP_FSYNC;
	sqe->fsync_flags = IORING_FSYNC_DATASYNC;
	sqe->flags |= IOSQE_IO_DRAIN;
	ck_assert_int_eq(run_one(&u, sqe), 0);
	uring_free(&u);
	close(fd);
}
END_TEST

/* a read that cannot finish yet: no completion, no event, until it can */
START_TEST(test_eventfd_on_completion)
{
	int p[2];
	char buf[16] = "";
	struct iovec iov = { buf, sizeof(buf) };
	struct io_uring_cqe cqe;
	struct io_uring_sqe *sqe;
	struct uring u;
	uint64_t v;

	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	init_or_fail(&u, p[0]);
	sqe = uring_get_sqe(&u);
	sqe->opcode = IORING_OP_READV;
	sqe->addr = (uintptr_t)&iov;
	sqe->len = 1;
	sqe->off = -1; /* a pipe has no offset */
	sqe->user_data = 7;
	ck_assert_int_eq(uring_submit(&u), 0);
	ck_assert_int_eq(uring_next_cqe(&u, &cqe), 0);
	ck_assert_int_eq(read(u.event_fd, &v, sizeof(v)), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_int_eq(write(p[1], "hello", 5), 5);
	ck_assert_int_eq(uring_wait(&u), 0);
	ck_assert_int_eq(uring_next_cqe(&u, &cqe), 1);
	ck_assert_uint_eq(cqe.user_data, 7);
	ck_assert_int_eq(cqe.res, 5);
	ck_assert_str_eq(buf, "hello");
	ck_assert_int_eq(read(u.event_fd, &v, sizeof(v)), sizeof(v));
	ck_assert_uint_ge(v, 1);
	uring_free(&u);
	close(p[0]);
	close(p[1]);
}
END_TEST

/* the lockdown: other operations, fixed files, registration: refused */
START_TEST(test_restricted)
{
	char path[] = "/tmp/kvmini-uring-XXXXXX";
	int fd = mkstemp(path);
	struct io_uring_sqe *sqe;
	struct uring u;
	char buf[8];

	ck_assert_int_ge(fd, 0);
	unlink(path);
	init_or_fail(&u, fd);
	sqe = uring_get_sqe(&u);
	sqe->opcode = IORING_OP_NOP;
	ck_assert_int_eq(run_one(&u, sqe), -EACCES);
	sqe = uring_get_sqe(&u);
	sqe->opcode = IORING_OP_OPENAT;
	sqe->fd = AT_FDCWD;
	sqe->addr = (uintptr_t) "/etc/passwd";
	ck_assert_int_eq(run_one(&u, sqe), -EACCES);
	sqe = uring_get_sqe(&u);
	sqe->opcode = IORING_OP_READ;
	sqe->addr = (uintptr_t)buf;
	sqe->len = sizeof(buf);
	ck_assert_int_eq(run_one(&u, sqe), -EACCES);
	sqe = uring_get_sqe(&u);
	sqe->opcode = IORING_OP_FSYNC;
	sqe->flags |= IOSQE_FIXED_FILE;
	sqe->fd = 0;
	ck_assert_int_eq(run_one(&u, sqe), -EACCES);
	ck_assert_int_eq(syscall(__NR_io_uring_register, u.fd,
				 IORING_REGISTER_FILES, &fd, 1),
			 -1);
	ck_assert_int_eq(errno, EACCES);
	uring_free(&u);
	close(fd);
}
END_TEST

/* as many SQEs as asked for, then NULL until they are submitted */
START_TEST(test_sq_full)
{
	int p[2];
	struct uring u;
	unsigned int n = 0;

	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	init_or_fail(&u, p[0]);
	while (uring_get_sqe(&u))
		n++;
	ck_assert_uint_eq(n, 8);
	uring_free(&u);
	close(p[0]);
	close(p[1]);
}
END_TEST

Suite *uring_suite(void)
{
	Suite *s = suite_create("uring");
	TCase *tc = tcase_create("io");

	tcase_add_test(tc, test_write_read_fsync);
	tcase_add_test(tc, test_eventfd_on_completion);
	tcase_add_test(tc, test_restricted);
	tcase_add_test(tc, test_sq_full);
	suite_add_tcase(s, tc);
	return s;
}
