/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KVMINI_LOG_H
#define KVMINI_LOG_H

/*
 * Exit codes are part of kvmini's interface (docs/kvmini.1):
 *   0  guest powered off or rebooted
 *   1  runtime failure (host, file, KVM setup)
 *   2  wrong usage
 *   4  guest crashed (triple fault, KVM internal error, unhandled exit)
 *   128+N  killed by signal N (SIGTERM, SIGINT, SIGHUP)
 * The test-exit device (guest-tests) makes odd codes (v << 1) | 1.
 */
enum kvmini_exit {
	EXIT_OK = 0,
	EXIT_FAILURE_RT = 1,
	EXIT_USAGE = 2,
	EXIT_GUEST_CRASH = 4,
};

void log_set_prog(const char *name);
void log_set_quiet(int quiet);
void err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "kvmini: <msg>" (and an optional hint line) and exits. */
void die(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
/* Like warn(), but at most once per call site. */
#define warn_once(...)                                                   \
	do {                                                             \
		static int warned_;                                      \
		if (!__atomic_exchange_n(&warned_, 1, __ATOMIC_RELAXED)) \
			warn(__VA_ARGS__);                               \
	} while (0)

#endif
