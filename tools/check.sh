#!/usr/bin/env bash
# `make check`: every test, in order of speed: unit tests (libcheck), the
# command line, the direct guest-tests on this host's /dev/kvm, the GDB
# stub with Debian's gdb (tests/gdb.sh), the fuzz corpora replayed
# (tests/fuzz/replay.sh, gcc-built, no libFuzzer), then the
# KVM lab with real Linux guests.  Ends with one "N passed, N failed" line
# summing all parts; exits non-zero if anything failed.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
total_pass=0 total_fail=0 parts_failed=() timings=()

# tally NAME: reads a part's output on stdin, adds its counts
tally() {
	local name=$1 out p f
	out=$(cat)
	if grep -q 'Checks: ' <<<"$out"; then
		# libcheck: "100%: Checks: 37, Failures: 0, Errors: 0"
		read -r p f < <(sed -nE 's/.*Checks: ([0-9]+), Failures: ([0-9]+), Errors: ([0-9]+).*/\1 \2 \3/p' <<<"$out" |
			awk '{print $1 - $2 - $3, $2 + $3}')
	else
		read -r p f < <(grep -oE '[0-9]+ passed, [0-9]+ failed' <<<"$out" |
			tail -n 1 | awk '{print $1, $3}')
	fi
	total_pass=$((total_pass + ${p:-0}))
	total_fail=$((total_fail + ${f:-0}))
}

# part NAME CMD...: runs one part, shows its output, counts its results
part() {
	local name=$1 rc start=$SECONDS
	shift
	echo "=== $name"
	"$@" 2>&1 | tee "build/check-$name.log"
	rc=${PIPESTATUS[0]}
	timings+=("$name $((SECONDS - start))s")
	tally "$name" <"build/check-$name.log"
	if [ "$rc" -ne 0 ]; then
		parts_failed+=("$name")
		# a part that crashed before counting still counts as a failure
		grep -qE '[0-9]+ passed, [0-9]+ failed|Checks: ' "build/check-$name.log" ||
			total_fail=$((total_fail + 1))
	fi
}

mkdir -p build
# every VM the tests start puts its sockets here, never in /run/kvmini
# (tests that kill kvmini by a signal leave stale ones behind)
KVMINI_RUNDIR=$(mktemp -d "${TMPDIR:-/tmp}/kvmini-check-run.XXXXXX")
export KVMINI_RUNDIR
trap 'rm -rf "$KVMINI_RUNDIR"' EXIT
make -s all static || exit 1
make -s -C guest-tests || exit 1
make -s build/tests/unit-tests || exit 1
make -s fuzz-replay || exit 1

part unit build/tests/unit-tests
part cli tests/cli.sh ./kvmini
part console tests/console.sh ./kvmini
part guests guest-tests/run.sh
part mem tests/mem.sh ./kvmini
part trace tests/trace.sh ./kvmini
part gdb tests/gdb.sh ./kvmini
part tutorial tests/doc-commands.sh docs/tutorial.md
part net tests/net.sh ./kvmini
part mgmt tests/mgmt.sh ./kvmini
part safety tests/safety.sh ./kvmini
part seccomp tests/seccomp.sh ./kvmini
part fuzz tests/fuzz/replay.sh build/fuzz-replay
if [ "${KVMINI_SKIP_LAB:-0}" = 1 ]; then
	echo "=== lab: skipped (KVMINI_SKIP_LAB=1)"
else
	part lab tools/lab/check.sh
fi

echo "==="
echo "time per part: ${timings[*]} (all: $((SECONDS / 60))m$((SECONDS % 60))s)"
[ "${#parts_failed[@]}" -eq 0 ] || echo "failed parts: ${parts_failed[*]}"
echo "check: $total_pass passed, $total_fail failed"
[ "${#parts_failed[@]}" -eq 0 ] && [ "$total_fail" -eq 0 ]
