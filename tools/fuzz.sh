#!/usr/bin/env bash
# `make fuzz`: runs each libFuzzer target for FUZZ_SECONDS (default 60) on
# a working copy of its checked-in corpus (build/fuzz/work/TARGET).  A
# crash is written to tests/fuzz/corpus/TARGET/ (crash-*, leak-*,
# timeout-*), where `make check` replays it from then on: fix it, keep the
# file as the regression input.  Usage: tools/fuzz.sh BINDIR TARGET...
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bindir=$1
shift
secs=${FUZZ_SECONDS:-60}
failed=()

for t in "$@"; do
	seeds=tests/fuzz/corpus/$t
	work=build/fuzz/work/$t
	mkdir -p "$work" "$seeds"
	echo "=== fuzz $t: ${secs}s"
	# -close_fd_mask=2: the devices' guest-misbehaviour warnings off the
	# output; libFuzzer and the sanitizers still report on their own fd
	if "$bindir/fuzz_$t" -max_total_time="$secs" -timeout=10 \
		-rss_limit_mb=4096 -max_len=70000 -close_fd_mask=2 \
		-artifact_prefix="$seeds/" -print_final_stats=1 \
		"$work" "$seeds" 2>&1 | tee "build/fuzz/$t.log" |
		grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+==ERROR|SUMMARY|artifact_prefix|Test unit written)'; then
		:
	fi
	if grep -qE '==[0-9]+==ERROR|Test unit written|deadly signal' "build/fuzz/$t.log"; then
		failed+=("$t")
	fi
done
echo "==="
if [ "${#failed[@]}" -ne 0 ]; then
	echo "fuzz: findings in: ${failed[*]} (inputs in tests/fuzz/corpus/)"
	exit 1
fi
echo "fuzz: no findings"
