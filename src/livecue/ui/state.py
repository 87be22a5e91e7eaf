"""What the overlay shows, kept apart from Textual so it can be tested plainly.

The UI thread feeds every pipeline event into ``OverlayState.feed``; widgets
read the state when they redraw.  Time here is audio time (call seconds, the
latest the overlay has heard of), never the wall clock, so the same events
always draw the same screen: replays, paused replays and snapshots agree.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from ..audio_facts import clock_hms
from ..config import OverlaySettings  # noqa: F401  (the [overlay] section; defined with the other settings)
from ..events import (
    ChannelStatus,
    Committed,
    Cue,
    Event,
    Feedback,
    Lag,
    Level,
    Notice,
    Progress,
    SessionEnded,
    SessionStarted,
    Signals,
    SpeechEnded,
    SpeechStarted,
    Tentative,
    join_text,
    words_text,
)


clock_text = clock_hms  # ``mm:ss`` of call time (``h:mm:ss`` past an hour)


# --- the transcript -------------------------------------------------------------


@dataclass
class TranscriptEntry:
    """One transcript entry: a side's turn, or a notice line (speaker ``call``)."""

    id: int
    speaker: str
    start: float
    committed: str = ""
    tentative: str = ""
    tentative_words: tuple = ()
    closed: bool = False
    notice_level: str = ""  # set for notice lines
    version: int = 0

    @property
    def is_notice(self) -> bool:
        return bool(self.notice_level)


class Transcript:
    """Two interleaved sides in time order; each side's tail is tentative until committed.

    A side keeps one open entry that grows as words commit.  When the other
    side has spoken since that entry began, new words start a new entry below
    it, so the screen reads in call order even when both talk at once.
    """

    def __init__(self, max_entries: int = 400) -> None:
        self.entries: list[TranscriptEntry] = []
        self.max_entries = max_entries
        self._open: dict[str, TranscriptEntry] = {}
        self._next_id = 0

    def _new(self, speaker: str, start: float, **kw) -> TranscriptEntry:
        entry = TranscriptEntry(self._next_id, speaker, start, **kw)
        self._next_id += 1
        self.entries.append(entry)
        if len(self.entries) > self.max_entries:
            drop = self.entries.pop(0)
            if self._open.get(drop.speaker) is drop:
                del self._open[drop.speaker]
        return entry

    def _close(self, entry: TranscriptEntry) -> None:
        entry.closed = True
        if entry.tentative:
            entry.tentative, entry.tentative_words = "", ()
        entry.version += 1
        if self._open.get(entry.speaker) is entry:
            del self._open[entry.speaker]
        if not entry.committed and not entry.is_notice:
            self.entries.remove(entry)

    def _entry_for(self, speaker: str, start: float) -> TranscriptEntry:
        entry = self._open.get(speaker)
        if entry is not None:
            index = len(self.entries) - 1
            while index >= 0 and self.entries[index] is not entry:
                index -= 1
            interrupted = any(
                e.start <= start and not e.is_notice for e in self.entries[index + 1 :]
            )
            if index < 0 or interrupted:
                self._close(entry)
                entry = None
        if entry is None:
            entry = self._new(speaker, start)
            self._open[speaker] = entry
        return entry

    def commit(self, event: Committed) -> None:
        text = event.text.strip() or words_text(event.words)
        entry = self._open.get(event.speaker)
        if text:
            entry = self._entry_for(event.speaker, event.start)
            entry.committed = join_text([entry.committed, text])
            # tentative words the commit now covers are gone; later ones stay
            keep = tuple(w for w in entry.tentative_words if w.start >= event.t - 0.02)
            entry.tentative_words = keep
            entry.tentative = words_text(keep)
            entry.version += 1
        if event.final and entry is not None:
            self._close(entry)

    def tentative(self, event: Tentative) -> None:
        text = words_text(event.words) if event.words else event.text.strip()
        if not text:
            entry = self._open.get(event.speaker)
            if entry is not None:
                entry.tentative, entry.tentative_words = "", ()
                entry.version += 1
                if not entry.committed:
                    self._close(entry)
            return
        start = event.words[0].start if event.words else event.t
        entry = self._entry_for(event.speaker, start)
        entry.tentative, entry.tentative_words = text, tuple(event.words)
        entry.version += 1

    def break_turns(self) -> None:
        """End every open turn (the audio jumped); their tentative tails go."""
        for entry in list(self._open.values()):
            self._close(entry)

    def notice(self, t: float, level: str, message: str) -> None:
        self._new("call", t, committed=message, closed=True, notice_level=level or "info")

    def text_of(self, speaker: str) -> str:
        """Everything one side has said so far (committed and tentative), for tests and checks."""
        parts = []
        for e in self.entries:
            if e.speaker == speaker and not e.is_notice:
                parts += [e.committed, e.tentative]
        return " ".join(p for p in parts if p)


# --- cue cards --------------------------------------------------------------------


@dataclass
class Card:
    cue: Cue
    mark: str = ""  # "" until the rep marks it helpful


class CardDeck:
    """One card on show; the highest priority wins (the newest among equals); others queue.

    Snoozed plays are dropped on arrival for the snooze time (audio seconds),
    and cards nobody handled leave after ``card_expire_s``.
    """

    def __init__(self, settings: OverlaySettings) -> None:
        self.settings = settings
        self.current: Card | None = None
        self.queue: list[Card] = []
        self.snoozed_until: dict[str, float] = {}

    @staticmethod
    def _rank(card: Card) -> tuple[int, float]:
        return (card.cue.priority, card.cue.t)

    def _promote(self, cards: list[Card]) -> None:
        cards.sort(key=self._rank, reverse=True)
        self.current = cards[0] if cards else None
        self.queue = cards[1:]

    def add(self, cue: Cue, now: float) -> bool:
        """Take a fired cue; True when it is now the card on show."""
        if now < self.snoozed_until.get(cue.cue, float("-inf")):
            return False
        cards = [c for c in self.queue if c.cue.cue != cue.cue]
        if self.current is not None and self.current.cue.cue != cue.cue:
            cards.append(self.current)
        new = Card(cue)
        cards.append(new)
        self._promote(cards)
        return self.current is new

    def _take_current(self) -> Card | None:
        card = self.current
        self._promote(list(self.queue))
        return card

    def dismiss(self) -> Card | None:
        return self._take_current()

    def mark_wrong(self) -> Card | None:
        return self._take_current()

    def mark_helpful(self) -> Card | None:
        if self.current is not None:
            self.current.mark = "helpful"
        return self.current

    def snooze(self, now: float) -> Card | None:
        card = self.current
        if card is None:
            return None
        self.snoozed_until[card.cue.cue] = now + self.settings.snooze_s
        self._promote([c for c in self.queue if c.cue.cue != card.cue.cue])
        return card

    def expire(self, now: float) -> bool:
        """Drop stale cards; True if the card on show changed."""
        before = self.current
        shown = [before] if before is not None and now - before.cue.t <= self.settings.card_expire_s else []
        waiting = [c for c in self.queue if now - c.cue.t <= self.settings.queued_expire_s]
        if len(shown) + len(waiting) == len(self.queue) + (before is not None):
            return False
        self._promote(shown + waiting)
        return self.current is not before


# --- meters and status ------------------------------------------------------------------


@dataclass
class SideMeter:
    levels: deque = field(default_factory=deque)  # recent rms_db values
    speaking: bool = False
    lag_s: float | None = None
    channel_state: str = "ok"
    channel_detail: str = ""


@dataclass
class Status:
    source: str = ""
    model: str = ""
    mode: str = ""  # replay | live, empty until the session starts
    duration: float | None = None
    progress: float | None = None  # 0..1 in --fast replays (Progress events)
    paused: bool = False
    stopping: bool = False
    ended: str = ""  # the SessionEnded reason once the session is over
    warnings: int = 0  # notices of level warning or error (input or rule-file problems)
    last_warning: str = ""


class OverlayState:
    """Everything on screen, fed one event at a time; ``feed`` says which parts changed."""

    def __init__(self, settings: OverlaySettings | None = None) -> None:
        self.settings = settings or OverlaySettings()
        self.now = 0.0
        self.transcript = Transcript(self.settings.max_utterances)
        self.deck = CardDeck(self.settings)
        self.signals: Signals | None = None
        self.sides: dict[str, SideMeter] = {"rep": SideMeter(), "prospect": SideMeter()}
        self.latencies: deque = deque(maxlen=self.settings.latency_history)
        self.status = Status()
        self.events_seen = 0
        self.cards_shown = 0  # cards that reached the screen (for the bell and flash)
        self._clock_reset = False

    def note_seek(self) -> None:
        """A seek breaks the stream: close open turns, and take the next clock reading as is.

        (The source reports where it landed with a Notice of its own.)
        """
        self._clock_reset = True
        self.transcript.break_turns()

    def _side(self, speaker: str) -> SideMeter:
        return self.sides.setdefault(speaker, SideMeter())

    def _advance(self, t: float, clock_event: bool) -> None:
        if self._clock_reset and clock_event:
            self.now, self._clock_reset = t, False
        elif t > self.now:
            self.now = t

    def feed(self, event: Event) -> set[str]:
        self.events_seen += 1
        clock_event = isinstance(event, (Level, Progress))
        self._advance(event.t, clock_event)
        dirty = {"clock"}
        if isinstance(event, Tentative):
            self.transcript.tentative(event)
            dirty.add("transcript")
        elif isinstance(event, Committed):
            self.transcript.commit(event)
            dirty.add("transcript")
        elif isinstance(event, Cue):
            if self.deck.add(event, self.now):
                self.cards_shown += 1
            dirty.add("card")
        elif isinstance(event, Level):
            side = self._side(event.speaker)
            side.levels.append(event.rms_db)
            while len(side.levels) > self.settings.level_history:
                side.levels.popleft()
            side.speaking = event.speaking
            dirty.add("meters")
        elif isinstance(event, (SpeechStarted, SpeechEnded)):
            self._side(event.speaker).speaking = isinstance(event, SpeechStarted)
            dirty.add("meters")
        elif isinstance(event, Lag):
            self._side(event.speaker).lag_s = event.lag_s
            dirty.add("meters")
        elif isinstance(event, Signals):
            previous = self.signals.response_latency_s if self.signals else None
            if event.response_latency_s is not None and event.response_latency_s != previous:
                self.latencies.append(event.response_latency_s)
            self.signals = event
            dirty.add("meters")
        elif isinstance(event, ChannelStatus):
            side = self._side(event.speaker)
            side.channel_state, side.channel_detail = event.state, event.detail
            dirty.add("meters")
        elif isinstance(event, Progress):
            if event.duration > 0:
                self.status.progress = min(1.0, event.t / event.duration)
                self.status.duration = event.duration
            dirty.add("status")
        elif isinstance(event, SessionStarted):
            self.status.source, self.status.model = event.source, event.model
            self.status.mode, self.status.duration = event.mode, event.duration
            dirty.add("status")
        elif isinstance(event, SessionEnded):
            self.status.ended = event.reason or "ended"
            dirty.add("status")
        elif isinstance(event, Notice):
            self.transcript.notice(event.t, event.level, event.message)
            if event.level in ("warning", "error"):
                self.status.warnings += 1
                self.status.last_warning = event.message
            dirty |= {"transcript", "status"}
        elif isinstance(event, Feedback):
            pass  # our own marks coming back through the pipeline; already applied
        if self.deck.expire(self.now):
            dirty.add("card")
        return dirty

    # --- derived figures for the meters ---

    def monologue_state(self) -> str:
        """``ok``, ``warn`` (amber) or ``alert`` (red) by the rules' thresholds."""
        s = self.signals
        if s is None or not s.monologue_speaker:
            return "ok"
        if s.monologue_s >= s.monologue_alert_s:
            return "alert"
        if s.monologue_s >= s.monologue_warn_s:
            return "warn"
        return "ok"

    def latency_trend(self) -> float:
        """Last prospect response latency minus the mean of the earlier ones (s); 0 if too few."""
        if len(self.latencies) < 2:
            return 0.0
        earlier = list(self.latencies)[:-1]
        return self.latencies[-1] - sum(earlier) / len(earlier)
