#!/usr/bin/env bash
# `make run`: boot the default Linux guest (Debian's cloud kernel with a
# busybox initramfs) to a shell on this terminal.  Directly on hardware
# KVM; on a PVM or KVM-less host, inside the KVM lab (tools/lab), saying so.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
tools/deps.sh build
make -s kvmini
tools/lab/fetch.sh >/dev/null
# shellcheck source=/dev/null
. build/lab/env.sh

if ./kvmini check >/dev/null 2>&1; then
	initrd=build/lab/initrd-l2.cpio.gz
	tools/lab/mkinitramfs-l2.sh "$initrd" >/dev/null
	echo "kvmini: hardware KVM here; booting $LAB_VMLINUZ_CLOUD directly"
	echo "kvmini: Ctrl-A x quits, 'poweroff -f' in the guest ends it"
	exec ./kvmini run --kernel "$LAB_VMLINUZ_CLOUD" --initrd "$initrd" \
		--mem 512M --cpus 2 --cmdline 'console=ttyS0 quiet'
fi

echo "kvmini: this host's /dev/kvm cannot boot stock Linux ('kvmini check' says why);"
echo "kvmini: booting the default guest inside the KVM lab (QEMU TCG, nested SVM) instead"
make -s static
exec tools/lab/run.sh --kvmini build/static/kvmini \
	--scenario tools/lab/scenarios/default-guest.sh --interactive --timeout 86400
