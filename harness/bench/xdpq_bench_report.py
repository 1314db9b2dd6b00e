#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Report of `make bench`: the guests' rows (xdpq_bench.sh and the parts it
runs; bench_topo.sh) and the native microbenchmark's, as tables with
min/median/max and the ratio of each case to its section's baseline; the
issue's targets checked against the medians of this run (the native one
against the fastest repetitions, as xdpq_bench checks it); all rows in
one CSV; SVG plots.

usage: xdpq_bench_report.py BENCH_DIR

Reads BENCH_DIR/guest/bench.csv and BENCH_DIR/guest-topo/bench.csv
(section,case,rep,metric,value), and if present BENCH_DIR/native.csv
(core,pattern,queued,rep,ns_per_op) and BENCH_DIR/host.txt (what the host
was doing). Writes BENCH_DIR/results.csv and
BENCH_DIR/bench_{paths,queued,flows,native}.svg. A missed target or a
missing guest is a finding, not an error: the exit status is 1 only when
there are no guest rows to report.
"""
import csv
import math
import os
import re
import statistics
import sys
import textwrap

# Each section's baseline case and the metric its ratios compare.
BASELINES = {"veth": ("devmap", "mpps"), "virtio": ("devmap", "mpps"),
             "shaping": ("htb_fq_codel", "kpps"), "topo_pvp": ("devmap", "mpps"),
             "topo_pvvp": ("devmap", "mpps"), "topo_vv": ("devmap", "mpps")}
PATH_SECTIONS = ["veth", "virtio"]
PATH_CASES = ["devmap", "fifo_shallow", "fifo_64k", "pifo_shallow", "pifo_64k",
              "rbtree_shallow", "rbtree_64k"]
# (what, section, case, the least ratio to the section's baseline)
TARGETS = [("FIFO path, 64k queued frames, >= 0.95 of devmap", "veth", "fifo_64k", 0.95),
           ("PIFO path, 64k queued frames, >= 0.90 of devmap", "veth", "pifo_64k", 0.90),
           ("rbtree path, 64k queued frames, >= 0.80 of devmap", "veth", "rbtree_64k", 0.80),
           ("xdpq shaping >= 3x the pps of HTB + fq_codel", "shaping", "xdpq", 3.0)]
# The guests' results: the first one's are required; the VM topologies
# come from a second guest whose vCPUs run in parallel.
GUESTS = [("guest", ""), ("guest-topo", "; a guest with parallel vCPUs, no icount")]
NATIVE_FLAT = 2.0       # native PIFO: slowest over fastest size, 1k to 1M
LOST_NOTE = 5.0         # % of the offer lost on veth that says the timer fell behind
NATIVE_SIZES = (1 << 10, 1 << 20)
MAPS = ["fifo", "pifo", "rbtree"]
QUEUED = {"1k": 1 << 10, "64k": 1 << 16, "256k": 1 << 18, "1m": 1 << 20}
COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b",
          "#e377c2", "#7f7f7f"]


def read_guest(path):
    """{(section, case, metric): {rep: value}}, in the order first seen."""
    rows = {}
    with open(path) as f:
        for r in csv.DictReader(f):
            try:
                value = float(r["value"])
            except (TypeError, ValueError):
                continue
            rows.setdefault((r["section"], r["case"], r["metric"]), {})[r["rep"]] = value
    return rows


def read_native(path):
    """{(core, pattern, queued): {rep: ns_per_op}} from the native CSV."""
    native = {}
    if not os.path.exists(path):
        return native
    with open(path) as f:
        for r in csv.DictReader(f):
            try:
                key = (r["core"], r["pattern"], int(r["queued"]))
                native.setdefault(key, {})[r["rep"]] = float(r["ns_per_op"])
            except (KeyError, TypeError, ValueError):
                continue
    return native


def stats(values):
    """(min, median, max) of the values of a {rep: value}, or None."""
    values = list(values.values()) if values else []
    return (min(values), statistics.median(values), max(values)) if values else None


def median(rows, section, case, metric):
    s = stats(rows.get((section, case, metric)))
    return s[1] if s else None


def ratio(rows, section, case):
    """The case's median over its section's baseline's, in their metric."""
    base, metric = BASELINES.get(section, (None, None))
    b, v = median(rows, section, base, metric), median(rows, section, case, metric)
    return v / b if b and v is not None else None


def ordered(rows, index, where=lambda key: True):
    """The distinct key[index] of the rows, in the order first seen."""
    seen = []
    for key in rows:
        if where(key) and key[index] not in seen:
            seen.append(key[index])
    return seen


def fmt(v, digits):
    return "-" if v is None else f"{v:.{digits}f}"


def print_path_table(rows, section):
    print(f"\n== {section}: received Mpps over the rounds; ns per frame, ratio to "
          f"devmap, lost frames, queue depth and timer runs as medians")
    print(f"  {'case':16} {'min':>7} {'median':>7} {'max':>7} {'ns/pkt':>7} {'ratio':>6} "
          f"{'lost %':>6} {'depth':>7} {'runs/s':>7} {'f/run':>6}")
    for case in ordered(rows, 1, lambda k: k[0] == section):
        s = stats(rows.get((section, case, "mpps")))
        if not s:
            continue
        cells = [fmt(median(rows, section, case, metric), digits)
                 for metric, digits in (("ns_per_pkt", 0), ("lost_pct", 1), ("depth", 0),
                                        ("timer_runs_per_s", 0), ("frames_per_run", 1))]
        print(f"  {case:16} {s[0]:7.3f} {s[1]:7.3f} {s[2]:7.3f} {cells[0]:>7} "
              f"{fmt(ratio(rows, section, case), 2):>6} {cells[1]:>6} {cells[2]:>7} "
              f"{cells[3]:>7} {cells[4]:>6}")
    behind = [c for c in ordered(rows, 1, lambda k: k[0] == section and k[2] == "depth")
              if (median(rows, section, c, "lost_pct") or 0) > LOST_NOTE]
    if behind and section == "veth":
        print(textwrap.fill(f"{', '.join(behind)}: over {LOST_NOTE:g} % lost. The timer did "
                            f"not keep up with the offer: its runs, not the cost per frame, "
                            f"bounded the rate (runs/s times f/run). Under TCG each run "
                            f"waits for an emulated timer interrupt, whose delay grows with "
                            f"the host's load (README, Benchmarks).", 88,
                            initial_indent="  ", subsequent_indent="  "))


def print_other_table(rows, section, guest_note):
    """Any other part's section: every metric as median (min-max)."""
    base, metric = BASELINES.get(section, (None, None))
    note = f", ratio of {metric} to {base}" if base else ""
    print(f"\n== {section}: median (min-max) over the repetitions{note}{guest_note}")
    for case in ordered(rows, 1, lambda k: k[0] == section):
        cells = []
        for met in ordered(rows, 2, lambda k: k[:2] == (section, case)):
            lo, med, hi = stats(rows[(section, case, met)])
            cells.append(f"{met} {med:.4g} ({lo:.4g}-{hi:.4g})")
        r = ratio(rows, section, case) if base and case != base else None
        print(f"  {case:16} {'; '.join(cells)}" + (f"; ratio {r:.2f}" if r else ""))


def veth_points(rows, name_re, x_of):
    """[(x, median ns/pkt)] of the veth cases whose name matches name_re."""
    points = []
    for case in ordered(rows, 1, lambda k: k[0] == "veth"):
        m = re.fullmatch(name_re, case)
        ns = median(rows, "veth", case, "ns_per_pkt")
        x = x_of(m) if m else None
        if x is not None and ns is not None:
            points.append((x, ns))
    return sorted(points)


def queued_series(rows):
    """{map: [(queued frames, ns/pkt)]} of the standing queues."""
    series = {name: veth_points(rows, rf"{name}_(1k|64k|256k|1m)", lambda m: QUEUED[m[1]])
              for name in MAPS}
    return {name: pts for name, pts in series.items() if pts}


# At 64k queued frames: the FIFO by its sub-queues, served round robin, and
# the PIFO by the flows its fair queueing ranks (each case's "flows").
FLOWS = [("fifo", "sub-queues", r"fifo_64k(?:_\d+q)?"),
         ("pifo", "flows", r"pifo_64k(?:_\d+f)?")]


def flows_series(rows):
    """{name: [(sub-queues or flows, ns/pkt)]} of the FLOWS cases."""
    def flows_of(m):
        flows = median(rows, "veth", m.string, "flows")
        return None if flows is None else int(flows)

    series = {}
    for name, what, name_re in FLOWS:
        points = veth_points(rows, name_re, flows_of)
        if len(points) > 1:
            series[f"{name}, {what}"] = points
    return series


def print_scaling(rows):
    queued, flows = queued_series(rows), flows_series(rows)
    if queued:
        sizes = sorted({x for pts in queued.values() for x, _ in pts})
        print("\n== veth: ns per frame (median) by queued frames")
        print(f"  {'map':8} {'shallow':>8}" + "".join(f" {label(x):>8}" for x in sizes))
        for name in MAPS:
            pts = dict(queued.get(name, []))
            shallow = median(rows, "veth", f"{name}_shallow", "ns_per_pkt")
            print(f"  {name:8} {fmt(shallow, 0):>8}" +
                  "".join(f" {fmt(pts.get(x), 0):>8}" for x in sizes))
        missing = [q for q, n in QUEUED.items() if n not in sizes]
        if missing:
            print(f"  not measured: {', '.join(missing)} (the guest lacks the memory: "
                  f"every queued live frame holds a 4 KiB page)")
    if flows:
        print("\n== veth: ns per frame (median) at 64k queued, by FIFO sub-queues "
              "(round robin) and PIFO flows (fair queueing)")
        for name, what, _ in FLOWS:
            for x, ns in flows.get(f"{name}, {what}", []):
                print(f"  {name:6} {x:6} {what:10} {ns:8.0f}")


def label(n):
    return f"{n >> 20}M" if n >= 1 << 20 else f"{n >> 10}k" if n >= 1 << 10 else str(n)


def print_native(native):
    if not native:
        print("\n== native: no native.csv (make bench-native writes it)")
        return
    sizes = sorted({q for _, _, q in native})
    print("\n== native: enqueue+dequeue ns per operation, median (min-max)")
    print(f"  {'core':8} {'pattern':12}" + "".join(f" {label(q):>18}" for q in sizes))
    for core, pattern in ordered(native, slice(0, 2)):
        cells = []
        for q in sizes:
            s = stats(native.get((core, pattern, q)))
            cells.append(f"{s[1]:.1f} ({s[0]:.1f}-{s[2]:.1f})" if s else "-")
        print(f"  {core:8} {pattern:12}" + "".join(f" {c:>18}" for c in cells))


def native_flatness(native):
    """{pattern: slowest / fastest size} of the PIFO core, 1k to 1M, each
    size by its fastest repetition, as xdpq_bench checks it: the sizes take
    turns on a host shared with others, whose contention only adds time."""
    flat = {}
    for core, pattern in ordered(native, slice(0, 2)):
        if "pifo" not in core.lower():
            continue
        mins = [stats(v)[0] for (c, p, q), v in native.items()
                if (c, p) == (core, pattern) and NATIVE_SIZES[0] <= q <= NATIVE_SIZES[1]]
        if len(mins) >= 2 and min(mins) > 0:
            flat[pattern] = max(mins) / min(mins)
    return flat


def check_targets(rows, native):
    """[(verdict, what, detail)]: PASS, FAIL or n/a (not measured)."""
    results = []
    for what, section, case, least in TARGETS:
        r = ratio(rows, section, case)
        if r is None:
            results.append(("n/a", what, f"not measured (no {section}/{case} rows)"))
        else:
            results.append(("PASS" if r >= least else "FAIL", what, f"{r:.2f}"))
    what = f"native PIFO enqueue+dequeue flat within {NATIVE_FLAT:g}x from 1k to 1M"
    flat = native_flatness(native)
    if not flat:
        results.append(("n/a", what, "not measured (no native PIFO rows)"))
    for pattern, f in flat.items():
        results.append(("PASS" if f <= NATIVE_FLAT else "FAIL", f"{what} ({pattern})",
                        f"{f:.2f}x"))
    return results


def write_results(path, rows, native):
    with open(path, "w") as f:
        f.write("section,case,rep,metric,value\n")
        for (section, case, metric), reps in rows.items():
            for rep, v in reps.items():
                f.write(f"{section},{case},{rep},{metric},{v:g}\n")
        for (core, pattern, queued), reps in native.items():
            for rep, v in reps.items():
                f.write(f"native,{core}_{pattern}_{queued},{rep},ns_per_op,{v:g}\n")


def svg_doc(w, h, title, body):
    return "\n".join([f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
                      f'font-family="sans-serif" font-size="12">',
                      f'<rect width="{w}" height="{h}" fill="white"/>',
                      f'<text x="{w / 2}" y="20" text-anchor="middle" font-size="14">'
                      f'{title}</text>'] + body + ["</svg>\n"])


def svg_bars(path, rows):
    """Median Mpps per path with min-max whiskers and the ratio to devmap."""
    panels = [(s, [c for c in PATH_CASES if (s, c, "mpps") in rows])
              for s in PATH_SECTIONS if (s, "devmap", "mpps") in rows]
    if not panels:
        return False
    w, ph, m = 820, 300, 60
    body = []
    for i, (section, cases) in enumerate(panels):
        top = 40 + i * ph
        y_max = max(stats(rows[(section, c, "mpps")])[2] for c in cases) * 1.2
        bw = (w - 2 * m) / len(cases)

        def y(v):
            return top + ph - m - v / y_max * (ph - 2 * m + 20)
        body.append(f'<text x="{m}" y="{top + 14}" font-weight="bold">{section}</text>')
        body += axis_y(m, w - m, y, y_max, "Mpps")
        base = median(rows, section, "devmap", "mpps")
        body.append(f'<line x1="{m}" y1="{y(base):.1f}" x2="{w - m}" y2="{y(base):.1f}" '
                    f'stroke="{COLORS[0]}" stroke-dasharray="5 4"/>')
        for j, case in enumerate(cases):
            lo, med, hi = stats(rows[(section, case, "mpps")])
            x = m + j * bw + bw * 0.15
            color = COLORS[MAPS.index(case.split("_")[0]) + 1] if case != "devmap" else COLORS[0]
            body.append(f'<rect x="{x:.1f}" y="{y(med):.1f}" width="{bw * 0.7:.1f}" '
                        f'height="{y(0) - y(med):.1f}" fill="{color}" opacity="0.8"/>')
            cx = x + bw * 0.35
            body.append(f'<line x1="{cx:.1f}" y1="{y(lo):.1f}" x2="{cx:.1f}" y2="{y(hi):.1f}" '
                        f'stroke="black"/>')
            r = ratio(rows, section, case)
            body.append(f'<text x="{cx:.1f}" y="{y(hi) - 5:.1f}" text-anchor="middle">'
                        f'{med:.3f}' + (f' ({r:.2f})' if case != "devmap" else "") + '</text>')
            body.append(f'<text x="{cx:.1f}" y="{y(0) + 16:.1f}" text-anchor="middle">'
                        f'{case}</text>')
    with open(path, "w") as f:
        f.write(svg_doc(w, 40 + len(panels) * ph, "Received Mpps per path, median of the "
                        "rounds (ratio to devmap), whiskers min-max", body))
    return True


def axis_y(x0, x1, y, y_max, unit):
    step = nice_step(y_max)
    out = [f'<text x="15" y="{y(y_max / 2):.1f}" transform="rotate(-90 15 {y(y_max / 2):.1f})" '
           f'text-anchor="middle">{unit}</text>']
    v = 0.0
    while v <= y_max:
        out.append(f'<line x1="{x0}" y1="{y(v):.1f}" x2="{x1}" y2="{y(v):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{x0 - 5}" y="{y(v) + 4:.1f}" text-anchor="end">{v:g}</text>')
        v = round(v + step, 10)
    return out


def nice_step(span):
    raw = span / 5
    mag = 10 ** math.floor(math.log10(raw))
    return next(s * mag for s in (1, 2, 5, 10) if s * mag >= raw)


def spread(ys, gap):
    """The label positions ys, moved apart to at least gap from each other."""
    order = sorted(range(len(ys)), key=lambda i: ys[i])
    out = list(ys)
    for prev, cur in zip(order, order[1:]):
        out[cur] = max(out[cur], out[prev] + gap)
    return out


def axis_log_y(x0, x1, y, lo, hi, unit):
    """Grid lines at the powers of 10 from 10^lo to 10^hi."""
    out = [f'<text x="15" y="{y(10 ** ((lo + hi) / 2)):.1f}" '
           f'transform="rotate(-90 15 {y(10 ** ((lo + hi) / 2)):.1f})" '
           f'text-anchor="middle">{unit}</text>']
    for e in range(lo, hi + 1):
        out.append(f'<line x1="{x0}" y1="{y(10 ** e):.1f}" x2="{x1}" y2="{y(10 ** e):.1f}" '
                   f'stroke="#ddd"/>')
        out.append(f'<text x="{x0 - 5}" y="{y(10 ** e) + 4:.1f}" text-anchor="end">'
                   f'{10 ** e:g}</text>')
    return out


def svg_lines(path, title, xlabel, ylabel, series, hline=None, logy=False):
    """Lines over a log2 x axis, and a log10 y axis with logy; hline:
    (label, y) drawn dashed."""
    points = [p for pts in series.values() for p in pts]
    if not points:
        return False
    w, h, m = 720, 400, 60
    xs = sorted({x for x, _ in points})
    x_lo, x_hi = math.log2(xs[0]), math.log2(xs[-1]) if xs[-1] > xs[0] else math.log2(xs[0]) + 1
    values = [v for _, v in points] + ([hline[1]] if hline else [])
    y_max = max(values) * 1.15
    e_lo, e_hi = math.floor(math.log10(min(values))), math.ceil(math.log10(max(values)))

    def x(v):
        return m + (math.log2(v) - x_lo) / (x_hi - x_lo) * (w - 2 * m - 60)

    def y(v):
        if logy:
            return h - m - (math.log10(v) - e_lo) / (e_hi - e_lo) * (h - 2 * m)
        return h - m - v / y_max * (h - 2 * m)
    body = (axis_log_y(m, w - m - 60, y, e_lo, e_hi, ylabel) if logy
            else axis_y(m, w - m - 60, y, y_max, ylabel))
    for v in xs:
        body.append(f'<text x="{x(v):.1f}" y="{h - m + 16}" text-anchor="middle">'
                    f'{label(v)}</text>')
    body.append(f'<text x="{(w - 60) / 2}" y="{h - 15}" text-anchor="middle">{xlabel}</text>')
    label_y = spread([y(pts[-1][1]) + 4 for pts in series.values()], 14)
    for i, (name, pts) in enumerate(series.items()):
        color = COLORS[(i + 1) % len(COLORS)]
        coords = " ".join(f"{x(a):.1f},{y(b):.1f}" for a, b in pts)
        body.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{coords}"/>')
        for a, b in pts:
            body.append(f'<circle cx="{x(a):.1f}" cy="{y(b):.1f}" r="3" fill="{color}"/>')
        body.append(f'<text x="{x(pts[-1][0]) + 8:.1f}" y="{label_y[i]:.1f}" '
                    f'fill="{color}">{name}</text>')
    if hline:
        body.append(f'<line x1="{m}" y1="{y(hline[1]):.1f}" x2="{w - m - 60}" '
                    f'y2="{y(hline[1]):.1f}" stroke="{COLORS[0]}" stroke-dasharray="5 4"/>')
        body.append(f'<text x="{w - m - 55}" y="{y(hline[1]) + 4:.1f}" fill="{COLORS[0]}">'
                    f'{hline[0]}</text>')
    with open(path, "w") as f:
        f.write(svg_doc(w, h, title, body))
    return True


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = sys.argv[1]
    rows, guest_notes = {}, {}
    for guest, note in GUESTS:
        guest_csv = os.path.join(out, guest, "bench.csv")
        if not os.path.exists(guest_csv):
            print(f"xdpq bench: no guest results in {guest_csv}", file=sys.stderr)
            continue
        guest_rows = read_guest(guest_csv)
        sections = ordered(guest_rows, 0)
        for section in sections:
            if section in guest_notes:
                print(f"xdpq bench: {section} again in {guest_csv}, not read",
                      file=sys.stderr)
        rows.update({k: v for k, v in guest_rows.items() if k[0] not in guest_notes})
        guest_notes.update({s: note for s in sections if s not in guest_notes})
    if not rows:
        print("xdpq bench: no guest rows to report", file=sys.stderr)
        return 1
    native = read_native(os.path.join(out, "native.csv"))
    host = os.path.join(out, "host.txt")
    if os.path.exists(host):
        with open(host) as f:
            print("\nhost: " + f.read().strip().replace("\n", "; "))
    print("Guest under QEMU TCG: absolute figures are several times below native; "
          "compare the ratios within this run.")

    sections = ordered(rows, 0)
    for section in PATH_SECTIONS:
        if section in sections:
            print_path_table(rows, section)
    for section in sections:
        if section not in PATH_SECTIONS:
            print_other_table(rows, section, guest_notes[section])
    print_scaling(rows)
    print_native(native)

    print("\n== targets, from the medians of this run (native: the fastest repetitions)")
    results = check_targets(rows, native)
    for verdict, what, detail in results:
        print(f"  {verdict:4}  {what}: {detail}")
    counts = {v: sum(1 for r in results if r[0] == v) for v in ("PASS", "FAIL", "n/a")}
    print(f"  {counts['PASS']} passed, {counts['FAIL']} failed, "
          f"{counts['n/a']} not measured")

    write_results(os.path.join(out, "results.csv"), rows, native)
    plots = ["results.csv"]
    devmap_ns = median(rows, "veth", "devmap", "ns_per_pkt")
    if svg_bars(os.path.join(out, "bench_paths.svg"), rows):
        plots.append("bench_paths.svg")
    if svg_lines(os.path.join(out, "bench_queued.svg"),
                 "veth: ns per frame by queued frames (standing queue), median",
                 "queued frames", "ns/pkt", queued_series(rows),
                 ("devmap", devmap_ns) if devmap_ns else None):
        plots.append("bench_queued.svg")
    if svg_lines(os.path.join(out, "bench_flows.svg"),
                 "veth: ns per frame by FIFO sub-queues and PIFO flows (64k queued), median",
                 "sub-queues or flows", "ns/pkt", flows_series(rows),
                 ("devmap", devmap_ns) if devmap_ns else None):
        plots.append("bench_flows.svg")
    native_series = {f"{c} {p}": sorted((q, stats(v)[1]) for (c2, p2, q), v in native.items()
                                        if (c2, p2) == (c, p))
                     for c, p in ordered(native, slice(0, 2))}
    if svg_lines(os.path.join(out, "bench_native.svg"),
                 "native: enqueue+dequeue ns per operation by queued elements, median",
                 "queued elements", "ns/op", native_series, logy=True):
        plots.append("bench_native.svg")
    print(f"\nwritten to {out}: {', '.join(plots)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
