# bench-net-tcp.sh: virtio-net benchmark, kvmini beside QEMU's userspace
# virtio-net (-netdev tap,vhost=off), run inside the lab's L1.
#
# Needs QEMU in L1: tools/lab/run.sh ... $(tools/bench/lab-qemu-files.sh).
# L1 has no NIC to the outside: every packet stays on br0 (10.0.2.1/24, made
# here) and the two taps on it. Both guests boot the same cloud kernel and
# L2 initramfs with 512 MiB and 1 vCPU and stay up the whole time:
#   kv  kvmini --net bridge=br0                             10.0.2.15
#   qe  qemu -M q35 -accel kvm -cpu host, virtio-net-pci on
#       -netdev tap,ifname=qtap0,vhost=off (qtap0 put on br0) 10.0.2.16
# Then one uncounted transfer each way for each (warm-up), and RUNS (5)
# rounds, kvmini first in odd rounds, QEMU first in even ones:
#   tcp-g2h  50 MiB of random bytes guest -> L1 (busybox nc), md5 checked
#   tcp-h2g  50 MiB L1 -> guest, md5 checked
#   ping     guest -> br0: ping -c 100 -i 0.2 -s 56, min/avg/max rtt
# Each is a `result NAME-IMPL-rN PASS|FAIL DETAIL` line (MB/s, rtt in ms).
# shellcheck shell=dash disable=SC2016 # $(...) and $? are typed into the guest
# shellcheck source-path=SCRIPTDIR source=../scenario-lib.sh
. /lab/scenario-lib.sh
# shellcheck source-path=SCRIPTDIR source=../net-lib.sh
. /lab/net-lib.sh

BR=br0
BYTES=52428800 # 50 MiB each way
RUNS=${RUNS:-5}
KV_ARGS="--kernel /lab/vmlinuz-cloud --initrd /lab/initrd-l2.gz --mem 512M --cmdline console=ttyS0"
QEMU=/usr/bin/qemu-system-x86_64
QTAP=qtap0

bridge_ports() {
	local f out=""
	for f in "/sys/class/net/$BR/brif/"*; do
		[ -e "$f" ] && out="$out ${f##*/}"
	done
	echo "${out# }"
}

setup_bridge() {
	{
		ip link add name "$BR" type bridge || brctl addbr "$BR"
		ip link set "$BR" address 02:00:0a:00:02:01
		ip addr add 10.0.2.1/24 dev "$BR"
		ip link set "$BR" up
		ip link set lo up
	} >/tmp/br.err 2>&1
	if ip addr show dev "$BR" 2>/dev/null | grep -q 'inet 10.0.2.1/24'; then
		result bridge-setup PASS "$BR 10.0.2.1/24"
		return 0
	fi
	result bridge-setup FAIL "$(tr '\n' ' ' </tmp/br.err)"
	return 1
}

# A stand-in for kvmini that vm_start can run: drops the `run` and starts
# QEMU with the rest.
make_qemu_wrapper() {
	cat >/tmp/qemu-run <<-EOF2
		#!/bin/sh
		shift
		export LD_LIBRARY_PATH=/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu
		exec $QEMU "\$@"
	EOF2
	chmod +x /tmp/qemu-run
}

# wait_boot NAME
wait_boot() {
	if vm_wait_for "$1" KVMINI-L2-READY "${BOOT_TIMEOUT:-300}"; then
		result "$1-boot" PASS
		vm_send "$1" 'dmesg -n 1'
		return 0
	fi
	result "$1-boot" FAIL "no KVMINI-L2-READY"
	vm_log "$1" | tail -n 40
	vm_kill "$1"
	return 1
}

# to_l1 NAME TAP RESULT: the guest sends /tmp/tx.bin (made by gen) to L1's nc
to_l1() {
	local name=$1 tap=$2 res=$3 gmd5 hold lis t0 t1 n=0 sent st0 st1
	gmd5=$(cat "/tmp/$name.txmd5")
	rm -f /tmp/hold /tmp/rx.rc /tmp/rx.bin
	mkfifo /tmp/hold
	(close_vm_fds && exec sleep 1000) >/tmp/hold &
	hold=$!
	(close_vm_fds && nc -l -p 5001 >/tmp/rx.bin; echo $? >/tmp/rx.rc) </tmp/hold &
	lis=$!
	while ! tcp_listening 5001 && [ "$n" -lt 50 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	st0=$(dev_stats "$tap")
	t0=$(_lab_now)
	g_start "$name" send 'nc 10.0.2.1 5001 </tmp/tx.bin; echo $?'
	n=0
	while [ ! -e /tmp/rx.rc ] && [ "$n" -lt 3000 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	t1=$(_lab_now)
	st1=$(dev_stats "$tap")
	[ -e /tmp/rx.rc ] || kill "$lis" 2>/dev/null
	kill "$hold" 2>/dev/null
	sent=$(g_result "$name" send 60)
	if [ "$(md5 /tmp/rx.bin)" = "$gmd5" ] && [ "$(stat -c %s /tmp/rx.bin)" = "$BYTES" ]; then
		# shellcheck disable=SC2086
		result "$res" PASS "$(mb_s "$BYTES" $((t1 - t0))) MB/s, $BYTES bytes in $((t1 - t0))0 ms, md5 ok; $tap: $(set -- $st0 $st1 && frames "$1" "$2" "$5" "$6")"
	else
		result "$res" FAIL "got $(stat -c %s /tmp/rx.bin 2>/dev/null) bytes, md5 $(md5 /tmp/rx.bin) (sent $gmd5), L1 nc rc=$(cat /tmp/rx.rc 2>/dev/null), guest nc rc=$sent"
	fi
	rm -f /tmp/rx.bin /tmp/hold
}

# from_l1 NAME ADDR TAP RESULT: L1 sends /tmp/l1tx.bin to an nc in the guest
from_l1() {
	local name=$1 addr=$2 tap=$3 res=$4 lmd5 gmd5 t0 t1 n=0 rc got st0 st1
	lmd5=$(cat /tmp/l1tx.md5)
	g_start "$name" recv 'rm -f /tmp/h /tmp/rx.bin; mkfifo /tmp/h; sleep 1000 >/tmp/h & nc -l -p 5002 </tmp/h >/tmp/rx.bin; r=$?; kill $!; echo $r'
	while :; do
		st0=$(dev_stats "$tap")
		t0=$(_lab_now)
		rc=0
		timeout 300 nc "$addr" 5002 </tmp/l1tx.bin 2>/tmp/l1nc.err || rc=$?
		t1=$(_lab_now)
		st1=$(dev_stats "$tap")
		if ! grep -q "can't connect" /tmp/l1nc.err || [ "$n" -ge 50 ]; then
			break
		fi
		sleep 0.2
		n=$((n + 1))
	done
	got=$(g_result "$name" recv 120)
	gmd5=$(g_get "$name" rxmd5 'md5sum </tmp/rx.bin | cut -c1-32; rm -f /tmp/rx.bin' 120)
	if [ "$rc" = 0 ] && [ "$got" = 0 ] && [ "$gmd5" = "$lmd5" ]; then
		# shellcheck disable=SC2086
		result "$res" PASS "$(mb_s "$BYTES" $((t1 - t0))) MB/s, $BYTES bytes in $((t1 - t0))0 ms, md5 ok; $tap: $(set -- $st0 $st1 && frames "$3" "$4" "$7" "$8")"
	else
		result "$res" FAIL "L1 nc rc=$rc ($(cat /tmp/l1nc.err)), guest nc rc=$got, md5 $gmd5 (sent $lmd5)"
	fi
}

# rtt NAME RESULT: 100 pings of 56 bytes, 0.2 s apart, guest -> br0
rtt() {
	local r
	r=$(g_get "$1" ping "ping -c 100 -i 0.2 -s 56 10.0.2.1 2>&1 | grep -E 'received|round-trip' | tr '\\n' ' '" 120)
	case $r in
	*"100 packets received"*round-trip*)
		result "$2" PASS "rtt min/avg/max $(echo "$r" | sed -n 's|.*= *\([0-9.]*/[0-9.]*/[0-9.]*\) ms.*|\1|p') ms; $r" ;;
	*) result "$2" FAIL "${r:-no answer}" ;;
	esac
}

# gen NAME: the guest makes /tmp/tx.bin (50 MiB random) once
gen() {
	local m
	m=$(g_get "$1" gen "dd if=/dev/urandom of=/tmp/tx.bin bs=1M count=50 2>/dev/null; md5sum </tmp/tx.bin | cut -c1-32" 300)
	echo "$m" >"/tmp/$1.txmd5"
	[ "${#m}" = 32 ] && result "$1-gen" PASS "md5 $m" && return 0
	result "$1-gen" FAIL "'$m'"
	return 1
}

# --- the scenario ------------------------------------------------------------

if ! setup_bridge; then
	lab_done
	exit 0
fi
make_qemu_wrapper
v=$(/tmp/qemu-run run -version 2>&1 | head -n 1)
case $v in
*"QEMU emulator"*) result qemu-runs PASS "$v" ;;
*)
	result qemu-runs FAIL "$v"
	lab_done
	exit 0
	;;
esac
dd if=/dev/urandom of=/tmp/l1tx.bin bs=1M count=50 2>/dev/null
md5 /tmp/l1tx.bin >/tmp/l1tx.md5

# kvmini
# shellcheck disable=SC2086
vm_start kv $KV_ARGS --name kv --net "bridge=$BR"
# QEMU: creates qtap0 (not persistent); it goes on br0 once it exists
KVMINI=/tmp/qemu-run
vm_start qe -M q35 -accel kvm -cpu host -m 512M -smp 1 \
	-nodefaults -no-user-config -display none -serial stdio \
	-kernel /lab/vmlinuz-cloud -initrd /lab/initrd-l2.gz -append console=ttyS0 \
	-netdev "tap,id=n0,ifname=$QTAP,script=no,downscript=no,vhost=off" \
	-device virtio-net-pci,netdev=n0,romfile=
KVMINI=/bin/kvmini
n=0
while [ ! -e /sys/class/net/$QTAP ] && [ "$n" -lt 100 ]; do
	sleep 0.2
	n=$((n + 1))
done
{ ip link set "$QTAP" master "$BR" || brctl addif "$BR" "$QTAP"; ip link set "$QTAP" up; } >/tmp/qtap.err 2>&1
sleep 1
KV_TAP=""
for p in $(bridge_ports); do [ "$p" != "$QTAP" ] && KV_TAP=$p; done
if [ -n "$KV_TAP" ] && [ -e "/sys/class/net/$BR/brif/$QTAP" ]; then
	result taps-on-bridge PASS "br0: $(bridge_ports)"
else
	result taps-on-bridge FAIL "br0: '$(bridge_ports)' $(tr '\n' ' ' </tmp/qtap.err)"
	vm_log qe | tail -n 20
fi

up_kv=0 up_qe=0
wait_boot kv && ifup kv 10.0.2.15 && gen kv && up_kv=1
wait_boot qe && ifup qe 10.0.2.16 && gen qe && up_qe=1
if [ "$up_qe" = 1 ]; then
	drv=$(g_get qe drv 'echo $(basename $(readlink /sys/class/net/eth0/device/driver)) $(cat /sys/class/net/eth0/address)')
	case $drv in
	virtio_net*) result qe-nic PASS "eth0: $drv" ;;
	*) result qe-nic FAIL "eth0: '$drv'" ;;
	esac
fi

# round IMPL: one round of the three measurements on kvmini or QEMU
round() {
	if [ "$1" = kvmini ] && [ "$up_kv" = 1 ]; then
		to_l1 kv "$KV_TAP" "tcp-g2h-kvmini-r$r"
		from_l1 kv 10.0.2.15 "$KV_TAP" "tcp-h2g-kvmini-r$r"
		rtt kv "ping-kvmini-r$r"
	elif [ "$1" = qemu ] && [ "$up_qe" = 1 ]; then
		to_l1 qe "$QTAP" "tcp-g2h-qemu-r$r"
		from_l1 qe 10.0.2.16 "$QTAP" "tcp-h2g-qemu-r$r"
		rtt qe "ping-qemu-r$r"
	fi
}

# The first L1 -> guest transfer of a run is slow whichever VM gets it
# (about half speed: L1 warming up), and the first guest -> L1 one tends
# to be: one each way for each VM first, not counted in the rounds
# (results tcp-g2h-IMPL-warmup, tcp-h2g-IMPL-warmup). Odd rounds then
# start with kvmini, even ones with QEMU.
if [ "$up_kv" = 1 ]; then
	to_l1 kv "$KV_TAP" tcp-g2h-kvmini-warmup
	from_l1 kv 10.0.2.15 "$KV_TAP" tcp-h2g-kvmini-warmup
fi
if [ "$up_qe" = 1 ]; then
	to_l1 qe "$QTAP" tcp-g2h-qemu-warmup
	from_l1 qe 10.0.2.16 "$QTAP" tcp-h2g-qemu-warmup
fi
r=1
while [ "$r" -le "$RUNS" ]; do
	if [ $((r % 2)) = 1 ]; then
		round kvmini
		round qemu
	else
		round qemu
		round kvmini
	fi
	r=$((r + 1))
done

[ "$up_kv" = 1 ] && vm_send kv 'poweroff -f'
[ "$up_qe" = 1 ] && vm_send qe 'poweroff -f'
vm_wait_exit kv 60 >/dev/null
vm_wait_exit qe 60 >/dev/null
lab_done
