# default-guest.sh: `make run` on a host without hardware KVM. Boots the
# default Linux guest under kvmini inside L1, on the console you are
# typing at; when kvmini exits (guest poweroff, Ctrl-A x), L1 powers off.
# shellcheck shell=dash
# shellcheck source-path=SCRIPTDIR source=../scenario-lib.sh
. /lab/scenario-lib.sh

echo "kvmini: inside the KVM lab; 'poweroff -f' or Ctrl-A x ends the guest"
rc=0
kvmini run --kernel /lab/vmlinuz-cloud --initrd /lab/initrd-l2.gz \
	--mem 512M --cpus 2 --cmdline 'console=ttyS0 quiet' || rc=$?
if [ "$rc" -eq 0 ]; then
	result default-guest PASS
else
	result default-guest FAIL "kvmini exit code $rc"
fi
lab_done
