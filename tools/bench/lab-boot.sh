#!/bin/bash
# lab-boot.sh: the Linux boot-time bench in the KVM lab, in one command:
# kvmini beside QEMU (-M microvm and -M q35) booting the same kernels and
# L2 initramfs (tools/lab/scenarios/bench-boot.sh; docs/bench.md).
#
#   tools/bench/lab-boot.sh [--no-tiny] [run.sh options...]
#
# Builds the static kvmini (make static), tools/bench/boottime.c (static,
# build/bench/boottime-static) and, unless --no-tiny, the tiny kernel
# (tools/lab/build-tiny-kernel.sh, cached; ~2-3 min cold). RUNS=N in the
# environment sets the rounds (default 5). Log: build/lab/bench-boot.log;
# the results are the `LAB-RESULT boot-*` lines. Ends with the table for
# docs/bench.md, made from the per-run lines in the log.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
tiny=1
if [[ ${1:-} == --no-tiny ]]; then
	tiny=0
	shift
fi
make -s static
mkdir -p build/bench
"${CC:-cc}" -O2 -Wall -Wextra -static -o build/bench/boottime-static tools/bench/boottime.c
files=(--file build/bench/boottime-static:/lab/boottime)
if [[ $tiny == 1 ]]; then
	tools/lab/build-tiny-kernel.sh >/dev/null
	files+=(--file build/lab/tiny/bzImage:/lab/vmlinuz-tiny)
fi
mapfile -t qemu_files < <(tools/bench/lab-qemu-files.sh)
# the scenario reads RUNS from L1's environment: pass it in a file
scenario=tools/lab/scenarios/bench-boot.sh
if [[ -n ${RUNS:-} ]]; then
	scenario=build/bench/bench-boot-runs.sh
	{ echo "RUNS=$RUNS"; cat tools/lab/scenarios/bench-boot.sh; } >"$scenario"
fi
log=build/lab/bench-boot.log
rc=0
tools/lab/run.sh --kvmini build/static/kvmini --scenario "$scenario" \
	"${files[@]}" "${qemu_files[@]}" --smp 2 --timeout 1800 \
	--log "$log" "$@" || rc=$?

# The table for docs/bench.md, from the per-run results (so that a run
# that L1 did not finish still gives what it measured): median (min-max)
# in ms, and how many runs
echo
echo "| | kvmini | QEMU -M microvm | QEMU -M q35 |"
echo "| --- | --- | --- | --- |"
tr -d '\r' <"$log" | awk '
	function cell(key,   n, a, i, j, t, m) {
		n = split(vals[key], a, " ")
		if (!n) return "-"
		for (i = 1; i <= n; i++)
			for (j = i + 1; j <= n; j++)
				if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
		m = n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
		return sprintf("%.0f (%.0f-%.0f), %d runs", m, a[1], a[n], n)
	}
	# LAB-RESULT boot-KERNEL-IMPL-rN PASS first byte F ms, first kernel line L ms, KVMINI-L2-READY R ms, ...
	/^LAB-RESULT boot-[a-z]+-[a-z0-9-]+-r[0-9]+ PASS / {
		name = $2; sub(/^boot-/, "", name); sub(/-r[0-9]+$/, "", name)
		k = name; sub(/-.*/, "", k); impl = substr(name, length(k) + 2)
		line = $0
		sub(/.*first kernel line /, "", line); sub(/ ms.*/, "", line)
		ready = $0
		sub(/.*KVMINI-L2-READY /, "", ready); sub(/ ms.*/, "", ready)
		vals[k "|" impl "|ready"] = vals[k "|" impl "|ready"] " " ready
		vals[k "|" impl "|line"] = vals[k "|" impl "|line"] " " line
	}
	END {
		split("cloud tiny", ks, " ")
		for (i = 1; i <= 2; i++) {
			k = ks[i]
			printf "| %s kernel: process start to KVMINI-L2-READY (init), ms | %s | %s | %s |\n", k,
				cell(k "|kvmini|ready"), cell(k "|qemu-microvm|ready"), cell(k "|qemu-q35|ready")
			printf "| %s kernel: process start to the kernel'"'"'s first console line, ms | %s | %s | %s |\n", k,
				cell(k "|kvmini|line"), cell(k "|qemu-microvm|line"), cell(k "|qemu-q35|line")
		}
	}'
exit "$rc"
