#!/usr/bin/env bash
# Replays every checked-in fuzz corpus (tests/fuzz/corpus/TARGET/) through
# its gcc-built replay binary: one PASS/FAIL line per target, then
# "N passed, N failed".  Usage: tests/fuzz/replay.sh BINDIR
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
bindir=${1:-build/fuzz-replay}
pass=0 fail=0

for dir in tests/fuzz/corpus/*/; do
	t=$(basename "$dir")
	n=$(find "$dir" -maxdepth 1 -type f | wc -l)
	if out=$("$bindir/fuzz_$t" "$dir" 2>&1); then
		echo "PASS fuzz_$t ($n inputs)"
		pass=$((pass + 1))
	else
		echo "FAIL fuzz_$t:"
		tail -n 20 <<<"$out" | sed 's/^/    /'
		fail=$((fail + 1))
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
