// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rundir.h"

int vm_name_check(const char *name, char *why, size_t why_len)
{
	size_t len = strlen(name);

	if (len == 0 || len > VM_NAME_MAX) {
		snprintf(why, why_len, "VM name '%s': 1 to %d characters",
			 name, VM_NAME_MAX);
		return -1;
	}
	if (name[0] == '.' || name[0] == '-') {
		snprintf(why, why_len,
			 "VM name '%s' must not start with '.' or '-'", name);
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')
			continue;
		snprintf(why, why_len,
			 "VM name '%s': only letters, digits, '.', '_' and '-'",
			 name);
		return -1;
	}
	return 0;
}

static const char *rundir_base(int *user)
{
	const char *env = getenv("KVMINI_RUNDIR");
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	*user = 0;
	if (env && *env)
		return env;
	if (geteuid() != 0 && xdg && *xdg) {
		*user = 1;
		return xdg;
	}
	return "/run";
}

int rundir_get(char *buf, size_t len, int create, char *why, size_t why_len)
{
	int user;
	const char *base = rundir_base(&user);
	int n;

	if (getenv("KVMINI_RUNDIR") && *getenv("KVMINI_RUNDIR"))
		n = snprintf(buf, len, "%s", base);
	else
		n = snprintf(buf, len, "%s/kvmini", base);
	if (n < 0 || (size_t)n >= len) {
		snprintf(why, why_len, "runtime directory path too long: %s",
			 base);
		return -1;
	}
	if (!create)
		return 0;
	/* only the owner may reach the sockets (docs/threat-model.md) */
	if (mkdir(buf, 0700) && errno != EEXIST) {
		snprintf(why, why_len, "cannot create %s: %s", buf,
			 strerror(errno));
		return -1;
	}
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
