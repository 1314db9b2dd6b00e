#!/bin/bash
# Configure an out-of-tree kernel build: tinyconfig, then the given fragments
# merged in order, then a check that every option the fragments ask for took
# effect (a missed dependency otherwise fails silently, e.g. VIRTIO_PCI
# without VIRTIO_MENU).  Skipped when neither the fragments nor the base
# changed since the last run, so the edit loop never touches .config.
#
# usage: configure.sh TREE KOBJ FRAGMENT...
set -euo pipefail

mkdir -p "$2"
tree=$(cd "$1" && pwd) kobj=$(cd "$2" && pwd)
shift 2
stamp=$kobj/.xdpq-config-stamp
want=$(cat "$tree/.git/xdpq-base-id" "$@" | sha256sum)

if [ -f "$kobj/.config" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
	exit 0
fi

echo "xdpq: configuring $kobj from tinyconfig + $*"
make -s -C "$tree" O="$kobj" tinyconfig >/dev/null
"$tree/scripts/kconfig/merge_config.sh" -m -O "$kobj" "$kobj/.config" "$@" >/dev/null
make -s -C "$tree" O="$kobj" olddefconfig >/dev/null

missing=0
while read -r line; do
	case "$line" in
	CONFIG_*=*)
		grep -qxF "$line" "$kobj/.config" || {
			echo "xdpq: $line did not take effect (got: $(grep "^${line%%=*}=" "$kobj/.config" || echo unset))" >&2
			missing=1
		}
		;;
	"# CONFIG_"*" is not set")
		opt=${line#\# }
		opt=${opt%% *}
		! grep -q "^$opt=" "$kobj/.config" || {
			echo "xdpq: $opt should be unset" >&2
			missing=1
		}
		;;
	esac
done < <(cat "$@")
[ $missing -eq 0 ] || { echo "xdpq: kernel config incomplete" >&2; exit 1; }
echo "$want" >"$stamp"
