#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The report of `make bench-profile`: guest instructions per frame by
kernel function in the steady state of each case, next to the first case
(the baseline).

usage: xdpq_profile.py PROFILE_DIR [ROWS]

PROFILE_DIR holds the plugin's dumps, two for each case, at the marks
xdpq_bench -p set inside its offer (dump.2K and dump.2K+1 for case K, from
0; the last one, at QEMU's exit, is not read), and the guest's results:
guest/kallsyms, guest/bpfsyms.K, the BPF programs loaded for case K, and
guest/window, a line "CASE FRAMES NS" per case: the frames that arrived
between the marks and the guest time they took. A case's cost per frame is
the instructions between its marks, of both CPUs, divided by FRAMES; the
"guest ns" row is NS / FRAMES, which under icount (an instruction a
nanosecond) the total must match. A JIT-compiled program is a row
"bpf: NAME" (subprograms and callbacks by their own names); other code
outside the kernel's text, modules, is one row, "[modules, other]".
"""
import bisect
import collections
import os
import sys


def kernel_text(path):
    """Sorted start addresses and names of the kernel's text symbols."""
    syms = {}
    for line in open(path):
        addr, kind, name = line.split()[:3]
        if kind in 'tT':
            syms[int(addr, 16)] = name
    addrs = sorted(syms)
    return addrs, [syms[a] for a in addrs]


# No program of the bench is longer; beyond, an address is not the
# program's that starts below it.
BPF_PROG_MAX = 32 << 10


def bpf_text(path):
    """Sorted start addresses and names of a run's BPF programs."""
    syms = {}
    if os.path.exists(path):
        for line in open(path):
            addr, _, name = line.split()[:3]
            if name.startswith('bpf_prog_') and name.count('_') >= 3:
                name = 'bpf: ' + name.split('_', 3)[3]
            syms[int(addr, 16)] = name
    addrs = sorted(syms)
    return addrs, [syms[a] for a in addrs]


def load(path):
    counts = collections.Counter()
    for line in open(path):
        vaddr, insns, execs = line.split()
        counts[int(vaddr, 16)] += int(insns) * int(execs)
    return counts


def by_symbol(counts, kernel, bpf, text_end):
    addrs, names = kernel
    bpf_addrs, bpf_names = bpf
    out = collections.Counter()
    for vaddr, n in counts.items():
        if not n:
            continue
        if vaddr < 1 << 63:
            out['[user space]'] += n
        elif vaddr < addrs[0] or vaddr >= text_end:
            i = bisect.bisect_right(bpf_addrs, vaddr) - 1
            if i >= 0 and vaddr - bpf_addrs[i] < BPF_PROG_MAX:
                out[bpf_names[i]] += n
            else:
                out['[modules, other]'] += n
        else:
            out[names[bisect.bisect_right(addrs, vaddr) - 1]] += n
    return out


def interval(later, earlier):
    """Instructions per address between two dumps."""
    return collections.Counter({v: later[v] - earlier[v]
                                for v in set(later) | set(earlier)})


def main():
    d = sys.argv[1]
    rows = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    path = os.path.join(d, 'guest/window')
    if not os.path.exists(path):
        sys.exit('xdpq_profile: no case was profiled (%s is missing)' % path)
    windows = [line.split() for line in open(path)]
    cases = [w[0] for w in windows]
    # Two marks a case, and the dump at QEMU's exit
    dumps = len([f for f in os.listdir(d) if f.startswith('dump.')])
    if dumps != 2 * len(cases) + 1:
        sys.exit('xdpq_profile: %d dumps for %d cases, not %d' %
                 (dumps, len(cases), 2 * len(cases) + 1))
    kernel = kernel_text(os.path.join(d, 'guest/kallsyms'))
    addrs, names = kernel
    text_end = addrs[names.index('_etext')] if '_etext' in names else addrs[-1]

    per_frame, guest_ns = {}, {}
    for k, (case, frames, ns) in enumerate(windows):
        start, end = (load(os.path.join(d, 'dump.%d' % i))
                      for i in (2 * k, 2 * k + 1))
        counts = by_symbol(interval(end, start), kernel,
                           bpf_text(os.path.join(d, 'guest/bpfsyms.%d' % k)),
                           text_end)
        per_frame[case] = {s: n / int(frames) for s, n in counts.items()}
        guest_ns[case] = float(ns) / int(frames)

    labels = [c.split('/')[-1][:12] for c in cases]
    print('guest instructions per frame in the steady state (icount: '
          '1 instruction = 1 ns)')
    print('%-40s' % 'function' + ''.join('%13s' % l for l in labels))
    print('%-40s' % 'guest ns' + ''.join('%13.1f' % guest_ns[c] for c in cases))
    total = {c: sum(per_frame[c].values()) for c in cases}
    print('%-40s' % 'total' + ''.join('%13.1f' % total[c] for c in cases))
    syms = set().union(*per_frame.values())
    spread = lambda s: max(abs(per_frame[c].get(s, 0)) for c in cases)
    for s in sorted(syms, key=spread, reverse=True)[:rows]:
        if spread(s) < 0.5:
            break
        print('%-40s' % s[:40] +
              ''.join('%13.1f' % per_frame[c].get(s, 0) for c in cases))


if __name__ == '__main__':
    main()
