"""Text sinks: the readable ``--plain`` transcript and the ``--json`` stream.

A sink receives every event that leaves the pipeline (``handle``) and is
closed once at the end.  Sinks must never raise on a closed stdout: a session
keeps logging even if a pipe reader went away.  A pipe whose reader left is
normal (``| head``) and goes quiet; any other failure (a full disk behind
``> out.txt``, no stdout at all) is said once on stderr, then the sink goes
quiet too.
"""

from __future__ import annotations

import os
import sys
from typing import Protocol, TextIO

from .audio_facts import clock_tenths
from .events import Committed, Cue, Event, Notice, SessionEnded, SessionStarted
from .terminal_text import json_line, printable

LABELS = {"rep": "REP", "prospect": "PROSPECT", "call": "CALL"}


class Sink(Protocol):
    def handle(self, event: Event) -> None: ...

    def close(self) -> None: ...


def silence(stream: TextIO | None) -> None:
    """Point the file descriptor behind a failed ``stream`` at /dev/null: the text still in its buffer
    would fail again at the interpreter's exit ("Exception ignored", exit status 120)."""
    try:
        target = stream.fileno()  # type: ignore[union-attr]
        devnull = os.open(os.devnull, os.O_WRONLY)
    except (AttributeError, OSError, ValueError):  # no stream, or one without a descriptor (a test's StringIO)
        return
    try:
        os.dup2(devnull, target)
    except OSError:
        pass
    finally:
        os.close(devnull)


class _StreamSink:
    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout  # None when the process was started with stdout closed
        self.broken = False

    def _write(self, text: str) -> None:
        if self.broken:
            return
        try:
            if self.stream is None:
                raise ValueError("there is no standard output (it was closed)")
            self.stream.write(text)
            self.stream.flush()
        except BrokenPipeError:
            self.broken = True
        except (ValueError, OSError) as exc:
            self.broken = True
            silence(self.stream)
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            try:
                print(f"livecue: output stopped: {reason}; the session goes on (and its log, if any)",
                      file=sys.stderr, flush=True)
            except (ValueError, OSError):
                pass

    def close(self) -> None:
        pass


class JsonSink(_StreamSink):
    """One JSON object per line, flushed as it happens."""

    def __init__(self, stream: TextIO | None = None, types: set[str] | None = None) -> None:
        super().__init__(stream)
        self.types = types  # None: every event type

    def handle(self, event: Event) -> None:
        if self.types is not None and event.type not in self.types:
            return
        self._write(json_line(event.to_json()) + "\n")


class PlainSink(_StreamSink):
    """A readable two-sided transcript: committed lines and cue cards."""

    def _write(self, text: str) -> None:
        super()._write(printable(text))  # names, transcripts and cards come from outside: no control characters

    def handle(self, event: Event) -> None:
        if isinstance(event, SessionStarted):
            self._write(f"# {event.source} ({', '.join(event.speakers)}; model {event.model})\n")
        elif isinstance(event, Committed) and event.text:
            who = LABELS.get(event.speaker, event.speaker.upper())
            self._write(f"[{clock_tenths(event.start)}] {who}: {event.text}\n")
        elif isinstance(event, Cue):
            bar = "=" * 8
            lines = [f"{bar} CUE {event.cue} @ {clock_tenths(event.t)}: {event.title} {bar}"]
            if event.why:
                lines.append(f"  why: {event.why}")
            lines += [f"  - {line}" for line in event.script]
            self._write("\n".join(lines) + "\n")
        elif isinstance(event, Notice):
            self._write(f"# {event.level}: {event.message}\n")
        elif isinstance(event, SessionEnded):
            self._write(f"# ended at {clock_tenths(event.t)} ({event.reason})\n")
