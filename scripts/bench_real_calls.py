#!/usr/bin/env python3
"""livecue on real telephone speech: ../shared/real-calls (17 recordings).

For every file the whole pipeline (streaming transcriber + shipped cue rules)
runs in-process, fast (audio time) or paced (``--paced --speed S``).  On the
12 Harper Valley Bank calls, which have human transcripts:

- per-side WER of the committed words against ``human_transcript``
  (annotation tags removed, Whisper's English normaliser on both sides,
  jiwer), next to the same model transcribing each channel whole with
  faster-whisper's ``transcribe`` (beam 5) in the same run;
- short-answer recall: reference utterances of 1-3 words that get at least
  one committed word on their side within 0.6 s of them;
- quiet-line words: committed words on a side whose reference is silent at
  that moment (no own-side utterance within 0.5 s) while the other side speaks;
- split tokens: committed words that start with punctuation, a hyphen or an
  apostrophe ("9 .30", "M -A", "ma 'am").

On all files: cues fired (the right number is zero on all 17).

    python scripts/bench_real_calls.py                       # fast, all 17 files
    python scripts/bench_real_calls.py --paced --speed 2 --only hvb_00d6 lca_auto_repairs_40
    python scripts/bench_real_calls.py --model base.en        # any CTranslate2 model under models/
    python scripts/bench_real_calls.py --src /tmp/old/src     # another checkout's package, same data

jiwer and whisper-normalizer are benchmark-only dependencies (the ``bench``
extra); the package itself never imports them.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import sys
import time
from dataclasses import replace
from pathlib import Path

from bench_wer import offline_text, overrides  # scripts/ is on sys.path when a script runs

ROOT = Path(__file__).resolve().parents[1]

TAG = re.compile(r"\[[^\]]*\]|<[^>]*>")
SPLIT = re.compile(r"^[.,;:!?%'’\-–—)\]}…]")
SHORT_MAX_WORDS = 3
SHORT_WINDOW_S = 0.6
QUIET_MARGIN_S = 0.5


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calls", type=Path, default=ROOT.parent / "shared" / "real-calls")
    ap.add_argument("--only", nargs="*", default=[], help="substrings of file names to keep")
    ap.add_argument("--paced", action="store_true", help="replay on the wall clock (real time / --speed)")
    ap.add_argument("--speed", type=float, default=1.0)
    ap.add_argument("--model", default="", help="model name or directory (default: bundled tiny.en)")
    ap.add_argument("--set", action="append", default=[], help="setting override, e.g. vad.threshold=0.4")
    ap.add_argument("--src", type=Path, default=ROOT / "src", help="livecue package source to measure")
    ap.add_argument("--no-offline", action="store_true", help="skip the offline transcribe reference")
    ap.add_argument("--no-cues", action="store_true")
    ap.add_argument("--show", action="store_true", help="print misses, quiet-line words and split tokens")
    ap.add_argument("--json", type=Path, help="write per-file results here")
    ap.add_argument("--offline-cache", type=Path,
                    help="JSON of offline transcripts per file and side: read if it exists, else written "
                         "(the offline reference does not change between runs of one model)")
    return ap.parse_args()


def kinds(refs: list[str], hyps: list[str]) -> str:
    """Where the errors are: substitutions, deletions, insertions (jiwer's alignment)."""
    import jiwer

    out = jiwer.process_words(refs, hyps)
    return f" (S {out.substitutions} D {out.deletions} I {out.insertions})"


def reference(path: Path) -> list[dict]:
    """HVB segments as {side, start, end, text} (text: tags removed)."""
    data = json.loads(path.read_text())
    out = []
    for seg in data:
        side = {2: "rep", 1: "prospect"}.get(seg["channel_index"])
        if side is None:
            continue
        text = " ".join(TAG.sub(" ", seg["human_transcript"]).split())
        start = seg["start_ms"] / 1000
        out.append({"side": side, "start": start, "end": start + seg["duration_ms"] / 1000, "text": text})
    return out


def main() -> int:
    args = parse_args()
    sys.path.insert(0, str(args.src.resolve()))
    import jiwer
    from whisper_normalizer.english import EnglishTextNormalizer

    from livecue.asr.whisper import load_engine
    from livecue.audio.files import load_call
    from livecue.config import Settings
    from livecue.cues.stage import build_cue_stage
    from livecue.events import Committed, Cue
    from livecue.pipeline import replay_file_events

    normalise = EnglishTextNormalizer()
    cache = json.loads(args.offline_cache.read_text()) if args.offline_cache and args.offline_cache.exists() else {}
    cache_dirty = False
    settings = overrides(Settings(), args.set)
    if args.model:
        settings = replace(settings, asr=replace(settings.asr, model=args.model))
    engine = load_engine(settings.asr)
    mode = f"paced x{args.speed:g}" if args.paced else "fast"
    print(f"machine: {platform.machine()}, python {platform.python_version()}, model {engine.label}, "
          f"src {args.src}, mode {mode}, overrides {args.set or 'none'}", flush=True)

    files = sorted(p for p in args.calls.rglob("*") if p.suffix in (".wav", ".flac"))
    if args.only:
        files = [p for p in files if any(o in p.name for o in args.only)]
    pooled = {side: {"ref": [], "stream": [], "offline": []} for side in ("rep", "prospect")}
    short_hit = short_all = quiet = split = 0
    cue_total = 0
    results = []
    t_all = time.perf_counter()
    for path in files:
        stages = (lambda clock: []) if args.no_cues else (
            lambda clock: [build_cue_stage(None, None, clock, watch=False)])
        t0 = time.perf_counter()
        events = replay_file_events(path, settings=settings, engine=engine, fast=not args.paced,
                                    speed=args.speed, stages=stages)
        took = time.perf_counter() - t0
        committed = [e for e in events if isinstance(e, Committed)]
        cues = [e for e in events if isinstance(e, Cue)]
        cue_total += len(cues)
        words = {sp: [w for e in committed if e.speaker == sp for w in e.words]
                 for sp in {e.speaker for e in committed}}
        splits = [(sp, w.word, round(w.start, 2)) for sp, ws in words.items() for w in ws if SPLIT.match(w.word)]
        split += len(splits)
        row = {"file": path.name, "seconds": round(took, 1), "cues": [(c.cue, round(c.t, 1)) for c in cues], "cue_why": [c.why for c in cues],
               "splits": splits}
        line = f"{path.name}: {took:.1f} s, cues {row['cues'] or 'none'}, split tokens {len(splits)}"
        ref_path = path.with_name(path.name.replace("_stereo.flac", ".transcript.json"))
        if path.name.startswith("hvb_") and ref_path.exists():
            segs = reference(ref_path)
            call = None
            if not args.no_offline and not all(f"{path.name}:{sd}" in cache for sd in ("rep", "prospect")):
                call = load_call(path)
            for side in ("rep", "prospect"):
                ref = " ".join(s["text"] for s in segs if s["side"] == side)
                hyp = " ".join(e.text for e in committed if e.speaker == side)
                pooled[side]["ref"].append(normalise(ref))
                pooled[side]["stream"].append(normalise(hyp))
                row[f"{side}_ref"], row[f"{side}_stream"] = pooled[side]["ref"][-1], pooled[side]["stream"][-1]
                if not args.no_offline:
                    key = f"{path.name}:{side}"
                    if key not in cache:
                        cache[key] = offline_text(engine, call.sides[side])
                        cache_dirty = True
                    pooled[side]["offline"].append(normalise(cache[key]))
                    row[f"{side}_offline"] = pooled[side]["offline"][-1]
            misses, quiet_words = [], []
            for s in segs:
                n = len(normalise(s["text"]).split())
                if 1 <= n <= SHORT_MAX_WORDS:
                    short_all += 1
                    ws = words.get(s["side"], [])
                    if any(w.end >= s["start"] - SHORT_WINDOW_S and w.start <= s["end"] + SHORT_WINDOW_S for w in ws):
                        short_hit += 1
                    else:
                        misses.append((s["side"], s["text"], round(s["start"], 1)))
            for side, ws in words.items():
                own = [s for s in segs if s["side"] == side and s["text"]]
                other = [s for s in segs if s["side"] != side and s["text"]]
                for w in ws:
                    near_own = any(w.end >= s["start"] - QUIET_MARGIN_S and w.start <= s["end"] + QUIET_MARGIN_S
                                   for s in own)
                    in_other = any(w.end >= s["start"] and w.start <= s["end"] for s in other)
                    if not near_own and in_other:
                        quiet_words.append((side, w.word, round(w.start, 1)))
            quiet += len(quiet_words)
            row.update(short_misses=misses, quiet_words=quiet_words)
            line += f", short-answer misses {len(misses)}, quiet-line words {len(quiet_words)}"
        print(line, flush=True)
        if args.show:
            for key in ("cue_why", "short_misses", "quiet_words", "splits"):
                if row.get(key):
                    print(f"    {key}: {row[key]}", flush=True)
        results.append(row)

    print(f"files {len(files)}, {time.perf_counter() - t_all:.0f} s in all")
    summary = {"mode": mode, "model": engine.label, "cues": cue_total, "split_tokens": split}
    if short_all:
        for side in ("rep", "prospect"):
            p = pooled[side]
            s_wer = jiwer.wer(p["ref"], p["stream"])
            text = f"WER {side}: streaming {s_wer:.1%}{kinds(p['ref'], p['stream'])}"
            summary[f"wer_{side}"] = round(s_wer, 4)
            if p["offline"]:
                o_wer = jiwer.wer(p["ref"], p["offline"])
                summary[f"wer_{side}_offline"] = round(o_wer, 4)
                text += (f", offline {o_wer:.1%}{kinds(p['ref'], p['offline'])}, "
                         f"ratio {s_wer / max(o_wer, 1e-9):.2f}x")
            print(text)
        print(f"short-answer recall {short_hit}/{short_all} = {short_hit / short_all:.1%}")
        print(f"quiet-line words {quiet}")
        summary.update(short_recall=[short_hit, short_all], quiet_words=quiet)
    print(f"split tokens {split}; cues {cue_total} over {len(files)} files")
    if args.offline_cache and cache_dirty:
        args.offline_cache.write_text(json.dumps(cache, indent=1))
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "files": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
