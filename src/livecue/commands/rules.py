"""``livecue rules check|test [DIR]``: validate the cue rules, run their examples."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cues.rules import default_rule_dirs, describe_dirs, load_rule_dir
from ..cues.transcript import check_example


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION")
    check = sub.add_parser("check", help="report every problem in the rule files (file:line)")
    check.add_argument("dir", nargs="?", type=Path, default=None, help="rules directory (default: the shipped rules, shadowed by the user rules directory)")
    test = sub.add_parser("test", help="run every rule's examples")
    test.add_argument("dir", nargs="?", type=Path, default=None, help="rules directory (default: the shipped rules, shadowed by the user rules directory)")
    test.add_argument("--verbose", "-v", action="store_true", help="list passing examples too")
    p.set_defaults(action=None)


def run(args: argparse.Namespace) -> int:
    if args.action is None:
        print("livecue rules: say 'check' or 'test' (livecue rules check [DIR])", file=sys.stderr)
        return 2
    directory = Path(args.dir) if args.dir else default_rule_dirs()
    result = load_rule_dir(directory)
    for problem in result.problems:
        print(problem)
    if args.action == "check":
        n = len(result.ruleset.rules)
        if result.problems:
            print(f"{len(result.problems)} problem(s); {n} rule(s) fine", file=sys.stderr)
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
