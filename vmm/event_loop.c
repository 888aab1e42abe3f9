// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "event_loop.h"
#include "log.h"
#include "seccomp.h"

int event_loop_init(struct event_loop *loop)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };

	memset(loop, 0, sizeof(*loop));
	loop->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	loop->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (loop->epoll_fd < 0 || loop->wake_fd < 0)
		goto fail;
	/* data.ptr == NULL marks the wake-up fd */
	if (epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, loop->wake_fd, &ev))
		goto fail;
	return 0;
fail:
	event_loop_destroy(loop);
	return -1;
}

void event_loop_destroy(struct event_loop *loop)
{
	if (loop->epoll_fd > 0)
		close(loop->epoll_fd);
	if (loop->wake_fd > 0)
		close(loop->wake_fd);
	loop->epoll_fd = loop->wake_fd = -1;
}

int event_loop_add(struct event_loop *loop, struct event_source *src,
		   uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = src };

	return epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, src->fd, &ev);
}

int event_loop_mod(struct event_loop *loop, struct event_source *src,
		   uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = src };

	return epoll_ctl(loop->epoll_fd, EPOLL_CTL_MOD, src->fd, &ev);
}

int event_loop_del(struct event_loop *loop, struct event_source *src)
{
	return epoll_ctl(loop->epoll_fd, EPOLL_CTL_DEL, src->fd, NULL);
}

static void *event_loop_thread(void *arg)
{
	struct event_loop *loop = arg;
	struct epoll_event evs[16];

	seccomp_enter_role(SECCOMP_ROLE_DEVICE);
	for (;;) {
		int n = epoll_wait(loop->epoll_fd, evs, 16, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err("device loop: epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			struct event_source *src = evs[i].data.ptr;

			if (!src)
				return NULL;
			src->handler(src, evs[i].events);
		}
	}
	return NULL;
}

int event_loop_start(struct event_loop *loop)
{
	if (pthread_create(&loop->thread, NULL, event_loop_thread, loop))
		return -1;
	loop->started = 1;
	return 0;
}

void event_loop_stop(struct event_loop *loop)
{
	uint64_t one = 1;

	if (!loop->started)
		return;
	if (write(loop->wake_fd, &one, sizeof(one)) < 0)
		warn("device loop: cannot wake: %s", strerror(errno));
	pthread_join(loop->thread, NULL);
	loop->started = 0;
}
