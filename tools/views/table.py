"""compare-views' text output: one table, a row per thread (what the
process says, what the kernel says), the differences under each row, the
wait-for chains that leave the process, then the threads only watch
saw."""

from views.describe import fmt_ns


def print_table(out, pid, rows, watch_only, skew_ms, watch_summary,
                chains=()):
    w = out.write
    w(f"compare-views: uploadd {pid}: in-process dump (/debug/threads) vs kernel "
      f"(taskscope snapshot),\ncaptured {skew_ms:.1f} ms apart\n\n")
    w(f"{'TID':<7} {'NAME':<15} {'PROCESS SAYS':<30} KERNEL SAYS\n")
    for r in rows:
        p, k = r["process"], r["kernel"]
        ps = p["says"] if p else "(not in the dump)"
        ks = k["says"] if k else "(not in the snapshot)"
        w(f"{r['tid']:<7} {r['name'][:15]:<15} {ps[:30]:<30} {ks}\n")
        pat = ((p or {}).get("at") or "").split(" (")[0]
        kat = ((k or {}).get("at") or "").split(" (")[0]
        if pat or kat:
            w(f"{'':<23} {'at ' + pat if pat else '':<30} "
              f"{'at ' + kat if kat else ''}\n")
        for d in r["differences"]:
            w(f"{'':<7} ! {d['detail']}\n")
    if chains:
        w("\nWait-for chains across processes (only the kernel sees them):\n")
        for c in chains:
            w(f"  {c}\n")
    if watch_only is not None and watch_summary is not None and not watch_only:
        w(f"\nOnly watch saw: no thread lived and ended inside the "
          f"{fmt_ns(watch_summary.get('duration_ns'))} window (lost "
          f"events: {watch_summary.get('lost')})\n")
    elif watch_only is not None and watch_summary is not None:
        w(f"\nOnly watch saw these {len(watch_only)} threads (they lived and "
          f"ended inside the {fmt_ns(watch_summary.get('duration_ns'))} "
          f"window; lost events: {watch_summary.get('lost')}):\n")
        w(f"{'TID':<7} {'NAME':<15} {'START ROUTINE':<22} {'PARENT':<7} "
          f"LIFETIME\n")
        for t in watch_only:
            w(f"{t['tid']:<7} {(t['name'] or '?')[:15]:<15} "
              f"{(t['start_routine'] or '?')[:22]:<22} "
              f"{t['parent_tid'] or '':<7} {fmt_ns(t['lifetime_ns'])}\n")
    both = sum(1 for r in rows if r["process"] and r["kernel"])
    only_p = sum(1 for r in rows if not r["kernel"])
    only_k = sum(1 for r in rows if not r["process"])
    w(f"\n{both} threads in both views, {only_p} only in the dump, "
      f"{only_k} only in the snapshot"
      + (f", {len(watch_only)} only in watch" if watch_only is not None
         else "") + "\n")
