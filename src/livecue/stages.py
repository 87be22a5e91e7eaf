"""What the pipeline needs from a stage, declared rather than probed.

A stage sits between the transcriber and the sinks (the cue stage is one):
it sees every event the call produces, in order, and answers with the new
events it derives.  It is a plain object, driven from the pipeline's loop
(only a job's ``run_job`` may run elsewhere), so a test can feed it events
by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from .events import Event


@dataclass(frozen=True)
class StageCapabilities:
    """What a stage does besides ``feed`` and ``close``."""

    # slow work offered in parts, as the transcriber offers its decodes: next_job() -> job or None,
    # run_job(job) -> result (reads only the job, so it may run on another thread), apply_job(job, result)
    background_jobs: bool = False


class Stage(Protocol):
    """Derives events from events.

    ``feed`` returns only *new* events; the pipeline forwards the input
    itself, to the later stages and then to the sinks.  ``close`` is called
    once at the end of the call, with the call time, for what a stage was
    still holding back (a cue waiting for its speaker to finish); return
    ``[]`` when there is nothing.  A stage that raises is reported and
    switched off, never the session.  Audio never reaches a stage: chunks go
    to the ``Transcriber`` (``transcribers.py``), whose events come here.

    Where ``capabilities.background_jobs`` is set, the stage has work too
    slow for the loop (the cue stage's reload of an edited rule file, which
    can refit its classifiers for a minute or two): ``next_job()`` hands out
    one job at a time, ``run_job(job)`` does the work (on the pipeline's
    job thread when the session runs on the wall clock, so words and cards
    keep coming meanwhile; on the loop, in order, on audio time), and
    ``apply_job(job, result)`` takes the result back on the loop and
    returns events, which go through the later stages like ``feed``'s.
    Until then the stage works as it did; ``close`` may come first (the
    call ended while the job ran: the result is dropped).
    """

    capabilities: StageCapabilities

    def feed(self, event: Event) -> list[Event]:
        """New events derived from ``event``."""

    def close(self, t: float) -> list[Event]:
        """End of the call at call time ``t``: events still to come."""

    # only where capabilities.background_jobs:
    def next_job(self) -> object | None:
        """The slow work due now, or None (one job at a time: None while one is out)."""

    def run_job(self, job: object) -> object:
        """Do ``job``; touches nothing but the job (any thread)."""

    def apply_job(self, job: object, result: object) -> list[Event]:
        """Take ``run_job``'s result back (on the loop); new events."""
