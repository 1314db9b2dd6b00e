#!/bin/bash
# Install the host packages xdpq needs (Debian 12). Idempotent: installs only
# what is missing, with sudo when not root.
set -euo pipefail

pkgs=(
	build-essential bc bison flex cpio kmod rsync xz-utils python3 git
	libelf-dev libssl-dev libcap-dev zlib1g-dev libzstd-dev pkg-config
	clang-19 llvm-19 lld-19 dwarves
	libclang-rt-19-dev	# libFuzzer and the sanitizers' runtimes: make fuzz
	qemu-system-x86 iproute2 ethtool python3-yaml
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
echo "xdpq: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
