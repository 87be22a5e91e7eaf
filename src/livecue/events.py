"""Typed events that flow between livecue's stages.

Every stage talks to the next through these small frozen dataclasses (never
tuples or loose dicts), and every event carries the audio time ``t`` in call
seconds (0 = the moment the call clock started).  Events that belong to one
side of the call also carry the ``speaker``, one of ``audio_facts.SPEAKERS``
(the ``Speaker`` vocabulary; the fields stay annotated ``str`` because the
session-log reader checks crafted logs against these annotations).

The JSON shape of each event (``to_json``) is the public ``--json`` stream and
the session log format, so field names here are part of livecue's interface.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .audio_facts import CALL_SIDES, SAMPLE_RATE_HZ, SPEAKERS, Speaker  # noqa: F401  (re-exported)


def _round(x: Any) -> Any:
    if isinstance(x, float):
        return round(x, 3)
    return x


@dataclass(frozen=True)
class Word:
    """One recognised word with its audio times in call seconds."""

    word: str
    start: float
    end: float
    probability: float = 1.0

    def to_json(self) -> dict[str, Any]:
        return {"word": self.word, "start": round(self.start, 3), "end": round(self.end, 3)}


# a word that starts with one of these continues the word before it: Whisper
# splits "9.30", "M-A-I-N", "ma'am" into "9" ".30", "M" "-A" ..., "ma" "'am"
JOINS_PREVIOUS = ".,;:!?%'’-–—)]}…"


def joins_previous(word: str) -> bool:
    return word[:1] in JOINS_PREVIOUS


def join_text(tokens) -> str:
    """Tokens as text: a token that continues the previous one is glued on."""
    out = ""
    for tok in tokens:
        tok = tok.strip()
        if not tok:
            continue
        out = out + tok if out and joins_previous(tok) else f"{out} {tok}" if out else tok
    return out


def join_split_words(words) -> list[Word]:
    """Merge every word that continues the previous one into it (times span both)."""
    out: list[Word] = []
    for w in words:
        text = w.word.strip()
        if not text:
            continue
        if out and joins_previous(text):
            prev = out[-1]
            out[-1] = Word(prev.word + text, prev.start, max(prev.end, w.end), min(prev.probability, w.probability))
        else:
            out.append(w if w.word == text else Word(text, w.start, w.end, w.probability))
    return out


def words_text(words: tuple[Word, ...] | list[Word]) -> str:
    return join_text(w.word for w in words)


@dataclass(frozen=True)
class Event:
    """Base of every event: ``t`` is audio time in call seconds."""

    type: ClassVar[str] = "event"
    t: float

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, tuple) and value and isinstance(value[0], Word):
                out[f.name] = [w.to_json() for w in value]
            elif isinstance(value, tuple):
                out[f.name] = list(value)
            elif isinstance(value, dict):
                out[f.name] = dict(value)
            else:
                out[f.name] = _round(value)
        return out


# --- session lifecycle -------------------------------------------------------


@dataclass(frozen=True)
class SessionStarted(Event):
    """Printed at the moment the call clock starts (audio time 0)."""

    type: ClassVar[str] = "started"
    t: float = 0.0
    source: str = ""
    model: str = ""
    speakers: tuple[str, ...] = CALL_SIDES
    mode: str = "replay"  # replay | live
    duration: float | None = None  # known for files, None for live


@dataclass(frozen=True)
class SessionEnded(Event):
    type: ClassVar[str] = "ended"
    reason: str = "end of input"  # end of input | stopped | duration | error


@dataclass(frozen=True)
class Notice(Event):
    """Something the user should see once (a limitation, a dropped buffer)."""

    type: ClassVar[str] = "notice"
    level: str = "info"  # info | warning | error
    message: str = ""


@dataclass(frozen=True)
class Progress(Event):
    """How far a file replay is; for progress bars in --fast mode."""

    type: ClassVar[str] = "progress"
    duration: float = 0.0


# --- per-side audio and speech ----------------------------------------------


@dataclass(frozen=True)
class AudioChunk:
    """16 kHz (``SAMPLE_RATE_HZ``) mono float32 samples of one side, starting at audio time ``t``.

    Not an Event (never printed): it is the source's output.  ``samples`` is a
    numpy array; frozen means the dataclass, not the buffer.
    """

    speaker: str
    t: float
    samples: Any  # np.ndarray[float32]

    @property
    def duration(self) -> float:
        return len(self.samples) / SAMPLE_RATE_HZ


@dataclass(frozen=True)
class SpeechStarted(Event):
    type: ClassVar[str] = "speech_start"
    speaker: str = "rep"


@dataclass(frozen=True)
class SpeechEnded(Event):
    type: ClassVar[str] = "speech_end"
    speaker: str = "rep"
    start: float = 0.0  # when this stretch of speech began


@dataclass(frozen=True)
class Level(Event):
    """Input level of one side, a few times a second, for the meters."""

    type: ClassVar[str] = "level"
    speaker: str = "rep"
    rms_db: float = -120.0
    speaking: bool = False


@dataclass(frozen=True)
class ChannelStatus(Event):
    """A side's capture state changed (live capture: lost, reopened, overflow)."""

    type: ClassVar[str] = "status"
    speaker: str = "rep"
    state: str = "ok"  # ok | lost | reopened | overflow | dropped
    detail: str = ""
    overflows: int = 0


# --- transcription ------------------------------------------------------------


@dataclass(frozen=True)
class Tentative(Event):
    """The uncommitted tail of one side's hypothesis; replaces the previous one.

    An empty ``words`` clears the tail.  ``t`` is the audio time the hypothesis
    covers up to.
    """

    type: ClassVar[str] = "tentative"
    speaker: str = "rep"
    text: str = ""
    words: tuple[Word, ...] = ()


@dataclass(frozen=True)
class Committed(Event):
    """Words of one side that will never be revised.  ``t`` = last word's end."""

    type: ClassVar[str] = "committed"
    speaker: str = "rep"
    text: str = ""
    words: tuple[Word, ...] = ()
    final: bool = False  # True when this closes an utterance (speaker paused)

    @property
    def start(self) -> float:
        return self.words[0].start if self.words else self.t


@dataclass(frozen=True)
class UtteranceEnded(Event):
    """The final decode of one side's utterance ran: no more words will come for it.

    Emitted after every final decode, also when it found no words (then no
    ``Committed`` follows), so a stage can close the stretch at once instead
    of waiting.  ``t`` is the utterance's end in audio time.
    """

    type: ClassVar[str] = "utterance_end"
    speaker: str = "rep"


@dataclass(frozen=True)
class Lag(Event):
    """How far the committed text is behind the audio clock, per side."""

    type: ClassVar[str] = "lag"
    speaker: str = "rep"
    lag_s: float = 0.0
    decode_s: float = 0.0  # wall seconds the last decode took


# --- conversation signals and cues -------------------------------------------


@dataclass(frozen=True)
class Signals(Event):
    """Snapshot of the conversation metrics (for meters and cue rules)."""

    type: ClassVar[str] = "signals"
    talk_s: dict = field(default_factory=dict)  # speaker -> seconds in window
    rep_share: float = 0.5  # rep talk share over the rolling window, 0..1
    window_s: float = 120.0
    monologue_speaker: str = ""
    monologue_s: float = 0.0
    clipped_streak: int = 0
    prospect_answer_words: float = 0.0  # recent mean words per prospect answer
    prospect_answer_trend: float = 0.0  # words/answer change, recent vs earlier
    response_latency_s: float | None = None  # last prospect latency after a rep question
    backchannels: int = 0
    questions: dict = field(default_factory=dict)  # speaker -> count
    overlap_s: float = 0.0
    monologue_warn_s: float = 45.0  # meter turns amber (from the rules)
    monologue_alert_s: float = 90.0  # meter turns red (from the rules)


@dataclass(frozen=True)
class Cue(Event):
    """A coaching prompt.  JSON: {"type":"cue","cue","t","title","why","script"}."""

    type: ClassVar[str] = "cue"
    cue: str = ""
    title: str = ""
    why: str = ""
    script: tuple[str, ...] = ()
    priority: int = 0
    variant: str = ""
    speaker: str = "prospect"  # whose words triggered it
    anchor: float | None = None  # audio time of the evidence's end


@dataclass(frozen=True)
class Feedback(Event):
    """The rep's reaction to a card: helpful | wrong | dismissed | snoozed."""

    type: ClassVar[str] = "feedback"
    cue: str = ""
    mark: str = "helpful"
    cue_t: float = 0.0  # the fired cue's time, to join with it
    snooze_s: float = 0.0


EVENT_TYPES: dict[str, type[Event]] = {
    cls.type: cls
    for cls in (
        SessionStarted,
        SessionEnded,
        Notice,
        Progress,
        SpeechStarted,
        SpeechEnded,
        Level,
        ChannelStatus,
        Tentative,
        Committed,
        UtteranceEnded,
        Lag,
        Signals,
        Cue,
        Feedback,
    )
}


def _float(value: Any) -> float:
    """A JSON number as a float; an integer past the float range (JSON allows 400 digits) as inf, which the
    log reader's checks refuse like any other infinite time."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


@functools.cache
def _field_names(cls: type) -> frozenset[str]:
    return frozenset(f.name for f in dataclasses.fields(cls))


def event_from_json(obj: dict[str, Any]) -> Event:
    """Inverse of ``Event.to_json`` (for session logs and tests)."""
    kind = obj.get("type")
    cls = EVENT_TYPES.get(kind)  # type: ignore[arg-type]
    if cls is None:
        raise ValueError(f"unknown event type {kind!r}")
    names = _field_names(cls)
    kwargs: dict[str, Any] = {}
    for key, value in obj.items():
        if key == "type" or key not in names:
            continue
        if key == "words":
            value = tuple(
                Word(w["word"], _float(w["start"]), _float(w["end"]), _float(w.get("probability", 1.0)))
                for w in value
            )
        elif isinstance(value, list):
            value = tuple(value)
        kwargs[key] = value
    kwargs.setdefault("t", 0.0)
    return cls(**kwargs)
