#!/usr/bin/env python3
"""Committed-word latency of ``livecue live`` capturing a call from a real audio server.

Starts a private PulseAudio server (tests/pulse_harness.py: two null sinks whose
monitors are the ALSA inputs ``livecue_rep`` and ``livecue_prospect``), runs
``livecue live --json`` on them as a child process, and when ``started``
arrives plays the call's two channels into the sinks with paplay.  Every JSON
line is stamped on arrival; per committed word the latency is
``arrival - (arrival of "started" + word end)``: how long after the word was
spoken (on the capture timeline) it was committed.  Given the call's JSON, it
also reports a latency that does not depend on how capture stamps its blocks:
per reference utterance, the arrival of the committed word that matches its
last word, less (the moment paplay was started + the utterance's end in the
file).  paplay's own start-up counts in it, so it can only overstate.  CPU use
is the child's user+sys time over its wall time, as a share of all cores.

Needs pulseaudio, pulseaudio-utils, libasound2-plugins and libportaudio2.

    python scripts/bench_live_latency.py ../shared/calls/d04_not_interested_twice.wav [more] [--extra '--threads 2']
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
import tempfile
import time
import wave
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from pulse_harness import PulseServer, missing_requirements, split_channels  # noqa: E402

sys.path.insert(0, str(ROOT / "scripts"))
from bench_latency import pct  # noqa: E402  (one percentile for both latency benchmarks)

TAIL_S = 6.0  # capture this long after the call ends, for the last words to commit


def wav_duration(path: Path) -> float:
    with wave.open(str(path)) as w:
        return w.getnframes() / w.getframerate()


def _word(text: str) -> str:
    """A word as compared with the reference: lower case, letters and digits only."""
    return "".join(ch for ch in text.lower() if ch.isalnum())


def utterance_latencies(utterances: list[dict], committed: list[tuple[float, str, str]], played: float) -> dict:
    """Per side, the stamp-free latency of each reference utterance whose last word was heard: the
    committed word (arrival, speaker, word) that matches it, found in order, less when it was played."""
    out: dict[str, list[float]] = {}
    for side in ("rep", "prospect"):
        words = [(at, w) for at, who, w in committed if who == side]
        pos = 0
        for u in (u for u in utterances if u["speaker"] == side):
            said = [_word(w) for w in u["text"].split() if _word(w)]
            if not said:
                continue
            # the last match within the utterance's length (a common last word, "it", also comes earlier)
            window = words[pos:pos + len(said)]
            hit = max((k for k, (_, w) in enumerate(window) if _word(w) == said[-1]), default=None)
            if hit is None:
                continue  # misheard, or not committed: no figure for this one
            out.setdefault(side, []).append(window[hit][0] - (played + u["end"]))
            pos += hit + 1
    return out


def run_one(server: PulseServer, path: Path, work: Path, extra: list[str],
            utterances: list[dict] | None = None) -> dict:
    sides = split_channels(path, work)
    duration = wav_duration(path) + TAIL_S
    cmd = [sys.executable, "-m", "livecue", "live", "--rep-input", "livecue_rep",
           "--prospect-input", "livecue_prospect", "--json", "--duration", f"{duration:.2f}", *extra]
    env = dict(server.env, PYTHONPATH=str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, bufsize=1, env=env, cwd=ROOT)
    started = None
    latencies: list[float] = []
    per_side: dict[str, list[float]] = {"rep": [], "prospect": []}
    cues, statuses = [], []
    committed: list[tuple[float, str, str]] = []  # (arrival, speaker, word), for the stamp-free figure
    for line in proc.stdout:
        now = time.monotonic()
        event = json.loads(line)
        if event["type"] == "started":
            started = now  # and paplay starts now
            server.play(sides["rep"], "rep_sink")
            server.play(sides["prospect"], "prospect_sink")
        elif event["type"] == "committed" and started is not None:
            for w in event["words"]:
                committed.append((now, event["speaker"], w["word"]))
                latency = now - (started + w["end"])
                latencies.append(latency)
                per_side.setdefault(event["speaker"], []).append(latency)
        elif event["type"] == "cue" and started is not None:
            cues.append((event["cue"], event["t"], now - started))
        elif event["type"] == "status":
            statuses.append((event["speaker"], event["state"], event["t"]))
    proc.wait()
    server.quiet()
    wall = time.monotonic() - wall0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "file": str(path), "latencies": latencies, "per_side": per_side, "cues": cues, "statuses": statuses,
        "wall_s": wall, "cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "peak_rss_mb": after.ru_maxrss / 1024, "exit": proc.returncode,
        "per_utterance": utterance_latencies(utterances, committed, started) if utterances and started else {},
    }


def summary(values: list[float]) -> str:
    if not values:
        return "no words"
    return (f"{len(values)} words, median {statistics.median(values):.2f} s, p95 {pct(values, 0.95):.2f} s, "
            f"max {max(values):.2f} s")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+", type=Path, help="stereo 16-bit WAV calls (rep left, prospect right)")
    ap.add_argument("--extra", default="", help="extra live arguments, e.g. '--threads 2 --no-cues'")
    args = ap.parse_args()
    why_not = missing_requirements()
    if why_not:
        print(f"bench_live_latency: {why_not}", file=sys.stderr)
        return 2
    cores = os.cpu_count() or 1
    print(f"machine: {platform.machine()} {platform.processor() or ''} {cores} cores, "
          f"python {platform.python_version()}; live capture through PulseAudio null-sink monitors")
    all_lat: list[float] = []
    all_utt: list[float] = []
    with tempfile.TemporaryDirectory(prefix="livecue-bench-") as tmp:
        with PulseServer(Path(tmp) / "pulse") as server:
            for f in args.files:
                utterances = None
                if f.suffix == ".json":
                    call = json.loads(f.read_text())
                    f, utterances = f.parent / call["audio"], call["utterances"]
                r = run_one(server, f, Path(tmp), args.extra.split(), utterances)
                all_lat += r["latencies"]
                share = r["cpu_s"] / (r["wall_s"] * cores)
                print(f"{f.name}: {summary(r['latencies'])}; CPU {share:.0%} of {cores} cores, "
                      f"peak RSS {r['peak_rss_mb']:.0f} MB, exit {r['exit']}")
                for speaker, values in r["per_side"].items():
                    print(f"  {speaker}: {summary(values)}")
                for speaker, values in r["per_utterance"].items():
                    all_utt += values
                    print(f"  {speaker}, utterance end to its last word on screen (stamp-free): "
                          + ", ".join(f"{v:.2f}" for v in values) + " s")
                for cue, t, arrival in r["cues"]:
                    print(f"  cue {cue} at call time {t:.2f} s (arrived {arrival:.2f} s after started)")
                for speaker, state, t in r["statuses"]:
                    print(f"  status {speaker} {state} at {t:.2f} s")
    print(f"ALL: {summary(all_lat)}")
    if all_utt:
        print(f"ALL utterances (stamp-free, from paplay's start): {len(all_utt)}, median "
              f"{statistics.median(all_utt):.2f} s, max {max(all_utt):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
