#!/bin/bash
# run.sh: run one scenario in the KVM lab and summarize its results.
#
#   tools/lab/run.sh --kvmini PATH --scenario SCRIPT [--timeout SEC]
#       [--log FILE] [--file SRC:DEST]... [--l2-extra-init SCRIPT]
#       [--smp N] [--mem MIB] [-v|--verbose] [--interactive]
#
# Fetches what is missing (fetch.sh), builds the L2 initramfs (cached in
# build/lab/initrd-l2.cpio.gz while its inputs are unchanged) and the L1
# initramfs (build/lab/initrd-l1.cpio.gz), then boots L1 in QEMU TCG (AMD CPU
# model with SVM+NPT, no network device) under `timeout` (default 600 s).
# The serial console goes to build/lab/last.log (or --log FILE); with -v also
# to stdout. --interactive connects your terminal to the console (quit QEMU
# with Ctrl-A x). --smp/--mem set L1's CPUs (default 4) and RAM (4096 MiB).
#
# Prints one line per `LAB-RESULT NAME PASS|FAIL [DETAIL]` in the log and
# exits 0 only if there was at least one result, none failed, and the
# scenario printed LAB-DONE (so a crash or timeout of L1 fails); 75 when
# L1's kernel locked up or crashed (watch_l1; a lockup stops QEMU at once).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

usage() {
	sed -n '2,20s/^# \{0,1\}//p' "$0"
	exit "${1:-0}"
}

# l2_initrd [EXTRA_INIT]: path of an L2 initramfs for these inputs, rebuilt
# only when one of the files it is made of (mkinitramfs-l2.sh --list-inputs:
# the scripts, busybox, the kernel modules, e2fsprogs) or EXTRA_INIT changed.
l2_initrd() {
	local extra=${1:-} out="$LAB_DIR/initrd-l2.cpio.gz" key args=() list inputs
	list=$("$LAB_TOOLS/mkinitramfs-l2.sh" --list-inputs) || die "mkinitramfs-l2.sh --list-inputs failed"
	mapfile -t inputs <<<"$list"
	key=$({ printf '%s\n' "${inputs[@]}" && cat "${inputs[@]}" ${extra:+"$extra"}; } |
		sha256sum | cut -d' ' -f1)
	if [[ -f $out && -f $out.key && $(cat "$out.key") == "$key" ]]; then
		log "L2 initramfs unchanged: $out"
	else
		[[ -z $extra ]] || args=(--extra-init "$extra")
		"$LAB_TOOLS/mkinitramfs-l2.sh" "$out" "${args[@]}" >/dev/null
		echo "$key" >"$out.key"
		log "built L2 initramfs: $out"
	fi
	echo "$out"
}

# run_qemu TIMEOUT SMP MEM INITRD LOG MODE: boot L1; MODE is quiet, verbose
# or interactive. Returns QEMU's (or timeout's) exit status.
run_qemu() {
	local timeout=$1 smp=$2 mem=$3 initrd=$4 logf=$5 mode=$6 rc=0
	local cmd=(timeout -k 10 "$timeout" "$LAB_QEMU"
		-accel tcg -cpu max -M q35 -m "$mem" -smp "$smp"
		-nodefaults -no-user-config -nographic -no-reboot
		# Console on stdio; Ctrl-C goes to the guest. Interactive runs
		# pass Ctrl-A through too (kvmini's own escape); otherwise
		# Ctrl-A x quits QEMU.
		-chardev "stdio,id=con,mux=$([ "$mode" = interactive ] && echo off || echo on),signal=off"
		-serial chardev:con
		-kernel "$LAB_VMLINUZ_GENERIC" -initrd "$initrd"
		-append "console=ttyS0 quiet panic=-1")
	case $mode in
	quiet)
		"${cmd[@]}" </dev/null >"$logf" 2>&1 &
		watch_l1 $! "$logf" || rc=$?
		;;
	verbose) "${cmd[@]}" </dev/null 2>&1 | tee "$logf" || rc=${PIPESTATUS[0]} ;;
	interactive) "${cmd[@]:0:3}" --foreground "${cmd[@]:3}" 2>&1 | tee "$logf" || rc=${PIPESTATUS[0]} ;;
	esac
	return "$rc"
}

# watch_l1 PID LOG: wait for QEMU (PID); return L1_BROKE when L1's kernel
# locked up (QEMU is stopped at the first soft-lockup report instead of
# at the timeout) or crashed in an oops (QEMU exits by itself).  Both are
# below kvmini: a user-space process cannot stall every CPU of its host or
# corrupt its kernel's state; QEMU's TCG or L1's kvm-amd can (docs/lab.md,
# "L1 hangs").  Otherwise QEMU's (or timeout's) exit status.
L1_BROKE=75
watch_l1() {
	local pid=$1 logf=$2 rc=0
	while kill -0 "$pid" 2>/dev/null; do
		if grep -q -m1 'watchdog: BUG: soft lockup' "$logf" 2>/dev/null; then
			kill "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
			echo "LAB: L1 locked up (soft lockup in L1's kernel); QEMU stopped" >>"$logf"
			return "$L1_BROKE"
		fi
		sleep 2
	done
	wait "$pid" || rc=$?
	# an oops, not the scenario's own end (its init exiting)
	if grep -q -m1 -e 'Kernel panic - not syncing: Fatal exception' \
		-e 'Kernel panic - not syncing: corrupted stack end' "$logf"; then
		return "$L1_BROKE"
	fi
	return "$rc"
}

# summarize LOG QEMU_RC: print the results, return 0 if the run passed.
summarize() {
	local logf=$1 qrc=$2 line name status detail n=0 fails=0 done=0
	while read -r line; do
		read -r _ name status detail <<<"$line"
		printf '  %-4s %s%s\n' "$status" "$name" "${detail:+  ($detail)}"
		n=$((n + 1))
		[[ $status == PASS ]] || fails=$((fails + 1))
	done < <(tr -d '\r' <"$logf" | grep -E '^LAB-RESULT [^ ]+ (PASS|FAIL)( |$)' || true)
	tr -d '\r' <"$logf" | grep -qx 'LAB-DONE' && done=1
	local why=()
	[[ $qrc -ne 124 && $qrc -ne 137 ]] || why+=("timed out")
	[[ $qrc -ne $L1_BROKE ]] || why+=("L1's kernel locked up or crashed (QEMU TCG or L1's kvm-amd, below kvmini)")
	[[ $qrc -eq 0 || $qrc -eq 124 || $qrc -eq 137 || $qrc -eq $L1_BROKE ]] ||
		why+=("qemu exited with $qrc")
	[[ $n -gt 0 ]] || why+=("no LAB-RESULT lines")
	[[ $fails -eq 0 ]] || why+=("$fails of $n results FAILed")
	[[ $done -eq 1 ]] || why+=("no LAB-DONE (scenario or L1 died?)")
	if [[ ${#why[@]} -eq 0 ]]; then
		log "PASSED: $n results"
		return 0
	fi
	log "FAILED: $(printf '%s; ' "${why[@]}" | sed 's/; $//')"
	return 1
}

main() {
	local kvmini="" scenario="" timeout=600 logf="$LAB_DIR/last.log" extra=""
	local smp=4 mem=4096 mode=quiet files=() l1args=() t0 t1 qrc=0 l2 l1 f
	while [[ $# -gt 0 ]]; do
		case $1 in
		--kvmini) kvmini=${2:?--kvmini needs a PATH} && shift ;;
		--scenario) scenario=${2:?--scenario needs a SCRIPT} && shift ;;
		--timeout) timeout=${2:?--timeout needs SECONDS} && shift ;;
		--log) logf=${2:?--log needs a FILE} && shift ;;
		--file) files+=("${2:?--file needs SRC:DEST}") && shift ;;
		--l2-extra-init) extra=${2:?--l2-extra-init needs a SCRIPT} && shift ;;
		--smp) smp=${2:?--smp needs N} && shift ;;
		--mem) mem=${2:?--mem needs MIB} && shift ;;
		-v | --verbose) mode=verbose ;;
		--interactive) mode=interactive ;;
		-h | --help) usage 0 ;;
		*) echo "run.sh: unknown argument '$1'" >&2 && usage 2 >&2 ;;
		esac
		shift
	done
	[[ -n $kvmini && -n $scenario ]] || usage 2 >&2
	[[ $timeout =~ ^[0-9]+$ ]] || die "--timeout wants whole seconds, got '$timeout'"
	[[ -z $extra || -f $extra ]] || die "--l2-extra-init: no such file: $extra"

	t0=$(date +%s.%N)
	lab_load_env
	l2=$(l2_initrd "$extra")
	l1="$LAB_DIR/initrd-l1.cpio.gz"
	for f in "${files[@]}"; do l1args+=(--file "$f"); done
	# tun and bridge: network scenarios build br0 and taps inside L1
	"$LAB_TOOLS/mkinitramfs-l1.sh" "$l1" --kvmini "$kvmini" --scenario "$scenario" \
		--l2-initrd "$l2" --module tun --module bridge "${l1args[@]}" >/dev/null
	mkdir -p "$(dirname "$logf")"
	t1=$(date +%s.%N)
	log "booting L1 ($LAB_KVER, -smp $smp, -m $mem, timeout ${timeout}s), log: $logf"
	run_qemu "$timeout" "$smp" "$mem" "$l1" "$logf" "$mode" || qrc=$?
	log "$(awk -v a="$t0" -v b="$t1" -v c="$(date +%s.%N)" \
		'BEGIN { printf "wall time %.1fs (prepare %.1fs, qemu %.1fs)", c - a, b - a, c - b }')"
	if ! summarize "$logf" "$qrc"; then
		echo "---- last 40 lines of $logf ----" >&2
		tail -n 40 "$logf" | tr -d '\r' >&2
		[[ $qrc -ne $L1_BROKE ]] || return "$L1_BROKE"
		return 1
	fi
}

main "$@"
