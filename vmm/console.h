/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The user's side of the serial console: stdout/file output, stdin input
 * in raw mode with the Ctrl-A escape (Ctrl-A x quits, Ctrl-A Ctrl-A sends
 * Ctrl-A, Ctrl-A h helps).  The terminal is restored on every exit path.
 */
#ifndef KVMINI_CONSOLE_H
#define KVMINI_CONSOLE_H

#include "config.h"

struct console;
struct serial;
struct vm;

/* Opens the output; prints why and returns NULL on failure. */
struct console *console_create(const struct vm_config *cfg);
int console_out_fd(const struct console *con);
/* Starts feeding input to @serial from the device loop; raw terminal. */
int console_attach(struct console *con, struct vm *vm, struct serial *serial);
/* Called by the UART when it can take input again (any thread). */
void console_rx_space(void *opaque);
void console_detach(struct console *con);
void console_free(struct console *con);

/* Raw mode on stdin when it is a terminal (kvmini console); restored
 * at exit and on crash signals. */
void console_raw_terminal(void);
/* Puts the terminal back as it was; safe from signal handlers. */
void console_restore_terminal(void);

#endif
