#!/usr/bin/env python3
"""``livecue batch`` throughput, Ray overhead, rerun and ``livecue summary`` cost.

One run, configurations interleaved round by round (the order rotates), so a
busy shared machine slows all of them alike; compare the ratios, not the
absolute figures.

- ``loop``: ``livecue replay FILE --fast --plain --log ...`` for each file in turn (today's way);
- ``batch WxT``: ``livecue batch FILES --out NEW`` with W workers of T threads;
- ``ray WxT``: the same on a local Ray cluster (``ray start --head``, started and stopped here);
- rerun: a finished library of ``--rerun-calls`` calls batched again (nothing to redo);
- summary: ``livecue summary`` over ``--logs`` session logs (copies with shifted names), time and peak memory.

    python scripts/bench_batch.py ../shared/calls/d0*.wav --rounds 2
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "RAY_USAGE_STATS_ENABLED": "0"}


def livecue(*args: str, check: bool = True) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "livecue", *args], check=check, env=ENV, cwd=str(ROOT),
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    return time.perf_counter() - t0


def start_ray(temp: Path, cpus: int) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    temp.mkdir(parents=True, exist_ok=True)
    log = temp / "head.log"
    head = subprocess.Popen([str(Path(sys.executable).with_name("ray")), "start", "--head", f"--port={port}",
                             f"--num-cpus={cpus}", "--include-dashboard=false", f"--temp-dir={temp}", "--block"],
                            env=ENV, stdout=open(log, "w"), stderr=subprocess.STDOUT, start_new_session=True)
    while "--block" not in log.read_text():
        if head.poll() is not None:
            raise SystemExit(f"ray start failed:\n{log.read_text()[-2000:]}")
        time.sleep(0.5)
    return head, f"127.0.0.1:{port}"


def stop_ray(head: subprocess.Popen) -> None:
    head.send_signal(signal.SIGTERM)
    try:
        head.wait(60)
    except subprocess.TimeoutExpired:
        head.kill()
        head.wait()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--splits", default="2x1,1x2", help="worker x thread splits for batch")
    ap.add_argument("--ray-split", default="2x1")
    ap.add_argument("--rerun-calls", type=int, default=15)
    ap.add_argument("--logs", type=int, default=1000)
    ap.add_argument("--long-call", type=Path, default=None,
                    help="also time summary over --logs copies of this (longer) call's log")
    ap.add_argument("--only-summary", action="store_true", help="only the summary timings (the files' logs, then --long-call's)")
    args = ap.parse_args()
    from livecue.audio.files import decode_file

    work = Path(tempfile.mkdtemp(prefix="lcbench"))
    if args.only_summary:
        livecue("batch", *map(str, args.files), "--out", str(work / "library_out"), "--no-progress")
        summary(work, sorted((work / "library_out" / "logs").glob("*.jsonl")), args.logs, args.rounds)
        if args.long_call:
            long_summary(work, args.long_call, args.logs, args.rounds)
        shutil.rmtree(work, ignore_errors=True)
        return 0
    files = [f.resolve() for f in args.files]
    audio_s = sum(decode_file(f).shape[1] / 16000 for f in files)
    cores = os.cpu_count()
    print(f"{len(files)} calls, {audio_s:.0f} s audio; {cores} cores; load average {os.getloadavg()[0]:.1f}")

    head, address = start_ray(work / "ray", cores or 2)
    configs = ["loop"] + [f"batch {s}" for s in args.splits.split(",")] + [f"ray {args.ray_split}"]
    walls: dict[str, list[float]] = {c: [] for c in configs}
    try:
        for r in range(args.rounds):
            order = configs[r % len(configs):] + configs[:r % len(configs)]
            for config in order:
                out = work / f"{config.replace(' ', '_')}_{r}"
                load = os.getloadavg()[0]
                if config == "loop":
                    out.mkdir()
                    wall = sum(livecue("replay", str(f), "--fast", "--plain", "--log", str(out / f"{f.stem}.jsonl"))
                               for f in files)
                else:
                    kind, split = config.split()
                    w, t = split.split("x")
                    extra = ["--ray", address] if kind == "ray" else []
                    wall = livecue("batch", *map(str, files), "--out", str(out), "--workers", w, "--threads", t,
                                   "--no-progress", *extra)
                walls[config].append(wall)
                print(f"round {r + 1}: {config:10s} {wall:6.1f} s = {audio_s / wall * 1:.2f} audio h/h "
                      f"(load before {load:.1f})", flush=True)
    finally:
        stop_ray(head)

    print("\nmedians (ratio to the sequential loop's throughput):")
    base = statistics.median(walls["loop"])
    for config in configs:
        m = statistics.median(walls[config])
        print(f"  {config:10s} {m:6.1f} s  {audio_s / m:5.2f} audio h/h  x{base / m:.2f}")
    best = min((c for c in configs if c.startswith("batch")), key=lambda c: statistics.median(walls[c]))
    ray_m, best_m = statistics.median(walls[configs[-1]]), statistics.median(walls[best])
    print(f"  ray vs best local pool ({best}): {ray_m / best_m - 1:+.0%} wall time")

    rerun(work, files, args.rerun_calls)
    summary(work, sorted((work / "library_out" / "logs").glob("*.jsonl")), args.logs, args.rounds)
    if args.long_call:
        long_summary(work, args.long_call, args.logs, args.rounds)
    shutil.rmtree(work, ignore_errors=True)
    return 0


def _write_wav(path: Path, data) -> None:
    import wave

    import numpy as np

    pcm = (np.clip(data, -1, 1) * 32767).astype("<i2").T.copy()
    with wave.open(str(path), "wb") as w:
        w.setnchannels(data.shape[0])
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(pcm.tobytes())


def rerun(work: Path, files: list[Path], n_calls: int) -> None:
    """A finished library of ``n_calls`` (the files, then 12 s pieces of them) batched again."""
    from livecue.audio.files import decode_file

    lib = work / "library"
    lib.mkdir()
    for n in range(n_calls):
        f = files[n % len(files)]
        if n < len(files):
            shutil.copy(f, lib / f.name)
        else:
            k = n // len(files)
            _write_wav(lib / f"{f.stem}_piece{k}.wav", decode_file(f)[:, (k - 1) * 192000:k * 192000])
    out = work / "library_out"
    first = livecue("batch", str(lib), "--out", str(out), "--no-progress")
    again = [livecue("batch", str(lib), "--out", str(out), "--no-progress") for _ in range(3)]
    logs = len(list((out / "logs").glob("*.jsonl")))
    print(f"rerun over a finished library of {n_calls} calls ({logs} logs): first run {first:.1f} s; "
          f"reruns {', '.join(f'{w:.2f}' for w in again)} s (median {statistics.median(again):.2f} s)", flush=True)


def long_summary(work: Path, call: Path, n_logs: int, repeats: int) -> None:
    out = work / "long_out"
    livecue("batch", str(call.resolve()), "--out", str(out), "--no-progress")
    summary(work, sorted((out / "logs").glob("*.jsonl")), n_logs, repeats, name="many_long_logs")


def summary(work: Path, logs: list[Path], n_logs: int, repeats: int, name: str = "many_logs") -> None:
    """``livecue summary`` over ``n_logs`` copies of ``logs`` (shifted names): wall time and peak RSS."""
    many = work / name
    many.mkdir()
    for n in range(n_logs):
        shutil.copy(logs[n % len(logs)], many / f"{n:05d}_{logs[n % len(logs)].name}")
    size = sum(p.stat().st_size for p in many.iterdir())
    results = []
    for r in range(max(3, repeats)):
        t0 = time.perf_counter()
        proc = subprocess.run(["/usr/bin/time", "-f", "%M %U %S", sys.executable, "-m", "livecue", "summary", str(many),
                               "--out", str(work / f"{name}_summary_{r}")], env=ENV, cwd=str(ROOT),
                              capture_output=True, text=True)
        wall = time.perf_counter() - t0
        rss_kb, user, system = proc.stderr.strip().splitlines()[-1].split()
        results.append((wall, int(rss_kb) / 1024, float(user) + float(system)))
    walls = [w for w, _, _ in results]
    rss = [m for _, m, _ in results]
    cpu = [c for _, _, c in results]
    print(f"summary over {n_logs} logs ({size / 1e6:.1f} MB): wall {', '.join(f'{w:.2f}' for w in walls)} s "
          f"(median {statistics.median(walls):.2f} s); CPU {', '.join(f'{c:.2f}' for c in cpu)} s "
          f"(median {statistics.median(cpu):.2f} s); peak RSS {max(rss):.0f} MB", flush=True)


if __name__ == "__main__":
    sys.exit(main())
