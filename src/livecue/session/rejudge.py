"""Judge a logged session again with today's cue rules.

A coach who fixes a rule wants to know which past cards it changes, and a
developer chasing a false card on a real call wants to try a fix without
transcribing the call again: the log holds every word, speech start and end
the cue stage saw, in call time.  Feeding them to a new cue stage, on a
clock that follows the events, gives the cards these rules fire on those
words.  The stage's own output (cues, meters, notices) and the rep's marks
are left out: snoozes and "wrong" marks belong to the cards of that session.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from ..clock import AudioClock
from ..cues.profile import Profile
from ..cues.rules import LoadResult
from ..cues.stage import CueStage
from ..events import Cue, Event, Feedback, Notice, Signals

# what the cue stage emits or the UI adds; everything else is what the stage was fed
_OWN_OUTPUT = (Cue, Signals, Notice, Feedback)


@dataclass(frozen=True)
class Rejudged:
    """The cards a session logged, and the cards the rules fire now on the same words."""

    logged: tuple[Cue, ...]
    now: tuple[Cue, ...]

    def changes(self, tolerance_s: float = 1.0) -> tuple[list[Cue], list[Cue], list[Cue]]:
        """(kept, gone, new): a card is kept when the same cue fires within ``tolerance_s``."""
        kept: list[Cue] = []
        gone: list[Cue] = []
        new = list(self.now)
        for cue in self.logged:
            match = next((c for c in new if c.cue == cue.cue and abs(c.t - cue.t) <= tolerance_s), None)
            if match is None:
                gone.append(cue)
            else:
                kept.append(match)
                new.remove(match)
        return kept, gone, new


def rejudge(events: Iterable[Event], load: LoadResult, profile: Profile | None = None) -> Rejudged:
    """Feed a session's events to a new cue stage built from ``load``; close it at the last event."""
    clock = AudioClock()
    stage = CueStage(load, profile or Profile(), clock, None)
    logged: list[Cue] = []
    fired: list[Event] = []
    end = 0.0
    for event in events:
        if isinstance(event, Cue):
            logged.append(event)
        if isinstance(event, _OWN_OUTPUT):
            continue
        clock.advance_to(event.t)
        end = max(end, event.t)
        fired += stage.feed(event)
    fired += stage.close(end)
    return Rejudged(tuple(logged), tuple(e for e in fired if isinstance(e, Cue)))
