# bench-boot.sh: Linux boot time, kvmini beside QEMU, run inside the lab's L1.
# Run it with tools/bench/lab-boot.sh (builds what it needs, passes the files):
#   /lab/boottime      tools/bench/boottime.c, static
#   QEMU               tools/bench/lab-qemu-files.sh (with qboot for microvm)
#   /lab/vmlinuz-tiny  optional: tools/lab/build-tiny-kernel.sh
#
# The same kernel, the same L2 initramfs, 512 MiB, 1 vCPU, a serial console
# (console=ttyS0) and no other device asked for, under:
#   kvmini         kvmini run --kernel K --initrd I --mem 512M --cmdline console=ttyS0
#   qemu-microvm   qemu -M microvm -accel kvm -cpu host (qboot firmware)
#   qemu-q35       qemu -M q35 -accel kvm -cpu host (SeaBIOS + linuxboot_dma)
# RUNS (5) rounds, the VMM order turning by one every round. boottime starts
# each VMM and notes, on L1's CLOCK_MONOTONIC from just before fork(): the
# first byte on the console, the kernel's first console line ("Linux
# version", which with console=ttyS0 comes when the 8250 console registers
# and replays the log), and the initramfs' KVMINI-L2-READY; then it kills
# the VMM. The guest's own printk time of "Run /init" is noted too.
# Results: `boot-KERNEL-IMPL-rN` per run, `boot-KERNEL-IMPL` with the median
# (min-max) of each figure in ms. Round 1's consoles go to the log as
# `[boot-KERNEL-IMPL] ...` lines.
# shellcheck shell=dash
# shellcheck source-path=SCRIPTDIR source=../scenario-lib.sh
. /lab/scenario-lib.sh

RUNS=${RUNS:-5}
BT=/lab/boottime
QEMU=/usr/bin/qemu-system-x86_64
INITRD=/lab/initrd-l2.gz
MEM=512M
APPEND=console=ttyS0
D=/tmp/bb
IMPLS="kvmini qemu-microvm qemu-q35"
mkdir -p "$D"

# one KERNEL IMPL ROUND: one timed boot
one() {
	local k=$1 impl=$2 r=$3 kernel="/lab/vmlinuz-$1" log="$D/$1-$2-r$3.log" out first line ready init
	case $impl in
	kvmini)
		out=$("$BT" -t 600 "$log" 'Linux version' KVMINI-L2-READY -- \
			/bin/kvmini run --kernel "$kernel" --initrd "$INITRD" --mem "$MEM" \
			--cmdline "$APPEND")
		;;
	qemu-*)
		out=$(LD_LIBRARY_PATH=/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu \
			"$BT" -t 600 "$log" 'Linux version' KVMINI-L2-READY -- \
			"$QEMU" -M "${impl#qemu-}" -accel kvm -cpu host -m "$MEM" -smp 1 \
			-nodefaults -no-user-config -display none -serial stdio -monitor none \
			-kernel "$kernel" -initrd "$INITRD" -append "$APPEND")
		;;
	esac
	first=$(echo "$out" | sed -n 's/.*first_byte_ms=\([-0-9.]*\).*/\1/p')
	line=$(echo "$out" | sed -n 's/.* p1_ms=\([-0-9.]*\).*/\1/p')
	ready=$(echo "$out" | sed -n 's/.* p2_ms=\([-0-9.]*\).*/\1/p')
	init=$(tr -d '\r' <"$log" | sed -n 's/^\[ *\([0-9.]*\)\] Run \/init.*/\1/p' | head -n 1)
	if [ -n "$ready" ] && [ "$ready" != -1 ]; then
		echo "$first" >>"$D/$k-$impl.first"
		echo "$line" >>"$D/$k-$impl.line"
		echo "$ready" >>"$D/$k-$impl.ready"
		[ -n "$init" ] && echo "$init" >>"$D/$k-$impl.init"
		result "boot-$k-$impl-r$r" PASS "first byte $first ms, first kernel line $line ms, KVMINI-L2-READY $ready ms, guest printk time of Run /init ${init:-?} s"
	else
		result "boot-$k-$impl-r$r" FAIL "$out"
		tr -d '\r' <"$log" | tail -n 30 | awk -v p="[boot-$k-$impl] " '{ print p $0 }'
	fi
	if [ "$r" = 1 ]; then
		# awk: a line per line, also for a last line without a newline
		tr -d '\r' <"$log" | awk -v p="[boot-$k-$impl] " '{ print p $0 }'
	fi
	sleep 1
}

# med FILE: "median (min-max)" of the numbers in FILE, one per line
med() {
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "-"; exit }
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.0f (%.0f-%.0f), %d runs\n", m, v[1], v[NR], NR }'
}

if [ ! -x "$BT" ]; then
	result boottime-present FAIL "no $BT (use tools/bench/lab-boot.sh)"
	lab_done
	exit 0
fi
v=$(LD_LIBRARY_PATH=/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu "$QEMU" -version 2>&1 | head -n 1)
case $v in
*"QEMU emulator"*) result qemu-runs PASS "$v" ;;
*) result qemu-runs FAIL "$v" && IMPLS=kvmini ;;
esac
KERNELS=cloud
if [ -f /lab/vmlinuz-tiny ]; then
	KERNELS="cloud tiny"
else
	result tiny-kernel-present FAIL "no /lab/vmlinuz-tiny: tiny rows skipped"
fi
# shellcheck disable=SC2086 # one word per VMM
set -- $IMPLS
NIMPL=$#

r=1
while [ "$r" -le "$RUNS" ]; do
	for k in $KERNELS; do
		# turn the order by one every round
		i=0
		while [ "$i" -lt "$NIMPL" ]; do
			j=$(((i + r - 1) % NIMPL + 1))
			eval "impl=\${$j}"
			one "$k" "$impl" "$r"
			i=$((i + 1))
		done
	done
	r=$((r + 1))
done

for k in $KERNELS; do
	for impl in $IMPLS; do
		[ -s "$D/$k-$impl.ready" ] || continue
		init="-"
		[ -s "$D/$k-$impl.init" ] && init=$(awk '{ print $1 * 1000 }' "$D/$k-$impl.init" >"$D/x" && med "$D/x")
		result "boot-$k-$impl" PASS "ms, median (min-max): KVMINI-L2-READY $(med "$D/$k-$impl.ready"); first kernel line $(med "$D/$k-$impl.line"); first byte $(med "$D/$k-$impl.first"); guest printk time of Run /init $init"
	done
done
lab_done
