# bios.sh: kvmini's BIOS boots a disk with a real bootloader, run inside L1
# where kvm-amd runs real mode and the bootloader's protected mode natively.
# The disk (tools/lab/mk-bios-disk.sh, passed in as /lab/bios-disk.img)
# is a FAT16 image with SYSLINUX, Debian's generic kernel and the L2
# initramfs:
#
#   tools/lab/mk-bios-disk.sh
#   tools/lab/run.sh --kvmini build/static/kvmini \
#       --scenario tools/lab/scenarios/bios.sh \
#       --file build/lab/bios-disk.img:/lab/bios-disk.img --timeout 900
#
# `kvmini run --disk IMG` (no --kernel: the BIOS boots drive 80h):
#   bios-syslinux-prompt   SYSLINUX's banner, its configuration and boot:
#   bios-syslinux-timeout  it boots "linux" by itself after TIMEOUT 30
#                          (3 s of BIOS timer ticks) and loads /vmlinuz
#   bios-kernel-starts     the kernel's first message (Linux version)
#   bios-boot              the L2 initramfs is up (KVMINI-L2-READY)
#   bios-e820              the kernel got the BIOS's E820 map: usable RAM
#                          from 0 and from 1 MiB, reserved 9fc00-fffff
#   bios-acpi              and found kvmini's ACPI tables (RSDP at e0000)
#   bios-command, bios-poweroff-exit0
# shellcheck shell=dash disable=SC2016 # $(...) is typed into the guest
# shellcheck source-path=SCRIPTDIR source=../scenario-lib.sh
. /lab/scenario-lib.sh

IMG=/lab/bios-disk.img
VM=bios

if [ ! -f "$IMG" ]; then
	result "$VM-disk-present" FAIL "no $IMG (run.sh --file build/lab/bios-disk.img:$IMG)"
	lab_done
	exit 0
fi

step() { # step ID PATTERN SECS: wait for PATTERN on the console
	if vm_wait_for "$VM" "$2" "$3"; then
		result "$VM-$1" PASS
		return 0
	fi
	result "$VM-$1" FAIL "no '$2'"
	vm_log "$VM" | tail -n 30
	return 1
}

t0=$(date +%s)
vm_start "$VM" --disk "$IMG" --mem 512M
step syslinux-prompt 'boot:' 120 &&
	echo "lab: SYSLINUX prompt after $(($(date +%s) - t0)) s" &&
	step syslinux-timeout 'Loading /vmlinuz' 120 &&
	step kernel-starts 'Linux version' 240 &&
	echo "lab: kernel started after $(($(date +%s) - t0)) s" &&
	step boot KVMINI-L2-READY 240 &&
	echo "lab: L2 initramfs up after $(($(date +%s) - t0)) s" &&
	vm_ask "$VM" e820 \
		'echo E820=$(dmesg | grep -cE "BIOS-e820: \[mem 0x0000000000000000-0x000000000009fbff\] usable|BIOS-e820: \[mem 0x000000000009fc00-0x00000000000fffff\] reserved|BIOS-e820: \[mem 0x0000000000100000-")' \
		'E820=3' &&
	vm_ask "$VM" acpi 'echo RSDP=$(dmesg | grep -c "ACPI: RSDP 0x00000000000E0000")' 'RSDP=1' &&
	vm_ask "$VM" command 'echo RESULT-$((6*7))' 'RESULT-42' &&
	vm_finish "$VM" 'poweroff -f'
vm_log "$VM" | head -n 12
lab_done
