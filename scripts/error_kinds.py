"""What a labelled set's errors are made of, in counts only: safe to run on a held-out set.

A held-out set stays useful only while nobody reads its lines.  Its totals
(TP / FP / FN) say how much goes wrong; this says what kind of thing goes
wrong, without printing a word of the calls:

- a missed window where nothing fired, where the same cue fired outside it
  (early or late: its false cue is the pair), or where another cue fired
  inside it (the wrong play for the moment);
- a false cue inside another cue's window, or in no window at all;
- ``second no read as first``: a call whose first no was missed and whose
  plant_seed window got second_effort instead (issue-11ar in
  docs/benchmarks.md).

``--by-trigger`` adds to each false cue the trigger whose why line its card
carries (the why's template, matched without printing it), and counts the
hits by trigger too: which part of a rule fires on wording it was not
written for, and what it finds there.

Transcript mode, the shipped rules (or ``--rules``):

    PYTHONPATH=src python scripts/error_kinds.py tests/generalisation/J tests/generalisation/L
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from livecue.cues.rules import load_rule_dir  # noqa: E402
from livecue.cues.transcript import run_events  # noqa: E402
from livecue.events import Cue  # noqa: E402
from livecue.tuning.evaluate import EVENTS, CallResult, match_call  # noqa: E402
from livecue.tuning.labels import LabelledCall, find_calls  # noqa: E402


def why_triggers(load) -> list[tuple[str, re.Pattern]]:
    """(rule id.trigger name, the pattern of its why template) for every trigger whose card line it writes."""
    from livecue.cues.triggers import REGISTRY

    named: dict[tuple[str, str], list[str]] = {}  # (rule id, template) -> the triggers that write it
    for crule in load.ruleset.rules:
        for name, ct in crule.triggers.items():
            template = ct.trigger.why or crule.rule.card.why or REGISTRY[ct.trigger.kind].default_why
            if template:
                named.setdefault((crule.rule.id, template), []).append(name)
    out = [(f"{rule_id}.{'/'.join(names)}",
            re.compile("(?s)" + ".*".join(map(re.escape, re.split(r"\{[^}]*\}", template))) + "$"))
           for (rule_id, template), names in named.items()]
    # the most specific first: a longer fixed text is a surer match
    return sorted(out, key=lambda item: -len(item[1].pattern))


def via(whys: list[tuple[str, re.Pattern]], cue: str, why: str) -> str:
    return next((name.split(".", 1)[1] for name, pattern in whys
                 if name.startswith(cue + ".") and pattern.match(why)), "another")


def kinds(call: LabelledCall, fired: list[tuple[str, float]], result: CallResult,
          why: dict | None = None) -> Counter:
    """The kinds of one call's errors (``result``: ``match_call`` of ``fired`` against the call's windows;
    ``why``: (cue, t) -> the trigger its card names: each false cue then says it, and hits are counted by it)."""
    out: Counter = Counter()
    falses = result.false
    paired = set()
    for w in result.missed:
        same = [f for f in falses if f.cue == w.cue]
        inside = [cue for cue, t in fired if cue != w.cue and w.contains(t)]
        if same:
            nearest = min(same, key=lambda f: abs(f.t - w.anchor))
            paired.add(id(nearest))
            out[f"missed {w.cue}: the same cue fired {'late' if nearest.t > w.anchor else 'early'}"] += 1
        elif inside:
            out[f"missed {w.cue}: {inside[0]} fired in its window"] += 1
        else:
            out[f"missed {w.cue}: nothing fired in its window"] += 1
    for f in falses:
        by = f" (via {why.get((f.cue, f.t), 'another')})" if why is not None else ""
        if id(f) in paired:
            out[f"false {f.cue}: the pair of an early or late one{by}"] += 1
            continue
        around = [w.cue for w in call.expected if w.contains(f.t)]
        out[f"false {f.cue}: " + (f"in a {around[0]} window" if around else "in no window") + by] += 1
    if why is not None:  # and what each trigger gets right: its false cues weighed against its hits
        for f in result.hits:
            out[f"hit {f.cue} (via {why.get((f.cue, f.t), 'another')})"] += 1
    first_missed = any(w.cue == "second_effort" for w in result.missed)
    if first_missed and any(w.cue == "plant_seed" and any(cue == "second_effort" and w.contains(t) for cue, t in fired)
                            for w in result.missed):
        out["calls: second no read as first"] += 1
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("calls", nargs="+", help="labelled call files or folders")
    ap.add_argument("--rules", default=str(ROOT / "cue_rules"))
    ap.add_argument("--by-trigger", action="store_true", help="name the trigger behind each false cue, and count hits by trigger")
    args = ap.parse_args()
    load = load_rule_dir(Path(args.rules))
    whys = why_triggers(load) if args.by_trigger else None
    total: Counter = Counter()
    for call in find_calls([Path(p) for p in args.calls]):
        cues = [ev for ev in run_events(EVENTS.get(call), load, None, call.duration) if isinstance(ev, Cue)]
        fired = [(ev.cue, ev.t) for ev in cues]
        why = {(ev.cue, ev.t): via(whys, ev.cue, ev.why) for ev in cues} if whys is not None else None
        total += kinds(call, fired, match_call(call.path.name, fired, call.expected), why)
    for key, n in sorted(total.items()):
        print(f"{n:5d}  {key}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
