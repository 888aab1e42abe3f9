# blk.sh: the virtio-blk acceptance scenario, run inside the lab's L1.
#
# Images made with `kvmini img create` in L1's /tmp (tmpfs):
#   A  64 MiB, read-write, serial=kvmini-a; L1 writes a pattern at sector 100
#   B   8 MiB, read-only (,ro); L1 writes a pattern at sector 0
#   C  64 MiB, read-write, gets an ext4 file system
# Three boots:
#   msix     cloud kernel, 2 vCPUs, A and B (vda, vdb), MSI-X: the disks,
#            serial, sizes, a request queue per vCPU (VIRTIO_BLK_F_MQ) for A
#            and one for B (queues=1), each with its MSI-X vector, reads
#            L1's pattern, a second kvmini with
#            A fails on the lock while this one runs, writing vdb fails,
#            writes a pattern at sector 2048 of vda, poweroff; L1 finds the
#            pattern in A and B unchanged
#   intx     the same with pci=nomsi (INTx through the IO-APIC), plus C as
#            vdc: mke2fs, mount, copy /bin/busybox, compare, umount, e2fsck
#   remount  generic kernel, C alone (vda): the copy is still intact, e2fsck
# and `kvmini img info` on A in between.
# shellcheck shell=dash disable=SC2016 # $(...) and $? are typed into the guest
# shellcheck source-path=SCRIPTDIR source=../scenario-lib.sh
. /lab/scenario-lib.sh

A=/tmp/a.img
B=/tmp/b.img
C=/tmp/c.img
MIB=1048576
CPUS=1 # vCPUs of the next boot

# pattern TAG: 4 KiB, 128 lines of 32 bytes (TAG must have 4 characters).
# The guest types the same awk program, so the bytes are the same on both
# sides.
pattern() {
	awk -v t="$1" 'BEGIN { for (i = 0; i < 128; i++) printf "%s:%026d\n", t, i }'
}

md5() {
	md5sum <"$1" | cut -c1-32
}

# mkimg FILE MIB: kvmini img create, or (recorded by the caller) truncate
mkimg() {
	if kvmini img create "$1" "${2}M" >/tmp/img-create.out 2>&1; then
		return 0
	fi
	sed 's/^/[img-create] /' /tmp/img-create.out
	truncate -s "${2}M" "$1"
	return 1
}

images() {
	local bad="" f
	rm -f "$A" "$B" "$C"
	mkimg "$A" 64 || bad="$bad a"
	mkimg "$B" 8 || bad="$bad b"
	mkimg "$C" 64 || bad="$bad c"
	if [ -n "$bad" ]; then
		result img-create FAIL "kvmini img create failed for:$bad (used truncate -s)"
	elif [ "$(stat -c %s "$A")" != $((64 * MIB)) ] ||
		[ "$(stat -c %s "$B")" != $((8 * MIB)) ]; then
		result img-create FAIL "sizes $(stat -c %s "$A") $(stat -c %s "$B")"
	elif [ "$(du -k "$A" | cut -f1)" -gt 64 ]; then
		result img-create FAIL "not sparse: $(du -k "$A" | cut -f1) KiB used"
	else
		result img-create PASS "64M and 8M, $(du -k "$A" | cut -f1) KiB used"
	fi
	f=$(md5 "$C")
	if kvmini img create "$C" 1M >/tmp/img-create.out 2>&1; then
		result img-no-overwrite FAIL "created over an existing image"
	elif [ "$(md5 "$C")" != "$f" ] || [ "$(stat -c %s "$C")" != $((64 * MIB)) ]; then
		result img-no-overwrite FAIL "the existing image changed"
	else
		result img-no-overwrite PASS "$(head -n 1 /tmp/img-create.out)"
	fi
	pattern pre1 >/tmp/p.l1
	dd if=/tmp/p.l1 of="$A" bs=512 seek=100 conv=notrunc 2>/dev/null
	pattern rodk >/tmp/p.b
	dd if=/tmp/p.b of="$B" conv=notrunc 2>/dev/null
	B_MD5=$(md5 "$B")
}

# boot NAME KERNEL CMDLINE DISK...
boot() {
	local name=$1 kernel=$2 cmdline=$3 d
	shift 3
	# DISK... -> --disk DISK... (the for list is expanded once, up front)
	for d in "$@"; do
		set -- "$@" --disk "$d"
		shift
	done
	vm_boot "$name" --kernel "/lab/vmlinuz-$kernel" --initrd /lab/initrd-l2.gz \
		--mem 512M --cpus "$CPUS" --cmdline "$cmdline" "$@"
}

# last_line NAME SINCE REGEX: the last output line from SINCE matching REGEX
last_line() {
	tail -c +$(($2 + 1)) "/tmp/$1.out" | tr -d '\r' | grep -e "$3" | tail -n 1
}

# disks NAME N: vda.. present, vda's serial, sizes, vdb read-only, L1's
# pattern at sector 100 of vda reads back
disks() {
	local name=$1 n=$2
	vm_ask "$name" devices 'echo VD=$(ls /sys/block | grep -c "^vd[a-z]$")' "VD=$n"
	vm_ask "$name" serial 'echo SER=$(cat /sys/block/vda/serial)' 'SER=kvmini-a'
	vm_ask "$name" sizes 'echo SZ=$(cat /sys/block/vda/size)/$(cat /sys/block/vdb/size)' \
		'SZ=131072/16384'
	vm_ask "$name" vdb-ro-flag 'echo RO=$(cat /sys/block/vda/ro)$(cat /sys/block/vdb/ro)' 'RO=01'
	vm_ask "$name" read-l1-pattern \
		'echo RD=$(dd if=/dev/vda bs=512 skip=100 count=8 2>/dev/null | md5sum)' \
		"RD=$(md5 /tmp/p.l1)"
}

# lock_test NAME: while NAME has A open read-write, a second kvmini with A
# must exit 1 at once and say why; NAME keeps running
lock_test() {
	local name=$1 rc=0 t0 secs
	t0=$(_lab_now)
	timeout 60 kvmini run --kernel /lab/vmlinuz-cloud --initrd /lab/initrd-l2.gz \
		--mem 256M --cmdline console=ttyS0 --disk "$A" </dev/null >/tmp/lock.out 2>&1 || rc=$?
	secs=$((($(_lab_now) - t0) / 100))
	if [ "$rc" = 1 ] && grep -qi lock /tmp/lock.out && [ "$secs" -lt 10 ]; then
		result "$name-second-rw-locked" PASS "rc=1 in ${secs}s: $(grep -i lock /tmp/lock.out | head -n 1)"
	else
		result "$name-second-rw-locked" FAIL "rc=$rc after ${secs}s"
		sed 's/^/[lock] /' /tmp/lock.out | tail -n 20
	fi
	vm_ask "$name" alive-after-lock 'echo ALIVE=$((40 + 2))' 'ALIVE=42'
}

# ro_write NAME: writing vdb (from guest_write's /tmp/p) fails in the guest;
# the detail says how
ro_write() {
	local name=$1 since line how
	since=$(vm_mark "$name")
	vm_send "$name" 'dd if=/tmp/p of=/dev/vdb bs=4096 oflag=direct 2>/tmp/e; echo ROWR=$? $(grep -v records /tmp/e)'
	if ! vm_wait_for "$name" 'ROWR=[0-9]' 60 "$since"; then
		result "$name-ro-write-fails" FAIL "no answer"
		vm_log "$name" | tail -n 20
		return
	fi
	line=$(last_line "$name" "$since" '^ROWR=[0-9]')
	case $line in
	ROWR=0*) result "$name-ro-write-fails" FAIL "the write succeeded: $line" && return ;;
	*"Read-only file system"*) how=EROFS ;;
	*"Operation not permitted"*) how=EPERM ;;
	*"I/O error"*) how=EIO ;;
	*) how=other ;;
	esac
	result "$name-ro-write-fails" PASS "$how: ${line#ROWR=}"
}

# guest_write NAME TAG: the guest writes pattern TAG at sector 2048 of vda
# (O_DIRECT), then syncs
guest_write() {
	vm_send "$1" "awk 'BEGIN{for(i=0;i<128;i++)printf \"%s:%026d\\n\",\"$2\",i}' >/tmp/p"
	vm_ask "$1" write \
		'dd if=/tmp/p of=/dev/vda bs=4096 seek=256 oflag=direct 2>/dev/null && sync; echo WR=$?' \
		'WR=0'
}

# after_exit NAME TAG: (VM gone) the pattern is in A, B is unchanged
after_exit() {
	pattern "$2" >"/tmp/p.$2"
	if dd if="$A" bs=4096 skip=256 count=1 2>/dev/null | cmp -s - "/tmp/p.$2"; then
		result "$1-data-on-disk" PASS
	else
		result "$1-data-on-disk" FAIL "sector 2048 of $A is not the $2 pattern"
		dd if="$A" bs=512 skip=2048 count=1 2>/dev/null | hexdump -C | head -n 8
	fi
	if [ "$(md5 "$B")" = "$B_MD5" ]; then
		result "$1-ro-unchanged" PASS
	else
		result "$1-ro-unchanged" FAIL "md5 $(md5 "$B"), was $B_MD5"
	fi
}

# dmesg_clean NAME: no I/O errors (but those of the vdb write) or virtio
# errors in the guest's log
dmesg_clean() {
	vm_ask "$1" dmesg-clean \
		'echo ERRS=$(dmesg | grep -iE "I/O error|virtio.*(error|fail)" | grep -vc "dev vdb")' \
		'ERRS=0'
}

# guest_lines NAME: for the log, what the guest said about its disks
guest_lines() {
	tr -d '\r' <"/tmp/$1.out" |
		grep -E '^[A-Z]+=[^$]|virtio_blk|EXT4-fs|^ *[0-9]+: .*virtio|^/dev/vd' |
		sed "s/^/[$1] /"
}

img_info() {
	local rc=0
	kvmini img info "$A" >/tmp/img-info.out 2>&1 || rc=$?
	sed 's/^/[img-info] /' /tmp/img-info.out
	if [ "$rc" = 0 ] && grep -q "virtual size:.*($((64 * MIB)) bytes)" /tmp/img-info.out &&
		grep -q 'disk size: ' /tmp/img-info.out; then
		result img-info PASS "$(grep 'disk size: ' /tmp/img-info.out), du: $(du -k "$A" | cut -f1) KiB"
	else
		result img-info FAIL "rc=$rc"
	fi
}

# discard NAME: the guest fills 1 MiB at sector 16384, then discards it
# with blkdiscard (VIRTIO_BLK_T_DISCARD); kvmini punches a hole there
discard() {
	vm_ask "$1" discard-prep \
		'dd if=/dev/urandom of=/dev/vda bs=512 seek=16384 count=2048 oflag=direct 2>/dev/null; sync; echo PREP=$?' 'PREP=0'
	vm_ask "$1" discard \
		'blkdiscard -o $((16384*512)) -l 1048576 /dev/vda; echo DISC=$?' 'DISC=0'
}

# discarded_on_disk NAME: after exit, that range of A reads as zeroes
discarded_on_disk() {
	if [ "$(dd if="$A" bs=512 skip=16384 count=2048 2>/dev/null | tr -d '\000' | wc -c)" = 0 ]; then
		result "$1-discarded-on-disk" PASS
	else
		result "$1-discarded-on-disk" FAIL "sectors 16384-18431 of $A are not zero"
	fi
}

images

CPUS=2
if boot msix cloud console=ttyS0 "$A,serial=kvmini-a" "$B,ro,queues=1"; then
	disks msix 2
	vm_send msix 'grep virtio /proc/interrupts'
	# a queue per vCPU (vda), or as queues= says (vdb), each with its own
	# vector: req.0 and req.1 of vda, req.0 of vdb
	vm_ask msix mq-queues 'echo MQ=$(ls /sys/block/vda/mq | wc -l)/$(ls /sys/block/vdb/mq | wc -l)' 'MQ=2/1'
	vm_ask msix msix-vectors 'echo MSIX=$(grep -c "virtio[0-9]*-req\.[01]" /proc/interrupts)' 'MSIX=3'
	lock_test msix
	guest_write msix msix
	ro_write msix
	discard msix
	dmesg_clean msix
	vm_finish msix 'poweroff -f'
	guest_lines msix
	after_exit msix msix
	discarded_on_disk msix
fi

img_info

CPUS=1
if boot intx cloud 'console=ttyS0 pci=nomsi' "$A,serial=kvmini-a" "$B,ro" "$C"; then
	disks intx 3
	# IO-APIC lines named virtioN, no MSI-X vectors (virtioN-config/-req.M)
	vm_send intx 'grep virtio /proc/interrupts'
	vm_ask intx intx-irqs \
		'echo INTX=$(grep -c "IO-APIC.*virtio[0-9]*$" /proc/interrupts)/$(grep -c "virtio[0-9]*-" /proc/interrupts)' \
		'INTX=[1-9]/0'
	guest_write intx intx
	ro_write intx
	vm_ask intx mkfs '/sbin/mke2fs -F -q -t ext4 /dev/vdc; echo MKFS=$?' 'MKFS=0'
	vm_ask intx mount 'mkdir -p /mnt && mount -t ext4 /dev/vdc /mnt; echo MNT=$?' 'MNT=0'
	vm_ask intx copy 'cp /bin/busybox /mnt/bb && sync && echo 3 >/proc/sys/vm/drop_caches; echo CP=$?' 'CP=0'
	vm_ask intx compare 'cmp /bin/busybox /mnt/bb; echo CMP=$?' 'CMP=0'
	vm_ask intx umount 'umount /mnt; echo UMNT=$?' 'UMNT=0'
	vm_ask intx e2fsck 'e2fsck -fn /dev/vdc; echo FSCK=$?' 'FSCK=0'
	dmesg_clean intx
	vm_finish intx 'poweroff -f'
	guest_lines intx
	after_exit intx intx
fi

# The file system written above, in a fresh VM (the generic kernel, whose
# ext4 and virtio drivers are modules from the L2 initramfs).
if boot remount generic console=ttyS0 "$C"; then
	vm_ask remount mount 'mkdir -p /mnt && mount -t ext4 /dev/vda /mnt; echo MNT=$?' 'MNT=0'
	vm_ask remount file-intact 'cmp /bin/busybox /mnt/bb; echo KEPT=$?' 'KEPT=0'
	vm_ask remount e2fsck 'umount /mnt && e2fsck -fn /dev/vda; echo FSCK=$?' 'FSCK=0'
	vm_finish remount 'poweroff -f'
	guest_lines remount
fi

lab_done
