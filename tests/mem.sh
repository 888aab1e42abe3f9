#!/usr/bin/env bash
# Guest RAM backing on this host's /dev/kvm (--hugepages, --ksm):
#   thp_smaps          --hugepages: a guest touching 16 MiB gives kvmini
#                      AnonHugePages in /proc/PID/smaps
#   hugetlbfs_*        --hugepages=DIR: the guest's RAM comes out of the
#                      hugetlbfs pool; a too small mount is a one-line error
#   ksm_sharing        two identical guests with --ksm: the host's
#                      /sys/kernel/mm/ksm/pages_sharing rises
# Host settings that a test changes (ksmd's run, pages_to_scan and
# sleep_millisecs; vm.nr_hugepages; hugetlbfs mounts in a temp dir) are
# restored at exit.  No timed assertions: the polls end when the awaited
# state appears, their limits only guard against a hang.
# One line per test, then "N passed, N failed, N skipped".
# Usage: tests/mem.sh [KVMINI]
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
kvmini=$(realpath "${1:-$top/kvmini}")
g=$top/build/guest-tests
work=$(mktemp -d)
export KVMINI_RUNDIR=$work/run # this script's VMs only
passed=0 failed=0 skipped=0
guest_pids=() restores=() mounts=()

cleanup() {
	for p in "${guest_pids[@]}"; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	for ((i = ${#restores[@]} - 1; i >= 0; i--)); do
		eval "${restores[i]}"
	done
	for m in "${mounts[@]}"; do
		umount "$m" 2>/dev/null
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; failed=$((failed + 1)); }
skip() { echo "SKIP $1"; skipped=$((skipped + 1)); }

# set_sys FILE VALUE: writes VALUE, restoring the old one at exit
set_sys() {
	local old
	old=$(cat "$1") || return 1
	restores+=("echo $old >$1 2>/dev/null")
	echo "$2" >"$1"
}

# start_guest NAME ARGS...: bench_mem.elf (touches 16 MiB from 1 MiB, says
# "ready", halts) in the background; sets pid once "ready" is out, or
# returns 1 (with the output shown) when it is not.
start_guest() {
	local name=$1
	shift
	"$kvmini" run --kernel "$g/bench_mem.elf" --console "file:$work/$name.out" \
		"$@" </dev/null >"$work/$name.err" 2>&1 &
	pid=$!
	guest_pids+=("$pid")
	for _ in $(seq 600); do # hang guard: 60 s
		grep -q ready "$work/$name.out" 2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "    $name did not get ready:"
	sed 's/^/    | /' "$work/$name.err" "$work/$name.out" 2>/dev/null | head -5
	return 1
}

stop_guest() { kill "$1" 2>/dev/null && wait "$1" 2>/dev/null; }

smaps_kib() { # smaps_kib PID FIELD: the field summed over all mappings
	awk -v f="$2:" '$1 == f { s += $2 } END { print s + 0 }' "/proc/$1/smaps"
}

if [ ! -r /dev/kvm ] || [ ! -x "$g/bench_mem.elf" ] && [ ! -f "$g/bench_mem.elf" ]; then
	echo "SKIP all memory tests: needs /dev/kvm and build/guest-tests (make -C guest-tests)"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi

# --- transparent huge pages ---------------------------------------------
thp=$(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || echo absent)
if [ "$thp" = absent ] || [[ $thp == *"[never]"* ]]; then
	skip "thp_smaps: transparent huge pages are off on this host ($thp)"
elif start_guest thp --mem 64M --hugepages --name mem-thp; then
	kib=$(smaps_kib "$pid" AnonHugePages)
	# kvmini stat shows the same figure for its guest RAM
	stat_huge=$("$kvmini" stat mem-thp --json 2>/dev/null |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["memory"]["anon_huge_bytes"] or 0)' 2>/dev/null)
	if [ "$kib" -gt 0 ] && [ "${stat_huge:-0}" -le 0 ]; then
		fail "thp_smaps (kvmini stat shows no AnonHugePages: '$stat_huge')"
	elif [ "$kib" -gt 0 ]; then
		pass "thp_smaps (AnonHugePages ${kib} KiB after the guest touched 16 MiB; kvmini stat: $((stat_huge / 1024)) KiB)"
	else
		fail "thp_smaps (AnonHugePages is 0 with --hugepages; THP: $thp)"
	fi
	stop_guest "$pid"
else
	fail "thp_smaps (the guest did not start)"
fi

# --- hugetlbfs ------------------------------------------------------------
hp=/sys/kernel/mm/hugepages/hugepages-2048kB
if [ "$(id -u)" != 0 ] || ! grep -qw hugetlbfs /proc/filesystems || [ ! -d "$hp" ]; then
	skip "hugetlbfs_*: needs root, hugetlbfs and 2 MiB huge pages"
else
	mkdir "$work/small" "$work/huge"
	if mount -t hugetlbfs -o size=4M,pagesize=2M none "$work/small"; then
		mounts+=("$work/small")
		"$kvmini" run --kernel "$g/hello_pvh.elf" --mem 32M \
			--hugepages="$work/small" >"$work/small.out" 2>&1 </dev/null
		rc=$?
		if [ "$rc" -eq 1 ] && [ "$(wc -l <"$work/small.out")" -eq 1 ] &&
			grep -q 'not enough huge pages for 32 MiB of RAM: it needs 16 of 2048 KiB' "$work/small.out"; then
			pass hugetlbfs_too_small
		else
			fail "hugetlbfs_too_small (exit $rc, wanted 1 and one line:)"
			sed 's/^/    | /' "$work/small.out" | head -5
		fi
	else
		fail "hugetlbfs_too_small (cannot mount hugetlbfs)"
	fi
	total=$(cat "$hp/nr_hugepages")
	set_sys "$hp/nr_hugepages" $((total + 16))
	avail=$(($(cat "$hp/free_hugepages") - $(cat "$hp/resv_hugepages")))
	if [ "$avail" -lt 16 ]; then
		skip "hugetlbfs_backing: the host could only add $avail of 16 huge pages"
	elif ! mount -t hugetlbfs -o pagesize=2M none "$work/huge"; then
		fail "hugetlbfs_backing (cannot mount hugetlbfs)"
	else
		mounts+=("$work/huge")
		free_before=$(cat "$hp/free_hugepages")
		if start_guest huge --mem 32M --hugepages="$work/huge"; then
			used=$((free_before - $(cat "$hp/free_hugepages")))
			# the 16 MiB the guest touched are 8 huge pages
			if [ "$used" -ge 8 ]; then
				pass "hugetlbfs_backing ($used huge pages in use by the guest)"
			else
				fail "hugetlbfs_backing (only $used huge pages in use; the guest touched 16 MiB)"
			fi
			stop_guest "$pid"
		else
			fail "hugetlbfs_backing (the guest did not start)"
		fi
		# kvmini reboot: the main thread builds the next VM under its
		# seccomp filter, hugetlbfs file included
		if start_guest hreboot --mem 32M --name mem-hreboot \
			--hugepages="$work/huge" --seccomp=on; then
			"$kvmini" reboot mem-hreboot >/dev/null 2>&1
			# a second reset is taken once the new VM is attached
			for _ in $(seq 600); do # hang guard: 60 s
				"$kvmini" reboot mem-hreboot >/dev/null 2>&1 && break
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.1
			done
			if kill -0 "$pid" 2>/dev/null; then
				pass hugetlbfs_reboot
			else
				fail "hugetlbfs_reboot (kvmini died rebuilding the VM:)"
				sed 's/^/    | /' "$work/hreboot.err" | tail -3
			fi
			stop_guest "$pid"
		else
			fail "hugetlbfs_reboot (the guest did not start)"
		fi
	fi
fi

# --- KSM --------------------------------------------------------------------
ksm=/sys/kernel/mm/ksm
if [ ! -d "$ksm" ]; then
	skip "ksm_sharing: no $ksm (a kernel without KSM)"
elif [ ! -w "$ksm/run" ]; then
	skip "ksm_sharing: cannot start ksmd (needs root)"
elif start_guest ksm1 --mem 64M --ksm --name mem-ksm1 && pid1=$pid &&
	start_guest ksm2 --mem 64M --ksm && pid2=$pid &&
	start_guest plain --mem 64M && pid3=$pid; then
	before=$(cat "$ksm/pages_sharing")
	set_sys "$ksm/pages_to_scan" 2000
	set_sys "$ksm/sleep_millisecs" 10
	set_sys "$ksm/run" 1
	now=$before
	# merged: where the kernel counts per process (/proc/PID/ksm_merging_pages,
	# Linux 6.1+), both --ksm guests have merged pages; elsewhere the host's
	# pages_sharing rose.  (The host-wide counter alone is not enough: other
	# processes' merged pages come and go meanwhile.)
	merged() {
		now=$(cat "$ksm/pages_sharing")
		if [ -r "/proc/$pid1/ksm_merging_pages" ]; then
			[ "$(cat "/proc/$pid1/ksm_merging_pages")" -gt 0 ] &&
				[ "$(cat "/proc/$pid2/ksm_merging_pages")" -gt 0 ]
		else
			[ "$now" -gt "$before" ]
		fi
	}
	for _ in $(seq 1800); do # hang guard: 180 s
		merged && break
		sleep 0.1
	done
	if merged; then
		per_vm=""
		if [ -r "/proc/$pid1/ksm_merging_pages" ]; then
			per_vm="; merged pages per kvmini: --ksm $(cat "/proc/$pid1/ksm_merging_pages")"
			per_vm+=" and $(cat "/proc/$pid2/ksm_merging_pages")"
			plain=$(cat "/proc/$pid3/ksm_merging_pages")
			per_vm+=", without --ksm $plain"
		fi
		# kvmini stat shows the effect (/proc/self/ksm_merging_pages)
		stat_ksm=$("$kvmini" stat mem-ksm1 --json 2>/dev/null |
			python3 -c 'import json, sys; print(json.load(sys.stdin)["memory"]["ksm_merged_bytes"] or 0)' 2>/dev/null)
		if [ -r "/proc/$pid1/ksm_merging_pages" ] && [ "${stat_ksm:-0}" -le 0 ]; then
			fail "ksm_sharing (kvmini stat shows no KSM merged bytes: '$stat_ksm')"
		elif [ "${plain:-0}" -eq 0 ]; then
			pass "ksm_sharing (pages_sharing $before -> $now$per_vm; kvmini stat: ${stat_ksm:-n/a} bytes merged)"
		else
			fail "ksm_sharing (a guest without --ksm got merged: $per_vm)"
		fi
	else
		fail "ksm_sharing (no pages merged in 180 s with ksmd running; pages_sharing $before -> $now)"
	fi
	stop_guest "$pid1"
	stop_guest "$pid2"
	stop_guest "$pid3"
else
	fail "ksm_sharing (the guests did not start)"
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
