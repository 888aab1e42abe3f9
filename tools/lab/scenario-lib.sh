# shellcheck shell=dash
# scenario-lib.sh: helpers for KVM lab scenarios. Scenarios run with busybox
# sh inside L1 and start with `. /lab/scenario-lib.sh` (L1's /init has sourced
# it too). Functions:
#
#   result NAME PASS|FAIL [DETAIL...]  print `LAB-RESULT NAME PASS|FAIL DETAIL`
#   check NAME CMD [ARG...]            run CMD; result NAME PASS or FAIL (rc=N)
#   lab_done                           kill leftover VMs, print LAB-DONE (last!)
#   vm_start NAME ARG...               `kvmini run ARG...` in the background,
#                                      stdin from a FIFO, stdout+stderr to
#                                      /tmp/NAME.out (at most 7 VMs at a time)
#   vm_wait_for NAME PATTERN [SECS [SINCE]]
#                                      poll /tmp/NAME.out (from byte SINCE, see
#                                      vm_mark) until grep PATTERN (basic
#                                      regex) matches: 0; timeout (default
#                                      30 s): 1; VM exited without match: 2
#   vm_mark NAME                       print the current size of /tmp/NAME.out
#   vm_send NAME TEXT                  write TEXT plus a newline to the VM
#   vm_send_raw NAME FORMAT            write printf-%b FORMAT (e.g. '\003')
#   vm_wait_exit NAME [SECS]           wait for the VM to exit (default 30 s),
#                                      print and return its exit status; on
#                                      timeout kill it and print/return 124
#   vm_kill NAME                       SIGTERM (then SIGKILL) the VM, reap it
#   vm_log NAME                        print /tmp/NAME.out with "[NAME] " prefixes
#   vm_boot NAME ARG...                vm_start, then wait BOOT_TIMEOUT (240 s)
#                                      for KVMINI-L2-READY: result NAME-boot
#   vm_ask NAME ID COMMAND EXPECTED    type COMMAND, wait for EXPECTED (60 s):
#                                      result NAME-ID
#   vm_finish NAME COMMAND             COMMAND must end kvmini with exit code
#                                      0: result NAME-<first word>-exit0
#
# The script side keeps each VM's FIFO open on an fd (3..9) so kvmini never
# sees EOF on stdin; the fd is closed once the VM has exited. Call
# vm_wait_exit/vm_kill in the main shell, not inside $(...), so that it can
# close the fd there ("rc=$(vm_wait_exit x)" works but leaves it to the next
# vm_start to notice). The kvmini binary is $KVMINI (default /bin/kvmini).

KVMINI=${KVMINI:-/bin/kvmini}
LAB_VMDIR=${LAB_VMDIR:-/tmp/vm}

result() {
	if [ $# -lt 2 ]; then
		echo "result: usage: result NAME PASS|FAIL [DETAIL...]" >&2
		return 2
	fi
	_lab_name=$1 _lab_status=$2
	shift 2
	case $_lab_status in
	PASS | FAIL) ;;
	*)
		set -- "bad status '$_lab_status'" "$@"
		_lab_status=FAIL
		;;
	esac
	echo "LAB-RESULT $_lab_name $_lab_status${*:+ $*}"
}

check() {
	local name=$1 rc=0
	shift
	"$@" || rc=$?
	if [ "$rc" -eq 0 ]; then
		result "$name" PASS
	else
		result "$name" FAIL "rc=$rc: $*"
	fi
	return "$rc"
}

lab_done() {
	local d
	for d in "$LAB_VMDIR"/*; do
		[ -f "$d/pid" ] || continue
		if [ ! -e "$d/rc" ]; then
			echo "lab_done: VM ${d##*/} still running, killing it" >&2
			vm_kill "${d##*/}" >/dev/null
		fi
	done
	echo LAB-DONE
}

# _lab_now: centiseconds since boot (/proc/uptime has two decimals).
_lab_now() {
	local up rest
	read -r up rest </proc/uptime
	echo "${up%.*}${up#*.}"
}

# _vm_free_fd: first fd in 3..9 the main shell does not have open.
_vm_free_fd() {
	local fd
	for fd in 3 4 5 6 7 8 9; do
		if [ ! -e "/proc/$$/fd/$fd" ]; then
			echo "$fd"
			return 0
		fi
	done
	return 1
}

# _vm_close NAME: close the script side of NAME's FIFO (main shell only).
_vm_close() {
	local d=$LAB_VMDIR/$1 fd
	[ -f "$d/fd" ] || return 0
	fd=$(cat "$d/fd")
	rm -f "$d/fd"
	eval "exec $fd>&-"
}

# _vm_reap: close the FIFO fds of all VMs that have exited.
_vm_reap() {
	local d
	for d in "$LAB_VMDIR"/*; do
		[ -e "$d/rc" ] && _vm_close "${d##*/}"
	done
	return 0
}

vm_start() {
	local name=$1 d fd
	if [ $# -lt 1 ] || [ -z "$name" ]; then
		echo "vm_start: usage: vm_start NAME ARG..." >&2
		return 2
	fi
	shift
	d=$LAB_VMDIR/$name
	_vm_reap
	if [ -f "$d/pid" ] && [ ! -e "$d/rc" ]; then
		echo "vm_start: VM '$name' is already running" >&2
		return 1
	fi
	if ! fd=$(_vm_free_fd); then
		echo "vm_start: no free fd in 3..9 (too many VMs?)" >&2
		return 1
	fi
	rm -rf "$d" "/tmp/$name.out"
	mkdir -p "$d"
	mkfifo "$d/in"
	(
		for f in 3 4 5 6 7 8 9; do eval "exec $f>&-"; done
		"$KVMINI" run "$@" <"$d/in" >"/tmp/$name.out" 2>&1 &
		echo $! >"$d/pid"
		wait $!
		echo $? >"$d/rc.tmp"
		mv "$d/rc.tmp" "$d/rc"
	) &
	# Blocks until kvmini's side has opened the FIFO for reading.
	eval "exec $fd>\"\$d/in\""
	echo "$fd" >"$d/fd"
}

vm_mark() {
	wc -c <"/tmp/$1.out" 2>/dev/null || echo 0
}

vm_wait_for() {
	local name=$1 pat=$2 secs=${3:-30} since=${4:-0} out=/tmp/$1.out end
	end=$(($(_lab_now) + secs * 100))
	while :; do
		if tail -c +$((since + 1)) "$out" 2>/dev/null | grep -q -e "$pat"; then
			return 0
		fi
		if [ -e "$LAB_VMDIR/$name/rc" ]; then
			# It may have printed the pattern just before exiting.
			tail -c +$((since + 1)) "$out" 2>/dev/null | grep -q -e "$pat" && return 0
			echo "vm_wait_for: $name exited (status $(cat "$LAB_VMDIR/$name/rc")) without '$pat'" >&2
			return 2
		fi
		if [ "$(_lab_now)" -ge "$end" ]; then
			echo "vm_wait_for: no '$pat' from $name within ${secs}s" >&2
			return 1
		fi
		sleep 0.2
	done
}

# _vm_write NAME PRINTF-FORMAT ARG: printf to NAME's FIFO.
_vm_write() {
	local d=$LAB_VMDIR/$1 fd
	if [ ! -f "$d/fd" ] || [ -e "$d/rc" ]; then
		echo "vm_send: VM '$1' is not running" >&2
		return 1
	fi
	fd=$(cat "$d/fd")
	# In a subshell with SIGPIPE ignored, so a VM that just died cannot
	# take the scenario down with it.
	(
		trap '' PIPE
		eval 'printf "$2" "$3" >&'"$fd"
	)
}

vm_send() {
	_vm_write "$1" '%s\n' "$2"
}

vm_send_raw() {
	_vm_write "$1" '%b' "$2"
}

vm_kill() {
	local d=$LAB_VMDIR/$1 pid n=0
	pid=$(cat "$d/pid" 2>/dev/null) || return 0
	[ -e "$d/rc" ] || kill -TERM "$pid" 2>/dev/null
	while [ ! -e "$d/rc" ] && [ "$n" -lt 25 ]; do
		sleep 0.2
		n=$((n + 1))
	done
	[ -e "$d/rc" ] || kill -KILL "$pid" 2>/dev/null
	while [ ! -e "$d/rc" ] && [ "$n" -lt 50 ]; do
		sleep 0.2
		n=$((n + 1))
	done
	_vm_close "$1"
}

vm_wait_exit() {
	local name=$1 secs=${2:-30} d=$LAB_VMDIR/$1 end rc
	if [ ! -f "$d/pid" ]; then
		echo "vm_wait_exit: no VM '$name'" >&2
		return 1
	fi
	end=$(($(_lab_now) + secs * 100))
	while [ ! -e "$d/rc" ]; do
		if [ "$(_lab_now)" -ge "$end" ]; then
			echo "vm_wait_exit: $name still running after ${secs}s, killing it" >&2
			vm_kill "$name"
			echo 124
			return 124
		fi
		sleep 0.2
	done
	rc=$(cat "$d/rc")
	_vm_close "$name"
	echo "$rc"
	return "$rc"
}

vm_log() {
	if [ -f "/tmp/$1.out" ]; then
		awk -v p="[$1] " '{ gsub(/\r/, ""); print p $0 }' "/tmp/$1.out"
	else
		echo "[$1] (no output file /tmp/$1.out)"
	fi
}

vm_boot() {
	local name=$1
	vm_start "$@" || return 1
	if vm_wait_for "$name" KVMINI-L2-READY "${BOOT_TIMEOUT:-240}"; then
		result "$name-boot" PASS
		return 0
	fi
	result "$name-boot" FAIL "no KVMINI-L2-READY"
	vm_log "$name" | tail -n 40
	vm_kill "$name"
	return 1
}

vm_ask() {
	local name=$1 id=$2 cmd=$3 want=$4
	vm_send "$name" "$cmd"
	if vm_wait_for "$name" "$want" 60; then
		result "$name-$id" PASS
	else
		result "$name-$id" FAIL "wanted '$want'"
		vm_log "$name" | tail -n 20
	fi
}

vm_finish() {
	local name=$1 cmd=$2 rc
	vm_send "$name" "$cmd"
	vm_wait_exit "$name" 60 >"$LAB_VMDIR/$name.finish-rc"
	rc=$(cat "$LAB_VMDIR/$name.finish-rc")
	if [ "$rc" = 0 ]; then
		result "$name-${cmd%% *}-exit0" PASS
	else
		result "$name-${cmd%% *}-exit0" FAIL "exit code $rc"
		vm_log "$name" | tail -n 20
	fi
}
