// SPDX-License-Identifier: GPL-2.0
/*
 * boottime: time a VMM from fork() to its first output byte and to the
 * first appearance of each PATTERN on its console (stdout and stderr),
 * then kill it.  Used by the KVM lab's boot bench (bench-boot.sh), built
 * static so that it runs in the lab's busybox L1.
 *
 *   boottime [-t SECS] LOG PATTERN... -- COMMAND [ARGS...]
 *   first_byte_ms=12.345 p1_ms=... p2_ms=... status=killed
 *
 * Times are CLOCK_MONOTONIC, in ms with µs digits, from just before fork();
 * -1 when never seen.  stdin is a pipe kept open (the VMM never sees EOF).
 * Everything the VMM prints is copied to LOG.  Once every pattern has been
 * seen, or after SECS (default 300) seconds, or when the VMM exits, its
 * process group gets SIGKILL and is reaped.  Exit status 0 when every
 * pattern was seen, 1 otherwise, 2 on usage errors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_PATTERNS 8
#define CARRY	     256 /* longest pattern that can span two reads */

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: boottime [-t SECS] LOG PATTERN... -- COMMAND [ARGS...]\n");
	exit(2);
}

static void print_ms(const char *name, long long ns)
{
	if (ns < 0)
		printf("%s=-1", name);
	else
		printf("%s=%lld.%03lld", name, ns / 1000000, ns / 1000 % 1000);
}

int main(int argc, char **argv)
{
	long long start, first_ns = -1, seen_ns[MAX_PATTERNS], deadline;
	char window[CARRY + 65536], name[16];
	int in_pipe[2], out_pipe[2], npat = 0, found = 0, timeout_s = 300;
	int log_fd, i, argi = 1, status = 0;
	const char *pats[MAX_PATTERNS];
	size_t kept = 0;
	bool exited = false;
	pid_t pid;

	if (argc > 2 && !strcmp(argv[1], "-t")) {
		timeout_s = atoi(argv[2]);
		argi = 3;
	}
	if (argi >= argc)
		usage();
	log_fd = open(argv[argi++], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (log_fd < 0) {
		perror("boottime: LOG");
		return 2;
	}
	while (argi < argc && strcmp(argv[argi], "--")) {
		if (npat == MAX_PATTERNS || strlen(argv[argi]) >= CARRY)
			usage();
		seen_ns[npat] = -1;
		pats[npat++] = argv[argi++];
	}
	if (argi + 1 >= argc || npat == 0)
		usage();
	argi++;
	if (pipe(in_pipe) < 0 || pipe(out_pipe) < 0)
		return 2;

	start = now_ns();
	pid = fork();
	if (pid < 0)
		return 2;
	if (pid == 0) {
		setpgid(0, 0);
		if (dup2(in_pipe[0], 0) < 0 || dup2(out_pipe[1], 1) < 0 ||
		    dup2(out_pipe[1], 2) < 0)
			_exit(127);
		close(in_pipe[1]);
		close(out_pipe[0]);
		execvp(argv[argi], argv + argi);
		_exit(127);
	}
	setpgid(pid, pid);
	close(in_pipe[0]);
	close(out_pipe[1]);

	deadline = start + timeout_s * 1000000000LL;
	while (found < npat) {
		struct pollfd pfd = { .fd = out_pipe[0], .events = POLLIN };
		long long left = deadline - now_ns();
		ssize_t n;

		if (left <= 0)
			break;
		if (poll(&pfd, 1, (int)(left / 1000000) + 1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (!pfd.revents)
			continue;
		n = read(out_pipe[0], window + kept, sizeof(window) - kept);
		if (n <= 0) {
			exited = true;
			break;
		}
		if (first_ns < 0)
			first_ns = now_ns() - start;
		if (write(log_fd, window + kept, n) != n)
			perror("boottime: LOG");
		kept += n;
		for (i = 0; i < npat; i++) {
			if (seen_ns[i] >= 0 ||
			    !memmem(window, kept, pats[i], strlen(pats[i])))
				continue;
			seen_ns[i] = now_ns() - start;
			found++;
		}
		if (kept > CARRY) {
			memmove(window, window + kept - CARRY, CARRY);
			kept = CARRY;
		}
	}

	kill(-pid, SIGKILL);
	waitpid(pid, &status, 0);
	print_ms("first_byte_ms", first_ns);
	for (i = 0; i < npat; i++) {
		snprintf(name, sizeof(name), " p%d_ms", i + 1);
		print_ms(name, seen_ns[i]);
	}
	if (exited && WIFEXITED(status))
		printf(" status=exit:%d\n", WEXITSTATUS(status));
	else
		printf(" status=%s\n", found == npat ? "killed" : "timeout");
	return found == npat ? 0 : 1;
}
