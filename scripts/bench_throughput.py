#!/usr/bin/env python3
"""--fast replay throughput: audio seconds processed per wall second.

Replays each file with ``livecue replay FILE --fast --json`` in a child
process (model load included, as a user sees it) and also reports the
pipeline alone (in-process, model already loaded).

    python scripts/bench_throughput.py ../shared/calls/tribeai/t01_cold_call_unsuccessful.flac
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    from livecue.asr.whisper import load_engine
    from livecue.audio.files import load_call
    from livecue.config import Settings
    from livecue.pipeline import replay_file_events

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}")
    engine = load_engine(Settings().asr)
    for f in args.files:
        duration = load_call(f).duration
        cli, inproc = [], []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "livecue", "replay", str(f), "--fast", "--json", "--no-log"],
                           check=True, stdout=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
            cli.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            replay_file_events(f, engine=engine, fast=True)
            inproc.append(time.perf_counter() - t0)
        c, p = statistics.median(cli), statistics.median(inproc)
        print(f"{f.name}: {duration:.1f} s audio; command {c:.2f} s = {duration / c:.1f}x real time; "
              f"pipeline alone {p:.2f} s = {duration / p:.1f}x (median of {args.repeat})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
