# debug.sh: kvmini's debugging and tracing tests, and the direct tier of
# guest-tests, on real KVM (kvm-amd in L1) instead of the development host's
# kvm_pvm. Needs the files tools/lab/debug-files.sh lists:
#
#   tools/lab/run.sh --kvmini build/static/kvmini \
#       --scenario tools/lab/scenarios/debug.sh $(tools/lab/debug-files.sh)
#
# Runs tests/gdb.sh (Debian's gdb-minimal against the stub: stepi, software
# watchpoints, threads, detach, the raw protocol; the breakpoint tests are
# skipped, see KVMINI_GDB_NO_GUEST_BP),
# tests/trace.sh (the golden exit trace, --stats, --single-step) and
# guest-tests/run.sh, as they are in the repository. Each of their
# PASS/FAIL lines becomes a result (gdb-NAME, trace-NAME, guest-NAME); a SKIP
# is a FAIL unless it is one of those this L1 cannot run (ALLOWED_SKIPS), so
# that nothing the lab should exercise goes untested quietly. The exit trace
# of guest-tests/src/trace_exits.S is also printed as [trace-exits] lines.
# shellcheck shell=dash
# shellcheck source-path=SCRIPTDIR source=../scenario-lib.sh
. /lab/scenario-lib.sh

TOP=/opt/kvmini
export PATH="$TOP/tools/bin:$PATH"
export KVMINI=/bin/kvmini GUEST_DIR="$TOP/build/guest-tests"

# The lab's CPU (QEMU 7.2 TCG) never hands an L2 int3 or a debug-register
# hit to L1's KVM (docs/lab.md): no KVM_EXIT_DEBUG for breakpoints and
# watchpoints, so tests/gdb.sh skips those and single-steps instead.
# Empty it on a QEMU that has both fixed.
export KVMINI_GDB_NO_GUEST_BP="the lab's QEMU TCG CPU never intercepts an L2 int3 (#BP) and never arms the DR7 of a VMRUN (docs/lab.md)"

# Real-mode L2 guests were seen hanging the whole of L1 (QEMU spins;
# docs/lab.md, L1 hangs elsewhere too), so guest-tests/run.sh skips them.
export KVMINI_SKIP_GUESTS="flat_real flat_real_segment"
export KVMINI_SKIP_WHY="a real-mode L2 guest hangs the lab's L1 now and then (QEMU 7.2 TCG, docs/lab.md)"

# Skips that are expected in L1: those above, and trace_json (L1 has no
# python3, which parses the JSON).
# Seen once (2026-11-21): single-stepping trace_exits on kvm-amd here
# misses the step before each of its two `in` instructions (RIPs 0x100037
# and 0x10003c); not yet known whether QEMU 7.2's nested SVM or KVM drops
# the trap, so a VT-x/AMD-V host must decide (docs/tracing.md).
export KVMINI_STEP_NOT_EXACT="the lab's nested SVM missed the steps before two in instructions (docs/tracing.md); needs a VT-x/AMD-V host"
ALLOWED_SKIPS='gdb:break gdb:hbreak gdb:watch gdb:threads_break trace:trace_json trace:single_step_every_insn guest:flat_real'

skip_allowed() { # skip_allowed PREFIX NAME
	local a
	for a in $ALLOWED_SKIPS; do
		case "$1:$2" in "$a"*) return 0 ;; esac
	done
	return 1
}

SUITE_TIMEOUT=120 # each suite takes 10 s or less in L1

# suite PREFIX SCRIPT ARGS...: run a test script with bash, log its output
# as [PREFIX] lines, one result per PASS/FAIL/SKIP line, and PREFIX-suite
# for its exit status and summary line
suite() {
	local prefix=$1 out=/tmp/$1.suite rc t0 t1 st name rest line
	shift
	t0=$(cut -d' ' -f1 /proc/uptime)
	# shown as it comes (a hang shows where), and kept for the results
	{
		timeout "$SUITE_TIMEOUT" bash "$@" 2>&1
		echo "$?" >"$out.rc"
	} | while IFS= read -r line; do
		echo "[$prefix] $line"
		echo "$line" >>"$out"
	done
	rc=$(cat "$out.rc")
	t1=$(cut -d' ' -f1 /proc/uptime)
	while read -r st name rest; do
		case $st in
		PASS) result "$prefix-$name" PASS ;;
		FAIL) result "$prefix-$name" FAIL "$rest" ;;
		SKIP)
			name=${name%:}
			if skip_allowed "$prefix" "$name"; then
				echo "LAB: $prefix-$name skipped in L1: $rest"
			else
				result "$prefix-$name" FAIL "skipped on real KVM: $rest"
			fi
			;;
		esac
	done <"$out"
	if [ "$rc" = 0 ] && grep -Eq '^[0-9]+ passed, 0 failed' "$out"; then
		result "$prefix-suite" PASS "$(tail -n 1 "$out"), $(echo "$t0 $t1" | awk '{ printf "%.0f s", $2 - $1 }')"
	else
		result "$prefix-suite" FAIL "exit $rc: $(tail -n 1 "$out")"
	fi
}

# the gdb stub listens on 127.0.0.1 for the raw-protocol tests; L1's init
# leaves lo down. bash's <(...) needs /dev/fd, which devtmpfs lacks.
ip link set lo up
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd

kvmini check | sed 's/^/[check] /'
# the exit trace of trace_exits.S, five times: the same every time?
for i in 1 2 3 4 5; do
	kvmini run --mem 16M --kernel "$GUEST_DIR/trace_exits.elf" \
		--trace exits=/tmp/trace.$i >/dev/null 2>&1
	sed -E 's/^ *[0-9]+\.[0-9]{6} //' /tmp/trace.$i >/tmp/trace_exits.$i
done
sed 's/^/[trace-exits] /' /tmp/trace_exits.1
same=1
for i in 2 3 4 5; do
	cmp -s /tmp/trace_exits.1 /tmp/trace_exits.$i || same=0
done
if [ "$same" = 1 ] && [ -s /tmp/trace_exits.1 ]; then
	result trace-exits-repeatable PASS
else
	result trace-exits-repeatable FAIL "the five traces differ (or are empty)"
fi

suite gdb "$TOP/tests/gdb.sh" "$KVMINI"
suite trace "$TOP/tests/trace.sh" "$KVMINI"
suite guest "$TOP/guest-tests/run.sh"
lab_done
