# console.sh: the serial console of a background VM (docs/management.md).
# Debian's cloud kernel boots under `kvmini run --detach`; `kvmini console`
# waits for its shell, types a command and sees its output, detaches with
# Ctrl-A d (the VM keeps running), re-attaches and finds the earlier output
# in the ring, then powers the guest off through the console.
# shellcheck shell=dash disable=SC2016 # $(...) is typed into the guest
# shellcheck source-path=SCRIPTDIR source=../scenario-lib.sh
. /lab/scenario-lib.sh

export KVMINI_RUNDIR=/tmp/kvmini-run

# attach ID EXPECTED [console options...]: kvmini console deb, with stdin
# from /tmp/console.in; EXPECTED (a fixed string) must be in its output
attach() {
	local id=$1 want=$2 rc=0
	shift 2
	"$KVMINI" console deb "$@" </tmp/console.in >/tmp/console.out \
		2>/tmp/console.err || rc=$?
	sed 's/^/[console] /' /tmp/console.out /tmp/console.err | tail -n 20
	if [ "$rc" -eq 0 ] && grep -qF -- "$want" /tmp/console.out /tmp/console.err; then
		result "console-$id" PASS
	else
		result "console-$id" FAIL "rc=$rc, no '$want'"
		return 1
	fi
}

line=$("$KVMINI" run --kernel /lab/vmlinuz-cloud --initrd /lab/initrd-l2.gz \
	--mem 512M --name deb --detach 2>/tmp/detach.err)
pid=${line##* }
if [ "$line" = "deb $pid" ] && kill -0 "$pid" 2>/dev/null; then
	result console-detach PASS
else
	result console-detach FAIL "printed '$line': $(cat /tmp/detach.err)"
	lab_done
	exit 1
fi
if [ -S "$KVMINI_RUNDIR/deb.console" ]; then
	result console-socket PASS
else
	result console-socket FAIL "no $KVMINI_RUNDIR/deb.console"
fi

: >/tmp/console.in
attach boot KVMINI-L2-READY --until KVMINI-L2-READY --timeout 300
printf 'echo RESULT-$((6*7))\n' >/tmp/console.in
attach command RESULT-42 --no-replay --until RESULT-42 --timeout 60
# Ctrl-A d after a command: the client leaves, the guest runs it anyway
printf 'echo AWAY-$((2+3))\n\001d' >/tmp/console.in
attach ctrl-a-d 'detached from deb'
if kill -0 "$pid" 2>/dev/null; then
	result console-still-running PASS
else
	result console-still-running FAIL
fi
# re-attach: the ring replays what the guest printed meanwhile
: >/tmp/console.in
attach reattach-replay AWAY-5 --until AWAY-5 --timeout 60
printf 'poweroff -f\n' >/tmp/console.in
attach vm-ends 'the VM deb has ended' --no-replay --timeout 120
for _ in $(seq 100); do
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.2
done
if ! kill -0 "$pid" 2>/dev/null && [ ! -e "$KVMINI_RUNDIR/deb.console" ]; then
	result console-socket-removed PASS
else
	result console-socket-removed FAIL "pid $pid or the socket is still there"
	kill -9 "$pid" 2>/dev/null
fi
lab_done
