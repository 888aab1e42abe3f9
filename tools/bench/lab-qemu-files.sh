#!/bin/bash
# lab-qemu-files.sh: prints the `--file SRC:DEST` arguments (one per line)
# that carry the host's qemu-system-x86_64 into the KVM lab's L1: the
# binary, the shared libraries ldd names (symlinks resolved: mkinitramfs-l1.sh
# copies with cp -a), the dynamic loader, and the firmware a q35 guest with
# -kernel needs (SeaBIOS bios-256k.bin, kvmvapic.bin, linuxboot_dma.bin),
# and qboot (bios-microvm.bin) for -M microvm.
# virtio-net-pci must be given romfile= (no efi-virtio.rom is carried).
#
#   tools/lab/run.sh ... $(tools/bench/lab-qemu-files.sh)
set -euo pipefail

QEMU=${QEMU:-$(command -v qemu-system-x86_64)}
[[ -x $QEMU ]] || { echo "lab-qemu-files.sh: no qemu-system-x86_64" >&2; exit 1; }

emit() { # SRC DEST
	local src
	src=$(readlink -f "$1")
	[[ -f $src ]] || { echo "lab-qemu-files.sh: missing $1" >&2; exit 1; }
	printf -- '--file\n%s:%s\n' "$src" "$2"
}

emit "$QEMU" /usr/bin/qemu-system-x86_64
while read -r lib; do
	emit "$lib" "$lib"
done < <(ldd "$QEMU" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u)
# QEMU looks in <bindir>/../share/qemu and ../share/seabios (qemu -L help)
for d in /usr/share/seabios /usr/share/qemu; do
	if [[ -e $d/bios-256k.bin ]]; then emit "$d/bios-256k.bin" /usr/share/seabios/bios-256k.bin && break; fi
done
# bios-microvm.bin: qboot, -M microvm's firmware (lab bench-boot.sh)
for f in kvmvapic.bin linuxboot_dma.bin linuxboot.bin bios-microvm.bin; do
	emit "/usr/share/qemu/$f" "/usr/share/qemu/$f"
done
