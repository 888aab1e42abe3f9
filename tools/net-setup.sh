#!/usr/bin/env bash
# net-setup.sh: the classic host bridge for kvmini's --net bridge=BR.
#
#   tools/net-setup.sh up [--bridge BR] [--addr A.B.C.D/LEN] [--nat]
#   tools/net-setup.sh down [--bridge BR]
#   tools/net-setup.sh status [--bridge BR]
#
# up: creates bridge BR (default br0) with `ip`, gives it the address
#   (default 192.168.100.1/24) and brings it up.  With --nat also turns on
#   IPv4 forwarding and masquerades what comes from the bridge's subnet and
#   leaves it (nft in a table of its own, or iptables if there is no nft).
#   Every step is skipped when already done, and what this script changed
#   is recorded in /run/kvmini-net-BR.state.
# down: undoes exactly what up recorded (a bridge that existed before is
#   kept, an address that was there is kept, forwarding goes back to what
#   it was) and removes the state file.  Nothing recorded: nothing to do.
# status: prints the recorded state and the bridge.
#
# Then: kvmini run ... --net bridge=BR (each VM gets a tap on BR; give the
# guests addresses in the subnet, the bridge's address as their gateway).
# Must be run as root.  Installs nothing: if --nat finds neither nft nor
# iptables it says which Debian package to install and changes nothing.
# Exit status: 0 done (or nothing to do), 1 failed, 2 wrong usage.
set -euo pipefail

PROG="net-setup.sh"
RUN_DIR=${KVMINI_NET_RUN_DIR:-/run}

die() {
	echo "$PROG: $*" >&2
	exit 1
}

usage_error() {
	echo "$PROG: $*" >&2
	echo "usage: $PROG up|down|status [--bridge BR] [--addr A.B.C.D/LEN] [--nat]" >&2
	exit 2
}

say() {
	echo "$PROG: $*"
}

usage() {
	sed -n '2,23s/^# \{0,1\}//p' "$0"
}

# --- arguments -----------------------------------------------------------------

# valid_ifname NAME: what the kernel accepts, without the odd ones
valid_ifname() {
	[[ ${#1} -ge 1 && ${#1} -le 15 && $1 =~ ^[A-Za-z0-9_.-]+$ && $1 != . && $1 != .. ]]
}

# ip_to_int A.B.C.D
ip_to_int() {
	local a b c d
	IFS=. read -r a b c d <<<"$1"
	echo $(((a << 24) | (b << 16) | (c << 8) | d))
}

int_to_ip() {
	echo "$((($1 >> 24) & 255)).$((($1 >> 16) & 255)).$((($1 >> 8) & 255)).$(($1 & 255))"
}

# parse_addr A.B.C.D/LEN: checks it, sets SUBNET (network/LEN)
parse_addr() {
	local ip=${1%/*} len=${1#*/} o mask n
	[[ $1 == */* && $len =~ ^[0-9]+$ && $len -ge 8 && $len -le 30 ]] ||
		usage_error "--addr wants A.B.C.D/LEN with LEN from 8 to 30, got '$1'"
	[[ $ip =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]] || usage_error "--addr: '$ip' is not an IPv4 address"
	for o in ${ip//./ }; do
		[[ $o =~ ^(0|[1-9][0-9]{0,2})$ && $o -le 255 ]] || usage_error "--addr: '$ip' is not an IPv4 address"
	done
	mask=$(((0xffffffff << (32 - len)) & 0xffffffff))
	n=$(ip_to_int "$ip")
	if (((n & ~mask & 0xffffffff) == 0 || (n | ~mask & 0xffffffff) == 0xffffffff)); then
		usage_error "--addr: $ip is the network or broadcast address of /$len"
	fi
	SUBNET=$(int_to_ip $((n & mask)))/$len
}

# --- state -----------------------------------------------------------------------
# The state file has KEY=VALUE lines; it is parsed, never sourced.
#   netns        inode of the network namespace it belongs to
#   bridge addr subnet
#   created_bridge  1: up created BR (down deletes it)
#   added_addr      1: up added addr (down removes it, if BR stays)
#   set_up          1: up set BR up (down sets it down, if BR stays)
#   nat             nft|iptables: the masquerade rule up added
#   nft_table       the nft table (family ip) holding it
#   set_forward     1: up turned ip_forward on (down restores forward_prev)

declare -A S=()

state_file() {
	echo "$RUN_DIR/kvmini-net-$1.state"
}

netns_id() {
	stat -L -c %i /proc/self/ns/net
}

# load_state BR: fills S from BR's state file; 1 if there is none
load_state() {
	local f k v
	f=$(state_file "$1")
	S=()
	[[ -f $f ]] || return 1
	while IFS='=' read -r k v; do
		[[ $k =~ ^[a-z_]+$ ]] && S[$k]=$v
	done <"$f"
	if [[ ${S[netns]:-} != "$(netns_id)" ]]; then
		die "$f belongs to another network namespace (netns inode ${S[netns]:-?}, this one is $(netns_id)); run $PROG there"
	fi
}

save_state() {
	local f k tmp
	f=$(state_file "${S[bridge]}")
	tmp=$f.tmp.$$
	mkdir -p "$RUN_DIR"
	{
		echo "# written by kvmini tools/net-setup.sh; '$PROG down --bridge ${S[bridge]}' undoes it"
		for k in netns bridge addr subnet created_bridge added_addr set_up nat nft_table set_forward forward_prev; do
			[[ -z ${S[$k]:-} ]] || echo "$k=${S[$k]}"
		done
	} >"$tmp"
	mv "$tmp" "$f"
}

# --- the bridge ------------------------------------------------------------------

link_exists() {
	ip link show dev "$1" >/dev/null 2>&1
}

is_bridge() {
	ip -o link show type bridge 2>/dev/null | grep -q "^[0-9]*: $1[:@]"
}

has_addr() {
	ip -o -4 addr show dev "$1" 2>/dev/null | grep -q " inet $2 "
}

is_up() {
	ip -o link show dev "$1" 2>/dev/null | grep -q '[<,]UP[,>]'
}

# subnet_elsewhere BR SUBNET: another interface with an address in SUBNET
subnet_elsewhere() {
	local br=$1 net=${2%/*} len=${2#*/} dev a mask
	mask=$(((0xffffffff << (32 - len)) & 0xffffffff))
	net=$(ip_to_int "$net")
	while read -r _ dev _ a _; do
		a=${a%/*}
		[[ $dev != "$br" ]] || continue
		if ((($(ip_to_int "$a") & mask) == net)); then
			echo "$dev ($a)"
			return 0
		fi
	done < <(ip -o -4 addr show)
	return 1
}

# --- NAT -------------------------------------------------------------------------

nat_backend() {
	if command -v nft >/dev/null; then
		echo nft
	elif command -v iptables >/dev/null; then
		echo iptables
	else
		return 1
	fi
}

nft_table_name() {
	echo "kvmini_${1//[^A-Za-z0-9_]/_}"
}

# the iptables rule, as arguments after -t nat -A|-C|-D POSTROUTING
ipt_rule() {
	echo "-s $1 ! -d $1 -m comment --comment kvmini-net-$2 -j MASQUERADE"
}

nat_add() {
	local br=$1 subnet=$2 table
	case ${S[nat]:-} in
	nft | iptables)
		say "masquerading for $subnet already set up (${S[nat]})"
		return 0
		;;
	esac
	case $NAT in
	nft)
		table=$(nft_table_name "$br")
		nft -f - <<EOF || die "nft refused the masquerade table"
table ip $table {
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		ip saddr $subnet ip daddr != $subnet masquerade
	}
}
EOF
		S[nat]=nft S[nft_table]=$table
		save_state
		say "masquerading $subnet (nft table ip $table)"
		if nft list ruleset 2>/dev/null | grep -q 'hook forward.*policy drop'; then
			say "warning: an nft forward chain drops by default: allow $br's traffic there too"
		fi
		;;
	iptables)
		# shellcheck disable=SC2046 # ipt_rule is a list of arguments
		if ! iptables -t nat -C POSTROUTING $(ipt_rule "$subnet" "$br") 2>/dev/null; then
			# shellcheck disable=SC2046
			iptables -t nat -A POSTROUTING $(ipt_rule "$subnet" "$br") ||
				die "iptables refused the MASQUERADE rule"
			S[nat]=iptables
			save_state
		fi
		say "masquerading $subnet (iptables -t nat POSTROUTING)"
		if iptables -S FORWARD 2>/dev/null | grep -q '^-P FORWARD DROP'; then
			say "warning: iptables' FORWARD policy is DROP (Docker?): allow $br's traffic there too"
		fi
		;;
	esac
}

forward_on() {
	local cur
	cur=$(cat /proc/sys/net/ipv4/ip_forward)
	if [[ $cur == 1 ]]; then
		say "IPv4 forwarding already on"
		return 0
	fi
	echo 1 >/proc/sys/net/ipv4/ip_forward || die "cannot turn on /proc/sys/net/ipv4/ip_forward"
	S[set_forward]=1 S[forward_prev]=$cur
	save_state
	say "IPv4 forwarding on (was $cur)"
}

# other_nat_state BR: another bridge's state file, in this namespace, with NAT
other_nat_state() {
	local f k v ns nat
	for f in "$RUN_DIR"/kvmini-net-*.state; do
		[[ -f $f && $f != "$(state_file "$1")" ]] || continue
		ns="" nat=""
		while IFS='=' read -r k v; do
			[[ $k == netns ]] && ns=$v
			[[ $k == nat ]] && nat=$v
		done <"$f"
		if [[ $ns == "$(netns_id)" && -n $nat ]]; then
			echo "$f"
			return 0
		fi
	done
	return 1
}

# --- commands --------------------------------------------------------------------

cmd_up() {
	local br=$1 addr=$2 nat=$3 other
	parse_addr "$addr"
	if load_state "$br"; then
		if [[ ${S[addr]} != "$addr" ]]; then
			die "$br was set up with ${S[addr]} (see $(state_file "$br")); run '$PROG down --bridge $br' first"
		fi
	else
		S=([netns]=$(netns_id) [bridge]=$br [addr]=$addr [subnet]=$SUBNET)
	fi
	# everything that can fail is checked before anything changes
	if link_exists "$br" && ! is_bridge "$br"; then
		die "$br exists and is not a bridge"
	fi
	if other=$(subnet_elsewhere "$br" "$SUBNET"); then
		die "$SUBNET is already in use on $other; pick another --addr"
	fi
	if [[ $nat == 1 ]] && [[ -z ${S[nat]:-} ]] && ! NAT=$(nat_backend); then
		die "--nat needs nft (Debian package nftables) or iptables (package iptables), and neither is installed; install one (apt-get install nftables) or run without --nat"
	fi

	if link_exists "$br"; then
		say "bridge $br already exists"
	else
		ip link add name "$br" type bridge || die "cannot create bridge $br"
		S[created_bridge]=1
		save_state
		say "created bridge $br"
	fi
	if has_addr "$br" "$addr"; then
		say "$br already has $addr"
	else
		ip addr add "$addr" dev "$br" || die "cannot add $addr to $br (recorded so far: $(state_file "$br"))"
		[[ ${S[created_bridge]:-} == 1 ]] || S[added_addr]=1
		save_state
		say "$br: $addr"
	fi
	if is_up "$br"; then
		say "$br is already up"
	else
		ip link set dev "$br" up || die "cannot bring $br up (recorded so far: $(state_file "$br"))"
		[[ ${S[created_bridge]:-} == 1 ]] || S[set_up]=1
		save_state
		say "$br up"
	fi
	if [[ $nat == 1 ]]; then
		NAT=${NAT:-${S[nat]}}
		forward_on
		nat_add "$br" "$SUBNET"
	fi
	save_state
	say "ready: kvmini run ... --net bridge=$br (guests in $SUBNET, gateway ${addr%/*}); undo: $PROG down --bridge $br"
}

cmd_down() {
	local br=$1 other f
	f=$(state_file "$br")
	if ! load_state "$br"; then
		say "nothing recorded for $br ($f): nothing to do"
		return 0
	fi
	case ${S[nat]:-} in
	nft)
		command -v nft >/dev/null || die "nft is gone; cannot remove table ip ${S[nft_table]}"
		if nft list table ip "${S[nft_table]}" >/dev/null 2>&1; then
			nft delete table ip "${S[nft_table]}" || die "cannot delete nft table ip ${S[nft_table]}"
		fi
		say "removed nft table ip ${S[nft_table]}"
		;;
	iptables)
		command -v iptables >/dev/null || die "iptables is gone; cannot remove the MASQUERADE rule"
		# shellcheck disable=SC2046
		while iptables -t nat -C POSTROUTING $(ipt_rule "${S[subnet]}" "$br") 2>/dev/null; do
			# shellcheck disable=SC2046
			iptables -t nat -D POSTROUTING $(ipt_rule "${S[subnet]}" "$br") || die "cannot remove the MASQUERADE rule"
		done
		say "removed the MASQUERADE rule for ${S[subnet]}"
		;;
	esac
	unset 'S[nat]' 'S[nft_table]'
	save_state
	if [[ ${S[set_forward]:-} == 1 ]]; then
		if other=$(other_nat_state "$br"); then
			# the other bridge still needs forwarding: it restores it
			printf 'set_forward=1\nforward_prev=%s\n' "${S[forward_prev]:-0}" >>"$other"
			say "IPv4 forwarding left on: $other still uses NAT (it will restore it)"
		else
			echo "${S[forward_prev]:-0}" >/proc/sys/net/ipv4/ip_forward ||
				die "cannot restore /proc/sys/net/ipv4/ip_forward"
			say "IPv4 forwarding back to ${S[forward_prev]:-0}"
		fi
		unset 'S[set_forward]' 'S[forward_prev]'
		save_state
	fi
	if [[ ${S[created_bridge]:-} == 1 ]]; then
		if link_exists "$br"; then
			ip link del dev "$br" || die "cannot delete bridge $br"
			say "deleted bridge $br"
		else
			say "bridge $br is already gone"
		fi
	else
		if [[ ${S[added_addr]:-} == 1 ]] && has_addr "$br" "${S[addr]}"; then
			ip addr del "${S[addr]}" dev "$br" || die "cannot remove ${S[addr]} from $br"
			say "removed ${S[addr]} from $br (the bridge was there before)"
		fi
		if [[ ${S[set_up]:-} == 1 ]] && link_exists "$br"; then
			ip link set dev "$br" down || die "cannot set $br down"
			say "$br down again (the bridge was there before)"
		fi
	fi
	rm -f "$f"
	say "$br: undone"
}

cmd_status() {
	local br=$1 f
	f=$(state_file "$br")
	if load_state "$br"; then
		echo "state ($f):"
		sed -n 's/^\([a-z_]*=\)/  \1/p' "$f"
	else
		echo "no state for $br ($f)"
	fi
	if link_exists "$br"; then
		ip -br addr show dev "$br"
		echo "ports: $(ip -o link show master "$br" 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); printf "%s ", $2 }')"
	else
		echo "$br does not exist"
	fi
}

main() {
	local cmd="" br=br0 addr=192.168.100.1/24 nat=0
	[[ $# -gt 0 ]] || usage_error "no command given"
	case $1 in
	up | down | status) cmd=$1 ;;
	-h | --help | help)
		usage
		return 0
		;;
	*) usage_error "unknown command '$1'" ;;
	esac
	shift
	while [[ $# -gt 0 ]]; do
		case $1 in
		--bridge)
			[[ $# -ge 2 ]] || usage_error "--bridge needs a name"
			br=$2
			shift
			;;
		--bridge=*) br=${1#*=} ;;
		--addr)
			[[ $# -ge 2 ]] || usage_error "--addr needs A.B.C.D/LEN"
			addr=$2
			shift
			;;
		--addr=*) addr=${1#*=} ;;
		--nat) nat=1 ;;
		-h | --help)
			usage
			return 0
			;;
		*) usage_error "unknown option '$1'" ;;
		esac
		shift
	done
	valid_ifname "$br" || usage_error "--bridge: '$br' is not a valid interface name (1 to 15 of A-Z a-z 0-9 _ . -)"
	[[ $(id -u) -eq 0 ]] || die "must be run as root (it creates interfaces and writes $RUN_DIR)"
	command -v ip >/dev/null || die "no 'ip' command (Debian package iproute2)"
	case $cmd in
	up) cmd_up "$br" "$addr" "$nat" ;;
	down) cmd_down "$br" ;;
	status) cmd_status "$br" ;;
	esac
}

main "$@"
