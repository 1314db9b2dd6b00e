#!/bin/bash
# Fetch the pinned Debian linux-source-6.12 package and print the path of the
# kernel tarball it contains.  Falls back to the newest 6.12 in the archive,
# loudly, when the pinned version has left it.
#
# usage: fetch-base.sh DL_DIR
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$1"
dl=$(cd "$1" && pwd)
pinned=$(cat "$repo/harness/base-version")
cd "$dl"

deb_for() { echo "linux-source-6.12_${1//:/%3a}_all.deb"; }

version=$pinned
if [ ! -f "$(deb_for "$version")" ]; then
	if ! apt-cache madison linux-source-6.12 | grep -q "| $pinned |"; then
		sudo=
		[ "$(id -u)" -eq 0 ] || sudo=sudo
		$sudo apt-get update -qq >&2 || true
	fi
	available=$(apt-cache madison linux-source-6.12 | awk -F'|' '{gsub(/ /,"",$2); print $2}')
	if ! grep -qxF "$pinned" <<<"$available"; then
		version=$(head -n1 <<<"$available")
		[ -n "$version" ] || { echo "xdpq: no linux-source-6.12 in the apt archive" >&2; exit 1; }
		echo "xdpq: WARNING: pinned base $pinned is no longer in the archive;" \
			"falling back to $version (patches may not apply)" >&2
	fi
	if [ ! -f "$(deb_for "$version")" ]; then
		echo "xdpq: downloading linux-source-6.12=$version" >&2
		apt-get download -q "linux-source-6.12=$version" >&2 2>/dev/null ||
			apt-get download "linux-source-6.12=$version" >&2
	fi
fi

tarball=$dl/linux-source-6.12-$version.tar.xz
if [ ! -f "$tarball" ]; then
	dpkg-deb --fsys-tarfile "$(deb_for "$version")" |
		tar -xO ./usr/src/linux-source-6.12.tar.xz >"$tarball.tmp"
	mv "$tarball.tmp" "$tarball"
fi
echo "$tarball"
