"""The session log: every session's events as JSON lines, written as they happen.

A session log is what a coach's report, the transcript exports and cue tuning
are made from, so it must survive the session ending badly: each record is
written with one unbuffered ``os.write`` as it happens (a kill loses at most
the last line), and the reader accepts a log cut in the middle of a line.  It
holds a private conversation, so the file is created with mode 0600 in one
step (never chmod-ed afterwards).  Audio is never stored.

The records are ``Event.to_json()`` lines, the same as ``--json``, after a
first ``settings`` record that says how the session was run.  This module is
the writer; the pieces around it are modules of their own (their names are
re-exported here for the code that imports them from ``session.log``):
``run_record`` (the first record), ``reader`` (reading a log back) and
``listing`` (``livecue sessions``).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shlex
import sys
from datetime import datetime
from pathlib import Path
from typing import Callable

from ..config import LogSettings, discover_config, load_settings  # [log] is a section of the settings file
from ..errors import LivecueError
from ..events import Cue, Event, Lag, Level, Progress, SessionEnded, Signals, Tentative
from ..options import SessionOptions
from ..private_files import create_private, head, loose_directory_warning, private_dirs, utf8
from .listing import SessionListing, list_sessions
from .reader import (MAX_CALL_S, MAX_LOG_BYTES, CueOutcome, SessionData, decode_record, read_session,
                     record_problem)
from .run_record import LOG_VERSION, SessionSettings, run_record

__all__ = [
    "DROPPED_TYPES", "LOG_VERSION", "MAX_CALL_S", "MAX_LOG_BYTES", "CueOutcome", "LogSettings", "SessionData",
    "SessionListing", "SessionLog", "SessionSettings", "decode_record", "default_sessions_dir", "list_sessions",
    "log_file_name", "open_session_log", "read_session", "record_problem", "run_record",
]


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
    except (ValueError, AttributeError, RecursionError):
        return False


def _open_log_file(path: Path) -> int:
    """Create ``path`` 0600; an existing session log there is replaced, anything else kept."""
    return create_private(path, "the session log", _is_session_log,
                          "remove it, or give --log a new file or a directory")


def _open_in_dir(directory: Path, name: str) -> tuple[Path, int]:
    try:
        private_dirs(directory)
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
        self._records = 0
        self._last_signals_t: float | None = None
        self._pending_signals: Signals | None = None
        self._last_lag_t: dict[str, float] = {}
        if not settings.started_at:
            settings = dataclasses.replace(settings, started_at=started.isoformat(timespec="seconds"))
        self._write(settings)

    def _write(self, event: Event) -> None:
        if self._failed or self._closed:
            return
        data = utf8(json.dumps(event.to_json(), ensure_ascii=False) + "\n")
        self._records += 1
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

    def abandon(self) -> None:
        """The session ended before it started (stopped or failed while its model and rules loaded):
        a log holding only its settings record is removed, so that ``report`` and ``sessions`` do not
        take an empty call for the newest; a log with more in it is closed as usual."""
        if self._closed:
            return
        if self._records > 1:
            self.close()
            return
        self._closed = True
        os.close(self._fd)
        self.path.unlink(missing_ok=True)

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


def open_session_log(options: SessionOptions, started: datetime, mode: str = "") -> SessionLog | None:
    """The session log the options ask for (``--log``, ``--no-log``), or None."""
    if not options.write_log:
        return None
    log_settings = load_settings(discover_config(options.model.config)).log
    return SessionLog(run_record(options, started, mode), started, path=options.log, log_settings=log_settings)
