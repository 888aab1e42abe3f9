// SPDX-License-Identifier: GPL-2.0
/*
 * `kvmini check`: the host readiness report.  Decides from /dev/kvm and
 * the loaded modules (never from CPUID alone) whether VMs run, and at
 * what speed: hardware KVM (VT-x/AMD-V) or PVM, whose CPL0 guest code
 * runs in KVM's instruction emulator.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "host_check.h"
#include "config.h"
#include "kvm.h"

enum kvm_kind { KVM_KIND_NONE, KVM_KIND_HW, KVM_KIND_PVM };

struct check_state {
	int failures;
	int warnings;
};

static void line(struct check_state *st, const char *tag, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void line(struct check_state *st, const char *tag, const char *fmt, ...)
{
	va_list ap;

	if (strcmp(tag, "FAIL") == 0)
		st->failures++;
	else if (strcmp(tag, "warn") == 0)
		st->warnings++;
	printf("  [%-4s] ", tag);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static int module_loaded(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	return access(path, F_OK) == 0;
}

static void check_cpu(struct check_state *st)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char buf[4096], vendor[64] = "unknown";
	int vmx = 0, svm = 0;

	while (f && fgets(buf, sizeof(buf), f)) {
		if (strncmp(buf, "vendor_id", 9) == 0)
			sscanf(buf, "vendor_id : %63s", vendor);
		if (strncmp(buf, "flags", 5) == 0) {
			vmx |= strstr(buf, " vmx") != NULL;
			svm |= strstr(buf, " svm") != NULL;
			break;
		}
	}
	if (f)
		fclose(f);
	if (vmx || svm)
		line(st, "ok", "CPU %s with the %s flag", vendor,
		     vmx ? "vmx (Intel VT-x)" : "svm (AMD-V)");
	else
		line(st, "info",
		     "CPU %s shows no vmx/svm flag (virtualisation "
		     "disabled in firmware, or this host is itself a VM)",
		     vendor);
}

int host_kvm_is_pvm(void)
{
	return !module_loaded("kvm_intel") && !module_loaded("kvm_amd") &&
	       module_loaded("kvm_pvm");
}

static enum kvm_kind check_modules(struct check_state *st)
{
	static const char *const mods[] = { "kvm", "kvm_intel", "kvm_amd",
					    "kvm_pvm" };
	char list[128] = "";
	int hw = module_loaded("kvm_intel") || module_loaded("kvm_amd");
	int pvm = module_loaded("kvm_pvm");

	for (size_t i = 0; i < sizeof(mods) / sizeof(mods[0]); i++) {
		if (!module_loaded(mods[i]))
			continue;
		strcat(list, list[0] ? ", " : "");
		strcat(list, mods[i]);
	}
	line(st, list[0] ? "ok" : "FAIL", "KVM modules loaded: %s",
	     list[0] ? list : "none (modprobe kvm_intel or kvm_amd)");
	if (hw)
		return KVM_KIND_HW;
	return pvm ? KVM_KIND_PVM : KVM_KIND_NONE;
}

static int check_device(struct check_state *st)
{
	const char *path = kvm_device_path();
	const struct kvm_cap_req *missing;
	int fd, ver, max;

	if (access(path, F_OK)) {
		line(st, "FAIL",
		     "%s does not exist (load kvm_intel/kvm_amd, "
		     "enable VT-x/AMD-V in firmware)",
		     path);
		return 0;
	}
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		line(st, "FAIL", "%s exists but cannot be opened: %s%s", path,
		     strerror(errno),
		     errno == EACCES ? " (join the 'kvm' group or run as root)"
				     : "");
		return 0;
	}
	ver = ioctl(fd, KVM_GET_API_VERSION, 0);
	line(st, ver == KVM_API_VERSION ? "ok" : "FAIL",
	     "%s opens; KVM API version %d (kvmini needs %d)", path, ver,
	     KVM_API_VERSION);
	missing = kvm_missing_cap(fd);
	if (missing)
		line(st, "FAIL", "capability %s missing (needed for %s)",
		     missing->name, missing->why);
	else
		line(st, "ok", "all capabilities kvmini needs are present");
	max = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	line(st, "info", "up to %d vCPUs per VM (recommended %d)", max,
	     ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS));
	close(fd);
	return ver == KVM_API_VERSION && !missing;
}

static void check_resources(struct check_state *st)
{
	FILE *f = fopen("/proc/meminfo", "r");
	unsigned long long avail_kb = 0;
	char buf[256];
	struct statvfs vfs;

	while (f && fgets(buf, sizeof(buf), f))
		if (sscanf(buf, "MemAvailable: %llu kB", &avail_kb) == 1)
			break;
	if (f)
		fclose(f);
	line(st, avail_kb * 1024 >= DEFAULT_MEM_SIZE ? "ok" : "warn",
	     "%llu MiB of memory available (a default VM uses up to %llu)",
	     avail_kb / 1024, DEFAULT_MEM_SIZE >> 20);
	if (statvfs(".", &vfs) == 0) {
		unsigned long long free_mb =
			(unsigned long long)vfs.f_bavail * vfs.f_frsize >> 20;

		line(st, free_mb >= 1024 ? "ok" : "warn",
		     "%llu MiB free on this file system (disk images and "
		     "cached guest kernels want ~1 GiB)",
		     free_mb);
	}
}

static void report_kind(struct check_state *st, enum kvm_kind kind)
{
	switch (kind) {
	case KVM_KIND_HW:
		line(st, "ok",
		     "hardware KVM (VT-x/AMD-V): guests run at full "
		     "speed");
		break;
	case KVM_KIND_PVM:
		line(st, "warn",
		     "this KVM is PVM (kvm_pvm), not VT-x/AMD-V: "
		     "guest kernel-mode and real-mode code runs in KVM's "
		     "instruction emulator, and unmodified kernels such as "
		     "stock Linux cannot boot; tiny guests and user-mode code "
		     "work");
		break;
	case KVM_KIND_NONE:
		line(st, "FAIL", "no KVM hypervisor module is loaded");
		break;
	}
}

int cmd_check(int argc, char **argv)
{
	struct check_state st = { 0 };
	struct utsname u;
	enum kvm_kind kind;
	int dev_ok;

	if (argc > 1 &&
	    (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("Usage: kvmini check\n\nReport whether this host can "
		       "run VMs, and how fast.\nExit 0: VMs run at full "
		       "speed; 1: they cannot, or only emulated.\n");
		return 0;
	}
	if (argc > 1) {
		fprintf(stderr, "kvmini: check takes no arguments\n");
		return 2;
	}
	printf("kvmini %s host check\n", KVMINI_VERSION);
	if (uname(&u) == 0)
		line(&st, "info", "kernel %s %s on %s", u.sysname, u.release,
		     u.machine);
	check_cpu(&st);
	kind = check_modules(&st);
	dev_ok = check_device(&st);
	check_resources(&st);
	report_kind(&st, kind);
	if (dev_ok && kind == KVM_KIND_HW && !st.failures) {
		printf("verdict: ready; VMs run at full speed\n");
		return 0;
	}
	printf("verdict: %s\n",
	       dev_ok && kind == KVM_KIND_PVM
		       ? "usable for tiny guests only (PVM); boot Linux in the KVM lab "
			 "(make check / tools/lab)"
		       : "VMs cannot run here");
	return 1;
}
