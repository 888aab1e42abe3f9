# shellcheck shell=bash
# shellcheck disable=SC2034 # variables are used by the sourcing scripts
# Shared helpers for the tools/lab/*.sh host scripts. Source, don't execute.
#
# Provides: LAB_TOOLS, LAB_REPO, LAB_DIR, die, log, need_cmd, apt_install,
# fetch_deb, extract_deb, lab_load_env, lab_mkstage, lab_install_busybox, lab_pack_cpio.

LAB_TOOLS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_REPO=$(cd "$LAB_TOOLS/../.." && pwd)
LAB_DIR=${LAB_DIR:-$LAB_REPO/build/lab}
LAB_CACHE=$LAB_DIR/cache
LAB_ENV_FILE=$LAB_DIR/env.sh

die() {
	echo "lab: error: $*" >&2
	exit 1
}

log() {
	echo "lab: $*" >&2
}

_lab_apt_updated=0

# _apt CMD...: run an apt command, its output going to build/lab/apt.log
# (shown when it fails).
_apt() {
	local logf="$LAB_DIR/apt.log"
	mkdir -p "$LAB_DIR"
	if ! DEBIAN_FRONTEND=noninteractive "$@" >>"$logf" 2>&1; then
		tail -n 20 "$logf" >&2
		return 1
	fi
}

# apt_install PKG...: install Debian packages (no recommends). Runs
# `apt-get update` once if apt does not know them or installing fails.
apt_install() {
	[[ $(id -u) -eq 0 ]] || die "need to install '$*' but not root; install it by hand"
	command -v apt-get >/dev/null || die "apt-get not found; install '$*' by hand"
	log "installing $* (log: $LAB_DIR/apt.log)"
	if ! apt-cache show "$@" >/dev/null 2>&1; then
		apt_update_once
	fi
	if ! _apt apt-get install -y -q --no-install-recommends "$@"; then
		apt_update_once
		_apt apt-get install -y -q --no-install-recommends "$@" || die "apt-get install $* failed"
	fi
}

apt_update_once() {
	[[ $_lab_apt_updated -eq 0 ]] || return 0
	log "running apt-get update"
	_apt apt-get update -q || die "apt-get update failed"
	_lab_apt_updated=1
}

# apt_download DIR PKG: apt-get download PKG into DIR.
apt_download() {
	local sandbox=()
	# As root, apt would try (and fail, noisily) to drop to user _apt.
	[[ $(id -u) -ne 0 ]] || sandbox=(-o APT::Sandbox::User=root)
	(cd "$1" && apt-get download -qq "${sandbox[@]}" "$2" >&2)
}

# fetch_deb PKG: print the path of PKG's .deb in the cache, downloading it
# with `apt-get download` when it is not there yet.
fetch_deb() {
	local pkg=$1 deb dl
	deb=$(compgen -G "$LAB_CACHE/${pkg}_*.deb" | sort -V | tail -n 1 || true)
	if [[ -z $deb ]]; then
		log "downloading $pkg"
		dl=$(mktemp -d "$LAB_CACHE/dl.XXXXXX")
		if ! apt_download "$dl" "$pkg"; then
			apt_update_once
			apt_download "$dl" "$pkg" || die "apt-get download $pkg failed"
		fi
		mv "$dl"/*.deb "$LAB_CACHE/"
		rmdir "$dl"
		deb=$(compgen -G "$LAB_CACHE/${pkg}_*.deb" | sort -V | tail -n 1)
	fi
	echo "$deb"
}

# extract_deb DEB DIR: dpkg-deb -x DEB into DIR unless already done.
extract_deb() {
	local deb=$1 dir=$2
	[[ -f $dir/.extracted && $(cat "$dir/.extracted") == "$(basename "$deb")" ]] && return 0
	log "extracting $(basename "$deb")"
	rm -rf "$dir" "$dir.tmp"
	mkdir -p "$dir.tmp"
	dpkg-deb -x "$deb" "$dir.tmp" || die "dpkg-deb -x $deb failed"
	basename "$deb" >"$dir.tmp/.extracted"
	mv "$dir.tmp" "$dir"
}

# need_cmd CMD PKG: make sure CMD is on PATH, installing PKG if it is not.
need_cmd() {
	command -v "$1" >/dev/null && return 0
	apt_install "$2"
	command -v "$1" >/dev/null || die "'$1' still missing after installing $2"
}

# lab_load_env: run fetch.sh (once per process tree) and source its results
# (LAB_KVER, LAB_VMLINUZ_*, LAB_MODDIR_*, LAB_BUSYBOX, LAB_QEMU).
lab_load_env() {
	if [[ ${LAB_FETCHED:-} != 1 || ! -f $LAB_ENV_FILE ]]; then
		"$LAB_TOOLS/fetch.sh" >/dev/null || die "fetch.sh failed"
		export LAB_FETCHED=1
	fi
	# shellcheck source=/dev/null
	. "$LAB_ENV_FILE"
}

# lab_mkstage: create an empty staging dir under $LAB_DIR/tmp, print its path.
lab_mkstage() {
	mkdir -p "$LAB_DIR/tmp"
	mktemp -d "$LAB_DIR/tmp/stage.XXXXXX"
}

# lab_install_busybox STAGE: static busybox at /bin/busybox plus one
# symlink per applet, and the basic directory skeleton with device nodes.
lab_install_busybox() {
	local stage=$1 applet
	mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,run,root,etc,lib/modules}
	install -m 0755 "$LAB_BUSYBOX" "$stage/bin/busybox"
	while read -r applet; do
		applet=${applet#/}
		[[ $applet == bin/busybox || -e $stage/$applet ]] && continue
		ln -s /bin/busybox "$stage/$applet"
	done < <("$LAB_BUSYBOX" --list-full)
	# The kernel opens /dev/console for init before devtmpfs is mounted.
	# (Its built-in initramfs has one too, so this is only belt and braces.)
	if [[ $(id -u) -eq 0 ]]; then
		mknod -m 0600 "$stage/dev/console" c 5 1
		mknod -m 0666 "$stage/dev/null" c 1 3
	fi
	chmod 1777 "$stage/tmp"
}

# lab_pack_cpio STAGE OUT: pack STAGE as a newc cpio owned by root. OUT ending
# in .gz is gzip-compressed, anything else is left uncompressed.
lab_pack_cpio() {
	local stage=$1 out=$2 tmp
	tmp="$out.tmp.$$"
	mkdir -p "$(dirname "$out")"
	(
		cd "$stage"
		find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet
	) >"$tmp.cpio" || die "cpio failed for $stage"
	if [[ $out == *.gz ]]; then
		gzip -1 -n -c "$tmp.cpio" >"$tmp" || die "gzip failed"
		rm -f "$tmp.cpio"
	else
		mv "$tmp.cpio" "$tmp"
	fi
	mv -f "$tmp" "$out"
}
