// SPDX-License-Identifier: GPL-2.0
/*
 * `kvmini img`: raw disk images.  create makes a sparse file of the
 * given size (refusing to overwrite one); info shows the virtual size
 * and what the file really occupies on the host.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "img.h"
#include "log.h"

static void img_usage(void)
{
	printf("Usage: kvmini img create FILE SIZE   make a sparse raw image\n"
	       "       kvmini img info FILE          show its sizes\n"
	       "SIZE: 64M, 10G, ... (a multiple of 512 bytes)\n");
}

static void human(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = bytes;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", v, units[u]);
}

static int img_create(const char *path, const char *size_arg)
{
	char why[CLI_ERR_LEN];
	uint64_t size;
	int fd;

	if (parse_size(size_arg, &size, why)) {
		err("img create: %s", why);
		return EXIT_USAGE;
	}
	if (size == 0 || size % 512) {
		err("img create: size must be a non-zero multiple of 512 "
		    "bytes");
		return EXIT_USAGE;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		err("cannot create %s: %s%s", path, strerror(errno),
		    errno == EEXIST ? " (kvmini never overwrites an image)"
				    : "");
		return EXIT_FAILURE_RT;
	}
	if (ftruncate(fd, size) || close(fd)) {
		err("cannot size %s: %s", path, strerror(errno));
		unlink(path);
		return EXIT_FAILURE_RT;
	}
	return EXIT_OK;
}

static int img_info(const char *path)
{
	char vs[32], ds[32];
	uint64_t size = 0;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st)) {
		err("cannot open %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return EXIT_FAILURE_RT;
	}
	if (S_ISBLK(st.st_mode))
		ioctl(fd, BLKGETSIZE64, &size);
	else
		size = st.st_size;
	close(fd);
	human(size, vs, sizeof(vs));
	human((uint64_t)st.st_blocks * 512, ds, sizeof(ds));
	printf("image: %s\nformat: raw\nvirtual size: %s (%llu bytes)\n"
	       "disk size: %s\n",
	       path, vs, (unsigned long long)size, ds);
	return EXIT_OK;
}

int cmd_img(int argc, char **argv)
{
	if (argc >= 2 &&
	    (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		img_usage();
		return EXIT_OK;
	}
	if (argc == 4 && !strcmp(argv[1], "create"))
		return img_create(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "info"))
		return img_info(argv[2]);
	err("usage: kvmini img create FILE SIZE | kvmini img info FILE");
	return EXIT_USAGE;
}
