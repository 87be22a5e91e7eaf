"""The session log: every session's events as JSON lines, and reading them back.

A session log is what a coach's report, the transcript exports and cue tuning
are made from, so it must survive the session ending badly: each record is
written with one unbuffered ``os.write`` as it happens (a kill loses at most
the last line), and the reader accepts a log cut in the middle of a line.  It
holds a private conversation, so the file is created with mode 0600 in one
step (never chmod-ed afterwards).  Audio is never stored.

The records are ``Event.to_json()`` lines, the same as ``--json``, after a
first ``settings`` record that says how the session was run.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import shlex
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, ClassVar, Iterable

from ..audio_facts import clock_mmss
from .. import __version__
from ..config import LogSettings, discover_config, load_settings  # [log] is a section of the settings file
from ..errors import LivecueError
from ..private_files import create_private, head, loose_directory_warning
from ..user_files import read_user_bytes
from ..events import (
    EVENT_TYPES,
    Committed,
    Cue,
    Event,
    Feedback,
    Lag,
    Level,
    Progress,
    SessionEnded,
    SessionStarted,
    Signals,
    Tentative,
    event_from_json,
)

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


# Never logged: meters and the revisable transcript tail, superseded by Committed.
DROPPED_TYPES = (Level, Tentative, Progress)


def default_sessions_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("livecue")) / "sessions"


def log_file_name(started: datetime, source: str, fallback: str = "session") -> str:
    """``2025-03-01_14-05-22_callname.jsonl``: sorts by time, says what was coached."""
    stem = Path(source.split(" + ")[0].removeprefix("rep ")).stem if source else ""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", stem or fallback).strip("-._")[:40] or fallback
    return f"{started.strftime('%Y-%m-%d_%H-%M-%S')}_{slug}.jsonl"


def _stderr(line: str) -> None:
    try:
        print(line, file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass


def _create_private(path: Path) -> int:
    """Open a new file for writing with mode 0600, failing if it exists."""
    return os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_CLOEXEC", 0), 0o600)


def _is_session_log(path: Path) -> bool:
    """A file ``--log`` may replace: a session log, or one with nothing in it but blank space."""
    raw = head(path)
    first = raw.split(b"\n", 1)[0]
    if not first.strip():
        # blank through and through: nothing to lose; a blank first line before text is someone's file
        try:
            return not raw.strip() and os.lstat(path).st_size <= len(raw)
        except OSError:
            return False
    try:
        return json.loads(first).get("type") == SessionSettings.type
    except (ValueError, AttributeError):
        return False


def _open_log_file(path: Path) -> int:
    """Create ``path`` 0600; an existing session log there is replaced, anything else kept."""
    return create_private(path, "the session log", _is_session_log,
                          "remove it, or give --log a new file or a directory")


def _open_in_dir(directory: Path, name: str) -> tuple[Path, int]:
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise LivecueError(f"cannot create the sessions directory {directory}: {exc.strerror or exc}") from None
    warning = loose_directory_warning(directory)
    if warning:
        _stderr(f"livecue: warning: {warning}")
    stem, suffix = name.rsplit(".", 1)
    for n in range(1, 1000):
        path = directory / (name if n == 1 else f"{stem}-{n}.{suffix}")
        try:
            return path, _create_private(path)
        except FileExistsError:
            continue
        except OSError as exc:
            raise LivecueError(f"cannot create session log {path}: {exc.strerror or exc}") from None
    raise LivecueError(f"cannot create a session log in {directory}: too many sessions with that name")


class SessionLog:
    """A sink that appends every event a report needs to a private JSON-lines file.

    ``path`` is a file (an existing session log there is replaced) or ``None``
    for a time-stamped file in ``directory`` (default: the user data directory).
    ``announce`` prints the closing lines (path, report command); the overlay
    may swap it to print them after it leaves the screen.
    """

    def __init__(
        self,
        settings: SessionSettings,
        started: datetime,
        path: Path | None = None,
        directory: Path | None = None,
        log_settings: LogSettings = LogSettings(),
        announce: Callable[[str], None] = _stderr,
    ) -> None:
        if path is not None and path.is_dir():
            directory, path = path, None
        if path is None:
            directory = directory if directory is not None else default_sessions_dir()
            self.path, self._fd = _open_in_dir(directory, log_file_name(
                started, settings.source if settings.mode != "live" else "", settings.mode or "session"))
        else:
            self.path, self._fd = path, _open_log_file(path)
        self.path = self.path.absolute()
        self.log_settings = log_settings
        self.announce = announce
        self._closed = False
        self._failed = False
        self._last_signals_t: float | None = None
        self._pending_signals: Signals | None = None
        self._last_lag_t: dict[str, float] = {}
        if not settings.started_at:
            settings = dataclasses.replace(settings, started_at=started.isoformat(timespec="seconds"))
        self._write(settings)

    def _write(self, event: Event) -> None:
        if self._failed or self._closed:
            return
        data = (json.dumps(event.to_json(), ensure_ascii=False) + "\n").encode("utf-8")
        try:
            while data:
                data = data[os.write(self._fd, data):]
        except OSError as exc:
            # A full disk must not stop the coaching; say so once and stop logging.
            self._failed = True
            self.announce(f"livecue: session log {self.path}: write failed ({exc.strerror or exc}); logging stopped")

    def handle(self, event: Event) -> None:
        if isinstance(event, DROPPED_TYPES):
            return
        if isinstance(event, Signals):
            last = self._last_signals_t
            if last is not None and event.t - last < self.log_settings.signals_interval_s - 1e-6:
                self._pending_signals = event
                return
            self._last_signals_t = event.t
            self._pending_signals = None
        elif isinstance(event, Lag):
            last = self._last_lag_t.get(event.speaker)
            if last is not None and event.t - last < self.log_settings.lag_interval_s - 1e-6:
                return
            self._last_lag_t[event.speaker] = event.t
        elif isinstance(event, (SessionEnded, Cue)) and self._pending_signals is not None:
            # The metrics as they stood when a cue fired or the call ended.
            self._write(self._pending_signals)
            self._last_signals_t = self._pending_signals.t
            self._pending_signals = None
        self._write(event)

    def close(self) -> None:
        if self._closed:
            return
        if self._pending_signals is not None:
            self._write(self._pending_signals)
            self._pending_signals = None
        self._closed = True
        try:
            os.fsync(self._fd)
        except OSError:
            pass
        os.close(self._fd)
        if not self._failed:
            self.announce(f"livecue: session log: {self.path}")
            html = self.path.with_suffix(".html")
            self.announce(f"livecue: report: livecue report {shlex.quote(str(self.path))} --html {shlex.quote(str(html))}")


def _source_from_args(args: Any) -> str:
    """What is being coached, as the command line named it (the started record has the rest)."""
    if getattr(args, "file", None):
        return str(args.file)
    for rep, prospect in (("rep", "prospect"), ("rep_device", "prospect_device")):
        sides = [f"{side.split('_')[0]} {getattr(args, side)}" for side in (rep, prospect) if getattr(args, side, None)]
        if sides:
            return " + ".join(sides)
    device = getattr(args, "input_device", None)
    return f"device {device}" if device else ""


def open_session_log(args: Any, started: datetime, argv: Iterable[str], mode: str = "") -> SessionLog | None:
    """The session log the command line asks for (``--log``, ``--no-log``), or None."""
    if getattr(args, "no_log", False):
        return None
    settings = SessionSettings(
        started_at=started.isoformat(timespec="seconds"),
        mode=mode or getattr(args, "command", "") or "",
        source=_source_from_args(args),
        model=str(getattr(args, "model", None) or ""),
        rules=str(getattr(args, "rules", None) or ""),
        profile=str(getattr(args, "profile", None) or ""),
        cues=not getattr(args, "no_cues", False),
        argv=tuple(str(a) for a in argv),
    )
    log = getattr(args, "log", None)
    log_settings = load_settings(discover_config(getattr(args, "config", None))).log
    return SessionLog(settings, started, path=Path(log) if log else None, log_settings=log_settings)


# --- reading ---------------------------------------------------------------------


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
    if not math.isfinite(value):
        return f"must be a finite number (got {value})"
    if not 0.0 <= value <= MAX_CALL_S:
        return f"must be between 0 and {MAX_CALL_S:.0f} s (got {value:g})"
    return None


def record_problem(event: Any) -> str | None:
    """Why a decoded record cannot be trusted (wrong type, NaN/Inf, a time past a week), or None.

    Reports, listings and tuning read logs that may be crafted: every field is
    checked against its declared type before any figure is computed from it.
    """
    for f in dataclasses.fields(event):
        value = getattr(event, f.name)
        kind = str(f.type)
        optional = "None" in kind
        if value is None and optional:
            continue
        if f.name in ("t", "start", "end", "duration") and kind.startswith(_NUMBER_TYPES):
            problem = _bad_time(value)
        elif kind.startswith(_NUMBER_TYPES):
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
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
            return f"'{f.name}' {problem}"
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
        except (UnicodeDecodeError, ValueError):
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


# --- listing -----------------------------------------------------------------------


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
                except ValueError:
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
