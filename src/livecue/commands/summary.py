"""``livecue summary``: the library summary (HTML, Markdown, CSV) from existing session logs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import LivecueError
from ..private_files import private_dirs


EXAMPLES = """examples:
  livecue summary ~/.local/share/livecue/sessions --out review/
  livecue summary review/logs/*.jsonl --out review/

exit codes: 0 done, 1 some logs could not be read (listed, and in summary.csv), 2 bad option
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.epilog, p.formatter_class = EXAMPLES, argparse.RawDescriptionHelpFormatter
    p.add_argument("logs", nargs="+", type=Path, metavar="LOG",
                   help="session logs (.jsonl), or folders of them (searched recursively)")
    p.add_argument("--out", type=Path, default=Path("."), metavar="DIR",
                   help="where summary.html, summary.md and summary.csv go (default: here)")


def _logs(items: list[Path]) -> list[Path]:
    out: list[Path] = []
    for item in items:
        if item.is_dir():
            found = sorted(item.rglob("*.jsonl"))
            if not found:
                raise LivecueError(f"{item}: no session logs (.jsonl) in this folder")
            out.extend(found)
        else:
            out.append(item)
    return out


def run(args: argparse.Namespace) -> int:
    from ..library.summary import rows_from_logs, write_summary

    if args.out.exists() and not args.out.is_dir():
        raise LivecueError(f"{args.out}: exists and is not a directory")
    private_dirs(args.out)
    jobs = []
    for log in _logs(list(args.logs)):
        # beside the log (``livecue report``'s suggestion), or a batch's DIR/reports/
        found = [r for r in (log.with_suffix(".html"), log.parent.parent / "reports" / (log.stem + ".html"))
                 if r.is_file()]
        jobs.append((log, found[0] if found else None, None))
    rows = rows_from_logs(jobs)
    files = write_summary(rows, args.out)
    failed = sum(not r.ok for r in rows)
    print(f"livecue: {len(rows)} logs summarised, {failed} unreadable; {files[-1]}", file=sys.stderr)
    for r in rows:
        if not r.ok:
            print(f"livecue: {r.status.removeprefix('failed: ')}", file=sys.stderr)
    return 1 if failed else 0
