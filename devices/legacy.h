/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small PC legacy devices, one file each: i8042.c, rtc_cmos.c, post.c,
 * and the test-exit port (test_exit.c).
 */
#ifndef KVMINI_LEGACY_H
#define KVMINI_LEGACY_H

struct vm;

/* Keyboard controller: only what a reset through it (0xFE) needs. */
int i8042_create(struct vm *vm);
/* MC146818 CMOS clock at 0x70/0x71, reading the host's UTC time. */
int rtc_cmos_create(struct vm *vm);
/* Port 0x80 POST codes and I/O delays: accepted silently. */
int post_port_create(struct vm *vm);
/* Port 0xF4 when --test-exit: a write of v ends kvmini with (v << 1) | 1. */
int test_exit_create(struct vm *vm);

#endif
