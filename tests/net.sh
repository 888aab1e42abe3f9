#!/usr/bin/env bash
# Host-side tests of `kvmini run --net`: bad input, taps in use, missing
# privileges, and what becomes of a tap when kvmini exits.  Every test runs
# in a network namespace of its own (kvmini-test-PID-N, deleted on exit),
# so no tap or bridge ever appears in the host's namespace and no packet
# leaves it; the guest is the tiny build/guest-tests/uart_echo.elf (no
# network driver: nothing is sent at all).  Needs root (ip netns).
# One line per test, then "N passed, N failed".
# Usage: tests/net.sh [KVMINI]
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
kvmini=$(realpath "${1:-$top/kvmini}")
guest=${GUEST_DIR:-$top/build/guest-tests}/uart_echo.elf
work=$(mktemp -d)
passed=0 failed=0 nsn=0
namespaces=() pids=()

# shellcheck disable=SC2317 # called by the trap
cleanup() {
	local p ns
	for p in "${pids[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	for ns in "${namespaces[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$work"
}
trap cleanup EXIT

pass() {
	echo "PASS $1${2:+ ($2)}"
	passed=$((passed + 1))
}

fail() {
	echo "FAIL $1${2:+ ($2)}"
	[ -s "$work/err" ] && sed 's/^/    | /' "$work/err" | head -5
	failed=$((failed + 1))
}

skip() {
	echo "SKIP $1 ($2)"
}

finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}

# new_ns: a fresh namespace with lo up; its name goes to $ns
new_ns() {
	nsn=$((nsn + 1))
	ns=kvmini-test-$$-$nsn
	ip netns add "$ns" || return 1
	namespaces+=("$ns")
	ip netns exec "$ns" ip link set lo up
}

# in_ns CMD...: run CMD in $ns
in_ns() {
	ip netns exec "$ns" "$@"
}

# links: the interfaces of $ns other than lo, space-separated
links() {
	in_ns ip -o link show | awk -F': ' '$2 != "lo" { sub(/@.*/, "", $2); printf "%s%s", s, $2; s = " " }'
}

# master IF: the bridge IF is attached to in $ns, or nothing
master() {
	in_ns ip -o link show dev "$1" 2>/dev/null | sed -n 's/.* master \([^ ]*\) .*/\1/p'
}

# is_up IF: IF exists in $ns and is administratively up
is_up() {
	in_ns ip -o link show dev "$1" 2>/dev/null | grep -q '[<,]UP[,>]'
}

# run_once ARGS...: kvmini run --kernel uart_echo ARGS in $ns; the exit
# code goes to $rc, stderr to $work/err (and the count of its lines to $lines)
run_once() {
	rc=0
	in_ns timeout -k 5 30 "$kvmini" run --kernel "$guest" --mem 16M "$@" \
		</dev/null >"$work/out" 2>"$work/err" || rc=$?
	lines=$(wc -l <"$work/err")
}

# expect_fail NAME RC PATTERN ARGS...: kvmini run ARGS in a fresh namespace
# exits RC with one line of stderr matching PATTERN (ERE) and leaves no
# interface behind
expect_fail() {
	local name=$1 want=$2 pattern=$3 left
	shift 3
	new_ns || { fail "$name" "cannot create a namespace" && return; }
	run_once "$@"
	left=$(links)
	if [ "$rc" -eq "$want" ] && [ "$lines" -eq 1 ] && grep -Eq -- "$pattern" "$work/err" &&
		[ -z "$left" ]; then
		pass "$name" "exit $rc: $(cat "$work/err")"
	else
		fail "$name" "exit $rc, wanted $want; $lines stderr lines; left: '$left'"
	fi
}

# start_vm ID ARGS...: a kvmini that keeps running (uart_echo waits on the
# console, whose FIFO we hold open) in $ns; waits for "echo ready"
start_vm() {
	local id=$1 n=0 fd
	shift
	mkfifo "$work/$id.in"
	# not through in_ns: $! must be kvmini itself (ip netns exec execs it),
	# not a subshell running a function
	ip netns exec "$ns" "$kvmini" run --kernel "$guest" --mem 16M "$@" \
		<"$work/$id.in" >"$work/$id.out" 2>&1 &
	eval "vm_pid_$id=$!"
	pids+=("$!")
	exec {fd}>"$work/$id.in"
	eval "vm_fd_$id=$fd"
	while ! grep -q 'echo ready' "$work/$id.out" 2>/dev/null; do
		if ! kill -0 "$!" 2>/dev/null || [ "$n" -ge 100 ]; then
			cp "$work/$id.out" "$work/err"
			return 1
		fi
		sleep 0.1
		n=$((n + 1))
	done
}

# stop_vm ID [SIGNAL]: 'q' to the guest (it powers off) or SIGNAL to
# kvmini; the exit code goes to $rc (124 if it had to be killed)
stop_vm() {
	local id=$1 sig=${2:-} pid fd n=0
	eval "pid=\$vm_pid_$id fd=\$vm_fd_$id"
	if [ -n "$sig" ]; then
		kill "-$sig" "$pid"
	else
		printf q >&"$fd"
	fi
	while kill -0 "$pid" 2>/dev/null && [ "$n" -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
	rc=0
	{ wait "$pid"; } 2>/dev/null || rc=$? # without bash's "Killed" notice
	[ "$n" -lt 100 ] || rc=124
	exec {fd}>&-
}

# --- can we run here at all? ----------------------------------------------
if [ "$(id -u)" -ne 0 ]; then
	skip all "needs root for ip netns"
	finish
fi
for cmd in ip timeout; do
	if ! command -v "$cmd" >/dev/null; then
		skip all "no '$cmd' command"
		finish
	fi
done
if [ ! -f "$guest" ]; then
	skip all "no $guest (make -C guest-tests)"
	finish
fi
if [ ! -c /dev/net/tun ]; then
	skip all "no /dev/net/tun (modprobe tun)"
	finish
fi
if ! "$kvmini" check >/dev/null 2>&1 && [ ! -r /dev/kvm ]; then
	skip all "no usable /dev/kvm here"
	finish
fi

# --- bad input ---------------------------------------------------------------
expect_fail bad-bridge 1 '^kvmini: bridge nosuch does not exist' --net bridge=nosuch
expect_fail bad-bridge-with-tap 1 'bridge nosuch does not exist' --net tap=t0,bridge=nosuch
expect_fail bad-mac 2 "bad option 'mac=zz'" --net tap=t0,mac=zz
expect_fail multicast-mac 2 "bad option 'mac=03:00:00:00:00:01'" --net tap=t0,mac=03:00:00:00:00:01
expect_fail short-mac 2 "bad option 'mac=02:00:00:00:00'" --net tap=t0,mac=02:00:00:00:00
expect_fail net-no-tap-or-bridge 2 'needs tap=NAME or bridge=BR' --net mac=02:00:00:00:00:01
expect_fail net-unknown-option 2 "bad option 'vhost=on'" --net tap=t0,vhost=on
expect_fail net-long-name 2 "bad option 'tap=abcdefghijklmnop'" --net tap=abcdefghijklmnop
expect_fail net-too-many 2 'at most 8 --net' \
	--net tap=t0 --net tap=t1 --net tap=t2 --net tap=t3 --net tap=t4 \
	--net tap=t5 --net tap=t6 --net tap=t7 --net tap=t8

# --- a tap in use ------------------------------------------------------------
# One kvmini holds tap t0; a second one with tap=t0 must fail with exit 1.
# When the first one's guest powers off, t0 (which it created) is gone.
if new_ns && start_vm busy1 --net tap=t0; then
	if is_up t0; then
		pass tap-created "t0 up while kvmini runs"
	else
		fail tap-created "links: '$(links)'"
	fi
	run_once --net tap=t0
	if [ "$rc" -eq 1 ] && [ "$lines" -eq 1 ] && grep -q 'tap t0: Device or resource busy' "$work/err"; then
		pass tap-busy "exit 1: $(cat "$work/err")"
	else
		fail tap-busy "exit $rc, wanted 1; $lines stderr lines"
	fi
	: >"$work/err"
	stop_vm busy1
	left=$(links)
	if [ "$rc" -eq 0 ] && [ -z "$left" ]; then
		pass tap-removed-on-exit "exit 0, no interface left"
	else
		fail tap-removed-on-exit "exit $rc, left: '$left'"
	fi
else
	fail tap-busy "the first kvmini did not start"
fi

# --- bridges -----------------------------------------------------------------
# bridge=br0: kvmini makes vnetN, up and on br0; SIGTERM (exit 143) and
# SIGKILL (137) both leave br0 without ports and no vnet behind.
for sig in TERM KILL; do
	want=$((128 + $(kill -l "$sig")))
	name=bridge-sig$sig
	: >"$work/err"
	if new_ns && in_ns ip link add br0 type bridge && in_ns ip link set br0 up &&
		start_vm "br$sig" --net bridge=br0; then
		tap=$(links | tr ' ' '\n' | grep '^vnet' | head -n 1)
		if [ -n "$tap" ] && [ "$(master "$tap")" = br0 ] && is_up "$tap"; then
			[ "$sig" = TERM ] && pass bridge-attach "$tap up on br0"
		else
			fail bridge-attach "vnet '$tap', links: '$(links)'"
		fi
		stop_vm "br$sig" "$sig"
		left=$(links)
		if [ "$rc" -eq "$want" ] && [ "$left" = br0 ]; then
			pass "$name" "exit $rc, $tap gone, br0 has no ports"
		else
			fail "$name" "exit $rc, wanted $want; links: '$left'"
		fi
	else
		fail "$name" "could not set up the bridge or start kvmini"
	fi
done

# A persistent tap (ip tuntap add) is used as it is, attached to br0 while
# kvmini runs, and left in place, off the bridge, when kvmini exits.
: >"$work/err"
if new_ns && in_ns ip tuntap add dev tp0 mode tap && in_ns ip link add br0 type bridge &&
	start_vm persist --net tap=tp0,bridge=br0; then
	during=$(master tp0)
	stop_vm persist
	after=$(in_ns ip -o link show dev tp0 2>/dev/null)
	if [ "$during" = br0 ] && [ "$rc" -eq 0 ] && [ -n "$after" ] && [ -z "$(master tp0)" ]; then
		pass persistent-tap "on br0 while running; after exit 0 still there, off the bridge"
	else
		fail persistent-tap "master while running '$during', exit $rc, after: '${after:-gone}'"
	fi
else
	fail persistent-tap "could not set up the tap or start kvmini"
fi

# --- missing privileges ------------------------------------------------------
# As an unprivileged user kvmini stops at /dev/kvm first (root-only here),
# so that user gets a private KVM device node (KVMINI_KVM_DEVICE) and the
# test is about the tun device alone.  Two ways to lack the right, each with
# a node of our own bind-mounted over /dev/net/tun in a private mount
# namespace (whatever the host's mode is): mode 0600, so the open fails;
# mode 0666 (as Debian ships /dev/net/tun), so the open works but creating
# a tap needs CAP_NET_ADMIN.
priv=$work/priv
# (a user without XDG_RUNTIME_DIR: its sockets go to /tmp/kvmini-65534)
nobody=(env -u KVMINI_RUNDIR -u XDG_RUNTIME_DIR setpriv --reuid=65534 --regid=65534 --clear-groups)

# priv_setup: the device nodes and copies, or a reason on stdout
priv_setup() {
	local maj min
	command -v setpriv >/dev/null || { echo "no setpriv" && return 1; }
	command -v unshare >/dev/null || { echo "no unshare" && return 1; }
	read -r maj min < <(stat -c '%t %T' /dev/kvm) || { echo "no /dev/kvm" && return 1; }
	if ! { chmod 0755 "$work" && mkdir -m 0755 "$priv" &&
		mknod -m 0600 "$priv/kvm" c $((16#$maj)) $((16#$min)) &&
		chown 65534:65534 "$priv/kvm" &&
		install -m 0755 "$kvmini" "$priv/kvmini" &&
		install -m 0644 "$guest" "$priv/guest.elf"; }; then
		echo "cannot prepare $priv"
		return 1
	fi
	# device nodes do not work on a nodev file system
	# shellcheck disable=SC2016 # $1 is the inner shell's
	if ! "${nobody[@]}" sh -c 'exec 3<>"$1"' sh "$priv/kvm" 2>/dev/null; then
		echo "a device node in $work cannot be opened (nodev?)"
		return 1
	fi
}

if ! why=$(priv_setup); then
	skip tun-permission "$why"
	skip tun-no-cap "$why"
else
	for t in tun-permission tun-no-cap; do
		new_ns || { fail "$t" "cannot create a namespace" && continue; }
		rm -f "$priv/tun"
		if [ "$t" = tun-permission ]; then
			mknod -m 0600 "$priv/tun" c 10 200
			pattern='cannot open /dev/net/tun: Permission denied \(needs CAP_NET_ADMIN'
		else
			mknod -m 0666 "$priv/tun" c 10 200
			pattern='cannot attach to tap t0: Operation not permitted \(needs CAP_NET_ADMIN'
		fi
		rc=0
		# shellcheck disable=SC2016 # $0 and $@ are the inner shell's
		in_ns unshare -m --propagation private \
			sh -c 'mount --bind "$0" /dev/net/tun && exec "$@"' "$priv/tun" \
			"${nobody[@]}" env KVMINI_KVM_DEVICE="$priv/kvm" \
			timeout -k 5 30 "$priv/kvmini" run --kernel "$priv/guest.elf" --mem 16M \
			--net tap=t0 </dev/null >"$work/out" 2>"$work/err" || rc=$?
		lines=$(wc -l <"$work/err")
		left=$(links)
		if [ "$rc" -eq 1 ] && [ "$lines" -eq 1 ] && grep -Eq -- "$pattern" "$work/err" && [ -z "$left" ]; then
			pass "$t" "exit 1: $(cat "$work/err")"
		else
			fail "$t" "exit $rc, wanted 1; $lines stderr lines; left: '$left'"
		fi
	done
fi

finish
