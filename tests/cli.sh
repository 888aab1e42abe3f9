#!/usr/bin/env bash
# Bad input must give one clear line on stderr and the documented exit
# code (2 wrong usage, 1 runtime failure), and good input the right output.
# Usage: tests/cli.sh [KVMINI]
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
kvmini=$(realpath "${1:-$top/kvmini}")
guests=$top/build/guest-tests
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0

# expect NAME RC PATTERN CMD...: exit code RC, PATTERN (ERE) on stderr,
# and for failures exactly one line of stderr.
expect() {
	local name=$1 want=$2 pattern=$3 rc lines
	shift 3
	"$@" >"$work/out" 2>"$work/err" </dev/null
	rc=$?
	lines=$(wc -l <"$work/err")
	if [ "$rc" -eq "$want" ] && grep -Eq -- "$pattern" "$work/err" "$work/out" &&
		{ [ "$want" -eq 0 ] || [ "$lines" -eq 1 ] || [ "${REPORT:-0}" = 1 ]; }; then
		echo "PASS $name"
		passed=$((passed + 1))
	else
		echo "FAIL $name (exit $rc, wanted $want; $lines stderr lines)"
		sed 's/^/    | /' "$work/err" "$work/out" | head -10
		failed=$((failed + 1))
	fi
}

k=$guests/hello_pvh.elf
printf 'this is not a kernel' >"$work/garbage"
: >"$work/empty"
# a bzImage header that claims more than the file holds
head -c 1024 /dev/zero >"$work/truncated"
printf '\x55\xaa' | dd of="$work/truncated" bs=1 seek=510 conv=notrunc 2>/dev/null
printf 'HdrS\x0c\x02' | dd of="$work/truncated" bs=1 seek=514 conv=notrunc 2>/dev/null
printf '\x64' | dd of="$work/truncated" bs=1 seek=513 conv=notrunc 2>/dev/null
printf '\x01' | dd of="$work/truncated" bs=1 seek=566 conv=notrunc 2>/dev/null
printf '\x08' | dd of="$work/truncated" bs=1 seek=497 conv=notrunc 2>/dev/null
truncate -s 64M "$work/big-initrd"
truncate -s 64M "$work/big-kernel"
mkdir "$work/dir"

expect version 0 '^kvmini [0-9]' "$kvmini" --version
expect help 0 'Usage: kvmini <command>' "$kvmini" --help
expect run-help 0 'Usage: kvmini run' "$kvmini" run --help
expect no-command 2 'no command given' "$kvmini"
expect unknown-command 2 "unknown command 'frobnicate'" "$kvmini" frobnicate
expect nothing-to-boot 2 'nothing to boot: give --kernel FILE or --disk IMAGE' "$kvmini" run
expect boot-kernel-no-kernel 2 'no kernel given' "$kvmini" run --boot kernel --disk "$work/empty"
expect boot-disk-and-kernel 2 '--boot disk boots the first --disk' \
	"$kvmini" run --boot disk --kernel "$k" --disk "$work/empty"
expect boot-bad 2 "--boot must be disk or kernel, not 'floppy'" "$kvmini" run --boot floppy
expect boot-disk-no-disk 2 'nothing to boot' "$kvmini" run --boot disk
expect boot-disk-initrd 2 '--initrd and --module need --kernel' \
	"$kvmini" run --disk "$work/empty" --initrd "$work/empty"
expect unknown-option 2 "unknown option '--frob'" "$kvmini" run --kernel "$k" --frob
expect missing-value 2 "needs a value" "$kvmini" run --kernel
expect stray-argument 2 "unexpected argument 'extra'" "$kvmini" run --kernel "$k" extra
expect mem-zero 2 'too small' "$kvmini" run --kernel "$k" --mem 0
expect mem-garbage 2 "invalid size '12X'" "$kvmini" run --kernel "$k" --mem 12X
expect mem-negative 2 "invalid size '-1G'" "$kvmini" run --kernel "$k" --mem -1G
expect mem-overflow 2 'invalid size' "$kvmini" run --kernel "$k" --mem 99999999999999T
expect mem-1T 1 "more than this host's" "$kvmini" run --kernel "$k" --mem 1T
expect cpus-zero 2 '--cpus must be a number from 1 to' "$kvmini" run --kernel "$k" --cpus 0
expect cpus-huge 2 '--cpus must be a number from 1 to' "$kvmini" run --kernel "$k" --cpus 100000
expect cpus-garbage 2 '--cpus must be' "$kvmini" run --kernel "$k" --cpus two
expect console-bad 2 '--console must be' "$kvmini" run --kernel "$k" --console tty
expect test-exit-value 2 "option '--test-exit' takes no value" "$kvmini" run --kernel "$k" --test-exit=3
expect reboot-bad 2 '--reboot must be' "$kvmini" run --kernel "$k" --reboot later
expect trace-bogus 2 "--trace must be exits or exits=FILE, not 'bogus'" "$kvmini" run --kernel "$k" --trace bogus
expect trace-empty-file 2 '--trace must be exits' "$kvmini" run --kernel "$k" --trace exits=
expect trace-no-value 2 "option '--trace' needs a value" "$kvmini" run --kernel "$k" --trace
expect trace-format-xml 2 "--trace-format must be text or json, not 'xml'" "$kvmini" run --kernel "$k" --trace exits --trace-format xml
expect single-step-zero 2 "--single-step=COUNT must be a number from 1 to [0-9]+, not '0'" "$kvmini" run --kernel "$k" --single-step=0
expect single-step-gdb 2 "--single-step and --gdb cannot be combined" "$kvmini" run --kernel "$k" --single-step=5 --gdb tcp::0
expect single-step-abc 2 "--single-step=COUNT must be a number .* not 'abc'" "$kvmini" run --kernel "$k" --single-step=abc
expect single-step-negative 2 "not '-5'" "$kvmini" run --kernel "$k" --single-step=-5
expect single-step-huge 2 "not '99999999999'" "$kvmini" run --kernel "$k" --single-step=99999999999
expect stats-value 2 "option '--stats' takes no value" "$kvmini" run --kernel "$k" --stats=1
expect trace-file-bad 1 'cannot open trace file .*/nodir/t' "$kvmini" run --kernel "$k" --mem 16M --trace "exits=$work/nodir/t"
expect kernel-missing 1 'cannot open .*/nope: No such file' "$kvmini" run --kernel "$work/nope"
expect kernel-directory 1 'is not a regular file' "$kvmini" run --kernel "$work/dir"
expect kernel-garbage 1 'neither a Linux bzImage nor an ELF' "$kvmini" run --kernel "$work/garbage"
expect kernel-empty 1 'is empty' "$kvmini" run --kernel "$work/empty"
expect kernel-truncated 1 'truncated bzImage' "$kvmini" run --kernel "$work/truncated"
expect kernel-too-big 1 'too large' "$kvmini" run --kernel "$work/big-kernel" --mem 16M
expect initrd-too-big 1 'does not fit in guest RAM' "$kvmini" run --kernel "$k" --initrd "$work/big-initrd" --mem 16M
expect initrd-missing 1 'cannot open .*/nope' "$kvmini" run --kernel "$k" --initrd "$work/nope" --mem 16M
# --kernel options and --module (docs/boot-formats.md)
expect kernel-format-unknown 2 "bad option 'format=pe'" "$kvmini" run --kernel "$k,format=pe"
expect kernel-addr-garbage 2 "bad option 'addr=12x'" "$kvmini" run --kernel "$k,format=flat,addr=12x"
expect kernel-addr-negative 2 "bad option 'addr=-1'" "$kvmini" run --kernel "$k,format=flat,addr=-1"
expect kernel-addr-overflow 2 "bad option 'addr=" "$kvmini" run --kernel "$k,format=flat,addr=0x10000000000000000"
expect kernel-entry-garbage 2 "bad option 'entry=x'" "$kvmini" run --kernel "$k,format=flat,addr=0x7c00,entry=x"
expect kernel-mode-bad 2 "bad option 'mode=16'" "$kvmini" run --kernel "$k,format=flat,addr=0x7c00,mode=16"
expect kernel-addr-with-elf 2 'need format=flat' "$kvmini" run --kernel "$k,format=elf,addr=0x100000"
expect kernel-addr-without-format 2 'need format=flat' "$kvmini" run --kernel "$k,addr=0x100000"
expect kernel-flat-no-addr 2 'format=flat needs addr=' "$kvmini" run --kernel "$k,format=flat"
expect kernel-flat-initrd 2 'initrd does not apply to format=flat' "$kvmini" run --kernel "$k,format=flat,addr=0x100000" --initrd "$work/garbage"
expect module-with-elf 2 '--module needs a Multiboot kernel; .* is an ELF' "$kvmini" run --kernel "$k" --module "$work/garbage"
expect module-with-format-elf 2 '--module needs a Multiboot kernel' "$kvmini" run --kernel "$k,format=elf" --module "$work/garbage"
expect module-bad-option 2 "bad option 'size=1'" "$kvmini" run --kernel "$k" --module "$work/garbage,size=1"
expect module-too-many 2 'at most 16 --module' "$kvmini" run --kernel "$k" $(for _ in $(seq 17); do printf -- '--module %s ' "$work/garbage"; done)
expect kernel-not-multiboot 1 'no Multiboot header' "$kvmini" run --kernel "$k,format=multiboot" --mem 16M
expect kernel-not-elf 1 'is not an ELF file' "$kvmini" run --kernel "$work/garbage,format=elf" --mem 16M
expect flat-outside-ram 1 'does not fit in guest RAM at 0x1000000' "$kvmini" run --kernel "$work/garbage,format=flat,addr=0x1000000" --mem 16M
expect flat-on-bios-area 1 "overlaps kvmini's BIOS area" "$kvmini" run --kernel "$work/garbage,format=flat,addr=0xf0000" --mem 16M
expect flat-on-page-tables 1 "overlaps kvmini's page tables" "$kvmini" run --kernel "$work/garbage,format=flat,addr=0x9000,mode=64" --mem 16M
expect flat-real-entry-high 1 'out of reach in real mode' "$kvmini" run --kernel "$work/garbage,format=flat,addr=0x7c00,entry=0x100000" --mem 16M
expect console-file-bad 1 'cannot open console file' "$kvmini" run --kernel "$k" --console "file:$work/nodir/log"
expect no-kvm-device 1 'modprobe' env KVMINI_KVM_DEVICE="$work/nope" "$kvmini" run --kernel "$k"
expect not-a-kvm-device 1 'not a usable KVM device' env KVMINI_KVM_DEVICE=/dev/null "$kvmini" run --kernel "$k"
REPORT=1 expect check-no-kvm 1 'does not exist' env KVMINI_KVM_DEVICE="$work/nope" "$kvmini" check
expect check-args 2 'takes no arguments' "$kvmini" check extra

# disks
"$kvmini" img create "$work/disk.img" 1M >/dev/null
expect disk-missing 1 'cannot open disk .*/nope' "$kvmini" run --kernel "$k" --mem 16M --disk "$work/nope"
expect disk-bad-option 2 "unknown or bad option 'bogus'" "$kvmini" run --kernel "$k" --disk "$work/disk.img,bogus"
expect disk-bad-aio 2 "unknown or bad option 'aio=threads'" "$kvmini" run --kernel "$k" --disk "$work/disk.img,aio=threads"
expect disk-bad-queues 2 "unknown or bad option 'queues=9' .*queues=1\.\.8" "$kvmini" run --kernel "$k" --disk "$work/disk.img,queues=9"
expect disk-zero-queues 2 "unknown or bad option 'queues=0'" "$kvmini" run --kernel "$k" --disk "$work/disk.img,queues=0"
expect disk-no-path 2 '--disk needs PATH' "$kvmini" run --kernel "$k" --disk ,ro
expect disk-serial-too-long 2 'bad option' "$kvmini" run --kernel "$k" --disk "$work/disk.img,serial=123456789012345678901"
expect disk-directory 1 'Is a directory' "$kvmini" run --kernel "$k" --mem 16M --disk "$work/dir"
expect disk-empty 1 'smaller than one 512-byte sector' "$kvmini" run --kernel "$k" --mem 16M --disk "$work/empty"
expect img-exists 1 'never overwrites' "$kvmini" img create "$work/disk.img" 1M
expect img-bad-size 2 'invalid size' "$kvmini" img create "$work/new.img" lots
expect img-zero-size 2 'non-zero multiple of 512' "$kvmini" img create "$work/new.img" 0
expect img-usage 2 'usage: kvmini img' "$kvmini" img frob
expect img-info 0 'virtual size: 1.0 MiB \(1048576 bytes\)' "$kvmini" img info "$work/disk.img"

# VM definition files: run --config FILE, --print-config (docs/config-file.md)
expect print-config 0 '^kernel = .*hello_pvh.elf$' "$kvmini" run --kernel "$k" --mem 16M --print-config
"$kvmini" run --kernel "$k,format=elf" --mem 24M --cpus 2 --cmdline ' a "b"	c ' \
	--disk "$work/disk.img,ro,serial=S" --disk "$work/disk.img,queues=2" --stats --ksm \
	--hugepages --name cfgvm --trace-format json --print-config >"$work/p1.conf"
"$kvmini" run --config <(cat "$work/p1.conf") --print-config >"$work/p2.conf"
if [ -s "$work/p1.conf" ] && cmp -s "$work/p1.conf" "$work/p2.conf" &&
	grep -qx 'cmdline = " a \\"b\\"\\tc "' "$work/p1.conf"; then
	echo "PASS print-config-round-trip"
	passed=$((passed + 1))
else
	echo "FAIL print-config-round-trip (--print-config of its own output differs)"
	diff "$work/p1.conf" "$work/p2.conf" | sed 's/^/    | /' | head -10
	failed=$((failed + 1))
fi
printf 'kernel = %s\nmem = 16M\ncpus = 2\n' "$k" >"$work/vm.conf"
expect config-override 0 '^mem = 32M$' "$kvmini" run --config "$work/vm.conf" --mem 32M --print-config
expect config-kept 0 '^cpus = 2$' "$kvmini" run --mem 32M --config "$work/vm.conf" --print-config
printf 'kernel = %s\n# memory\nmemory = 1G\n' "$k" >"$work/bad1.conf"
expect config-unknown-key 2 "bad1.conf:3: unknown key 'memory'" "$kvmini" run --config "$work/bad1.conf"
printf 'kernel = %s\n\ncpus = many\n' "$k" >"$work/bad2.conf"
expect config-bad-value 2 "bad2.conf:3: --cpus must be a number from 1 to 254, not 'many'" "$kvmini" run --config "$work/bad2.conf"
printf 'kernel = %s\nmem 16M\n' "$k" >"$work/bad3.conf"
expect config-missing-equals 2 "bad3.conf:2: expected 'key = value'" "$kvmini" run --config "$work/bad3.conf"
printf 'mem\n' >"$work/bad4.conf"
expect config-missing-value 2 "bad4.conf:1: 'mem' needs a value: mem = VALUE" "$kvmini" run --config "$work/bad4.conf"
printf 'kernel = %s\nname = a\0b\n' "$k" >"$work/bad5.conf"
expect config-nul 2 'bad5.conf:2: NUL byte in line' "$kvmini" run --config "$work/bad5.conf"
{ printf 'kernel = %s\ncmdline = ' "$k"; head -c 70000 /dev/zero | tr '\0' a; } >"$work/bad6.conf"
expect config-long-line 2 'bad6.conf:2: line longer than 65536 bytes' "$kvmini" run --config "$work/bad6.conf"
printf 'cmdline = "a\\qb"\n' >"$work/bad7.conf"
expect config-bad-escape 2 'bad7.conf:1: bad escape in quoted value' "$kvmini" run --config "$work/bad7.conf"
printf 'config = %s\n' "$work/vm.conf" >"$work/bad8.conf"
expect config-nested 2 "bad8.conf:1: 'config' works on the command line only" "$kvmini" run --config "$work/bad8.conf"
printf 'stats = yes\n' >"$work/bad9.conf"
expect config-flag-value 2 "bad9.conf:1: 'stats' takes no value" "$kvmini" run --config "$work/bad9.conf"
expect config-missing-file 2 'cannot read config file .*/nope.conf: No such file' "$kvmini" run --config "$work/nope.conf"
expect config-directory 2 'cannot read config file .*: Is a directory' "$kvmini" run --config "$work/dir"
expect config-twice 2 'only one --config FILE' "$kvmini" run --config "$work/vm.conf" --config "$work/vm.conf"
expect config-no-value 2 "option '--config' needs a value" "$kvmini" run --config
# guest RAM backing: --ksm, --hugepages[=DIR]
expect hugepages-empty 2 '--hugepages takes no value .* or =DIR' "$kvmini" run --kernel "$k" --hugepages=
expect hugepages-ksm-hugetlbfs 2 '--ksm cannot merge hugetlbfs pages' "$kvmini" run --kernel "$k" --ksm --hugepages=/dev/hugepages
expect hugepages-missing-dir 1 "--hugepages=$work/nope: No such file or directory" "$kvmini" run --kernel "$k" --mem 16M --hugepages="$work/nope"
expect hugepages-not-hugetlbfs 1 'is not a hugetlbfs mount' "$kvmini" run --kernel "$k" --mem 16M --hugepages="$work/dir"
expect ksm-value 2 "option '--ksm' takes no value" "$kvmini" run --kernel "$k" --ksm=1
expect mem-wraps 2 '--mem 18014398509481983K is too large' "$kvmini" run --kernel "$k" --mem 18014398509481983K
if [ -r /dev/kvm ]; then
	printf '# a tiny guest\nkernel = %s\nmem = 16M\nksm\nhugepages\n' "$k" >"$work/boot.conf"
	expect config-boots 0 'hello from a PVH guest' "$kvmini" run --config "$work/boot.conf"
fi

# A second kvmini cannot open an image another one holds read-write.
if [ -r /dev/kvm ]; then
	mkfifo "$work/hold.in"
	"$kvmini" run --kernel "$guests/uart_echo.elf" --mem 16M \
		--disk "$work/disk.img" <"$work/hold.in" >"$work/hold.out" 2>&1 &
	holder=$!
	exec 8>"$work/hold.in"
	for _ in $(seq 50); do
		grep -q 'echo ready' "$work/hold.out" && break
		sleep 0.1
	done
	expect disk-locked 1 'in use by another process' "$kvmini" run --kernel "$k" --mem 16M --disk "$work/disk.img"
	expect disk-locked-ro 1 'in use by another process' "$kvmini" run --kernel "$k" --mem 16M --disk "$work/disk.img,ro"
	echo q >&8
	exec 8>&-
	wait "$holder"
	expect disk-free-again 0 '' "$kvmini" run --kernel "$k" --mem 16M --disk "$work/disk.img"
fi

# A kernel without io_uring (switched off for the moment, restored below):
# aio=io_uring is an error, the default starts (guest-tests/run.sh has
# virtio_blk_rw_no_io_uring: the fallback doing the disk's I/O).
uring_sysctl=/proc/sys/kernel/io_uring_disabled
if [ -r /dev/kvm ] && [ -w "$uring_sysctl" ]; then
	uring_was=$(cat "$uring_sysctl")
	trap 'echo "$uring_was" >"$uring_sysctl"; rm -rf "$work"' EXIT
	echo 2 >"$uring_sysctl"
	expect disk-no-io-uring 1 "aio=io_uring: io_uring_setup: Operation not permitted" \
		"$kvmini" run --kernel "$k" --mem 16M --disk "$work/disk.img,aio=io_uring"
	expect disk-no-io-uring-auto 0 '' "$kvmini" run --kernel "$k" --mem 16M --disk "$work/disk.img"
	echo "$uring_was" >"$uring_sysctl"
else
	echo "SKIP disk-no-io-uring, disk-no-io-uring-auto: no /dev/kvm or $uring_sysctl not writable"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
