/*
 * Console output on COM1 (0x3f8).  kvmini's UART transmits instantly, so
 * nothing polls the line status register.
 *
 * printf understands %s %c %d %u %x %p, the l and ll length modifiers
 * (%lx, %llx, %llu, ...), a field width, the 0 flag (%08x) and the - flag (%-12s).
 */
#ifndef GUEST_SERIAL_H
#define GUEST_SERIAL_H

#include <stdarg.h>

void putc(char c);
void puts(const char *s); /* no newline added */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap);

#endif
