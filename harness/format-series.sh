#!/bin/bash
# The form reviewers receive: the whole project as one git format-patch
# series against the base, with a cover letter.  Each patch of patches/
# carries the repo's new files that patches/new-files assigns to it (by the
# patch's name without its number), so every patch builds on its own; files
# assigned to "@subject" go into a commit of that subject after the series.
#
# usage: format-series.sh TREE OUTDIR
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
tree=$(cd "$1" && pwd)
outdir=$2
g() { git -C "$tree" "$@"; }

"$repo/harness/assemble.sh" "$tree" --check >/dev/null

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export GIT_INDEX_FILE=$tmp/index
mapfile -t commits < <(g rev-list --reverse xdpq-base..HEAD)
mapfile -t names < <(grep -v '^#' "$repo/patches/series" | grep . | sed 's/^[0-9]*-//; s/\.patch$//')
mapfile -t newfiles < <(cut -f1 "$tree/.git/xdpq-links")
mapfile -t extras < <(sed -n 's/^[^#][^ ]* \(@.*\)$/\1/p' "$repo/patches/new-files" | awk '!seen[$0]++')
declare -A placed=() index=()
for i in "${!names[@]}"; do index[${names[$i]}]=$i; done
for i in "${!extras[@]}"; do index[${extras[$i]}]=$((${#names[@]} + i)); done

# add_files UNIT: stage the new files assigned to units 0..UNIT.
add_files() {
	local glob target f mode
	while read -r glob target; do
		case "$glob" in ''|'#'*) continue ;; esac
		[ -n "${index[$target]:-}" ] || { echo "xdpq: patches/new-files names no patch $target" >&2; exit 1; }
		[ "${index[$target]}" -le "$1" ] || continue
		for f in "${newfiles[@]}"; do
			# shellcheck disable=SC2053
			[[ $f == $glob ]] || continue
			mode=100644
			[ -x "$repo/$f" ] && mode=100755
			g update-index --add --cacheinfo "$mode,$(g hash-object -w "$repo/$f"),$f"
			placed[$f]=1
		done
	done <"$repo/patches/new-files"
}

parent=$(g rev-parse xdpq-base)
for i in "${!commits[@]}"; do
	c=${commits[$i]}
	g read-tree "$c"
	add_files "$i"
	parent=$(g log -1 --format=%B "$c" |
		GIT_AUTHOR_NAME=$(g log -1 --format=%an "$c") GIT_AUTHOR_EMAIL=$(g log -1 --format=%ae "$c") \
		GIT_AUTHOR_DATE=$(g log -1 --format=%ad "$c") \
		git -C "$tree" commit-tree "$(g write-tree)" -p "$parent")
done
# Commits that only add new files (tests, samples), after the series.
for i in "${!extras[@]}"; do
	add_files "${index[${extras[$i]}]}"
	parent=$(printf '%s\n' "${extras[$i]#@}" | git -C "$tree" commit-tree "$(g write-tree)" -p "$parent")
done
for f in "${newfiles[@]}"; do
	[ -n "${placed[$f]:-}" ] || { echo "xdpq: $f is in no patch: assign it in patches/new-files" >&2; exit 1; }
done
unset GIT_INDEX_FILE

rm -rf "$outdir"
g format-patch -q --zero-commit --cover-letter -o "$outdir" xdpq-base.."$parent"
cover=$(ls "$outdir"/0000-cover-letter.patch)
subject=$(head -n1 "$repo/patches/cover-letter")
python3 - "$cover" "$subject" "$repo/patches/cover-letter" <<'PY'
import sys
path, subject, blurb = sys.argv[1], sys.argv[2], open(sys.argv[3]).read().split("\n", 1)[1].strip()
text = open(path).read().replace("*** SUBJECT HERE ***", subject).replace("*** BLURB HERE ***", blurb)
open(path, "w").write(text)
PY
echo "xdpq: wrote $(ls "$outdir" | wc -l) files to $outdir"
