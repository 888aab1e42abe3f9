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
# the results are the `LAB-RESULT boot-*` lines.
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
exec tools/lab/run.sh --kvmini build/static/kvmini --scenario "$scenario" \
	"${files[@]}" "${qemu_files[@]}" --smp 2 --timeout 1800 \
	--log build/lab/bench-boot.log "$@"
