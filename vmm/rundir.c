// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rundir.h"

/* @name as it may appear in a one-line message: printable, not too long. */
static void printable_name(const char *name, char *out, size_t size)
{
	size_t i = 0;

	for (; name[i] && i + 4 < size; i++)
		out[i] = name[i] >= 0x20 && name[i] < 0x7f ? name[i] : '?';
	if (name[i]) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
}

int vm_name_check(const char *name, char *why, size_t why_len)
{
	size_t len = strlen(name);
	char shown[VM_NAME_MAX + 8];

	printable_name(name, shown, sizeof(shown));
	if (len == 0 || len > VM_NAME_MAX) {
		snprintf(why, why_len, "VM name '%s': 1 to %d characters",
			 shown, VM_NAME_MAX);
		return -1;
	}
	if (name[0] == '.' || name[0] == '-') {
		snprintf(why, why_len,
			 "VM name '%s' must not start with '.' or '-'", shown);
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')
			continue;
		snprintf(why, why_len,
			 "VM name '%s': only letters, digits, '.', '_' and '-'",
			 shown);
		return -1;
	}
	return 0;
}

/* The directory's path: KVMINI_RUNDIR, else per user (rundir.h). */
static int rundir_name(char *buf, size_t len, int *shared_tmp)
{
	const char *env = getenv("KVMINI_RUNDIR");
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	*shared_tmp = 0;
	if (env && *env)
		return snprintf(buf, len, "%s", env);
	if (geteuid() == 0)
		return snprintf(buf, len, "/run/kvmini");
	if (xdg && *xdg)
		return snprintf(buf, len, "%s/kvmini", xdg);
	/* a user without a runtime directory (no login session) */
	*shared_tmp = 1;
	return snprintf(buf, len, "/tmp/kvmini-%u", (unsigned int)geteuid());
}

/* In /tmp anyone could have made the directory first: it must be ours. */
static int rundir_owned(const char *dir, char *why, size_t why_len)
{
	struct stat st;

	if (lstat(dir, &st)) {
		snprintf(why, why_len, "cannot use %s: %s", dir,
			 strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077)) {
		snprintf(why, why_len,
			 "%s is not a directory of this user with mode 0700; "
			 "remove it or set XDG_RUNTIME_DIR",
			 dir);
		return -1;
	}
	return 0;
}

int rundir_get(char *buf, size_t len, int create, char *why, size_t why_len)
{
	int shared_tmp;
	int n = rundir_name(buf, len, &shared_tmp);

	if (n < 0 || (size_t)n >= len) {
		snprintf(why, why_len, "runtime directory path too long");
		return -1;
	}
	/* only the owner may reach the sockets (docs/threat-model.md) */
	if (create && mkdir(buf, 0700) && errno != EEXIST) {
		snprintf(why, why_len, "cannot create %s: %s", buf,
			 strerror(errno));
		return -1;
	}
	if (shared_tmp && (create || !access(buf, F_OK)))
		return rundir_owned(buf, why, why_len);
	return 0;
}

int rundir_path(char *buf, size_t len, const char *name, const char *suffix,
		int create, char *why, size_t why_len)
{
	char dir[RUNDIR_PATH_MAX];
	int n;

	if (vm_name_check(name, why, why_len) ||
	    rundir_get(dir, sizeof(dir), create, why, why_len))
		return -1;
	n = snprintf(buf, len, "%s/%s%s", dir, name, suffix);
	if (n < 0 || (size_t)n >= len) {
		snprintf(why, why_len, "socket path %s/%s%s is too long", dir,
			 name, suffix);
		return -1;
	}
	return 0;
}
