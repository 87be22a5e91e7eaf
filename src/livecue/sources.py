"""What the pipeline needs from an audio source, declared rather than probed.

A source hands out the call's audio as ``AudioChunk``s as its clock allows,
and what happened to it (a notice, a lost device, how far a file is) as
events; one ``read`` returns both, apart, in a ``SourceRead``: audio goes to
the transcriber, events to the stages, and no list holds the two.  What else
a source can do is announced once, in ``capabilities``: a recording can
pause and seek, live capture can do neither.  The pipeline and the overlay
read the record; they never ask a source whether it happens to have a
``seek`` method.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Protocol, Sequence

from .events import AudioChunk, Event


@dataclass(frozen=True)
class SourceCapabilities:
    """What a source can do besides reading; the overlay offers only these keys."""

    pausable: bool = False  # pause() / resume() hold and restart the call clock
    seekable: bool = False  # seek(delta_s) jumps in the audio
    live: bool = False  # the audio is happening now (no duration, no replay controls)
    audio_time: bool = False  # read() is held to no clock (replay --fast): decodes due are run before reading on


@dataclass(frozen=True)
class SourceRead:
    """What one ``Source.read`` produced: audio and events, kept apart.

    The pipeline dispatches ``before``, feeds every chunk of ``audio`` to the
    transcriber (side by side, in time order per side), then dispatches
    ``after``: status that came before the audio (queued notices, a lost or
    reopened device, overflows) stays ahead of what the audio makes, and what
    is about the audio just read (progress, a file found cut off) follows it.
    """

    before: Sequence[Event] = ()
    audio: Sequence[AudioChunk] = ()
    after: Sequence[Event] = ()

    @property
    def events(self) -> list[Event]:
        """Every event of the read, ``before`` then ``after`` (for tests and tools)."""
        return [*self.before, *self.after]


class Source(Protocol):
    """An audio source of one call: both sides' chunks, in audio time from 0.

    ``pause``, ``resume`` and ``seek`` exist only where ``capabilities``
    says so, and only the pipeline's loop calls them (the overlay asks
    through ``Pipeline.control``).
    """

    @property
    def capabilities(self) -> SourceCapabilities:
        """What it can do besides reading (read-only, like the rest here)."""

    @property
    def description(self) -> str:
        """What is being heard, for the session header."""

    @property
    def speakers(self) -> tuple[str, ...]:
        """The sides it has audio for."""

    @property
    def duration(self) -> float | None:
        """Seconds, None when unknown (live)."""

    @property
    def exhausted(self) -> bool:
        """No more audio will come."""

    @property
    def end_reason(self) -> str:
        """Why it ended, read once ``exhausted``."""

    def start(self, clock) -> None:
        """Begin handing out audio; call time 0 is ``clock``'s start."""

    def read(self, timeout_s: float = 0.1, stop: threading.Event | None = None) -> SourceRead:
        """Audio and status events ready now, waiting at most ``timeout_s`` (less once ``stop`` is set)."""

    # only where capabilities.pausable:
    def pause(self) -> None:
        """Hold the call clock (and so the audio)."""

    def resume(self) -> None:
        """Let the call clock run again."""

    # only where capabilities.seekable:
    def seek(self, delta_s: float) -> float:
        """Jump by ``delta_s`` seconds of audio; returns the new position."""

    def close(self) -> None:
        """Release files or devices; safe to call twice."""


REPLAY = SourceCapabilities(pausable=True, seekable=True)
FAST_REPLAY = SourceCapabilities(pausable=True, seekable=True, audio_time=True)
LIVE = SourceCapabilities(live=True)
