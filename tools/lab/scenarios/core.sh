# core.sh: the Core VMM acceptance scenario, run inside the lab's L1.
# Debian's cloud and generic kernels boot to a busybox shell under kvmini,
# run a typed command, see every vCPU (ACPI and, with acpi=off, the MP
# table), and end kvmini with exit code 0 on poweroff and on reboot.
# shellcheck shell=dash
# shellcheck source-path=SCRIPTDIR source=../scenario-lib.sh
. /lab/scenario-lib.sh

BOOT_TIMEOUT=240

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
	local name=$1 kernel=$2 cpus=$3 cmdline=${4:-console=ttyS0}
	vm_start "$name" --kernel "/lab/vmlinuz-$kernel" \
		--initrd /lab/initrd-l2.gz --mem 512M --cpus "$cpus" \
		--cmdline "$cmdline"
	if vm_wait_for "$name" KVMINI-L2-READY "$BOOT_TIMEOUT"; then
		result "$name-boot" PASS
		return 0
	fi
	result "$name-boot" FAIL "no KVMINI-L2-READY"
	vm_log "$name" | tail -n 40
	vm_kill "$name"
	return 1
}

# ask NAME ID COMMAND EXPECTED: types COMMAND, waits for EXPECTED
ask() {
	local name=$1 id=$2 cmd=$3 want=$4
	vm_send "$name" "$cmd"
	if vm_wait_for "$name" "$want" 60; then
		result "$name-$id" PASS
	else
		result "$name-$id" FAIL "wanted '$want'"
		vm_log "$name" | tail -n 20
	fi
}

# finish NAME COMMAND: the guest's COMMAND must end kvmini with code 0
finish() {
	local name=$1 cmd=$2 rc
	vm_send "$name" "$cmd"
	vm_wait_exit "$name" 60 >/tmp/rc
	rc=$(cat /tmp/rc)
	if [ "$rc" = 0 ]; then
		result "$name-${cmd%% *}-exit0" PASS
	else
		result "$name-${cmd%% *}-exit0" FAIL "exit code $rc"
		vm_log "$name" | tail -n 20
	fi
}

# acpi_clean NAME: no ACPI errors or warnings about our tables
acpi_clean() {
	ask "$1" acpi-clean \
		'echo ACPIERR=$(dmesg | grep -ciE "acpi (bios )?(error|warning)")' \
		'ACPIERR=0'
}

check_host

for kernel in cloud generic; do
	for cpus in 1 2 4; do
		name=$kernel-cpus$cpus
		boot "$name" "$kernel" "$cpus" || continue
		ask "$name" command 'echo RESULT-$((6*7))' 'RESULT-42'
		ask "$name" nproc 'echo NPROC=$(nproc)' "NPROC=$cpus"
		# CPUID topology: APIC IDs 0..n-1, one core each in one package
		ask "$name" apic-ids \
			'echo APICIDS=$(awk "/^apicid/ {printf \$3}" /proc/cpuinfo)' \
			"APICIDS=$(seq -s '' 0 $((cpus - 1)))"
		[ "$cpus" = 1 ] && acpi_clean "$name"
		finish "$name" 'poweroff -f'
	done
done

# Guest reboot ends kvmini with 0 (the FADT reset register).
if boot cloud-reboot cloud 1; then
	finish cloud-reboot 'reboot -f'
fi

# Without ACPI the kernel finds its CPUs through the Intel MP table, and
# reboots through the keyboard controller.  (Debian's cloud kernel lacks
# CONFIG_X86_MPPARSE; the generic one has it.)
if boot generic-noacpi generic 4 'console=ttyS0 acpi=off'; then
	ask generic-noacpi mptable \
		'echo MPT=$(dmesg | grep -c "MPTABLE: OEM ID: KVMINI")' 'MPT=1'
	ask generic-noacpi nproc 'echo NPROC=$(nproc)' 'NPROC=4'
	finish generic-noacpi 'reboot -f'
fi

lab_done
