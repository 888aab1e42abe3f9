#!/bin/bash
# fetch.sh: prepare everything the KVM lab needs (idempotent, cached).
#
#   tools/lab/fetch.sh [--refresh]
#
# Installs host tools that are missing (qemu-system-x86, cpio, xz-utils, ...),
# downloads the Debian 6.1 generic + cloud kernel packages and busybox-static
# into build/lab/cache/, extracts them under build/lab/, and writes the paths
# as shell assignments to build/lab/env.sh (also printed on stdout).
#
# The kernel ABI (e.g. 6.1.0-56) is the newest one apt-cache offers for both
# flavours; it is remembered in build/lab/kver so later runs reuse the cache.
# Override with LAB_KVER=6.1.0-NN; --refresh re-picks the newest.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

usage() {
	sed -n '2,13s/^# \{0,1\}//p' "$0"
	exit "${1:-0}"
}

ensure_host_tools() {
	need_cmd qemu-system-x86_64 qemu-system-x86
	need_cmd cpio cpio
	need_cmd xz xz-utils
	need_cmd gzip gzip
	need_cmd timeout coreutils
	need_cmd dpkg-deb dpkg
	need_cmd depmod kmod
}

# newest_kver: newest 6.1.0-NN for which apt knows both image flavours.
newest_kver() {
	local v
	for v in $(apt-cache pkgnames linux-image-6.1.0- |
		sed -n 's/^linux-image-\(6\.1\.0-[0-9]*\)-cloud-amd64$/\1/p' | sort -rV); do
		if apt-cache show --no-all-versions "linux-image-$v-amd64" >/dev/null 2>&1; then
			echo "$v"
			return 0
		fi
	done
	return 1
}

pick_kver() {
	local refresh=$1 v
	if [[ -n ${LAB_KVER:-} ]]; then
		echo "$LAB_KVER"
		return
	fi
	if [[ $refresh -eq 0 && -s $LAB_DIR/kver ]]; then
		cat "$LAB_DIR/kver"
		return
	fi
	if ! v=$(newest_kver); then
		apt_update_once
		v=$(newest_kver) || die "apt-cache offers no linux-image-6.1.0-NN-{amd64,cloud-amd64}"
	fi
	echo "$v" >"$LAB_DIR/kver"
	echo "$v"
}

# fetch_kernel FLAVOUR KVER: download + extract linux-image-KVER-FLAVOUR.
fetch_kernel() {
	local flavour=$1 kver=$2 pkg deb dir
	pkg="linux-image-$kver-$flavour"
	deb=$(fetch_deb "$pkg")
	extract_deb "$deb" "$LAB_DIR/kernel/$pkg"
	dir="$LAB_DIR/kernel/$pkg"
	[[ -f $dir/boot/vmlinuz-$kver-$flavour ]] || die "$pkg has no boot/vmlinuz-$kver-$flavour"
	# The package ships no modules.dep (its postinst runs depmod); make one.
	if [[ ! -s $dir/lib/modules/$kver-$flavour/modules.dep ]]; then
		depmod -b "$dir" "$kver-$flavour" || die "depmod failed for $pkg"
	fi
}

write_env() {
	local kver=$1
	local g="$LAB_DIR/kernel/linux-image-$kver-amd64"
	local c="$LAB_DIR/kernel/linux-image-$kver-cloud-amd64"
	cat <<EOF
LAB_KVER=$kver
LAB_VMLINUZ_GENERIC=$g/boot/vmlinuz-$kver-amd64
LAB_VMLINUZ_CLOUD=$c/boot/vmlinuz-$kver-cloud-amd64
LAB_MODDIR_GENERIC=$g/lib/modules/$kver-amd64
LAB_MODDIR_CLOUD=$c/lib/modules/$kver-cloud-amd64
LAB_BUSYBOX=$LAB_DIR/busybox/bin/busybox
LAB_QEMU=$(command -v qemu-system-x86_64)
EOF
}

main() {
	local refresh=0 kver
	while [[ $# -gt 0 ]]; do
		case $1 in
		--refresh) refresh=1 ;;
		-h | --help) usage 0 ;;
		*) echo "fetch.sh: unknown argument '$1'" >&2 && usage 2 >&2 ;;
		esac
		shift
	done
	mkdir -p "$LAB_CACHE" "$LAB_DIR/kernel"
	ensure_host_tools
	kver=$(pick_kver "$refresh")
	fetch_kernel amd64 "$kver"
	fetch_kernel cloud-amd64 "$kver"
	extract_deb "$(fetch_deb busybox-static)" "$LAB_DIR/busybox"
	[[ -x $LAB_DIR/busybox/bin/busybox ]] || die "busybox-static has no bin/busybox"
	write_env "$kver" >"$LAB_ENV_FILE.tmp"
	mv "$LAB_ENV_FILE.tmp" "$LAB_ENV_FILE"
	cat "$LAB_ENV_FILE"
}

main "$@"
