#!/usr/bin/env bash
# Runs every command a tutorial shows, so the tutorial cannot rot.
#
# In the Markdown, each ```console block is one step: lines starting with
# "$ " are commands (a trailing "\" or "|" continues one), the rest is sample
# output for the reader.  Right after the block, a comment says what the
# step must produce:
#   <!-- tested: rc=N out="ERE" out="ERE" ... -->
# The block's commands run as one bash script from the repository root
# with ./kvmini first in PATH; its exit status must be N and each ERE
# must match a line of its combined output.  A console block without a
# "tested" comment is itself a failure: every command shown is tested.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
doc=${1:-$top/docs/tutorial.md}
step_timeout=${DOC_STEP_TIMEOUT:-120}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0

# fail WHY [OUTPUT]
fail() {
	echo "FAIL $1"
	failed=$((failed + 1))
	[ -n "${2:-}" ] && sed 's/^/    | /' "$2" | tail -25
}

# check_step NAME SCRIPT SPEC: run SCRIPT, compare with SPEC
check_step() {
	local name=$1 script=$2 spec=$3 want rc re
	want=$(sed -nE 's/.*rc=([0-9]+).*/\1/p' <<<"$spec")
	(cd "$top" && PATH="$top:$PATH" timeout -k 5 "$step_timeout" \
		bash "$script") >"$work/out" 2>&1 </dev/null
	rc=$?
	if [ -z "$want" ] || [ "$rc" -ne "$want" ]; then
		fail "$name (exit $rc, wanted ${want:-a rc= in the comment})" "$work/out"
		return
	fi
	# each out="..." in turn
	while IFS= read -r re; do
		if ! grep -Eq -- "$re" "$work/out"; then
			fail "$name (no output line matches: $re)" "$work/out"
			return
		fi
	done < <(grep -oE 'out="([^"\\]|\\.)*"' <<<"$spec" |
		sed -E 's/^out="//; s/"$//; s/\\"/"/g')
	echo "PASS $name"
	passed=$((passed + 1))
}

[ -r "$doc" ] || { echo "FAIL cannot read $doc"; echo "0 passed, 1 failed"; exit 1; }
step=0 in_block=0 script="" title="" pending=""
while IFS= read -r line || [ -n "$line" ]; do
	if [ "$in_block" = 1 ]; then
		if [ "$line" = '```' ]; then
			in_block=0 pending=$script
			continue
		fi
		case $line in
		'$ '*) printf '%s\n' "${line#\$ }" >>"$script" ;;
		*) # a continuation of the previous command, or sample output
			if tail -c 2 "$script" 2>/dev/null | grep -q '[\\|]'; then
				printf '%s\n' "$line" >>"$script"
			fi ;;
		esac
		continue
	fi
	case $line in
	'#'*) title=$(sed -E 's/^#+ *//' <<<"$line") ;;
	'```console')
		[ -n "$pending" ] && fail "step $step ($title): no <!-- tested: --> comment after it"
		step=$((step + 1)) in_block=1 script=$work/step$step.sh
		: >"$script" ;;
	'<!-- tested:'*)
		if [ -z "$pending" ]; then
			fail "a tested comment without a console block before it: $line"
		else
			check_step "step $step: $title" "$pending" "$line"
			pending=""
		fi ;;
	'') ;;
	*)
		[ -n "$pending" ] && fail "step $step ($title): no <!-- tested: --> comment after it"
		pending="" ;;
	esac
done <"$doc"
[ -n "$pending" ] && fail "step $step ($title): no <!-- tested: --> comment after it"
[ "$step" -gt 0 ] || fail "no console blocks in $doc"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
