"""A call's conversation measures from its session log, by the tracker the live meters use.

During a call the cue stage feeds every event to ``cues.signals.Tracker``,
and the overlay's meters show its snapshots.  The report replays the logged
events through a new ``Tracker`` the same way (the stage's time is the
latest time any record carries), so the overlay and the report count the
same things for the same call: backchannels by their words, questions by
their wording, talk from the speech spans, talk share over the meters'
window, and response latency from the tracker's answers.

What the log leaves out (levels, the revisable tentative words, most lag
records) decides nothing the tracker keeps once an utterance has closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from ..audio_facts import CALL_SIDES
from ..cues.signals import Answer, SignalSettings, Tracker
from ..events import Event, Feedback, Lag, SessionStarted, Signals, UtteranceEnded

# The meters' monologue colours when a log has no Signals record saying what the rules set.
DEFAULT_WARN_S = 45.0
DEFAULT_ALERT_S = 90.0
_AFTER_END_S = 3600.0  # as the cue stage at the session's close: nothing more will be heard


@dataclass(frozen=True)
class Span:
    """One side speaking (a speech span), or holding the floor (a turn), from ``start`` to ``end`` (call seconds)."""

    speaker: str
    start: float
    end: float

    @property
    def duration(self) -> float:
        return max(0.0, self.end - self.start)


@dataclass(frozen=True)
class CallMeasures:
    """The tracker after the whole call, and the call's end (the meters' last ``now``)."""

    tracker: Tracker
    end_s: float
    warn_s: float = DEFAULT_WARN_S
    alert_s: float = DEFAULT_ALERT_S

    def meters(self) -> Signals:
        """What the overlay's meters show at the end of the call."""
        return self.tracker.snapshot(self.end_s, self.warn_s, self.alert_s)

    @property
    def window_s(self) -> float:
        return self.tracker.s.window_s

    def talk_spans(self) -> list[Span]:
        """All speech, in start order (the VAD's spans, else the words'); speech still open at the end runs to it."""
        spans = [Span(side, iv.start, self.end_s if iv.end is None else iv.end)
                 for side in CALL_SIDES for iv in self.tracker.intervals[side]]
        return sorted((s for s in spans if s.end > s.start), key=lambda s: (s.start, s.end))

    def talk_in_window(self, t: float) -> dict[str, float]:
        """Each side's talk in the meters' window ending at ``t`` (what the talk-share meter shows then)."""
        return {side: self.tracker.talk(side, t, self.window_s) for side in CALL_SIDES}

    def turns(self) -> list[Span]:
        """Who held the floor, in order: the monologue meter's rule (a backchannel doesn't take the floor)."""
        out: list[Span] = []
        for seg in self.tracker.timeline:
            if out and seg.speaker != out[-1].speaker and seg.backchannel:
                continue
            if out and out[-1].speaker == seg.speaker:
                last = out[-1]
                out[-1] = Span(seg.speaker, last.start, max(last.end, seg.last_end))
            else:
                out.append(Span(seg.speaker, seg.start, seg.last_end))
        return out

    def answers(self) -> list[Answer]:
        """The prospect's answers to the rep's turns, with latency; a bare backchannel counts only after a question."""
        return [a for a in self.tracker.answers
                if a.latency is not None and not (a.backchannel and not a.after_question)]

    @property
    def questions(self) -> dict[str, int]:
        return dict(self.tracker.questions)

    @property
    def backchannels(self) -> int:
        """The prospect's backchannels ("mm-hm", "right"), as the meters count them."""
        return self.tracker.backchannels


def replay_measures(events: Iterable[Event], end_s: float, settings: SignalSettings | None = None) -> CallMeasures:
    """Feed a session's events to a new tracker as the cue stage did, and close it at ``end_s``."""
    tracker = Tracker(settings)
    now = 0.0
    warn_s, alert_s = DEFAULT_WARN_S, DEFAULT_ALERT_S
    events = list(events)
    # logs written before the transcriber emitted UtteranceEnded: a side's Lag marked its decodes
    legacy = not any(isinstance(e, UtteranceEnded) for e in events)
    for event in events:
        if legacy and isinstance(event, Lag):
            event = UtteranceEnded(t=event.t, speaker=event.speaker)
        if isinstance(event, SessionStarted):
            tracker.reset()
        if isinstance(event, Feedback):  # the rep's marks carry the UI's time, not the call's
            continue
        now = max(now, event.t)
        if isinstance(event, Signals):  # the stage's own output: its time, and the rules' meter thresholds
            warn_s, alert_s = event.monologue_warn_s, event.monologue_alert_s
            continue
        tracker.tick(now)
        tracker.feed(event, now)
    end_s = max(end_s, now)
    tracker.tick(end_s + _AFTER_END_S)
    return CallMeasures(tracker, end_s, warn_s, alert_s)
