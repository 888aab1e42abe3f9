#!/usr/bin/env bash
# Direct-tier runner: boots every tiny guest on this host's /dev/kvm with a
# timeout and checks its exit code and console output.  One line per test,
# then "N passed, N failed, N skipped".
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
kvmini=${KVMINI:-$top/kvmini}
guests=${GUEST_DIR:-$top/build/guest-tests}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0 skipped=0

# output_matches PATTERN FILE: an ERE, !ERE for "must not appear",
# or EMPTY for no output at all
output_matches() {
	if [ "$1" = EMPTY ]; then
		[ ! -s "$2" ]
	elif [ "${1#!}" != "$1" ]; then
		! grep -Eq -- "${1#!}" "$2"
	else
		grep -Eq -- "$1" "$2"
	fi
}

# run_guest NAME EXPECTED_RC PATTERN [kvmini run args...]
# stdin comes from $work/NAME.in when that file exists.
run_guest() {
	local name=$1 want_rc=$2 pattern=$3 rc
	shift 3
	local in=/dev/null
	[ -e "$work/$name.in" ] && in=$work/$name.in
	timeout -k 5 30 "$kvmini" run "$@" <"$in" >"$work/$name.out" 2>&1
	rc=$?
	if [ "$rc" -eq "$want_rc" ] && output_matches "$pattern" "$work/$name.out"; then
		echo "PASS $name"
		passed=$((passed + 1))
	else
		echo "FAIL $name (exit $rc, wanted $want_rc; output:)"
		sed 's/^/    | /' "$work/$name.out" | head -20
		failed=$((failed + 1))
	fi
}

if ! "$kvmini" check >/dev/null 2>&1 && [ ! -r /dev/kvm ]; then
	echo "SKIP all direct guest-tests: no usable /dev/kvm here"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi

g=$guests
run_guest hello_pvh 0 'hello from a PVH guest' --kernel "$g/hello_pvh.elf" --mem 16M
run_guest hello64 0 'hello from a 64-bit guest' --kernel "$g/hello64.elf" --mem 16M
run_guest triple_fault 4 'triple fault.*register dump' --kernel "$g/triple_fault.elf" --mem 16M
run_guest triple_fault_regs 4 'RAX=00000000deadbeef' --kernel "$g/triple_fault.elf" --mem 16M
run_guest kbd_reset 0 '^boot' --kernel "$g/kbd_reset.elf" --mem 16M
run_guest acpi_reset 0 'acpi reset' --kernel "$g/acpi_reset.elf" --mem 16M
run_guest unclaimed 0 'PASS unclaimed' --kernel "$g/unclaimed.elf" --mem 16M
printf 'hello world q' >"$work/uart_echo.in"
run_guest uart_echo 0 'HELLO WORLD' --kernel "$g/uart_echo.elf" --mem 16M
# Ctrl-A x quits (exit 0) before the guest would see 'q'
printf 'ab\001xq' >"$work/ctrl_a_quit.in"
run_guest ctrl_a_quit 0 '!bye' --kernel "$g/uart_echo.elf" --mem 16M
# Ctrl-A Ctrl-A sends one Ctrl-A through; the guest echoes it back
printf 'a\001\001bq' >"$work/ctrl_a_send.in"
run_guest ctrl_a_send 0 $'A\001B' --kernel "$g/uart_echo.elf" --mem 16M
run_guest console_none 0 EMPTY --kernel "$g/hello_pvh.elf" --mem 16M --console none
run_guest console_file 0 EMPTY --kernel "$g/hello_pvh.elf" --mem 16M \
	--console "file:$work/console.log"
if grep -q 'hello from a PVH guest' "$work/console.log" 2>/dev/null; then
	echo "PASS console_file_content"; passed=$((passed + 1))
else
	echo "FAIL console_file_content"; failed=$((failed + 1))
fi
run_guest big_mem_split 0 'hello from a PVH guest' --kernel "$g/hello_pvh.elf" --mem 4G
run_guest smp_boot_cpu 0 'hello from a 64-bit guest' --kernel "$g/hello64.elf" --mem 16M --cpus 4

# Guest RAM is touched lazily: a 2 GiB guest costs kvmini only what it uses.
mkfifo "$work/rss.in"
"$kvmini" run --kernel "$g/uart_echo.elf" --mem 2G <"$work/rss.in" \
	>"$work/rss.out" 2>&1 &
pid=$!
exec 9>"$work/rss.in"
for _ in $(seq 50); do
	grep -q 'echo ready' "$work/rss.out" && break
	sleep 0.1
done
rss_kb=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null)
echo q >&9
exec 9>&-
wait "$pid"
rc=$?
if [ "$rc" -eq 0 ] && [ -n "$rss_kb" ] && [ "$rss_kb" -lt 65536 ]; then
	echo "PASS lazy_ram (2 GiB guest, kvmini RSS ${rss_kb} KiB)"
	passed=$((passed + 1))
else
	echo "FAIL lazy_ram (exit $rc, RSS ${rss_kb:-?} KiB for a 2 GiB guest)"
	failed=$((failed + 1))
fi

# --reboot restart: the guest boots again after each reset until SIGTERM
timeout --preserve-status -k 5 -s TERM 3 "$kvmini" run --kernel "$g/kbd_reset.elf" --mem 16M \
	--reboot restart </dev/null >"$work/restart.out" 2>&1
rc=$?
boots=$(grep -c '^boot' "$work/restart.out")
if [ "$rc" -eq 143 ] && [ "$boots" -ge 2 ]; then
	echo "PASS reboot_restart ($boots boots, exit 143 on SIGTERM)"
	passed=$((passed + 1))
else
	echo "FAIL reboot_restart (exit $rc, $boots boots)"
	failed=$((failed + 1))
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
