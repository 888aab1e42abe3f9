/*
 * COM1 output and a small printf.  64-bit decimal conversion uses only
 * 32-bit divisions, so no libgcc helpers are needed.
 */
#include <stdarg.h>
#include <stdint.h>

#include "io.h"
#include "serial.h"

#define COM1 0x3f8

void putc(char c)
{
	outb(COM1, (uint8_t)c);
}

void puts(const char *s)
{
	while (*s)
		putc(*s++);
}

/* *n /= 10, returns the remainder, with 32-bit divisions only */
static unsigned div10(uint64_t *n)
{
	uint32_t hi = (uint32_t)(*n >> 32), lo = (uint32_t)*n;
	uint32_t qhi = hi / 10, r = hi % 10, t, q1, q0;

	t = (r << 16) | (lo >> 16);
	q1 = t / 10;
	r = t % 10;
	t = (r << 16) | (lo & 0xffff);
	q0 = t / 10;
	r = t % 10;
	*n = ((uint64_t)qhi << 32) | (q1 << 16) | q0;
	return r;
}

/* pad: ' ' or '0' on the left, '-' for spaces on the right */
static void put_num(uint64_t v, unsigned base, int neg, int width, char pad)
{
	char buf[24];
	int n = 0;

	do {
		unsigned d = base == 16 ? (unsigned)(v & 15) : div10(&v);

		if (base == 16)
			v >>= 4;
		buf[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
	} while (v);
	width -= n + neg;
	if (neg && pad == '0')
		putc('-');
	for (; pad != '-' && width > 0; width--)
		putc(pad);
	if (neg && pad != '0')
		putc('-');
	while (n)
		putc(buf[--n]);
	for (; width > 0; width--)
		putc(' ');
}

int vprintf(const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		int width = 0, lng = 0;
		char pad = ' ';
		uint64_t u;

		if (*fmt != '%') {
			putc(*fmt);
			continue;
		}
		for (fmt++; *fmt == '0' || *fmt == '-'; fmt++)
			if (pad != '-')
				pad = *fmt;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l') {
			lng++;
			fmt++;
		}
		switch (*fmt) {
		case 's': {
			const char *s = va_arg(ap, const char *);
			int len = 0;

			if (!s)
				s = "(null)";
			while (s[len])
				len++;
			for (width -= len; pad != '-' && width > 0; width--)
				putc(' ');
			puts(s);
			for (; width > 0; width--)
				putc(' ');
			break;
		}
		case 'c':
			putc((char)va_arg(ap, int));
			break;
		case 'd':
			if (lng >= 2) {
				int64_t v = va_arg(ap, int64_t);

				put_num(v < 0 ? -(uint64_t)v : (uint64_t)v, 10,
					v < 0, width, pad);
			} else {
				int64_t v = lng ? (int64_t)va_arg(ap, long)
						: va_arg(ap, int);

				put_num(v < 0 ? -(uint64_t)v : (uint64_t)v, 10,
					v < 0, width, pad);
			}
			break;
		case 'u':
		case 'x':
			if (lng >= 2)
				u = va_arg(ap, uint64_t);
			else if (lng)
				u = va_arg(ap, unsigned long);
			else
				u = va_arg(ap, unsigned);
			put_num(u, *fmt == 'x' ? 16 : 10, 0, width, pad);
			break;
		case 'p':
			puts("0x");
			put_num((uintptr_t)va_arg(ap, void *), 16, 0, 8, '0');
			break;
		case '%':
			putc('%');
			break;
		case '\0':
			fmt--;
			break;
		default:
			putc('%');
			putc(*fmt);
			break;
		}
	}
	return 0;
}

int printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	return 0;
}
