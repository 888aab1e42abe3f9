// SPDX-License-Identifier: GPL-2.0
/*
 * 16550A UART, after the National Semiconductor PC16550D datasheet:
 * DLAB-switched divisor latch, IER/IIR with the datasheet's interrupt
 * priorities, FCR FIFO enable/reset, LCR, MCR (loopback, OUT2 gating
 * the IRQ as on PC boards), LSR, MSR and the scratch register.
 * Transmission is instantaneous: THR writes go straight to the output.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus.h"
#include "serial.h"
#include "vm.h"

enum uart_reg {
	UART_RBR_THR_DLL = 0,
	UART_IER_DLM = 1,
	UART_IIR_FCR = 2,
	UART_LCR = 3,
	UART_MCR = 4,
	UART_LSR = 5,
	UART_MSR = 6,
	UART_SCR = 7,
};

#define IER_RDI	 0x01 /* received data available */
#define IER_THRI 0x02 /* transmitter holding register empty */
#define IER_RLSI 0x04 /* receiver line status */
#define IER_MSI	 0x08 /* modem status */

#define IIR_NO_INT	 0x01
#define IIR_MSI		 0x00
#define IIR_THRI	 0x02
#define IIR_RDI		 0x04
#define IIR_RLSI	 0x06
#define IIR_FIFO_ENABLED 0xc0

#define FCR_ENABLE   0x01
#define FCR_CLEAR_RX 0x02

#define LCR_DLAB 0x80

#define MCR_DTR	 0x01
#define MCR_RTS	 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10

#define LSR_DR	 0x01
#define LSR_OE	 0x02
#define LSR_THRE 0x20
#define LSR_TEMT 0x40

#define MSR_DCTS 0x01
#define MSR_DDSR 0x02
#define MSR_TERI 0x04
#define MSR_DDCD 0x08
#define MSR_CTS	 0x10
#define MSR_DSR	 0x20
#define MSR_RI	 0x40
#define MSR_DCD	 0x80

#define RX_BUF_SIZE 1024 /* more than the 16-byte FIFO: paste-friendly */

struct serial {
	pthread_mutex_t lock;
	struct vm *vm;
	unsigned int irq;
	int out_fd;
	void (*out)(void *, uint8_t); /* instead of out_fd when set */
	void *out_opaque;
	void (*rx_space)(void *);
	void *rx_space_opaque;
	int rx_refused; /* serial_receive() turned bytes away */

	uint8_t ier, lcr, mcr, lsr, msr, scr, fcr;
	uint16_t divisor;
	int thr_ipending; /* THRE interrupt latched, until IIR read */
	int irq_level;

	uint8_t rx[RX_BUF_SIZE];
	size_t rx_head, rx_count;
};

static uint8_t modem_status(struct serial *s)
{
	uint8_t m = s->mcr;

	if (!(m & MCR_LOOP))
		return MSR_DCD | MSR_DSR | MSR_CTS; /* a cable is there */
	/* loopback wires outputs to inputs (datasheet, MCR bit 4) */
	return (m & MCR_RTS ? MSR_CTS : 0) | (m & MCR_DTR ? MSR_DSR : 0) |
	       (m & MCR_OUT1 ? MSR_RI : 0) | (m & MCR_OUT2 ? MSR_DCD : 0);
}

static void update_msr(struct serial *s)
{
	uint8_t prev = s->msr, cur = modem_status(s);
	uint8_t delta = 0;

	if ((prev ^ cur) & MSR_CTS)
		delta |= MSR_DCTS;
	if ((prev ^ cur) & MSR_DSR)
		delta |= MSR_DDSR;
	if ((prev & MSR_RI) && !(cur & MSR_RI))
		delta |= MSR_TERI;
	if ((prev ^ cur) & MSR_DCD)
		delta |= MSR_DDCD;
	s->msr = (cur & 0xf0) | ((prev | delta) & 0x0f);
}

/* Highest-priority pending interrupt, as IIR reports it. */
static uint8_t pending_iir(struct serial *s)
{
	if ((s->ier & IER_RLSI) && (s->lsr & LSR_OE))
		return IIR_RLSI;
	if ((s->ier & IER_RDI) && (s->lsr & LSR_DR))
		return IIR_RDI;
	if ((s->ier & IER_THRI) && s->thr_ipending)
		return IIR_THRI;
	if ((s->ier & IER_MSI) && (s->msr & 0x0f))
		return IIR_MSI;
	return IIR_NO_INT;
}

static void update_irq(struct serial *s)
{
	/* OUT2 gates the interrupt line on PC serial boards */
	int level = pending_iir(s) != IIR_NO_INT && (s->mcr & MCR_OUT2);

	if (level == s->irq_level)
		return;
	s->irq_level = level;
	if (s->vm)
		vm_set_irq_line(s->vm, s->irq, level);
}

static void rx_push(struct serial *s, uint8_t c)
{
	if (s->rx_count == RX_BUF_SIZE) {
		s->lsr |= LSR_OE;
		return;
	}
	s->rx[(s->rx_head + s->rx_count) % RX_BUF_SIZE] = c;
	s->rx_count++;
	s->lsr |= LSR_DR;
}

static uint8_t rx_pop(struct serial *s)
{
	uint8_t c = 0;

	if (s->rx_count) {
		c = s->rx[s->rx_head];
		s->rx_head = (s->rx_head + 1) % RX_BUF_SIZE;
		s->rx_count--;
	}
	if (!s->rx_count)
		s->lsr &= ~LSR_DR;
	return c;
}

/*
 * Called without s->lock: a console nobody reads (a full pipe) blocks only
 * this vCPU, never the device loop that takes s->lock for input.  The wait
 * is in short polls so that a stopping VM drops the byte instead of
 * hanging in write() (a kick that lands just before write() would be lost).
 */
static void output_byte(struct serial *s, uint8_t c)
{
	struct pollfd pfd = { .fd = s->out_fd, .events = POLLOUT };

	for (;;) {
		if (s->vm && vm_stopping(s->vm))
			return;
		if (poll(&pfd, 1, 100) == 0)
			continue;
		if (write(s->out_fd, &c, 1) >= 0 || errno != EINTR)
			return;
	}
}

/* Returns 1 when @c is to go to the output (after the lock is dropped). */
static int transmit(struct serial *s, uint8_t c)
{
	s->thr_ipending = 1; /* sent at once: THR is empty again */
	if (s->mcr & MCR_LOOP) {
		rx_push(s, c);
		return 0;
	}
	if (s->out) { /* a hook that never blocks (console socket ring) */
		s->out(s->out_opaque, c);
		return 0;
	}
	return s->out_fd >= 0;
}

uint8_t serial_reg_read(struct serial *s, unsigned int reg)
{
	uint8_t v = 0xff, iir;
	int wake = 0;

	pthread_mutex_lock(&s->lock);
	switch (reg) {
	case UART_RBR_THR_DLL:
		if (s->lcr & LCR_DLAB) {
			v = s->divisor & 0xff;
			break;
		}
		v = rx_pop(s);
		wake = s->rx_refused && s->rx_count < RX_BUF_SIZE / 2;
		if (wake)
			s->rx_refused = 0;
		break;
	case UART_IER_DLM:
		v = s->lcr & LCR_DLAB ? s->divisor >> 8 : s->ier;
		break;
	case UART_IIR_FCR:
		iir = pending_iir(s);
		/* reading IIR acknowledges a THRE interrupt */
		if (iir == IIR_THRI)
			s->thr_ipending = 0;
		v = iir | (s->fcr & FCR_ENABLE ? IIR_FIFO_ENABLED : 0);
		break;
	case UART_LCR: v = s->lcr; break;
	case UART_MCR: v = s->mcr; break;
	case UART_LSR:
		v = s->lsr | LSR_THRE | LSR_TEMT;
		s->lsr &= ~LSR_OE; /* cleared by reading LSR */
		break;
	case UART_MSR:
		v = s->msr;
		s->msr &= 0xf0; /* deltas clear on read */
		break;
	case UART_SCR: v = s->scr; break;
	}
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
	if (wake && s->rx_space)
		s->rx_space(s->rx_space_opaque);
	return v;
}

/* Returns 1 when clearing the receiver made room the console waits for. */
static int write_fcr(struct serial *s, uint8_t val)
{
	int wake = 0;

	s->fcr = val & 0xc9; /* enable, DMA mode, trigger level */
	if (val & FCR_CLEAR_RX) {
		s->rx_head = s->rx_count = 0;
		s->lsr &= ~LSR_DR;
		wake = s->rx_refused;
		s->rx_refused = 0;
	}
	return wake;
}

void serial_reg_write(struct serial *s, unsigned int reg, uint8_t val)
{
	int wake = 0, out = 0;

	pthread_mutex_lock(&s->lock);
	switch (reg) {
	case UART_RBR_THR_DLL:
		if (s->lcr & LCR_DLAB)
			s->divisor = (s->divisor & 0xff00) | val;
		else
			out = transmit(s, val);
		break;
	case UART_IER_DLM:
		if (s->lcr & LCR_DLAB) {
			s->divisor = (s->divisor & 0xff) | val << 8;
			break;
		}
		/* enabling THRE while THR is empty raises it at once */
		if (!(s->ier & IER_THRI) && (val & IER_THRI))
			s->thr_ipending = 1;
		s->ier = val & 0x0f;
		break;
	case UART_IIR_FCR: wake = write_fcr(s, val); break;
	case UART_LCR: s->lcr = val; break;
	case UART_MCR:
		s->mcr = val & 0x1f;
		update_msr(s);
		break;
	case UART_SCR: s->scr = val; break;
	default: break; /* LSR and MSR are read-only */
	}
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
	if (out)
		output_byte(s, val);
	if (wake && s->rx_space)
		s->rx_space(s->rx_space_opaque);
}

int serial_irq_level(struct serial *s)
{
	int level;

	pthread_mutex_lock(&s->lock);
	level = s->irq_level;
	pthread_mutex_unlock(&s->lock);
	return level;
}

size_t serial_receive(struct serial *s, const uint8_t *buf, size_t len)
{
	size_t n;

	pthread_mutex_lock(&s->lock);
	n = RX_BUF_SIZE - s->rx_count;
	if (n > len)
		n = len;
	for (size_t i = 0; i < n; i++)
		rx_push(s, buf[i]);
	if (n < len)
		s->rx_refused = 1;
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
	return n;
}

static uint64_t serial_pio_read(void *opaque, uint64_t off, unsigned int size)
{
	return serial_reg_read(opaque, off);
}

static void serial_pio_write(void *opaque, uint64_t off, unsigned int size,
			     uint64_t val)
{
	serial_reg_write(opaque, off, val & 0xff);
}

static const struct io_ops serial_ops = {
	.read = serial_pio_read,
	.write = serial_pio_write,
};

struct serial *serial_create(struct vm *vm, uint16_t port, unsigned int irq,
			     int out_fd, void (*rx_space)(void *), void *opaque)
{
	struct serial *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	pthread_mutex_init(&s->lock, NULL);
	s->vm = vm;
	s->irq = irq;
	s->out_fd = out_fd;
	s->rx_space = rx_space;
	s->rx_space_opaque = opaque;
	s->divisor = 12; /* 9600 baud, as after a BIOS */
	s->lcr = 0x03;	 /* 8N1 */
	s->msr = modem_status(s);
	if (vm && bus_register(&vm->pio, port, 8, "serial", &serial_ops, s)) {
		serial_free(s);
		return NULL;
	}
	return s;
}

void serial_set_output(struct serial *s, void (*out)(void *, uint8_t),
		       void *opaque)
{
	pthread_mutex_lock(&s->lock);
	s->out = out;
	s->out_opaque = opaque;
	pthread_mutex_unlock(&s->lock);
}

void serial_free(struct serial *s)
{
	if (!s)
		return;
	pthread_mutex_destroy(&s->lock);
	free(s);
}
