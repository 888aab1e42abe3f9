#!/bin/bash
# build-tiny-kernel.sh: build a small Linux without ACPI for the KVM lab.
#
#   tools/lab/build-tiny-kernel.sh [OUTDIR]      (default build/lab/tiny)
#
# Installs what the build needs if it is missing (linux-source, gcc, make,
# libc6-dev, bc, flex, bison, libelf-dev, xz-utils), unpacks Debian's
# /usr/src/linux-source-*.tar.xz into OUTDIR/src (once per source version),
# configures it in OUTDIR/obj with `make tinyconfig`, then the fragment below
# (scripts/config + `make olddefconfig`, checked afterwards), builds bzImage
# with `make -j$(nproc)` and copies it to OUTDIR/bzImage.
#
# Cached: when OUTDIR/bzImage exists and OUTDIR/stamp records the same
# linux-source version and fragment hash, nothing is done. Otherwise the
# rebuild is incremental in OUTDIR/obj. Prints the path of the bzImage.
#
# What the kernel is for: no ACPI, so it can only find its CPUs and the
# PCI INTx routing through kvmini's Intel MP table (see
# tools/lab/scenarios/tiny.sh). It boots the lab's L2 busybox initramfs and
# has virtio-blk built in, over PCI (modern only, MSI-X or INTx) and over
# virtio-mmio (devices from virtio_mmio.device= on the command line).
# `reboot -f` works (keyboard controller reset); `poweroff -f` cannot power
# off without ACPI: the kernel just halts.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

usage() {
	sed -n '2,23s/^# \{0,1\}//p' "$0"
	exit "${1:-0}"
}

# On top of tinyconfig (ARCH=x86_64). Lines are CONFIG_X=y, CONFIG_X=n,
# CONFIG_X=NUMBER or CONFIG_X="STRING"; each must hold after olddefconfig.
# The =n lines keep out what olddefconfig would add by default: VT (and
# with it INPUT, HID, i8042, keyboard and mouse drivers), legacy PTYs,
# SCHED_MC_PRIO (CPU_FREQ, intel_pstate), initrd decompressors but gzip,
# and what PCI or BLOCK bring along by default that a virtio-blk guest does
# not use: the 8250 PCI drivers, I/O schedulers, ASPM, VGA arbitration, the
# Intel uncore/RAPL/cstate PMUs, swap.
# PCI without ACPI: conf1 only (PCI_MMCONFIG needs ACPI), INTx routing from
# the MP table through the IO-APIC, MSI/MSI-X straight to the local APICs
# (IRQ_REMAP needs ACPI, so it is off anyway; listed to say so).
FRAGMENT='
CONFIG_64BIT=y
CONFIG_SMP=y
CONFIG_NR_CPUS=8
CONFIG_ACPI=n
CONFIG_X86_LOCAL_APIC=y
CONFIG_X86_IO_APIC=y
CONFIG_X86_MPPARSE=y
CONFIG_HYPERVISOR_GUEST=y
CONFIG_PARAVIRT=y
CONFIG_KVM_GUEST=y
CONFIG_PARAVIRT_CLOCK=y
CONFIG_PRINTK=y
CONFIG_PRINTK_TIME=y
CONFIG_EARLY_PRINTK=y
CONFIG_TTY=y
CONFIG_UNIX98_PTYS=y
CONFIG_SERIAL_8250=y
CONFIG_SERIAL_8250_CONSOLE=y
CONFIG_BLK_DEV_INITRD=y
CONFIG_RD_GZIP=y
CONFIG_BINFMT_ELF=y
CONFIG_BINFMT_SCRIPT=y
CONFIG_PROC_FS=y
CONFIG_SYSFS=y
CONFIG_DEVTMPFS=y
CONFIG_DEVTMPFS_MOUNT=y
CONFIG_BLOCK=y
CONFIG_BLK_DEV=y
CONFIG_PCI=y
CONFIG_PCI_MSI=y
CONFIG_IRQ_REMAP=n
CONFIG_VIRTIO_MENU=y
CONFIG_VIRTIO=y
CONFIG_VIRTIO_PCI=y
CONFIG_VIRTIO_PCI_LEGACY=n
CONFIG_VIRTIO_MMIO=y
CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES=y
CONFIG_VIRTIO_BLK=y
CONFIG_VT=n
CONFIG_LEGACY_PTYS=n
CONFIG_SCHED_MC_PRIO=n
CONFIG_RD_BZIP2=n
CONFIG_RD_LZMA=n
CONFIG_RD_XZ=n
CONFIG_RD_LZO=n
CONFIG_RD_LZ4=n
CONFIG_RD_ZSTD=n
CONFIG_SERIAL_8250_PCI=n
CONFIG_SERIAL_8250_LPSS=n
CONFIG_SERIAL_8250_MID=n
CONFIG_SERIAL_8250_PERICOM=n
CONFIG_MQ_IOSCHED_DEADLINE=n
CONFIG_MQ_IOSCHED_KYBER=n
CONFIG_PCIEASPM=n
CONFIG_VGA_ARB=n
CONFIG_PERF_EVENTS_INTEL_UNCORE=n
CONFIG_PERF_EVENTS_INTEL_RAPL=n
CONFIG_PERF_EVENTS_INTEL_CSTATE=n
CONFIG_SWAP=n
'

# Commands the build runs, and the packages that provide them.
BUILD_TOOLS='gcc:gcc make:make bc:bc flex:flex bison:bison xz:xz-utils'

# ensure_build_deps: install linux-source and the build tools if missing.
ensure_build_deps() {
	local pkgs=() pair
	compgen -G '/usr/src/linux-source-*.tar.xz' >/dev/null || pkgs+=(linux-source)
	for pair in $BUILD_TOOLS; do
		command -v "${pair%%:*}" >/dev/null || pkgs+=("${pair#*:}")
	done
	# objtool (always on for x86_64) links against libelf; host programs
	# need the C library headers.
	[[ -f /usr/include/gelf.h ]] || pkgs+=(libelf-dev)
	[[ -f /usr/include/stdio.h ]] || pkgs+=(libc6-dev)
	[[ ${#pkgs[@]} -eq 0 ]] || apt_install "${pkgs[@]}"
}

# source_tarball: the newest /usr/src/linux-source-*.tar.xz, if any.
source_tarball() {
	compgen -G '/usr/src/linux-source-*.tar.xz' | sort -V | tail -n 1
}

# source_version TARBALL: "PACKAGE VERSION" of the package that owns it.
source_version() {
	local pkg
	pkg=$(dpkg-query -S "$1" 2>/dev/null | cut -d: -f1 | head -n 1)
	[[ -n $pkg ]] || die "no package owns $1"
	echo "$pkg $(dpkg-query -W -f='${Version}' "$pkg")"
}

# unpack TARBALL VERSION SRCDIR: SRCDIR/linux-source-*, unpacked once per VERSION.
unpack() {
	local tarball=$1 version=$2 srcdir=$3 top
	top=$(basename "$tarball" .tar.xz)
	if [[ -f $srcdir/.version && $(cat "$srcdir/.version") == "$version" &&
		-f $srcdir/$top/Makefile ]]; then
		echo "$srcdir/$top"
		return
	fi
	log "unpacking $tarball into $srcdir"
	rm -rf "$srcdir"
	mkdir -p "$srcdir"
	tar -C "$srcdir" -xJf "$tarball"
	echo "$version" >"$srcdir/.version"
	echo "$srcdir/$top"
}

# fragment_lines: the fragment without blank lines.
fragment_lines() {
	grep -E '^CONFIG_' <<<"$FRAGMENT"
}

# apply_fragment SRC CONFIG: scripts/config calls for each fragment line.
apply_fragment() {
	local src=$1 cfg=$2 line sym val args=()
	while read -r line; do
		sym=${line%%=*} val=${line#*=}
		sym=${sym#CONFIG_}
		case $val in
		y) args+=(--enable "$sym") ;;
		n) args+=(--disable "$sym") ;;
		m) args+=(--module "$sym") ;;
		\"*\") val=${val#\"} && args+=(--set-str "$sym" "${val%\"}") ;;
		*) args+=(--set-val "$sym" "$val") ;;
		esac
	done < <(fragment_lines)
	"$src/scripts/config" --file "$cfg" "${args[@]}"
}

# check_fragment CONFIG: every fragment line holds in CONFIG.
check_fragment() {
	local cfg=$1 line sym val bad=0
	while read -r line; do
		sym=${line%%=*} val=${line#*=}
		if [[ $val == n ]]; then
			grep -q "^$sym=" "$cfg" || continue
		else
			grep -qxF "$line" "$cfg" && continue
		fi
		log "config: wanted $line, got: $(grep -E "^(# )?${sym}[= ]" "$cfg" || echo unset)"
		bad=1
	done < <(fragment_lines)
	[[ $bad -eq 0 ]] || die "olddefconfig dropped part of the fragment (missing dependencies?)"
}

main() {
	local outdir="$LAB_DIR/tiny" tarball version key src obj t0 t1 jobs
	case ${1:-} in
	-h | --help) usage 0 ;;
	-*) echo "build-tiny-kernel.sh: unknown option '$1'" >&2 && usage 2 >&2 ;;
	?*) outdir=$1 ;;
	esac
	[[ $# -le 1 ]] || usage 2 >&2
	mkdir -p "$outdir"
	outdir=$(cd "$outdir" && pwd)

	# Fast path: nothing to install, nothing to build.
	tarball=$(source_tarball || true)
	if [[ -n $tarball && -f $outdir/bzImage && -f $outdir/stamp ]]; then
		key="$(source_version "$tarball") fragment=$(fragment_lines | sha256sum | cut -c1-16)"
		if [[ $(cat "$outdir/stamp") == "$key" ]]; then
			log "tiny kernel up to date ($key)"
			echo "$outdir/bzImage"
			return 0
		fi
	fi

	t0=$(date +%s.%N)
	ensure_build_deps
	tarball=$(source_tarball)
	[[ -n $tarball ]] || die "no /usr/src/linux-source-*.tar.xz after installing linux-source"
	version=$(source_version "$tarball")
	key="$version fragment=$(fragment_lines | sha256sum | cut -c1-16)"
	src=$(unpack "$tarball" "$version" "$outdir/src")
	obj="$outdir/obj"
	if [[ ! -f $obj/.version-src || $(cat "$obj/.version-src") != "$version" ]]; then
		rm -rf "$obj"
		mkdir -p "$obj"
		echo "$version" >"$obj/.version-src"
	fi

	t1=$(date +%s.%N)
	jobs=$(nproc)
	log "configuring $version (tinyconfig + fragment) in $obj"
	make -s -C "$src" O="$obj" ARCH=x86_64 tinyconfig >/dev/null
	apply_fragment "$src" "$obj/.config"
	make -s -C "$src" O="$obj" ARCH=x86_64 olddefconfig >/dev/null
	check_fragment "$obj/.config"
	log "building bzImage with -j$jobs (log: $outdir/build.log)"
	if ! make -C "$src" O="$obj" ARCH=x86_64 -j"$jobs" bzImage >"$outdir/build.log" 2>&1; then
		tail -n 30 "$outdir/build.log" >&2
		die "kernel build failed, see $outdir/build.log"
	fi
	cp "$obj/arch/x86/boot/bzImage" "$outdir/bzImage.tmp"
	mv -f "$outdir/bzImage.tmp" "$outdir/bzImage"
	cp "$obj/.config" "$outdir/config"
	echo "$key" >"$outdir/stamp"
	log "$(awk -v a="$t0" -v b="$t1" -v c="$(date +%s.%N)" -v s="$(stat -c %s "$outdir/bzImage")" \
		'BEGIN { printf "built tiny kernel (%d KiB) in %.1fs (install+unpack %.1fs, configure+make %.1fs)", s / 1024, c - a, b - a, c - b }')"
	echo "$outdir/bzImage"
}

main "$@"
