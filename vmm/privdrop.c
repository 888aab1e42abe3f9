// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "privdrop.h"

/* A decimal id, or -1. */
static long parse_id(const char *s)
{
	char *end;
	long v;

	if (!s[0] || s[0] == '-' || s[0] == '+')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	return errno || *end || v < 0 || v > 0x7fffffffL ? -1 : v;
}

/*
 * Looks @key up in /etc/passwd or /etc/group ("name:x:id:..." lines, the
 * id in field 3, the primary group in field 4): by name, or by id when
 * @key is a number.  The files themselves, not NSS: kvmini is also built
 * static (docs/lab.md), where NSS modules cannot load.  Returns 0 and
 * fills @id (and @gid when given), or -1.
 */
static int db_lookup(const char *path, const char *key, long *id, long *gid)
{
	FILE *f = fopen(path, "re");
	long want = parse_id(key);
	char line[1024];
	int found = -1;

	if (!f)
		return -1;
	while (found && fgets(line, sizeof(line), f)) {
		char *field[5] = { line };
		int n = 1;

		line[strcspn(line, "\n")] = '\0';
		for (char *p = line; *p && n < 5; p++)
			if (*p == ':') {
				*p = '\0';
				field[n++] = p + 1;
			}
		if (n < 3 || (n < 4 && gid))
			continue;
		*id = parse_id(field[2]);
		if (*id < 0 || (strcmp(field[0], key) && *id != want))
			continue;
		if (gid && (*gid = parse_id(field[3])) < 0)
			continue;
		found = 0;
	}
	fclose(f);
	return found;
}

static int resolve_group(const char *name, gid_t *gid, char *why,
			 size_t why_len)
{
	long id;

	if (db_lookup("/etc/group", name, &id, NULL) &&
	    (id = parse_id(name)) < 0) {
		snprintf(why, why_len, "--user: no such group '%s'", name);
		return -1;
	}
	*gid = (gid_t)id;
	return 0;
}

static int resolve_user(const char *arg, struct privdrop *pd, char *why,
			size_t why_len)
{
	char user[256];
	const char *group = strchr(arg, ':');
	size_t len = group ? (size_t)(group - arg) : strlen(arg);
	long uid, gid;

	if (!len || len >= sizeof(user) || (group && !group[1])) {
		snprintf(why, why_len, "--user needs USER[:GROUP], not '%s'",
			 arg);
		return -1;
	}
	memcpy(user, arg, len);
	user[len] = '\0';
	if (db_lookup("/etc/passwd", user, &uid, &gid) == 0) {
		pd->uid = (uid_t)uid;
		pd->gid = (gid_t)gid;
	} else if ((uid = parse_id(user)) >= 0 && group) {
		pd->uid = (uid_t)uid; /* a numeric id with no passwd entry */
	} else {
		snprintf(why, why_len,
			 "--user: no such user '%s' in /etc/passwd (a numeric "
			 "id without an entry needs :GROUP)",
			 user);
		return -1;
	}
	pd->change_ids = 1;
	return group ? resolve_group(group + 1, &pd->gid, why, why_len) : 0;
}

int privdrop_resolve(const struct vm_config *cfg, struct privdrop *pd,
		     char *why, size_t why_len)
{
	struct stat st;

	memset(pd, 0, sizeof(*pd));
	if (cfg->user && resolve_user(cfg->user, pd, why, why_len))
		return -1;
	if (cfg->chroot_dir) {
		if (stat(cfg->chroot_dir, &st)) {
			snprintf(why, why_len, "--chroot %s: %s",
				 cfg->chroot_dir, strerror(errno));
			return -1;
		}
		if (!S_ISDIR(st.st_mode)) {
			snprintf(why, why_len, "--chroot %s: not a directory",
				 cfg->chroot_dir);
			return -1;
		}
		pd->root = cfg->chroot_dir;
	}
	return 0;
}

static int change_root(const char *dir)
{
	if (chroot(dir)) {
		err("--chroot %s: %s%s", dir, strerror(errno),
		    errno == EPERM ? " (needs root)" : "");
		return -1;
	}
	if (chdir("/")) {
		err("--chroot %s: cannot enter it: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

static int change_ids(uid_t uid, gid_t gid)
{
	/* groups first: after setuid() there is no right left to drop them */
	if (setgroups(0, NULL) && errno != EPERM) {
		err("--user: setgroups: %s", strerror(errno));
		return -1;
	}
	if (setgid(gid) || setuid(uid)) {
		err("--user: cannot become uid %u gid %u: %s%s", (unsigned)uid,
		    (unsigned)gid, strerror(errno),
		    errno == EPERM ? " (needs root)" : "");
		return -1;
	}
	if (getuid() != uid || geteuid() != uid || getgid() != gid ||
	    getegid() != gid || (uid != 0 && setuid(0) == 0)) {
		err("--user: the ids did not change as asked");
		return -1;
	}
	return 0;
}

int privdrop_apply(const struct privdrop *pd)
{
	if (pd->root && change_root(pd->root))
		return -1;
	if (pd->change_ids && change_ids(pd->uid, pd->gid))
		return -1;
	return 0;
}
