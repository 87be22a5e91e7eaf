#!/usr/bin/env python3
"""Committed-word latency, CPU and peak memory of a paced two-sided replay.

Runs ``livecue replay FILE --json`` (real-time pacing) as a child process,
stamps every JSON line on arrival and computes, per committed word,
``arrival - (arrival of "started" + word end)``.  CPU use is the child's
user+sys time over the wall time, as a share of all cores; peak RSS comes
from the child's rusage.

    python scripts/bench_latency.py ../shared/calls/d04_not_interested_twice.wav [more files]

``--variant NAME=ARGS`` (repeatable) runs several codes or configurations
in one go, interleaved file by file and ``--rounds`` times, so all of them
share the machine's load alike; ``ARGS`` are extra replay arguments and
``PYTHONPATH=DIR`` inside them selects another checkout's package
(``--variant "before=PYTHONPATH=/work/main/src --no-log"``).  ``--dump FILE``
writes one JSON line per committed word (variant, round, file, side, word,
start, end, latency, final) to study the tail.
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
    env = dict(os.environ)
    for item in [x for x in extra if x.startswith("PYTHONPATH=")]:
        env["PYTHONPATH"] = item.partition("=")[2]
    extra = [x for x in extra if not x.startswith("PYTHONPATH=")]
    cmd = [sys.executable, "-m", "livecue", "replay", str(path), "--json", *extra]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, bufsize=1, env=env)
    started = None
    latencies: list[float] = []
    words: list[dict] = []
    cue_lines = []
    for line in proc.stdout:
        now = time.monotonic()
        event = json.loads(line)
        if event["type"] == "started":
            started = now
        elif event["type"] == "committed" and started is not None:
            for w in event["words"]:
                latencies.append(now - (started + w["end"]))
                words.append({"side": event.get("speaker"), "word": w["word"], "start": w["start"],
                              "end": w["end"], "latency": latencies[-1], "final": event.get("final", False)})
        elif event["type"] == "cue" and started is not None:
            cue_lines.append((event["cue"], event["t"], now - started))
    proc.wait()
    wall = time.monotonic() - wall0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    active = (time.monotonic() - started) if started else wall
    return {
        "file": str(path), "words": len(latencies),
        "latencies": latencies, "words_detail": words, "wall_s": wall, "cpu_s": cpu, "session_s": active,
        "peak_rss_mb": after.ru_maxrss / 1024, "exit": proc.returncode,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--extra", default="", help="extra replay arguments, e.g. '--threads 2'")
    ap.add_argument("--variant", action="append", default=[], metavar="NAME=ARGS",
                    help="a named set of extra replay arguments; several are interleaved")
    ap.add_argument("--rounds", type=int, default=1, help="run every variant this many times")
    ap.add_argument("--dump", type=Path, help="per-word JSON lines")
    args = ap.parse_args()
    variants = [v.partition("=")[::2] for v in args.variant] or [("run", "")]
    cores = os.cpu_count() or 1
    print(f"machine: {platform.machine()} {platform.processor() or ''} {cores} cores, python {platform.python_version()}")
    pooled: dict[str, list[list[float]]] = {name: [] for name, _ in variants}
    dump = args.dump.open("w") if args.dump else None
    for rnd in range(args.rounds):
        for name, extra in variants:
            lat: list[float] = []
            for f in args.files:
                r = run_one(f, (args.extra + " " + extra).split())
                lat += r["latencies"]
                cpu_share = r["cpu_s"] / (r["wall_s"] * cores)
                print(f"[{name} r{rnd + 1}] {f.name}: {r['words']} words, median {statistics.median(r['latencies']):.2f} s, "
                      f"p95 {pct(r['latencies'], 0.95):.2f} s, max {max(r['latencies']):.2f} s, "
                      f"CPU {cpu_share:.0%} of {cores} cores, peak RSS {r['peak_rss_mb']:.0f} MB, "
                      f"load {os.getloadavg()[0]:.1f}, exit {r['exit']}", flush=True)
                if dump:
                    for w in r["words_detail"]:
                        dump.write(json.dumps({"variant": name, "round": rnd + 1, "file": f.name, **w}) + "\n")
            pooled[name].append(lat)
            print(f"[{name} r{rnd + 1}] ALL: {len(lat)} words, median {statistics.median(lat):.2f} s, "
                  f"p95 {pct(lat, 0.95):.2f} s", flush=True)
    if dump:
        dump.close()
    for name, runs in pooled.items():
        meds = [statistics.median(x) for x in runs]
        p95s = [pct(x, 0.95) for x in runs]
        print(f"SUMMARY {name}: median per round {', '.join(f'{m:.2f}' for m in meds)} "
              f"(median {statistics.median(meds):.2f}); p95 per round {', '.join(f'{p:.2f}' for p in p95s)} "
              f"(median {statistics.median(p95s):.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
