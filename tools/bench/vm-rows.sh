# shellcheck shell=bash disable=SC2154 # COLNAME, LABEL, RES, NA...: tools/bench.sh
# make bench: start-up, exit-cost, memory and churn rows (sourced by
# tools/bench.sh, which owns RES, NA, RUNS, QEMU, KVMINI, B, stats, fmt,
# calc, add, q and say).  Columns: kvmini, QEMU -M microvm (same guest,
# same RAM and vCPUs) and kvmbare, a bare KVM_RUN loop (the limit).
# See docs/bench.md, "Start-up, exits, memory, churn".
SPAWNTIME=$B/spawntime
KVMBARE=$B/kvmbare
VG=build/guest-tests
VM_EXITS=50000        # the loop count of bench_pio.S and bench_mmio.S
VM_TOUCH_MB=16        # what bench_mem.S touches
VM_MEM_RAM=64M
VM_CHURN=${BENCH_CHURN:-20}

COLNAME[kvmini-vm]="kvmini"
COLNAME[qemu-vm]="QEMU -M microvm"
COLNAME[bare]="bare KVM_RUN loop (kvmbare)"
LABEL[startbyte]="start-up: process start to the guest's first serial byte, ms"
LABEL[startexit]="start-up: process start to exit of a guest that exits at once, ms"
LABEL[exitpio]="exit round trip, port-I/O write to an unclaimed port, µs"
LABEL[exitmmio]="exit round trip, MMIO write to an unclaimed address, µs"
LABEL[mem1]="memory: VMM RSS outside its guest RAM mapping, 1 vCPU, MiB"
LABEL[mem8]="memory: VMM RSS outside its guest RAM mapping, 8 vCPUs, MiB"
LABEL[churn]="churn: tiny VMs started and finished per second on one core (taskset -c 0, $VM_CHURN in a row)"

vm_build() {
	local t
	mkdir -p "$B"
	for t in spawntime kvmbare; do
		if [ ! -x "$B/$t" ] || [ "tools/bench/$t.c" -nt "$B/$t" ]; then
			${CC:-gcc} -O2 -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE \
				-o "$B/$t" "tools/bench/$t.c" || return 1
		fi
	done
}

# vm_cmd_of COL GUEST [VCPUS RAM]: the command line into CMD ("" when none)
vm_cmd_of() {
	local col=$1 elf=$VG/$2.elf cpus=${3:-1} ram=${4:-16M}
	case $col in
	kvmini-vm)
		CMD=("$KVMINI" run --kernel "$elf" --mem "$ram" --cpus "$cpus" --test-exit)
		;;
	qemu-vm)
		# shellcheck disable=SC2054 # the commas are QEMU's
		CMD=("$QEMU" -accel kvm -M microvm -m "$ram" -smp "$cpus" -nodefaults
			-no-user-config -display none -serial stdio -monitor none
			-kernel "$elf" -device isa-debug-exit,iobase=0xf4,iosize=4)
		;;
	bare) CMD=("$KVMBARE" "$elf") ;;
	esac
}

vin_rows() { [[ " ${VROWS[*]} " == *" $1 "* ]]; }

# vm_spawn COL GUEST: one timed run through spawntime; sets FIRST_NS, EXIT_NS
vm_spawn() {
	local out
	vm_cmd_of "$1" "$2"
	out=$(timeout -k 5 120 "$SPAWNTIME" 1 "${CMD[@]}")
	printf '%s|%s|%s\n' "$1" "$2" "$(head -n 1 <<<"$out")" >>"$B/runs.txt"
	FIRST_NS=$(kv first_byte_ns "$out") EXIT_NS=$(kv exit_ns "$out")
	[ "$(kv status "$out")" = 85 ] || {
		NA[$1]="$2 run ended with status $(kv status "$out") (want 85)"
		return 1
	}
}

# vm_mem COL VCPUS: RSS of the VMM while bench_mem sits halted
vm_mem() {
	local col=$1 cpus=$2 pid st rss anon file ram priv pss
	vm_cmd_of "$col" bench_mem "$cpus" "$VM_MEM_RAM"
	# emptied here, not by the redirection below: that one runs in the
	# background job, maybe after the first poll saw the last run's line
	: >"$B/mem.out"
	"${CMD[@]}" </dev/null >>"$B/mem.out" 2>/dev/null &
	pid=$!
	for _ in $(seq 200); do
		grep -q ready "$B/mem.out" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	if grep -q ready "$B/mem.out" && st=$(cat "/proc/$pid/status" 2>/dev/null) &&
		ram=$(vm_guest_ram_rss "$pid") && read -r priv pss < <(vm_own_private_pss "$pid"); then
		rss=$(awk '/^VmRSS:/ { print $2 }' <<<"$st")
		anon=$(awk '/^RssAnon:/ { print $2 }' <<<"$st")
		file=$(awk '/^RssFile:/ { print $2 }' <<<"$st")
		add "vm|mem$cpus|$col" "$(calc "($rss - $ram) / 1024")"
		add "vm|mem$cpus|$col|beyond" "$(calc "($rss - $VM_TOUCH_MB * 1024) / 1024")"
		add "vm|mem$cpus|$col|ram" "$(calc "$ram / 1024")"
		add "vm|mem$cpus|$col|anon" "$(calc "$anon / 1024")"
		add "vm|mem$cpus|$col|file" "$(calc "$file / 1024")"
		add "vm|mem$cpus|$col|priv" "$(calc "$priv / 1024")"
		add "vm|mem$cpus|$col|pss" "$(calc "$pss / 1024")"
		printf '%s|mem%s|VmRSS=%s RssAnon=%s RssFile=%s guest_ram_rss=%s private=%s pss=%s kB threads=%s\n' \
			"$col" "$cpus" "$rss" "$anon" "$file" "$ram" "$priv" "$pss" \
			"$(awk '/^Threads:/ { print $2 }' <<<"$st")" >>"$B/runs.txt"
	else
		NA_MEM[$col|$cpus]=$((${NA_MEM[$col|$cpus]:-0} + 1))
	fi
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}
declare -A NA_MEM

# vm_lab_boot_rows: the KVM lab's Linux boot times, quoted from the section
# of docs/bench.md that tools/bench/lab-boot.sh's results were copied to
# (its table: kvmini, QEMU -M microvm, QEMU -M q35); not measured here
vm_lab_boot_rows() {
	local label k q col line
	[ -f docs/bench.md ] || return 0
	while IFS='|' read -r _ label k q _; do
		label=${label# } label=${label% }
		line="| lab, Linux boot, $label (not measured by make bench; tools/bench/lab-boot.sh) |"
		for col in "${VCOLS[@]}"; do
			case $col in
			kvmini-vm) line+="$k|" ;;
			qemu-vm) line+="$q|" ;;
			*) line+=" - |" ;;
			esac
		done
		echo "$line"
	done < <(grep -E '^\| (cloud|tiny) kernel: ' docs/bench.md)
}

# vm_guest_ram_rss PID: Rss (kB) of the process's largest anonymous mapping,
# its guest RAM (kvmini and QEMU each map the RAM of these guests in one)
vm_guest_ram_rss() {
	awk '/^[0-9a-f]+-[0-9a-f]+ / { anon = NF < 6 }
		/^Size:/ { size = $2 }
		/^Rss:/ && anon && size > best { best = size; rss = $2 }
		END { if (best) print rss; else exit 1 }' "/proc/$1/smaps" 2>/dev/null
}

# vm_own_private_pss PID: "PRIVATE PSS" (kB) of every mapping but the guest
# RAM (the largest anonymous one): what the VMM alone holds (its heap,
# stacks, dirtied data, and file pages no other process maps), and its
# proportional share of the rest (shared libraries' pages split among the
# processes that map them)
vm_own_private_pss() {
	awk '/^[0-9a-f]+-[0-9a-f]+ / { n++; anon[n] = NF < 6 }
		/^Size:/ { size[n] = $2 }
		/^Pss:/ { pss[n] = $2 }
		/^Private_(Clean|Dirty):/ { priv[n] += $2 }
		END {
			for (i = 1; i <= n; i++)
				if (anon[i] && size[i] > size[best]) best = i
			if (!best) exit 1
			for (i = 1; i <= n; i++)
				if (i != best) { p += priv[i]; s += pss[i] }
			print p, s
		}' "/proc/$1/smaps" 2>/dev/null
}

# vm_rep REP: one round of every selected row and column
vm_rep() {
	local col out base
	for col in "${VCOLS[@]}"; do
		[ -n "${NA[$col]:-}" ] && continue
		if vin_rows startbyte || vin_rows startexit || vin_rows exitpio || vin_rows exitmmio; then
			vm_spawn "$col" bench_start || continue
			add "vm|startbyte|$col" "$(calc "$FIRST_NS / 1e6")"
			add "vm|startexit|$col" "$(calc "$EXIT_NS / 1e6")"
			base=$EXIT_NS
			if vin_rows exitpio; then
				vm_spawn "$col" bench_pio || continue
				add "vm|exitpio|$col" "$(calc "($EXIT_NS - $base) / $VM_EXITS / 1e3")"
			fi
			if vin_rows exitmmio; then
				vm_spawn "$col" bench_mmio || continue
				add "vm|exitmmio|$col" "$(calc "($EXIT_NS - $base) / $VM_EXITS / 1e3")"
			fi
		fi
		if [ "$col" != bare ]; then
			vin_rows mem1 && vm_mem "$col" 1
			vin_rows mem8 && vm_mem "$col" 8
		fi
		if vin_rows churn; then
			vm_cmd_of "$col" bench_start
			out=$(taskset -c 0 "$SPAWNTIME" "$VM_CHURN" "${CMD[@]}")
			printf '%s|churn|%s\n' "$col" "$(tail -n 1 <<<"$out")" >>"$B/runs.txt"
			if [ "$(grep -c 'status=85$' <<<"$out")" = "$VM_CHURN" ]; then
				add "vm|churn|$col" "$(calc "$VM_CHURN / ($(kv total_ns "$(tail -n 1 <<<"$out")") / 1e9)")"
			fi
		fi
	done
}

vm_cell() { # vm_cell ROW COL [SUFFIX]
	local vals st
	[ -n "${NA[$2]:-}" ] && { echo "n/a"; return; }
	case $1 in mem*) [ "$2" = bare ] && { echo "-"; return; } ;; esac
	read -r -a vals <<<"${RES[vm|$1|$2${3:-}]:-}"
	[ "${#vals[@]}" -eq 0 ] && { echo "n/a"; return; }
	read -r -a st <<<"$(stats "${vals[@]}")"
	echo "$(fmt "${st[0]}") ($(fmt "${st[1]}")-$(fmt "${st[2]}"))"
}

vm_report() {
	local col row line m
	echo "**Start-up, exit cost, memory, churn.** Tiny asm guests" \
		"(guest-tests/src/bench_*.S), the same ELF on every column;" \
		"QEMU is \`-M microvm\` (qboot, its default firmware), the bare" \
		"column is tools/bench/kvmbare.c (one memslot, no irqchip, nothing" \
		"done per exit). Wall clock from fork() (spawntime):"
	echo
	line="| |"
	for col in "${VCOLS[@]}"; do line+=" ${COLNAME[$col]} |"; done
	echo "$line"
	line="| --- |"
	for col in "${VCOLS[@]}"; do line+=" --- |"; done
	echo "$line"
	for row in "${VROWS[@]}"; do
		line="| ${LABEL[$row]} |"
		for col in "${VCOLS[@]}"; do line+=" $(vm_cell "$row" "$col") |"; done
		echo "$line"
	done
	vm_lab_boot_rows
	echo
	for col in "${VCOLS[@]}"; do
		[ -n "${NA[$col]:-}" ] && echo "- ${COLNAME[$col]}: n/a, ${NA[$col]}"
		for m in 1 8; do
			[ -n "${NA_MEM[$col|$m]:-}" ] && echo "- ${COLNAME[$col]}, memory, $m vCPUs:" \
				"${NA_MEM[$col|$m]} of $RUNS runs left out (no ready line within 10 s, or /proc unreadable)"
		done
	done
	for row in mem1 mem8; do
		vin_rows "$row" || continue
		m=""
		for col in kvmini-vm qemu-vm; do
			[[ " ${VCOLS[*]} " == *" $col "* ]] || continue
			m="${m:+$m; }${COLNAME[$col]}: VmRSS minus the $VM_TOUCH_MB MiB the guest touched $(vm_cell "$row" "$col" "|beyond")," \
			m+=" guest RAM mapping $(vm_cell "$row" "$col" "|ram"), RssAnon $(vm_cell "$row" "$col" "|anon"), RssFile $(vm_cell "$row" "$col" "|file"); outside the guest RAM mapping: private (USS) $(vm_cell "$row" "$col" "|priv"), PSS $(vm_cell "$row" "$col" "|pss")"
		done
		echo "- ${row#mem} vCPU(s), VmRSS split, MiB: $m"
	done
	vin_rows startbyte && [[ " ${VCOLS[*]} " == *" bare "* ]] &&
		echo "- bare column of the first-byte row: kvmbare prints only at its end, so its figure is its whole run"
	[[ " ${VCOLS[*]} " == *" qemu-vm "* ]] && [ -z "${NA[qemu-vm]:-}" ] && [ -n "$qemu_ver" ] &&
		echo "- $qemu_ver"
	echo
	echo "Commands (GUEST: bench_start, bench_pio, bench_mmio; bench_mem with" \
		"VCPUS 1 or 8 and $VM_MEM_RAM RAM; churn: \`taskset -c 0 $SPAWNTIME $VM_CHURN CMD\`):"
	echo
	echo '```'
	for col in "${VCOLS[@]}"; do
		vm_cmd_of "$col" GUEST VCPUS RAM
		q "${CMD[@]}" | sed "s|$VG/GUEST.elf|$VG/GUEST.elf|"
	done
	echo '```'
}

if [ "$VMROWS" = 1 ] && { [ "$QEMU" = none ] || ! [ -x "$QEMU" ]; }; then
	NA[qemu-vm]="QEMU is not installed"
fi
