#!/usr/bin/env bash
# The serial console of a background VM (docs/management.md): kvmini run
# --detach / --console socket and kvmini console NAME, with tiny guests.
# KVMINI_RUNDIR points at a private directory, so no real VM is met.
# Usage: tests/console.sh [KVMINI]
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
kvmini=$(realpath "${1:-$top/kvmini}")
g=${GUEST_DIR:-$top/build/guest-tests}
work=$(mktemp -d)
export KVMINI_RUNDIR=$work/run # created by kvmini, mode 0700
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT
passed=0 failed=0

ok() {
	echo "PASS $1"
	passed=$((passed + 1))
}

bad() {
	echo "FAIL $1${2:+: $2}"
	failed=$((failed + 1))
	for f in "$work/out" "$work/err"; do
		[ -s "$f" ] && sed 's/^/    | /' "$f" | head -10
	done
}

not() { ! "$@"; }

# that NAME CMD...: passes when CMD succeeds
that() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else bad "$name"; fi
}

# expect NAME RC PATTERN CMD...: exit code RC and PATTERN (ERE) in the
# output or on stderr; stdin is $work/in when it exists, else /dev/null.
expect() {
	local name=$1 want=$2 pattern=$3 rc in=/dev/null
	shift 3
	[ -e "$work/in" ] && in=$work/in
	timeout -k 5 120 "$@" <"$in" >"$work/out" 2>"$work/err"
	rc=$?
	rm -f "$work/in"
	if [ "$rc" -eq "$want" ] && grep -Eq -- "$pattern" "$work/out" "$work/err"; then
		ok "$name"
	else
		bad "$name" "exit $rc, wanted $want"
	fi
}

# wait_gone PID: until the process has ended (120 s at most)
wait_gone() {
	for _ in $(seq 1200); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

# detach NAME ARGS...: starts a background VM; sets $pid
detach() {
	local name=$1 line
	shift
	line=$("$kvmini" run --name "$name" --detach "$@" 2>"$work/err")
	pid=${line##* }
	pids+=("$pid")
	[ "$line" = "$name $pid" ] && kill -0 "$pid" 2>/dev/null
}

if ! "$kvmini" check >/dev/null 2>&1 && [ ! -r /dev/kvm ]; then
	echo "SKIP console tests: no usable /dev/kvm here"
	echo "0 passed, 0 failed"
	exit 0
fi

# usage and lookup errors
expect console-help 0 'Usage: kvmini console NAME' "$kvmini" console --help
expect console-no-name 2 'usage: kvmini console NAME' "$kvmini" console
expect console-bad-name 2 "VM name 'a/b'" "$kvmini" console a/b
expect console-bad-timeout 2 '--timeout must be a number' "$kvmini" console x --timeout soon
expect console-no-vm 1 'no VM named ghost is running' "$kvmini" console ghost
expect run-detach-stdio 2 '--detach leaves no terminal' \
	"$kvmini" run --kernel "$g/uart_echo.elf" --detach --console stdio
expect run-log-without-detach 2 '--log needs --detach' \
	"$kvmini" run --kernel "$g/uart_echo.elf" --log "$work/log"
expect run-bad-name 2 "VM name 'a b'" "$kvmini" run --kernel "$g/uart_echo.elf" --name 'a b'
# a name with a newline still gives a one-line error (shown as '?')
expect run-bad-name-newline 2 "VM name 'a\\?b'" "$kvmini" run --kernel "$g/uart_echo.elf" --name $'a\nb'
if [ "$(wc -l <"$work/err")" -eq 1 ]; then
	ok run-bad-name-one-line
else
	bad run-bad-name-one-line "$(wc -l <"$work/err") lines"
fi
expect run-console-bad 2 'file:PATH or socket' "$kvmini" run --kernel "$g/uart_echo.elf" --console sock
# a setup error reaches the caller of --detach, with its exit code
printf 'not a kernel' >"$work/garbage"
expect detach-bad-kernel 1 'neither a Linux bzImage nor an ELF' \
	"$kvmini" run --kernel "$work/garbage" --name broken --detach
that detach-bad-kernel-no-socket test ! -e "$KVMINI_RUNDIR/broken.console"

# a background VM that echoes what it reads, upper-cased
if detach e1 --kernel "$g/uart_echo.elf" --mem 16M --stats --log "$work/e1.log"; then
	ok detach-prints-name-pid
else
	bad detach-prints-name-pid
fi
e1=$pid
modes=$(stat -c %a "$KVMINI_RUNDIR/e1.console" "$KVMINI_RUNDIR" 2>&1 | tr '\n' ' ')
that socket-modes test "$modes" = "600 700 "
expect detach-same-name 1 'a VM named e1 is already running' \
	"$kvmini" run --kernel "$g/uart_echo.elf" --mem 16M --name e1 --detach
printf 'hello' >"$work/in"
expect attach-echo 0 'HELLO' "$kvmini" console e1 --until HELLO
# Ctrl-A d detaches after sending what came before it
printf 'abc\001d' >"$work/in"
expect ctrl-a-d 0 'detached from e1' "$kvmini" console e1
that still-running-after-detach kill -0 "$e1"
# the ring replays earlier output to the next client
expect reattach-replay 0 'echo ready' "$kvmini" console e1 --until ABC
that reattach-replay-old-output grep -q HELLO "$work/out"
printf 'x\001\001y' >"$work/in"
expect ctrl-a-ctrl-a 0 $'X\001Y' "$kvmini" console e1 --until $'X\001Y'
printf 'zz' >"$work/in"
expect no-replay 0 'ZZ' "$kvmini" console e1 --no-replay --until ZZ
that no-replay-skips-ring not grep -q 'echo ready' "$work/out"
expect until-timeout 1 "'never' did not appear" "$kvmini" console e1 --until never --timeout 0.5

# one client at a time: a second one is refused
mkfifo "$work/hold.in"
"$kvmini" console e1 <"$work/hold.in" >"$work/hold.out" 2>"$work/hold.err" &
holder=$!
exec 8>"$work/hold.in"
for _ in $(seq 1200); do
	grep -q 'echo ready' "$work/hold.out" && break
	sleep 0.1
done
expect second-client-refused 1 'console of e1 is in use by another client' "$kvmini" console e1
printf '\001d' >&8
exec 8>&-
wait "$holder"
that first-client-detaches grep -q 'detached from e1' "$work/hold.err"

# the guest ends: the client says so, the socket and the process go
printf 'q' >"$work/in"
expect vm-ends 0 'the VM e1 has ended' "$kvmini" console e1
that vm-ends-last-output grep -q bye "$work/out"
that vm-process-gone wait_gone "$e1"
that socket-removed test ! -e "$KVMINI_RUNDIR/e1.console"
that log-file grep -Eq 'serial +0x3f8' "$work/e1.log"

# A client that stops reading never stalls the guest: its output waits
# in a fifo nobody reads, while the guest floods 512 KiB and powers off.
mkfifo "$work/stuck"
exec 9<>"$work/stuck"
if detach f1 --kernel "$g/uart_flood.elf" --mem 16M; then
	f1=$pid
	printf g | "$kvmini" console f1 >"$work/stuck" 2>"$work/stuck.err" &
	stuck=$!
	if wait_gone "$f1" && kill -0 "$stuck" 2>/dev/null; then
		ok flood-guest-ends-past-stuck-client
	else
		bad flood-guest-ends-past-stuck-client
	fi
	that flood-socket-removed test ! -e "$KVMINI_RUNDIR/f1.console"
	# drain: the client gets what was queued for it, then the end
	exec 8<"$work/stuck"
	exec 9>&-
	cat <&8 >"$work/stuck.out"
	exec 8<&-
	wait "$stuck"
	that stuck-client-sees-end grep -q 'the VM f1 has ended' "$work/stuck.err"
	that stuck-client-got-start grep -q 'flood start' "$work/stuck.out"
	# it missed output: less than the 512 KiB the guest sent
	that stuck-client-missed-output test "$(wc -c <"$work/stuck.out")" -lt 524288
else
	bad flood-detach
	exec 9>&-
fi

# SIGTERM removes the socket; after SIGKILL a stale one stays, which
# the client reports as no VM and the next run of that name replaces.
detach t1 --kernel "$g/uart_echo.elf" --mem 16M || bad detach-t1
kill -TERM "$pid"
wait_gone "$pid"
that sigterm-removes-socket test ! -e "$KVMINI_RUNDIR/t1.console"
detach k1 --kernel "$g/uart_echo.elf" --mem 16M || bad detach-k1
kill -KILL "$pid"
wait_gone "$pid"
expect stale-socket-no-vm 1 'no VM named k1 is running' "$kvmini" console k1
if detach k1 --kernel "$g/uart_echo.elf" --mem 16M; then
	ok stale-socket-replaced
	printf q >"$work/in"
	expect stale-socket-replaced-works 0 'has ended' "$kvmini" console k1
else
	bad stale-socket-replaced
fi

# A crash in a filtered thread stays a crash: the handler that removes
# the socket must not make a call the thread's seccomp filter forbids
"$kvmini" run --kernel "$g/uart_echo.elf" --mem 16M --name c1 --console socket \
	--seccomp=on >"$work/c1.out" 2>&1 </dev/null &
c1=$!
pids+=("$c1")
vcpu_tid() { # the vCPU thread, once it has its filter
	local t
	for t in /proc/"$c1"/task/*; do
		[ "$(cat "$t/comm" 2>/dev/null)" = vcpu0 ] &&
			grep -q '^Seccomp:[[:space:]]*2' "$t/status" 2>/dev/null &&
			echo "${t##*/}" && return 0
	done
	return 1
}
for _ in $(seq 1200); do
	tid=$(vcpu_tid) && break
	sleep 0.1
done
if [ -n "${tid:-}" ]; then
	python3 -c 'import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
sys.exit(libc.syscall(234, int(sys.argv[1]), int(sys.argv[2]), 11) != 0)' "$c1" "$tid"
	{ wait "$c1"; } 2>/dev/null # no "Segmentation fault" note from bash
	rc=$?
	if [ "$rc" -eq 139 ] && ! grep -q seccomp "$work/c1.out"; then
		ok vcpu-crash-not-seccomp-kill
	else
		bad vcpu-crash-not-seccomp-kill "exit $rc, wanted 139 (SIGSEGV): $(head -c 200 "$work/c1.out")"
	fi
else
	bad vcpu-crash-not-seccomp-kill "no filtered vcpu0 thread"
fi

# --console socket in the foreground; --detach with --console none
"$kvmini" run --kernel "$g/uart_echo.elf" --mem 16M --name fg --console socket \
	>"$work/fg.out" 2>&1 </dev/null &
fg=$!
pids+=("$fg")
for _ in $(seq 1200); do
	[ -S "$KVMINI_RUNDIR/fg.console" ] && break
	sleep 0.1
done
printf 'fgq' >"$work/in"
expect foreground-socket 0 'FG' "$kvmini" console fg
that foreground-socket-exit wait "$fg"
that foreground-socket-quiet test ! -s "$work/fg.out"
if detach n1 --kernel "$g/uart_echo.elf" --mem 16M --console none; then
	that detach-console-none test ! -e "$KVMINI_RUNDIR/n1.console"
	kill -TERM "$pid"
	wait_gone "$pid"
else
	bad detach-console-none
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
