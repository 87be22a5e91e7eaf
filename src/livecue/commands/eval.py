"""``livecue eval PATH...``: score the cue rules on labelled calls.

Default: the full audio pipeline in fast mode (what a replay would show).
``--transcript``: only the cue engine, on the reference utterances (fast
enough for thousands of calls; what ``tune`` optimises).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..cues.profile import load_profile
from ..cues.rules import load_rule_dir, shipped_rules_dir
from ..errors import LivecueError
from ..tuning.evaluate import (audio_cues_runner, evaluate, format_calls, format_table, stderr_progress,
                               transcript_cues)
from ..tuning.labels import CUES, find_calls


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="labelled calls (*.json) or directories of them")
    p.add_argument("--transcript", action="store_true",
                   help="run only the cue engine on the reference transcript (no audio, no model)")
    p.add_argument("--paced", action="store_true", help="audio mode: replay in real time (slow; latency as live)")
    p.add_argument("--rules", type=Path, default=None, help="cue rules directory (default: the shipped cue_rules)")
    p.add_argument("--profile", type=Path, default=None, help="rep profile TOML for the card texts")
    p.add_argument("--json", dest="json_out", type=Path, default=None, metavar="OUT", help="write the scores as JSON")
    p.add_argument("--verbose", "-v", action="store_true", help="list every call's cues, not only the mistakes")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    g = p.add_argument_group("model (audio mode)")
    g.add_argument("--model", default=None, help="model directory or name (default: the bundled tiny.en)")
    g.add_argument("--device", choices=["cpu", "cuda", "auto"], default=None)
    g.add_argument("--compute-type", default=None)
    g.add_argument("--threads", type=int, default=None)
    g.add_argument("--config", type=Path, default=None, help="settings file (TOML)")


def load_rules_strict(directory: Path | None):
    """Rules for an evaluation: any problem is an error (scores of half a rule set mislead)."""
    directory = directory or shipped_rules_dir()
    result = load_rule_dir(Path(directory))
    if result.problems:
        for problem in result.problems:
            print(problem, file=sys.stderr)
        raise LivecueError(f"{directory}: {len(result.problems)} problem(s) in the cue rules (see livecue rules check)")
    return result


def run(args: argparse.Namespace) -> int:
    load = load_rules_strict(args.rules)
    profile = load_profile(args.profile)
    calls = find_calls(args.paths)
    if args.transcript:
        runner = lambda call: transcript_cues(call, load, profile)  # noqa: E731
        every = max(1, len(calls) // 50)
        progress = None if args.quiet or len(calls) < 200 else stderr_progress(every)
        mode = "transcript"
    else:
        from .common import settings_from_args

        runner = audio_cues_runner(load, profile, settings_from_args(args), paced=args.paced)
        progress = None if args.quiet else stderr_progress()
        mode = "paced" if args.paced else "fast"
    report = evaluate(calls, runner, cue_ids=[c for c in CUES if c in load.ruleset.ids] or load.ruleset.ids,
                      progress=progress, mode=mode)
    print(format_table(report))
    print()
    print(format_calls(report, verbose=args.verbose))
    rate = len(calls) / report.seconds * 60 if report.seconds > 0 else float("inf")
    print(f"\n{len(calls)} calls, {mode} mode, {report.seconds:.1f} s ({rate:,.0f} calls/minute)")
    if args.json_out is not None:
        from ..private_files import head, write_private_text

        write_private_text(args.json_out, json.dumps(report.as_json(), indent=1) + "\n", "the evaluation JSON",
                           lambda p: not head(p).strip() or head(p).startswith(b'{\n "overall": '))
    return 0
