// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "control_sock.h"
#include "rundir.h"

int control_sock_connect(const char *path, long *pid)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	/* the listener's pid, recorded by the kernel at listen() */
	if (pid) {
		*pid = 0;
		if (!getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
			*pid = cred.pid;
	}
	return fd;
}

enum control_sock_probe control_sock_probe(const char *path, long *pid)
{
	int fd = control_sock_connect(path, pid);

	if (fd >= 0) {
		close(fd);
		return CONTROL_SOCK_LIVE;
	}
	if (errno == ECONNREFUSED)
		return CONTROL_SOCK_STALE;
	if (errno == ENOENT)
		return CONTROL_SOCK_ABSENT;
	/* a full backlog: somebody listens */
	if (errno == EAGAIN)
		return CONTROL_SOCK_LIVE;
	return CONTROL_SOCK_ERROR;
}

int control_sock_lock_rundir(char *why, size_t why_len)
{
	char dir[RUNDIR_PATH_MAX];
	int fd;

	if (rundir_get(dir, sizeof(dir), 1, why, why_len))
		return -1;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || flock(fd, LOCK_EX)) {
		snprintf(why, why_len, "cannot lock %s: %s", dir,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

int control_sock_remove_stale(const char *path)
{
	char why[256];
	int lock = control_sock_lock_rundir(why, sizeof(why));
	int ret = 0;

	if (lock < 0)
		return -1;
	if (control_sock_probe(path, NULL) == CONTROL_SOCK_STALE)
		ret = unlink(path) ? -1 : 1;
	close(lock);
	return ret;
}
