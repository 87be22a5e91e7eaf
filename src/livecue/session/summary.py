"""What a coach wants to know about a call, computed from its session log.

Talk is measured on the voice-activity spans (``speech_end`` records), the
same speech the live meters counted; a log without them falls back to the
transcript's word times.  A *turn* is one side holding the floor: it lasts
until the other side speaks, except for a short backchannel ("mm-hm") that
overlaps it or that the speaker talks straight through.  Questions are counted
from the transcript's question marks.
"""

from __future__ import annotations

import bisect
import re
import statistics
from dataclasses import dataclass
from pathlib import Path

from ..audio_facts import CALL_SIDES, clock_hms
from ..config import ReportSettings  # noqa: F401  (the [report] section; defined with the other settings)
from ..events import (
    ChannelStatus, Committed, Cue, Notice, Signals, SpeechEnded, SpeechStarted, Word, join_text, words_text,
)
from .log import SessionData

SIDES = CALL_SIDES
NAMES = {"rep": "Rep", "prospect": "Prospect", "call": "Call"}


@dataclass(frozen=True)
class Span:
    """One side speaking from ``start`` to ``end`` (call seconds)."""

    speaker: str
    start: float
    end: float

    @property
    def duration(self) -> float:
        return max(0.0, self.end - self.start)


@dataclass(frozen=True)
class Utterance:
    """One transcript line: a side's committed words up to a pause."""

    speaker: str
    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()


@dataclass(frozen=True)
class Reply:
    """The prospect taking the floor after a rep turn; latency < 0 means they cut in."""

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
    questions: int
    words: int


@dataclass(frozen=True)
class CueEntry:
    """A fired cue with what led to it, the rep's marks, and what the rep said next."""

    number: int
    cue: Cue
    marks: tuple[str, ...]
    trigger: Utterance | None  # the line of ``cue.speaker`` the cue responded to
    rep_next: Utterance | None  # what the rep said after the cue, until the prospect spoke


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
    utterances: tuple[Utterance, ...]
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


def utterances_from(committed: list[Committed], gap_s: float) -> list[Utterance]:
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
    out: list[Utterance] = []
    for line in done:
        words = tuple(w for c in line for w in c.words)
        text = join_text(c.text for c in line) or words_text(words)
        start = words[0].start if words else line[0].t
        end = words[-1].end if words else line[-1].t
        out.append(Utterance(line[0].speaker, start, max(start, end), text, words))
    out.sort(key=lambda u: (u.start, u.end))
    return out


def speech_spans(data: SessionData, utterances: list[Utterance], settings: ReportSettings) -> list[Span]:
    """Who spoke when: VAD spans if the log has them, else stretches of words."""
    spans: list[Span] = []
    open_at: dict[str, float] = {}
    for e in data.events:
        if isinstance(e, SpeechStarted):
            open_at[e.speaker] = e.t
        elif isinstance(e, SpeechEnded):
            open_at.pop(e.speaker, None)
            if e.t > e.start:
                spans.append(Span(e.speaker, e.start, e.t))
    for speaker, start in open_at.items():  # cut off while talking
        if data.duration > start:
            spans.append(Span(speaker, start, data.duration))
    if not spans:
        for u in utterances:
            words = u.words or (Word(u.text, u.start, u.end),)
            start, end = words[0].start, words[0].end
            for w in words[1:]:
                if w.start - end > settings.word_gap_s:
                    spans.append(Span(u.speaker, start, end))
                    start = w.start
                end = max(end, w.end)
            spans.append(Span(u.speaker, start, end))
    spans = [s for s in spans if s.speaker in SIDES and s.end > s.start]
    spans.sort(key=lambda s: (s.start, s.end))
    return spans


def is_backchannel(span: Span, by_side: dict[str, list[Span]], settings: ReportSettings) -> bool:
    """Short speech inside the other side's speech, or in a pause they talk straight through."""
    if span.duration >= settings.backchannel_max_s:
        return False
    others = by_side.get("prospect" if span.speaker == "rep" else "rep", [])
    longest = max((o.duration for o in others), default=0.0)
    starts = [o.start for o in others]
    lo = bisect.bisect_left(starts, span.start - longest)
    hi = bisect.bisect_right(starts, span.end + settings.backchannel_resume_s)
    near = others[lo:hi]
    if any(o.start <= span.start and o.end >= span.end for o in near):
        return True
    before = any(span.start - settings.backchannel_resume_s <= o.end <= span.end for o in near)
    after = any(span.start <= o.start <= span.end + settings.backchannel_resume_s for o in near)
    return before and after


def turns_from(spans: list[Span], settings: ReportSettings) -> list[Span]:
    """Who held the floor: spans merged until the other side speaks (backchannels aside)."""
    by_side: dict[str, list[Span]] = {}
    for s in spans:
        by_side.setdefault(s.speaker, []).append(s)
    turns: list[Span] = []
    for s in spans:
        if is_backchannel(s, by_side, settings):
            continue
        if turns and turns[-1].speaker == s.speaker:
            turns[-1] = Span(s.speaker, turns[-1].start, max(turns[-1].end, s.end))
        else:
            turns.append(s)
    return turns


def _question_count(text: str) -> int:
    return len(re.findall(r"\?+", text))


def _ends_with_question(turn: Span, words: list[Word], starts: list[float], tail_s: float) -> bool:
    """Whether the turn's last words (``words`` of its side, in start order) hold a question mark."""
    lo = bisect.bisect_left(starts, turn.start - tail_s)
    hi = bisect.bisect_right(starts, turn.end + tail_s)
    inside = [w for w in words[lo:hi] if w.end <= turn.end + tail_s]
    if not inside:
        return False
    tail = [w for w in inside if w.end >= inside[-1].end - tail_s]
    return "?" in words_text(tail)


def replies_from(turns: list[Span], utterances: list[Utterance], settings: ReportSettings) -> list[Reply]:
    rep_words = sorted((w for u in utterances if u.speaker == "rep" for w in _words_of(u)), key=lambda w: w.start)
    starts = [w.start for w in rep_words]
    out = []
    for a, b in zip(turns, turns[1:]):
        if a.speaker == "rep" and b.speaker == "prospect":
            asked = _ends_with_question(a, rep_words, starts, settings.question_tail_s)
            out.append(Reply(a.end, b.start - a.end, asked))
    return out


def _words_of(u: Utterance) -> tuple[Word, ...]:
    """The line's words; a line logged without word times counts as one word at its end."""
    return u.words or (Word(u.text, u.end, u.end),)


def share_curve(spans: list[Span], duration: float, settings: ReportSettings) -> list[SharePoint]:
    """The rep's share of talk in a rolling window, sampled across the call."""
    if duration <= 0:
        return []
    n = max(2, settings.share_points)
    window = settings.share_window_s
    points = []
    for k in range(n + 1):
        t = duration * k / n
        lo = t - window
        talk = {"rep": 0.0, "prospect": 0.0}
        for s in spans:
            if s.start >= t:
                break
            if s.end > lo:
                talk[s.speaker] += min(s.end, t) - max(s.start, lo)
        total = talk["rep"] + talk["prospect"]
        points.append(SharePoint(t, talk["rep"] / total if total >= settings.share_min_talk_s else None))
    return points


def _nearest_before(utterances: list[Utterance], speaker: str, t: float) -> Utterance | None:
    best = None
    for u in utterances:
        if u.speaker == speaker and u.start <= t:
            best = u
    return best


def _rep_reply(utterances: list[Utterance], t: float) -> Utterance | None:
    """The rep's lines after ``t`` up to the prospect's next line, as one."""
    lines: list[Utterance] = []
    for u in utterances:
        if u.start < t:
            continue
        if u.speaker != "rep":
            if lines:
                break
            continue
        lines.append(u)
    if not lines:
        return None
    return Utterance("rep", lines[0].start, lines[-1].end, " ".join(u.text for u in lines),
                     tuple(w for u in lines for w in u.words))


def cue_entries(data: SessionData, utterances: list[Utterance]) -> list[CueEntry]:
    out = []
    for number, outcome in enumerate(data.cue_outcomes(), 1):
        cue = outcome.cue
        at = cue.anchor if cue.anchor is not None else cue.t
        trigger = _nearest_before(utterances, cue.speaker, at + 0.25) if cue.speaker in SIDES else None
        rep_next = _rep_reply(utterances, cue.t)
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


def summarise(data: SessionData, settings: ReportSettings = ReportSettings()) -> CallSummary:
    utterances = utterances_from(data.committed, settings.utterance_gap_s)
    spans = speech_spans(data, utterances, settings)
    turns = turns_from(spans, settings)
    talk = {side: sum(s.duration for s in spans if s.speaker == side) for side in SIDES}
    total = sum(talk.values())
    sides = {}
    for side in SIDES:
        own_turns = [t for t in turns if t.speaker == side]
        text = " ".join(u.text for u in utterances if u.speaker == side)
        sides[side] = SideStats(
            speaker=side,
            talk_s=talk[side],
            share=talk[side] / total if total > 0 else 0.0,
            turns=len(own_turns),
            longest_turn=max(own_turns, key=lambda t: t.duration, default=None),
            questions=_question_count(text),
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
        replies=tuple(replies_from(turns, utterances, settings)),
        utterances=tuple(utterances),
        cues=tuple(cue_entries(data, utterances)),
        share_curve=tuple(share_curve(spans, data.duration, settings)),
        share_window_s=settings.share_window_s,
        monologue_warn_s=signals[-1].monologue_warn_s if signals else settings.monologue_warn_s,
        rep_share_high=settings.rep_share_high,
        notices=data.notices + tuple(session_notes(data)),
        truncated=data.truncated,
    )
