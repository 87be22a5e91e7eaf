"""How the cue rules do on wording they were not written for: every labelled set, one table.

The sets (``tests/generalisation/README.md`` says who wrote them and how):

- ``calls-text tune`` / ``calls-text check``: ../shared/calls-text split by
  the SHA-1 of the file name (odd = check), when ../shared is there;
- ``A``, ``C``, ``E``, ``G``, ``I``, ``K``, ``M``, ``Q``, ``S``, ``U``, ``W``, ``X``, ``Z``, ``AA``,
  ``AC``, ``AE``, ``AG``, ``AI``, ``AK``, ``AM``, ``AO`` (tuned on) and ``B``, ``D``, ``F``, ``H``, ``J``, ``L``, ``N``, ``O``, ``P``, ``R``, ``T``,
  ``Y``, ``V``, ``AB``, ``AD``, ``AF``, ``AH``, ``AJ``, ``AL``, ``AN``, ``AP`` (scored only): labelled text calls written for this project in
  wording independent of the rules;
- ``vA`` / ``vB``: A and B voiced with espeak-ng and transcribed by tiny.en,
  the recogniser's text as calls (what ``eval --final-only`` reads);
- ``bank train`` / ``bank check``: single labelled utterances (train: the
  shipped ``cue_rules/utterances.tsv``, 6,948, which the intents learn from;
  check: 479), each run as a short scripted call after an opener, a pitch, a
  second effort, a question or (for the rep's sign-offs and neutral lines) a
  close; counted as cues the same way.

Transcript mode only (no audio, no model but the intent embeddings).

    python scripts/bench_generalisation.py [--rules DIR] [--per-cue] [--json OUT]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

from cue_events import cue_names  # noqa: E402
from livecue.cues.rules import load_rule_dir  # noqa: E402

GEN = ROOT / "tests" / "generalisation"
CALLS_TEXT = ROOT.parent / "shared" / "calls-text"

# the bank's short calls: what the other side said just before the labelled utterance
OPEN = "Hi, this is Sam with Northfield, we help businesses like yours cut the time spent on admin. Have you got a minute?"
PITCH = ("So what we do is pull your bookings, invoices and reminders into one place, so nobody retypes anything, "
         "and most teams your size get back about five hours a week. What do you think?")
FIRST_NO = "We're all set for that, thanks."
SECOND = "Totally fair. Out of curiosity, when something slips through the cracks today, who ends up fixing it?"
QUESTION = "How are you handling that at the moment?"
CONTEXT = {
    "opener": ([("rep", OPEN)], set()),
    "pitch": ([("rep", OPEN), ("prospect", "Sure, go ahead."), ("rep", PITCH)], set()),
    "second": ([("rep", OPEN), ("prospect", FIRST_NO), ("rep", SECOND)], {"second_effort"}),
    "question": ([("rep", OPEN), ("prospect", "Sure."), ("rep", QUESTION)], set()),
    "close": ([("rep", OPEN), ("prospect", "Sure, go ahead."), ("rep", PITCH),
               ("prospect", "Yeah, that could actually work for us.")], set()),
}
EXPECT = {"brush_off": "second_effort", "repeat_no": "plant_seed", "exit": "plant_seed",
          "deferral": "decision_maker", "lukewarm": "reset", "throwaway": "weak_ending",
          "engaged": None, "concrete_close": None}


def bank_scores(load, path: Path, mistakes: list | None = None) -> dict:
    """Cue counts over a bank file: the expected cue is a hit, any other new cue a false one.
    ``mistakes``, when given, gets (label, context, text, expected cue, cues fired) for each row
    that missed its cue or fired another."""
    tp, fp, fn = Counter(), Counter(), Counter()
    for raw in path.read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        label, ctx, text = raw.split("\t")
        before, base = CONTEXT[ctx]
        lines, t = [], 0.5
        for who, said in before + [("rep" if ctx == "close" else "prospect", text)]:
            d = max(1.0, len(said.split()) * 0.33)  # about three words a second
            lines.append((who, t, t + d, said))
            t += d + 0.8
        got = set(cue_names(load, lines, t + 15)) - base
        want = EXPECT[label]
        for cue in got:
            (tp if cue == want else fp)[cue] += 1
        if want and want not in got:
            fn[want] += 1
        if mistakes is not None and ((want and want not in got) or got - {want}):
            mistakes.append((label, ctx, text, want, sorted(got)))
    return _table(tp, fp, fn)


def _table(tp: Counter, fp: Counter, fn: Counter) -> dict:
    def one(t, f, n):
        return {"tp": t, "fp": f, "fn": n, "precision": t / (t + f) if t + f else 1.0,
                "recall": t / (t + n) if t + n else 1.0}
    cues = {c: one(tp[c], fp[c], fn[c]) for c in sorted(set(tp) | set(fp) | set(fn))}
    return {"overall": one(sum(tp.values()), sum(fp.values()), sum(fn.values())), "cues": cues}


def call_scores(rules: Path | None, paths: list[Path]) -> dict:
    from livecue.cli import main
    import contextlib
    import io

    out = Path(tempfile.mkdtemp()) / "scores.json"
    args = ["eval", "--transcript", "--quiet", "--json", str(out)] + (["--rules", str(rules)] if rules else [])
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        try:
            main(args + [str(p) for p in paths])
        except SystemExit:
            pass
    found = json.loads(out.read_text())
    shutil.rmtree(out.parent, ignore_errors=True)
    return found


def calls_text_halves() -> tuple[list[Path], list[Path]]:
    files = sorted(CALLS_TEXT.glob("*.json"))
    odd = [f for f in files if int(hashlib.sha1(f.name.encode()).hexdigest(), 16) % 2]
    return [f for f in files if f not in odd], odd


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=Path, default=None, help="rules directory (default: the shipped rules)")
    parser.add_argument("--per-cue", action="store_true", help="also a line per cue")
    parser.add_argument("--json", type=Path, help="write every set's scores as JSON here")
    args = parser.parse_args()
    load = load_rule_dir(args.rules or ROOT / "cue_rules")
    if load.problems:
        print(f"the rules have problems: {load.problems[0]}", file=sys.stderr)
        return 1
    sets: list[tuple[str, str, object]] = []
    if CALLS_TEXT.is_dir():
        tune, check = calls_text_halves()
        sets += [("calls-text tune", "tuned", tune), ("calls-text check", "check", check)]
    for name, role in (("A", "tuned"), ("C", "tuned"), ("E", "tuned"), ("G", "tuned"), ("I", "tuned"), ("K", "tuned"), ("M", "tuned"), ("Q", "tuned"), ("S", "tuned"), ("U", "tuned"), ("W", "tuned"), ("X", "tuned"), ("Z", "tuned"),
                       ("AA", "tuned"), ("AC", "tuned"), ("AE", "tuned"), ("AG", "tuned"), ("AI", "tuned"), ("AK", "tuned"), ("AM", "tuned"), ("AO", "tuned"), ("vA", "tuned"),
                       ("B", "check"), ("D", "check"), ("F", "check"), ("H", "check"), ("J", "check"), ("L", "check"), ("N", "check"), ("O", "check"), ("P", "check"), ("R", "check"), ("T", "check"),
                       ("Y", "check"), ("V", "check"), ("AB", "check"), ("AD", "check"), ("AF", "check"), ("AH", "check"), ("AJ", "check"), ("AL", "check"), ("AN", "check"), ("AP", "check"), ("vB", "check")):
        sets.append((name, role, [GEN / name]))
    sets += [("bank train", "tuned", ROOT / "cue_rules" / "utterances.tsv"), ("bank check", "check", GEN / "bank" / "check.tsv")]
    results = {}
    print(f"{'set':18s} {'role':6s} {'TP':>4s} {'FP':>4s} {'FN':>4s}  {'P':>5s} {'R':>5s}")
    for name, role, what in sets:
        scores = bank_scores(load, what) if isinstance(what, Path) else call_scores(args.rules, what)
        results[name] = scores
        o = scores["overall"]
        print(f"{name:18s} {role:6s} {o['tp']:4d} {o['fp']:4d} {o['fn']:4d}  {o['precision']:5.2f} {o['recall']:5.2f}")
        if args.per_cue:
            for cue, c in scores["cues"].items():
                print(f"    {cue:16s}        {c['tp']:4d} {c['fp']:4d} {c['fn']:4d}  {c['precision']:5.2f} {c['recall']:5.2f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
