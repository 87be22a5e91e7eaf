"""What the run was: the session log's first record, made from the run's options.

Reports, the library summary and cue tuning read it back to say which
model, rules and profile a session ran with and what it coached.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from .. import __version__
from ..events import Event
from ..options import SessionOptions

LOG_VERSION = 1


@dataclass(frozen=True)
class SessionSettings(Event):
    """The log's first record: how the session was run, for the report and tuning."""

    type: ClassVar[str] = "settings"
    t: float = 0.0
    log_version: int = LOG_VERSION
    livecue: str = __version__
    started_at: str = ""  # local wall time the session began, ISO 8601 with offset
    mode: str = ""  # replay | live
    source: str = ""
    model: str = ""  # empty: the bundled tiny.en
    rules: str = ""  # empty: the shipped cue rules
    profile: str = ""
    cues: bool = True  # False with --no-cues
    argv: tuple[str, ...] = ()
    # ``livecue batch``: who and when (from a manifest or folder), and the call's done-key
    call_rep: str = ""
    call_date: str = ""
    tags: tuple[str, ...] = ()
    call_key: str = ""


def run_record(options: SessionOptions, started: datetime, mode: str = "") -> SessionSettings:
    """The record of a ``replay`` or ``live`` session run with ``options``."""
    return SessionSettings(
        started_at=started.isoformat(timespec="seconds"),
        mode=mode or options.command,
        source=options.source,
        model=options.model.model or "",
        rules=str(options.cues.rules or ""),
        profile=str(options.cues.profile or ""),
        cues=options.cues.enabled,
        argv=options.argv,
    )
