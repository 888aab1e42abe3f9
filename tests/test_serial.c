// SPDX-License-Identifier: GPL-2.0
/*
 * The 16550A at register level, as a guest driver sees it.  Register and
 * bit values are the PC16550D datasheet's, written out here independently
 * of devices/serial.c.  The UART is created without a VM (no bus, no IRQ
 * line); its transmit side is a pipe the tests read back.
 */
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "serial.h"
#include "suites.h"

enum {
	RBR = 0,
	THR = 0,
	DLL = 0,
	IER = 1,
	DLM = 1,
	IIR = 2,
	FCR = 2,
	LCR = 3,
	MCR = 4,
	LSR = 5,
	MSR = 6,
	SCR = 7
};

#define IER_RDI	 0x01
#define IER_THRI 0x02
#define IER_RLSI 0x04
#define IER_MSI	 0x08
#define IIR_NONE 0x01
#define IIR_MSR	 0x00
#define IIR_THRE 0x02
#define IIR_RDA	 0x04
#define IIR_RLS	 0x06
#define IIR_FIFO 0xc0
#define LCR_8N1	 0x03
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

struct uart {
	struct serial *s;
	int out[2]; /* pipe: what the guest transmitted */
	int wakes;  /* rx_space callbacks */
};

static void on_rx_space(void *opaque)
{
	struct uart *u = opaque;

	u->wakes++;
}

static void uart_open(struct uart *u)
{
	memset(u, 0, sizeof(*u));
	ck_assert_int_eq(pipe2(u->out, O_NONBLOCK | O_CLOEXEC), 0);
	u->s = serial_create(NULL, 0x3f8, 4, u->out[1], on_rx_space, u);
	ck_assert_ptr_nonnull(u->s);
}

static void uart_close(struct uart *u)
{
	serial_free(u->s);
	close(u->out[0]);
	close(u->out[1]);
}

static uint8_t in(struct uart *u, unsigned int reg)
{
	return serial_reg_read(u->s, reg);
}

static void out(struct uart *u, unsigned int reg, uint8_t val)
{
	serial_reg_write(u->s, reg, val);
}

/* Reads back what was transmitted so far (NUL-terminated). */
static size_t transmitted(struct uart *u, char *buf, size_t max)
{
	ssize_t n = read(u->out[0], buf, max - 1);

	n = n < 0 ? 0 : n;
	buf[n] = '\0';
	return n;
}

static size_t receive_str(struct uart *u, const char *s)
{
	return serial_receive(u->s, (const uint8_t *)s, strlen(s));
}

/* Offers bytes 0, 1, 2, ... (mod 256); returns how many were accepted. */
static size_t fill_rx(struct uart *u, size_t len)
{
	static uint8_t pattern[1 << 16];

	ck_assert_uint_le(len, sizeof(pattern));
	for (size_t i = 0; i < len; i++)
		pattern[i] = i & 0xff;
	return serial_receive(u->s, pattern, len);
}

/* The receive buffer's size, probed on a scratch UART. */
static size_t rx_capacity(void)
{
	struct uart u;
	size_t cap;

	uart_open(&u);
	cap = fill_rx(&u, 1 << 16);
	uart_close(&u);
	/* at least the 16550's 16-byte FIFO, and finite */
	ck_assert_uint_ge(cap, 16);
	ck_assert_uint_lt(cap, 1 << 16);
	return cap;
}

START_TEST(scratch_register_round_trip)
{
	struct uart u;

	uart_open(&u);
	out(&u, SCR, 0x5a);
	ck_assert_uint_eq(in(&u, SCR), 0x5a);
	out(&u, SCR, 0xa5);
	ck_assert_uint_eq(in(&u, SCR), 0xa5);
	/* it is a plain register: nothing else moved */
	ck_assert_uint_eq(in(&u, LCR), LCR_8N1);
	ck_assert_uint_eq(in(&u, IER), 0);
	uart_close(&u);
}
END_TEST

START_TEST(ier_lcr_mcr_read_back)
{
	struct uart u;

	uart_open(&u);
	out(&u, IER, 0xff);
	ck_assert_uint_eq(in(&u, IER), 0x0f); /* bits 4-7 are always 0 */
	out(&u, LCR, 0x1b);
	ck_assert_uint_eq(in(&u, LCR), 0x1b);
	out(&u, MCR, 0xff);
	ck_assert_uint_eq(in(&u, MCR), 0x1f); /* bits 5-7 are always 0 */
	uart_close(&u);
}
END_TEST

START_TEST(divisor_latch_is_separate_from_ier_and_rbr)
{
	struct uart u;
	char buf[16];

	uart_open(&u);
	out(&u, IER, IER_RDI | IER_RLSI);
	ck_assert_uint_eq(receive_str(&u, "A"), 1);

	out(&u, LCR, LCR_DLAB | LCR_8N1);
	out(&u, DLL, 0x01); /* 115200 baud */
	out(&u, DLM, 0x02);
	ck_assert_uint_eq(in(&u, DLL), 0x01);
	ck_assert_uint_eq(in(&u, DLM), 0x02);
	ck_assert_uint_eq(in(&u, LSR) & LSR_DR, LSR_DR);
	out(&u, LCR, LCR_8N1);

	/* the divisor writes neither transmitted nor touched IER or RBR */
	ck_assert_uint_eq(transmitted(&u, buf, sizeof(buf)), 0);
	ck_assert_uint_eq(in(&u, IER), IER_RDI | IER_RLSI);
	ck_assert_uint_eq(in(&u, RBR), 'A');

	/* and IER/THR traffic leaves the divisor alone */
	out(&u, IER, 0);
	out(&u, THR, 'x');
	out(&u, LCR, LCR_DLAB | LCR_8N1);
	ck_assert_uint_eq(in(&u, DLL), 0x01);
	ck_assert_uint_eq(in(&u, DLM), 0x02);
	uart_close(&u);
}
END_TEST

START_TEST(thr_writes_reach_the_output)
{
	struct uart u;
	char buf[64];

	uart_open(&u);
	for (const char *p = "hello\r\n"; *p; p++)
		out(&u, THR, *p);
	ck_assert_uint_eq(transmitted(&u, buf, sizeof(buf)), 7);
	ck_assert_str_eq(buf, "hello\r\n");
	/* nothing echoes back into the receiver */
	ck_assert_uint_eq(in(&u, LSR) & LSR_DR, 0);
	uart_close(&u);
}
END_TEST

START_TEST(transmitter_is_always_empty)
{
	struct uart u;

	uart_open(&u);
	ck_assert_uint_eq(in(&u, LSR), LSR_THRE | LSR_TEMT);
	out(&u, THR, 'x');
	ck_assert_uint_eq(in(&u, LSR) & (LSR_THRE | LSR_TEMT),
			  LSR_THRE | LSR_TEMT);
	uart_close(&u);
}
END_TEST

START_TEST(received_bytes_come_out_in_order)
{
	struct uart u;

	uart_open(&u);
	ck_assert_uint_eq(in(&u, LSR) & LSR_DR, 0);
	ck_assert_uint_eq(receive_str(&u, "abc"), 3);
	ck_assert_uint_eq(in(&u, LSR) & LSR_DR, LSR_DR);
	ck_assert_uint_eq(in(&u, RBR), 'a');
	ck_assert_uint_eq(in(&u, LSR) & LSR_DR, LSR_DR);
	ck_assert_uint_eq(in(&u, RBR), 'b');
	ck_assert_uint_eq(in(&u, RBR), 'c');
	ck_assert_uint_eq(in(&u, LSR) & LSR_DR, 0);
	/* reading an empty RBR does not invent data */
	in(&u, RBR);
	ck_assert_uint_eq(in(&u, LSR) & LSR_DR, 0);
	ck_assert_uint_eq(receive_str(&u, "d"), 1);
	ck_assert_uint_eq(in(&u, RBR), 'd');
	uart_close(&u);
}
END_TEST

START_TEST(iir_idle_and_fifo_bits)
{
	struct uart u;

	uart_open(&u);
	ck_assert_uint_eq(in(&u, IIR), IIR_NONE);
	/* enabled sources with nothing to report */
	out(&u, IER, IER_RDI | IER_RLSI | IER_MSI);
	ck_assert_uint_eq(in(&u, IIR), IIR_NONE);
	out(&u, FCR, 0x01);
	ck_assert_uint_eq(in(&u, IIR), IIR_FIFO | IIR_NONE);
	ck_assert_uint_eq(receive_str(&u, "x"), 1);
	ck_assert_uint_eq(in(&u, IIR), IIR_FIFO | IIR_RDA);
	out(&u, FCR, 0x00);
	ck_assert_uint_eq(in(&u, IIR), IIR_RDA);
	uart_close(&u);
}
END_TEST

/* All four sources pending at once: IIR reports them by priority. */
START_TEST(iir_reports_sources_by_priority)
{
	struct uart u;
	size_t cap;

	uart_open(&u);
	out(&u, IER, IER_RDI | IER_THRI | IER_RLSI | IER_MSI); /* THRE */
	out(&u, MCR, MCR_LOOP | MCR_OUT2); /* CTS, DSR drop: MSR deltas */
	cap = rx_capacity();
	ck_assert_uint_eq(fill_rx(&u, cap), cap);
	out(&u, THR, 'x'); /* loopback into a full buffer: overrun */

	ck_assert_uint_eq(in(&u, IIR), IIR_RLS);
	ck_assert_uint_eq(in(&u, LSR) & (LSR_OE | LSR_DR), LSR_OE | LSR_DR);
	ck_assert_uint_eq(in(&u, IIR), IIR_RDA);
	for (size_t i = 0; i < cap; i++)
		ck_assert_uint_eq(in(&u, RBR), i & 0xff); /* 'x' was lost */
	ck_assert_uint_eq(in(&u, IIR), IIR_THRE);
	ck_assert_uint_eq(in(&u, IIR), IIR_MSR); /* THRE acked above */
	ck_assert_uint_ne(in(&u, MSR) & 0x0f, 0);
	ck_assert_uint_eq(in(&u, IIR), IIR_NONE);
	uart_close(&u);
}
END_TEST

START_TEST(disabled_sources_do_not_show_in_iir)
{
	struct uart u;

	uart_open(&u);
	out(&u, MCR, MCR_LOOP); /* MSR deltas pending */
	ck_assert_uint_eq(receive_str(&u, "x"), 1);
	out(&u, THR, 'y'); /* THRE latched */
	ck_assert_uint_eq(in(&u, IIR), IIR_NONE);
	out(&u, IER, IER_MSI);
	ck_assert_uint_eq(in(&u, IIR), IIR_MSR);
	uart_close(&u);
}
END_TEST

START_TEST(thre_interrupt_is_acked_by_iir_and_rearmed_by_thr)
{
	struct uart u;

	uart_open(&u);
	out(&u, IER, IER_THRI); /* THR is empty: raised at once */
	ck_assert_uint_eq(in(&u, IIR), IIR_THRE);
	ck_assert_uint_eq(in(&u, IIR), IIR_NONE); /* the read acked it */
	out(&u, THR, 'a');
	ck_assert_uint_eq(in(&u, IIR), IIR_THRE);
	ck_assert_uint_eq(in(&u, IIR), IIR_NONE);
	/* Linux's start_tx toggles IER.THRI and expects a fresh interrupt */
	out(&u, IER, 0);
	out(&u, IER, IER_THRI);
	ck_assert_uint_eq(in(&u, IIR), IIR_THRE);
	uart_close(&u);
}
END_TEST

START_TEST(irq_output_is_gated_by_out2)
{
	struct uart u;

	uart_open(&u);
	ck_assert_int_eq(serial_irq_level(u.s), 0);
	out(&u, IER, IER_THRI);
	ck_assert_int_eq(serial_irq_level(u.s), 0); /* OUT2 off */
	out(&u, MCR, MCR_OUT2);
	ck_assert_int_eq(serial_irq_level(u.s), 1);
	out(&u, MCR, 0);
	ck_assert_int_eq(serial_irq_level(u.s), 0);
	out(&u, MCR, MCR_OUT2 | MCR_DTR | MCR_RTS);
	ck_assert_int_eq(serial_irq_level(u.s), 1);
	in(&u, IIR); /* ack THRE */
	ck_assert_int_eq(serial_irq_level(u.s), 0);
	out(&u, THR, 'a');
	ck_assert_int_eq(serial_irq_level(u.s), 1);
	in(&u, IIR);

	/* received data raises it until the guest has read everything */
	out(&u, IER, IER_RDI);
	ck_assert_int_eq(serial_irq_level(u.s), 0);
	ck_assert_uint_eq(receive_str(&u, "ab"), 2);
	ck_assert_int_eq(serial_irq_level(u.s), 1);
	in(&u, RBR);
	ck_assert_int_eq(serial_irq_level(u.s), 1);
	in(&u, RBR);
	ck_assert_int_eq(serial_irq_level(u.s), 0);
	uart_close(&u);
}
END_TEST

START_TEST(loopback_returns_thr_to_rbr)
{
	struct uart u;
	char buf[16];

	uart_open(&u);
	out(&u, MCR, MCR_LOOP);
	out(&u, THR, 'Z');
	ck_assert_uint_eq(in(&u, LSR) & LSR_DR, LSR_DR);
	ck_assert_uint_eq(in(&u, RBR), 'Z');
	ck_assert_uint_eq(transmitted(&u, buf, sizeof(buf)), 0);

	out(&u, MCR, MCR_OUT2 | MCR_RTS | MCR_DTR); /* loopback off */
	out(&u, THR, 'Y');
	ck_assert_uint_eq(in(&u, LSR) & LSR_DR, 0);
	ck_assert_uint_eq(transmitted(&u, buf, sizeof(buf)), 1);
	ck_assert_str_eq(buf, "Y");
	uart_close(&u);
}
END_TEST

static uint8_t msr_lines_for(struct uart *u, uint8_t mcr)
{
	out(u, MCR, mcr);
	return in(u, MSR) & 0xf0;
}

START_TEST(loopback_wires_modem_outputs_to_inputs)
{
	struct uart u;

	uart_open(&u);
	/* the pattern Linux's 8250 autoconfig checks for a real 16550 */
	ck_assert_uint_eq(msr_lines_for(&u, 0x1a), 0x90);
	ck_assert_uint_eq(msr_lines_for(&u, MCR_LOOP), 0x00);
	ck_assert_uint_eq(msr_lines_for(&u, MCR_LOOP | MCR_RTS), MSR_CTS);
	ck_assert_uint_eq(msr_lines_for(&u, MCR_LOOP | MCR_DTR), MSR_DSR);
	ck_assert_uint_eq(msr_lines_for(&u, MCR_LOOP | MCR_OUT1), MSR_RI);
	ck_assert_uint_eq(msr_lines_for(&u, MCR_LOOP | MCR_OUT2), MSR_DCD);
	ck_assert_uint_eq(msr_lines_for(&u, 0x1f), 0xf0);
	/* outside loopback a cable is attached: CTS, DSR, DCD, no RI */
	ck_assert_uint_eq(msr_lines_for(&u, 0), MSR_CTS | MSR_DSR | MSR_DCD);
	ck_assert_uint_eq(msr_lines_for(&u, MCR_OUT1),
			  MSR_CTS | MSR_DSR | MSR_DCD);
	uart_close(&u);
}
END_TEST

START_TEST(msr_deltas_latch_and_clear_on_read)
{
	struct uart u;

	uart_open(&u);
	ck_assert_uint_eq(in(&u, MSR) & 0x0f, 0);
	out(&u, MCR, MCR_LOOP); /* CTS, DSR and DCD all fall */
	ck_assert_uint_eq(in(&u, MSR), MSR_DCTS | MSR_DDSR | MSR_DDCD);
	ck_assert_uint_eq(in(&u, MSR), 0);

	out(&u, MCR, MCR_LOOP | MCR_OUT1); /* RI rises: no TERI */
	ck_assert_uint_eq(in(&u, MSR), MSR_RI);
	out(&u, MCR, MCR_LOOP); /* RI falls: trailing edge */
	ck_assert_uint_eq(in(&u, MSR), MSR_TERI);
	ck_assert_uint_eq(in(&u, MSR), 0);

	/* a delta is latched even when the line changes back */
	out(&u, MCR, MCR_LOOP | MCR_RTS);
	out(&u, MCR, MCR_LOOP);
	ck_assert_uint_eq(in(&u, MSR), MSR_DCTS);
	uart_close(&u);
}
END_TEST

START_TEST(fcr_clear_rx_empties_the_receiver)
{
	struct uart u;

	uart_open(&u);
	out(&u, IER, IER_RDI);
	ck_assert_uint_eq(receive_str(&u, "abc"), 3);
	out(&u, FCR, 0x03); /* enable + clear RX */
	ck_assert_uint_eq(in(&u, LSR) & LSR_DR, 0);
	ck_assert_uint_eq(in(&u, IIR), IIR_FIFO | IIR_NONE);
	ck_assert_uint_eq(receive_str(&u, "z"), 1);
	ck_assert_uint_eq(in(&u, RBR), 'z');
	ck_assert_uint_eq(in(&u, LSR) & LSR_DR, 0);
	/* the clear bit is self-clearing: a later FCR write keeps data */
	ck_assert_uint_eq(receive_str(&u, "q"), 1);
	out(&u, FCR, 0x01);
	ck_assert_uint_eq(in(&u, RBR), 'q');
	uart_close(&u);
}
END_TEST

START_TEST(receive_accepts_what_fits)
{
	size_t cap = rx_capacity();
	struct uart u;

	uart_open(&u);
	ck_assert_uint_eq(receive_str(&u, "0123456789"), 10);
	ck_assert_uint_eq(fill_rx(&u, cap), cap - 10); /* the free space */
	ck_assert_uint_eq(receive_str(&u, "x"), 0);    /* full */
	in(&u, RBR);
	ck_assert_uint_eq(receive_str(&u, "xyz"), 1); /* room for one */
	uart_close(&u);
}
END_TEST

START_TEST(refused_bytes_are_not_an_overrun)
{
	size_t cap = rx_capacity();
	struct uart u;

	uart_open(&u);
	/* more than fits: the rest is refused, kept by the caller */
	ck_assert_uint_eq(fill_rx(&u, cap + 1), cap);
	ck_assert_uint_eq(in(&u, LSR) & LSR_OE, 0);
	uart_close(&u);
}
END_TEST

START_TEST(overrun_sets_oe_until_lsr_is_read)
{
	size_t cap = rx_capacity();
	struct uart u;

	uart_open(&u);
	out(&u, MCR, MCR_LOOP);
	ck_assert_uint_eq(fill_rx(&u, cap), cap);
	out(&u, THR, 'x'); /* no room for the looped-back byte */
	ck_assert_uint_eq(in(&u, LSR) & (LSR_OE | LSR_DR), LSR_OE | LSR_DR);
	ck_assert_uint_eq(in(&u, LSR) & LSR_OE, 0);
	/* the buffered data survived */
	ck_assert_uint_eq(in(&u, RBR), 0);
	ck_assert_uint_eq(in(&u, RBR), 1);
	uart_close(&u);
}
END_TEST

START_TEST(rx_space_fires_once_after_drain_below_half)
{
	size_t cap = rx_capacity();
	struct uart u;

	uart_open(&u);
	ck_assert_uint_eq(fill_rx(&u, cap + 1), cap);
	ck_assert_int_eq(u.wakes, 0);
	for (size_t left = cap; left > 0; left--) {
		/* no wake while the buffer is still more than half full */
		if (left > cap / 2)
			ck_assert_int_eq(u.wakes, 0);
		in(&u, RBR);
	}
	ck_assert_int_eq(u.wakes, 1);
	in(&u, RBR); /* extra reads of an empty RBR: no more wakes */
	ck_assert_int_eq(u.wakes, 1);
	uart_close(&u);
}
END_TEST

START_TEST(rx_space_is_silent_without_a_refusal)
{
	size_t cap = rx_capacity();
	struct uart u;

	uart_open(&u);
	ck_assert_uint_eq(fill_rx(&u, cap), cap); /* full, none refused */
	for (size_t i = 0; i < cap; i++)
		in(&u, RBR);
	ck_assert_int_eq(u.wakes, 0);
	uart_close(&u);
}
END_TEST

/*
 * REGRESSION (fixed) (write_fcr(), devices/serial.c:222 at f91bfd4): FCR "clear
 * RX" empties the buffer but ignores s->rx_refused, so rx_space is not
 * called.  The console stops reading stdin after a refusal and waits for
 * that callback; LSR.DR is now 0, so a guest that polls LSR never reads
 * RBR and input stays stuck.  (Linux happens to read RBR after clearing
 * the FIFOs, which hides it there.)
 */
START_TEST(fcr_clear_after_refusal_wakes_input)
{
	size_t cap = rx_capacity();
	struct uart u;

	uart_open(&u);
	ck_assert_uint_eq(fill_rx(&u, cap + 1), cap);
	out(&u, FCR, 0x07);
	ck_assert_uint_eq(in(&u, LSR) & LSR_DR, 0);
	ck_assert_int_eq(u.wakes, 1);
	uart_close(&u);
}
END_TEST

Suite *serial_suite(void)
{
	Suite *s = suite_create("serial");
	TCase *regs = tcase_create("registers");
	TCase *irq = tcase_create("interrupts");
	TCase *loop = tcase_create("loopback");
	TCase *rx = tcase_create("receive");

	tcase_add_test(regs, scratch_register_round_trip);
	tcase_add_test(regs, ier_lcr_mcr_read_back);
	tcase_add_test(regs, divisor_latch_is_separate_from_ier_and_rbr);
	tcase_add_test(regs, thr_writes_reach_the_output);
	tcase_add_test(regs, transmitter_is_always_empty);
	suite_add_tcase(s, regs);

	tcase_add_test(irq, iir_idle_and_fifo_bits);
	tcase_add_test(irq, iir_reports_sources_by_priority);
	tcase_add_test(irq, disabled_sources_do_not_show_in_iir);
	tcase_add_test(irq, thre_interrupt_is_acked_by_iir_and_rearmed_by_thr);
	tcase_add_test(irq, irq_output_is_gated_by_out2);
	suite_add_tcase(s, irq);

	tcase_add_test(loop, loopback_returns_thr_to_rbr);
	tcase_add_test(loop, loopback_wires_modem_outputs_to_inputs);
	tcase_add_test(loop, msr_deltas_latch_and_clear_on_read);
	suite_add_tcase(s, loop);

	tcase_add_test(rx, received_bytes_come_out_in_order);
	tcase_add_test(rx, fcr_clear_rx_empties_the_receiver);
	tcase_add_test(rx, receive_accepts_what_fits);
	tcase_add_test(rx, refused_bytes_are_not_an_overrun);
	tcase_add_test(rx, overrun_sets_oe_until_lsr_is_read);
	tcase_add_test(rx, rx_space_fires_once_after_drain_below_half);
	tcase_add_test(rx, rx_space_is_silent_without_a_refusal);
	suite_add_tcase(s, rx);
	return s;
}

/* Tests that fail on purpose until the product bug they show is fixed. */
Suite *serial_regression_suite(void)
{
	Suite *s = suite_create("serial_regressions");
	TCase *tc = tcase_create("regressions");

	tcase_add_test(tc, fcr_clear_after_refusal_wakes_input);
	suite_add_tcase(s, tc);
	return s;
}
