# smoke.sh: checks that L1 has a working /dev/kvm with NPT and that the
# kvmini binary runs (`kvmini --version`). Boots no L2 guest.
# shellcheck shell=dash
# shellcheck source-path=SCRIPTDIR source=../scenario-lib.sh
. /lab/scenario-lib.sh

ls -l /dev/kvm
if [ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	result kvm-dev PASS
else
	result kvm-dev FAIL "no usable /dev/kvm"
fi

npt=$(cat /sys/module/kvm_amd/parameters/npt 2>/dev/null || echo missing)
case $npt in
Y | 1) result kvm-amd-npt PASS ;;
*) result kvm-amd-npt FAIL "npt=$npt" ;;
esac

rc=0
version=$(kvmini --version 2>&1) || rc=$?
echo "kvmini --version: $version"
if [ "$rc" -eq 0 ] && [ -n "$version" ]; then
	result kvmini-version PASS "$(echo "$version" | head -n 1)"
else
	result kvmini-version FAIL "rc=$rc: $(echo "$version" | head -n 1)"
fi

lab_done
