# mgmt.sh: managing a running Linux VM through its control socket
# (docs/management.md), inside the lab's L1: Debian's cloud kernel boots
# under kvmini with a name; `kvmini list` shows it, `stat` counts its
# exits, `pause` freezes them and `resume` brings the shell back, and
# `kvmini shutdown` presses the ACPI power button: the guest's watcher
# (tools/lab/mkinitramfs-l2.sh) sees KEY_POWER and powers off, and kvmini
# exits 0 and removes its socket.
# shellcheck shell=dash disable=SC2016 # $(...) is typed into the guest
# shellcheck source-path=SCRIPTDIR source=../scenario-lib.sh
. /lab/scenario-lib.sh

KVMINI_RUNDIR=/tmp/kvmini-run
export KVMINI_RUNDIR

# exits_total NAME: the VM's total exit count (kvmini stat)
exits_total() {
	"$KVMINI" stat "$1" | awk '$1 == "all" && $2 == "total" { print $3 }'
}

name=mgmt
if vm_boot "$name" --kernel /lab/vmlinuz-cloud --initrd /lab/initrd-l2.gz \
	--mem 512M --cpus 2 --name "$name" --cmdline console=ttyS0; then
	"$KVMINI" list >/tmp/list.out 2>&1
	cat /tmp/list.out
	check mgmt-listed grep -q " $name  *running  *2  *512 MiB" /tmp/list.out
	vm_ask "$name" power-button-device \
		'echo PWRBTN=$(grep -c "Power Button" /proc/bus/input/devices)' \
		'PWRBTN=[1-9]'
	"$KVMINI" stat "$name"
	check mgmt-pause "$KVMINI" pause "$name"
	e1=$(exits_total "$name")
	sleep 1
	e2=$(exits_total "$name")
	check mgmt-paused-exits-frozen [ "${e1:-none}" = "${e2:-other}" ]
	check mgmt-resume "$KVMINI" resume "$name"
	vm_ask "$name" alive-after-resume 'echo RESUMED-$((40+2))' 'RESUMED-42'
	e3=$(exits_total "$name")
	check mgmt-exits-move-after-resume [ "${e3:-0}" -gt "${e2:-0}" ]
	check mgmt-shutdown "$KVMINI" shutdown "$name"
	if vm_wait_for "$name" KVMINI-L2-POWER-BUTTON 60; then
		result mgmt-guest-saw-power-button PASS
	else
		result mgmt-guest-saw-power-button FAIL
		vm_log "$name" | tail -n 30
	fi
	vm_wait_exit "$name" 60 >/tmp/mgmt.rc
	rc=$(cat /tmp/mgmt.rc)
	check mgmt-shutdown-exit0 [ "$rc" = 0 ]
	check mgmt-socket-removed [ ! -e "$KVMINI_RUNDIR/$name.ctl" ]
fi

lab_done
