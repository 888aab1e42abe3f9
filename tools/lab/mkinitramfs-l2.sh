#!/bin/bash
# mkinitramfs-l2.sh: build the initramfs for L2 guests (the ones kvmini boots).
#
#   tools/lab/mkinitramfs-l2.sh OUT.cpio.gz [--extra-init SCRIPT] [--modules-dir DIR]
#   tools/lab/mkinitramfs-l2.sh --list-inputs
#
# Contents: static busybox with applet symlinks; for each Debian kernel
# flavour (cloud, generic) the L2_MODULES it has as modules, with their
# dependencies, in /lib/modules/<uname -r>/ with a load.list; e2fsprogs'
# mke2fs (also as mkfs.ext2, mkfs.ext4) and e2fsck from the host, with their
# shared libraries and the dynamic loader (busybox sh runs its own small
# mke2fs applet for a bare `mke2fs` whatever PATH says: scripts must call
# /sbin/mke2fs or mkfs.ext4; the console's login shell has an alias); and an
# /init that mounts /proc, /sys, /dev (devtmpfs), /dev/pts, /tmp, /run, then
#   - insmods the modules listed in /lib/modules/load.list (if any; see below),
#     then those in /lib/modules/$(uname -r)/load.list (if there is one),
#   - starts a watcher in the background that, when the ACPI power button
#     is pressed (`kvmini shutdown`), prints KVMINI-L2-POWER-BUTTON, syncs
#     and does `poweroff -f`,
#   - runs SCRIPT (copied to /etc/extra-init) with sh, if given,
#   - prints the line KVMINI-L2-READY on the console,
#   - runs an interactive shell on the console (setsid cttyhack sh: job
#     control and Ctrl-C work), and does `poweroff -f` when it exits.
# --modules-dir DIR: DIR is copied to /lib/modules/; if DIR/load.list exists
#   it names, one per line, .ko files (relative to /lib/modules) to insmod in
#   that order.
# --list-inputs: print the host files the initramfs is made of (without
#   SCRIPT and DIR), one per line; run.sh hashes them for its cache key.
# OUT not ending in .gz gives an uncompressed cpio.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
# resolve_modules, install_module
# shellcheck source-path=SCRIPTDIR source=mkinitramfs-l1.sh
. "$LAB_TOOLS/mkinitramfs-l1.sh"

usage() {
	sed -n '2,28s/^# \{0,1\}//p' "$0"
	exit "${1:-0}"
}

# What L2 loads at boot, in this order (dependencies come first anyway):
# virtio-blk over PCI, and ext4 (which also mounts ext2) with the crc32c
# its metadata checksums need (a soft dependency modules.dep does not list);
# the ACPI power button and evdev, for /init's power-button watcher.
# Names a kernel has built in are skipped; in Debian 6.1 the cloud kernel
# has ext4 and crc32c built in, the generic one has them as modules.
L2_MODULES=(crc32c_generic virtio_pci virtio_blk virtio_net ext4 button evdev)

# Host binaries from e2fsprogs (dynamically linked; ldd finds the rest).
E2FS_BINS=(/sbin/mke2fs /sbin/e2fsck)

# mod_builtin MODDIR NAME: whether the kernel has NAME built in.
mod_builtin() {
	awk -v n="${2//_/-}" '{
		b = $0; sub(/.*\//, "", b); sub(/\.ko$/, "", b); gsub(/_/, "-", b)
		if (b == n) { found = 1; exit }
	} END { exit !found }' "$1/modules.builtin"
}

# flavour_modules MODDIR: paths (relative to MODDIR) of the L2_MODULES that
# MODDIR's kernel has as modules, and their dependencies, in load order.
flavour_modules() {
	local moddir=$1 name want=()
	for name in "${L2_MODULES[@]}"; do
		mod_builtin "$moddir" "$name" || want+=("$name")
	done
	[[ ${#want[@]} -eq 0 ]] || resolve_modules "$moddir" "${want[@]}"
}

# moddirs: the module trees of the two kernel flavours.
moddirs() {
	printf '%s\n' "$LAB_MODDIR_CLOUD" "$LAB_MODDIR_GENERIC"
}

# install_flavour STAGE MODDIR: MODDIR's modules, decompressed, flat in
# STAGE/lib/modules/<release>/ with a load.list.
install_flavour() {
	local stage=$1 moddir=$2 dest rel
	dest="$stage/lib/modules/$(basename "$moddir")"
	mkdir -p "$dest"
	flavour_modules "$moddir" >"$dest/order.tmp"
	while read -r rel; do
		install_module "$moddir/$rel" "$dest"
	done <"$dest/order.tmp" >"$dest/load.list"
	rm "$dest/order.tmp"
	log "L2 modules for $(basename "$moddir"): $(tr '\n' ' ' <"$dest/load.list")"
}

need_e2fsprogs() {
	local b
	for b in "${E2FS_BINS[@]}"; do
		[[ -x $b ]] || apt_install e2fsprogs
		[[ -x $b ]] || die "$b still missing after installing e2fsprogs"
	done
	need_cmd ldd libc-bin
}

# e2fs_libs: the shared libraries and the loader E2FS_BINS need, as ldd
# names them (the paths they get in the initramfs).
e2fs_libs() {
	ldd "${E2FS_BINS[@]}" | awk '
		$2 == "=>" && $3 ~ /^\// { print $3 }
		NF == 2 && $1 ~ /^\// && $2 ~ /^\(/ { print $1 }' | LC_ALL=C sort -u
}

# install_e2fsprogs STAGE: E2FS_BINS in /sbin (replacing busybox's mke2fs),
# their libraries at the paths ldd gave (symlinks resolved) and
# /etc/mke2fs.conf if the host has one.
install_e2fsprogs() {
	local stage=$1 b lib
	for b in "${E2FS_BINS[@]}"; do
		rm -f "$stage/sbin/${b##*/}"
		install -m 0755 "$b" "$stage/sbin/${b##*/}"
	done
	ln -sf mke2fs "$stage/sbin/mkfs.ext2"
	ln -sf mke2fs "$stage/sbin/mkfs.ext4"
	while read -r lib; do
		mkdir -p "$stage$(dirname "$lib")"
		cp -L "$lib" "$stage$lib"
	done < <(e2fs_libs)
	[[ ! -f /etc/mke2fs.conf ]] || cp /etc/mke2fs.conf "$stage/etc/mke2fs.conf"
	# e2fsck and mount look here for what is mounted
	ln -sf /proc/mounts "$stage/etc/mtab"
	# busybox sh runs its own (much smaller) mke2fs applet for a bare
	# `mke2fs`, whatever PATH says; the login shell gets the real one.
	echo 'alias mke2fs=/sbin/mke2fs' >"$stage/etc/profile"
}

# list_inputs: every host file the initramfs is built from, one per line.
list_inputs() {
	local moddir rel
	printf '%s\n' "$LAB_TOOLS/mkinitramfs-l2.sh" "$LAB_TOOLS/common.sh" \
		"$LAB_TOOLS/mkinitramfs-l1.sh" "$LAB_BUSYBOX"
	while read -r moddir; do
		echo "$moddir/modules.dep"
		echo "$moddir/modules.builtin"
		flavour_modules "$moddir" | while read -r rel; do echo "$moddir/$rel"; done
	done < <(moddirs)
	printf '%s\n' "${E2FS_BINS[@]}"
	e2fs_libs | xargs -r readlink -f
	[[ ! -f /etc/mke2fs.conf ]] || echo /etc/mke2fs.conf
}

write_init() {
	cat <<'EOF'
#!/bin/sh
# /init of kvmini lab L2 guests (generated by tools/lab/mkinitramfs-l2.sh)
export PATH=/sbin:/bin:/usr/sbin:/usr/bin HOME=/root TERM=linux
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev || echo "init: mounting devtmpfs failed"
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
hostname kvmini-l2
# load_list DIR: insmod the .ko files DIR/load.list names (relative to DIR)
load_list() {
	[ -f "$1/load.list" ] || return 0
	while read -r m; do
		[ -n "$m" ] || continue
		insmod "$1/$m" || echo "init: insmod $1/$m failed"
	done <"$1/load.list"
}
load_list /lib/modules
# the modules built for this kernel flavour (none for other kernels)
load_list "/lib/modules/$(uname -r)"
# power_button_watch: the ACPI power button (`kvmini shutdown`) powers off.
# Reads the button's evdev node one struct input_event (24 bytes on
# x86-64: timeval, u16 type, u16 code, s32 value) at a time until
# EV_KEY (1) KEY_POWER (116).
power_button_watch() {
	dev=$(awk '/^N: Name="Power Button"/ { f = 1 }
		f && /^H:/ { for (i = 1; i <= NF; i++) if ($i ~ /event[0-9]+$/) {
			sub(/.*=/, "", $i); print $i; exit } }' /proc/bus/input/devices)
	if [ -z "$dev" ] || [ ! -e "/dev/input/$dev" ]; then
		echo "init: no ACPI power button input device"
		return
	fi
	while :; do
		# shellcheck disable=SC2046 # two numbers
		set -- $(dd if="/dev/input/$dev" bs=24 count=1 2>/dev/null |
			od -An -tu2 -j16 -N4)
		[ "${1:-}" = 1 ] && [ "${2:-}" = 116 ] && break
		[ -n "${1:-}" ] || return # the device went away
	done
	echo "KVMINI-L2-POWER-BUTTON: powering off"
	sync
	poweroff -f
}
power_button_watch </dev/null &
if [ -f /etc/extra-init ]; then
	sh /etc/extra-init || echo "init: /etc/extra-init exited with $?"
fi
echo KVMINI-L2-READY
setsid cttyhack sh -l
echo "init: shell exited, powering off"
poweroff -f
EOF
}

main() {
	local out="" extra="" moddir="" list=0 stage d
	while [[ $# -gt 0 ]]; do
		case $1 in
		--extra-init) extra=${2:?--extra-init needs a SCRIPT} && shift ;;
		--modules-dir) moddir=${2:?--modules-dir needs a DIR} && shift ;;
		--list-inputs) list=1 ;;
		-h | --help) usage 0 ;;
		-*) echo "mkinitramfs-l2.sh: unknown option '$1'" >&2 && usage 2 >&2 ;;
		*)
			[[ -z $out ]] || die "more than one OUT given"
			out=$1
			;;
		esac
		shift
	done
	if [[ $list -eq 1 ]]; then
		lab_load_env
		need_e2fsprogs
		list_inputs
		return 0
	fi
	[[ -n $out ]] || usage 2 >&2
	[[ -z $extra || -f $extra ]] || die "--extra-init: no such file: $extra"
	[[ -z $moddir || -d $moddir ]] || die "--modules-dir: no such directory: $moddir"
	lab_load_env
	need_cmd cpio cpio
	need_e2fsprogs

	stage=$(lab_mkstage)
	# shellcheck disable=SC2064 # expand $stage now
	trap "rm -rf '$stage'" EXIT
	lab_install_busybox "$stage"
	write_init >"$stage/init"
	chmod 0755 "$stage/init"
	[[ -z $extra ]] || install -m 0755 "$extra" "$stage/etc/extra-init"
	while read -r d; do
		install_flavour "$stage" "$d"
	done < <(moddirs)
	install_e2fsprogs "$stage"
	[[ -z $moddir ]] || cp -a "$moddir/." "$stage/lib/modules/"
	lab_pack_cpio "$stage" "$out"
	echo "$out"
}

main "$@"
