#!/bin/bash
# The patch round trip, back half: write the commits on top of xdpq-base in
# the assembled tree into patches/ (one file per commit, series in order).
#
# usage: export-patches.sh TREE
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
tree=$(cd "$1" && pwd)
g() { git -C "$tree" "$@"; }

g diff --quiet HEAD -- || {
	echo "xdpq: $tree has uncommitted edits; commit them first:" >&2
	g status --short --untracked-files=no >&2
	exit 1
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
g format-patch -q --zero-commit --no-signature --no-numbered -o "$tmp" xdpq-base..HEAD
rm -f "$repo"/patches/*.patch
{
	grep '^#' "$repo/patches/series" || true
	for p in "$tmp"/*.patch; do
		[ -e "$p" ] || continue
		mv "$p" "$repo/patches/"
		basename "$p"
	done
} >"$tmp/series"
mv "$tmp/series" "$repo/patches/series"
g rev-parse HEAD >"$tree/.git/xdpq-assembled"
echo "xdpq: exported $(grep -vc '^#' "$repo/patches/series") patches to patches/"
"$repo/harness/assemble.sh" "$tree" --check
