#!/usr/bin/env python3
"""How far apart ``livecue live`` places the two sides of one sound, on a real audio server.

The same recording reaches both inputs at the same instant: a private
PulseAudio server (tests/pulse_harness.py) plays a stereo copy of the bundled
sample into one sink whose two channels are the inputs ``livecue_left`` and
``livecue_right``.  ``livecue live --record`` captures 6 s; the recording's
two channels are cross-correlated with the sample.  Per run it prints the two
delays and their difference (the sides' misalignment), and how much the
rep side's delay moves between half-second pieces of speech (silence put
into, or audio cut from, the middle of speech).  ``--load N`` keeps N busy
processes running, like a loaded laptop or a CI run beside it.

Needs pulseaudio, pulseaudio-utils, libasound2-plugins and libportaudio2.

    python scripts/bench_live_alignment.py --runs 12 --load 2
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from pulse_harness import PulseServer, delay_of, missing_requirements, read_wav, stereo_copy  # noqa: E402

SAMPLE = ROOT / "src" / "livecue" / "data" / "speech_sample.wav"
RATE = 16000


def piece_delays(recorded: np.ndarray, original: np.ndarray, piece_s: float = 0.5) -> list[float]:
    """Delay of each well-matched half-second piece of the recording (seconds)."""
    out = []
    n = int(piece_s * RATE)
    size = 1 << int(np.ceil(np.log2(len(original) + n)))
    spectrum = np.fft.rfft(original, size)
    for a in range(0, len(recorded) - n, n):
        piece = recorded[a:a + n]
        if np.abs(piece).max() < 0.01:
            continue
        corr = np.fft.irfft(spectrum * np.conj(np.fft.rfft(piece, size)), size)
        k = int(np.argmax(corr[:len(original)]))
        match = corr[k] / (np.linalg.norm(piece) * np.linalg.norm(original[k:k + n]) + 1e-9)
        if match > 0.8:
            out.append(a / RATE - k / RATE)
    return out


def run_one(server: PulseServer, both: Path, record: Path) -> dict:
    env = dict(server.env, PYTHONPATH=str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""))
    cmd = [sys.executable, "-m", "livecue", "live", "--rep-input", "livecue_left", "--prospect-input",
           "livecue_right", "--json", "--duration", "6", "--no-cues", "--record", str(record)]
    errors = record.with_suffix(".err")
    with open(errors, "w") as err:  # a file, not a pipe: a chatty stderr cannot block the child
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True, env=env, cwd=ROOT)
        for line in proc.stdout:
            if json.loads(line)["type"] == "started":
                server.play(both, "call_sink")
        if proc.wait(timeout=120) != 0:
            raise SystemExit(f"livecue live failed: {errors.read_text().strip()}")
    recorded, _ = read_wav(record)
    original = read_wav(SAMPLE)[0][:, 0]
    rep, prospect = delay_of(recorded[:, 0], original), delay_of(recorded[:, 1], original)
    pieces = piece_delays(recorded[:, 0], original)
    moved = max(pieces) - min(pieces) if pieces else float("nan")
    return {"rep_s": rep, "prospect_s": prospect, "apart_s": rep - prospect, "rep_moved_s": moved}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--load", type=int, default=0, help="busy processes to run alongside")
    args = ap.parse_args()
    why = missing_requirements()
    if why:
        raise SystemExit(f"cannot run: {why}")
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.load)]
    rows = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            server = PulseServer(work / "pulse")
            server.start()
            try:
                both = stereo_copy(SAMPLE, work / "both.wav")
                for i in range(args.runs):
                    row = run_one(server, both, work / f"live{i}.wav")
                    server.quiet()
                    rows.append(row)
                    print(f"run {i + 1}: rep {row['rep_s']:.4f} s, prospect {row['prospect_s']:.4f} s, "
                          f"apart {row['apart_s'] * 1000:+.1f} ms, rep moved {row['rep_moved_s'] * 1000:.1f} ms "
                          "within the recording", flush=True)
            finally:
                server.stop()
    finally:
        for p in busy:
            p.kill()
    apart = [abs(r["apart_s"]) * 1000 for r in rows]
    moved = [r["rep_moved_s"] * 1000 for r in rows if r["rep_moved_s"] == r["rep_moved_s"]]  # nan: no piece matched
    moved = moved or [float("nan")]
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, load {args.load}: "
          f"|apart| median {statistics.median(apart):.1f} ms, max {max(apart):.1f} ms; "
          f"rep moved median {statistics.median(moved):.1f} ms, max {max(moved):.1f} ms ({len(rows)} runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
