// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <poll.h>
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
	pthread_mutex_init(&loop->lock, NULL);
	pthread_cond_init(&loop->cond, NULL);
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
	pthread_mutex_destroy(&loop->lock);
	pthread_cond_destroy(&loop->cond);
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

int event_loop_keep_when_paused(struct event_loop *loop,
				struct event_source *src)
{
	int ret = -1;

	pthread_mutex_lock(&loop->lock);
	if (loop->nr_keep < EVENT_LOOP_MAX_KEEP) {
		loop->keep[loop->nr_keep++] = src;
		ret = 0;
	}
	pthread_mutex_unlock(&loop->lock);
	return ret;
}

static void drain_wake(struct event_loop *loop)
{
	uint64_t n;

	if (read(loop->wake_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		warn_once("device loop: wake read: %s", strerror(errno));
}

/* Paused: serve only the kept sources until resumed or stopped. */
static void paused_wait(struct event_loop *loop)
{
	struct pollfd fds[1 + EVENT_LOOP_MAX_KEEP];
	int nr = loop->nr_keep;

	fds[0] = (struct pollfd){ .fd = loop->wake_fd, .events = POLLIN };
	for (int i = 0; i < nr; i++)
		fds[1 + i] = (struct pollfd){ .fd = loop->keep[i]->fd,
					      .events = POLLIN };
	for (;;) {
		pthread_mutex_lock(&loop->lock);
		if (loop->stop_req || !loop->pause_req) {
			loop->paused = 0;
			pthread_cond_broadcast(&loop->cond);
			pthread_mutex_unlock(&loop->lock);
			return;
		}
		pthread_mutex_unlock(&loop->lock);
		if (poll(fds, 1 + nr, -1) < 0) {
			if (errno == EINTR)
				continue;
			err("device loop: poll: %s", strerror(errno));
			pthread_mutex_lock(&loop->lock);
			loop->pause_req = 0; /* cannot wait: serve all again */
			pthread_mutex_unlock(&loop->lock);
			continue;
		}
		if (fds[0].revents)
			drain_wake(loop);
		for (int i = 0; i < nr; i++)
			if (fds[1 + i].revents)
				loop->keep[i]->handler(loop->keep[i],
						       fds[1 + i].revents);
	}
}

/* The wake-up fd fired: 1 when the loop must end. */
static int woken(struct event_loop *loop)
{
	int stop, pause;

	drain_wake(loop);
	pthread_mutex_lock(&loop->lock);
	stop = loop->stop_req;
	pause = loop->pause_req && !stop;
	if (pause) {
		loop->paused = 1;
		pthread_cond_broadcast(&loop->cond);
	}
	pthread_mutex_unlock(&loop->lock);
	if (pause)
		paused_wait(loop);
	return loop->stop_req;
}

static void *event_loop_thread(void *arg)
{
	struct event_loop *loop = arg;
	struct epoll_event evs[16];

	pthread_setname_np(pthread_self(), "devices");
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

			if (!src) {
				if (woken(loop))
					return NULL;
				/* after a pause: the batch may be stale */
				break;
			}
			src->handler(src, evs[i].events);
		}
	}
	return NULL;
}

static void wake(struct event_loop *loop)
{
	uint64_t one = 1;

	if (write(loop->wake_fd, &one, sizeof(one)) < 0)
		warn("device loop: cannot wake: %s", strerror(errno));
}

void event_loop_pause(struct event_loop *loop)
{
	pthread_mutex_lock(&loop->lock);
	loop->pause_req = 1;
	pthread_mutex_unlock(&loop->lock);
	if (!loop->started)
		return;
	wake(loop);
	pthread_mutex_lock(&loop->lock);
	while (!loop->paused && !loop->stop_req)
		pthread_cond_wait(&loop->cond, &loop->lock);
	pthread_mutex_unlock(&loop->lock);
}

void event_loop_resume(struct event_loop *loop)
{
	pthread_mutex_lock(&loop->lock);
	loop->pause_req = 0;
	pthread_mutex_unlock(&loop->lock);
	if (loop->started)
		wake(loop);
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
	if (!loop->started)
		return;
	pthread_mutex_lock(&loop->lock);
	loop->stop_req = 1;
	pthread_cond_broadcast(&loop->cond);
	pthread_mutex_unlock(&loop->lock);
	wake(loop);
	pthread_join(loop->thread, NULL);
	loop->started = 0;
}
