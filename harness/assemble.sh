#!/bin/bash
# Assemble the kernel tree xdpq builds: the base, then patches/ in series
# order, then the repo's new files linked in.
#
# usage: assemble.sh TREE [--check]
#
# TREE is a git repository whose tag xdpq-base is the base.  The series is
# applied by building commits from patches/ in a private index (never
# touching the work tree), and the work tree is then moved to the result with
# a plain checkout, which rewrites only the files whose content differs.
# Unchanged files keep their mtime, so kbuild rebuilds only what changed.
#
# The base is the pinned Debian linux-source-6.12, or KERNEL_SRC (any
# v6.12.y tree, a git checkout or a plain directory) when that is set.
#
# --check assembles from scratch into a private index and fails unless the
# result equals TREE's committed state: no change lives only in build/.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
tree=$1
mode=${2:-}
kernel_dirs="arch block certs crypto Documentation drivers fs include init
	io_uring ipc kernel lib mm net rust samples scripts security sound tools
	usr virt"

die() { echo "xdpq: $*" >&2; exit 1; }
g() { git -C "$tree" "$@"; }

base_id() {
	if [ -n "${KERNEL_SRC:-}" ]; then
		local src rev
		src=$(cd "$KERNEL_SRC" && pwd)
		rev=$(git -C "$src" rev-parse -q --verify HEAD 2>/dev/null || echo plain)
		echo "src:$src@$rev"
	else
		echo "debian:$(cat "$repo/harness/base-version")"
	fi
}

unpack_base() {
	local tmp=$tree.unpack
	rm -rf "$tmp"
	mkdir -p "$tmp"
	if [ -n "${KERNEL_SRC:-}" ]; then
		echo "xdpq: base is $KERNEL_SRC"
		if git -C "$KERNEL_SRC" rev-parse -q --verify HEAD >/dev/null 2>&1; then
			git -C "$KERNEL_SRC" archive HEAD | tar -x -C "$tmp"
		else
			rsync -a --exclude=.git "$KERNEL_SRC"/ "$tmp"/
		fi
	else
		local tarball
		tarball=$("$repo/harness/fetch-base.sh" "$repo/build/dl")
		echo "xdpq: unpacking $(basename "$tarball")"
		tar -xf "$tarball" -C "$tmp" --strip-components=1
	fi
	grep -q '^VERSION = 6$' "$tmp/Makefile" && grep -q '^PATCHLEVEL = 12$' "$tmp/Makefile" ||
		die "base is not a v6.12.y tree"
	git -C "$tmp" init -q
	git -C "$tmp" config user.name "xdpq harness"
	git -C "$tmp" config user.email "xdpq@invalid"
	git -C "$tmp" config gc.auto 0
	git -C "$tmp" add -A -f
	git -C "$tmp" commit -q -m "xdpq base: $(base_id)"
	git -C "$tmp" tag xdpq-base
	base_id >"$tmp/.git/xdpq-base-id"
	rm -rf "$tree"
	mv "$tmp" "$tree"
}

# Print the commit that patches/ yields on top of xdpq-base.
series_commit() {
	local tmp parent p hdr subject
	tmp=$(mktemp -d)
	export GIT_INDEX_FILE=$tmp/index
	g read-tree xdpq-base
	parent=$(g rev-parse xdpq-base)
	while read -r p; do
		case "$p" in ''|'#'*) continue ;; esac
		[ -f "$repo/patches/$p" ] || die "patches/series names $p, which does not exist"
		g mailinfo "$tmp/msg" "$tmp/diff" <"$repo/patches/$p" >"$tmp/info"
		g apply --cached --whitespace=nowarn "$tmp/diff" 2>"$tmp/err" ||
			die "patches/$p does not apply to the base ($(base_id)):$(printf '\n'; cat "$tmp/err")"
		hdr() { sed -n "s/^$1: //p" "$tmp/info"; }
		subject=$(hdr Subject)
		{ echo "$subject"; echo; cat "$tmp/msg"; } >"$tmp/commit"
		parent=$(GIT_AUTHOR_NAME=$(hdr Author) GIT_AUTHOR_EMAIL=$(hdr Email) \
			GIT_AUTHOR_DATE=$(hdr Date) GIT_COMMITTER_NAME="xdpq harness" \
			GIT_COMMITTER_EMAIL="xdpq@invalid" GIT_COMMITTER_DATE=$(hdr Date) \
			git -C "$tree" commit-tree "$(g write-tree)" -p "$parent" -F "$tmp/commit")
	done <"$repo/patches/series"
	unset GIT_INDEX_FILE
	rm -rf "$tmp"
	echo "$parent"
}

# Symlink every new file of the repo into the tree at its kernel path.
link_new_files() {
	local list=$tree/.git/xdpq-links f dst
	local -A want=()
	while read -r f; do
		want[$f]=1
		dst=$tree/$f
		if [ -L "$dst" ]; then
			[ "$(readlink "$dst")" = "$repo/$f" ] && continue
		elif [ -e "$dst" ]; then
			die "$f exists upstream: change it through patches/, not as a new file"
		fi
		mkdir -p "$(dirname "$dst")"
		ln -sfn "$repo/$f" "$dst"
	done < <(cd "$repo" && git ls-files --cached --others --exclude-standard -- $kernel_dirs)
	if [ -f "$list" ]; then
		while read -r f; do
			[ -z "$f" ] || [ -n "${want[$f]:-}" ] || [ ! -L "$tree/$f" ] || rm -f "$tree/$f"
		done <"$list"
	fi
	printf '%s\n' "${!want[@]}" | sort >"$list"
	{ sed 's|^|/|' "$list"; echo "/tools/testing/selftests/bpf-xdpq/"; } \
		>"$tree/.git/info/exclude"
}

if [ "$mode" = --check ]; then
	[ -d "$tree/.git" ] || die "$tree is not assembled yet"
	want=$(series_commit)
	[ "$(g rev-parse "$want^{tree}")" = "$(g rev-parse "HEAD^{tree}")" ] ||
		die "$tree's committed state differs from what patches/ produce (export it: make export-patches)"
	g diff --quiet HEAD -- ||
		die "$tree has uncommitted changes to upstream files: $(g diff --name-only HEAD | head -n 5 | tr '\n' ' ')"
	echo "xdpq: $tree is exactly base + patches/"
	exit 0
fi

if [ ! -f "$tree/.git/xdpq-base-id" ] || [ "$(cat "$tree/.git/xdpq-base-id")" != "$(base_id)" ]; then
	[ -d "$tree" ] && echo "xdpq: base changed, assembling $tree from scratch"
	unpack_base
fi

new=$(series_commit)
head=$(g rev-parse -q --verify HEAD)
last=$(cat "$tree/.git/xdpq-assembled" 2>/dev/null || echo none)
if [ "$head" != "$new" ]; then
	if [ "$head" != "$last" ] && [ "$head" != "$(g rev-parse xdpq-base)" ] &&
	   [ "$(g rev-parse "$head^{tree}")" != "$(g rev-parse "$new^{tree}")" ]; then
		die "$tree has commits that patches/ does not hold: run 'make export-patches' first (or discard them with 'git -C $tree reset --hard $last')"
	fi
	g diff --quiet HEAD -- ||
		die "$tree has uncommitted edits to upstream files: commit and export them (README: patch round trip) or 'git -C $tree checkout -- .'"
	g checkout -q -B xdpq "$new"
fi
echo "$new" >"$tree/.git/xdpq-assembled"
link_new_files
