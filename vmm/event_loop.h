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

#define EVENT_LOOP_MAX_KEEP 4

struct event_loop {
	int epoll_fd;
	int wake_fd; /* eventfd: look at stop_req / pause_req */
	pthread_t thread;
	int started;
	/* pause (docs/management.md): while paused only the sources in
	 * keep[] are served (signals), everything else waits */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int stop_req, pause_req, paused;
	struct event_source *keep[EVENT_LOOP_MAX_KEEP];
	int nr_keep;
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

/* @src (already added) is served while the loop is paused too. */
int event_loop_keep_when_paused(struct event_loop *loop,
				struct event_source *src);
/*
 * Any thread but the loop's: returns once no handler runs and none will
 * but the kept ones, until event_loop_resume().  Events that come
 * meanwhile stay pending (level-triggered) and are served on resume.
 */
void event_loop_pause(struct event_loop *loop);
void event_loop_resume(struct event_loop *loop);

#endif
