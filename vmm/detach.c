// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "detach.h"
#include "log.h"

static int ready_fd = -1; /* the child's end of the pipe, until ready */
static int log_fd = -1;

/* The parent: "NAME PID" from the child once the VM runs, or its end. */
static int wait_for_child(pid_t pid, int fd)
{
	char line[128];
	size_t len = 0;
	ssize_t n;
	int status;

	while (len < sizeof(line) - 1 &&
	       ((n = read(fd, line + len, sizeof(line) - 1 - len)) > 0 ||
		(n < 0 && errno == EINTR)))
		len += n > 0 ? n : 0;
	close(fd);
	if (len) {
		line[len] = '\0';
		fputs(line, stdout);
		return EXIT_OK;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return EXIT_FAILURE_RT;
	if (WIFEXITED(status))
		return WEXITSTATUS(status) ? WEXITSTATUS(status)
					   : EXIT_FAILURE_RT;
	return 128 + WTERMSIG(status);
}

/* The default name kvmini-PID named the parent, which is about to go. */
static void rename_default(struct vm_config *cfg)
{
	static char name[32];

	snprintf(name, sizeof(name), "kvmini-%d", (int)getppid());
	if (strcmp(cfg->name, name))
		return;
	snprintf(name, sizeof(name), "kvmini-%d", (int)getpid());
	cfg->name = name;
}

static int child_setup(struct vm_config *cfg)
{
	const char *log = cfg->log_path ? cfg->log_path : "/dev/null";
	int null_fd;

	setsid(); /* no controlling terminal, no job-control signals */
	rename_default(cfg);
	null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0) {
		err("cannot open /dev/null: %s", strerror(errno));
		return -1;
	}
	close(null_fd);
	log_fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (log_fd < 0) {
		err("cannot open log file %s: %s", log, strerror(errno));
		return -1;
	}
	return 0;
}

int detach_start(struct vm_config *cfg)
{
	int fds[2];
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC)) {
		err("cannot create a pipe: %s", strerror(errno));
		return EXIT_FAILURE_RT;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		err("cannot fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return EXIT_FAILURE_RT;
	}
	if (pid > 0) {
		close(fds[1]);
		return wait_for_child(pid, fds[0]);
	}
	close(fds[0]);
	ready_fd = fds[1];
	return child_setup(cfg) ? EXIT_FAILURE_RT : -1;
}

void detach_ready(void *arg)
{
	const struct vm_config *cfg = arg;

	if (ready_fd < 0)
		return; /* after a --reboot restart: told the parent already */
	fflush(stdout);
	fflush(stderr);
	dup2(log_fd, STDOUT_FILENO);
	dup2(log_fd, STDERR_FILENO);
	close(log_fd);
	dprintf(ready_fd, "%s %d\n", cfg->name, (int)getpid());
	close(ready_fd);
	ready_fd = log_fd = -1;
}
