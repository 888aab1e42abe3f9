#!/usr/bin/env bash
# `make bench`: virtio-blk throughput of kvmini next to the host's own
# O_DIRECT I/O on the same image file and, where QEMU is installed, QEMU's
# virtio-blk on the same image with the same guest; and virtio-net frame
# rates and round trips of kvmini next to QEMU's userspace virtio-net and
# a veth pair on the host (the nearest thing to a physical limit), all
# inside a network namespace the bench makes for itself; and start-up,
# exit cost, memory and VM churn of kvmini next to QEMU -M microvm and a
# bare KVM_RUN loop (tools/bench/vm-rows.sh).  A benchmark, not
# a test: it prints tables (median and min-max of BENCH_RUNS runs) and
# saves them, with the machine they came from and the exact commands, to
# docs/bench.md.
# See docs/bench.md for what is measured and how to read it.
#
# Environment:
#   BENCH_RUNS=5          runs of every figure
#   BENCH_IMAGE_MB=512    test image size (random data, not sparse)
#   BENCH_DROP_CACHES=1   sync + drop the page cache before every run
#                         (default: 1 when /proc/sys/vm/drop_caches is
#                         writable, i.e. as root; 0 to keep the cache)
#   BENCH_QEMU=PATH       QEMU binary (default qemu-system-x86_64 on PATH;
#                         "none" leaves QEMU out)
#   BENCH_DOC=PATH        where the results go (default docs/bench.md;
#                         "none" for nowhere)
#   BENCH_ROWS, BENCH_COLS  a subset of the rows (seqread seqwrite rand1
#                         rand32; nettx netrx netrr; startbyte startexit
#                         exitpio exitmmio mem1 mem8 churn) or columns
#                         (kvmini-none kvmini-wb qemu-none qemu-wb host
#                         host-thp; kvmini-net qemu-net veth; kvmini-vm
#                         qemu-vm bare), space-separated
#   BENCH_CHURN=20        VMs per figure of the churn row
#   BENCH_NET_TX=300000, BENCH_NET_RX=300000, BENCH_NET_RR=10000
#                         frames (round trips) per VM run of the net rows;
#   BENCH_VETH_TX=1000000, BENCH_VETH_RX=500000, BENCH_VETH_RR=20000
#                         the same for the veth column
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1

B=build/bench
IMG=$B/bench.img
ELF=build/guest-tests/blk_bench.elf
HOSTIO=$B/hostio
NETPEER=$B/netpeer
NET_ELF=build/guest-tests/net_bench.elf
KVMINI=./kvmini
RUNS=${BENCH_RUNS:-5}
IMAGE_MB=${BENCH_IMAGE_MB:-512}
DOC=${BENCH_DOC:-docs/bench.md}
QEMU=${BENCH_QEMU:-$(command -v qemu-system-x86_64 || echo none)}
TIMEOUT=180
PM_HZ=3579545
if [ -z "${BENCH_DROP_CACHES:-}" ]; then
	BENCH_DROP_CACHES=0
	[ -w /proc/sys/vm/drop_caches ] && BENCH_DROP_CACHES=1
fi

# --- the workloads ------------------------------------------------------------
# row: id, label, unit, guest command line (count= last), host arguments.
# Counts are chosen for ~0.5-3 s per run on a PVM host (the guest's own
# instructions run in KVM's emulator there, see docs/bench.md).
SEQ_COUNT=$IMAGE_MB # 1 MiB requests: one pass over the image
read -r -a ALL_ROWS <<<"${BENCH_ROWS:-seqread seqwrite rand1 rand32 nettx netrx netrr startbyte startexit exitpio exitmmio mem1 mem8 churn}"
declare -A LABEL UNIT GUEST HOST
LABEL[seqread]="seq read, 1 MiB requests, qd 1"
UNIT[seqread]=MB/s
GUEST[seqread]="mode=seqread bs=1048576 qd=1 count=$SEQ_COUNT"
HOST[seqread]="-m seqread -b 1M -n $SEQ_COUNT"
LABEL[seqwrite]="seq write, 1 MiB requests, qd 1, + flush"
UNIT[seqwrite]=MB/s
GUEST[seqwrite]="mode=seqwrite bs=1048576 qd=1 count=$SEQ_COUNT"
HOST[seqwrite]="-m seqwrite -b 1M -n $SEQ_COUNT"
LABEL[rand1]="4 KiB random read, qd 1"
UNIT[rand1]=IOPS
GUEST[rand1]="mode=randread bs=4096 qd=1 count=${BENCH_GUEST_RAND1:-3000}"
HOST[rand1]="-m randread -b 4096 -q 1 -n ${BENCH_HOST_RAND1:-40000}"
LABEL[rand32]="4 KiB random read, qd 32"
UNIT[rand32]=IOPS
GUEST[rand32]="mode=randread bs=4096 qd=32 count=${BENCH_GUEST_RAND32:-4000}"
HOST[rand32]="-m randread -b 4096 -q 32 -n ${BENCH_HOST_RAND32:-200000}"

read -r -a ALL_COLS <<<"${BENCH_COLS:-kvmini-none kvmini-wb qemu-none qemu-wb host host-thp kvmini-net qemu-net veth kvmini-vm qemu-vm bare}"
declare -A COLNAME NA
COLNAME[kvmini-none]="kvmini cache=none"
COLNAME[kvmini-wb]="kvmini cache=writeback"
COLNAME[qemu-none]="QEMU cache=none"
COLNAME[qemu-wb]="QEMU cache=writeback"
COLNAME[host]="host O_DIRECT"
COLNAME[host-thp]="host O_DIRECT, THP buffers"

# virtio-net rows: mode, frame size (bytes, Ethernet header included, no
# FCS), the guest's count, the veth column's arguments.  Counts are chosen
# for ~0.3-1.5 s per run on the PVM development machine.
declare -A NMODE NSIZE NCOUNT NVETH
LABEL[nettx]="TX guest -> host, 1514-byte frames"
NMODE[nettx]=tx NSIZE[nettx]=1514 NCOUNT[nettx]=${BENCH_NET_TX:-300000}
NVETH[nettx]=${BENCH_VETH_TX:-1000000}
LABEL[netrx]="RX host -> guest, 1514-byte frames"
NMODE[netrx]=rx NSIZE[netrx]=1514 NCOUNT[netrx]=${BENCH_NET_RX:-300000}
NVETH[netrx]=${BENCH_VETH_RX:-500000}
LABEL[netrr]="round trip, 60-byte frames"
NMODE[netrr]=rr NSIZE[netrr]=60 NCOUNT[netrr]=${BENCH_NET_RR:-10000}
NVETH[netrr]=${BENCH_VETH_RR:-20000}
COLNAME[kvmini-net]="kvmini"
COLNAME[qemu-net]="QEMU, vhost=off"
COLNAME[veth]="veth pair, no VM"

# the two families: ROWS/COLS are the virtio-blk ones, NROWS/NCOLS the
# virtio-net ones
ROWS=() COLS=() NROWS=() NCOLS=() VROWS=() VCOLS=()
for r in "${ALL_ROWS[@]}"; do
	case $r in
	seqread | seqwrite | rand1 | rand32) ROWS+=("$r") ;;
	nettx | netrx | netrr) NROWS+=("$r") ;;
	startbyte | startexit | exitpio | exitmmio | mem1 | mem8 | churn) VROWS+=("$r") ;;
	*) printf 'bench: unknown row %s\n' "$r" >&2; exit 2 ;;
	esac
done
for c in "${ALL_COLS[@]}"; do
	case $c in
	kvmini-none | kvmini-wb | qemu-none | qemu-wb | host | host-thp) COLS+=("$c") ;;
	kvmini-net | qemu-net | veth) NCOLS+=("$c") ;;
	kvmini-vm | qemu-vm | bare) VCOLS+=("$c") ;;
	*) printf 'bench: unknown column %s\n' "$c" >&2; exit 2 ;;
	esac
done
[ "${#ROWS[@]}" -gt 0 ] && [ "${#COLS[@]}" -gt 0 ] && BLK=1 || BLK=0
[ "${#NROWS[@]}" -gt 0 ] && [ "${#NCOLS[@]}" -gt 0 ] && NET=1 || NET=0
[ "${#VROWS[@]}" -gt 0 ] && [ "${#VCOLS[@]}" -gt 0 ] && VMROWS=1 || VMROWS=0
# the start-up, exit-cost, memory and churn rows
# shellcheck source=tools/bench/vm-rows.sh
. tools/bench/vm-rows.sh

declare -A RES # "method|row|col" -> values, space-separated
declare -A BASE # "row|col" -> baseline wall times (ns)

say() { printf '%s\n' "$*" >&2; }

# --- build ----------------------------------------------------------------------
build() {
	make -s kvmini >/dev/null || return 1
	vm_build || return 1
	make -s -C guest-tests >/dev/null || return 1
	mkdir -p "$B"
	if [ ! -x "$HOSTIO" ] || [ tools/bench/hostio.c -nt "$HOSTIO" ]; then
		${CC:-gcc} -O2 -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE \
			-pthread -o "$HOSTIO" tools/bench/hostio.c || return 1
	fi
	if [ ! -x "$NETPEER" ] || [ tools/bench/netpeer.c -nt "$NETPEER" ] ||
		[ guest-tests/lib/net_frame.h -nt "$NETPEER" ]; then
		${CC:-gcc} -O2 -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE \
			-pthread -iquote guest-tests/lib -o "$NETPEER" \
			tools/bench/netpeer.c || return 1
	fi
}

# random data, written once and kept (reads must hit real blocks, not holes)
make_image() {
	local want=$((IMAGE_MB * 1048576))
	if [ -f "$IMG" ] && [ "$(stat -c %s "$IMG")" -eq "$want" ] &&
		[ "$(($(stat -c %b "$IMG") * 512))" -ge "$want" ]; then
		return 0
	fi
	say "bench: creating $IMG ($IMAGE_MB MiB of random data)"
	rm -f "$IMG"
	head -c "$want" /dev/urandom >"$IMG.tmp" && mv "$IMG.tmp" "$IMG" && sync
}

drop_caches() {
	[ "$BENCH_DROP_CACHES" = 1 ] || return 0
	sync
	echo 3 >/proc/sys/vm/drop_caches
}

# warm_below ROW: before a read row's run, read the whole image once
# through the page cache (which the run's drop_caches then empties): the
# first buffered read after the seq write rows rewrote the image is ~2x
# slower on the development machine (the layer under its file system, a
# virtual disk), so whichever column went first lost the writeback seq
# read row (2026-11-21: kvmini 2243 against QEMU 4097 MB/s, each slow in
# exactly the rounds it went first; an O_DIRECT pass did not help, a
# buffered one does: 2191 then 4825 MB/s without it, 4775-4985 with it).
warm_below() {
	case $1 in
	seqread | rand*) cat "$IMG" >/dev/null ;;
	esac
}

# --- one run ----------------------------------------------------------------------
# vm_cmd COL CMDLINE: the command line of one VM run, into the array CMD
QEMU_FW=()
vm_cmd() {
	local col=$1 args=$2 cache=${1#*-}
	[ "$cache" = wb ] && cache=writeback
	case $col in
	kvmini-*)
		CMD=("$KVMINI" run --kernel "$ELF" --mem 64M
			--disk "$IMG,cache=$cache" --cmdline "$args")
		;;
	qemu-*)
		# shellcheck disable=SC2054 # the commas are QEMU's
		CMD=("$QEMU" -accel kvm -M q35 -m 64M -nodefaults
			-no-user-config -display none -serial stdio -monitor none
			"${QEMU_FW[@]}" -kernel "$ELF" -append "$args exitport=0xf4"
			-drive "file=$IMG,if=none,id=d0,format=raw,cache=$cache,aio=threads"
			-device virtio-blk-pci,drive=d0,disable-legacy=on
			-device isa-debug-exit,iobase=0xf4,iosize=4)
		;;
	esac
}

# run_vm COL CMDLINE: sets WALL (ns) and TICKS; fails unless "BENCH done"
run_vm() {
	local s e
	vm_cmd "$1" "$2"
	drop_caches
	s=$(date +%s%N)
	timeout -k 5 "$TIMEOUT" "${CMD[@]}" </dev/null >"$B/last.out" 2>&1
	RC=$?
	e=$(date +%s%N)
	WALL=$((e - s))
	TICKS=$(sed -n 's/.*BENCH done [0-9]* requests of [0-9]* bytes ticks \([0-9]*\).*/\1/p' \
		"$B/last.out")
	[ -n "$TICKS" ] && ! grep -q 'BENCH FAIL' "$B/last.out"
}

# why_failed: one line about the last run
why_failed() {
	local last
	last=$(tr -d '\033\r' <"$B/last.out" | grep -v '^$' |
		grep -v 'warning: host' | tail -n 1 | cut -c1-120)
	[ "$RC" -eq 124 ] && last="timed out after $TIMEOUT s${last:+; last line: $last}"
	echo "${last:-no output}, exit code $RC"
}

# value ROW BYTES_OR_REQUESTS SECONDS: MB/s or IOPS
value() {
	awk -v u="${UNIT[$1]}" -v n="$2" -v s="$3" 'BEGIN {
		if (s <= 0) { print "nan"; exit }
		if (u == "MB/s") printf "%.1f\n", n * 1048576 / s / 1e6
		else printf "%.0f\n", n / s }'
}

count_of() { local c=${1##*count=}; echo "${c%% *}"; }

add() { RES[$1]="${RES[$1]:-} $2"; }

one_vm() { # one_vm COL ROW REP
	local col=$1 row=$2 rep=$3 args n
	args="${GUEST[$row]} seed=$rep"
	n=$(count_of "$args")
	# the baseline: everything but the I/O (boot, PCI, device bring-up,
	# buffers, power-off, VMM exit)
	if ! run_vm "$col" "${args/count=$n/count=0}"; then
		NA[$col]="baseline run failed: $(why_failed)"
		return
	fi
	BASE[$row|$col]="${BASE[$row|$col]:-} $WALL"
	printf '%s|%s|%s|baseline|wall_ns=%s\n' "$col" "$row" "$rep" "$WALL" >>"$B/runs.txt"
	warm_below "$row"
	if ! run_vm "$col" "$args"; then
		NA[$col]="${row} run failed: $(why_failed)"
		return
	fi
	add "guest|$row|$col" "$(value "$row" "$n" \
		"$(awk -v t="$TICKS" -v hz=$PM_HZ 'BEGIN { print t / hz }')")"
	add "wall|$row|$col" "$WALL"
	printf '%s|%s|%s|run|wall_ns=%s ticks=%s\n' "$col" "$row" "$rep" "$WALL" "$TICKS" >>"$B/runs.txt"
}

one_host() { # one_host COL ROW REP
	local col=$1 row=$2 rep=$3 out secs n huge=()
	[ "$col" = host-thp ] && huge=(-H)
	warm_below "$row"
	drop_caches
	# shellcheck disable=SC2086 # HOST[] holds several arguments
	if ! out=$("$HOSTIO" "${huge[@]}" ${HOST[$row]} -s "$rep" "$IMG" 2>&1); then
		NA[$col]="hostio failed: $out"
		return
	fi
	secs=$(sed -n 's/.* seconds=\([0-9.]*\).*/\1/p' <<<"$out")
	n=$(sed -n 's/.* requests=\([0-9]*\).*/\1/p' <<<"$out")
	add "guest|$row|$col" "$(value "$row" "$n" "$secs")"
	add "wall|$row|$col" "$(value "$row" "$n" "$secs")"
	printf '%s|%s|%s|%s\n' "$col" "$row" "$rep" "$out" >>"$B/runs.txt"
}

# --- virtio-net ------------------------------------------------------------------
# Everything runs inside the namespace kvmini-bench-PID, made here and
# deleted on exit (trap): a persistent tap bt0 that each VM attaches to
# (kvmini --net tap=bt0, QEMU -netdev tap,ifname=bt0), and a veth pair
# bv0/bv1.  No addresses, no routes, IPv6 off: frames go nowhere else.
NET_NS=kvmini-bench-$$
NET_TAP=bt0
NET_MAC=02:00:00:00:00:01
NET_UP=0
NET_PEER_PID=""
declare -A NLOSS # col -> frames the peer missed, over all tx runs

nsx() { ip netns exec "$NET_NS" "$@"; }

net_cleanup() {
	[ -n "$NET_PEER_PID" ] && kill "$NET_PEER_PID" 2>/dev/null
	[ "$NET_UP" = 1 ] && ip netns del "$NET_NS" 2>/dev/null
	NET_UP=0
}
trap net_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# net_up: the namespace and its interfaces; NET_WHY says why not
net_up() {
	NET_WHY=""
	if [ "$(id -u)" != 0 ]; then
		NET_WHY="needs root (a network namespace and a tap)"
	elif [ ! -c /dev/net/tun ]; then
		NET_WHY="no /dev/net/tun here (modprobe tun)"
	elif ! command -v ip >/dev/null; then
		NET_WHY="no ip command (iproute2)"
	elif ! ip netns add "$NET_NS" 2>"$B/net.err"; then
		NET_WHY="ip netns add failed: $(head -n 1 "$B/net.err")"
	fi
	[ -z "$NET_WHY" ] || return 1
	NET_UP=1
	# IPv6 off before the interfaces exist: no router solicitations, no
	# MLD reports, nothing but the bench's frames
	if ! { nsx sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 &&
		nsx ip tuntap add dev "$NET_TAP" mode tap &&
		nsx ip link set "$NET_TAP" up &&
		nsx ip link add bv0 type veth peer name bv1 &&
		nsx ip link set bv0 up && nsx ip link set bv1 up; } 2>"$B/net.err"; then
		NET_WHY="cannot set up the namespace: $(head -n 1 "$B/net.err")"
		return 1
	fi
}

# net_vm_cmd COL ARGS: the command line of one VM run of a net row, into CMD
net_vm_cmd() {
	case $1 in
	kvmini-net)
		CMD=("$KVMINI" run --kernel "$NET_ELF" --mem 64M
			--net "tap=$NET_TAP,mac=$NET_MAC" --cmdline "$2")
		;;
	qemu-net)
		# shellcheck disable=SC2054 # the commas are QEMU's
		CMD=("$QEMU" -accel kvm -M q35 -m 64M -nodefaults
			-no-user-config -display none -serial stdio -monitor none
			"${QEMU_FW[@]}" -kernel "$NET_ELF" -append "$2 exitport=0xf4"
			-netdev "tap,id=n0,ifname=$NET_TAP,script=no,downscript=no,vhost=off"
			-device "virtio-net-pci,netdev=n0,disable-legacy=on,mac=$NET_MAC,romfile="
			-device isa-debug-exit,iobase=0xf4,iosize=4)
		;;
	esac
}

# run_net_vm COL MODE SIZE ARGS: one VM with netpeer on the other end of
# the tap; NOUT: the guest's "BENCH done" line, POUT: the peer's line
run_net_vm() {
	local col=$1 mode=$2 size=$3 args=$4
	net_vm_cmd "$col" "$args"
	: >"$B/last.out"
	nsx "$NETPEER" vm "$NET_TAP" "$B/last.out" "$mode" "$size" "$NET_MAC" \
		>"$B/peer.out" 2>&1 &
	NET_PEER_PID=$!
	timeout -k 5 "$TIMEOUT" ip netns exec "$NET_NS" "${CMD[@]}" \
		</dev/null >>"$B/last.out" 2>&1
	RC=$?
	# the peer stops at the guest's last line (tx: 0.1 s later)
	for _ in $(seq 30); do
		kill -0 "$NET_PEER_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill "$NET_PEER_PID" 2>/dev/null
	wait "$NET_PEER_PID" 2>/dev/null
	NET_PEER_PID=""
	NOUT=$(grep -m1 'BENCH done' "$B/last.out")
	POUT=$(grep -m1 '^netpeer' "$B/peer.out")
	[ -n "$NOUT" ] && ! grep -q 'BENCH FAIL' "$B/last.out"
}

kv() { # kv KEY LINE: the value of KEY=value in LINE
	sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $2"
}

calc() { awk "BEGIN { print $* }"; }

# one_net COL ROW REP: adds the row's figures of one run
one_net() {
	local col=$1 row=$2 rep=$3 mode=${NMODE[$2]} size=${NSIZE[$2]} out
	local fr t pf
	if [ "$col" = veth ]; then
		# shellcheck disable=SC2086
		if ! out=$(nsx "$NETPEER" veth bv0 bv1 "$mode" "$size" ${NVETH[$row]} 2>&1); then
			NA[$col]="netpeer veth $mode failed: $(tail -n 1 <<<"$out")"
			return
		fi
		printf '%s|%s|%s|%s\n' "$col" "$row" "$rep" "$out" >>"$B/runs.txt"
		case $mode in
		tx | rx)
			fr=$(kv frames "$out") t=$(kv seconds "$out")
			add "net|$row|$col|fps" "$(calc "$fr / $t")"
			if [ "$mode" = tx ]; then
				NLOSS[$col]=$((${NLOSS[$col]:-0} + fr - $(kv received "$out")))
			else
				add "net|$row|$col|host" "$(calc "$(kv sent "$out") / $(kv send_seconds "$out")")"
			fi
			;;
		rr)
			add "net|$row|$col|p50" "$(kv p50_us "$out")"
			add "net|$row|$col|p99" "$(kv p99_us "$out")"
			add "net|$row|$col|mean" "$(kv mean_us "$out")"
			;;
		esac
		return
	fi
	if ! run_net_vm "$col" "$mode" "$size" "mode=$mode size=$size count=${NCOUNT[$row]}"; then
		NA[$col]="${row} run failed: $(why_failed)"
		return
	fi
	printf '%s|%s|%s|%s|%s\n' "$col" "$row" "$rep" "$NOUT" "$POUT" >>"$B/runs.txt"
	fr=$(kv frames "$NOUT") t=$(kv ticks "$NOUT")
	case $mode in
	tx | rx)
		add "net|$row|$col|fps" "$(calc "$fr * $PM_HZ / $t")"
		if [ "$mode" = tx ]; then
			pf=$(kv frames "$POUT")
			NLOSS[$col]=$((${NLOSS[$col]:-0} + fr - ${pf:-0}))
		else
			pf=$(kv seconds "$POUT")
			[ -n "$pf" ] && add "net|$row|$col|host" "$(calc "$(kv sent "$POUT") / $pf")"
		fi
		;;
	rr)
		add "net|$row|$col|p50" "$(calc "$(kv rtt_p50 "$NOUT") * 1e6 / $PM_HZ")"
		add "net|$row|$col|p99" "$(calc "$(kv rtt_p99 "$NOUT") * 1e6 / $PM_HZ")"
		add "net|$row|$col|mean" "$(calc "$t * 1e6 / $PM_HZ / $fr")"
		add "net|$row|$col|tsc" "$(calc "$(kv tsc64 "$NOUT") * 1e6 / $PM_HZ / 64")"
		;;
	esac
}

# net_cell ROW COL METRIC [SCALE]: median (min-max), values times SCALE
net_cell() {
	local vals=() v st
	[ -n "${NA[$2]:-}" ] && { echo "n/a"; return; }
	for v in ${RES[net|$1|$2|$3]:-}; do
		vals+=("$(calc "$v * ${4:-1}")")
	done
	[ "${#vals[@]}" -eq 0 ] && { echo "n/a"; return; }
	read -r -a st <<<"$(stats "${vals[@]}")"
	echo "$(fmt "${st[0]}") ($(fmt "${st[1]}")-$(fmt "${st[2]}"))"
}

net_table() {
	local col line row m
	line="| |"
	for col in "${NCOLS[@]}"; do line+=" ${COLNAME[$col]} |"; done
	echo "$line"
	line="| --- |"
	for col in "${NCOLS[@]}"; do line+=" --- |"; done
	echo "$line"
	for row in "${NROWS[@]}"; do
		case ${NMODE[$row]} in
		tx | rx)
			line="| ${LABEL[$row]}, Mbit/s |"
			for col in "${NCOLS[@]}"; do
				line+=" $(net_cell "$row" "$col" fps "${NSIZE[$row]} * 8 / 1e6") |"
			done
			echo "$line"
			line="| ${LABEL[$row]}, 1000 frames/s |"
			for col in "${NCOLS[@]}"; do
				line+=" $(net_cell "$row" "$col" fps 1e-3) |"
			done
			echo "$line"
			;;
		rr)
			for m in p50 p99 mean; do
				line="| ${LABEL[$row]}, $m, µs |"
				for col in "${NCOLS[@]}"; do
					line+=" $(net_cell "$row" "$col" "$m") |"
				done
				echo "$line"
			done
			;;
		esac
	done
}

# --- statistics and the table ---------------------------------------------------
# stats VALUES...: "median min max" (median of an even count: mean of the two)
stats() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) exit
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		print m, v[1], v[NR] }'
}

fmt() { # fmt NUMBER: 3 significant digits at least, no exponent
	awk -v x="$1" 'BEGIN {
		if (x == "nan") print "n/a"
		else if (x < 0) printf "%.0f\n", x
		else if (x >= 100) printf "%.0f\n", x
		else if (x >= 10) printf "%.1f\n", x
		else printf "%.2f\n", x }'
}

# cell METHOD ROW COL
cell() {
	local method=$1 row=$2 col=$3 vals v st
	[ -n "${NA[$col]:-}" ] && { echo "n/a"; return; }
	if [ "$method" = wall ] && [ "${col#host}" = "$col" ]; then
		# each run minus the median baseline of its column and row
		local base n
		# shellcheck disable=SC2086 # one value per word
		read -r base _ <<<"$(stats ${BASE[$row|$col]:-})"
		n=$(count_of "${GUEST[$row]}")
		vals=()
		for v in ${RES[wall|$row|$col]:-}; do
			vals+=("$(value "$row" "$n" "$(awk -v w="$v" -v b="$base" \
				'BEGIN { print (w - b) / 1e9 }')")")
		done
	else
		read -r -a vals <<<"${RES[$method|$row|$col]:-}"
	fi
	[ "${#vals[@]}" -eq 0 ] && { echo "n/a"; return; }
	read -r -a st <<<"$(stats "${vals[@]}")"
	echo "$(fmt "${st[0]}") ($(fmt "${st[1]}")-$(fmt "${st[2]}"))"
}

table() { # table METHOD
	local method=$1 row col line
	line="| |"
	for col in "${COLS[@]}"; do line+=" ${COLNAME[$col]} |"; done
	echo "$line"
	line="| --- |"
	for col in "${COLS[@]}"; do line+=" --- |"; done
	echo "$line"
	for row in "${ROWS[@]}"; do
		line="| ${LABEL[$row]}, ${UNIT[$row]} |"
		for col in "${COLS[@]}"; do line+=" $(cell "$method" "$row" "$col") |"; done
		echo "$line"
	done
}

# --- main ---------------------------------------------------------------------
build || { say "bench: build failed"; exit 1; }
if [ "$BLK" = 1 ]; then
	make_image || { say "bench: cannot create $IMG"; exit 1; }
fi
: >"$B/runs.txt"
start=$(date +%s)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

if [ "$NET" = 1 ] && ! net_up; then
	for col in "${NCOLS[@]}"; do NA[$col]=$NET_WHY; done
fi

in_ncols() { [[ " ${NCOLS[*]} " == *" $1 "* ]]; }
in_nrows() { [[ " ${NROWS[*]} " == *" $1 "* ]]; }

# qemu_boots: does QEMU (with QEMU_FW) run a bench guest to the end?
qemu_boots() {
	if [ "$BLK" = 1 ]; then
		run_vm qemu-none count=0
	else
		run_net_vm qemu-net tx 1514 "mode=tx size=1514 count=0"
	fi
}

# QEMU: prefer qboot (bios-microvm.bin) to SeaBIOS, whose real-mode code
# takes 10-20 s in the emulator of a PVM host; the guest assigns the BARs
# qboot leaves alone.  Either way only the guest's timing of its I/O counts.
qemu_fw_name=none
if [ "$QEMU" = none ] || ! [ -x "$QEMU" ]; then
	why="QEMU is not installed"
	[ -n "${BENCH_QEMU:-}" ] && why="BENCH_QEMU=$BENCH_QEMU"
	NA[qemu-none]=$why
	NA[qemu-wb]=$why
	NA[qemu-net]=$why
elif [ "$BLK" = 1 ] || { in_ncols qemu-net && [ -z "${NA[qemu-net]:-}" ]; }; then
	fwdir=$("$QEMU" -L help 2>/dev/null | grep -m1 '^/' || echo /usr/share/qemu)
	fwdir=$(realpath -q "$fwdir" || echo "$fwdir")
	qemu_fw_name="SeaBIOS (QEMU's default)"
	if [ -f "$fwdir/bios-microvm.bin" ]; then
		QEMU_FW=(-bios "$fwdir/bios-microvm.bin")
		qemu_fw_name="qboot ($fwdir/bios-microvm.bin)"
		qemu_boots || {
			QEMU_FW=()
			qemu_fw_name="SeaBIOS (QEMU's default; qboot did not boot the guest)"
		}
	fi
	if ! qemu_boots; then
		NA[qemu-none]="QEMU cannot run the guest here: $(why_failed)"
		NA[qemu-wb]=${NA[qemu-none]}
		NA[qemu-net]=${NA[qemu-none]}
	fi
fi
if [ "$BLK" = 1 ] && ! run_vm kvmini-none count=0; then
	NA[kvmini-none]="kvmini cannot run the guest here: $(why_failed)"
	NA[kvmini-wb]=${NA[kvmini-none]}
fi
# the net guest on each VMM, count=0: boots, brings the NIC up, powers off
for col in kvmini-net qemu-net; do
	if [ "$NET" = 1 ] && [ -z "${NA[$col]:-}" ] && in_ncols "$col" &&
		! run_net_vm "$col" tx 1514 "mode=tx size=1514 count=0"; then
		NA[$col]="${COLNAME[$col]} cannot run the net guest here: $(why_failed)"
	fi
done

say "bench: $RUNS runs of ${#ROWS[@]} virtio-blk workloads x ${#COLS[@]} columns" \
	"(page cache dropped before each run: $([ "$BENCH_DROP_CACHES" = 1 ] && echo yes || echo no))," \
	"${#NROWS[@]} virtio-net workloads x ${#NCOLS[@]} columns," \
	"${#VROWS[@]} start-up/exit/memory/churn rows x ${#VCOLS[@]} columns"
for rep in $(seq "$RUNS"); do
	# the column order turns by one every round: none always goes first
	if [ "$BLK" = 1 ]; then
		order=("${COLS[@]:$(((rep - 1) % ${#COLS[@]}))}" "${COLS[@]:0:$(((rep - 1) % ${#COLS[@]}))}")
	else
		order=()
	fi
	for row in "${ROWS[@]}"; do
		for col in "${order[@]}"; do
			[ -n "${NA[$col]:-}" ] && continue
			if [ "${col#host}" != "$col" ]; then
				one_host "$col" "$row" "$rep"
			else
				one_vm "$col" "$row" "$rep"
			fi
		done
	done
	if [ "$NET" = 1 ]; then
		order=("${NCOLS[@]:$(((rep - 1) % ${#NCOLS[@]}))}" "${NCOLS[@]:0:$(((rep - 1) % ${#NCOLS[@]}))}")
		for row in "${NROWS[@]}"; do
			for col in "${order[@]}"; do
				[ -n "${NA[$col]:-}" ] && continue
				one_net "$col" "$row" "$rep"
			done
		done
	fi
	[ "$VMROWS" = 1 ] && vm_rep "$rep"
	say "bench: run $rep of $RUNS done ($(($(date +%s) - start)) s)"
done
elapsed=$(($(date +%s) - start))
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
net_cleanup

# --- report ---------------------------------------------------------------------
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
check=$("$KVMINI" check 2>&1)
check_kind=$(grep -m1 -oE 'this KVM is [^:,]*' <<<"$check" || echo "hardware KVM")
check_verdict=$(grep -m1 '^verdict' <<<"$check")
disk=$(findmnt -no SOURCE,FSTYPE -T "$B" 2>/dev/null | head -n 1)
qemu_ver=$([ "$QEMU" != none ] && [ -x "$QEMU" ] && "$QEMU" --version | head -n 1)
# q ARGS...: the words as a shell would need them, quoted only where needed
q() {
	local a out=()
	for a in "$@"; do
		if [[ $a =~ ^[A-Za-z0-9_./=,:+-]+$ ]]; then out+=("$a"); else out+=("'$a'"); fi
	done
	echo "${out[*]}"
}

# med_of KEY [SCALE]: "median (min-max)" of RES[KEY] times SCALE, or nothing
med_of() {
	local vals=() v st
	for v in ${RES[$1]:-}; do vals+=("$(calc "$v * ${2:-1}")"); done
	[ "${#vals[@]}" -gt 0 ] || return 0
	read -r -a st <<<"$(stats "${vals[@]}")"
	echo "$(fmt "${st[0]}") ($(fmt "${st[1]}")-$(fmt "${st[2]}"))"
}

blk_report() {
	echo "**Timed by the guest** (TSC at CPL3 calibrated against the ACPI" \
		"PM timer, first request to last completion; kvmini and QEMU" \
		"alike; host: hostio's own clock):"
	echo
	table guest
	echo
	echo "**Wall clock of the whole VMM process minus its count=0 baseline**" \
		"(median baseline of the same column and row; host as above):"
	echo
	table wall
	echo
	for col in "${COLS[@]}"; do
		[ -n "${NA[$col]:-}" ] && echo "- ${COLNAME[$col]}: n/a, ${NA[$col]}"
	done
}

net_report() {
	local col row m v
	echo "**virtio-net: Ethernet frames, not TCP.** The tiny guest has no" \
		"TCP/IP stack: it moves raw Ethernet frames (EtherType 0x88b5)" \
		"between its virtio-net queues and \`netpeer\` on the tap, inside" \
		"the bench's own network namespace. Mbit/s counts each frame's" \
		"bytes (Ethernet header and payload; no virtio header, FCS," \
		"preamble or gap). kvmini and QEMU: timed by the guest (TSC at CPL3," \
		"calibrated against the ACPI PM timer)," \
		"the same guest on both; veth pair: two AF_PACKET sockets on the" \
		"host, timed by netpeer:"
	echo
	net_table
	echo
	for col in "${NCOLS[@]}"; do
		[ -n "${NA[$col]:-}" ] && echo "- ${COLNAME[$col]}: n/a, ${NA[$col]}"
	done
	for col in "${NCOLS[@]}"; do
		[ -n "${NA[$col]:-}" ] && continue
		v=$(med_of "net|netrx|$col|host" 1e-3)
		[ -n "$v" ] && m="${m:+$m; }${COLNAME[$col]} $v"
	done
	[ -n "${m:-}" ] && echo "- RX, what the host side sent, 1000 frames/s:" \
		"$m (VM columns: at most 256 frames ahead of what the VMM has" \
		"read from the tap; veth: flat out)"
	m=""
	for col in "${NCOLS[@]}"; do
		[ -n "${NA[$col]:-}" ] && continue
		in_nrows nettx && m="${m:+$m; }${COLNAME[$col]} ${NLOSS[$col]:-0}"
	done
	[ -n "$m" ] && echo "- TX, frames sent that the receiving end did not count, all runs: $m"
	m=""
	for col in kvmini-net qemu-net; do
		[ -z "${NA[$col]:-}" ] || continue
		v=$(med_of "net|netrr|$col|tsc")
		[ -n "$v" ] && m="${m:+$m, }${COLNAME[$col]} $v µs"
	done
	[ -n "$m" ] && echo "- round trip: every VM round trip includes one" \
		"rdtsc at CPL3, which costs: $m"
}

net_commands() {
	local row
	echo "Every run of the net rows is one of these inside the namespace" \
		"(\`ip netns exec $NET_NS\`), with NARGS from the list below; each VM run has"
	echo "netpeer (vm) on the other end of the tap, the veth runs are netpeer (veth) alone."
	echo
	echo '```'
	net_vm_cmd kvmini-net NARGS
	q "${CMD[@]}"
	if [ -z "${NA[qemu-net]:-}" ]; then
		net_vm_cmd qemu-net NARGS
		q "${CMD[@]}"
	fi
	echo "$NETPEER vm $NET_TAP CONSOLE_FILE MODE SIZE $NET_MAC"
	echo "$NETPEER veth bv0 bv1 MODE SIZE COUNT"
	echo
	for row in "${NROWS[@]}"; do
		echo "# ${LABEL[$row]}"
		echo "NARGS='mode=${NMODE[$row]} size=${NSIZE[$row]} count=${NCOUNT[$row]}'" \
			" veth: MODE SIZE COUNT = ${NMODE[$row]} ${NSIZE[$row]} ${NVETH[$row]}"
	done
	echo '```'
}

report() {
	echo "Results of \`make bench\`, $(date -u '+%Y-%m-%d %H:%M UTC'):" \
		"median (min-max) of $RUNS runs; MB = 10^6 bytes."
	echo
	[ "$BLK" = 1 ] && blk_report
	echo "- machine: $(nproc) CPUs, $cpu, Linux $(uname -r);" \
		"kvmini check: $check_kind; $check_verdict"
	echo "- load average $load_start at the start, $load_end at the end;" \
		"the bench took $elapsed s"
	[ "$BLK" = 1 ] && echo "- image: $IMG, $IMAGE_MB MiB of random data on ${disk:-?};" \
		"page cache dropped (sync; echo 3 > /proc/sys/vm/drop_caches) before" \
		"every run: $([ "$BENCH_DROP_CACHES" = 1 ] && echo yes || echo no)"
	qemu_used=0
	[ "$BLK" = 1 ] && [ -z "${NA[qemu-none]:-}" ] && qemu_used=1
	[ "$NET" = 1 ] && in_ncols qemu-net && [ -z "${NA[qemu-net]:-}" ] && qemu_used=1
	[ -n "$qemu_ver" ] && [ "$qemu_used" = 1 ] &&
		echo "- $qemu_ver, firmware: $qemu_fw_name"
	if [ "$BLK" = 1 ]; then
		echo
		echo "Commands: every run of a VM column is one of these, with ARGS from the"
		echo "list below (seed=N: the run number); its baseline is the same with count=0."
		echo "Host runs are hostio with HOSTARGS."
		echo
		echo '```'
		vm_cmd kvmini-none ARGS
		q "${CMD[@]}" | sed 's/cache=none/cache=none|writeback/'
		if [ -z "${NA[qemu-none]:-}" ]; then
			vm_cmd qemu-none ARGS
			q "${CMD[@]}" | sed 's/cache=none/cache=none|writeback/'
		fi
		echo "$HOSTIO [-H] HOSTARGS -s N $IMG    # -H: the THP-buffers column"
		echo
		for row in "${ROWS[@]}"; do
			echo "# ${LABEL[$row]}"
			echo "ARGS='${GUEST[$row]} seed=N'  HOSTARGS='${HOST[$row]}'"
		done
		echo '```'
	fi
	if [ "$VMROWS" = 1 ]; then
		echo
		vm_report
	fi
	if [ "$NET" = 1 ]; then
		echo
		net_report
		echo
		net_commands
	fi
}

report >"$B/report.md"
cat "$B/report.md"
if [ "$DOC" != none ]; then
	# replace what lies between the markers, or append
	if [ -f "$DOC" ] && grep -q '^<!-- bench:begin -->' "$DOC"; then
		awk -v rep="$B/report.md" '
			/^<!-- bench:begin -->/ { print; while ((getline l < rep) > 0) print l; skip = 1; next }
			/^<!-- bench:end -->/ { skip = 0 }
			!skip' "$DOC" >"$DOC.tmp" && mv "$DOC.tmp" "$DOC"
	else
		{ echo '<!-- bench:begin -->'; cat "$B/report.md"; echo '<!-- bench:end -->'; } >>"$DOC"
	fi
	say "bench: saved to $DOC (raw runs in $B/runs.txt)"
fi

# Linux guests over TCP: only in the KVM lab (tiny guests have no TCP),
# where QEMU is carried into L1 beside kvmini (tools/bench/lab-qemu-files.sh).
# BENCH_LAB=0 skips it (about 4-5 minutes).
lab_tcp() {
	local log=build/lab/bench-net-tcp.log files
	make -s static || return 1
	# shellcheck disable=SC2046 # one --file option per word
	files=$(tools/bench/lab-qemu-files.sh) || return 1
	# shellcheck disable=SC2086
	tools/lab/run.sh --kvmini build/static/kvmini $files \
		--scenario tools/lab/scenarios/bench-net-tcp.sh --timeout 1200 \
		--log "$log" >/dev/null 2>&1
	echo
	echo "## Linux guests in the KVM lab: TCP and ping, kvmini vs QEMU vhost=off"
	echo
	echo "| | kvmini | QEMU, vhost=off |"
	echo "| --- | --- | --- |"
	# median of the rounds: "tcp-g2h-kvmini-r1 PASS 39.1 MB/s, ..."
	grep -a '^LAB-RESULT ' "$log" | awk '
		function median(list,   n, a, i, j, t) {
			n = split(list, a, " ")
			for (i = 1; i <= n; i++)
				for (j = i + 1; j <= n; j++)
					if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
			return n ? a[int((n + 1) / 2)] : "n/a"
		}
		$3 == "PASS" && $2 ~ /^tcp-(g2h|h2g)-(kvmini|qemu)-r/ {
			split($2, k, "-"); v[k[2] " " k[3]] = v[k[2] " " k[3]] " " $4
		}
		$3 == "PASS" && $2 ~ /^ping-(kvmini|qemu)-r/ {
			# "... rtt min/avg/max 0.975/2.337/8.602 ms; ..."
			split($2, k, "-"); split($6, r, "/"); p[k[2]] = p[k[2]] " " r[2]
		}
		END {
			printf "| TCP guest -> host, MB/s | %s | %s |\n", median(v["g2h kvmini"]), median(v["g2h qemu"])
			printf "| TCP host -> guest, MB/s | %s | %s |\n", median(v["h2g kvmini"]), median(v["h2g qemu"])
			printf "| ping rtt avg, ms | %s | %s |\n", median(p["kvmini"]), median(p["qemu"])
		}'
	echo
	echo "(median of the rounds; every LAB-RESULT line is in $log)"
}

if [ "${BENCH_LAB:-1}" != 0 ]; then
	lab_tcp || say "bench: the lab TCP rows could not run (see build/lab/bench-net-tcp.log)"
fi
