"""Reading a session log back: tolerant of a cut-off last line, strict about crafted values.

A log may have been cut off by a crash or edited by hand; reports, listings
and tuning read it, so every record is checked against its declared types
before any figure is computed from it, and a bad line is a notice, not a crash.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..audio_facts import clock_mmss
from ..errors import LivecueError
from ..events import EVENT_TYPES, Committed, Cue, Event, Feedback, SessionEnded, SessionStarted, event_from_json
from ..user_files import finite, read_user_bytes
from .run_record import SessionSettings


@dataclass(frozen=True)
class CueOutcome:
    """A fired cue and the rep's marks on it (helpful, wrong, dismissed, snoozed)."""

    cue: Cue
    marks: tuple[Feedback, ...] = ()

    @property
    def mark_names(self) -> tuple[str, ...]:
        return tuple(m.mark for m in self.marks)


@dataclass(frozen=True)
class SessionData:
    """A session log read back: its events in order, and what went wrong reading it."""

    path: Path
    settings: SessionSettings | None
    events: tuple[Event, ...]
    truncated: bool = False  # the log ends in the middle of a record
    notices: tuple[str, ...] = ()

    def of_type(self, cls: type) -> list:
        return [e for e in self.events if isinstance(e, cls)]

    @property
    def started(self) -> SessionStarted | None:
        return next((e for e in self.events if isinstance(e, SessionStarted)), None)

    @property
    def ended(self) -> SessionEnded | None:
        return next((e for e in reversed(self.events) if isinstance(e, SessionEnded)), None)

    @property
    def cues(self) -> list[Cue]:
        return self.of_type(Cue)

    @property
    def feedback(self) -> list[Feedback]:
        return self.of_type(Feedback)

    @property
    def committed(self) -> list[Committed]:
        return self.of_type(Committed)

    @property
    def source(self) -> str:
        started = self.started
        if started is not None and started.source:
            return started.source
        return self.settings.source if self.settings else ""

    @property
    def model(self) -> str:
        started = self.started
        if started is not None and started.model:
            return started.model
        return self.settings.model if self.settings and self.settings.model else ""

    @property
    def duration(self) -> float:
        """Call length: the end record, else the furthest time anything was logged."""
        ended = self.ended
        if ended is not None:
            return ended.t
        latest = 0.0
        for e in self.events:
            latest = max(latest, e.t)
            if isinstance(e, Committed) and e.words:
                latest = max(latest, e.words[-1].end)
        return latest

    def cue_outcomes(self) -> list[CueOutcome]:
        """Each fired cue with the feedback given on it (joined on cue name and cue time)."""
        marks: dict[tuple[str, float], list[Feedback]] = {}
        for fb in self.feedback:
            marks.setdefault((fb.cue, round(fb.cue_t, 2)), []).append(fb)
        return [CueOutcome(c, tuple(marks.get((c.cue, round(c.t, 2)), ()))) for c in self.cues]


def decode_record(obj: Any) -> Event:
    """One parsed log line as its event; ValueError if it is not a livecue record."""
    if not isinstance(obj, dict):
        raise ValueError("not a JSON object")
    if obj.get("type") == SessionSettings.type:
        names = {f.name for f in dataclasses.fields(SessionSettings)}
        kwargs = {k: (tuple(v) if isinstance(v, list) else v) for k, v in obj.items() if k in names}
        return SessionSettings(**kwargs)
    return event_from_json(obj)


def _looks_like_record(obj: Any) -> bool:
    return isinstance(obj, dict) and (obj.get("type") in EVENT_TYPES or obj.get("type") == SessionSettings.type)


_clock = clock_mmss


MAX_LOG_BYTES = 512 * 1024 * 1024  # a day-long call logs far less
MAX_CALL_S = 7 * 24 * 3600.0  # no call is longer than a week: a later time is a crafted or corrupt log
_NUMBER_TYPES = ("float", "int")


def _bad_time(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"must be a number (got {json.dumps(value)})"
    if not finite(value):
        return f"must be a finite number (got {value})"
    if not 0.0 <= value <= MAX_CALL_S:
        return f"must be between 0 and {MAX_CALL_S:.0f} s (got {value:g})"
    return None


@functools.cache
def _declared(cls: type) -> tuple[tuple[str, str], ...]:
    """Each field's name and declared type as text (read once per event class, not per record)."""
    return tuple((f.name, str(f.type)) for f in dataclasses.fields(cls))


def record_problem(event: Any) -> str | None:
    """Why a decoded record cannot be trusted (wrong type, NaN/Inf, a time past a week), or None.

    Reports, listings and tuning read logs that may be crafted: every field is
    checked against its declared type before any figure is computed from it.
    """
    for name, kind in _declared(type(event)):
        value = getattr(event, name)
        if value is None and "None" in kind:
            continue
        if name in ("t", "start", "end", "duration") and kind.startswith(_NUMBER_TYPES):
            problem = _bad_time(value)
        elif kind.startswith(_NUMBER_TYPES):
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and finite(value)
            problem = None if ok else f"must be a finite number (got {json.dumps(value)})"
        elif kind.startswith("str"):
            problem = None if isinstance(value, str) else f"must be text (got {json.dumps(value)})"
        elif kind.startswith("bool"):
            problem = None if isinstance(value, bool) else f"must be true or false (got {json.dumps(value)})"
        elif kind.startswith("tuple[Word"):
            problem = None
            for w in value:
                if not isinstance(w.word, str):
                    problem = f"has a word that is not text ({json.dumps(w.word)})"
                else:
                    problem = _bad_time(w.start) or _bad_time(w.end)
                    problem = f"has a word time that {problem}" if problem else None
                if problem:
                    break
        elif kind.startswith("tuple[str"):
            problem = None if all(isinstance(v, str) for v in value) else "must be a list of text"
        elif kind.startswith("dict"):
            problem = None if isinstance(value, dict) else f"must be a table (got {json.dumps(value)})"
        else:
            problem = None
        if problem:
            return f"'{name}' {problem}"
    return None


def read_session(path: Path | str, skip: tuple[type, ...] = ()) -> SessionData:
    """Read a session log (or a ``--json`` capture), tolerating a cut-off last line.

    ``skip``: event types left unparsed (a library summary needs no ``Signals``,
    which are most of a log's bytes).  Raises LivecueError (one line) for a
    missing file or one that isn't a log.
    """
    skipped = tuple(b'{"type": "%s"' % t.type.encode() for t in skip)
    path = Path(path)
    raw = read_user_bytes(path, "session log", MAX_LOG_BYTES)
    lines = raw.split(b"\n")
    ends_cleanly = raw.endswith(b"\n")
    if ends_cleanly:
        lines.pop()
    if not any(line.strip() for line in lines):
        raise LivecueError(f"{path}: empty file, not a livecue session log")

    events: list[Event] = []
    notices: list[str] = []
    settings: SessionSettings | None = None
    truncated = False
    bad_lines: list[int] = []
    unknown: dict[str, int] = {}
    seen_record = False
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        if skipped and seen_record and line.startswith(skipped):
            continue
        last = number == len(lines)
        try:
            obj = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):  # RecursionError: nested too deeply
            obj = None
        if not seen_record:
            if obj is None and last and not ends_cleanly and line.startswith(b'{"type": "settings"'):
                raise LivecueError(f"{path}: the session log was cut off before anything was recorded")
            if not _looks_like_record(obj):
                raise LivecueError(f"{path}: not a livecue session log (line {number} is not a livecue record)")
            seen_record = True
        if obj is None:
            if last and not ends_cleanly:
                truncated = True
            else:
                bad_lines.append(number)
            continue
        if isinstance(obj, dict) and obj.get("type") not in EVENT_TYPES and obj.get("type") != SessionSettings.type:
            unknown[str(obj.get("type"))] = unknown.get(str(obj.get("type")), 0) + 1
            continue
        try:
            event = decode_record(obj)
        except (ValueError, TypeError, KeyError):
            bad_lines.append(number)
            continue
        problem = record_problem(event)
        if problem:
            raise LivecueError(f"{path}:{number}: a {obj.get('type')} record whose {problem}: "
                               "not a log livecue wrote (edited or damaged)")
        if isinstance(event, SessionSettings):
            settings = settings or event
            continue
        events.append(event)

    data = SessionData(path, settings, tuple(events))
    if settings is None:
        notices.append("no settings record: this looks like a --json capture rather than a session log")
    if truncated:
        notices.append("the log ends in the middle of a record (the session was cut off); that record was skipped")
    if bad_lines:
        shown = ", ".join(str(n) for n in bad_lines[:5]) + (" ..." if len(bad_lines) > 5 else "")
        notices.append(f"{len(bad_lines)} unreadable line(s) skipped (line {shown})")
    if unknown:
        kinds = ", ".join(f"{k} x{n}" for k, n in sorted(unknown.items()))
        notices.append(f"records of types this livecue does not know were skipped ({kinds})")
    if data.ended is None:
        notices.append(f"the session has no end record (it was cut off); figures cover the first {_clock(data.duration)}")
    return dataclasses.replace(data, truncated=truncated, notices=tuple(notices))
