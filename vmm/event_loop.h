/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The device loop: one thread blocked in epoll_wait() that runs device
 * work (console input, signals, later ioeventfd queue notifications), so
 * vCPU threads only ever do what an exit requires.
 */
#ifndef KVMINI_EVENT_LOOP_H
#define KVMINI_EVENT_LOOP_H

#include <pthread.h>
#include <stdint.h>

struct event_source {
	int fd;
	void (*handler)(struct event_source *src, uint32_t events);
	void *opaque;
};

struct event_loop {
	int epoll_fd;
	int wake_fd; /* eventfd that asks the loop to stop */
	pthread_t thread;
	int started;
};

int event_loop_init(struct event_loop *loop);
void event_loop_destroy(struct event_loop *loop);
/* @src must live until it is removed; events are EPOLLIN etc. */
int event_loop_add(struct event_loop *loop, struct event_source *src,
		   uint32_t events);
int event_loop_mod(struct event_loop *loop, struct event_source *src,
		   uint32_t events);
int event_loop_del(struct event_loop *loop, struct event_source *src);
int event_loop_start(struct event_loop *loop);
/* Stops and joins the loop thread; handlers are not running afterwards. */
void event_loop_stop(struct event_loop *loop);

#endif
