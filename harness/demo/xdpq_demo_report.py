#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Report of the `make run` demo (xdpq_demo.sh): per-VM rates against
their limits, the stalled VM's frame accounting, Jain's fairness index,
the priority flow's latency with and without xdpq, and an SVG plot of the
per-VM rates over time.

usage: xdpq_demo_report.py RESULTS_DIR SECONDS
"""
import json
import os
import re
import sys

res, secs = sys.argv[1], float(sys.argv[2])
LIMITS = {"vm1": 4e6, "vm2": 2e6, "vm3": 4e6}      # bit/s, as in shaped.conf
STALL = (6.0, 11.0)
failed = []


def series(phase, vm):
    """(t, bytes) per 100 ms slot from a sink's CSV."""
    with open(os.path.join(res, f"{phase}.{vm}.csv")) as f:
        next(f)
        return [(float(t), int(b)) for t, b in (line.strip().split(",") for line in f)]


def rate(rows, windows):
    """bit/s over the slots inside the windows [(from, to), ...]."""
    picked = [b for t, b in rows if any(lo <= t < hi for lo, hi in windows)]
    return sum(picked) * 8 / (len(picked) * 0.1) if picked else 0.0


def check(ok, what):
    print(f"  {'PASS' if ok else 'FAIL'}  {what}")
    if not ok:
        failed.append(what)


def counts(path, pattern):
    with open(path) as f:
        return {m.group(1): int(m.group(2)) for m in re.finditer(pattern, f.read())}


def last_stats(phase):
    stats = {}
    with open(os.path.join(res, f"{phase}.json")) as f:
        for line in f:
            obj = json.loads(line)
            if "vm" in obj:
                stats[obj["vm"]] = obj
    return stats


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))] if values else 0


def latencies(phase):
    with open(os.path.join(res, f"{phase}.vm1.lat")) as f:
        return [int(x) / 1e6 for x in f if x.strip()]


def svg_plot(path, lines, t_max, y_max):
    w, h, m = 720, 360, 50
    colors = ["#1f77b4", "#d62728", "#2ca02c"]
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
           f'font-family="sans-serif" font-size="12">',
           f'<rect width="{w}" height="{h}" fill="white"/>',
           f'<text x="{w / 2}" y="20" text-anchor="middle">xdpq demo: per-VM rate '
           f'(1 s average), vm3 stalls from {STALL[0]:g} to {STALL[1]:g} s</text>']

    def xy(t, v):
        return m + t / t_max * (w - 2 * m), h - m - v / y_max * (h - 2 * m)
    for i in range(0, int(y_max / 1e6) + 1):
        x0, y = xy(0, i * 1e6)
        out.append(f'<line x1="{x0}" y1="{y}" x2="{w - m}" y2="{y}" stroke="#ddd"/>')
        out.append(f'<text x="{x0 - 5}" y="{y + 4}" text-anchor="end">{i}</text>')
    out.append(f'<text x="15" y="{h / 2}" transform="rotate(-90 15 {h / 2})" '
               f'text-anchor="middle">Mbit/s</text>')
    for s in range(0, int(t_max) + 1, 2):
        x, y0 = xy(s, 0)
        out.append(f'<text x="{x}" y="{y0 + 16}" text-anchor="middle">{s}</text>')
    out.append(f'<text x="{w / 2}" y="{h - 10}" text-anchor="middle">seconds</text>')
    for i, (name, points, limit) in enumerate(lines):
        pts = " ".join("%.1f,%.1f" % xy(t, v) for t, v in points)
        out.append(f'<polyline fill="none" stroke="{colors[i]}" stroke-width="2" points="{pts}"/>')
        x0, y = xy(0, limit)
        out.append(f'<line x1="{x0}" y1="{y}" x2="{w - m}" y2="{y}" stroke="{colors[i]}" '
                   f'stroke-dasharray="4 4"/>')
        out.append(f'<text x="{w - m + 5}" y="{y + 4}" fill="{colors[i]}">{name}</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


print(f"\n== shaped: achieved rate at the VMs' taps over the steady seconds")
print(f"  {'vm':6} {'limit Mb/s':>10} {'achieved':>10} {'ratio':>7}")
# vm1's and vm2's windows span vm3's stall: a stalled VM must not slow them.
windows = {"vm1": [(2, secs - 1)], "vm2": [(2, secs - 1)],
           "vm3": [(2, STALL[0]), (STALL[1] + 1.5, secs - 1)]}
for vm, limit in LIMITS.items():
    r = rate(series("shaped", vm), windows[vm])
    print(f"  {vm:6} {limit / 1e6:10.2f} {r / 1e6:10.3f} {r / limit:7.3f}")
    check(abs(r / limit - 1) <= 0.02, f"{vm} within 2 % of its limit")

sent = counts(os.path.join(res, "shaped.gen"), r"stream (\d+): (\d+) frames sent")
read = counts(os.path.join(res, "shaped.sinks"), r"tap_(vm\d): (\d+) frames read")
stats = last_stats("shaped")
vm3 = stats["vm3"]
lost = sent["3"] - read["vm3"] - vm3["dropped"] - vm3["depth"]
print(f"\n== shaped: vm3, stalled for {STALL[1] - STALL[0]:g} s")
print(f"  offered {sent['3']}, read {read['vm3']}, dropped over its queue share "
      f"{vm3['dropped']}, queued at the last statistics {vm3['depth']}: otherwise lost "
      f"{max(lost, 0)}")
check(lost <= 0, "vm3 lost nothing beyond its queue share")
check(vm3["blocked"] > 0, "vm3's tap was full while it stalled, and the scheduler waited")

rates = [rate(series("equal", vm), [(2, 9)]) for vm in ("vm1", "vm2", "vm3")]
jain = sum(rates) ** 2 / (len(rates) * sum(r * r for r in rates))
print(f"\n== equal: three VMs at 4 Mbit/s: {', '.join('%.3f' % (r / 1e6) for r in rates)} "
      f"Mbit/s, Jain's index {jain:.4f}")
check(jain >= 0.99, "Jain's fairness index >= 0.99")

shaped, plain = latencies("shaped"), latencies("devmap")
plain_sent = counts(os.path.join(res, "devmap.gen"), r"stream (\d+): (\d+) frames sent")
p50s, p99s = percentile(shaped, 50), percentile(shaped, 99)
p50d, p99d = percentile(plain, 50), percentile(plain, 99)
print(f"\n== priority flow to vm1 (DSCP EF, 50 frames/s), latency in ms")
print(f"  {'':8} {'sent':>7} {'read':>7} {'p50':>8} {'p99':>8}")
print(f"  {'xdpq':8} {sent['1']:7} {len(shaped):7} {p50s:8.2f} {p99s:8.2f}")
print(f"  {'devmap':8} {plain_sent['1']:7} {len(plain):7} {p50d:8.2f} {p99d:8.2f}")
check(len(shaped) >= 0.99 * sent["1"], "xdpq delivered the priority flow")
check(p99s > 0 and p99d >= 10 * p99s, "p99 at least 10x lower than through a devmap")

points = []
for vm in LIMITS:
    rows = series("shaped", vm)
    avg = [(rows[i][0] + 0.5, sum(b for _, b in rows[i - 9:i + 1]) * 8)
           for i in range(9, len(rows))]
    points.append((vm, avg, LIMITS[vm]))
svg_plot(os.path.join(res, "xdpq_demo_rates.svg"), points, secs + 2, 5e6)
print(f"\nplot: xdpq_demo_rates.svg")
print("demo: " + ("all checks passed" if not failed else f"{len(failed)} checks failed"))
sys.exit(1 if failed else 0)
