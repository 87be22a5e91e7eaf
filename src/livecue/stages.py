"""What the pipeline needs from a stage, declared rather than probed.

A stage sits between the transcriber and the sinks (the cue stage is one):
it sees every event the call produces, in order, and answers with the new
events it derives.  It is a plain object, driven from the pipeline's one
thread, so a test can feed it events by hand.
"""

from __future__ import annotations

from typing import Protocol

from .events import Event


class Stage(Protocol):
    """Derives events from events.

    ``feed`` returns only *new* events; the pipeline forwards the input
    itself, to the later stages and then to the sinks.  ``close`` is called
    once at the end of the call, with the call time, for what a stage was
    still holding back (a cue waiting for its speaker to finish); return
    ``[]`` when there is nothing.  A stage that raises is reported and
    switched off, never the session.  Audio never reaches a stage: chunks go
    to the ``Transcriber`` (``transcribers.py``), whose events come here.
    """

    def feed(self, event: Event) -> list[Event]:
        """New events derived from ``event``."""

    def close(self, t: float) -> list[Event]:
        """End of the call at call time ``t``: events still to come."""
