#!/usr/bin/env bash
# The GDB stub (docs/gdb.md): Debian's gdb in batch mode and a raw
# remote-protocol client (bash /dev/tcp) against guest-tests/src/gdb_target.S.
# One PASS/FAIL/SKIP line per check, then "N passed, N failed, N skipped".
# Everything runs under timeout: a hang fails instead of blocking.
#   tests/gdb.sh [KVMINI]
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
kvmini=${1:-${KVMINI:-$top/kvmini}}
guests=${GUEST_DIR:-$top/build/guest-tests}
target=$guests/gdb_target.elf
spin=$guests/gdb_spin.elf
work=$(mktemp -d)
kvm_pid=""
cleanup() {
	[ -n "$kvm_pid" ] && kill "$kvm_pid" 2>/dev/null
	[ -n "${KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT
# a write to a stub that has gone (the guest died) must fail that test,
# not kill the script
trap '' PIPE
passed=0 failed=0 skipped=0
# the guest ends with ((counter + 20) << 1) | 1 when left as it was
guest_rc=51

pass() { echo "PASS $1"; passed=$((passed + 1)); }
skip() { echo "SKIP $1 ($2)"; skipped=$((skipped + 1)); }
fail() {
	echo "FAIL $1 ($2)"
	failed=$((failed + 1))
	[ -n "${3:-}" ] && [ -e "$3" ] && sed 's/^/    | /' "$3" | head -30
}
# expect NAME FILE ERE: the file has a line matching ERE
expect() {
	if grep -Eq -- "$3" "$2"; then pass "$1"; else fail "$1" "no /$3/" "$2"; fi
}

if [ ! -r /dev/kvm ] || [ ! -e "$target" ]; then
	echo "SKIP all gdb tests: no /dev/kvm or no $target (make -C guest-tests)"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi
have_gdb=1
command -v gdb >/dev/null || have_gdb=0
# PVM runs this CPL0 guest in KVM's instruction emulator (docs/gdb.md)
pvm=0
[ -d /sys/module/kvm_pvm ] && [ ! -d /sys/module/kvm_intel ] &&
	[ ! -d /sys/module/kvm_amd ] && pvm=1
# KVMINI_GDB_NO_GUEST_BP=WHY: this CPU never hands the guest's int3 or its
# debug-register hits to KVM (the lab's QEMU TCG, docs/lab.md): the tests
# that need them are skipped with WHY, and the raw client single-steps to
# bump instead of running into a breakpoint there
no_bp=${KVMINI_GDB_NO_GUEST_BP:-}

sym() { # sym NAME: the symbol's address, hex without 0x or leading zeros
	nm "$target" | awk -v s="$1" '$3 == s { sub(/^0+/, "", $1); print $1 }'
}
bump=$(sym bump) start=$(sym _start) counter=$(sym counter) spin_var=$(sym spin)
bump_next=$(printf '%x' $((0x$bump + 6))) # after bump's 6-byte incl

# start_vm NAME ARGS...: kvmini in the background, console to NAME.kvm
start_vm() {
	local name=$1
	shift
	timeout -k 5 120 "$kvmini" run --mem 16M --test-exit "$@" \
		</dev/null >"$work/$name.kvm" 2>&1 &
	kvm_pid=$!
}
# wait_listen NAME: until kvmini says where it listens (or has died)
wait_listen() {
	local i
	for i in $(seq 200); do
		grep -q 'gdb: listening on' "$work/$1.kvm" && return 0
		kill -0 "$kvm_pid" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}
tcp_port() {
	sed -nE 's/.*listening on tcp:127\.0\.0\.1:([0-9]+).*/\1/p' "$work/$1.kvm"
}
# expect_exit NAME RC: kvmini ends with RC
expect_exit() {
	local rc
	wait "$kvm_pid"
	rc=$?
	kvm_pid=""
	if [ "$rc" -eq "$2" ]; then pass "$1"; else
		fail "$1" "kvmini exit $rc, wanted $2" "$work/${1%%_*}.kvm"; fi
}
# run_gdb NAME SOCKET GDB-COMMANDS...: batch gdb, output in NAME.gdb
run_gdb() {
	local name=$1 sock=$2 args=()
	shift 2
	for c in "$@"; do args+=(-ex "$c"); done
	timeout -k 5 60 gdb -batch -nx -ex "target remote $sock" "${args[@]}" \
		"$target" >"$work/$name.gdb" 2>&1
}

# ---- raw remote protocol client over TCP ----------------------------
rsp_fd=""
rsp_open() { exec {rsp_fd}<>"/dev/tcp/127.0.0.1/$1"; }
rsp_close() { exec {rsp_fd}>&-; }
rsp_raw() { printf '%s' "$1" >&"$rsp_fd"; }
rsp_send() { # a well-formed packet
	local s=$1 sum=0 i c
	for ((i = 0; i < ${#s}; i++)); do
		printf -v c '%d' "'${s:i:1}"
		sum=$(((sum + c) & 255))
	done
	printf '$%s#%02x' "$s" "$sum" >&"$rsp_fd"
}
# rsp_reply: prints the next packet's data, or "-" for a NAK; acks it
rsp_reply() {
	local c data=""
	while IFS= read -r -t 30 -N 1 c <&"$rsp_fd"; do
		case $c in
		'+') ;;
		'-') echo "-"; return 0 ;;
		'$') break ;;
		esac
	done
	[ "$c" = '$' ] || { echo "(no reply)"; return 1; }
	while IFS= read -r -t 30 -N 1 c <&"$rsp_fd" && [ "$c" != '#' ]; do
		data+=$c
	done
	IFS= read -r -t 30 -N 2 c <&"$rsp_fd"
	rsp_raw "+"
	echo "$data"
}
# rsp_expect NAME PACKET ERE: send PACKET, the reply must match ^ERE$
rsp_expect() {
	local got
	rsp_send "$2"
	got=$(rsp_reply)
	if [[ $got =~ ^$3$ ]]; then pass "$1"; else
		fail "$1" "sent '${2:0:40}', got '${got:0:80}', wanted /$3/"; fi
}

# ---- command line ------------------------------------------------------
usage_case() { # NAME ARGS...: exit 2 with exactly one line
	local name=$1 rc
	shift
	timeout 20 "$kvmini" run --kernel "$target" "$@" >"$work/$name.out" 2>&1
	rc=$?
	if [ "$rc" -eq 2 ] && [ "$(wc -l <"$work/$name.out")" -eq 1 ]; then
		pass "$name"
	else
		fail "$name" "exit $rc, wanted 2 and one line" "$work/$name.out"
	fi
}
usage_case cli_gdb_bad_kind --gdb serial:/dev/ttyS0
usage_case cli_gdb_bad_port --gdb tcp::65536
usage_case cli_gdb_no_port --gdb tcp:127.0.0.1
usage_case cli_gdb_bad_host --gdb tcp:example.org:1234
usage_case cli_gdb_empty_unix --gdb unix:
usage_case cli_gdb_wait_alone --gdb-wait
for spec in unix:/nonexistent-dir/gdb.sock tcp:192.0.2.1:1234; do
	name=cli_gdb_bind_${spec%%:*}
	timeout 20 "$kvmini" run --kernel "$target" --mem 16M --gdb "$spec" \
		>"$work/$name.out" 2>&1
	rc=$?
	if [ "$rc" -eq 1 ] && [ "$(wc -l <"$work/$name.out")" -eq 1 ] &&
		grep -q 'cannot listen' "$work/$name.out"; then
		pass "$name"
	else
		fail "$name" "exit $rc, wanted 1 and one line" "$work/$name.out"
	fi
done

# a path that is not ours (bind fails) must be left where it is
taken=$work/taken.sock
: >"$taken"
timeout 20 "$kvmini" run --kernel "$target" --mem 16M --gdb "unix:$taken" \
	>"$work/cli_gdb_path_taken.out" 2>&1
rc=$?
if [ "$rc" -eq 1 ] && [ -e "$taken" ]; then
	pass cli_gdb_path_taken
else
	fail cli_gdb_path_taken "exit $rc, wanted 1 and $taken kept" "$work/cli_gdb_path_taken.out"
fi

# gdb_breakpoint_tests: software and hardware breakpoints, watchpoints
gdb_breakpoint_tests() {
	local sock out
	sock=$work/break.sock
	start_vm break --kernel "$target" --gdb "unix:$sock" --gdb-wait
	if wait_listen break; then
		run_gdb break "$sock" 'break bump' continue \
			'print *(int *)&counter' 'info registers rip' stepi \
			'x/i $pc' continue 'print *(int *)&counter' \
			'print/x *(long *)&magic' 'info registers cr0 efer' detach
	fi
	out=$work/break.gdb
	touch "$out"
	expect break_held_at_entry "$out" "^0x0*$start in _start"
	expect break_set "$out" "^Breakpoint 1 at 0x$bump\$"
	expect break_hit "$out" "^Breakpoint 1, 0x0*$bump in bump"
	expect break_var_before "$out" '^\$1 = 0$'
	expect break_rip "$out" "^rip +0x$bump +0x$bump <bump>"
	expect break_stepi "$out" "^=> 0x$bump_next <bump\\+6>:"
	expect break_hit_again "$out" '^\$2 = 1$'
	expect break_magic "$out" '^\$3 = 0x1122334455667788$'
	expect break_sys_regs "$out" '^efer +0x500 '
	expect break_detached "$out" 'Inferior 1 .* detached'
	expect_exit break_guest_finishes "$guest_rc"
	expect break_console "$work/break.kvm" '^x+$'

	# ---- hardware breakpoint (debug registers) ----------------------------
	sock=$work/hbreak.sock
	start_vm hbreak --kernel "$target" --gdb "unix:$sock" --gdb-wait
	wait_listen hbreak &&
		run_gdb hbreak "$sock" 'hbreak bump' continue \
			'print *(int *)&counter' continue \
			'print *(int *)&counter' delete detach
	out=$work/hbreak.gdb
	touch "$out"
	expect hbreak_set "$out" "^Hardware assisted breakpoint 1 at 0x$bump\$"
	expect hbreak_hit "$out" "Breakpoint 1, 0x0*$bump in bump"
	expect hbreak_var "$out" '^\$1 = 0$'
	expect hbreak_stepped_over "$out" '^\$2 = 1$'
	expect_exit hbreak_guest_finishes "$guest_rc"

	# ---- watchpoint ------------------------------------------------------
	if [ "$pvm" = 1 ]; then
		skip watch "PVM: this CPL0 guest runs in KVM's instruction emulator, which never checks data breakpoints, so KVM_EXIT_DEBUG never comes; run on hardware KVM (docs/gdb.md)"
	else
		sock=$work/watch.sock
		start_vm watch --kernel "$target" --gdb "unix:$sock" --gdb-wait
		wait_listen watch &&
			run_gdb watch "$sock" 'watch *(int *)&counter' continue \
				delete detach
		out=$work/watch.gdb
		touch "$out"
		expect watch_set "$out" '^Hardware watchpoint 1: \*\(int \*\)&counter'
		expect watch_old "$out" '^Old value = 0$'
		expect watch_new "$out" '^New value = 1$'
		expect_exit watch_guest_finishes "$guest_rc"
	fi
}

# ---- gdb: stepi, watchpoints, breakpoints, registers, memory, detach ------
if [ "$have_gdb" = 0 ]; then
	skip gdb_batch "gdb is not installed (tools/deps.sh build installs it)"
else
	# ---- stepi from the entry, software watchpoint: no breakpoints -------
	# (single-stepping only: KVM_GUESTDBG_SINGLESTEP, KVM_EXIT_DEBUG #DB)
	sock=$work/step.sock
	start_vm step --kernel "$target" --gdb "unix:$sock" --gdb-wait
	wait_listen step &&
		run_gdb step "$sock" 'stepi 5' 'info registers rip' stepi \
			'x/i $pc' 'print *(int *)&counter' detach
	out=$work/step.gdb
	touch "$out"
	# mov, cmpl, je (taken), mov, call: five instructions to bump
	expect step_to_bump "$out" "^rip +0x$bump +0x$bump <bump>"
	expect step_over_incl "$out" "^=> 0x$bump_next <bump\\+6>:"
	expect step_counter "$out" '^\$1 = 1$'
	expect step_detached "$out" 'Inferior 1 .* detached'
	expect_exit step_guest_finishes "$guest_rc"

	# gdb single-steps and compares the value after each step
	sock=$work/swwatch.sock
	start_vm swwatch --kernel "$target" --gdb "unix:$sock" --gdb-wait
	wait_listen swwatch &&
		run_gdb swwatch "$sock" 'set can-use-hw-watchpoints 0' \
			'watch *(int *)&counter' continue 'info registers rip' \
			delete detach
	out=$work/swwatch.gdb
	touch "$out"
	expect swwatch_set "$out" '^Watchpoint 1: \*\(int \*\)&counter'
	expect swwatch_old "$out" '^Old value = 0$'
	expect swwatch_new "$out" '^New value = 1$'
	expect swwatch_rip "$out" "^rip +0x$bump_next +0x$bump_next <bump\\+6>"
	expect_exit swwatch_guest_finishes "$guest_rc"

	if [ -n "$no_bp" ]; then
		for t in break hbreak watch; do skip "$t" "$no_bp"; done
	else
		gdb_breakpoint_tests
	fi

	# ---- threads: one per vCPU ----------------------------------------------
	sock=$work/threads.sock
	start_vm threads --kernel "$target" --gdb "unix:$sock" --gdb-wait --cpus 2
	bp=('break bump' continue 'info threads')
	[ -z "$no_bp" ] || bp=()
	wait_listen threads &&
		run_gdb threads "$sock" 'info threads' 'thread 2' \
			'info registers rip' 'thread 1' 'info registers rip' \
			"${bp[@]}" detach
	out=$work/threads.gdb
	touch "$out"
	expect threads_1 "$out" '^\* 1 +Thread 1 '
	expect threads_2 "$out" '^  2 +Thread 2 '
	expect threads_switch "$out" 'Switching to thread 2'
	# vCPU 1 waits for INIT/SIPI at the reset vector; vCPU 0 is at _start
	expect threads_ap_rip "$out" '^rip +0xfff0 '
	expect threads_bsp_rip "$out" "^rip +0x$start "
	if [ -n "$no_bp" ]; then
		skip threads_break "$no_bp"
	else
		# stopping a running guest kicks the AP out of its in-kernel wait too
		expect threads_break_hit "$out" "^Thread 1 hit Breakpoint 1, 0x0*$bump in bump"
		expect threads_after_break "$out" "^\\* 1 +Thread 1 +0x0*$bump in bump"
	fi
	expect_exit threads_guest_finishes "$guest_rc"
fi

# ---- raw protocol: robustness, breakpoint bytes, kill ---------------------
start_vm raw --kernel "$target" --gdb tcp::0 --gdb-wait
if wait_listen raw && port=$(tcp_port raw) && [ -n "$port" ] && rsp_open "$port"; then
	rsp_raw $'garbage\x03+-+'
	rsp_expect raw_after_garbage '?' 'T05thread:1;'
	rsp_raw '$g#00'
	got=$(rsp_reply)
	[ "$got" = "-" ] && pass raw_bad_checksum || fail raw_bad_checksum "got '$got'"
	rsp_raw "\$$(printf 'm%.0s' $(seq 20000))#00"
	got=$(rsp_reply)
	[ "$got" = "-" ] && pass raw_oversized || fail raw_oversized "got '${got:0:40}'"
	rsp_expect raw_unknown qKvminiNoSuchThing ''
	rsp_expect raw_malformed_m 'mzz,4' 'E01'
	rsp_expect raw_m_unmapped 'm7f0000000000,4' 'E..'
	rsp_expect raw_m_mmio 'mfec00000,4' 'E..' # paged, but no RAM there
	rsp_expect raw_bad_thread 'Hg99' 'E..'
	rsp_expect raw_thread_wraps 'Hg100000001' 'E..' # no int wrap to thread 1
	rsp_expect raw_thread_alive 'T1' 'OK'
	rsp_expect raw_thread_dead 'T5' 'E..'
	rsp_expect raw_threads qfThreadInfo 'm1'
	rsp_expect raw_vcont_query 'vCont?' 'vCont;c;C;s;S'
	rsp_expect raw_supported 'qSupported:swbreak+' 'PacketSize=[0-9a-f]+;qXfer:features:read\+.*'
	rsp_expect raw_xml 'qXfer:features:read:target.xml:0,40' 'm<\?xml version=.*'
	rsp_expect raw_bad_z 'Z0,zz' 'E01'
	rsp_expect raw_z0 "Z0,$bump,1" 'OK'
	if [ -z "$no_bp" ]; then
		rsp_expect raw_continue_to_bp c 'T05swbreak:;thread:1;'
	else # five instructions from _start to bump, as step_to_bump
		for i in 1 2 3 4 5; do
			rsp_send 'vCont;s:1'
			got=$(rsp_reply)
			[ "$got" = 'T05thread:1;' ] || break
		done
		[ "$got" = 'T05thread:1;' ] && pass raw_steps_to_bp ||
			fail raw_steps_to_bp "step $i: got '$got'"
	fi
	# rip (register 0x10) at bump, and memory shows the original byte
	rip_le=$(printf '%016x' "0x$bump" | sed -E 's/(..)(..)(..)(..)(..)(..)(..)(..)/\8\7\6\5\4\3\2\1/')
	rsp_expect raw_rip_at_bp p10 "$rip_le"
	rsp_expect raw_orig_byte "m$bump,1" 'ff'
	rsp_expect raw_mem_write "M$counter,4:05000000" 'OK'
	rsp_expect raw_mem_read "m$counter,4" '05000000'
	rsp_expect raw_z0_remove "z0,$bump,1" 'OK'
	rsp_expect raw_vcont_truncated 'vCont;C' 'E01'
	rsp_expect raw_vcont_bad_thread 'vCont;s:7' 'E01'
	rsp_expect raw_vcont_step 'vCont;s:1' 'T05thread:1;'
	rip_le=$(printf '%016x' "0x$bump_next" | sed -E 's/(..)(..)(..)(..)(..)(..)(..)(..)/\8\7\6\5\4\3\2\1/')
	rsp_expect raw_step_moved_rip p10 "$rip_le"
	rsp_expect raw_detach D 'OK'
	rsp_close
	# counter started at 5 instead of 0: ((10 + 20) << 1) | 1
	expect_exit raw_detached_guest_runs 61
else
	fail raw_connect "no TCP listener" "$work/raw.kvm"
fi

# attach to a running guest, lose the connection with a breakpoint in
# memory, attach again: the first stub session must have taken it out
start_vm drop --kernel "$spin" --gdb tcp::0 --cpus 2
if wait_listen drop && port=$(tcp_port drop) && [ -n "$port" ] && rsp_open "$port"; then
	rsp_expect drop_attach_stops '?' 'T05thread:1;'
	rsp_expect drop_z0 "Z0,$bump,1" 'OK'
	rsp_send c
	rsp_close
	if rsp_open "$port"; then
		rsp_expect drop_reattach '?' 'T05thread:1;'
		# Ctrl-C: the guest is spinning on port writes
		rsp_send c
		rsp_raw $'\x03'
		got=$(rsp_reply)
		[[ $got == T02thread:1\; ]] && pass ctrl_c_stops || fail ctrl_c_stops "got '$got'"
		rsp_expect ctrl_c_clear_spin "M$spin_var,4:00000000" 'OK'
		rsp_send c
		got=$(rsp_reply)
		# the guest ran past bump (no int3 left) and exited: W33 = 51
		[ "$got" = W33 ] && pass drop_bp_gone_exit_reported ||
			fail drop_bp_gone_exit_reported "got '$got', wanted W33"
		rsp_close
	else
		fail drop_reattach "cannot connect again"
	fi
	expect_exit drop_guest_finishes "$guest_rc"
else
	fail drop_connect "no TCP listener" "$work/drop.kvm"
fi

start_vm kill --kernel "$spin" --gdb tcp::0
if wait_listen kill && port=$(tcp_port kill) && [ -n "$port" ] && rsp_open "$port"; then
	rsp_expect kill_attach '?' 'T05thread:1;'
	rsp_send k
	expect_exit kill_exit_code 137
	rsp_close
else
	fail kill_connect "no TCP listener" "$work/kill.kvm"
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
