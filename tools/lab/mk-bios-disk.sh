#!/bin/bash
# mk-bios-disk.sh: the raw disk the lab's bios scenario boots through
# kvmini's BIOS (tools/lab/scenarios/bios.sh).
#
#   tools/lab/mk-bios-disk.sh [OUT]        (default build/lab/bios-disk.img)
#
# A 32 MiB FAT16 file system, no partition table, made without mounting:
# mkfs.fat, `syslinux --install` (boot sector and ldlinux.sys) and mcopy.
# It holds the lab's generic Debian kernel as /vmlinuz, a fresh L2
# initramfs (mkinitramfs-l2.sh) as /initrd.gz and this syslinux.cfg:
# a boot: prompt that boots "linux" by itself after 3 s (so SYSLINUX's
# timeout, driven by the BIOS timer tick, is part of the test).
# Prints the image's path.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

out=${1:-$LAB_DIR/bios-disk.img}
lab_load_env
need_cmd syslinux syslinux
need_cmd mcopy mtools
need_cmd mkfs.fat dosfstools
stage=$(lab_mkstage)
trap 'rm -rf "$stage"' EXIT
"$LAB_TOOLS/mkinitramfs-l2.sh" "$stage/initrd.gz" >/dev/null
cat >"$stage/syslinux.cfg" <<'CFG'
PROMPT 1
TIMEOUT 30
SAY kvmini-lab: SYSLINUX read its configuration
DEFAULT linux
LABEL linux
  LINUX /vmlinuz
  INITRD /initrd.gz
  APPEND console=ttyS0
CFG
rm -f "$out.tmp"
truncate -s 32M "$out.tmp"
mkfs.fat -F 16 -n KVMINI-LAB "$out.tmp" >/dev/null
syslinux --install "$out.tmp"
mcopy -i "$out.tmp" "$stage/syslinux.cfg" ::/syslinux.cfg
mcopy -i "$out.tmp" "$LAB_VMLINUZ_GENERIC" ::/vmlinuz
mcopy -i "$out.tmp" "$stage/initrd.gz" ::/initrd.gz
mv "$out.tmp" "$out"
echo "$out"
