"""``livecue eval PATH...``: score the cue rules on labelled calls.

Default: the full audio pipeline in fast mode on the live update schedule
(every 0.4 s grid point decoded on audio time, as a live call on a machine
that keeps up); ``--final-only`` decodes once per utterance, as ``replay
--fast`` does (quicker; its words can differ from a live call's).
``--transcript``: only the cue engine, on the reference utterances (fast
enough for thousands of calls; what ``tune`` optimises).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..cues.profile import load_profile
from ..cues.rules import default_rule_dirs, describe_dirs, load_rule_dir
from ..cues.transcript import CommitSchedule
from ..errors import LivecueError
from ..terminal_text import printable
from ..tuning.evaluate import (audio_cues_runner, evaluate, format_calls, format_table, stderr_progress,
                               transcript_runner)
from ..tuning.labels import CUES, find_calls
from .progress import EvalProgress, stderr_is_terminal

FAIL_UNDER_EXIT = 1  # scores below --fail-under (input errors are 2, model errors 3)

EPILOG = """examples:
  livecue eval ../shared/calls --transcript          score the rules on reference transcripts (fast)
  livecue eval calls/ -q --json scores.json          full audio pipeline, live schedule; scores also as JSON
  livecue eval calls/ --final-only                   audio, one decode per utterance (3-8x quicker)
  livecue eval calls/ --transcript --json - | jq .overall
  livecue eval calls/ --transcript --fail-under 0.9  exit 1 if precision or recall < 0.9

exit codes: 0 scored (and at or above --fail-under), 1 below --fail-under,
2 bad input (paths, labels, rules), 3 model problem
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.epilog = EPILOG
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="labelled calls (*.json) or directories of them")
    p.add_argument("--transcript", action="store_true",
                   help="run only the cue engine on the reference transcript (no audio, no model)")
    p.add_argument("--streamed", action="store_true",
                   help="with --transcript: commit each utterance's words as a live recogniser does (every 0.4 s, those "
                        "that ended 0.9 s before), not all at its end")
    p.add_argument("--paced", action="store_true", help="audio mode: replay in real time (slow; latency as live)")
    schedule = p.add_mutually_exclusive_group()
    schedule.add_argument("--final-only", action="store_true",
                          help="audio mode, fast: decode once per utterance, at its end, as replay --fast (3-8x "
                               "quicker; its words and cues can differ from a live call's)")
    schedule.add_argument("--live-schedule", action="store_true",
                          help="audio mode, fast: decode every 0.4 s grid point as a live call on a machine that "
                               "keeps up (the default)")
    p.add_argument("--rules", type=Path, default=None, help="cue rules directory (default: the shipped rules, shadowed by the user rules directory)")
    p.add_argument("--profile", type=Path, default=None, help="rep profile TOML for the card texts")
    p.add_argument("--json", dest="json_out", type=Path, default=None, metavar="OUT",
                   help="write the scores as JSON to OUT; - writes them to stdout (the table goes to stderr)")
    p.add_argument("--fail-under", type=float, default=None, metavar="P",
                   help=f"exit {FAIL_UNDER_EXIT} when overall precision or recall is below P (0..1): a CI gate")
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
    location = Path(directory) if directory else default_rule_dirs()
    result = load_rule_dir(location)
    if result.problems:
        for problem in result.problems:
            print(problem, file=sys.stderr)
        raise LivecueError(f"{describe_dirs(location)}: {len(result.problems)} problem(s) in the cue rules "
                           "(see livecue rules check)")
    return result


def run(args: argparse.Namespace) -> int:
    if args.fail_under is not None and not 0.0 <= args.fail_under <= 1.0:
        raise LivecueError(f"--fail-under takes a fraction from 0 to 1 (got {args.fail_under:g})")
    to_stdout = args.json_out is not None and str(args.json_out) == "-"
    out = sys.stderr if to_stdout else sys.stdout  # the JSON owns stdout when it goes there
    if args.paced and (args.final_only or args.live_schedule):
        raise LivecueError("--final-only and --live-schedule choose the schedule of a fast run; "
                           "--paced always runs the live schedule, in real time")
    if args.transcript and (args.paced or args.final_only or args.live_schedule):
        raise LivecueError("--paced, --final-only and --live-schedule choose how the audio is decoded: "
                           "--transcript runs no audio (--streamed feeds its words as a live call commits them)")
    if args.streamed and not args.transcript:
        raise LivecueError("--streamed is a way of feeding the reference transcript: it needs --transcript")
    load = load_rules_strict(args.rules)
    profile = load_profile(args.profile)
    calls = find_calls(args.paths)
    bar = None
    if args.transcript:
        runner = transcript_runner(calls, load, profile, streamed=CommitSchedule() if args.streamed else None)
        every = max(1, len(calls) // 50)
        progress = None if args.quiet or len(calls) < 200 else stderr_progress(every)
        mode = "transcript, streamed" if args.streamed else "transcript"
    else:
        from .common import settings_from_args

        runner = audio_cues_runner(load, profile, settings_from_args(args), paced=args.paced,
                                   final_only=args.final_only)
        progress = None if args.quiet else stderr_progress()
        if progress is not None and stderr_is_terminal():
            bar = progress = EvalProgress(len(calls))
        mode = "paced" if args.paced else ("fast, final decodes only" if args.final_only else "fast, live schedule")
    try:
        report = evaluate(calls, runner, cue_ids=[c for c in CUES if c in load.ruleset.ids] or load.ruleset.ids,
                          progress=progress, mode=mode)
    finally:
        if bar is not None:
            bar.close()
    print(format_table(report), file=out)
    print(file=out)
    print(printable(format_calls(report, verbose=args.verbose)), file=out)  # call titles and paths from outside
    rate = len(calls) / report.seconds * 60 if report.seconds > 0 else float("inf")
    print(f"\n{len(calls)} calls, {mode} mode, {report.seconds:.1f} s ({rate:,.0f} calls/minute)", file=out)
    if args.json_out is not None:
        text = json.dumps(report.as_json(), indent=1) + "\n"
        if to_stdout:
            sys.stdout.write(text)
            sys.stdout.flush()
        else:
            from ..private_files import head, write_private_text

            write_private_text(args.json_out, text, "the evaluation JSON",
                               lambda p: not head(p).strip() or head(p).startswith(b'{\n "overall": '))
    return fail_under(report, args.fail_under)


def fail_under(report, threshold: float | None) -> int:
    """``--fail-under P``: exit non-zero when overall precision or recall is below P."""
    if threshold is None:
        return 0
    o = report.overall
    low = [f"{name} {value:.3f}" for name, value in (("precision", o.precision), ("recall", o.recall))
           if value < threshold]
    if low:
        print(f"livecue eval: {' and '.join(low)} below --fail-under {threshold:g}", file=sys.stderr)
        return FAIL_UNDER_EXIT
    return 0
