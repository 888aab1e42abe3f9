/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --console socket: the guest's serial output goes into an in-memory ring
 * (the last CONSOLE_RING_SIZE bytes) and to the one client attached to
 * the unix socket rundir/NAME.console; what the client sends is typed
 * into the UART.  The UART only copies bytes into the ring (vCPU
 * threads, never blocking); the device loop does all socket I/O.  A
 * client that stops reading falls behind in the ring and misses output;
 * it never stalls the guest.  Protocol: docs/management.md.
 *
 * One console_sock lives for the whole `kvmini run` (across
 * --reboot restart): attach/detach bind it to each VM's device loop.
 */
#ifndef KVMINI_CONSOLE_SOCK_H
#define KVMINI_CONSOLE_SOCK_H

#define CONSOLE_RING_SIZE (64 * 1024)

struct console_sock;
struct event_loop;
struct serial;

/* Listens on rundir/@name.console; prints why and returns NULL. */
struct console_sock *console_sock_create(const char *name);
/* Takes @serial's output and serves the socket from @loop (not running
 * yet) until console_sock_detach(). */
int console_sock_attach(struct console_sock *cs, struct event_loop *loop,
			struct serial *serial);
/* The UART has room for typed input again (any thread). */
void console_sock_rx_space(struct console_sock *cs);
/* After @loop stopped and the vCPUs are joined. */
void console_sock_detach(struct console_sock *cs);
/* Sends the client what it can, removes the socket, closes everything. */
void console_sock_free(struct console_sock *cs);

#endif
