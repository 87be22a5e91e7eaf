"""``livecue sessions``: past session logs, oldest first (the newest sits by the prompt)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import LivecueError
from ..terminal_text import printable


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dir", type=Path, default=None,
                   help="sessions directory (default: livecue's user data directory)")


def run(args: argparse.Namespace) -> int:
    from ..session.summary import clock
    from ..session.log import default_sessions_dir, list_sessions

    directory = args.dir or default_sessions_dir()
    if args.dir is not None and not directory.is_dir():
        raise LivecueError(f"{directory}: no such directory")
    rows = list_sessions(directory)
    if not rows:
        print(f"no sessions in {directory}")
        return 0
    table = [("DATE", "SOURCE", "LENGTH", "CUES", "LOG")]
    for s in rows:
        length = clock(s.duration) + ("" if s.complete else " (cut)")
        table.append((printable(s.date), printable(s.source) or "-", length, str(s.cues), printable(s.path.name)))
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]) - 1)]
    for r in table:
        print("  ".join(f"{cell:<{w}}" for cell, w in zip(r, widths)) + "  " + r[-1])
    print(f"({len(rows)} in {directory}; `livecue report LOG --html OUT` makes a report)")
    return 0
