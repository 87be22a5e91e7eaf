"""Between the pipeline thread and the overlay: a queue of events and the UI's wake-up messages.

The pipeline hands events to ``UiSink.handle`` on its own thread; the sink
wakes the UI with one ``EventsReady`` message per batch, and the UI drains
the queue when it redraws.  Nothing on either side waits for the other.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import Any, Callable

from textual.message import Message

from ..events import Event, Word
from ..terminal_text import printable


def shown(event: Event) -> Event:
    """``event`` with its text made printable (``terminal_text``): the screen obeys control characters,
    and names, transcripts, cards and notices come from outside."""
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(event):
        value = getattr(event, f.name)
        if not f.init:
            continue
        if isinstance(value, str):
            new: Any = printable(value)
        elif isinstance(value, tuple) and value and all(isinstance(v, str) for v in value):
            new = tuple(printable(v) for v in value)
        elif isinstance(value, tuple) and value and all(isinstance(v, Word) for v in value):
            new = tuple(dataclasses.replace(w, word=printable(w.word)) for w in value)
        else:
            continue
        if new != value:
            changes[f.name] = new
    return dataclasses.replace(event, **changes) if changes else event


class UiSink:
    """The pipeline's side of the overlay: queue events, wake the UI once per batch.

    ``handle`` runs on the pipeline thread and never blocks on the UI.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[Event] = []
        self._woken = False
        self._wake: Callable[[], Any] | None = None
        self.closed = False

    def attach(self, wake: Callable[[], Any]) -> None:
        with self._lock:
            self._wake = wake
            self._woken = False

    def handle(self, event: Event) -> None:
        event = shown(event)
        with self._lock:
            self._pending.append(event)
            wake = None if self._woken else self._wake
            if wake is not None:
                self._woken = True
        if wake is not None:
            wake()

    def drain(self) -> list[Event]:
        with self._lock:
            events, self._pending = self._pending, []
            self._woken = False
        return events

    def close(self) -> None:
        self.closed = True


class EventsReady(Message):
    """The sink has a batch waiting."""


class PipelineDone(Message):
    """The pipeline's run() returned (or raised)."""
