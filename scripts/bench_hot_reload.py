"""What a rule edit during a live session costs the call: words and cards while the edit loads.

A coach (or a rep between calls that run long) edits a rule file while
``livecue live`` runs; the session reloads it.  An added intent example
refits every classifier, which takes one to two minutes here
(``bench_refit.py``).  This replays calls back to back as one session, in
real time, with a copy of the shipped rules watched for edits, edits the
copy ``--at-s`` seconds in, and reports, on the session's clock:

- when the reload was noticed and when it was applied (its notices);
- how late each final transcript segment reached the end of the stages
  (arrival minus the end of its last word), while the edit loaded and
  otherwise;
- every card, with how long after the end of the turn that carries its
  evidence (its anchor) it fired.

``--edit none`` is the same session without an edit: its cards are the
ones the edited session should show at the same times until the edit is in.
``--count 2`` ends the session while the edit still loads: the end calls the
reload off, and the bench prints how long each of the pipeline's threads
took to stop.
``--src`` runs another checkout's code (before/after).

    python scripts/bench_hot_reload.py --edit example
    python scripts/bench_hot_reload.py --edit none
    python scripts/bench_hot_reload.py --src /tmp/old/src --edit example
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import sys
import tempfile
import threading
import time
import wave
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CALLS = ["d04_not_interested_twice", "d05_gotta_go", "d03_features_meh", "d07_need_approval",
         "d02_one_word_answers", "d06_keep_in_touch"]


def joined_call(folder: Path, names: list[str], out: Path, gap_s: float = 1.0) -> float:
    """The calls' two-channel audio one after the other, ``gap_s`` of silence between; the length."""
    frames, params = [], None
    for name in names:
        with wave.open(str(folder / f"{name}.wav")) as w:
            if params is None:
                params = w.getparams()
            elif (w.getnchannels(), w.getsampwidth(), w.getframerate()) != params[:3]:
                raise SystemExit(f"{name}.wav: not in the first call's format")
            frames.append(w.readframes(w.getnframes()))
        frames.append(b"\0" * int(gap_s * params.framerate) * params.nchannels * params.sampwidth)
    with wave.open(str(out), "wb") as w:
        w.setparams(params)
        for chunk in frames:
            w.writeframes(chunk)
    return sum(len(c) for c in frames) / (params.framerate * params.nchannels * params.sampwidth)


def edit(rules: Path, kind: str) -> None:
    """An example added to second_effort's brush-off intent (every classifier refits), or a card's text."""
    path = rules / "second_effort.toml"
    text = path.read_text(encoding="utf-8")
    if kind == "example":
        new = text.replace("sounds_like = [\n", 'sounds_like = [\n  "we are fine with the crews we have",\n', 1)
    else:
        new = text.replace('why = "', 'why = "Edited. ', 1)
    if new == text:
        raise SystemExit("second_effort.toml has nothing to edit")
    before = path.stat().st_mtime_ns
    path.write_text(new, encoding="utf-8")
    os.utime(path, ns=(before + 2_000_000_000, before + 2_000_000_000))


def quantiles(values: list[float]) -> str:
    if not values:
        return "none"
    values = sorted(values)
    return (f"median {statistics.median(values):.2f} s, p90 {values[int(0.9 * (len(values) - 1))]:.2f} s, "
            f"worst {values[-1]:.2f} s ({len(values)})")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--edit", choices=("example", "why", "none"), default="example")
    ap.add_argument("--at-s", type=float, default=5.0, help="when the edit is made, seconds into the session")
    ap.add_argument("--calls", default=str(ROOT.parent / "shared" / "calls"), help="folder of the calls")
    ap.add_argument("--count", type=int, default=len(CALLS), choices=range(1, len(CALLS) + 1),
                    help="how many of the calls to join (2: the session ends while an example edit loads)")
    ap.add_argument("--src", default=str(ROOT / "src"), help="the livecue source tree to run")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="livecue-reload-"))
    try:
        os.environ["XDG_CACHE_HOME"] = str(tmp / "cache")  # nothing this edit needs is cached yet
        rules = tmp / "rules"
        shutil.copytree(ROOT / "cue_rules", rules)
        audio = tmp / "call.wav"
        length = joined_call(Path(args.calls), CALLS[:args.count], audio)
        sys.path.insert(0, args.src)
        from livecue.asr.whisper import load_engine
        from livecue.config import Settings
        from livecue.cues.stage import build_cue_stage
        from livecue.events import Committed, Cue, Notice, SessionStarted
        from livecue import pipeline
        from livecue.pipeline import replay_file_events

        try:
            from livecue.stages import StageCapabilities
        except ImportError:  # a tree before stage jobs: its stages declared nothing
            StageCapabilities = None

        settings = Settings()
        engine = load_engine(settings.asr)
        started = threading.Event()

        class Arrivals:
            """Last stage: notes when (on the session clock) each event came out of the cue stage."""

            if StageCapabilities is not None:
                capabilities = StageCapabilities()

            def __init__(self, clock) -> None:
                self.clock, self.seen = clock, []

            def feed(self, event):
                if isinstance(event, SessionStarted):
                    started.set()
                self.seen.append((self.clock.now(), event))
                return []

            def close(self, t):
                return []

        noted: list[Arrivals] = []

        def stages(clock):
            noted.append(Arrivals(clock))
            return [build_cue_stage(rules, None, clock, settings=settings), noted[-1]]

        def editor() -> None:
            if started.wait(60):
                time.sleep(args.at_s)
                edit(rules, args.edit)

        closes: list[tuple[str, float]] = []
        close = pipeline.Worker.close

        def timed_close(worker, *a, **kw):
            begun = time.perf_counter()
            try:
                return close(worker, *a, **kw)
            finally:
                closes.append((worker._thread.name, time.perf_counter() - begun))

        pipeline.Worker.close = timed_close
        if args.edit != "none":
            threading.Thread(target=editor, daemon=True).start()
        print(f"{args.count} calls back to back, {length:.0f} s, replayed in real time; edit: {args.edit} "
              f"at {args.at_s:g} s; code: {args.src}")
        wall = time.perf_counter()
        replay_file_events(audio, rep_channel=0, prospect_channel=1, settings=settings, stages=stages,
                           engine=engine, fast=False)
        wall = time.perf_counter() - wall
        seen = noted[0].seen
        notices = [(now, e) for now, e in seen if isinstance(e, Notice)]
        for now, e in notices:
            print(f"  notice at {now:6.1f} s: {e.message[:110]}")
        applied = next((now for now, e in notices if e.message.startswith("cue rules reloaded")), None)
        edit_s = args.at_s if args.edit != "none" else None
        late = [(e.t, now - max(w.end for w in e.words)) for now, e in seen
                if isinstance(e, Committed) and e.final and e.words]
        if edit_s is not None:
            end = applied if applied is not None else float("inf")
            during = [d for t, d in late if edit_s <= t <= end]
            other = [d for t, d in late if not edit_s <= t <= end]
            print(f"final segments while the edit loaded: {quantiles(during)}")
            print(f"final segments otherwise: {quantiles(other)}")
        else:
            print(f"final segments: {quantiles([d for _, d in late])}")
        for now, e in seen:
            if isinstance(e, Cue):
                after = f"{e.t - e.anchor:+.2f} s after the end of its evidence" if e.anchor is not None else ""
                print(f"  card {e.cue:14s} at {e.t:6.1f} s, {after}")
        for name, took in closes:
            print(f"  the end waited {took:.2f} s for thread {name}")
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
        print(f"session: {wall:.0f} s wall for {length:.0f} s of audio; "
              + (f"edit applied at {applied:.0f} s" if applied is not None else "edit not applied")
              + f"; peak RSS of the process {peak_mb:.0f} MB")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
