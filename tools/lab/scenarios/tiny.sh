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

KERNEL=/lab/vmlinuz-tiny
CPUS=4
VM=tiny

if [ ! -f "$KERNEL" ]; then
	result "$VM-kernel-present" FAIL "no $KERNEL (run.sh --file build/lab/tiny/bzImage:$KERNEL)"
	lab_done
	exit 0
fi

if vm_boot "$VM" --kernel "$KERNEL" --initrd /lab/initrd-l2.gz \
	--mem 256M --cpus "$CPUS" --cmdline console=ttyS0; then
	vm_ask "$VM" nproc 'echo NPROC=$(nproc)' "NPROC=$CPUS"
	vm_ask "$VM" no-acpi 'echo ACPIDIR=$(ls -d /sys/firmware/acpi 2>/dev/null | wc -l)' 'ACPIDIR=0'
	vm_ask "$VM" mptable \
		'echo MPT=$(dmesg | grep -cE "found SMP MP-table|Intel MultiProcessor Specification|MPTABLE: OEM ID: KVMINI")' \
		'MPT=3'
	vm_finish "$VM" 'reboot -f'
	echo "LAB: MP table lines from the tiny kernel:"
	grep -E '^\[ *[0-9]+\.[0-9]+\] .*(MP-table|MultiProcessor|MPTABLE|smpboot|Brought up)' \
		"/tmp/$VM.out" |
		sed "s/^/[$VM] /"
fi

lab_done
