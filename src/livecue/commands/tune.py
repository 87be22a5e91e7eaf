"""``livecue tune PATH... --set RULE.KEY=V1,V2``: sweep rule parameters.

Runs the cue engine on the reference transcripts of labelled calls (and on
session logs with the rep's helpful/wrong marks, ``--feedback``) for every
combination of the given values, and reports the best F1 per cue, the best
setting overall and the calls it changes.  ``--write`` puts the best overall
setting into the rule files.  ``--streamed`` feeds the calls' words as a live
call commits them (``eval --transcript --streamed``): what a rule that acts
on a turn's first words (``fire = "match"``) costs shows only then.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from ..cues.profile import load_profile
from ..cues.rules import user_rules_dir
from ..cues.transcript import CommitSchedule
from ..errors import LivecueError
from ..private_files import private_dirs
from ..tuning.labels import CUES, find_calls
from ..tuning.sweep import (Param, best_for, best_overall, call_case, changed_calls, feedback_case, parse_set,
                            rule_file_of, sweep, write_params, format_value)
from .eval import load_rules_strict


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="labelled calls (*.json) or directories of them")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="RULE.KEY=V1,V2",
                   help="values to try, e.g. reset.min_streak=2,3,4 (repeat for a grid)")
    p.add_argument("--streamed", action="store_true",
                   help="commit each utterance's words as a live recogniser does (every 0.4 s, those that ended "
                        "0.9 s before), not all at its end, as eval --transcript --streamed")
    p.add_argument("--feedback", nargs="+", type=Path, default=[], metavar="SESSION",
                   help="session logs whose helpful/wrong marks count as labels")
    p.add_argument("--write", action="store_true",
                   help="write the best overall setting into the rule files (without --rules: copies in the "
                        "user rules directory, which shadow the shipped ones)")
    p.add_argument("--rules", type=Path, default=None,
                   help="cue rules directory (default: the shipped rules, shadowed by the user rules directory)")
    p.add_argument("--profile", type=Path, default=None, help="rep profile TOML")
    p.add_argument("--top", type=int, default=10, help="how many settings to list (default 10)")


def user_copy(rule_file: Path) -> Path:
    """Where ``--write`` without ``--rules`` writes: the user rules directory, which
    shadows the shipped file of the same name (never the installed package)."""
    target = user_rules_dir() / rule_file.name
    if rule_file.resolve() != target.resolve():
        try:
            private_dirs(target.parent)
            shutil.copyfile(rule_file, target)
        except OSError as exc:
            raise LivecueError(f"{target}: cannot write: {exc.strerror or exc}") from None
    return target


def run(args: argparse.Namespace) -> int:
    if args.top < 1:
        raise LivecueError(f"--top must be at least 1 (got {args.top})")
    if not args.sets:
        raise LivecueError("say what to sweep, e.g. --set reset.min_streak=2,3,4")
    if not args.paths and not args.feedback:
        raise LivecueError("give labelled calls (PATH...) or --feedback SESSION...")
    if args.streamed and not args.paths:
        raise LivecueError("--streamed feeds labelled calls' reference words: give labelled calls (PATH...); "
                           "a session log's words came as its call committed them")
    load = load_rules_strict(args.rules)
    ruleset = load.ruleset
    params: list[Param] = [parse_set(spec, ruleset) for spec in args.sets]
    names = [p.name for p in params]
    if len(set(names)) != len(names):
        raise LivecueError("the same setting is given twice in --set")
    profile = load_profile(args.profile)
    schedule = CommitSchedule() if args.streamed else None
    cases = [call_case(c, schedule) for c in find_calls(args.paths)] if args.paths else []
    for session in args.feedback:
        case, counts = feedback_case(session)
        cases.append(case)
        print(f"{session}: {counts['helpful']} helpful, {counts['wrong']} wrong, "
              f"{counts['unmarked']} unmarked cues", file=sys.stderr)
        for notice in counts["notices"]:
            print(f"{session}: {notice}", file=sys.stderr)
    cue_ids = [c for c in CUES if c in ruleset.ids] or ruleset.ids
    total = 1
    for p in params:
        total *= len(p.values)
    tty = sys.stderr.isatty()

    def progress(done: int, n: int) -> None:
        if tty and (done % max(1, n // 100) == 0 or done == n):
            sys.stderr.write(f"\r{done}/{n} settings" + ("\n" if done == n else ""))
            sys.stderr.flush()

    baseline, points = sweep(cases, ruleset, params, profile, cue_ids, progress)
    print(f"{total} setting(s) x {len(cases)} call(s)" + (", the calls' words streamed" if args.streamed else ""))
    print()
    ranked = sorted(points, key=lambda p: (-round(p.overall.f1, 9), p.changes))
    width = max(len(p.label()) for p in ranked[: args.top]) if ranked else 10
    print(f"{'setting':<{width}}  {'F1':>5} {'P':>5} {'R':>5}  TP FP FN")
    for point in ranked[: args.top]:
        o = point.overall
        mark = "  (current)" if point.changes == 0 else ""
        print(f"{point.label():<{width}}  {o.f1:5.3f} {o.precision:5.2f} {o.recall:5.2f}  "
              f"{o.tp:>2} {o.fp:>2} {o.fn:>2}{mark}")
    print()
    print("best F1 per cue:")
    for cue in cue_ids:
        point = best_for(points, cue)
        s, b = point.cues.get(cue), baseline.cues.get(cue)
        if s is None or b is None:
            continue
        print(f"  {cue:<15} F1 {s.f1:.3f} (now {b.f1:.3f}) with {point.label()}")
    best = best_overall(points)
    print()
    if best.changes == 0 or best.overall.f1 <= baseline.overall.f1 + 1e-9:
        print(f"best overall: the current setting (F1 {baseline.overall.f1:.3f}); nothing to change")
        if args.write:
            print("nothing written")
        return 0
    print(f"best overall: {best.label()} (F1 {best.overall.f1:.3f}, now {baseline.overall.f1:.3f})")
    changed = changed_calls(baseline, best)
    print("calls that change:" if changed else "no call changes")
    for line in changed:
        print("  " + line)
    if args.write:
        by_file: dict[Path, list] = {}
        for param, value in best.values.items():
            if value != baseline.values[param]:
                by_file.setdefault(rule_file_of(ruleset, param.rule), []).append((param, value))
        for path, values in by_file.items():
            if args.rules is None:
                path = user_copy(path)
            write_params(path, values)
            print(f"wrote {path}: " + ", ".join(f"{p.key}={format_value(v)}" for p, v in values))
    return 0
