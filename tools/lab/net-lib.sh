# shellcheck shell=dash
# net-lib.sh: helpers the network scenarios share (net.sh, bench-net-tcp.sh),
# at /lab/net-lib.sh in L1; source it after scenario-lib.sh.

# g_start NAME KEY COMMAND: types `echo "@KEY=$(COMMAND)@"` in the guest.
# The typed line shows `@KEY=$(`, the answer `@KEY=value@`, so only the
# answer matches `@KEY=[^$]*@`. COMMAND's output must be one line.
g_start() {
	vm_mark "$1" >"$LAB_VMDIR/$1.$2.mark"
	vm_send "$1" "echo \"@$2=\$($3)@\""
}

# g_result NAME KEY [SECS]: waits for g_start's answer and prints it
g_result() {
	local since
	since=$(cat "$LAB_VMDIR/$1.$2.mark")
	vm_wait_for "$1" "@$2=[^\$]*@" "${3:-60}" "$since" || return 1
	tail -c +$((since + 1)) "/tmp/$1.out" | tr -d '\r' |
		sed -n "s/.*@$2=\([^\$]*\)@.*/\1/p" | tail -n 1
}

# g_get NAME KEY COMMAND [SECS]: both at once
g_get() {
	g_start "$1" "$2" "$3" && g_result "$1" "$2" "${4:-60}"
}

# dev_stats IF: "RXBYTES RXPACKETS TXBYTES TXPACKETS" of IF in L1 (a tap's
# RX is what the guest sent, its TX what the guest was given)
dev_stats() {
	tr ':' ' ' </proc/net/dev | awk -v d="$1" '$1 == d { print $2, $3, $10, $11; f = 1 } END { if (!f) print 0, 0, 0, 0 }'
}

# frames BYTES_BEFORE PACKETS_BEFORE BYTES_AFTER PACKETS_AFTER: "N frames of
# X bytes on average" (far above the 1514-byte MTU: TSO/GSO at work)
frames() {
	awk -v b="$(($3 - $1))" -v p="$(($4 - $2))" 'BEGIN { printf "%d frames of %d bytes on average", p, p ? b / p : 0 }'
}

# mb_s BYTES CENTISECONDS
mb_s() {
	awk -v b="$1" -v cs="$2" 'BEGIN { if (cs < 1) cs = 1; printf "%.1f", b / (cs / 100) / 1e6 }'
}

md5() {
	md5sum <"$1" | cut -c1-32
}

# close_vm_fds: in a background subshell, drop the VMs' FIFO fds (3..9)
close_vm_fds() {
	local f
	for f in 3 4 5 6 7 8 9; do eval "exec $f>&-"; done
}

# tcp_listening PORT: something in L1 listens on TCP PORT
tcp_listening() {
	grep -qi ": *[0-9A-F]*:$(printf '%04X' "$1") 00000000:0000 0A" /proc/net/tcp
}

# ifup NAME ADDR: eth0 up with ADDR/24 (result NAME-ifup)
ifup() {
	local r
	r=$(g_get "$1" ifup "ip link set eth0 up && ip addr add $2/24 dev eth0; echo \$?")
	if [ "$r" = 0 ]; then
		result "$1-ifup" PASS "eth0 $2/24"
		return 0
	fi
	result "$1-ifup" FAIL "answer '$r'"
	vm_log "$1" | tail -n 20
	return 1
}

# net_diag NAME: what tells a lost notification from a stuck guest or a
# stuck kvmini after a stalled transfer, into the log: each kvmini thread's
# state, wait channel and system call (twice, 2 s apart: "devices" parked
# in epoll_wait (232) with work pending means a lost wake-up), `kvmini
# stat`, the end of the guest console (typed commands echoed back: the
# device loop and the guest are alive). Then ^C ends the guest's foreground
# command and the guest reports its virtio interrupt counts, eth0 and TCP
# counters, twice, so that counts still moving show retransmissions.
net_diag() {
	local name=$1 pid t i
	pid=$(cat "$LAB_VMDIR/$name/pid" 2>/dev/null) || return 0
	for i in 1 2; do
		for t in /proc/"$pid"/task/*; do
			[ -e "$t/comm" ] || continue
			echo "[$name thread $i] $(cat "$t/comm") state $(cut -d' ' -f3 "$t/stat") wchan $(cat "$t/wchan") syscall $(cut -d' ' -f1-3 "$t/syscall")"
		done
		[ "$i" = 2 ] || sleep 2
	done
	"$KVMINI" stat "$name" 2>&1 | head -n 40 | sed "s/^/[$name stat] /"
	vm_log "$name" | tail -n 15
	vm_send_raw "$name" '\003'
	sleep 1
	for i in 1 2; do
		g_get "$name" "irq$i" "grep -E 'virtio|eth' /proc/interrupts | tr -s ' ' | tr '\\n' ';'" 30 | sed "s/^/[$name irq $i] /"
		g_get "$name" "dev$i" "grep -E 'eth[0-9]:' /proc/net/dev | tr -s ' ' | tr '\\n' ';'" 30 | sed "s/^/[$name netdev $i] /"
		g_get "$name" "tcp$i" "grep Tcp: /proc/net/snmp | tr -s ' ' | tr '\\n' ';'" 30 | sed "s/^/[$name snmp $i] /"
		grep -E "^ *vnet[0-9]+:" /proc/net/dev | sed "s/^/[L1 netdev $i] /"
		[ "$i" = 2 ] || sleep 5
	done
}
