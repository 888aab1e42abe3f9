#!/usr/bin/env bash
# Direct-tier runner: boots every tiny guest on this host's /dev/kvm with a
# timeout and checks its exit code and console output.  One line per test,
# then "N passed, N failed, N skipped".
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
kvmini=${KVMINI:-$top/kvmini}
guests=${GUEST_DIR:-$top/build/guest-tests}
work=$(mktemp -d)
# the network tests' namespace and peer, while they exist
net_ns="" net_peer_pid=""
# io_uring switched off for one test: the value to put back
uring_sysctl=/proc/sys/kernel/io_uring_disabled uring_was=""
cleanup() {
	[ -n "$uring_was" ] && echo "$uring_was" >"$uring_sysctl"
	[ -n "$net_peer_pid" ] && kill "$net_peer_pid" 2>/dev/null
	[ -n "$net_ns" ] && ip netns del "$net_ns" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
passed=0 failed=0 skipped=0
run_in="" # a command prefix for kvmini (ip netns exec NS)
# KVMINI_SKIP_GUESTS="NAME...": run_guest skips these, saying
# KVMINI_SKIP_WHY (the KVM lab, where some guests cannot run: docs/lab.md)
skip_guests=" ${KVMINI_SKIP_GUESTS:-} "

# output_matches PATTERN FILE: an ERE, !ERE for "must not appear",
# or EMPTY for no output at all
output_matches() {
	if [ "$1" = EMPTY ]; then
		[ ! -s "$2" ]
	elif [ "${1#!}" != "$1" ]; then
		! grep -Eq -- "${1#!}" "$2"
	else
		grep -Eq -- "$1" "$2"
	fi
}

# run_guest NAME EXPECTED_RC PATTERN [kvmini run args...]
# stdin comes from $work/NAME.in when that file exists; the time limit is
# $guest_timeout seconds (default 30).
run_guest() {
	local name=$1 want_rc=$2 pattern=$3 rc
	shift 3
	if [[ $skip_guests == *" $name "* ]]; then
		echo "SKIP $name: ${KVMINI_SKIP_WHY:-KVMINI_SKIP_GUESTS}"
		skipped=$((skipped + 1))
		return
	fi
	local in=/dev/null
	[ -e "$work/$name.in" ] && in=$work/$name.in
	timeout -k 5 "${guest_timeout:-30}" $run_in "$kvmini" run "$@" <"$in" >"$work/$name.out" 2>&1
	rc=$?
	if [ "$rc" -eq "$want_rc" ] && output_matches "$pattern" "$work/$name.out"; then
		echo "PASS $name"
		passed=$((passed + 1))
	else
		echo "FAIL $name (exit $rc, wanted $want_rc; output:)"
		sed 's/^/    | /' "$work/$name.out" | head -20
		# past the first 20 lines, only the failures
		tail -n +21 "$work/$name.out" | grep -E 'FAIL|error' |
			sed 's/^/    | /' | head -20
		failed=$((failed + 1))
	fi
}

if ! "$kvmini" check >/dev/null 2>&1 && [ ! -r /dev/kvm ]; then
	echo "SKIP all direct guest-tests: no usable /dev/kvm here"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi

g=$guests
run_guest hello_pvh 0 'hello from a PVH guest' --kernel "$g/hello_pvh.elf" --mem 16M
run_guest hello64 0 'hello from a 64-bit guest' --kernel "$g/hello64.elf" --mem 16M
run_guest triple_fault 4 'triple fault.*register dump' --kernel "$g/triple_fault.elf" --mem 16M
# KVM on AMD INITs the vCPU at a shutdown: kvmini says the state is lost
tf_regs='RAX=00000000deadbeef'
[ -d /sys/module/kvm_amd ] && tf_regs="vCPU 0: these are the vCPU's reset values"
run_guest triple_fault_regs 4 "$tf_regs" --kernel "$g/triple_fault.elf" --mem 16M
run_guest kbd_reset 0 '^boot' --kernel "$g/kbd_reset.elf" --mem 16M
run_guest acpi_reset 0 'acpi reset' --kernel "$g/acpi_reset.elf" --mem 16M
run_guest test_exit 85 EMPTY --kernel "$g/test_exit.elf" --mem 16M --test-exit
run_guest test_exit_off 0 'port not there' --kernel "$g/test_exit.elf" --mem 16M
run_guest unclaimed 0 'PASS unclaimed' --kernel "$g/unclaimed.elf" --mem 16M
printf 'hello world q' >"$work/uart_echo.in"
run_guest uart_echo 0 'HELLO WORLD' --kernel "$g/uart_echo.elf" --mem 16M
# Ctrl-A x quits (exit 0) before the guest would see 'q'
printf 'ab\001xq' >"$work/ctrl_a_quit.in"
run_guest ctrl_a_quit 0 '!bye' --kernel "$g/uart_echo.elf" --mem 16M
# Ctrl-A Ctrl-A sends one Ctrl-A through; the guest echoes it back
printf 'a\001\001bq' >"$work/ctrl_a_send.in"
run_guest ctrl_a_send 0 $'A\001B' --kernel "$g/uart_echo.elf" --mem 16M
run_guest console_none 0 EMPTY --kernel "$g/hello_pvh.elf" --mem 16M --console none
run_guest console_file 0 EMPTY --kernel "$g/hello_pvh.elf" --mem 16M \
	--console "file:$work/console.log"
if grep -q 'hello from a PVH guest' "$work/console.log" 2>/dev/null; then
	echo "PASS console_file_content"; passed=$((passed + 1))
else
	echo "FAIL console_file_content"; failed=$((failed + 1))
fi
run_guest big_mem_split 0 'hello from a PVH guest' --kernel "$g/hello_pvh.elf" --mem 4G
run_guest smp_boot_cpu 0 'hello from a 64-bit guest' --kernel "$g/hello64.elf" --mem 16M --cpus 4

# --- boot formats (docs/boot-formats.md) --------------------------------------
# Multiboot: module 0 is --initrd, module 1 a --module with a cmdline; the
# guest checks sizes and checksums (s = s * 31 + byte, 32 bits) from its
# command line, and the memory map against mem=.
mb_sum() {
	od -An -v -tu1 "$1" | awk '{ for (i = 1; i <= NF; i++) s = (s * 31 + $i) % 4294967296 }
		END { printf "0x%04x%04x", int(s / 65536), s % 65536 }' # busybox awk's %x stops at 2^31
}
head -c 5000 /dev/urandom >"$work/mb_mod0.bin"
head -c 12345 /dev/urandom >"$work/mb_mod1.bin"
mb_args="mods=2 m0size=5000 m0sum=$(mb_sum "$work/mb_mod0.bin") m1size=12345 m1sum=$(mb_sum "$work/mb_mod1.bin")"
for mem in 64M 3584M; do
	run_guest "multiboot_info_$mem" 0 '^PASS multiboot_info' \
		--kernel "$g/multiboot_info.elf" --mem "$mem" --cmdline "mem=$mem $mb_args" \
		--initrd "$work/mb_mod0.bin" --module "$work/mb_mod1.bin,cmdline=mod1 arg=1,x"
done
if grep -qx "cmdline: mem=64M $mb_args" "$work/multiboot_info_64M.out"; then
	echo "PASS multiboot_cmdline"; passed=$((passed + 1))
else
	echo "FAIL multiboot_cmdline (the guest did not see the --cmdline string)"
	failed=$((failed + 1))
fi
run_guest multiboot_aout 0 '^PASS mb_aout' --kernel "$g/mb_aout.bin" --mem 16M
run_guest flat_real 0 '^PASS flat real mode' \
	--kernel "$g/real16.bin,format=flat,addr=0x7c00" --mem 16M
run_guest flat_real_segment 0 '^PASS flat real mode' \
	--kernel "$g/real16_seg.bin,format=flat,addr=0x10000,mode=real" --mem 16M
run_guest flat_64 0 '^PASS flat 64-bit' \
	--kernel "$g/flat64.bin,format=flat,addr=0x200000,mode=64" --mem 16M

# Guest RAM is touched lazily: a 2 GiB guest costs kvmini only what it uses.
mkfifo "$work/rss.in"
"$kvmini" run --kernel "$g/uart_echo.elf" --mem 2G <"$work/rss.in" \
	>"$work/rss.out" 2>&1 &
pid=$!
exec 9>"$work/rss.in"
for _ in $(seq 50); do
	grep -q 'echo ready' "$work/rss.out" && break
	sleep 0.1
done
rss_kb=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null)
echo q >&9
exec 9>&-
wait "$pid"
rc=$?
if [ "$rc" -eq 0 ] && [ -n "$rss_kb" ] && [ "$rss_kb" -lt 65536 ]; then
	echo "PASS lazy_ram (2 GiB guest, kvmini RSS ${rss_kb} KiB)"
	passed=$((passed + 1))
else
	echo "FAIL lazy_ram (exit $rc, RSS ${rss_kb:-?} KiB for a 2 GiB guest)"
	failed=$((failed + 1))
fi

# run_until_boots N PATTERN OUT ARGS...: kvmini run ARGS (with --reboot
# restart) until OUT has N lines matching PATTERN, then SIGTERM; sets rc.
# Not timed: 60 s only guards against a hang.
run_until_boots() {
	local n=$1 pattern=$2 out=$3 pid
	shift 3
	"$kvmini" run "$@" </dev/null >"$out" 2>&1 &
	pid=$!
	for _ in $(seq 600); do
		[ "$(grep -c "$pattern" "$out")" -ge "$n" ] && break
		sleep 0.1
	done
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"
	rc=$?
}

# --reboot restart: the guest boots again after each reset until SIGTERM
run_until_boots 2 '^boot' "$work/restart.out" --kernel "$g/kbd_reset.elf" \
	--mem 16M --reboot restart
boots=$(grep -c '^boot' "$work/restart.out")
if [ "$rc" -eq 143 ] && [ "$boots" -ge 2 ]; then
	echo "PASS reboot_restart ($boots boots, exit 143 on SIGTERM)"
	passed=$((passed + 1))
else
	echo "FAIL reboot_restart (exit $rc, $boots boots)"
	failed=$((failed + 1))
fi

# --- CPU and platform (64-bit C guests, lib/start64.S) -----------------------
# Verdict convention (guest-tests/README.md): the guest prints "PASS x" /
# "FAIL x: why" / "SKIP x: why" lines and ends with test_finish(), which
# writes 0x10 (pass) or 0x11 (fail) to the --test-exit port: kvmini exits
# 33 or 35.  run_gtest wants 33, at least one "PASS" line, no "FAIL" line
# and, when given, PATTERN; the guest's SKIP lines count as skipped.
# On kvm_pvm the guests get "pvm=1" and skip what PVM cannot do.
pvm_arg=""
[ -d /sys/module/kvm_pvm ] && pvm_arg="pvm=1"

# run_gtest NAME PATTERN|- CMDLINE [kvmini run args...]
run_gtest() {
	local name=$1 pattern=$2 cmdline=$3 rc why=""
	shift 3
	timeout -k 5 30 "$kvmini" run --test-exit --cmdline "$cmdline $pvm_arg" "$@" \
		</dev/null >"$work/$name.out" 2>&1
	rc=$?
	if [ "$rc" -ne 33 ]; then
		why="exit $rc, wanted 33"
	elif ! grep -q '^PASS ' "$work/$name.out"; then
		why="no PASS line"
	elif grep -q '^FAIL' "$work/$name.out"; then
		why="a FAIL line"
	elif [ "$pattern" != - ] && ! grep -Eq -- "$pattern" "$work/$name.out"; then
		why="no line matching $pattern"
	fi
	if [ -z "$why" ]; then
		echo "PASS $name ($(grep -c '^PASS ' "$work/$name.out") checks)"
		passed=$((passed + 1))
	else
		echo "FAIL $name ($why; output:)"
		sed 's/^/    | /' "$work/$name.out" | head -30
		failed=$((failed + 1))
	fi
	while read -r line; do
		echo "SKIP $name/${line#SKIP }"
		skipped=$((skipped + 1))
	done < <(grep '^SKIP ' "$work/$name.out")
}

run_gtest io_ports '^rep-outsb: string I/O to COM1$' "" --kernel "$g/io_ports.elf" --mem 64M
head -c 1048576 /dev/zero >"$work/mmio.img"
run_gtest mmio_widths 'PASS mmio_bar_write64' "" --kernel "$g/mmio_widths.elf" \
	--mem 64M --disk "$work/mmio.img"
run_gtest cpuid_topo_1 'PASS cpuid_cpu0' "cpus=1" --kernel "$g/cpuid_topo.elf" --mem 64M
run_gtest cpuid_topo_4 'PASS cpuid_cpu3' "cpus=4" --kernel "$g/cpuid_topo.elf" \
	--mem 64M --cpus 4
run_gtest msr 'PASS msr_unknown_read_gp' "" --kernel "$g/msr.elf" --mem 64M
run_gtest lapic_timer 'PASS lapic_timer_at_cpl3' "" --kernel "$g/lapic_timer.elf" --mem 64M
run_gtest ioapic_irq 'PASS ioapic_serial_thre_irq4' "" --kernel "$g/ioapic_irq.elf" --mem 64M
run_gtest pit 'PASS pit_ch2_out2' "" --kernel "$g/pit.elf" --mem 64M
run_gtest smp_start_2 'PASS smp_cpu_checksum_01' "cpus=2" --kernel "$g/smp_start.elf" \
	--mem 64M --cpus 2
run_gtest smp_start_4 'PASS smp_cpu_checksum_03' "cpus=4" --kernel "$g/smp_start.elf" \
	--mem 64M --cpus 4
run_gtest mem_hole_64m 'PASS mem_low_last_bytes' "mem=64" --kernel "$g/mem_hole.elf" --mem 64M
run_gtest mem_hole_3584m 'PASS mem_no_alias' "mem=3584" --kernel "$g/mem_hole.elf" --mem 3584M
run_gtest mem_hole_6g 'PASS mem_no_alias' "mem=6144" --kernel "$g/mem_hole.elf" --mem 6G
run_gtest past_ram_64m 'PASS past_ram_writes_ignored' "mem=64" --kernel "$g/past_ram.elf" \
	--mem 64M
run_gtest past_ram_high 'PASS past_ram_writes_ignored' "mem=3584" \
	--kernel "$g/past_ram.elf" --mem 3584M
run_gtest cpl3_loop 'PASS cpl3_loop_sum' "" --kernel "$g/cpl3_loop.elf" --mem 64M
# without --test-exit the verdict write goes nowhere: the guest powers off
run_guest gtest_no_exit_port 0 'test-exit port not there' --kernel "$g/msr.elf" --mem 64M

# --- PCI and virtio-blk ------------------------------------------------------
# Disk images are 1 MiB (2048 sectors) of random bytes whose sector 0 is the
# 19 ASCII bytes "KVMINI-DISK-PATTERN" followed by byte i = i & 0xff for
# i = 19..511 (the guests check this, see src/blk_common.h).  virtio_blk_rw
# writes sector s = 1..8 with byte i = (s * 7 + i) & 0xff and nothing else;
# the read-only and hostile guests must not change a byte.
skip() {
	echo "SKIP $1: $2"
	skipped=$((skipped + 1))
}

check() { # check NAME WHAT COMMAND...: one PASS/FAIL line for a host-side check
	local name=$1 what=$2
	shift 2
	if "$@"; then
		echo "PASS $name"
		passed=$((passed + 1))
	else
		echo "FAIL $name ($what)"
		failed=$((failed + 1))
	fi
}

# the bytes 0..255, three times over; ramp START COUNT prints COUNT bytes of
# the 0, 1, ..., 255, 0, ... sequence starting at START
for ((i = 0; i < 256; i++)); do
	printf -v oct '\\%o' "$i"
	printf "$oct"
done >"$work/ramp1"
cat "$work/ramp1" "$work/ramp1" "$work/ramp1" >"$work/ramp"
ramp() { tail -c +$(($1 % 256 + 1)) "$work/ramp" | head -c "$2"; }

make_disk() { # make_disk FILE: random image with the sector-0 pattern
	head -c 1048576 /dev/urandom >"$1"
	{ printf %s KVMINI-DISK-PATTERN; ramp 19 493; } |
		dd of="$1" conv=notrunc status=none
	cp "$1" "$1.orig"
}

if "$kvmini" run --help 2>&1 | grep -q -- '--disk'; then
	make_disk "$work/enum.img"
	make_disk "$work/enum2.img"
	run_guest pci_enum 0 '^PASS pci_enum' --kernel "$g/pci_enum.elf" --mem 32M \
		--disk "$work/enum.img" --disk "$work/enum2.img,ro"

	# the most disks kvmini takes: 16 virtio-blk functions + the host bridge
	disks16=()
	for i in $(seq 16); do
		truncate -s 1M "$work/d16-$i.img"
		disks16+=(--disk "$work/d16-$i.img")
	done
	run_guest pci_enum_16_disks 0 '^PASS pci_enum \(17 functions\)' \
		--kernel "$g/pci_enum.elf" --mem 32M "${disks16[@]}"

	make_disk "$work/rw.img"
	cp "$work/rw.img" "$work/rw.want"
	for s in 1 2 3 4 5 6 7 8; do ramp $((s * 7)) 512; done |
		dd of="$work/rw.want" bs=512 seek=1 conv=notrunc status=none
	run_guest virtio_blk_rw 0 '^PASS virtio_blk_rw' --kernel "$g/virtio_blk_rw.elf" \
		--mem 32M --disk "$work/rw.img,serial=kvmini-test-1"
	check virtio_blk_rw_capacity "no 'capacity 2048 sectors' line" \
		grep -q '^capacity 2048 sectors' "$work/virtio_blk_rw.out"
	check virtio_blk_rw_serial "GET_ID did not return kvmini-test-1" \
		grep -q '^serial: kvmini-test-1$' "$work/virtio_blk_rw.out"
	check virtio_blk_rw_image "image is not the original with sectors 1..8 written" \
		cmp -s "$work/rw.img" "$work/rw.want"
	# the same through the synchronous path (aio=sync: no io_uring) and
	# through io_uring with O_DIRECT (512-byte buffers: bounced)
	for mode in aio=sync cache=none,aio=io_uring; do
		cp "$work/rw.img.orig" "$work/rw.img"
		run_guest "virtio_blk_rw_${mode//[=,]/_}" 0 '^PASS virtio_blk_rw' \
			--kernel "$g/virtio_blk_rw.elf" --mem 32M \
			--disk "$work/rw.img,serial=kvmini-test-1,$mode"
		check "virtio_blk_rw_${mode//[=,]/_}_image" \
			"image is not the original with sectors 1..8 written" \
			cmp -s "$work/rw.img" "$work/rw.want"
	done

	# a kernel without io_uring (switched off for this one run): the
	# default aio=auto falls back to synchronous I/O and the disk works
	if [ -w "$uring_sysctl" ]; then
		uring_was=$(cat "$uring_sysctl")
		echo 2 >"$uring_sysctl"
		cp "$work/rw.img.orig" "$work/rw.img"
		run_guest virtio_blk_rw_no_io_uring 0 '^PASS virtio_blk_rw' \
			--kernel "$g/virtio_blk_rw.elf" --mem 32M \
			--disk "$work/rw.img,serial=kvmini-test-1"
		echo "$uring_was" >"$uring_sysctl"
		uring_was=""
		check virtio_blk_rw_no_io_uring_image \
			"image is not the original with sectors 1..8 written" \
			cmp -s "$work/rw.img" "$work/rw.want"
	else
		skip virtio_blk_rw_no_io_uring "$uring_sysctl is not writable"
		skip virtio_blk_rw_no_io_uring_image "$uring_sysctl is not writable"
	fi

	# multi-queue: a request queue per vCPU unless queues= says; the guest
	# writes sector 16 + q through queue q, all in flight at once
	for spec in 2:2: 3:2:,queues=3; do
		IFS=: read -r n cpus opts <<<"$spec"
		make_disk "$work/mq.img"
		cp "$work/mq.img" "$work/mq.want"
		for ((s = 16; s < 16 + n; s++)); do ramp $((s * 7)) 512; done |
			dd of="$work/mq.want" bs=512 seek=16 conv=notrunc status=none
		run_guest "virtio_blk_mq_$n" 0 '^PASS virtio_blk_mq' \
			--kernel "$g/virtio_blk_mq.elf" --mem 32M --cpus "$cpus" \
			--disk "$work/mq.img$opts"
		check "virtio_blk_mq_${n}_count" "the device did not report $n queues" \
			grep -q "^num_queues $n (common configuration: $n)" \
			"$work/virtio_blk_mq_$n.out"
		check "virtio_blk_mq_${n}_image" \
			"image is not the original with sectors 16..$((15 + n)) written" \
			cmp -s "$work/mq.img" "$work/mq.want"
	done

	make_disk "$work/ro.img"
	run_guest virtio_blk_ro 0 '^PASS virtio_blk_ro' --kernel "$g/virtio_blk_ro.elf" \
		--mem 32M --disk "$work/ro.img,ro"
	check virtio_blk_ro_image "a read-only image changed" \
		cmp -s "$work/ro.img" "$work/ro.img.orig"

	make_disk "$work/zeroes.img"
	run_guest virtio_blk_zeroes 0 '^PASS virtio_blk_zeroes' \
		--kernel "$g/virtio_blk_zeroes.elf" --mem 32M --disk "$work/zeroes.img"
	# the expected image: the original with sectors 100..107 zeroed
	cp "$work/zeroes.img.orig" "$work/zeroes.want"
	dd if=/dev/zero of="$work/zeroes.want" bs=512 seek=100 count=8 \
		conv=notrunc 2>/dev/null
	check virtio_blk_zeroes_image "image is not the original with sectors 100..107 zeroed" \
		cmp -s "$work/zeroes.img" "$work/zeroes.want"

	make_disk "$work/hostile.img"
	run_guest virtio_blk_hostile 0 '^PASS virtio_blk_hostile' \
		--kernel "$g/virtio_blk_hostile.elf" --mem 32M --disk "$work/hostile.img"
	check virtio_blk_hostile_image "hostile requests changed the image" \
		cmp -s "$work/hostile.img" "$work/hostile.img.orig"
	# O_DIRECT: reads stay in flight long enough for reset_in_flight
	run_guest virtio_blk_hostile_direct 0 '^PASS virtio_blk_hostile' \
		--kernel "$g/virtio_blk_hostile.elf" --mem 32M \
		--disk "$work/hostile.img,cache=none"
	check virtio_blk_hostile_direct_image "hostile requests changed the image" \
		cmp -s "$work/hostile.img" "$work/hostile.img.orig"
	check virtio_blk_hostile_direct_in_flight \
		"reset_in_flight reset with no read in flight: it tested nothing" \
		grep -Eq '^reset_in_flight: [1-9] of' "$work/virtio_blk_hostile_direct.out"
else
	why="kvmini run has no --disk option yet"
	# the host bridge alone, if there is one already
	timeout -k 5 30 "$kvmini" run --kernel "$g/pci_enum.elf" --mem 32M \
		</dev/null >"$work/pci_enum.out" 2>&1
	if grep -q '^SKIP pci_enum' "$work/pci_enum.out"; then
		skip pci_enum "$(sed -n 's/^SKIP pci_enum: //p' "$work/pci_enum.out")"
	else
		run_guest pci_enum 0 '^PASS pci_enum' --kernel "$g/pci_enum.elf" --mem 32M
	fi
	for t in virtio_blk_rw virtio_blk_rw_capacity virtio_blk_rw_serial \
		virtio_blk_rw_image virtio_blk_ro virtio_blk_ro_image \
		virtio_blk_zeroes virtio_blk_zeroes_image \
		virtio_blk_rw_aio_sync virtio_blk_rw_aio_sync_image \
		virtio_blk_rw_cache_none_aio_io_uring \
		virtio_blk_rw_cache_none_aio_io_uring_image \
		virtio_blk_rw_no_io_uring virtio_blk_rw_no_io_uring_image \
		virtio_blk_hostile virtio_blk_hostile_image \
		virtio_blk_hostile_direct virtio_blk_hostile_direct_image \
		virtio_blk_hostile_direct_in_flight \
		virtio_blk_mq_2 virtio_blk_mq_2_count virtio_blk_mq_2_image \
		virtio_blk_mq_3 virtio_blk_mq_3_count virtio_blk_mq_3_image; do
		skip "$t" "$why"
	done
fi

# --- kvmini's BIOS: --boot disk (bios/README.md) -----------------------------
# bootsect.bin (src/bootsect.S) written into a 1 MiB raw image: its stage 2
# checks INT 10h/13h/15h/16h/1Ah and ends with one PASS line whose e820= is
# the usable RAM the BIOS's E820 map gives: --mem minus the 0x60400 bytes
# of EBDA and BIOS area below 1 MiB.
bios_img() { # bios_img NAME SOURCE: $work/NAME.img, SOURCE padded to 1 MiB
	cp "$2" "$work/$1.img" && truncate -s 1M "$work/$1.img"
}
e820_want() { printf '%08x' $(($1 * 1024 * 1024 - 0x60400)); }
bios_img bootsect "$g/bootsect.bin"
run_guest bios_bootsect 85 "^bootsect PASS e820=$(e820_want 16) write=ok" \
	--disk "$work/bootsect.img" --mem 16M --test-exit
# write=ok read LBA 8 back through the BIOS; the host file must have it too
check bios_write_on_disk "LBA 8 of the image does not start with WRIT" \
	test "$(dd if="$work/bootsect.img" bs=512 skip=8 count=1 2>/dev/null | head -c 4)" = WRIT
run_guest bios_bootsect_64M 85 "^bootsect PASS e820=$(e820_want 64) write=ok" \
	--disk "$work/bootsect.img" --mem 64M --test-exit --boot disk
# its one unknown call (INT 15h AH=99h) returned with carry set (else
# FAIL) and is counted: the bios-debug device's writes and the bios: line
run_guest bios_unknown_call 85 '^bios: 1 unknown call\(s\), last INT 15h AH=99h' \
	--disk "$work/bootsect.img" --mem 16M --test-exit --stats
check bios_unknown_call_device "no bios-debug line with 1 write in --stats" \
	grep -Eq '^ +bios-debug +0x518 +4 +0 +1$' "$work/bios_unknown_call.out"
# a read-only disk: AH=43h fails with 03h and the image keeps every byte
bios_img bootsect_ro "$g/bootsect.bin"
cp "$work/bootsect_ro.img" "$work/bootsect_ro.orig"
run_guest bios_bootsect_ro 85 "^bootsect PASS e820=$(e820_want 16) write=ro" \
	--disk "$work/bootsect_ro.img,ro" --mem 16M --test-exit
check bios_ro_unchanged "the read-only image changed" \
	cmp -s "$work/bootsect_ro.img" "$work/bootsect_ro.orig"
# no 55AAh signature: the BIOS says so and kvmini exits 1
truncate -s 1M "$work/blank.img"
run_guest bios_no_boot 1 'BIOS: no bootable disk' --disk "$work/blank.img" --mem 16M
check bios_no_boot_console "the BIOS did not print 'no bootable disk' on the console" \
	grep -q '^kvmini BIOS: no bootable disk' "$work/bios_no_boot.out"
# --reboot restart runs the BIOS again: the boot sector resets the machine
# through port 92h each time, until SIGTERM
bios_img bootsect_reboot "$g/bootsect_reboot.bin"
run_until_boots 2 '^bootsect: hello' "$work/bios_restart.out" \
	--disk "$work/bootsect_reboot.img" --mem 16M --reboot restart
boots=$(grep -c '^bootsect: hello' "$work/bios_restart.out")
check bios_reboot_restart "exit $rc, $boots boots (wanted 143 and at least 2)" \
	test "$rc" -eq 143 -a "$boots" -ge 2

# SYSLINUX (Debian's syslinux, mtools, dosfstools: tools/deps.sh) on a FAT
# image: it reaches its boot: prompt, takes "fake" typed on the serial
# console, and loads fake_bzimage.bin (src/fake_bzimage.S) as a Linux
# kernel, whose real-mode setup prints the command line SYSLINUX gave it.
# About 20 s on PVM (its protected-mode code is emulated); the lab boots
# Debian's kernel the same way (tools/lab/scenarios/bios.sh).
if command -v syslinux >/dev/null && command -v mcopy >/dev/null &&
	command -v mkfs.fat >/dev/null; then
	sl=$work/syslinux.img
	truncate -s 16M "$sl"
	mkfs.fat -F 16 -n KVMINI "$sl" >/dev/null
	syslinux --install "$sl"
	printf '%s\n' 'PROMPT 1' 'TIMEOUT 0' 'SAY kvmini-syslinux: config read' \
		'DEFAULT fake' 'LABEL fake' '  LINUX /fake.krn' \
		'  APPEND kvmini-bios-test' >"$work/syslinux.cfg"
	mcopy -i "$sl" "$work/syslinux.cfg" ::/syslinux.cfg
	mcopy -i "$sl" "$g/fake_bzimage.bin" ::/fake.krn
	printf 'fake\n' >"$work/bios_syslinux.in"
	guest_timeout=120 run_guest bios_syslinux 85 \
		"^fake-kernel: real-mode setup started by loader 0x3., cmdline 'BOOT_IMAGE=/fake.krn kvmini-bios-test'" \
		--disk "$sl" --mem 64M --test-exit
	check bios_syslinux_prompt "no SYSLINUX banner, config or boot: prompt" \
		grep -q '^boot: fake' "$work/bios_syslinux.out"
else
	skip bios_syslinux "syslinux, mtools or dosfstools not installed (tools/deps.sh build)"
fi

# --- virtio-net ---------------------------------------------------------------
# Every packet stays in a network namespace made for each test (kvmini-gt-PID,
# deleted afterwards, IPv6 off so that the kernel sends nothing of its own):
# kvmini runs inside it on tap kvtap0, and so does the peer
# (build/guest-tests/host/virtio_net_peer), which injects the frames the
# guest asks for ("net...: inject N") and lists the frames the guest sends.
# The guests print "sent KVMINI-TX-<n> len <len>" for each frame they sent;
# each must reach the tap intact, from the guest's MAC, to the broadcast
# address (see lib/net_frame.h).
net_mac=02:00:00:00:00:01
netpeer=$guests/host/virtio_net_peer
net_tests="virtio_net_rw virtio_net_rw_mac virtio_net_rw_tap virtio_net_rw_mrg
	virtio_net_rw_mrg_tap virtio_net_hostile virtio_net_hostile_tap
	virtio_net_hostile_mrg virtio_net_hostile_mrg_tap"

# net_tap_ok NAME [COUNT]: every frame NAME's guest says it sent (COUNT of
# them, if given) is in the peer's list, intact; no damaged frame; the
# peer saw the guest's final line
net_tap_ok() {
	local out=$work/$1.out peer=$work/$1.peer n=0 tag len
	: >"$work/$1.missing"
	while read -r _ tag _ len; do
		n=$((n + 1))
		grep -qx "frame src=$net_mac dst=ff:ff:ff:ff:ff:ff len=$len payload=$tag ok" \
			"$peer" || echo "not on the tap: $tag, $len bytes" >>"$work/$1.missing"
	done < <(grep -o 'sent KVMINI-TX-[0-9]* len [0-9]*' "$out")
	[ "$n" -gt 0 ] || echo "the guest sent no frame" >>"$work/$1.missing"
	[ -z "${2:-}" ] || [ "$n" = "$2" ] ||
		echo "the guest sent $n frames, not $2" >>"$work/$1.missing"
	grep ' bad@' "$peer" >>"$work/$1.missing"
	[ "$(cat "$work/$1.peer_rc")" = 0 ] ||
		echo "the peer: $(tail -2 "$peer" | head -1)" >>"$work/$1.missing"
	[ ! -s "$work/$1.missing" ]
}

# net_guest NAME ELF PATTERN [kvmini run args...]: one guest in a fresh
# namespace with the peer next to it
net_guest() {
	local name=$1 elf=$2 pattern=$3 i
	shift 3
	net_ns=kvmini-gt-$$
	if ! ip netns add "$net_ns" >"$work/$name.out" 2>&1; then
		echo "FAIL $name (ip netns add $net_ns: $(head -1 "$work/$name.out"))"
		failed=$((failed + 1))
		net_ns=""
		: >"$work/$name.peer"
		echo 1 >"$work/$name.peer_rc"
		return
	fi
	# no IPv6: no router solicitations or MLD reports on the tap
	ip netns exec "$net_ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 >/dev/null 2>&1
	: >"$work/$name.out"
	ip netns exec "$net_ns" "$netpeer" kvtap0 "$work/$name.out" "$net_mac" 45 \
		>"$work/$name.peer" 2>&1 &
	net_peer_pid=$!
	run_in="ip netns exec $net_ns"
	run_guest "$name" 0 "$pattern" --kernel "$elf" --mem 32M \
		--net "tap=kvtap0,mac=$net_mac" "$@"
	run_in=""
	# the peer stops 0.3 s after the guest's last line
	for i in $(seq 30); do
		kill -0 "$net_peer_pid" 2>/dev/null || break
		sleep 0.1
	done
	kill "$net_peer_pid" 2>/dev/null
	wait "$net_peer_pid"
	echo $? >"$work/$name.peer_rc"
	net_peer_pid=""
	ip netns del "$net_ns"
	net_ns=""
}

net_check() { # net_check NAME WHAT COUNT: the tap side of test NAME
	local name=$1
	if net_tap_ok "${name%_tap}" "${3:-}"; then
		echo "PASS $name"
		passed=$((passed + 1))
	else
		echo "FAIL $name ($2:)"
		sed 's/^/    | /' "$work/${name%_tap}.missing" | head -20
		failed=$((failed + 1))
	fi
}

net_why=""
if ! "$kvmini" run --help 2>&1 | grep -q -- '--net'; then
	net_why="kvmini run has no --net option yet"
elif [ ! -c /dev/net/tun ]; then
	net_why="no /dev/net/tun here (modprobe tun)"
elif ! ip netns add "kvmini-gt-$$" >"$work/netns.err" 2>&1; then
	net_why="cannot create a network namespace (needs root and iproute2): $(head -1 "$work/netns.err")"
else
	ip netns del "kvmini-gt-$$"
fi
if [ -n "$net_why" ]; then
	for t in $net_tests; do
		skip "$t" "$net_why"
	done
elif [ ! -x "$netpeer" ]; then
	for t in $net_tests; do
		echo "FAIL $t ($netpeer is not built: make -C guest-tests)"
		failed=$((failed + 1))
	done
else
	net_guest virtio_net_rw "$g/virtio_net_rw.elf" '^PASS virtio_net_rw:'
	check virtio_net_rw_mac "no 'mac $net_mac' line: MAC not read from the config space" \
		grep -qx "mac $net_mac" "$work/virtio_net_rw.out"
	net_check virtio_net_rw_tap "the 4 frames the guest sent are not all on the tap, intact" 4
	net_guest virtio_net_rw_mrg "$g/virtio_net_rw.elf" \
		'^PASS virtio_net_rw \(mrg_rxbuf\)' --cmdline mrg=1
	net_check virtio_net_rw_mrg_tap "the 4 frames the guest sent are not all on the tap, intact" 4
	net_guest virtio_net_hostile "$g/virtio_net_hostile.elf" '^PASS virtio_net_hostile \([0-9]'
	net_check virtio_net_hostile_tap "a frame sent after a reset is not on the tap, intact"
	net_guest virtio_net_hostile_mrg "$g/virtio_net_hostile.elf" \
		'^PASS virtio_net_hostile \(mrg_rxbuf' --cmdline mrg=1
	net_check virtio_net_hostile_mrg_tap "a frame sent after a reset is not on the tap, intact"
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
