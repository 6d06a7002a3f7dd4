#!/usr/bin/env python3
"""Formats the upload benchmark's raw results as the markdown section of
docs/BENCHMARKS.md (called by tools/bench/upload_bench.sh; not run by hand).

Input: a JSON Lines file written by upload_bench.sh, one record per run:
  {"kind": "ref", "name": "sha256"|"disk", "run": N, "mib_s": X}
  {"kind": "point", "size": "4K", "conns": 16,
   "target": "sink"|"go"|"go-nosync"|"uploadd", "run": N, "duration_s": D,
   "cpu_s": C, "redis_cpu_s": R, "hwm_kib": K, "loadgen": {...}}
  {"kind": "floor", "size": "4K", "conns": 16, "run": N, "duration_s": D,
   "floor": {...durable_floor --json...}}
  {"kind": "big", "target": ..., "run": N, "status": 201, "time_s": T,
   "bytes": B, "cpu_s": C, "hwm_kib": K}
and the context in the environment: BENCH_MACHINE, BENCH_COMMAND,
BENCH_NOTES (markdown paragraphs). Prints the section to stdout and exits 1
when a record is missing or malformed.
"""
import json
import os
import statistics
import sys

MIB = 1048576.0


def stats(values):
    """(median, min, max) of a non-empty list."""
    return statistics.median(values), min(values), max(values)


def fmt(values, digits=1):
    """'median (min–max)', or the single value when all runs agree."""
    med, lo, hi = stats(values)
    f = "{:,.%df}" % digits
    if f.format(lo) == f.format(hi):
        return f.format(med)
    return "%s (%s–%s)" % (f.format(med), f.format(lo), f.format(hi))


def digits_for(values):
    m = statistics.median(values)
    return 0 if m >= 100 else 1 if m >= 10 else 2


def load(path):
    recs = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    recs.append(json.loads(line))
                except ValueError as e:
                    sys.exit("upload_report: %s line %d is not JSON: %s" % (path, n, e))
    return recs


def point_metrics(r):
    """Per-run figures of a loadgen point."""
    lg = r["loadgen"]
    ok = lg["ok"]
    return {
        "ups": lg["uploads_per_s"],
        "mib": lg["mib_per_s"],
        "p50": lg["latency_ms"]["p50"],
        "p99": lg["latency_ms"]["p99"],
        "bad": lg["non_2xx"] + lg["errors"] + lg["unfinished"],
        "non2xx": lg["non_2xx"],
        "errors": lg["errors"] + lg["unfinished"],
        "rss": r["hwm_kib"] / 1024.0,
        "cpu_us": r["cpu_s"] * 1e6 / ok if ok else float("nan"),
        "redis_us": r.get("redis_cpu_s", float("nan")) * 1e6 / ok if ok else float("nan"),
        "ok": ok,
    }


def floor_metrics(r):
    """Per-run figures of durable_floor (files stand in for uploads)."""
    f = r["floor"]
    return {
        "ups": f["files_per_s"],
        "mib": f["mib_per_s"],
        "p50": f["p50_ms"],
        "p99": f["p99_ms"],
        "bad": 0,
        "non2xx": 0,
        "errors": 0,
        "rss": None,
        "cpu_us": f["cpu_us_per_file"],
        "redis_us": None,
        "ok": f["files"],
    }


def big_metrics(r):
    ok = 1 if 200 <= r["status"] < 300 else 0
    return {
        "ups": 1.0 / r["time_s"],
        "mib": r["bytes"] / MIB / r["time_s"],
        "p50": r["time_s"] * 1e3,
        "p99": r["time_s"] * 1e3,
        "bad": 1 - ok,
        "non2xx": 1 - ok,
        "errors": 0,
        "rss": r["hwm_kib"] / 1024.0,
        "cpu_us": r["cpu_s"] * 1e6,
        "redis_us": None,
        "ok": ok,
    }


def col(runs, key):
    return [m[key] for m in runs]


def share(runs, base):
    """Median MiB/s of runs as a percentage of base (None: no base)."""
    if not base:
        return "-"
    return "%.0f%%" % (100 * statistics.median(col(runs, "mib")) / base)


def row(label, target, dur, runs, sink_mib, floor_mib):
    mib = col(runs, "mib")
    errs = sum(col(runs, "errors"))
    non2xx = "%d" % sum(col(runs, "non2xx")) + (" (+%d errors)" % errs if errs else "")
    redis = [v for v in col(runs, "redis_us") if v is not None and v == v]
    cells = [label, target, dur,
             fmt(col(runs, "ups"), digits_for(col(runs, "ups"))),
             fmt(mib, digits_for(mib)),
             fmt(col(runs, "p50"), digits_for(col(runs, "p50"))),
             fmt(col(runs, "p99"), digits_for(col(runs, "p99"))),
             "-" if target == "floor" else non2xx,
             "-" if target == "floor" else fmt(col(runs, "rss"), 1),
             fmt(col(runs, "cpu_us"), 0),
             fmt(redis, 0) if redis and target != "sink" else "-",
             "baseline" if target == "sink" else share(runs, sink_mib),
             "baseline" if target == "floor" else
             "-" if target == "sink" else share(runs, floor_mib)]
    return "| " + " | ".join(cells) + " |"


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: upload_report.py RESULTS.jsonl")
    recs = load(sys.argv[1])
    refs, points, big = {}, {}, {}
    order = []
    for r in recs:
        if r["kind"] == "ref":
            refs.setdefault(r["name"], []).append(r["mib_s"])
        elif r["kind"] == "point":
            key = (r["size"], r["conns"])
            if key not in order:
                order.append(key)
            points.setdefault(key, {}).setdefault(r["target"], []).append(
                (r["duration_s"], point_metrics(r)))
        elif r["kind"] == "floor":
            key = (r["size"], r["conns"])
            points.setdefault(key, {}).setdefault("floor", []).append(
                (r["duration_s"], floor_metrics(r)))
        elif r["kind"] == "big":
            big.setdefault(r["target"], []).append(big_metrics(r))
    out = []
    w = out.append
    w("## Uploads: uploadd against the machine's limits")
    w("")
    w(os.environ.get("BENCH_MACHINE", "").strip())
    w("")
    w("Command: `%s`" % os.environ.get("BENCH_COMMAND", "?"))
    w("")
    notes = os.environ.get("BENCH_NOTES", "").strip()
    if notes:
        w(notes)
        w("")
    w("Physical references measured in the same invocation (median, min–max):")
    w("")
    if "sha256" in refs:
        w("- SHA-256, one core: `openssl speed -evp sha256 -bytes 16384` = "
          "%s MiB/s" % fmt(refs["sha256"], 0))
    if "disk" in refs:
        w("- Disk write + fsync of the storage directory's file system: "
          "`dd if=/dev/zero bs=1M conv=fsync` = %s MiB/s" % fmt(refs["disk"], 0))
    if "sink" in big:
        w("- curl uploading the 1 GiB file to the sink: %s MiB/s"
          % fmt(col(big["sink"], "mib"), 0))
    w("")
    w("Every cell is the median of the runs, with (min–max). uploads/s and "
      "MiB/s count 2xx answers only (MiB/s = file bytes); p50/p99 are the "
      "latencies of those answers; peak RSS is the server's VmHWM; CPU is "
      "the server's user+system time divided by completed uploads (for the "
      "floor: its own CPU per file), Redis the redis-server's over the same "
      "run; the last two columns are MiB/s as a share of the sink's and of "
      "the durable floor's in the same point. uploadd has to do at least "
      "what both references do: receive every byte like the sink and store "
      "it durably like the floor (for small files it shares one flush among "
      "many uploads, which the per-file floor cannot).")
    w("")
    w("| size | conns | target | runs | uploads/s | MiB/s | p50 ms | p99 ms "
      "| non-2xx | peak RSS MiB | CPU µs/upload | Redis µs/upload | vs sink | vs floor |")
    w("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    med = {}
    for key in order:
        size, conns = key
        tgts = points[key]
        base = {t: statistics.median(col([m for _, m in tgts[t]], "mib"))
                for t in ("sink", "floor") if t in tgts}
        for target in ("sink", "floor", "go", "go-nosync", "uploadd"):
            if target not in tgts:
                continue
            runs = [m for _, m in tgts[target]]
            dur = "%g s × %d" % (tgts[target][0][0], len(runs))
            w(row("%s | %d" % (size, conns), target, dur, runs,
                  base.get("sink"), base.get("floor")))
            med[(size, conns, target)] = runs
    if big:
        sink = statistics.median(col(big["sink"], "mib")) if "sink" in big else None
        disk = statistics.median(refs["disk"]) if "disk" in refs else None
        for target in ("sink", "uploadd"):
            if target in big:
                w(row("1G (curl) | 1", target, "1 upload × %d" % len(big[target]),
                      big[target], sink, disk))
        w("")
        w("For the 1 GiB row, \"vs floor\" is the share of the dd write+fsync "
          "speed above.")
    w("")
    w(go_table(med))
    w(bars(med, big, refs))
    print("\n".join(out))


def go_table(med):
    """uploadd against the Go service, point by point, same invocation."""
    keys = [k for k in med if k[2] == "uploadd" and (k[0], k[1], "go") in med]
    if not keys:
        return ""
    lines = ["uploadd against the seed's Go service (medians of the runs above; "
             "CPU is the server's plus redis-server's per upload):", "",
             "| size | conns | uploadd uploads/s | ÷ Go with fsync | ÷ seed Go (no fsync) "
             "| CPU+Redis µs/upload: uploadd | Go with fsync | seed Go (no fsync) |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]

    def total(runs):
        return median_of(runs, "cpu_us") + median_of(runs, "redis_us")

    for size, conns, _ in keys:
        u = med[(size, conns, "uploadd")]
        g = med[(size, conns, "go")]
        ns = med.get((size, conns, "go-nosync"))
        lines.append("| %s | %d | %s | %.2fx | %s | %.0f | %.0f | %s |" % (
            size, conns, "{:,.0f}".format(median_of(u, "ups")),
            median_of(u, "ups") / median_of(g, "ups"),
            "%.2fx" % (median_of(u, "ups") / median_of(ns, "ups")) if ns else "-",
            total(u), total(g), "%.0f" % total(ns) if ns else "-"))
    lines.append("")
    return "\n".join(lines)


def verdict(ok):
    return "**pass**" if ok else "**FAIL**"


def median_of(runs, key):
    return statistics.median(col(runs, key))


def reach(need, limit, what):
    """Puts what a throughput bar needs next to a durable reference."""
    return "needs %.0f MiB/s, %s %s: %.0f MiB/s" % (
        need, "above" if need > limit else "within", what, limit)


def bars(med, big, refs):
    """The bars of issues 3 and 15, with pass/fail and what the machine
    allows."""
    lines = ["| bar | measured | verdict | what the machine allows |",
             "| --- | --- | --- | --- |"]
    if "sink" in big and "uploadd" in big:
        u, s = median_of(big["uploadd"], "mib"), median_of(big["sink"], "mib")
        rss = max(col(big["uploadd"], "rss"))
        bad = sum(col(big["uploadd"], "bad"))
        ctx = reach(0.5 * s, statistics.median(refs["disk"]),
                    "dd's write+fsync") if "disk" in refs else "-"
        lines.append("| 1 GiB curl upload ≥ 50%% of curl→sink, peak RSS < 64 MiB "
                     "| %.0f of %.0f MiB/s = %.0f%%; peak RSS %.1f MiB%s | %s | %s |"
                     % (u, s, 100 * u / s, rss, "; %d failed" % bad if bad else "",
                        verdict(u >= 0.5 * s and rss < 64 and not bad), ctx))
    if ("16M", 16, "uploadd") in med and ("16M", 16, "sink") in med:
        ur, sr = med[("16M", 16, "uploadd")], med[("16M", 16, "sink")]
        u, s = median_of(ur, "mib"), median_of(sr, "mib")
        rss = max(col(ur, "rss"))
        fl = med.get(("16M", 16, "floor"))
        ctx = reach(0.4 * s, median_of(fl, "mib"),
                    "the durable floor at 16 connections") if fl else "-"
        lines.append("| 16 MiB at c16 ≥ 40%% of loadgen→sink, peak RSS < 128 MiB "
                     "| %.0f of %.0f MiB/s = %.0f%%; peak RSS %.1f MiB | %s | %s |"
                     % (u, s, 100 * u / s, rss,
                        verdict(u >= 0.4 * s and rss < 128), ctx))
    if ("4K", 16, "uploadd") in med:
        ur = med[("4K", 16, "uploadd")]
        cpu = median_of(ur, "cpu_us")
        bad = sum(col(ur, "bad"))
        fl = med.get(("4K", 16, "floor"))
        ctx = ("the file system's share alone (durable floor): %.0f µs CPU per "
               "file, at %.0f files/s" % (median_of(fl, "cpu_us"), median_of(fl, "ups"))
               if fl else "-")
        lines.append("| 4 KiB at c16: CPU ≤ 250 µs per upload, zero non-2xx "
                     "| %.0f µs per upload; %d non-2xx or failed | %s | %s |"
                     % (cpu, bad, verdict(cpu <= 250 and bad == 0), ctx))
    if ("4K", 16, "uploadd") in med and ("4K", 16, "go") in med:
        ur, gr = med[("4K", 16, "uploadd")], med[("4K", 16, "go")]
        nr = med.get(("4K", 16, "go-nosync"))
        u, g = median_of(ur, "ups"), median_of(gr, "ups")
        bad = sum(col(ur, "bad"))
        # The bar is against the seed as it is: os.WriteFile, no fsync.
        seed = median_of(nr, "ups") if nr else None
        ctx = ("the Go service made durable (-fsync=true): %.0f uploads/s, "
               "uploadd %.2fx" % (g, u / g))
        if seed:
            lines.append("| 4 KiB at c16: uploadd ≥ 2x the seed Go service's "
                         "uploads/s (os.WriteFile, no fsync), 0 non-2xx | %.0f of "
                         "%.0f uploads/s = %.2fx; %d non-2xx or failed | %s | %s |"
                         % (u, seed, u / seed, bad,
                            verdict(u >= 2 * seed and bad == 0), ctx))
    if ("1M", 1, "uploadd") in med and ("1M", 1, "floor") in med and "sha256" in refs:
        ur, fr = med[("1M", 1, "uploadd")], med[("1M", 1, "floor")]
        u, f = median_of(ur, "mib"), median_of(fr, "mib")
        cpu, fcpu = median_of(ur, "cpu_us"), median_of(fr, "cpu_us")
        sha = 1e6 / statistics.median(refs["sha256"])  # µs for 1 MiB
        limit = 1.25 * (fcpu + sha)
        lines.append("| 1 MiB at c1: ≥ 85%% of the durable floor, CPU ≤ 1.25 × "
                     "(floor CPU + SHA-256 of 1 MiB) | %.0f of %.0f MiB/s = "
                     "%.0f%%; CPU %.0f µs per upload against 1.25 × (%.0f + %.0f) = %.0f µs | %s | "
                     "SHA-256 of 1 MiB at the measured %.0f MiB/s: %.0f µs |"
                     % (u, f, 100 * u / f, cpu, fcpu, sha, limit,
                        verdict(u >= 0.85 * f and cpu <= limit),
                        statistics.median(refs["sha256"]), sha))
    rss_all = [m["rss"] for k, runs in med.items() if k[2] == "uploadd"
               for m in runs] + ([m["rss"] for m in big["uploadd"]]
                                 if "uploadd" in big else [])
    if rss_all:
        lines.append("| uploadd peak RSS < 64 MiB at every point | highest "
                     "VmHWM of every uploadd run: %.1f MiB | %s | - |"
                     % (max(rss_all), verdict(max(rss_all) < 64)))
    lines.append("")
    lines.append("The durable floor is what the file system allows with a file "
                 "per upload (fdatasync and a directory fsync before each 201); "
                 "uploadd's small files share a flush instead. dd is "
                 "a rougher disk reference: it writes the whole file before its "
                 "fsync, while uploadd starts writeback as it goes, so uploadd can "
                 "beat dd on one large file.")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
