#!/usr/bin/env bash
# tests/safety.sh [KVMINI]: data safety and isolation (docs/data-safety.md)
# with the blk_safety guest (guest-tests/src/blk_safety.c):
#   kill_*     SIGKILL at random moments while the guest writes and flushes:
#              every acknowledged block is in the image, nothing outside
#              the written area or the image's size changed
#   enospc_*   the image's file system fills up: IOERR in the guest, kvmini
#              runs on, earlier writes intact, writes work after DISCARD
#   trunc      the image shrinks under a running VM: IOERR, no crash
#   load       30 VMs at once, each with its own disk, all correct
#   flood_*    UART, exit and virtqueue floods (valid and hostile chains):
#              SIGTERM still stops the flooder (143), console input still
#              echoes, a second VM finishes normally
# Waits have generous hang guards; nothing asserts on time.
# Ends with "N passed, N failed, N skipped".
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
kvmini=${1:-$top/kvmini}
guest=${GUEST_DIR:-$top/build/guest-tests}/blk_safety.elf
checker=$top/tests/safety_check.py
work=$(mktemp -d)
pids=() # kvmini processes this script started and has not reaped
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
	exec 3>&- 4>&- 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
passed=0 failed=0 skipped=0
GUARD=${SAFETY_GUARD:-300} # seconds before a hang counts as a failure

pass() {
	echo "PASS $1${2:+: $2}"
	passed=$((passed + 1))
}
fail() {
	echo "FAIL $1: $2"
	failed=$((failed + 1))
}
skip() {
	echo "SKIP $1: $2"
	skipped=$((skipped + 1))
}
# show NAME FILE: the first lines of a log under a failure
show() {
	sed 's/^/    | /' "$1" | head -20
}

# vm OUT ARGS...: starts kvmini in the background (stdin from $vm_in or
# /dev/null, stdout and stderr to OUT); its pid in $vm_pid
vm() {
	local out=$1
	shift
	: >"$out" # exists before anyone greps it
	"$kvmini" run --kernel "$guest" --mem 32M --test-exit "$@" \
		<"${vm_in:-/dev/null}" >"$out" 2>&1 &
	vm_pid=$!
	pids+=("$vm_pid")
}

# reap PID: waits for it (SIGKILL after the hang guard); its exit status
# in $rc, 137 after a hang (and $hung=1).  stderr off: no "Killed" notes
# from bash about the processes the tests kill on purpose.
reap() {
	local pid=$1 i
	hung=0
	for ((i = 0; i < GUARD * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		hung=1
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid"
	rc=$?
	local keep=() p
	for p in "${pids[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
	pids=("${keep[@]}")
} 2>/dev/null

# wait_for FILE ERE PID: until FILE has a line matching ERE (0), PID exits
# or the hang guard passes (1)
wait_for() {
	local i
	for ((i = 0; i < GUARD * 10; i++)); do
		grep -Eq -- "$2" "$1" && return 0
		kill -0 "$3" 2>/dev/null || break
		sleep 0.1
	done
	grep -Eq -- "$2" "$1"
}

# random_ms MAX: a random number of milliseconds in [0, MAX), as seconds
random_ms() {
	printf '%d.%03d' $((RANDOM % $1 / 1000)) $((RANDOM % $1 % 1000))
}

if ! "$kvmini" check >/dev/null 2>&1 && [ ! -r /dev/kvm ]; then
	echo "SKIP all safety tests: no usable /dev/kvm here"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi
if ! command -v python3 >/dev/null; then
	echo "SKIP all safety tests: python3 (the image checker) is missing"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi

# does this file system take O_DIRECT?  (tmpfs before Linux 6.6 did not)
direct_ok() {
	dd if=/dev/zero of="$1/.direct" bs=4096 count=1 oflag=direct \
		status=none 2>/dev/null
	local ok=$?
	rm -f "$1/.direct"
	return $ok
}

# --- SIGKILL while writing ---------------------------------------------------
# 8 MiB + 3 sectors + 100 bytes: capacity ends in an odd sector count and
# the partial sector after it must never change either.
KILL_SIZE=$((8 * 1024 * 1024 + 3 * 512 + 100))
KILL_NBLK=2048 # blocks 1..2047: all but the last 3 sectors and the tail
kill_rounds=0 kill_acked=0
kill_round() {
	local name=$1 cache=$2 seed=$3 k=$4 delay
	cp "$work/kill.img" "$work/before.img"
	vm "$work/$name.out" --disk "$work/kill.img,cache=$cache" \
		--cmdline "mode=kill seed=$seed nblk=$KILL_NBLK k=$k"
	if ! wait_for "$work/$name.out" '^ACKED ' "$vm_pid"; then
		reap "$vm_pid"
		fail "$name" "no ACKED line (exit $rc)"
		show "$work/$name.out"
		return
	fi
	delay=$(random_ms 1500)
	sleep "$delay"
	kill -KILL "$vm_pid" 2>/dev/null
	reap "$vm_pid"
	kill_rounds=$((kill_rounds + 1))
	if grep -q '^FAIL' "$work/$name.out"; then
		fail "$name" "the guest saw a failure"
		show "$work/$name.out"
	elif python3 "$checker" kill "$work/kill.img" "$work/before.img" \
		"$work/$name.out" "$seed" "$KILL_NBLK" >"$work/$name.why" 2>&1; then
		pass "$name" "cache=$cache k=$k killed after ${delay}s (exit $rc): $(cat "$work/$name.why")"
		kill_acked=$((kill_acked + $(grep -c '^ACKED' "$work/$name.out")))
	else
		fail "$name" "cache=$cache k=$k killed after ${delay}s: $(cat "$work/$name.why")"
	fi
}

python3 "$checker" make "$work/kill.img" "$KILL_SIZE"
caches=(writeback)
if direct_ok "$work"; then
	caches+=(none)
else
	skip kill_cache_none "O_DIRECT is not supported on $work"
fi
for cache in "${caches[@]}"; do
	for r in 1 2 3 4; do
		# a new generation each round, on the image the last one left
		kill_round "kill_${cache}_$r" "$cache" $((RANDOM * 8 + r)) \
			$((RANDOM % 8 + 1))
	done
done
echo "    ($kill_rounds rounds killed with SIGKILL, $kill_acked flushes acknowledged in all)"

# a clean stop flushes too: poweroff after the last write, no FLUSH before
vm "$work/clean.out" --disk "$work/kill.img" --cmdline "mode=load seed=99 nblk=9"
reap "$vm_pid"
if [ "$rc" -eq 33 ] &&
	python3 "$checker" blocks "$work/kill.img" 99 1 8 >"$work/clean.why" 2>&1; then
	pass clean_stop "$(cat "$work/clean.why")"
else
	fail clean_stop "exit $rc: $(cat "$work/clean.why" 2>/dev/null)"
	show "$work/clean.out"
fi

# --- ENOSPC ------------------------------------------------------------------
# A 4 MiB sparse image on a 1 MiB tmpfs, in a private mount namespace.
enospc() {
	local name=$1 cache=$2 ok
	if ! unshare -m true 2>/dev/null; then
		skip "$name" "cannot create a mount namespace (not root?)"
		return
	fi
	mkdir -p "$work/mnt"
	unshare -m bash -c '
		mount -t tmpfs -o size=1M kvmini-safety "$1" || exit 90
		truncate -s 4M "$1/f.img"
		if [ "$2" = none ] && ! dd if=/dev/zero of="$1/d" bs=4096 \
			count=1 oflag=direct status=none 2>/dev/null; then
			exit 91
		fi
		rm -f "$1/d"
		"$3" run --kernel "$4" --mem 32M --test-exit \
			--disk "$1/f.img,cache=$2" --cmdline "mode=fill seed=5" \
			</dev/null >"$5" 2>&1
		rc=$?
		stat -c %s "$1/f.img" >"$5.size"
		cp "$1/f.img" "$5.img"
		exit $rc' - "$work/mnt" "$cache" "$kvmini" "$guest" \
		"$work/$name.out" &
	reap $!
	local out=$work/$name.out
	if [ "$rc" -eq 90 ]; then
		skip "$name" "cannot mount a tmpfs"
		return
	elif [ "$rc" -eq 91 ]; then
		skip "$name" "tmpfs does not take O_DIRECT here"
		return
	fi
	ok=$(sed -nE 's/^FILL ([0-9]+) blocks written.*/\1/p' "$out")
	if [ "$rc" -ne 33 ]; then
		fail "$name" "exit $rc, wanted 33 (guest PASS)"
		show "$out"
	elif ! grep -q 'No space left on device' "$out"; then
		fail "$name" "kvmini did not report ENOSPC"
	elif [ "$(cat "$out.size")" != 4194304 ]; then
		fail "$name" "the image size changed to $(cat "$out.size")"
	elif ! python3 "$checker" blocks "$out.img" 5 1 $((ok / 2)) \
		>"$out.why" 2>&1 ||
		! python3 "$checker" blocks "$out.img" 5 $((ok + 1)) $((ok + 1)) \
			>>"$out.why" 2>&1; then
		fail "$name" "on the host: $(cat "$out.why")"
	else
		pass "$name" "cache=$cache: $ok blocks fitted, then IOERR; $(grep -c '^PASS' "$out") guest checks"
	fi
}
enospc enospc_writeback writeback
enospc enospc_none none

# --- the image shrinks under the VM -------------------------------------------
truncate -s 8M "$work/trunc.img"
vm "$work/trunc.out" --disk "$work/trunc.img" --cmdline "mode=trunc"
if wait_for "$work/trunc.out" '^READY' "$vm_pid"; then
	truncate -s 64K "$work/trunc.img"
fi
reap "$vm_pid"
if [ "$rc" -eq 33 ] && grep -q 'read failed: end of file' "$work/trunc.out"; then
	pass trunc "$(grep '^TRUNC' "$work/trunc.out")"
else
	fail trunc "exit $rc, wanted 33 and a host read error"
	show "$work/trunc.out"
fi

# --- 30 VMs at once ------------------------------------------------------------
NVMS=${SAFETY_VMS:-30}
load_pids=()
start=$(date +%s%N)
for ((i = 1; i <= NVMS; i++)); do
	truncate -s 1M "$work/load$i.img"
	vm "$work/load$i.out" --disk "$work/load$i.img" \
		--cmdline "mode=load seed=$i nblk=17"
	load_pids+=("$vm_pid")
done
bad=0
for ((i = 1; i <= NVMS; i++)); do
	reap "${load_pids[i - 1]}"
	if [ "$rc" -ne 33 ] || ! grep -q "^LOAD seed=$i ok" "$work/load$i.out" ||
		! python3 "$checker" blocks "$work/load$i.img" "$i" 1 16 >/dev/null; then
		[ "$bad" -eq 0 ] && { echo "    VM $i: exit $rc"; show "$work/load$i.out"; }
		bad=$((bad + 1))
	fi
done
ms=$((($(date +%s%N) - start) / 1000000))
secs=$((ms / 1000)).$(printf %03d $((ms % 1000)))
if [ "$bad" -eq 0 ]; then
	pass load "$NVMS VMs at once, all exit 33 with their data, in ${secs}s"
else
	fail load "$bad of $NVMS VMs went wrong"
fi

# --- floods ----------------------------------------------------------------------
# second_vm NAME: a normal VM beside a flooder must finish with its result
second_vm() {
	truncate -s 1M "$work/$1.img"
	vm "$work/$1.out" --disk "$work/$1.img" --cmdline "mode=load seed=77 nblk=17"
	reap "$vm_pid"
	if [ "$rc" -eq 33 ] && grep -q '^LOAD seed=77 ok' "$work/$1.out"; then
		pass "$1"
	else
		fail "$1" "exit $rc, wanted 33"
		show "$work/$1.out"
	fi
}

# sigterm NAME PID: SIGTERM must end it with 143
sigterm() {
	kill -TERM "$2"
	reap "$2"
	if [ "$rc" -eq 143 ]; then
		pass "$1"
	else
		fail "$1" "exit $rc after SIGTERM, wanted 143 (hung: $hung)"
	fi
}

# (a) console output nobody reads: a full pipe
mkfifo "$work/con.fifo"
exec 3<>"$work/con.fifo" # holds the pipe open; never reads
"$kvmini" run --kernel "$guest" --mem 32M --cmdline mode=uartflood \
	</dev/null >"$work/con.fifo" 2>"$work/uartpipe.err" &
flood=$!
pids+=("$flood")
# the pipe is full: the flooder's vCPU waits for a reader
full=0
for ((i = 0; i < GUARD * 10; i++)); do
	n=$(python3 -c 'import fcntl,sys,termios,struct
print(struct.unpack("i", fcntl.ioctl(3, termios.FIONREAD, b"\0"*4))[0])' 2>/dev/null)
	[ "${n:-0}" -ge 61440 ] && { full=1; break; }
	kill -0 "$flood" 2>/dev/null || break
	sleep 0.1
done
if [ "$full" -eq 1 ]; then
	pass flood_uart_pipe_full "64 KiB unread in the console pipe"
else
	fail flood_uart_pipe_full "the console pipe never filled"
fi
second_vm flood_uart_pipe_other_vm
sigterm flood_uart_pipe_sigterm "$flood"
exec 3>&-

# (a) to a file, while another VM runs
vm "$work/uartfile.out" --cmdline mode=uartflood
flood=$vm_pid
wait_for "$work/uartfile.out" '^FLOOD uart' "$flood"
second_vm flood_uart_file_other_vm
sigterm flood_uart_file_sigterm "$flood"

# (b) port-I/O exits
vm "$work/exits.out" --cmdline mode=exitflood
flood=$vm_pid
wait_for "$work/exits.out" '^FLOOD exits' "$flood"
second_vm flood_exits_other_vm
sigterm flood_exits_sigterm "$flood"

# (c) one 1 MiB read resubmitted endlessly, or hostile chains (a loop, a
# buffer past RAM) that make the device need a reset, again and again;
# console input must still echo
vq_flood() {
	local name=$1 args=$2
	truncate -s 16M "$work/$name.img"
	mkfifo "$work/$name.fifo"
	exec 4<>"$work/$name.fifo"
	vm_in=$work/$name.fifo vm "$work/$name.out" --disk "$work/$name.img" \
		--cmdline "$args"
	flood=$vm_pid
	if wait_for "$work/$name.out" '^FLOOD virtqueue' "$flood"; then
		echo hello-while-flooding >&4
		if wait_for "$work/$name.out" '^ECHO: hello-while-flooding' "$flood"; then
			pass "${name}_console_echo"
		else
			fail "${name}_console_echo" "console input was not echoed"
			show "$work/$name.out"
		fi
	else
		fail "${name}_console_echo" "the flood did not start"
		show "$work/$name.out"
	fi
	second_vm "${name}_other_vm"
	sigterm "${name}_sigterm" "$flood"
	exec 4>&-
}
vq_flood flood_vq mode=vqflood
vq_flood flood_vq_hostile "mode=vqflood bad=1"

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
