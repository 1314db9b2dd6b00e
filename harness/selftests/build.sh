#!/bin/bash
# Build a lean test_progs: xdpq's selftests plus the upstream ones named in
# upstream.list, with the assembled tree's own libbpf, bpftool and
# resolve_btfids, clang-19, and the BTF of the kernel that was just built.
#
# usage: build.sh TREE KOBJ OUTPUT
#
# Upstream's selftests Makefile compiles whatever prog_tests/*.c and
# progs/*.c its directory holds, so the lean runner is a sibling directory
# (same depth, so the Makefile's relative paths still resolve) mirroring
# tools/testing/selftests/bpf with only the wanted tests in those two
# directories.  Links are updated in place, so make stays incremental.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
tree=$(cd "$1" && pwd)
mkdir -p "$2" "$3"
kobj=$(cd "$2" && pwd)
out=$(cd "$3" && pwd)
src=$tree/tools/testing/selftests/bpf
lean=$tree/tools/testing/selftests/bpf-xdpq

# sync_links DIR TARGET...: DIR holds exactly symlinks to the TARGETs.
sync_links() {
	local dir=$1 t name
	local -A want=()
	shift
	mkdir -p "$dir"
	for t in "$@"; do
		name=$(basename "$t")
		want[$name]=1
		[ "$(readlink "$dir/$name" 2>/dev/null)" = "$t" ] || ln -sfn "$t" "$dir/$name"
	done
	for t in "$dir"/*; do
		[ -L "$t" ] || continue
		[ -n "${want[$(basename "$t")]:-}" ] || rm -f "$t"
	done
}

top=()
for f in "$src"/*; do
	case "$(basename "$f")" in prog_tests|progs) ;; *) top+=("$f") ;; esac
done
sync_links "$lean" "${top[@]}"

mine() { cd "$repo/tools/testing/selftests/bpf" && ls "$1"/*.[ch] 2>/dev/null || true; }
tests=() progs=()
while read -r f; do
	case "$f" in prog_tests/*) tests+=("$src/$f") ;; progs/*) progs+=("$src/$f") ;; esac
done < <(grep -v '^#' "$here/upstream.list"; mine prog_tests; mine progs)
for f in "$src"/prog_tests/*.h; do [ "$(basename "$f")" = tests.h ] || tests+=("$f"); done
progs+=("$src"/progs/*.h)
sync_links "$lean/prog_tests" "${tests[@]}"
sync_links "$lean/progs" "${progs[@]}"

# Upstream's Makefile tracks only progs/*.h for BPF objects: rebuild the
# programs that include a sample scheduler when samples/bpf changed.
for o in "$out"/xdpq_sched_*.bpf.o; do
	[ -e "$o" ] || continue
	if [ -n "$(find "$repo/samples/bpf" -name 'xdpq_*' -newer "$o")" ]; then
		rm -f "$o"
	fi
done

make -s -C "$lean" -f Makefile -f "$here/lean.mk" -j"$(nproc)" OUTPUT="$out" \
	VMLINUX_BTF="$kobj/vmlinux" \
	CLANG=clang-19 LLC=llc-19 LLVM_STRIP=llvm-strip-19 \
	LSKELS= LSKELS_EXTRA= LINKED_SKELS= TRUNNER_EXTRA_FILES= \
	"$out/test_progs"
cp "$here/DENYLIST" "$out/DENYLIST.xdpq"
