/*
 * The guest-test verdict convention (see guest-tests/README.md).
 *
 * A test prints one "PASS name" or "FAIL name: why" line per check and
 * ends with test_finish(), which writes TEST_EXIT_PASS or TEST_EXIT_FAIL
 * to kvmini's test-exit port (0xf4, enabled by `kvmini run --test-exit`).
 * kvmini then exits with (v << 1) | 1:
 *
 *   TEST_EXIT_PASS 0x10 -> exit status 33
 *   TEST_EXIT_FAIL 0x11 -> exit status 35
 *
 * Neither can be mistaken for one of kvmini's own exit codes (0 powered
 * off, 1 runtime error, 2 usage, 4 guest crash) or a signal (128 + n).
 * Without --test-exit the write is ignored and the guest powers off
 * (exit 0), which the runner counts as a failure.
 */
#ifndef GUEST_TEST_H
#define GUEST_TEST_H

#include <stdint.h>

#define TEST_EXIT_PORT 0xf4
#define TEST_EXIT_PASS 0x10
#define TEST_EXIT_FAIL 0x11

/* write v to the test-exit port; powers off if kvmini did not stop */
void test_exit(uint8_t v) __attribute__((noreturn));

/* "PASS name" */
void test_pass(const char *name);
/* "FAIL name: why" and the test's verdict becomes FAIL */
void test_fail(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* PASS or FAIL name on cond; the FAIL line gets the message */
int test_check(int cond, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* checks failed so far */
int test_failures(void);
/* "N passed, M failed", then test_exit with the verdict (FAIL if no check
 * ran at all: a test that checks nothing is a broken test) */
void test_finish(void) __attribute__((noreturn));

#endif
