#!/usr/bin/env bash
# Managing running VMs (docs/management.md): three tiny guests in the
# background, then list, stat, pause/resume, stop, kill -9 and stale
# sockets, name rules, garbage on a control socket, shutdown through the
# ACPI power button, reboot.  KVMINI_RUNDIR is a private directory, so
# no real VM is ever seen or touched.  One line per check, then
# "N passed, N failed".  Usage: tests/mgmt.sh [KVMINI]
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
kvmini=$(realpath "${1:-$top/kvmini}")
guest=$top/build/guest-tests/mgmt_idle.elf
work=$(mktemp -d)
export KVMINI_RUNDIR=$work/run
declare -A pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
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
}
verdict() { # verdict NAME: passes when the last command succeeded
	if [ $? -eq 0 ]; then ok "$1"; else bad "$1"; fi
}
check() { # check NAME CMD...: passes when CMD succeeds
	local name=$1
	shift
	if "$@"; then ok "$name"; else bad "$name"; fi
}

if [ ! -e "$guest" ]; then
	echo "FAIL mgmt: $guest missing (make -C guest-tests)"
	echo "0 passed, 1 failed"
	exit 1
fi

# start NAME: a VM in the background; console (stdout) in $work/NAME.out
start() {
	"$kvmini" run --kernel "$guest" --mem 32M --name "$1" \
		</dev/null >"$work/$1.out" 2>&1 &
	pids[$1]=$!
}

# until_true CMD...: retries for up to 20 s (a bound for a stuck host,
# not a timing assertion: a slow host passes, only slower)
until_true() {
	for _ in $(seq 200); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

state_of() { "$kvmini" list 2>/dev/null | awk -v n="$1" '$2 == n { print $3 }'; }
exits_of() { "$kvmini" stat "$1" 2>/dev/null | awk '$1 == "all" && $2 == "total" { print $3 }'; }
is_state() { [ "$(state_of "$1")" = "$2" ]; }
exits_above() { local e; e=$(exits_of "$1"); [ -n "$e" ] && [ "$e" -gt "$2" ]; }
out_has() { grep -q -- "$2" "$work/$1.out"; }

# reap NAME: waits for the background kvmini; its exit code in $rc
reap() {
	{ wait "${pids[$1]}"; } 2>/dev/null # no "Killed" notes from bash
	rc=$?
	unset "pids[$1]"
}

start vm-a
start vm-b
start vm-c
for v in vm-a vm-b vm-c; do
	until_true is_state $v running || bad "start $v" "not listed as running"
done

# --- list ---------------------------------------------------------------
"$kvmini" list >"$work/list" 2>&1
check list_shows_three [ "$(grep -cE '^ [0-9]+ +vm-[abc] +running +1 +32 MiB' "$work/list")" -eq 3 ]
check list_pids [ "$(awk '$2 == "vm-a" { print $1 }' "$work/list")" = "${pids[vm-a]}" ]
"$kvmini" list --json >"$work/list.json"
check list_json python3 -c '
import json, sys
vms = json.load(open(sys.argv[1]))
assert sorted(v["name"] for v in vms) == ["vm-a", "vm-b", "vm-c"], vms
assert all(v["state"] == "running" and v["vcpus"] == 1 and
           v["mem_bytes"] == 32 << 20 and v["pid"] > 0 for v in vms), vms
' "$work/list.json"
[ "$(stat -c %a "$KVMINI_RUNDIR")" = 700 ] && [ "$(stat -c %a "$KVMINI_RUNDIR/vm-a.ctl")" = 600 ]
verdict rundir_modes

# --- stat ----------------------------------------------------------------
e0=$(exits_of vm-a)
check stat_exits_move until_true exits_above vm-a "${e0:-0}"
"$kvmini" stat vm-a --json >"$work/stat.json"
check stat_json python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
assert s["name"] == "vm-a" and s["vcpus"] == 1, s
ex = s["exits"]
assert ex["total"] > 0 and ex["by_reason"]["IO"] > 0, ex
assert ex["per_vcpu"][0]["total"] == ex["total"], ex
assert ex["per_vcpu"][0]["cpu_ns"] > 0, ex
pm = [d for d in s["devices"] if d["name"] == "acpi-pm"]
assert pm and pm[0]["reads"] > 0, s["devices"]
m = s["memory"]
assert m["guest_bytes"] == 32 << 20 and m["resident_bytes"] > 0, m
assert m["vmm_rss_bytes"] >= m["resident_bytes"], m
assert m["vmm_overhead_bytes"] == m["vmm_rss_bytes"] - m["resident_bytes"], m
' "$work/stat.json"
"$kvmini" stat vm-a >"$work/stat.txt"
check stat_text_sections grep -q '^memory' "$work/stat.txt"

# --- dumpconfig: the running VM's definition, read back by run --config ---
"$kvmini" dumpconfig vm-a >"$work/vm-a.conf" 2>"$work/err"
verdict dumpconfig
grep -qx 'name = vm-a' "$work/vm-a.conf" && grep -q "^kernel = .*mgmt_idle.elf" "$work/vm-a.conf"
verdict dumpconfig_content
"$kvmini" run --config "$work/vm-a.conf" --print-config >"$work/vm-a.again" 2>&1
cmp -s "$work/vm-a.conf" "$work/vm-a.again"
verdict dumpconfig_round_trip
"$kvmini" run --kernel "$guest" --mem 32M --name vm-a --print-config >"$work/vm-a.cli" 2>&1
cmp -s "$work/vm-a.conf" "$work/vm-a.cli"
verdict dumpconfig_equals_command_line

# --- pause / resume ------------------------------------------------------
check pause "$kvmini" pause vm-a
check pause_state is_state vm-a paused
p1=$(exits_of vm-a)
sleep 0.5 # time for exits that must not happen
p2=$(exits_of vm-a)
[ -n "$p1" ] && [ "$p1" = "$p2" ]
verdict paused_exits_frozen
"$kvmini" pause vm-a 2>"$work/err"
[ $? -eq 1 ] && grep -q 'already paused' "$work/err"
verdict pause_twice_refused
"$kvmini" shutdown vm-a 2>"$work/err"
[ $? -eq 1 ] && grep -q 'resume it first' "$work/err"
verdict shutdown_paused_refused
check resume "$kvmini" resume vm-a
check resumed_exits_move until_true exits_above vm-a "${p2:-0}"
check resume_state is_state vm-a running
"$kvmini" resume vm-a 2>"$work/err"
[ $? -eq 1 ] && grep -q 'not paused' "$work/err"
verdict resume_running_refused

# --- garbage on the socket ----------------------------------------------
python3 - "$KVMINI_RUNDIR/vm-a.ctl" >"$work/garbage" 2>&1 <<'PY'
import os, socket, sys
path = sys.argv[1]
def talk(data, shut=True):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(15)
    s.connect(path)
    s.sendall(data)
    if shut:
        s.shutdown(socket.SHUT_WR)
    out = b""
    while True:
        try:
            b = s.recv(65536)
        except ConnectionResetError:
            break
        if not b:
            break
        out += b
    s.close()
    return out
print(talk(os.urandom(3000) + b"\n" + bytes(range(256)) + b"\n"))
print(talk(b"x" * 100000))              # a line far too long
print(talk(b"bogus request\n\n" + b"stat " * 20 + b"\nhelp\n"))
print(talk(b"\xff\xfe\x00info\n"))
# many clients at once, each idle
held = [socket.socket(socket.AF_UNIX) for _ in range(40)]
for h in held:
    try:
        h.connect(path)
    except OSError:
        pass
for h in held:
    h.close()
# the held clients' slots free up as the server sees them go; until then
# the listen backlog may be full (connect: EAGAIN) or the server answers
# "too many clients" (10 s at most: a hang guard, not a timing check)
import time
out = b""
for _ in range(100):
    try:
        out = talk(b"info\r\n")
    except OSError as e:
        out = str(e).encode()
    if b"state running" in out:
        break
    time.sleep(0.1)
print(out)
PY
check garbage_answered_with_errors grep -q "error: request is not printable text" "$work/garbage"
check garbage_long_line grep -q "error: request longer than 4095 bytes" "$work/garbage"
check garbage_unknown grep -q "error: unknown request 'bogus'" "$work/garbage"
check garbage_then_info grep -q 'state running' "$work/garbage"
check garbage_vm_still_runs is_state vm-a running
e1=$(exits_of vm-a)
check garbage_vm_still_exits until_true exits_above vm-a "${e1:-0}"

# --- stop -----------------------------------------------------------------
check stop "$kvmini" stop vm-b
reap vm-b
check stop_exit_code [ "$rc" = 143 ]
check stop_not_listed [ -z "$(state_of vm-b)" ]
check stop_socket_gone [ ! -e "$KVMINI_RUNDIR/vm-b.ctl" ]
"$kvmini" stat vm-b 2>"$work/err"
[ $? -eq 1 ] && [ "$(tr -d '\r' <"$work/err")" = 'kvmini: no VM named vm-b is running' ]
verdict stat_gone_vm

# --- kill -9: the socket stays behind; list removes it ---------------------
kill -9 "${pids[vm-c]}"
reap vm-c
check stale_socket_left [ -S "$KVMINI_RUNDIR/vm-c.ctl" ]
"$kvmini" list >"$work/list" 2>"$work/err"
[ ! -e "$KVMINI_RUNDIR/vm-c.ctl" ] && grep -q 'VM vm-c is dead' "$work/err" && ! grep -q vm-c "$work/list"
verdict list_cleans_stale
# a dead VM's name can be taken again
start vm-c
check name_reused_after_kill until_true is_state vm-c running
check kill_cmd "$kvmini" kill vm-c
reap vm-c
check kill_cmd_exit [ "$rc" = 137 ]
check kill_cmd_socket_gone [ ! -e "$KVMINI_RUNDIR/vm-c.ctl" ]
# with --console socket, kill removes the console socket as well
"$kvmini" run --kernel "$guest" --mem 32M --name vm-k --detach >/dev/null 2>"$work/err"
check kill_console_started [ -S "$KVMINI_RUNDIR/vm-k.console" ]
"$kvmini" kill vm-k >/dev/null 2>&1
[ ! -e "$KVMINI_RUNDIR/vm-k.console" ] && [ ! -e "$KVMINI_RUNDIR/vm-k.ctl" ]
verdict kill_console_socket_gone

# --- names ------------------------------------------------------------------
# (timeout: should vm-a be gone, this run would take the name and go on)
timeout -k 5 60 "$kvmini" run --kernel "$guest" --mem 32M --name vm-a </dev/null >/dev/null 2>"$work/err"
[ $? -eq 1 ] && [ "$(tr -d '\r' <"$work/err")" = "kvmini: a VM named vm-a is already running (pid ${pids[vm-a]})" ]
verdict name_collision
check collision_keeps_socket is_state vm-a running
"$kvmini" run --kernel "$guest" --name 'bad/name' </dev/null >/dev/null 2>"$work/err"
[ $? -eq 2 ] && [ "$(wc -l <"$work/err")" -eq 1 ]
verdict bad_name
"$kvmini" run --kernel "$guest" --name '.hidden' </dev/null >/dev/null 2>"$work/err"
check dot_name [ $? -eq 2 ]
"$kvmini" pause 'x/y' 2>"$work/err"
check client_bad_name [ $? -eq 2 ]

# --- top ---------------------------------------------------------------------
"$kvmini" top --batch --interval 0.2 --iterations 2 >"$work/top" 2>&1
[ "$(grep -c '^kvmini top' "$work/top")" -eq 2 ] && grep -qE '^ [0-9]+ +vm-a +running' "$work/top"
verdict top_batch

# --- reboot: a new VM in the same process ----------------------------------
check reboot "$kvmini" reboot vm-a
booted_twice() { [ "$(grep -c 'mgmt_idle: running' "$work/vm-a.out")" -ge 2 ]; }
if until_true booted_twice; then ok reboot_boots_again; else
	bad reboot_boots_again
	sed 's/^/    | /' "$work/vm-a.out"
fi
check reboot_same_pid until_true is_state vm-a running
check reboot_pid_kept [ "$("$kvmini" list | awk '$2 == "vm-a" { print $1 }')" = "${pids[vm-a]}" ]

# --- shutdown: the guest sees the power button and powers off -------------
check shutdown "$kvmini" shutdown vm-a
reap vm-a
check shutdown_exit_code [ "$rc" = 0 ]
check shutdown_guest_saw_button out_has vm-a 'power button pressed'
check shutdown_socket_gone [ ! -e "$KVMINI_RUNDIR/vm-a.ctl" ]
# --timeout: waits for the end
start vm-d
until_true is_state vm-d running
check shutdown_timeout "$kvmini" shutdown vm-d --timeout 20
reap vm-d
check shutdown_timeout_exit [ "$rc" = 0 ]

# --- stop while a reset is under way: the stop wins ------------------------
start vm-e
until_true is_state vm-e running
# "stop" right behind "reboot" on one connection: it reaches the VM being
# reset (or, later, "restarting; try again", and then kvmini stop)
python3 - "$KVMINI_RUNDIR/vm-e.ctl" >"$work/reset-stop" 2>&1 <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(15)
s.connect(sys.argv[1])
s.sendall(b"reboot\nstop\n")
out = b""
while out.count(b"\n") < 2:
    b = s.recv(4096)
    if not b:
        break
    out += b
print(out.decode())
PY
grep -q 'try again' "$work/reset-stop" && "$kvmini" stop vm-e >/dev/null
vm_e_gone() { ! kill -0 "${pids[vm-e]}" 2>/dev/null; }
if until_true vm_e_gone; then
	reap vm-e
	check stop_during_reset [ "$rc" = 143 ]
else
	bad stop_during_reset "still running: $(tr '\n' ' ' <"$work/reset-stop")"
	kill -9 "${pids[vm-e]}"
	reap vm-e
fi

# --- usage -------------------------------------------------------------------
for c in list stat top pause resume shutdown reboot stop kill dumpconfig; do
	"$kvmini" $c --help >"$work/help" 2>&1
	[ $? -eq 0 ] && grep -q "^Usage: kvmini $c" "$work/help"
	verdict "help_$c"
done
"$kvmini" pause 2>"$work/err"
check usage_no_name [ $? -eq 2 ]
"$kvmini" list --bogus 2>"$work/err"
[ $? -eq 2 ] && [ "$(wc -l <"$work/err")" -eq 1 ]
verdict usage_bad_option
"$kvmini" list --json --timeout 3 2>"$work/err"
check usage_option_of_other_cmd [ $? -eq 2 ]
"$kvmini" top --interval 0 2>"$work/err"
check usage_bad_interval [ $? -eq 2 ]
"$kvmini" list >"$work/list"
check list_empty_at_end [ "$(wc -l <"$work/list")" -eq 2 ]

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
