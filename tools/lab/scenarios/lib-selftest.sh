# lib-selftest.sh: exercises scenario-lib.sh without kvmini: a stand-in
# "VM" (a shell script) is started with vm_start and driven through the FIFO.
# Also runs on the host: LAB_LIB=tools/lab/scenario-lib.sh busybox sh THIS.
# shellcheck shell=dash
# shellcheck source-path=SCRIPTDIR source=../scenario-lib.sh
. "${LAB_LIB:-/lab/scenario-lib.sh}"

# pass_if NAME CONDITION...: PASS if `test CONDITION` holds, else FAIL.
pass_if() {
	local name=$1
	shift
	if [ "$@" ]; then
		result "$name" PASS
	else
		result "$name" FAIL "[ $* ] is false"
	fi
}

fake=/tmp/fake-vm.sh
cat >"$fake" <<'VM'
#!/bin/sh
# Stand-in for `kvmini run ARGS`: echoes its args, then runs a shell on stdin.
shift
echo "FAKE-VM args: $*"
echo FAKE-VM-READY
exec sh
VM
chmod +x "$fake"
export KVMINI="$fake"

vm_start a one two
if vm_wait_for a FAKE-VM-READY 10 && vm_wait_for a 'args: one two$' 1; then
	result lib-start PASS
else
	result lib-start FAIL
	vm_log a
fi

mark=$(vm_mark a)
# shellcheck disable=SC2016 # expanded by the VM's shell
vm_send a 'echo "ANSWER=$((6 * 7))"'
if vm_wait_for a 'ANSWER=42' 10 "$mark"; then
	result lib-send PASS
else
	result lib-send FAIL
	vm_log a
fi

# A second VM at the same time gets its own FIFO.
vm_start b
vm_wait_for b FAKE-VM-READY 10
vm_send b 'exit 3'
rc=0
vm_wait_exit b 10 >/dev/null || rc=$?
pass_if lib-exit-code "$rc" = 3

if vm_wait_for a 'never printed' 1; then
	result lib-wait-timeout FAIL "matched"
else
	rc=$?
	pass_if lib-wait-timeout "$rc" = 1
fi

vm_send a 'sleep 100'
rc=0
vm_wait_exit a 1 >/dev/null || rc=$?
pass_if lib-exit-timeout "$rc" = 124
if vm_send a 'echo too late' 2>/dev/null; then
	result lib-send-dead FAIL "send to a dead VM succeeded"
else
	result lib-send-dead PASS
fi

vm_start c
vm_wait_for c FAKE-VM-READY 10
vm_send c 'exit 0'
rc=0
vm_wait_for c nothing 10 || rc=$?
pass_if lib-wait-exited "$rc" = 2
if vm_log c | grep -q '^\[c\] FAKE-VM-READY$'; then
	result lib-log PASS
else
	result lib-log FAIL
fi
lab_done
