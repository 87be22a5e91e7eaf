"""What a coach wants to know about a call, computed from its session log.

The conversation measures come from ``measures.py``: the log's events are
replayed through the tracker the live meters use (``cues.signals``), so the
report and the overlay agree about the same call.  Talk is measured on the
voice-activity spans (``speech_end`` records), the same speech the meters
counted; a *turn* is one side holding the floor until the other side says
something that is not a backchannel ("mm-hm", "right": judged by its words);
questions are judged by their wording as well as a "?"; the talk-share curve
uses the meters' window.  Transcript lines are grouped here.
"""

from __future__ import annotations

import statistics
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from pathlib import Path

from ..audio_facts import CALL_SIDES, clock_hms
from ..config import ReportSettings, SignalSettings  # the [report] and [signals] sections
from ..events import ChannelStatus, Committed, Cue, Notice, Signals, Word, join_text, words_text
from .log import SessionData
from .measures import CallMeasures, Span, replay_measures

NAMES = {"rep": "Rep", "prospect": "Prospect", "call": "Call"}

__all__ = ["CallSummary", "CueEntry", "ReportSettings", "Reply", "SharePoint", "SideStats", "Span", "TranscriptLine",
           "summarise", "utterances_from"]


@dataclass(frozen=True)
class TranscriptLine:
    """One transcript line: a side's committed words up to a pause."""

    speaker: str
    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()


@dataclass(frozen=True)
class Reply:
    """The prospect answering a rep turn (the engagement meters' answer); latency < 0 means they cut in."""

    t: float  # when the rep's turn ended
    latency_s: float
    after_question: bool


@dataclass(frozen=True)
class SideStats:
    speaker: str
    talk_s: float
    share: float  # of both sides' talk, 0..1
    turns: int
    longest_turn: Span | None
    questions: int  # judged by their wording (and a "?"), as the meters judge them
    words: int


@dataclass(frozen=True)
class CueEntry:
    """A fired cue with what led to it, the rep's marks, and what the rep said next."""

    number: int
    cue: Cue
    marks: tuple[str, ...]
    trigger: TranscriptLine | None  # the line of ``cue.speaker`` the cue responded to
    rep_next: TranscriptLine | None  # what the rep said after the cue, until the prospect spoke


@dataclass(frozen=True)
class SharePoint:
    t: float
    rep_share: float | None  # None: too little talk in the window


@dataclass(frozen=True)
class CallSummary:
    path: Path
    source: str
    model: str
    mode: str
    started_at: str
    duration: float
    sides: dict  # speaker -> SideStats
    spans: tuple[Span, ...]
    turns: tuple[Span, ...]  # who held the floor, in start order
    replies: tuple[Reply, ...]
    backchannels: int  # the prospect's, counted as the meters count them
    utterances: tuple[TranscriptLine, ...]
    cues: tuple[CueEntry, ...]
    share_curve: tuple[SharePoint, ...]
    share_window_s: float
    monologue_warn_s: float
    rep_share_high: float
    notices: tuple[str, ...]
    truncated: bool

    @property
    def talk_s(self) -> float:
        return sum(s.talk_s for s in self.sides.values())

    @property
    def question_replies(self) -> list[Reply]:
        return [r for r in self.replies if r.after_question]

    @property
    def marks(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for entry in self.cues:
            for mark in entry.marks:
                counts[mark] = counts.get(mark, 0) + 1
        return counts


clock = clock_hms  # ``mm:ss`` (``h:mm:ss`` past an hour) for reading, not for parsing


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


# --- the pieces ----------------------------------------------------------------------


def utterances_from(committed: list[Committed], gap_s: float) -> list[TranscriptLine]:
    """Group each side's committed text into lines at ``final`` marks and long pauses."""
    open_lines: dict[str, list[Committed]] = {}
    done: list[list[Committed]] = []
    # the two sides' events can arrive out of call-time order (docs/architecture.md);
    # a stable sort by start keeps each side's own order
    for c in sorted(committed, key=lambda c: c.start):
        if not c.text.strip() and not c.words:
            continue
        current = open_lines.get(c.speaker)
        if current:
            prev_end = current[-1].words[-1].end if current[-1].words else current[-1].t
            if c.start - prev_end > gap_s:
                done.append(current)
                current = None
        if not current:
            current = open_lines[c.speaker] = []
        current.append(c)
        if c.final:
            done.append(current)
            open_lines[c.speaker] = []
    done.extend(line for line in open_lines.values() if line)
    out: list[TranscriptLine] = []
    for line in done:
        words = tuple(w for c in line for w in c.words)
        text = join_text(c.text for c in line) or words_text(words)
        start = words[0].start if words else line[0].t
        end = words[-1].end if words else line[-1].t
        out.append(TranscriptLine(line[0].speaker, start, max(start, end), text, words))
    out.sort(key=lambda u: (u.start, u.end))
    return out


def replies_from(measures: CallMeasures) -> list[Reply]:
    """The prospect's answers to rep turns, as the engagement meters see them."""
    return [Reply(a.start - a.latency, a.latency, a.after_question) for a in measures.answers()]


def share_curve(measures: CallMeasures, duration: float, settings: ReportSettings) -> list[SharePoint]:
    """The rep's share of talk over the meters' window, sampled across the call (what the meter showed)."""
    if duration <= 0:
        return []
    n = max(2, settings.share_points)
    points = []
    for k in range(n + 1):
        t = duration * k / n
        talk = measures.talk_in_window(t)
        total = talk["rep"] + talk["prospect"]
        points.append(SharePoint(t, talk["rep"] / total if total >= settings.share_min_talk_s else None))
    return points


class _Lines:
    """The call's lines indexed by start, so each cue finds its lines in log time rather than by a
    scan of the whole call (a scan per cue made a day-long log's report quadratic)."""

    def __init__(self, utterances: list[TranscriptLine]) -> None:
        self.utterances = utterances  # sorted by (start, end): utterances_from
        self.at = {side: [i for i, u in enumerate(utterances) if u.speaker == side] for side in CALL_SIDES}
        self.starts = {side: [utterances[i].start for i in at] for side, at in self.at.items()}

    def nearest_before(self, speaker: str, t: float) -> TranscriptLine | None:
        """The speaker's last line starting at or before ``t``."""
        k = bisect_right(self.starts[speaker], t)
        return self.utterances[self.at[speaker][k - 1]] if k else None

    def rep_reply(self, t: float) -> TranscriptLine | None:
        """The rep's lines from ``t`` up to the prospect's next line, as one."""
        k = bisect_left(self.starts["rep"], t)
        if k == len(self.at["rep"]):
            return None
        lines: list[TranscriptLine] = []
        i = self.at["rep"][k]
        while i < len(self.utterances) and self.utterances[i].speaker == "rep":
            lines.append(self.utterances[i])
            i += 1
        return TranscriptLine("rep", lines[0].start, lines[-1].end, " ".join(u.text for u in lines),
                              tuple(w for u in lines for w in u.words))


def cue_entries(data: SessionData, utterances: list[TranscriptLine]) -> list[CueEntry]:
    out = []
    lines = _Lines(utterances)
    for number, outcome in enumerate(data.cue_outcomes(), 1):
        cue = outcome.cue
        at = cue.anchor if cue.anchor is not None else cue.t
        trigger = lines.nearest_before(cue.speaker, at + 0.25) if cue.speaker in CALL_SIDES else None
        rep_next = lines.rep_reply(cue.t)
        out.append(CueEntry(number, cue, outcome.mark_names, trigger, rep_next))
    return out


def session_notes(data: SessionData) -> list[str]:
    """Warnings the session itself logged (lost audio, dropped buffers): they qualify the figures."""
    seen: dict[str, tuple[float, int]] = {}
    for e in data.events:
        if isinstance(e, Notice) and e.level in ("warning", "error"):
            text = e.message
        elif isinstance(e, ChannelStatus) and e.state != "ok":
            text = f"{NAMES.get(e.speaker, e.speaker)} audio {e.state}" + (f": {e.detail}" if e.detail else "")
        else:
            continue
        first, count = seen.get(text, (e.t, 0))
        seen[text] = (first, count + 1)
    return [f"at {clock(t)}: {text}" + (f" ({n} times)" if n > 1 else "") for text, (t, n) in seen.items()]


def summarise(data: SessionData, settings: ReportSettings = ReportSettings(),
              signal_settings: SignalSettings | None = None) -> CallSummary:
    utterances = utterances_from(data.committed, settings.utterance_gap_s)
    measures = replay_measures(data.events, data.duration, signal_settings)
    spans = measures.talk_spans()
    turns = measures.turns()
    questions = measures.questions
    talk = {side: sum(s.duration for s in spans if s.speaker == side) for side in CALL_SIDES}
    total = sum(talk.values())
    sides = {}
    for side in CALL_SIDES:
        own_turns = [t for t in turns if t.speaker == side]
        sides[side] = SideStats(
            speaker=side,
            talk_s=talk[side],
            share=talk[side] / total if total > 0 else 0.0,
            turns=len(own_turns),
            longest_turn=max(own_turns, key=lambda t: t.duration, default=None),
            questions=questions.get(side, 0),
            words=sum(len(u.words) if u.words else len(u.text.split()) for u in utterances if u.speaker == side),
        )
    signals = data.of_type(Signals)
    settings_rec = data.settings
    return CallSummary(
        path=data.path,
        source=data.source,
        model=data.model,
        mode=(data.started.mode if data.started else "") or (settings_rec.mode if settings_rec else ""),
        started_at=settings_rec.started_at if settings_rec else "",
        duration=data.duration,
        sides=sides,
        spans=tuple(spans),
        turns=tuple(turns),
        replies=tuple(replies_from(measures)),
        backchannels=measures.backchannels,
        utterances=tuple(utterances),
        cues=tuple(cue_entries(data, utterances)),
        share_curve=tuple(share_curve(measures, data.duration, settings)),
        share_window_s=measures.window_s,
        monologue_warn_s=signals[-1].monologue_warn_s if signals else settings.monologue_warn_s,
        rep_share_high=settings.rep_share_high,
        notices=data.notices + tuple(session_notes(data)),
        truncated=data.truncated,
    )
