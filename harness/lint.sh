#!/bin/bash
# checkpatch over the patch series and over every new kernel file of the
# repo.  Fails on errors; warnings are shown.
#
# usage: lint.sh TREE
set -uo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
tree=$(cd "$1" && pwd)
cp=("$tree/scripts/checkpatch.pl" --no-tree --quiet --show-types --color=never
	--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG)
errors=0 warnings=0

tally() {	# tally WHAT OUTPUT
	[ -z "$2" ] && return
	echo "== $1"
	echo "$2"
	errors=$((errors + $(grep -c '^ERROR:' <<<"$2")))
	warnings=$((warnings + $(grep -c '^WARNING:\|^CHECK:' <<<"$2")))
}

while read -r p; do
	case "$p" in ''|'#'*) continue ;; esac
	tally "patches/$p" "$("${cp[@]}" "$repo/patches/$p" 2>&1)"
done <"$repo/patches/series"

while read -r f; do
	case "$f" in *.c|*.h) ;; *) continue ;; esac
	tally "$f" "$("${cp[@]}" -f "$repo/$f" 2>&1)"
done <"$tree/.git/xdpq-links"

echo "xdpq lint: $errors errors, $warnings warnings"
[ "$errors" -eq 0 ]
