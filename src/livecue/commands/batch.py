"""``livecue batch``: coach a whole call library, in parallel here or on a Ray cluster."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import LivecueError
from . import common


EXAMPLES = """examples:
  livecue batch calls/ --out review/                    every audio file under calls/ (sub-folders name the rep)
  livecue batch week.csv --out review/ --reports        a manifest: path, rep, date, rep_channel, prospect_channel,
                                                        rep_file + prospect_file, tags
  livecue batch calls/ --out review/ --workers 4 --threads 1
  livecue batch /shared/calls --out review/ --ray auto  on the Ray cluster this machine belongs to
  (run it again: finished calls are skipped, failed ones retried)

exit codes: 0 every call coached, 1 some calls failed (listed, and in summary.csv), 2 bad option or input,
3 model problem, 130 interrupted (finished calls are kept)
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.epilog, p.formatter_class = EXAMPLES, argparse.RawDescriptionHelpFormatter
    p.add_argument("inputs", nargs="+", type=Path, metavar="INPUT",
                   help="audio files, folders (searched recursively for audio), or manifests (.csv, .jsonl)")
    p.add_argument("--out", type=Path, required=True, metavar="DIR",
                   help="output directory: logs/, reports/, summary.html, summary.md, summary.csv")
    p.add_argument("--reports", action="store_true", help="also write each call's HTML report under DIR/reports")
    p.add_argument("--workers", type=int, default=None,
                   help="parallel workers, each holding a loaded model (default: cores / --threads)")
    p.add_argument("--ray", metavar="ADDRESS", default=None,
                   help="run on a Ray cluster (ADDRESS or 'auto'; needs pip install 'livecue[ray]')")
    p.add_argument("--no-progress", action="store_true", help="no progress bar: one line per call")
    common.add_model_arguments(p)
    cues = p.add_argument_group("cues")
    cues.add_argument("--rules", type=Path, default=None, help="cue rules directory (default: the shipped cue_rules)")
    cues.add_argument("--profile", type=Path, default=None, help="rep profile TOML (hot buttons, benefit)")
    cues.add_argument("--no-cues", action="store_true", help="transcribe only")
    p.add_argument("--vocab", default=None, help='comma-separated names to bias towards, e.g. "Acme, Northwind"')


def _check(args: argparse.Namespace) -> None:
    if args.workers is not None and args.workers < 1:
        raise LivecueError("--workers must be 1 or more")
    common.check_threads(args.threads)
    if args.rules is not None and not args.rules.is_dir():
        raise LivecueError(f"{args.rules}: no such rules directory")
    if args.profile is not None:
        from ..cues.profile import load_profile

        load_profile(args.profile)  # a bad profile is one line now, not one failure per call
    if args.out.exists() and not args.out.is_dir():
        raise LivecueError(f"{args.out}: exists and is not a directory")


def run(args: argparse.Namespace) -> int:
    from ..asr.whisper import resolve_model
    from ..library.inputs import expand_inputs
    from ..library.runner import run_batch

    _check(args)
    if args.ray:
        from ..library.ray_cluster import _ray

        _ray()  # the install hint before any work
    settings = common.settings_from_args(args)
    model = resolve_model(settings.asr.model)
    calls = expand_inputs(list(args.inputs))
    if not calls:
        raise LivecueError("no calls to coach")
    outcome = run_batch(calls, args.out, common.cue_options(args), settings, model_path=model.path,
                        model_arg=args.model or "", workers=args.workers,
                        threads=args.threads or None, reports=args.reports, ray_address=args.ray,
                        progress=not args.no_progress)
    rate = f"; {outcome.audio_s / outcome.wall_s:.1f} audio h/h" if outcome.audio_s and outcome.wall_s else ""
    print(f"livecue: {len(outcome.rows)} calls: {outcome.coached} coached, {outcome.skipped} already done, "
          f"{outcome.failed} failed{rate}", file=sys.stderr)
    for row in outcome.rows:
        if not row.ok:
            reason = row.status.removeprefix("failed: ")
            print(f"livecue: failed: {reason if reason.startswith(row.source) else f'{row.source}: {reason}'}",
                  file=sys.stderr)
    print(f"livecue: summary: {outcome.summary_files[-1]}", file=sys.stderr)
    return 1 if outcome.failed else 0
