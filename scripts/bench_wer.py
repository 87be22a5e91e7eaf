#!/usr/bin/env python3
"""Word error rate of livecue's streaming output against ../shared/speech.

For each recording: the streaming transcriber run on audio time with the
live scheduling (decodes every update interval, LocalAgreement commits; not
the --fast final-only shortcut), next to the same model transcribing the
whole file offline with faster-whisper's own transcribe (beam 5, 30 s
windows).  Pooled WER = all errors / all reference words, scored with jiwer
and Whisper's English normaliser (``pip install 'livecue[bench]'``; without
it a fallback scores and the output says so).

    python scripts/bench_wer.py [--speech DIR] [--set asr.prompt_chars=200] [--src DIR]

``--src DIR`` measures another checkout's package (default: this
checkout's ``src``, whatever livecue the environment has installed).
"""

from __future__ import annotations

import argparse
import platform
import re
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def overrides(settings, items: list[str]):
    """The package's ``--set`` overrides (``livecue.setting_overrides``); an older checkout may lack them."""
    if not items:
        return settings
    try:
        from livecue.setting_overrides import apply_overrides
    except ImportError:
        sys.exit("--set needs a livecue with livecue.setting_overrides (this --src is older)")
    return apply_overrides(settings, items)


def offline_text(engine, audio) -> str:
    """The offline reference: faster-whisper's ``transcribe`` of a whole channel (beam 5, its default
    temperature fallback).  The fallback samples when a beam result looks wrong, so the seed is
    fixed: the reference cannot drift between runs (on the 12 bank calls here seeds 0, 1 and 2 gave
    the same text, and a fresh run matched a cached one word for word)."""
    import ctranslate2

    ctranslate2.set_random_seed(0)
    segments, _ = engine.model.transcribe(audio, language="en", beam_size=5)
    return " ".join(s.text for s in segments)


def reference(path: Path) -> dict[str, str]:
    """Reference text per side ('call' for mono; LEFT/RIGHT for stereo)."""
    lines = [l for l in path.read_text().splitlines() if l.strip() and not l.startswith("#")]
    if any(l.startswith(("LEFT:", "RIGHT:")) for l in lines):
        sides = {"rep": "", "prospect": ""}
        for l in lines:
            key, _, text = l.partition(":")
            sides["rep" if key == "LEFT" else "prospect"] += " " + text
        return sides
    text = " ".join(l.split(":", 1)[1] if re.match(r"^[A-Z][a-z]+: ", l) else l for l in lines)
    return {"call": text}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--speech", type=Path, default=ROOT.parent / "shared" / "speech")
    ap.add_argument("--set", action="append", default=[], help="setting override, e.g. asr.prompt_chars=200")
    ap.add_argument("--no-offline", action="store_true")
    ap.add_argument("--final-only", action="store_true", help="score what --fast replay commits (final decodes only)")
    ap.add_argument("--paced", action="store_true", help="replay on the wall clock (real time / --speed), as live")
    ap.add_argument("--speed", type=float, default=1.0)
    ap.add_argument("--src", type=Path, default=ROOT / "src", help="livecue package source to measure")
    args = ap.parse_args()
    sys.path.insert(0, str(args.src.resolve()))  # measure this checkout, not the installed livecue
    from livecue.asr.whisper import load_engine
    from livecue.audio.files import load_call
    from livecue.config import Settings
    from livecue.events import Committed
    from livecue.pipeline import replay_file_events
    from livecue.wer import fallback_wer, scorer, warn_if_fallback, wer

    settings = overrides(Settings(), args.set)
    settings = replace(settings, asr=replace(settings.asr, fast_final_only=args.final_only))
    engine = load_engine(settings.asr)
    warn_if_fallback()
    mode = f"paced x{args.speed:g}" if args.paced else ("fast, final decodes only" if args.final_only
                                                        else "fast, live schedule")
    print(f"machine: {platform.machine()}, python {platform.python_version()}, model {engine.label}, "
          f"src {args.src}, mode {mode}, overrides {args.set or 'none'}")
    print(f"scorer: {scorer()}")
    totals = {"stream": [0, 0], "offline": [0, 0], "stream_fallback": [0, 0], "offline_fallback": [0, 0]}
    for audio in sorted(args.speech.iterdir()):
        if audio.suffix not in (".wav", ".flac") or not audio.with_suffix(".txt").exists():
            continue
        refs = reference(audio.with_suffix(".txt"))
        t0 = time.perf_counter()
        events = replay_file_events(audio, settings=settings, engine=engine, fast=not args.paced, speed=args.speed)
        took = time.perf_counter() - t0
        hyp = {side: " ".join(e.text for e in events if isinstance(e, Committed) and e.speaker == side)
               for side in refs}
        row = [audio.name]
        for side, ref in refs.items():
            e, n = wer(ref, hyp.get(side, ""))
            totals["stream"][0] += e
            totals["stream"][1] += n
            for i, v in enumerate(fallback_wer(ref, hyp.get(side, ""))):
                totals["stream_fallback"][i] += v
            row.append(f"{side} stream {e}/{n} = {e / max(n, 1):.1%}")
            if not args.no_offline:
                call = load_call(audio)
                off = offline_text(engine, call.sides[side])
                e2, _ = wer(ref, off)
                totals["offline"][0] += e2
                totals["offline"][1] += n
                for i, v in enumerate(fallback_wer(ref, off)):
                    totals["offline_fallback"][i] += v
                row.append(f"offline {e2}/{n} = {e2 / max(n, 1):.1%}")
        print(" | ".join(row) + f" | {took:.1f} s")
        for side in refs:
            print(f"    {side}: {hyp.get(side, '')}")
    s_e, s_n = totals["stream"]
    print(f"POOLED streaming WER {s_e}/{s_n} = {s_e / s_n:.2%}")
    if not args.no_offline:
        o_e, o_n = totals["offline"]
        print(f"POOLED offline WER {o_e}/{o_n} = {o_e / o_n:.2%}; ratio {(s_e / s_n) / max(o_e / o_n, 1e-9):.2f}x")
    for kind in ("stream", "offline"):
        f_e, f_n = totals[f"{kind}_fallback"]
        if f_n:
            print(f"  (same hypotheses, livecue's old fallback normaliser: {kind} WER {f_e}/{f_n} = {f_e / f_n:.2%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
