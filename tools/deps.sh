#!/usr/bin/env bash
# Installs the Debian packages kvmini needs, only those that are missing.
#   tools/deps.sh build    compiler, kernel headers, libcheck, gdb (make,
#                          make check; tests/gdb.sh drives gdb), SYSLINUX,
#                          mtools and dosfstools (the BIOS's bootloader
#                          test builds a FAT disk image with them),
#                          python3 (tests/safety.sh checks disk images)
#   tools/deps.sh fuzz     clang with libFuzzer and the sanitizer runtimes
#                          (make fuzz only; make check replays with gcc)
# The lab installs its own (tools/lab/fetch.sh: qemu-system-x86, cpio, ...).
set -euo pipefail

build_pkgs=(gcc make libc6-dev linux-libc-dev binutils check pkg-config gdb
	syslinux syslinux-common mtools dosfstools python3)
fuzz_pkgs=(clang libclang-rt-14-dev llvm)

missing() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || echo "$p"
	done
}

install() {
	local need
	mapfile -t need < <(missing "$@")
	[ "${#need[@]}" -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps: missing Debian packages: ${need[*]}; run as root or" \
			"apt-get install them" >&2
		exit 1
	fi
	echo "deps: installing ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# the package lists may be empty on a fresh machine
	apt-get install -y --no-install-recommends "${need[@]}" >/dev/null 2>&1 ||
		{ apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}"; }
}

case ${1:-build} in
build) install "${build_pkgs[@]}" ;;
fuzz) install "${fuzz_pkgs[@]}" ;;
*) echo "usage: tools/deps.sh build|fuzz" >&2; exit 2 ;;
esac
