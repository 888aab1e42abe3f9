# tiny.sh: a kernel built without ACPI finds all its CPUs and its virtio-blk
# disks (PCI and virtio-mmio), run inside L1. The kernel comes from
# tools/lab/build-tiny-kernel.sh (tinyconfig, no ACPI, so the Intel MP table
# is its only way to see the APs and to route PCI INTx) and must be passed in:
#
#   tools/lab/build-tiny-kernel.sh
#   tools/lab/run.sh --kvmini build/static/kvmini \
#       --scenario tools/lab/scenarios/tiny.sh \
#       --file build/lab/tiny/bzImage:/lab/vmlinuz-tiny --timeout 900
#
# L1 makes two 8 MiB images with `kvmini img create` and writes a marker at
# sector 10 of each. Two boots, 4 vCPUs, both images as disks: one over PCI
# (serial=tiny-pci), one with transport=mmio (kvmini adds
# virtio_mmio.device=0x200@0xf0000000:5 to the command line):
#   tiny       (MSI-X) nproc, no ACPI, the 3 MP-table lines in dmesg, two
#              vd* disks, which is which (the sysfs path of the device: under
#              pci0000:00 or under a virtio-mmio platform device), the PCI
#              one is a modern virtio-blk (1af4:1042) with serial tiny-pci,
#              L1's markers read back, the PCI disk's queue interrupts are
#              PCI-MSI and fire, the mmio one's is IO-APIC pin 5 (edge), the
#              guest writes markers at sector 20 and syncs, `reboot -f`
#              (keyboard controller reset) ends kvmini with exit code 0, and
#              L1 finds the markers in both images
#   tiny-intx  (pci=nomsi) the sector 20 markers read back, and the PCI disk
#              interrupts on IO-APIC pin 16 + slot % 8, level (fasteoi),
#              as the MP table routes INTA, with no PCI-MSI lines; reboot -f
# (`poweroff -f` cannot work without ACPI: the kernel only halts.)
# shellcheck shell=dash disable=SC2016 # $(...) is typed into the guest
# shellcheck source-path=SCRIPTDIR source=../scenario-lib.sh
. /lab/scenario-lib.sh

KERNEL=/lab/vmlinuz-tiny
CPUS=4
VM=tiny
PCI_IMG=/tmp/t-pci.img
MMIO_IMG=/tmp/t-mmio.img
# Markers: [A-Z0-9-] only, the guest reads them back through tr -dc.
M10_PCI='KVMINI-TINY-S10-PCI'
M10_MMIO='KVMINI-TINY-S10-MMIO'
M20_PCI='KVMINI-TINY-S20-PCI'
M20_MMIO='KVMINI-TINY-S20-MMIO'

# Typed into the guest after each boot:
# irqs ERE: "LINES/COUNT" for the /proc/interrupts lines matching ERE, COUNT
# summed over all CPUs
GUEST_IRQS='irqs() { grep -E "$1" /proc/interrupts | awk '\''{ for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i; n++ } END { print n + 0 "/" s + 0 }'\''; }'
# P, M: the vd* disk whose device sits on the PCI bus, and the one under a
# virtio-mmio platform device; PV, MV their virtioN devices; A the PCI
# address, GSI the IO-APIC pin the MP table gives its INTA (16 + slot % 8).
# Three lines, each short enough for the guest's line editing.
GUEST_DISKS1='P=; M=; for d in /sys/block/vd*; do case $(readlink -f $d/device) in */virtio-mmio*) M=${d##*/} ;; */pci0000:*) P=${d##*/} ;; esac; done'
GUEST_DISKS2='PV=$(basename "$(readlink -f /sys/block/$P/device)"); MV=$(basename "$(readlink -f /sys/block/$M/device)")'
GUEST_DISKS3='A=$(basename "$(readlink -f /sys/block/$P/device/..)"); S=${A##*:}; S=${S%.*}; GSI=$((16 + 0x${S:-0} % 8))'

if [ ! -f "$KERNEL" ]; then
	result "$VM-kernel-present" FAIL "no $KERNEL (run.sh --file build/lab/tiny/bzImage:$KERNEL)"
	lab_done
	exit 0
fi

# marker FILE SECTOR: the text at SECTOR of FILE, NULs dropped
marker() {
	dd if="$1" bs=512 skip="$2" count=1 2>/dev/null | tr -d '\000'
}

# images: both images, with L1's markers at sector 10
images() {
	local bad="" f
	rm -f "$PCI_IMG" "$MMIO_IMG"
	for f in "$PCI_IMG" "$MMIO_IMG"; do
		if ! kvmini img create "$f" 8M >/tmp/img-create.out 2>&1; then
			sed 's/^/[img-create] /' /tmp/img-create.out
			truncate -s 8M "$f"
			bad="$bad ${f##*/}"
		fi
	done
	printf %s "$M10_PCI" | dd of="$PCI_IMG" bs=512 seek=10 conv=notrunc 2>/dev/null
	printf %s "$M10_MMIO" | dd of="$MMIO_IMG" bs=512 seek=10 conv=notrunc 2>/dev/null
	if [ -n "$bad" ]; then
		result "$VM-images" FAIL "kvmini img create failed for:$bad (used truncate -s)"
	elif [ "$(stat -c %s "$PCI_IMG")/$(stat -c %s "$MMIO_IMG")" != 8388608/8388608 ] ||
		[ "$(marker "$PCI_IMG" 10)/$(marker "$MMIO_IMG" 10)" != "$M10_PCI/$M10_MMIO" ]; then
		result "$VM-images" FAIL "sizes $(stat -c %s "$PCI_IMG") $(stat -c %s "$MMIO_IMG")," \
			"markers '$(marker "$PCI_IMG" 10)' '$(marker "$MMIO_IMG" 10)'"
	else
		result "$VM-images" PASS
	fi
}

# boot NAME CMDLINE: the tiny kernel with both disks, then GUEST_IRQS and
# GUEST_DISKS typed in
boot() {
	vm_boot "$1" --kernel "$KERNEL" --initrd /lab/initrd-l2.gz \
		--mem 256M --cpus "$CPUS" --cmdline "$2" \
		--disk "$PCI_IMG,serial=tiny-pci" --disk "$MMIO_IMG,transport=mmio" || return 1
	vm_send "$1" "$GUEST_IRQS"
	vm_send "$1" "$GUEST_DISKS1"
	vm_send "$1" "$GUEST_DISKS2"
	vm_send "$1" "$GUEST_DISKS3"
}

# no_insmod NAME: the L2 init found no modules for this kernel, so it tried
# to load none (its modules are for the Debian kernels' uname -r)
no_insmod() {
	if grep -q 'init: insmod' "/tmp/$1.out"; then
		result "$1-init-no-insmod" FAIL "$(grep 'init: insmod' "/tmp/$1.out" | head -n 3 | tr -d '\r')"
	else
		result "$1-init-no-insmod" PASS
	fi
}

# on_disk NAME: (VM gone) the guest's sector 20 markers are in the images
on_disk() {
	local got
	got="$(marker "$PCI_IMG" 20)/$(marker "$MMIO_IMG" 20)"
	if [ "$got" = "$M20_PCI/$M20_MMIO" ]; then
		result "$1-markers-on-disk" PASS
	else
		result "$1-markers-on-disk" FAIL "sector 20: '$got'"
	fi
}

images

if boot "$VM" console=ttyS0; then
	no_insmod "$VM"
	vm_ask "$VM" nproc 'echo NPROC=$(nproc)' "NPROC=$CPUS"
	vm_ask "$VM" no-acpi 'echo ACPIDIR=$(ls -d /sys/firmware/acpi 2>/dev/null | wc -l)' 'ACPIDIR=0'
	vm_ask "$VM" mptable \
		'echo MPT=$(dmesg | grep -cE "found SMP MP-table|Intel MultiProcessor Specification|MPTABLE: OEM ID: KVMINI")' \
		'MPT=3'
	vm_ask "$VM" disks 'echo NVD=$(ls /sys/block | grep -c "^vd[a-z]$")' 'NVD=2'
	vm_ask "$VM" transports \
		'echo "XPORT pci=$P($PV,$A) mmio=$M($MV,$(cat /sys/block/$M/device/../modalias))"' \
		'XPORT pci=vd[a-z](virtio[0-9]*,0000:00:[0-9a-f][0-9a-f]\.[0-7]) mmio=vd[a-z](virtio[0-9]*,platform:virtio-mmio)'
	vm_ask "$VM" pci-modern-blk \
		'echo PCIID=$(cat /sys/block/$P/device/../vendor):$(cat /sys/block/$P/device/../device)' \
		'PCIID=0x1af4:0x1042'
	vm_ask "$VM" serial 'echo SER=$(cat /sys/block/$P/serial)' 'SER=tiny-pci'
	vm_ask "$VM" read-pci \
		'echo R10P=$(dd if=/dev/$P bs=512 skip=10 count=1 iflag=direct 2>/dev/null | tr -dc A-Z0-9-)' \
		"R10P=$M10_PCI"
	vm_ask "$VM" read-mmio \
		'echo R10M=$(dd if=/dev/$M bs=512 skip=10 count=1 iflag=direct 2>/dev/null | tr -dc A-Z0-9-)' \
		"R10M=$M10_MMIO"
	# MSI-X: virtioN-config and virtioN-req.M lines, the queue ones counted
	vm_ask "$VM" pci-msi \
		'echo "MSI=$(irqs "PCI-MSI.* $PV-req") INTX=$(irqs "IO-APIC.* $PV\$")"' \
		'MSI=[1-9][0-9]*/[1-9][0-9]* INTX=0/0'
	vm_ask "$VM" mmio-irq 'echo MMIRQ=$(irqs "IO-APIC +5-edge +$MV\$")' 'MMIRQ=1/[1-9]'
	vm_ask "$VM" write \
		"printf $M20_PCI | dd of=/dev/\$P bs=512 seek=20 conv=notrunc 2>/dev/null && printf $M20_MMIO | dd of=/dev/\$M bs=512 seek=20 conv=notrunc 2>/dev/null && sync; echo W20=\$?" \
		'W20=0'
	vm_send "$VM" 'grep -E "virtio|PCI-MSI" /proc/interrupts'
	vm_finish "$VM" 'reboot -f'
	on_disk "$VM"
	echo "LAB: MP table, PCI and virtio lines from the tiny kernel:"
	grep -E '^\[ *[0-9]+\.[0-9]+\] .*(MP-table|MultiProcessor|MPTABLE|smpboot|Brought up|virtio|PCI: |pci 0000:00:0[1-9a-f]|vd[a-z])|PCI-MSI|IO-APIC.*virtio' \
		"/tmp/$VM.out" |
		sed "s/^/[$VM] /"
fi

if boot "$VM-intx" 'console=ttyS0 pci=nomsi'; then
	vm_ask "$VM-intx" read-back \
		'echo R20=$(dd if=/dev/$P bs=512 skip=20 count=1 iflag=direct 2>/dev/null | tr -dc A-Z0-9-)/$(dd if=/dev/$M bs=512 skip=20 count=1 iflag=direct 2>/dev/null | tr -dc A-Z0-9-)' \
		"R20=$M20_PCI/$M20_MMIO"
	# one level-triggered IO-APIC line named virtioN on the MP table's pin
	vm_ask "$VM-intx" pci-intx \
		'echo "GSI$GSI INTX=$(irqs "IO-APIC +$GSI-fasteoi +$PV\$") MSI=$(irqs "PCI-MSI")"' \
		'GSI[0-9]* INTX=1/[1-9][0-9]* MSI=0/0'
	vm_send "$VM-intx" 'grep -E "virtio|PCI-MSI" /proc/interrupts'
	vm_finish "$VM-intx" 'reboot -f'
	echo "LAB: interrupts with pci=nomsi:"
	grep -E 'IO-APIC.*virtio' "/tmp/$VM-intx.out" | sed "s/^/[$VM-intx] /"
fi

lab_done
