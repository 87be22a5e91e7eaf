"""``livecue report``: a coach's report and transcript exports from a session log."""

from __future__ import annotations

import argparse
import os
import re
import sys
from functools import partial
from pathlib import Path

from ..errors import LivecueError
from ..terminal_text import printable

FORMATS = ("html", "md", "txt", "srt", "vtt", "json")
TEXT_FORMATS = ("md", "txt", "srt", "vtt")  # HTML escapes, JSON escapes; these carry the call's text as it is


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
    p.add_argument("--force", action="store_true",
                   help="overwrite an existing output file livecue did not write (never through a symlink)")


def _newest(directory: Path) -> Path:
    """The newest log by name (names start with the date); entries that are not readable files,
    such as a directory or a link that loops, are passed over rather than stopping the report."""
    logs = sorted(p for p in directory.glob("*.jsonl") if p.is_file()) if directory.is_dir() else []
    if not logs:
        raise LivecueError(f"no session logs in {directory}; give a SESSION.jsonl")
    return logs[-1]


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # either missing or unreadable: not the same file as far as writing goes
        return False


_NAME = rb"(Rep|Prospect|Call)"
_OURS = {  # what each output livecue writes looks like at its start: only such a file is replaced
    "html": lambda h: b'<meta name="generator" content="livecue' in h,
    "md": lambda h: h.startswith(b"# Call report: "),
    "txt": lambda h: h.startswith(b"# ") and all(
        re.match(rb"\[(\d+:)?\d\d:\d\d\] " + _NAME + b":", line) for line in h.split(b"\n")[2:-1] if line),
    "srt": lambda h: re.match(rb"1\n\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}\n" + _NAME + b": ", h) is not None,
    "vtt": lambda h: h.startswith(b"WEBVTT\n") and (h.strip() == b"WEBVTT" or b"\n<v " in h),
    "json": lambda h: h.startswith(b'{\n "version": 1,\n "source": '),
}
NOUNS = {"html": "HTML report", "md": "Markdown report", "txt": "transcript", "srt": "SRT export",
         "vtt": "WebVTT export", "json": "JSON export"}


def write_private(path: Path, text: str, fmt: str = "", force: bool = False) -> None:
    """Write an output that holds the conversation: 0600, never through a link, and over an
    existing file only if livecue wrote it (or ``--force``)."""
    from ..private_files import head, write_private_text

    def ours(p: Path) -> bool:
        if force:
            return True
        h = head(p)
        return not h.strip() or bool(fmt in _OURS and _OURS[fmt](h))

    write_private_text(path, text, "the " + NOUNS.get(fmt, "report"), ours,
                       "remove it, choose another name, or add --force")


def run(args: argparse.Namespace) -> int:
    from ..config import discover_config, load_settings
    from ..session.exports import EXPORTS, to_srt, to_vtt
    from ..session.log import default_sessions_dir, read_session
    from ..session.report import to_html, to_markdown
    from ..session.summary import summarise

    path = args.session or _newest(args.dir or default_sessions_dir())
    data = read_session(path)
    for notice in data.notices:
        print(f"livecue: note: {notice}", file=sys.stderr)
    settings = load_settings(discover_config(getattr(args, "config", None)))  # [report], [subtitles]
    summary = summarise(data, settings.report)
    render = {"html": to_html, "md": to_markdown, **EXPORTS,
              "srt": partial(to_srt, settings=settings.subtitles), "vtt": partial(to_vtt, settings=settings.subtitles)}
    wanted = {fmt: getattr(args, fmt) for fmt in FORMATS if getattr(args, fmt)}
    if not wanted:
        wanted = {"md": "-"}
    for out in wanted.values():  # not even --force may replace the log the report is made from
        if out != "-" and _same_file(Path(out), path):
            raise LivecueError(f"{out} is the session log this report reads; choose another name")
    for fmt, out in wanted.items():
        text = render[fmt](summary)
        if fmt in TEXT_FORMATS:  # read in a terminal (or cat'ed to one): no control characters from the call
            text = printable(text)
        if out == "-":
            sys.stdout.write(text)
            sys.stdout.flush()
        else:
            write_private(Path(out), text, fmt, getattr(args, "force", False))
            print(f"livecue: wrote {out}", file=sys.stderr)
    return 0
