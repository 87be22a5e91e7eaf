"""``livecue sessions``: one line per session log, read without parsing whole logs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..events import EVENT_TYPES, Cue, SessionEnded, SessionStarted
from .reader import _bad_time
from .run_record import SessionSettings


@dataclass(frozen=True)
class SessionListing:
    """One line of ``livecue sessions``."""

    path: Path
    date: str  # local start time, "YYYY-MM-DD HH:MM"
    source: str
    duration: float
    cues: int
    complete: bool  # has its end record


def _listing(path: Path) -> SessionListing | None:
    date, source, duration, cues, complete = "", "", 0.0, 0, False
    if not path.is_file():  # a FIFO or device named *.jsonl would block or never end
        return None
    try:
        with open(path, "rb") as f:
            for number, line in enumerate(iter(lambda: f.readline(1024 * 1024), b"")):
                try:
                    obj = json.loads(line)
                except (ValueError, RecursionError):  # a line nested too deeply is no record either
                    if number == 0:
                        return None
                    continue
                if not isinstance(obj, dict):
                    if number == 0:
                        return None
                    continue
                kind = obj.get("type")
                if number == 0 and kind not in EVENT_TYPES and kind != SessionSettings.type:
                    return None
                if kind == SessionSettings.type:
                    date = str(obj.get("started_at", ""))[:16].replace("T", " ")
                    source = source or str(obj.get("source", ""))
                elif kind == SessionStarted.type and obj.get("source"):
                    source = str(obj["source"])
                elif kind == Cue.type:
                    cues += 1
                elif kind == SessionEnded.type:
                    complete = True
                t = obj.get("t")
                if _bad_time(t) is None:
                    duration = max(duration, float(t))
    except OSError:
        return None
    if not date:
        date = "?"
    return SessionListing(path, date, Path(source).name if "/" in source else source, duration, cues, complete)


def list_sessions(directory: Path) -> list[SessionListing]:
    """The session logs in ``directory``, oldest first; files that aren't logs are left out."""
    if not directory.is_dir():
        return []
    rows = [r for r in (_listing(p) for p in sorted(directory.glob("*.jsonl"))) if r is not None]
    return sorted(rows, key=lambda r: (r.date, r.path.name))
