# tiny.sh: a kernel built without ACPI finds all its CPUs, run inside L1.
# The kernel comes from tools/lab/build-tiny-kernel.sh (tinyconfig, no ACPI,
# so the Intel MP table is its only way to see the APs) and must be passed in:
#
#   tools/lab/build-tiny-kernel.sh
#   tools/lab/run.sh --kvmini build/static/kvmini \
#       --scenario tools/lab/scenarios/tiny.sh \
#       --file build/lab/tiny/bzImage:/lab/vmlinuz-tiny --timeout 900
#
# Boots it with 4 vCPUs, checks nproc, that there is no ACPI and that the
# kernel found and parsed kvmini's MP table (3 dmesg lines), and
# that `reboot -f` (keyboard controller reset) ends kvmini with exit code 0.
# (`poweroff -f` cannot work without ACPI: the kernel only halts.)
# shellcheck shell=dash disable=SC2016 # $(...) is typed into the guest
# shellcheck source-path=SCRIPTDIR source=../scenario-lib.sh
. /lab/scenario-lib.sh

BOOT_TIMEOUT=240
KERNEL=/lab/vmlinuz-tiny
CPUS=4
VM=tiny

# ask ID COMMAND EXPECTED: types COMMAND, waits for EXPECTED
ask() {
	local id=$1 cmd=$2 want=$3
	vm_send "$VM" "$cmd"
	if vm_wait_for "$VM" "$want" 60; then
		result "$VM-$id" PASS
	else
		result "$VM-$id" FAIL "wanted '$want'"
		vm_log "$VM" | tail -n 20
	fi
}

if [ ! -f "$KERNEL" ]; then
	result "$VM-kernel-present" FAIL "no $KERNEL (run.sh --file build/lab/tiny/bzImage:$KERNEL)"
	lab_done
	exit 0
fi

vm_start "$VM" --kernel "$KERNEL" --initrd /lab/initrd-l2.gz \
	--mem 256M --cpus "$CPUS" --cmdline console=ttyS0
if vm_wait_for "$VM" KVMINI-L2-READY "$BOOT_TIMEOUT"; then
	result "$VM-boot" PASS
	ask nproc 'echo NPROC=$(nproc)' "NPROC=$CPUS"
	ask no-acpi 'echo ACPIDIR=$(ls -d /sys/firmware/acpi 2>/dev/null | wc -l)' 'ACPIDIR=0'
	ask mptable \
		'echo MPT=$(dmesg | grep -cE "found SMP MP-table|Intel MultiProcessor Specification|MPTABLE: OEM ID: KVMINI")' \
		'MPT=3'
	vm_send "$VM" 'reboot -f'
	vm_wait_exit "$VM" 60 >/tmp/rc
	rc=$(cat /tmp/rc)
	if [ "$rc" = 0 ]; then
		result "$VM-reboot-exit0" PASS
	else
		result "$VM-reboot-exit0" FAIL "exit code $rc"
		vm_log "$VM" | tail -n 20
	fi
	echo "LAB: MP table lines from the tiny kernel:"
	grep -E '^\[ *[0-9]+\.[0-9]+\] .*(MP-table|MultiProcessor|MPTABLE|smpboot|Brought up)' \
		"/tmp/$VM.out" |
		sed "s/^/[$VM] /"
else
	result "$VM-boot" FAIL "no KVMINI-L2-READY"
	vm_log "$VM" | tail -n 40
	vm_kill "$VM"
fi

lab_done
