// SPDX-License-Identifier: GPL-2.0
/*
 * spawntime: time one command from fork to the first byte on its stdout
 * and to its exit, RUNS times in a row (make bench, start-up and churn
 * rows).  Prints one line per run and a total:
 *
 *   spawntime RUNS COMMAND [ARGS...]
 *   run=1 first_byte_ns=... exit_ns=... status=85
 *   runs=RUNS total_ns=...
 *
 * The clock starts just before fork(); stdin is /dev/null, stderr goes to
 * /dev/null, stdout into a pipe this program drains.  first_byte_ns is -1
 * when the command wrote nothing.  Exit status 1 when any run could not be
 * started or was killed by a signal.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void child(int out_fd, char **argv)
{
	int null_fd = open("/dev/null", O_RDWR);

	if (null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(null_fd, 2) < 0 ||
	    dup2(out_fd, 1) < 0)
		_exit(127);
	execvp(argv[0], argv);
	_exit(127);
}

/* one run; returns the exit status, or -1 */
static int one_run(char **argv, long long *first_ns, long long *exit_ns)
{
	char buf[4096];
	int pipe_fd[2], status;
	long long start;
	ssize_t n;
	pid_t pid;

	if (pipe(pipe_fd) < 0)
		return -1;
	start = now_ns();
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(pipe_fd[0]);
		child(pipe_fd[1], argv);
	}
	close(pipe_fd[1]);
	*first_ns = -1;
	while ((n = read(pipe_fd[0], buf, sizeof(buf))) > 0)
		if (*first_ns < 0)
			*first_ns = now_ns() - start;
	close(pipe_fd[0]);
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	*exit_ns = now_ns() - start;
	if (!WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

int main(int argc, char **argv)
{
	long long first_ns, exit_ns, start;
	int runs, i, status, failed = 0;

	if (argc < 3 || (runs = atoi(argv[1])) < 1) {
		fprintf(stderr, "usage: spawntime RUNS COMMAND [ARGS...]\n");
		return 2;
	}
	start = now_ns();
	for (i = 1; i <= runs; i++) {
		status = one_run(argv + 2, &first_ns, &exit_ns);
		if (status < 0)
			failed = 1;
		printf("run=%d first_byte_ns=%lld exit_ns=%lld status=%d\n", i,
		       first_ns, exit_ns, status);
	}
	printf("runs=%d total_ns=%lld\n", runs, now_ns() - start);
	return failed;
}
