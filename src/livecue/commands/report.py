"""``livecue report``: a coach's report and transcript exports from a session log."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..errors import LivecueError

FORMATS = ("html", "md", "txt", "srt", "vtt", "json")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("session", type=Path, nargs="?", default=None,
                   help="session log (.jsonl); default: the newest in the sessions directory")
    out = p.add_argument_group("outputs (none: Markdown report on stdout; '-' for stdout)")
    out.add_argument("--html", metavar="OUT", help="self-contained HTML report")
    out.add_argument("--md", metavar="OUT", help="Markdown report")
    out.add_argument("--txt", metavar="OUT", help="plain-text transcript with speaker labels")
    out.add_argument("--srt", metavar="OUT", help="SRT subtitles with speaker labels")
    out.add_argument("--vtt", metavar="OUT", help="WebVTT subtitles with speaker voices")
    out.add_argument("--json", metavar="OUT", help="transcript and cues as JSON (labelled-call utterances)")
    p.add_argument("--dir", type=Path, default=None, help="sessions directory for the default log")


def _newest(directory: Path) -> Path:
    logs = sorted(directory.glob("*.jsonl")) if directory.is_dir() else []
    if not logs:
        raise LivecueError(f"no session logs in {directory}; give a SESSION.jsonl")
    return logs[-1]


def write_private(path: Path, text: str) -> None:
    """Write an output that holds the conversation: new files get mode 0600."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as exc:
        raise LivecueError(f"cannot write {path}: {exc.strerror or exc}") from None


def run(args: argparse.Namespace) -> int:
    from ..session.exports import EXPORTS
    from ..session.log import default_sessions_dir, read_session
    from ..session.report import to_html, to_markdown
    from ..session.summary import summarise

    path = args.session or _newest(args.dir or default_sessions_dir())
    data = read_session(path)
    for notice in data.notices:
        print(f"livecue: note: {notice}", file=sys.stderr)
    summary = summarise(data)
    render = {"html": to_html, "md": to_markdown, **EXPORTS}
    wanted = {fmt: getattr(args, fmt) for fmt in FORMATS if getattr(args, fmt)}
    if not wanted:
        wanted = {"md": "-"}
    for fmt, out in wanted.items():
        text = render[fmt](summary)
        if out == "-":
            sys.stdout.write(text)
            sys.stdout.flush()
        else:
            write_private(Path(out), text)
            print(f"livecue: wrote {out}", file=sys.stderr)
    return 0
