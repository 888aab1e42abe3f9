# shell.sh: interactive L1 shell for poking at kvmini by hand. Use with
#   tools/lab/run.sh --interactive --kvmini PATH --scenario tools/lab/scenarios/shell.sh
# The helpers of /lab/scenario-lib.sh are loaded in that shell (ENV).
# Type `exit` (or Ctrl-D) to power L1 off; Ctrl-A x quits QEMU at once.
# shellcheck shell=dash
# shellcheck source-path=SCRIPTDIR source=../scenario-lib.sh
. /lab/scenario-lib.sh

echo "L1 shell: kvmini is /bin/kvmini; L2 kernels + initrd are in /lab."
echo "e.g.  kvmini run ... (see kvmini --help); exit powers off."
result shell PASS
ENV=/lab/scenario-lib.sh setsid cttyhack sh
lab_done
