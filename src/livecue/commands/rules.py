"""``livecue rules check|test [DIR]``: validate the cue rules, run their examples;
``livecue rules rejudge LOG...``: the cards today's rules fire on logged sessions."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cues.rules import default_rule_dirs, describe_dirs, load_rule_dir
from ..cues.stage import left_out_files
from ..cues.transcript import check_example
from ..terminal_text import printable


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION")
    check = sub.add_parser("check", help="report every problem in the rule files (file:line)")
    check.add_argument("dir", nargs="?", type=Path, default=None, help="rules directory (default: the shipped rules, shadowed by the user rules directory)")
    test = sub.add_parser("test", help="run every rule's examples")
    test.add_argument("dir", nargs="?", type=Path, default=None, help="rules directory (default: the shipped rules, shadowed by the user rules directory)")
    test.add_argument("--verbose", "-v", action="store_true", help="list passing examples too")
    again = sub.add_parser("rejudge", help="judge logged sessions again with these rules: which cards change")
    again.add_argument("logs", nargs="+", type=Path, metavar="LOG", help="session logs (or --json captures)")
    again.add_argument("--rules", type=Path, default=None, help="rules directory (default: the shipped rules, shadowed by the user rules directory)")
    again.add_argument("--profile", type=Path, default=None, help="rep profile (default: none; the log does not keep the one used)")
    p.set_defaults(action=None)


def run(args: argparse.Namespace) -> int:
    if args.action is None:
        print("livecue rules: say 'check', 'test' or 'rejudge' (livecue rules check [DIR])", file=sys.stderr)
        return 2
    if args.action == "rejudge":
        return _rejudge(args)
    directory = Path(args.dir) if args.dir else default_rule_dirs()
    result = load_rule_dir(directory)
    for problem in result.problems:
        print(problem)
    if args.action == "check":
        n = len(result.ruleset.rules)
        if result.problems:
            out = [Path(f).stem for f in left_out_files(result)]
            left = f" (left out: {', '.join(out)})" if out else ""
            print(f"{len(result.problems)} problem(s); {n} rule(s) fine{left}", file=sys.stderr)
            return 1
        print(f"{describe_dirs(directory)}: {n} rules, no problems")
        return 0
    failures = 0
    total = 0
    for crule in sorted(result.ruleset.rules, key=lambda c: c.rule.file):
        for example in crule.rule.examples:
            total += 1
            message = check_example(result, crule.rule.id, example)
            where = f"{crule.rule.file}:{example.line}"
            if message is None:
                if args.verbose:
                    print(f"ok    {where}: {crule.rule.id}: {example.name}")
            else:
                failures += 1
                print(f"FAIL  {where}: {crule.rule.id}: {example.name}: {message}")
    print(f"{total - failures}/{total} examples pass" + (f", {len(result.problems)} file problem(s)" if result.problems else ""))
    return 1 if failures or result.problems else 0


def _rejudge(args: argparse.Namespace) -> int:
    from ..cues.profile import load_profile
    from ..session.reader import read_session
    from ..session.rejudge import rejudge

    directory = Path(args.rules) if args.rules else default_rule_dirs()
    result = load_rule_dir(directory)
    for problem in result.problems:
        print(problem, file=sys.stderr)
    profile = load_profile(args.profile) if args.profile else None
    changed = 0
    for path in args.logs:
        session = read_session(path)
        kept, gone, new = rejudge(session.events, result, profile).changes()
        changed += bool(gone or new)
        print(f"{path}: {len(kept) + len(gone)} card(s) logged, {len(kept) + len(new)} now"
              + ("" if gone or new else " (no change)"))
        for mark, cues in (("=", kept), ("-", gone), ("+", new)):
            for cue in sorted(cues, key=lambda c: c.t):
                print(printable(f"  {mark} {cue.t:7.1f} s  {cue.cue}: {cue.why}"))
    if len(args.logs) > 1:
        print(f"{changed} of {len(args.logs)} session(s) change")
    return 0
