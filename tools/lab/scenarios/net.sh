# net.sh: the virtio-net acceptance scenario, run inside the lab's L1.
#
# L1 has no NIC to the outside: every packet here stays on br0
# (10.0.2.1/24, made below) and the taps kvmini puts on it.
#   bad-bridge     --net bridge=nosuch: exit 1, one line, no vnet left
#   boot 1         netA (--net bridge=br0, 10.0.2.15) and netB (--net
#                  bridge=br0 --net tap=tapx, 10.0.2.16) in parallel:
#                  taps on br0, pings guest <-> L1 and guest <-> guest,
#                  MACs differ, a third kvmini with tap=tapx fails, 50 MiB
#                  over TCP (busybox nc) netA -> L1 and L1 -> netA with
#                  md5sums compared and MB/s in the result, SIGTERM to netA:
#                  exit 143 and its tap off br0, netB powers off: exit 0,
#                  no tap left; a stalled transfer logs net_diag's view
#                  (kvmini's threads, `kvmini stat`, the guest's counters)
#   boot 2         netA again (same --name) plus a NIC with mac=: the MAC
#                  is the same as in boot 1, mac= is honoured, ping works
# shellcheck shell=dash disable=SC2016 # $(...) and $? are typed into the guest
# shellcheck source-path=SCRIPTDIR source=../scenario-lib.sh
. /lab/scenario-lib.sh
# shellcheck source-path=SCRIPTDIR source=../net-lib.sh
. /lab/net-lib.sh

BR=br0
BYTES=52428800 # 50 MiB each way
VM_ARGS="--kernel /lab/vmlinuz-cloud --initrd /lab/initrd-l2.gz --mem 512M --cmdline console=ttyS0"
MAC2=02:4b:56:4d:00:02

# --- helpers -----------------------------------------------------------------

# names DIR/PATTERN: the names the glob matches, space-separated
names() {
	local f out=""
	for f in $1; do
		[ -e "$f" ] && out="$out ${f##*/}"
	done
	echo "${out# }"
}

# bridge_ports: the interfaces on br0
bridge_ports() {
	names "/sys/class/net/$BR/brif/*"
}

# vnets: the vnetN interfaces in L1
vnets() {
	names '/sys/class/net/vnet*'
}

# has_tapx: 1 if tapx exists in L1, else 0
has_tapx() {
	[ -e /sys/class/net/tapx ] && echo 1 || echo 0
}

# new_port OLD: waits (10 s) for a port on br0 that OLD (a bridge_ports
# list) did not have, and prints it
new_port() {
	local n=0 p
	while [ "$n" -lt 50 ]; do
		for p in $(bridge_ports); do
			case " $1 " in *" $p "*) ;; *) echo "$p" && return 0 ;; esac
		done
		sleep 0.2
		n=$((n + 1))
	done
	return 1
}

# on_bridge TAP: TAP is a port of br0
on_bridge() {
	[ -e "/sys/class/net/$BR/brif/$1" ]
}

# wait_boot NAME: KVMINI-L2-READY (result NAME-boot), then quiet kernel
# messages on the console so they do not split answers
wait_boot() {
	if vm_wait_for "$1" KVMINI-L2-READY "${BOOT_TIMEOUT:-240}"; then
		result "$1-boot" PASS
		vm_send "$1" 'dmesg -n 1'
		return 0
	fi
	result "$1-boot" FAIL "no KVMINI-L2-READY"
	vm_log "$1" | tail -n 40
	vm_kill "$1"
	return 1
}

# g_ping NAME RESULT ADDR: the guest pings ADDR three times, all answered
g_ping() {
	local r
	r=$(g_get "$1" ping "ping -c 3 -w 20 $3 2>&1 | grep received" 60)
	case $r in
	*"3 packets received"*) result "$2" PASS "$r" ;;
	*)
		result "$2" FAIL "${r:-no answer}"
		counters "$1"
		;;
	esac
}

# l1_ping RESULT ADDR: L1 pings ADDR three times, all answered
l1_ping() {
	local r
	r=$(ping -c 3 -w 20 "$2" 2>&1 | grep received)
	case $r in
	*"3 packets received"*) result "$1" PASS "$r" ;;
	*) result "$1" FAIL "${r:-no answer}" ;;
	esac
}

# counters [NAME]: /proc/net/dev of L1 (br0, vnets, taps) and of guest NAME,
# for the log when packets went missing (there is no tcpdump in L1)
counters() {
	grep -E "^ *($BR|vnet[0-9]+|tap[a-z0-9]*):" /proc/net/dev | sed 's/^/[L1 netdev] /'
	if [ -n "${1:-}" ] && [ ! -e "$LAB_VMDIR/$1/rc" ]; then
		g_get "$1" netdev "grep -E 'eth[0-9]:' /proc/net/dev | tr -s ' ' | tr '\\n' ';'" 30 |
			sed "s/^/[$1 netdev] /"
	fi
}

# is_local_mac MAC: unicast and locally administered (02 bit set, 01 clear)
is_local_mac() {
	[ "$((0x${1%%:*} & 3))" = 2 ]
}

# run_fail OUT ARGS...: kvmini run ARGS (expected to fail at once), output
# to OUT; sets rc
run_fail() {
	local out=$1
	shift
	rc=0
	# shellcheck disable=SC2086 # VM_ARGS is a list of options
	timeout 60 kvmini run $VM_ARGS --mem 256M "$@" </dev/null >"$out" 2>&1 || rc=$?
}

# --- the bridge --------------------------------------------------------------

setup_bridge() {
	{
		ip link add name "$BR" type bridge || brctl addbr "$BR"
	} >/tmp/br.err 2>&1
	# A fixed MAC, so br0 keeps its address while taps come and go (a
	# bridge without one takes the lowest MAC of its ports).
	{
		ip link set "$BR" address 02:00:0a:00:02:01
		ip addr add 10.0.2.1/24 dev "$BR"
		ip link set "$BR" up
	} >>/tmp/br.err 2>&1
	ip link set lo up
	if ip addr show dev "$BR" 2>/dev/null | grep -q 'inet 10.0.2.1/24'; then
		result bridge-setup PASS "$BR 10.0.2.1/24"
		return 0
	fi
	result bridge-setup FAIL "$(tr '\n' ' ' </tmp/br.err)"
	return 1
}

# --- bad input ---------------------------------------------------------------

bad_bridge() {
	local lines left
	run_fail /tmp/nosuch.out --net bridge=nosuch
	lines=$(wc -l </tmp/nosuch.out)
	left=$(vnets)
	sed 's/^/[nosuch] /' /tmp/nosuch.out
	if [ "$rc" = 1 ] && [ "$lines" = 1 ] && grep -q 'nosuch' /tmp/nosuch.out && [ -z "$left" ]; then
		result bad-bridge PASS "rc=1: $(cat /tmp/nosuch.out)"
	else
		result bad-bridge FAIL "rc=$rc, $lines lines, vnets left: '${left}'"
	fi
}

# tap_busy: while netB holds tapx, a second kvmini with tap=tapx exits 1;
# with a bridge NIC before it, that NIC's vnet does not stay behind
tap_busy() {
	local ports
	run_fail /tmp/tapx.out --net tap=tapx
	sed 's/^/[tapx] /' /tmp/tapx.out
	if [ "$rc" = 1 ] && [ "$(wc -l </tmp/tapx.out)" = 1 ] && grep -q tapx /tmp/tapx.out; then
		result tap-busy PASS "rc=1: $(cat /tmp/tapx.out)"
	else
		result tap-busy FAIL "rc=$rc"
	fi
	ports=$(bridge_ports)
	run_fail /tmp/tapx2.out --net "bridge=$BR" --net tap=tapx
	sed 's/^/[tapx2] /' /tmp/tapx2.out
	if [ "$rc" = 1 ] && [ "$(bridge_ports)" = "$ports" ] && [ "$(vnets)" = "$VNETS_NOW" ]; then
		result tap-busy-no-leftover PASS "rc=1, br0 ports still: $ports"
	else
		result tap-busy-no-leftover FAIL "rc=$rc, br0 ports '$(bridge_ports)' (were '$ports'), vnets '$(vnets)'"
	fi
}

# --- TCP transfers -----------------------------------------------------------

# to_l1 NAME: the guest makes 50 MiB of random bytes, sends them to L1's
# nc; L1 compares the md5sum
to_l1() {
	local name=$1 gmd5 hold lis t0 t1 n=0 sent st0 st1
	gmd5=$(g_get "$name" gen "dd if=/dev/urandom of=/tmp/tx.bin bs=1M count=50 2>/dev/null; md5sum </tmp/tx.bin | cut -c1-32" 300)
	if [ "${#gmd5}" != 32 ]; then
		result tcp-guest-to-l1 FAIL "the guest made no file: '$gmd5'"
		return 1
	fi
	rm -f /tmp/hold /tmp/rx.rc /tmp/rx.bin
	mkfifo /tmp/hold
	# nc's stdin must neither end (busybox nc half-closes on EOF) nor
	# carry data: a FIFO held open by a sleep
	(close_vm_fds && exec sleep 1000) >/tmp/hold &
	hold=$!
	(close_vm_fds && nc -l -p 5001 >/tmp/rx.bin; echo $? >/tmp/rx.rc) </tmp/hold &
	lis=$!
	while ! tcp_listening 5001 && [ "$n" -lt 50 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	st0=$(dev_stats "$TAP_A")
	t0=$(_lab_now)
	g_start "$name" send 'nc 10.0.2.1 5001 </tmp/tx.bin; echo $?'
	n=0
	while [ ! -e /tmp/rx.rc ] && [ "$n" -lt 3000 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	t1=$(_lab_now)
	st1=$(dev_stats "$TAP_A")
	if [ ! -e /tmp/rx.rc ]; then
		# stalled: look while it still is
		echo "to_l1: no end after 300 s, $(stat -c %s /tmp/rx.bin 2>/dev/null) bytes in"
		net_diag "$name"
		kill "$lis" 2>/dev/null
	fi
	kill "$hold" 2>/dev/null
	sent=$(g_result "$name" send 60)
	if [ "$(md5 /tmp/rx.bin)" = "$gmd5" ] && [ "$(stat -c %s /tmp/rx.bin)" = "$BYTES" ]; then
		# shellcheck disable=SC2086 # the lists of numbers
		result tcp-guest-to-l1 PASS "$BYTES bytes in $((t1 - t0))0 ms, $(mb_s "$BYTES" $((t1 - t0))) MB/s, md5 $gmd5; $TAP_A: $(set -- $st0 $st1 && frames "$1" "$2" "$5" "$6")"
	else
		result tcp-guest-to-l1 FAIL "got $(stat -c %s /tmp/rx.bin 2>/dev/null) bytes, md5 $(md5 /tmp/rx.bin) (sent $gmd5), L1 nc rc=$(cat /tmp/rx.rc 2>/dev/null), guest nc rc=$sent"
		counters "$name"
	fi
	rm -f /tmp/rx.bin /tmp/hold
}

# from_l1 NAME ADDR: L1 sends 50 MiB of random bytes to an nc in the guest;
# the guest's md5sum must match
from_l1() {
	local name=$1 addr=$2 lmd5 gmd5 t0 t1 n=0 rc got st0 st1
	dd if=/dev/urandom of=/tmp/l1tx.bin bs=1M count=50 2>/dev/null
	lmd5=$(md5 /tmp/l1tx.bin)
	g_start "$name" recv 'rm -f /tmp/h /tmp/rx.bin; mkfifo /tmp/h; sleep 1000 >/tmp/h & nc -l -p 5002 </tmp/h >/tmp/rx.bin; r=$?; kill $!; echo $r'
	# the guest's nc may not listen yet: retry while the connection is refused
	while :; do
		st0=$(dev_stats "$TAP_A")
		t0=$(_lab_now)
		rc=0
		timeout 300 nc "$addr" 5002 </tmp/l1tx.bin 2>/tmp/l1nc.err || rc=$?
		t1=$(_lab_now)
		st1=$(dev_stats "$TAP_A")
		if ! grep -q "can't connect" /tmp/l1nc.err || [ "$n" -ge 50 ]; then
			break
		fi
		sleep 0.2
		n=$((n + 1))
	done
	got=$(g_result "$name" recv 120)
	gmd5=$(g_get "$name" rxmd5 'md5sum </tmp/rx.bin | cut -c1-32; rm -f /tmp/rx.bin' 120)
	if [ "$rc" = 0 ] && [ "$got" = 0 ] && [ "$gmd5" = "$lmd5" ]; then
		# shellcheck disable=SC2086 # the lists of numbers
		result tcp-l1-to-guest PASS "$BYTES bytes in $((t1 - t0))0 ms, $(mb_s "$BYTES" $((t1 - t0))) MB/s, md5 $lmd5; $TAP_A: $(set -- $st0 $st1 && frames "$3" "$4" "$7" "$8")"
	else
		result tcp-l1-to-guest FAIL "L1 nc rc=$rc ($(cat /tmp/l1nc.err)), guest nc rc=$got, md5 $gmd5 (sent $lmd5)"
		[ "$rc" = 0 ] || net_diag "$name"
		counters "$name"
	fi
	rm -f /tmp/l1tx.bin
}

# --- the scenario ------------------------------------------------------------

if ! setup_bridge; then
	lab_done
	exit 0
fi
bad_bridge

# Boot 1: netA and netB, each on br0 (netB also has tapx, off the bridge).
# shellcheck disable=SC2086 # VM_ARGS is a list of options
vm_start netA $VM_ARGS --name netA --net "bridge=$BR"
TAP_A=$(new_port "") || TAP_A=""
# shellcheck disable=SC2086
vm_start netB $VM_ARGS --name netB --net "bridge=$BR" --net tap=tapx
TAP_B=$(new_port "$TAP_A") || TAP_B=""
VNETS_NOW=$(vnets)
if [ -n "$TAP_A" ] && [ -n "$TAP_B" ] && [ "$TAP_A" != "$TAP_B" ] && [ -e /sys/class/net/tapx ] &&
	[ "$(($(cat "/sys/class/net/$TAP_A/flags") & 1))" = 1 ]; then
	result taps-on-bridge PASS "br0: $(bridge_ports); tapx present"
else
	result taps-on-bridge FAIL "br0: '$(bridge_ports)', netA '$TAP_A', netB '$TAP_B', tapx $(has_tapx)"
fi

up_a=0 up_b=0
wait_boot netA && ifup netA 10.0.2.15 && up_a=1
wait_boot netB && ifup netB 10.0.2.16 && up_b=1

if [ "$up_a" = 1 ]; then
	g_ping netA netA-ping-bridge 10.0.2.1
	l1_ping l1-ping-netA 10.0.2.15
fi

MAC_A="" MAC_B=""
[ "$up_a" = 1 ] && MAC_A=$(g_get netA mac 'cat /sys/class/net/eth0/address')
[ "$up_b" = 1 ] && MAC_B=$(g_get netB mac 'cat /sys/class/net/eth0/address')
if [ -n "$MAC_A" ] && [ -n "$MAC_B" ] && [ "$MAC_A" != "$MAC_B" ] &&
	is_local_mac "$MAC_A" && is_local_mac "$MAC_B"; then
	result macs-differ PASS "netA $MAC_A, netB $MAC_B"
else
	result macs-differ FAIL "netA '$MAC_A', netB '$MAC_B'"
fi

if [ "$up_a" = 1 ] && [ "$up_b" = 1 ]; then
	g_ping netA netA-ping-netB 10.0.2.16
	g_ping netB netB-ping-netA 10.0.2.15
fi

[ "$up_b" = 1 ] && tap_busy

if [ "$up_a" = 1 ]; then
	to_l1 netA
	from_l1 netA 10.0.2.15
	counters netA
fi

# SIGTERM to netA: exit 143, its tap leaves br0 (the kernel deletes it)
if [ -n "$TAP_A" ]; then
	vm_kill netA
	rc=$(cat "$LAB_VMDIR/netA/rc" 2>/dev/null)
	if [ "$rc" = 143 ]; then
		result sigterm-exit143 PASS
	else
		result sigterm-exit143 FAIL "exit code '$rc'"
		vm_log netA | tail -n 10
	fi
	if ! on_bridge "$TAP_A" && [ ! -e "/sys/class/net/$TAP_A" ] && on_bridge "$TAP_B"; then
		result sigterm-tap-removed PASS "$TAP_A gone; br0: $(bridge_ports)"
	else
		result sigterm-tap-removed FAIL "br0: $(bridge_ports); $TAP_A $([ -e "/sys/class/net/$TAP_A" ] && echo exists || echo gone)"
	fi
	[ "$up_b" = 1 ] && l1_ping l1-ping-netB-after-kill 10.0.2.16
fi

if [ "$up_b" = 1 ]; then
	vm_finish netB 'poweroff -f'
	if [ -z "$(bridge_ports)" ] && [ -z "$(vnets)" ] && [ ! -e /sys/class/net/tapx ]; then
		result no-taps-left PASS
	else
		result no-taps-left FAIL "br0: '$(bridge_ports)', vnets '$(vnets)', tapx $(has_tapx)"
	fi
fi

# Boot 2: the same --name gives the same MAC; mac= sets the second NIC's.
# shellcheck disable=SC2086
vm_start netA2 $VM_ARGS --name netA --net "bridge=$BR" --net "bridge=$BR,mac=$MAC2"
if wait_boot netA2; then
	mac=$(g_get netA2 mac 'cat /sys/class/net/eth0/address')
	if [ -n "$MAC_A" ] && [ "$mac" = "$MAC_A" ]; then
		result mac-stable PASS "netA again: $mac"
	else
		result mac-stable FAIL "netA now '$mac', was '$MAC_A'"
	fi
	mac=$(g_get netA2 mac2 'cat /sys/class/net/eth1/address')
	if [ "$mac" = "$MAC2" ]; then
		result mac-option PASS "eth1 $mac"
	else
		result mac-option FAIL "eth1 '$mac', wanted $MAC2"
	fi
	ifup netA2 10.0.2.15 && g_ping netA2 netA2-ping-bridge 10.0.2.1
	vm_finish netA2 'poweroff -f'
	if [ -z "$(bridge_ports)" ] && [ -z "$(vnets)" ]; then
		result no-taps-left-2 PASS
	else
		result no-taps-left-2 FAIL "br0: '$(bridge_ports)', vnets '$(vnets)'"
	fi
fi

lab_done
