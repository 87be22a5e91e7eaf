#!/usr/bin/env python3
"""Committed-word latency, CPU and peak memory of a paced two-sided replay.

Runs ``livecue replay FILE --json`` (real-time pacing) as a child process,
stamps every JSON line on arrival and computes, per committed word,
``arrival - (arrival of "started" + word end)``.  CPU use is the child's
user+sys time over the wall time, as a share of all cores; peak RSS comes
from the child's rusage.

    python scripts/bench_latency.py ../shared/calls/d04_not_interested_twice.wav [more files]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    if not values:
        return float("nan")
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def run_one(path: Path, extra: list[str]) -> dict:
    cmd = [sys.executable, "-m", "livecue", "replay", str(path), "--json", *extra]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, bufsize=1)
    started = None
    latencies: list[float] = []
    cue_lines = []
    for line in proc.stdout:
        now = time.monotonic()
        event = json.loads(line)
        if event["type"] == "started":
            started = now
        elif event["type"] == "committed" and started is not None:
            for w in event["words"]:
                latencies.append(now - (started + w["end"]))
        elif event["type"] == "cue" and started is not None:
            cue_lines.append((event["cue"], event["t"], now - started))
    proc.wait()
    wall = time.monotonic() - wall0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    active = (time.monotonic() - started) if started else wall
    return {
        "file": str(path), "words": len(latencies),
        "latencies": latencies, "wall_s": wall, "cpu_s": cpu, "session_s": active,
        "peak_rss_mb": after.ru_maxrss / 1024, "exit": proc.returncode,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--extra", default="", help="extra replay arguments, e.g. '--threads 2'")
    args = ap.parse_args()
    cores = os.cpu_count() or 1
    print(f"machine: {platform.machine()} {platform.processor() or ''} {cores} cores, python {platform.python_version()}")
    all_lat: list[float] = []
    for f in args.files:
        r = run_one(f, args.extra.split())
        all_lat += r["latencies"]
        cpu_share = r["cpu_s"] / (r["wall_s"] * cores)
        print(f"{f.name}: {r['words']} words, median {statistics.median(r['latencies']):.2f} s, "
              f"p95 {pct(r['latencies'], 0.95):.2f} s, max {max(r['latencies']):.2f} s, "
              f"CPU {cpu_share:.0%} of {cores} cores, peak RSS {r['peak_rss_mb']:.0f} MB, exit {r['exit']}")
    print(f"ALL: {len(all_lat)} words, median {statistics.median(all_lat):.2f} s, p95 {pct(all_lat, 0.95):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
