#!/bin/bash
# debug-files.sh: prints the `--file SRC:DEST` arguments (one per line) that
# carry what tools/lab/scenarios/debug.sh needs into the KVM lab's L1:
#
#   /opt/kvmini/tests/{gdb.sh,trace.sh,golden/}, /opt/kvmini/guest-tests/run.sh
#       the repository's test scripts, laid out as in the repository so that
#       their `top` is /opt/kvmini
#   /opt/kvmini/build/guest-tests/   the built guests (make -C guest-tests)
#   /opt/kvmini/tools/bin/           gdb (Debian's gdb-minimal: gdb without
#       Python, which needs no Python standard library), bash, coreutils'
#       timeout (busybox's has no --preserve-status), nm, readelf and
#       iproute2's ip (busybox's has no `ip netns`)
#   their shared libraries at the paths ldd names, and the dynamic loader
#
# gdb-minimal is downloaded once into the lab cache (build/lab/cache) and
# unpacked in build/lab/gdb-minimal. Its libraries come from the host
# (tools/deps.sh installs gdb, which needs the same ones).
#
#   tools/lab/run.sh ... $(tools/lab/debug-files.sh)
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

DEST=/opt/kvmini
HOST_TOOLS=(bash timeout nm readelf ip)

emit() { # SRC DEST
	[[ -e $1 ]] || die "debug-files.sh: missing $1"
	printf -- '--file\n%s:%s\n' "$1" "$2"
}

# gdb_minimal: path of gdb-minimal's gdb, fetched and unpacked if needed
gdb_minimal() {
	local dir=$LAB_DIR/gdb-minimal
	mkdir -p "$LAB_CACHE"
	need_cmd dpkg-deb dpkg
	extract_deb "$(fetch_deb gdb-minimal)" "$dir" >&2
	[[ -x $dir/usr/bin/gdb ]] || die "gdb-minimal has no usr/bin/gdb"
	echo "$dir/usr/bin/gdb"
}

# shared_libs BIN...: the libraries and loader ldd names, one per line
shared_libs() {
	local out
	out=$(ldd "$@") || die "ldd $* failed"
	if grep -q 'not found' <<<"$out"; then
		die "libraries missing on this host (tools/deps.sh build installs gdb, which needs them):" \
			"$(grep 'not found' <<<"$out" | tr -s ' \t\n' ' ')"
	fi
	awk '$2 == "=>" && $3 ~ /^\// { print $3 }
		NF == 2 && $1 ~ /^\// && $2 ~ /^\(/ { print $1 }' <<<"$out" |
		LC_ALL=C sort -u
}

main() {
	local gdb b lib paths=()
	need_cmd ldd libc-bin
	need_cmd nm binutils
	need_cmd ip iproute2
	for b in "${HOST_TOOLS[@]}"; do
		paths+=("$(command -v "$b")") || die "no $b on this host"
	done
	gdb=$(gdb_minimal)
	[[ -d $LAB_REPO/build/guest-tests ]] ||
		die "no build/guest-tests: run make -C guest-tests first"
	emit "$gdb" "$DEST/tools/bin/gdb"
	for b in "${paths[@]}"; do
		emit "$(readlink -f "$b")" "$DEST/tools/bin/${b##*/}"
	done
	# cp -a keeps symlinks: carry the files they point to (the guest-tests'
	# virtio-net peer is dynamically linked too)
	while read -r lib; do
		emit "$(readlink -f "$lib")" "$lib"
	done < <(shared_libs "$gdb" "${paths[@]}" "$LAB_REPO/build/guest-tests/host/virtio_net_peer")
	emit "$LAB_REPO/tests/gdb.sh" "$DEST/tests/gdb.sh"
	emit "$LAB_REPO/tests/trace.sh" "$DEST/tests/trace.sh"
	emit "$LAB_REPO/tests/golden" "$DEST/tests/golden"
	emit "$LAB_REPO/guest-tests/run.sh" "$DEST/guest-tests/run.sh"
	emit "$LAB_REPO/build/guest-tests" "$DEST/build/guest-tests"
}

main "$@"
