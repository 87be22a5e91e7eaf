"""What the pipeline needs from the transcriber, declared rather than probed.

The transcriber is the one part that consumes audio: the pipeline hands it
every ``AudioChunk`` and asks it for decodes, one at a time, when it says
one is due.  What it offers beyond that is announced once, in
``capabilities`` (as livekit agents' STT announces streaming and interim
results), so the pipeline never asks whether it happens to have a method.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from .events import AudioChunk, Event


@dataclass(frozen=True)
class TranscriberCapabilities:
    """What a transcriber does besides turning audio into committed words."""

    interim_results: bool = False  # Tentative words while an utterance is still growing
    resettable: bool = False  # reset() forgets every buffer: a replay can seek
    # step() comes in three parts: next_decode() -> job, run_decode(job) -> result (the
    # engine call: reads only the job, so it may run on another thread), apply_decode(job, result)
    decode_jobs: bool = False


class Transcriber(Protocol):
    """Audio in, speech events out, on the pipeline's thread.

    ``feed`` takes one side's chunk and returns what the speech gate saw at
    once (speech start/end, levels); the words come from ``step``, one
    scheduled decode per call, while ``pending()`` is true: ``Committed``,
    ``Tentative`` (if ``interim_results``), ``Lag`` and, after every final
    decode of an utterance, ``UtteranceEnded`` (also when it heard no words).
    ``finish`` decodes what is left at the end of the input.

    Where ``capabilities.decode_jobs`` is set, ``step`` is also offered in
    parts, so the pipeline can keep feeding audio while the engine works:
    ``next_decode()`` cuts the job that ``step`` would run (a snapshot; it
    changes no buffer), ``run_decode(job)`` is the engine call alone (thread
    safe: it reads only the job), and ``apply_decode(job, result)`` takes the
    result back and returns ``step``'s events.  Between ``next_decode`` and
    ``apply_decode`` the caller may ``feed`` but must not cut another job,
    ``step``, ``finish`` or ``reset``.
    """

    capabilities: TranscriberCapabilities

    def feed(self, chunk: AudioChunk) -> list[Event]:
        """Take one side's audio; events the gate produced at once."""

    def pending(self) -> bool:
        """A decode is due."""

    def step(self) -> list[Event]:
        """Run the one decode that is due most (nothing when none is)."""

    def finish(self) -> list[Event]:
        """End of input: close every utterance and decode what remains."""

    # only where capabilities.decode_jobs:
    def next_decode(self) -> object | None:
        """The job ``step`` would run now, or None when no decode is due."""

    def run_decode(self, job: object) -> object:
        """The engine call for ``job``; touches nothing but the job (any thread)."""

    def apply_decode(self, job: object, result: object) -> list[Event]:
        """Take ``run_decode``'s result back; the events ``step`` would have returned."""

    # only where capabilities.resettable:
    def reset(self) -> list[Event]:
        """Forget every buffer (a replay seek); events that clear what was shown."""
