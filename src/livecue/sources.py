"""What the pipeline needs from an audio source, declared rather than probed.

A source hands out the call's audio as ``AudioChunk``s (plus status events)
as its clock allows.  What else it can do is announced once, in
``capabilities``: a recording can pause and seek, live capture can do
neither.  The pipeline and the overlay read the record; they never ask a
source whether it happens to have a ``seek`` method.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Protocol

from .events import AudioChunk, Event


@dataclass(frozen=True)
class SourceCapabilities:
    """What a source can do besides reading; the overlay offers only these keys."""

    pausable: bool = False  # pause() / resume() hold and restart the call clock
    seekable: bool = False  # seek(delta_s) jumps in the audio
    live: bool = False  # the audio is happening now (no duration, no replay controls)


class Source(Protocol):
    """An audio source of one call: both sides' chunks, in audio time from 0.

    ``pause``, ``resume`` and ``seek`` exist only where ``capabilities``
    says so, and only the pipeline's loop calls them (the overlay asks
    through ``Pipeline.control``).
    """

    capabilities: SourceCapabilities
    description: str  # what is being heard, for the session header
    speakers: tuple[str, ...]
    duration: float | None  # seconds, None when unknown (live)
    exhausted: bool  # no more audio will come
    end_reason: str  # why it ended, read once ``exhausted``

    def start(self, clock) -> None:
        """Begin handing out audio; call time 0 is ``clock``'s start."""

    def read(self, timeout_s: float = 0.1, stop: threading.Event | None = None) -> list[AudioChunk | Event]:
        """Audio and status events ready now, waiting at most ``timeout_s`` (less once ``stop`` is set)."""

    def close(self) -> None:
        """Release files or devices; safe to call twice."""


REPLAY = SourceCapabilities(pausable=True, seekable=True)
LIVE = SourceCapabilities(live=True)
