#!/usr/bin/env bash
# `make bench`: virtio-blk throughput of kvmini next to the host's own
# O_DIRECT I/O on the same image file and, where QEMU is installed, QEMU's
# virtio-blk on the same image with the same guest.  A benchmark, not a
# test: it prints a table (median and min-max of BENCH_RUNS runs) and saves
# it, with the machine it came from and the exact commands, to docs/bench.md.
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
#                         rand32) or columns (kvmini-none kvmini-wb qemu-none
#                         qemu-wb host host-thp), space-separated
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1

B=build/bench
IMG=$B/bench.img
ELF=build/guest-tests/blk_bench.elf
HOSTIO=$B/hostio
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
read -r -a ROWS <<<"${BENCH_ROWS:-seqread seqwrite rand1 rand32}"
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

read -r -a COLS <<<"${BENCH_COLS:-kvmini-none kvmini-wb qemu-none qemu-wb host host-thp}"
declare -A COLNAME NA
COLNAME[kvmini-none]="kvmini cache=none"
COLNAME[kvmini-wb]="kvmini cache=writeback"
COLNAME[qemu-none]="QEMU cache=none"
COLNAME[qemu-wb]="QEMU cache=writeback"
COLNAME[host]="host O_DIRECT"
COLNAME[host-thp]="host O_DIRECT, THP buffers"

declare -A RES # "method|row|col" -> values, space-separated
declare -A BASE # "row|col" -> baseline wall times (ns)

say() { printf '%s\n' "$*" >&2; }

# --- build ----------------------------------------------------------------------
build() {
	make -s kvmini >/dev/null || return 1
	make -s -C guest-tests >/dev/null || return 1
	mkdir -p "$B"
	if [ ! -x "$HOSTIO" ] || [ tools/bench/hostio.c -nt "$HOSTIO" ]; then
		${CC:-gcc} -O2 -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE \
			-pthread -o "$HOSTIO" tools/bench/hostio.c || return 1
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
make_image || { say "bench: cannot create $IMG"; exit 1; }
: >"$B/runs.txt"
start=$(date +%s)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# QEMU: prefer qboot (bios-microvm.bin) to SeaBIOS, whose real-mode code
# takes 10-20 s in the emulator of a PVM host; the guest assigns the BARs
# qboot leaves alone.  Either way only the guest's timing of its I/O counts.
qemu_fw_name=none
if [ "$QEMU" = none ] || ! [ -x "$QEMU" ]; then
	why="QEMU is not installed"
	[ -n "${BENCH_QEMU:-}" ] && why="BENCH_QEMU=$BENCH_QEMU"
	NA[qemu-none]=$why
	NA[qemu-wb]=$why
else
	fwdir=$("$QEMU" -L help 2>/dev/null | grep -m1 '^/' || echo /usr/share/qemu)
	fwdir=$(realpath -q "$fwdir" || echo "$fwdir")
	qemu_fw_name="SeaBIOS (QEMU's default)"
	if [ -f "$fwdir/bios-microvm.bin" ]; then
		QEMU_FW=(-bios "$fwdir/bios-microvm.bin")
		qemu_fw_name="qboot ($fwdir/bios-microvm.bin)"
		run_vm qemu-none count=0 || {
			QEMU_FW=()
			qemu_fw_name="SeaBIOS (QEMU's default; qboot did not boot the guest)"
		}
	fi
	if ! run_vm qemu-none count=0; then
		NA[qemu-none]="QEMU cannot run the guest here: $(why_failed)"
		NA[qemu-wb]=${NA[qemu-none]}
	fi
fi
if ! run_vm kvmini-none count=0; then
	NA[kvmini-none]="kvmini cannot run the guest here: $(why_failed)"
	NA[kvmini-wb]=${NA[kvmini-none]}
fi

say "bench: $RUNS runs of ${#ROWS[@]} workloads x ${#COLS[@]} columns" \
	"(page cache dropped before each run: $([ "$BENCH_DROP_CACHES" = 1 ] && echo yes || echo no))"
for rep in $(seq "$RUNS"); do
	# the column order turns by one every round: none always goes first
	order=("${COLS[@]:$(((rep - 1) % ${#COLS[@]}))}" "${COLS[@]:0:$(((rep - 1) % ${#COLS[@]}))}")
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
	say "bench: run $rep of $RUNS done ($(($(date +%s) - start)) s)"
done
elapsed=$(($(date +%s) - start))
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

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

report() {
	echo "Results of \`make bench\`, $(date -u '+%Y-%m-%d %H:%M UTC'):" \
		"median (min-max) of $RUNS runs; MB = 10^6 bytes."
	echo
	echo "**Timed by the guest** (ACPI PM timer, first request to last" \
		"completion; kvmini and QEMU alike; host: hostio's own clock):"
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
	echo "- machine: $(nproc) CPUs, $cpu, Linux $(uname -r);" \
		"kvmini check: $check_kind; $check_verdict"
	echo "- load average $load_start at the start, $load_end at the end;" \
		"the bench took $elapsed s"
	echo "- image: $IMG, $IMAGE_MB MiB of random data on ${disk:-?};" \
		"page cache dropped (sync; echo 3 > /proc/sys/vm/drop_caches) before" \
		"every run: $([ "$BENCH_DROP_CACHES" = 1 ] && echo yes || echo no)"
	[ -n "$qemu_ver" ] && [ -z "${NA[qemu-none]:-}" ] &&
		echo "- $qemu_ver, firmware: $qemu_fw_name"
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
