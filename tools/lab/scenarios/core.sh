# core.sh: the Core VMM acceptance scenario, run inside the lab's L1.
# Debian's cloud and generic kernels boot to a busybox shell under kvmini,
# run a typed command, see every vCPU (ACPI and, with acpi=off, the MP
# table), and end kvmini with exit code 0 on poweroff and on reboot.
# shellcheck shell=dash disable=SC2016 # $(...) is typed into the guest
# shellcheck source-path=SCRIPTDIR source=../scenario-lib.sh
. /lab/scenario-lib.sh


check_host() {
	local rc=0
	kvmini check >/tmp/check.out 2>&1 || rc=$?
	cat /tmp/check.out
	if [ "$rc" -eq 0 ] && grep -q 'hardware KVM' /tmp/check.out; then
		result check-hardware-kvm PASS
	else
		result check-hardware-kvm FAIL "rc=$rc"
	fi
}

# boot NAME KERNEL CPUS [CMDLINE]: boots to the shell prompt or fails
boot() {
	vm_boot "$1" --kernel "/lab/vmlinuz-$2" --initrd /lab/initrd-l2.gz \
		--mem 512M --cpus "$3" --cmdline "${4:-console=ttyS0}"
}

# acpi_clean NAME: no ACPI errors or warnings about our tables
acpi_clean() {
	vm_ask "$1" acpi-clean \
		'echo ACPIERR=$(dmesg | grep -ciE "acpi (bios )?(error|warning)")' \
		'ACPIERR=0'
}

check_host

for kernel in cloud generic; do
	for cpus in 1 2 4; do
		name=$kernel-cpus$cpus
		boot "$name" "$kernel" "$cpus" || continue
		vm_ask "$name" command 'echo RESULT-$((6*7))' 'RESULT-42'
		vm_ask "$name" nproc 'echo NPROC=$(nproc)' "NPROC=$cpus"
		# CPUID topology: APIC IDs 0..n-1, one core each in one package
		vm_ask "$name" apic-ids \
			'echo APICIDS=$(awk "/^apicid/ {printf \$3}" /proc/cpuinfo)' \
			"APICIDS=$(seq -s '' 0 $((cpus - 1)))"
		[ "$cpus" = 1 ] && acpi_clean "$name"
		vm_finish "$name" 'poweroff -f'
	done
done

# Guest reboot ends kvmini with 0 (the FADT reset register).
if boot cloud-reboot cloud 1; then
	vm_finish cloud-reboot 'reboot -f'
fi

# Without ACPI the kernel finds its CPUs through the Intel MP table, and
# reboots through the keyboard controller.  (Debian's cloud kernel lacks
# CONFIG_X86_MPPARSE; the generic one has it.)
if boot generic-noacpi generic 4 'console=ttyS0 acpi=off'; then
	vm_ask generic-noacpi mptable \
		'echo MPT=$(dmesg | grep -c "MPTABLE: OEM ID: KVMINI")' 'MPT=1'
	vm_ask generic-noacpi nproc 'echo NPROC=$(nproc)' 'NPROC=4'
	vm_finish generic-noacpi 'reboot -f'
fi

lab_done
