"""Conversation signals, kept up to date from the core's events.

The tracker turns the per-side stream (speech start/end from the VAD,
tentative and committed words from the recogniser) into segments (one
stretch of speech of one side) and turns (a side's consecutive segments),
and from them the numbers a coach watches: who talks how much, how long the
current monologue is, how short the prospect's answers have become, how long
they take to come.  Everything is incremental and keyed on audio time, so
the same events give the same signals live, in replay and in tests.
"""

from __future__ import annotations

from bisect import insort
from dataclasses import dataclass

from ..audio_facts import CALL_SIDES
from ..config import SignalSettings  # noqa: F401  (the [signals] section; defined with the other settings)
from ..events import Committed, Event, Signals, SpeechEnded, SpeechStarted, Tentative, UtteranceEnded, Word
from .match import count_words, normalise_words
from .questions import question_kind as _question_kind

# the events a side's speech arrives in; everything else leaves the tracker alone
SIDE_SPEECH = (SpeechStarted, SpeechEnded, UtteranceEnded, Tentative, Committed)

# Continuers that say "I'm listening", not "I'm engaged".  "amen": how the recogniser often writes a
# closed-mouth "mm" (and, when really said, an agreeing continuer); none of the 89 paced real-call runs holds it.
# "aye": the Scottish and northern English yes ("mm, aye": fresh tuned call G g3rs03)
BACKCHANNEL_WORDS = frozenset({"mhm", "hmm", "hm", "okay", "right", "yes", "sure", "oh", "all", "huh", "uh", "amen",
                               "aye"})
BACKCHANNEL_PHRASES = ("i am following", "i follow", "that makes sense", "makes sense", "i see", "got it",
                       "go on", "go ahead", "uh huh", "all right", "i hear you", "understood")


def is_backchannel(words: list[str] | tuple[str, ...]) -> bool:
    toks = normalise_words(words)
    if not toks.tokens:
        return False
    text = f" {toks.text} "
    for phrase in BACKCHANNEL_PHRASES:
        text = text.replace(f" {phrase} ", " ")
    return all(t in BACKCHANNEL_WORDS for t in text.split())


def question_kind(words: list[str] | tuple[str, ...]) -> str:
    """"open", "closed" or "": judged from the wording (see ``questions.py``)."""
    return _question_kind(words)


def is_question(words: list[str] | tuple[str, ...]) -> bool:
    return question_kind(words) != ""


def _short(answer: "Answer", max_words: int, max_s: float) -> bool:
    if answer.words == 0:
        return False
    if answer.words <= max_words:
        return True
    return answer.words <= max_words + 2 and answer.end - answer.start <= max_s


def is_clipped(answer: "Answer", max_words: int, max_s: float) -> bool:
    """A short answer: few words, or (misheard words aside) very little speech."""
    return not answer.question and _short(answer, max_words, max_s)


def is_short_question(answer: "Answer", max_words: int) -> bool:
    """A question back of at most ``max_words`` words ("Like what?", "Why?").

    Such a turn neither counts in a clipped streak nor ends it: the
    recogniser makes questions of curt answers it mishears ("uh, we notice"
    came out as "Are we naughty?"), and a one-word question back says too
    little to show the prospect has warmed up.  A longer one ("What does it
    cost?") is a real question and ends the streak, however quickly said.
    """
    return answer.question and 0 < answer.words <= max_words


def clipped_streak(answers: "list[Answer]", max_words: int, max_s: float, skip=None) -> "list[Answer]":
    """The clipped answers to the rep's questions since the last answer that was not short, newest first.

    Short questions back and answers ``skip`` says to leave out neither count nor end the streak.
    """
    streak: list[Answer] = []
    for answer in reversed(answers):
        if is_short_question(answer, max_words):
            continue
        if not is_clipped(answer, max_words, max_s):
            break
        if answer.after_question and answer.words and not (skip is not None and skip(answer)):
            streak.append(answer)
    return streak


class Segment:
    """One stretch of one side's speech and the words heard in it."""

    __slots__ = ("id", "speaker", "start", "end", "committed", "tentative", "speech_ended", "ended_at",
                 "decoded_at", "final", "in_timeline", "announced", "_bc")

    def __init__(self, seg_id: int, speaker: str, start: float) -> None:
        self.id = seg_id
        self.speaker = speaker
        self.start = start
        self.end = start
        self.committed: list[Word] = []
        self.tentative: list[Word] = []
        self.speech_ended = False
        self.ended_at = 0.0
        self.decoded_at: float | None = None  # when a decode after the speech ended reported in
        self.final = False
        self.in_timeline = False
        self.announced = False  # an "ended" update went out: the turn was judged before the final decode
        self._bc: bool | None = None

    @property
    def words(self) -> list[Word]:
        return self.committed + self.tentative

    @property
    def texts(self) -> list[str]:
        return [w.word for w in self.committed] + [w.word for w in self.tentative]

    @property
    def last_end(self) -> float:
        ends = [self.end]
        if self.committed:
            ends.append(self.committed[-1].end)
        if self.tentative:
            ends.append(self.tentative[-1].end)
        return max(ends)

    @property
    def backchannel(self) -> bool:
        if self.final and self._bc is not None:
            return self._bc
        value = is_backchannel(self.texts)
        if self.final:
            self._bc = value
        return value

    def __repr__(self) -> str:
        return f"Segment({self.id}, {self.speaker}, {self.start:.2f}-{self.last_end:.2f}, {' '.join(self.texts)!r})"


@dataclass(frozen=True)
class Answer:
    """A prospect turn as a reply to the rep's turn before it."""

    key: int  # id of the turn's first segment
    start: float
    end: float
    words: int
    question: bool
    backchannel: bool
    after_question: bool  # the rep's turn before it asked something
    after_open_question: bool  # ... something that cannot be answered with yes or no
    latency: float | None  # seconds from the rep's turn end to this answer
    text: str
    asked: str = ""  # the rep's turn it answers, as heard ("" when the prospect spoke first)


@dataclass(frozen=True)
class Update:
    """What changed: ``text`` (words of a segment), ``final`` (a segment closed), ``speech``, or
    ``ended``: the side stopped speaking and the words already heard (committed and tentative) reach
    the end of its speech, so the turn can be judged now, before the final decode closes the segment.
    """

    kind: str
    speaker: str
    segment: Segment


@dataclass
class _Interval:
    start: float
    end: float | None = None


class Tracker:
    """Segments, turns and answers of both sides, from the core's events (see the module docstring).

    ``feed(event, now)`` reads speech start/end, tentative and committed
    words and ``UtteranceEnded`` (the final decode ran, even without words);
    ``timeline`` holds the segments with words by start time and
    ``position(seg)`` says where one sits in it.
    """

    def __init__(self, settings: SignalSettings | None = None) -> None:
        self.s = settings or SignalSettings()
        self.reset()

    def reset(self) -> None:
        self.pending: dict[str, list[Segment]] = {s: [] for s in CALL_SIDES}
        self.timeline: list[Segment] = []  # segments with words, by start time
        self._order: list[tuple[float, int]] = []
        self.answers: list[Answer] = []
        self.intervals: dict[str, list[_Interval]] = {s: [] for s in CALL_SIDES}
        self.speaking: dict[str, bool] = {s: False for s in CALL_SIDES}
        self.vad_seen: dict[str, bool] = {s: False for s in CALL_SIDES}
        self.questions: dict[str, int] = {s: 0 for s in CALL_SIDES}
        self.backchannels = 0
        self.overlap_s = 0.0
        self._next_id = 0

    # --- input ---------------------------------------------------------------------------

    def feed(self, event: Event, now: float) -> list[Update]:
        if not isinstance(event, SIDE_SPEECH) or event.speaker not in CALL_SIDES:
            return []
        speaker = event.speaker
        if isinstance(event, SpeechStarted):
            self.vad_seen[speaker] = True
            self.speaking[speaker] = True
            self.intervals[speaker].append(_Interval(event.t))
            seg = self._new_segment(speaker, event.t)
            return [Update("speech", speaker, seg)]
        if isinstance(event, SpeechEnded):
            self.speaking[speaker] = False
            self._close_interval(speaker, event.t)
            for seg in self.pending[speaker]:
                if not seg.speech_ended:
                    seg.speech_ended = True
                    seg.end = max(seg.end, event.t)
                    seg.ended_at = now
                    return self._ended(seg)
            return []
        if isinstance(event, UtteranceEnded) or (isinstance(event, Tentative) and not event.words):
            # the final decode ran (or the tail was cleared): words it did not bring will not come
            for seg in self.pending[speaker]:
                if seg.speech_ended and seg.decoded_at is None:
                    seg.decoded_at = now
                break
            if isinstance(event, UtteranceEnded):
                return []
        if isinstance(event, Tentative):
            seg = self._current(speaker, event.words[0].start if event.words else event.t,
                                create=bool(event.words))
            if seg is None:
                return []
            words = [w for w in event.words if w.word.strip()]
            if [w.word for w in words] == [w.word for w in seg.tentative]:
                seg.tentative = words
                return []
            seg.tentative = words
            self._place(seg)
            if not seg.in_timeline:
                return []
            return self._ended(seg) or [Update("text", speaker, seg)]
        if isinstance(event, Committed):
            words = [w for w in event.words if w.word.strip()]
            seg = self._current(speaker, words[0].start if words else event.t, create=bool(words) or event.final)
            if seg is None:
                return []
            updates: list[Update] = []
            if words:
                seg.committed.extend(words)
                cut = words[-1].end - 0.05
                seg.tentative = [w for w in seg.tentative if w.start >= cut]
                seg.end = max(seg.end, words[-1].end)
                self._place(seg)
                updates += (self._ended(seg) if not event.final else []) or [Update("text", speaker, seg)]
            if event.final:
                seg.tentative = []
                updates += self._finalise(seg)
            return updates
        return []

    def tick(self, now: float) -> list[Update]:
        """Close segments whose final words never came (nothing new was heard)."""
        updates: list[Update] = []
        for side in CALL_SIDES:
            for seg in list(self.pending[side]):
                decoded = seg.decoded_at is not None and now - seg.decoded_at >= self.s.decoded_wait_s
                if seg.speech_ended and (decoded or now - seg.ended_at >= self.s.final_wait_s):
                    updates += self._finalise(seg)
        return updates

    def _ended(self, seg: Segment) -> list[Update]:
        """``ended``, once, when the side's speech is over and its words already reach the end.

        Only for the segment the recogniser is working on, and only when the
        last word heard (committed or tentative) ends within ``ended_cover_s``
        of the end of speech: then nothing but a short word can be missing,
        and the final decode rarely changes what was heard.  Otherwise the turn
        waits for the final decode, as before.
        """
        cover = self.s.ended_cover_s
        if (cover <= 0 or seg.announced or seg.final or not seg.speech_ended or not seg.in_timeline
                or not self.pending[seg.speaker] or self.pending[seg.speaker][0] is not seg):
            return []
        words = seg.words
        if not words or words[-1].end < seg.end - cover:
            return []
        seg.announced = True
        return [Update("ended", seg.speaker, seg)]

    def _new_segment(self, speaker: str, start: float) -> Segment:
        seg = Segment(self._next_id, speaker, start)
        self._next_id += 1
        self.pending[speaker].append(seg)
        return seg

    def _current(self, speaker: str, t: float, create: bool) -> Segment | None:
        """The segment the recogniser is working on: the oldest open one."""
        if self.pending[speaker]:
            return self.pending[speaker][0]
        if not create:
            return None
        return self._new_segment(speaker, t)

    def _place(self, seg: Segment) -> None:
        if seg.in_timeline or not (seg.committed or seg.tentative):
            return
        first = seg.words[0].start
        if not self.vad_seen[seg.speaker] or first < seg.start:
            seg.start = min(seg.start, first) if self.vad_seen[seg.speaker] else first
        seg.in_timeline = True
        key = (seg.start, seg.id)
        if not self._order or key > self._order[-1]:
            self._order.append(key)
            self.timeline.append(seg)
        else:
            insort(self._order, key)
            self.timeline.insert(self._order.index(key), seg)

    def _finalise(self, seg: Segment) -> list[Update]:
        if seg.final:
            return []
        seg.final = True
        if seg in self.pending[seg.speaker]:
            self.pending[seg.speaker].remove(seg)
        seg.end = max(seg.end, seg.last_end)
        if not self.vad_seen[seg.speaker] and seg.committed:
            self.intervals[seg.speaker].append(_Interval(seg.start, seg.end))
        if not seg.in_timeline:
            return []
        texts = seg.texts
        if is_question(texts):
            self.questions[seg.speaker] += 1
        if seg.speaker == "prospect":
            if seg.backchannel:
                self.backchannels += 1
            self._update_answer(seg)
        return [Update("final", seg.speaker, seg)]

    def _close_interval(self, speaker: str, t: float) -> None:
        for iv in reversed(self.intervals[speaker]):
            if iv.end is None:
                iv.end = max(t, iv.start)
                other = "prospect" if speaker == "rep" else "rep"
                for ov in reversed(self.intervals[other]):
                    if ov.end is None:
                        continue
                    if ov.end < iv.start:
                        break
                    self.overlap_s += max(0.0, min(iv.end, ov.end) - max(iv.start, ov.start))
                break

    # --- turns ------------------------------------------------------------------------------

    def position(self, seg: Segment) -> int:
        """Where ``seg`` sits in ``timeline`` (ordered by start time); ValueError if it is not there.

        Searched from the end: the segments a rule asks about are the recent ones.
        """
        for i in range(len(self.timeline) - 1, -1, -1):
            if self.timeline[i] is seg:
                return i
        raise ValueError("segment not in the timeline")

    def run_of(self, seg: Segment) -> list[Segment]:
        """The turn ``seg`` belongs to: its side's consecutive segments around it."""
        i = self.position(seg)
        lo = i
        while lo > 0 and self.timeline[lo - 1].speaker == seg.speaker:
            lo -= 1
        hi = i
        while hi + 1 < len(self.timeline) and self.timeline[hi + 1].speaker == seg.speaker:
            hi += 1
        return self.timeline[lo:hi + 1]

    def turn_of(self, seg: Segment, overlap_s: float = 0.3) -> list[Segment]:
        """``seg``'s run and the same side's runs before it that only the other side's backchannels,
        said over them, split off: a rep's "okay" in the middle of the prospect's sentence does
        not end the prospect's turn ("so it's not" / "okay" / "really a big deal").  A backchannel
        that starts more than ``overlap_s`` after their words stopped is a reply: the turn changed."""
        run = self.run_of(seg)
        while True:
            j = self.position(run[0]) - 1
            skipped = []
            while j >= 0 and self.timeline[j].speaker != seg.speaker and self.timeline[j].backchannel:
                skipped.append(self.timeline[j])
                j -= 1
            if not skipped or j < 0 or self.timeline[j].speaker != seg.speaker:
                return run  # nothing skipped, or the other side's backchannels end their own real turn
            before = self.run_of(self.timeline[j])
            if any(b.start > before[-1].last_end + overlap_s for b in skipped):
                return run
            run = before + run

    def run_before(self, run: list[Segment]) -> list[Segment]:
        i = self.position(run[0])
        if i == 0:
            return []
        return self.run_of(self.timeline[i - 1])

    def monologue_before(self, index: int, speaker: str = "rep",
                         through_backchannels: bool = True) -> tuple[float, float] | None:
        """(start, end) of ``speaker``'s floor ending before timeline[index].

        The other side's backchannels do not interrupt a monologue; anything
        else they say does (and, with ``through_backchannels=False``, so do
        they: the talk since the last "mm-hmm").
        """
        start = end = None
        for seg in reversed(self.timeline[:index]):
            if seg.speaker == speaker:
                start = seg.start
                if end is None:
                    end = seg.last_end
            elif not seg.backchannel or not through_backchannels:
                break
        return None if start is None else (start, end)

    def current_monologue(self, now: float) -> tuple[str, float]:
        """Who holds the floor now and for how long (0 when nobody does)."""
        for seg in reversed(self.timeline):
            if seg.backchannel and seg.speaker == "prospect":
                continue
            speaker = seg.speaker
            span = self.monologue_before(len(self.timeline), speaker)
            if span is None:
                return "", 0.0
            start, end = span
            if self.speaking.get(speaker):
                end = max(end, now)
            if now - end > self.s.floor_hold_s:
                return "", 0.0
            return speaker, max(0.0, end - start)
        return "", 0.0

    def _update_answer(self, seg: Segment) -> None:
        run = self.run_of(seg)
        texts = [t for s in run for t in s.texts]
        before = self.run_before(run)
        rep_texts = [t for s in before for t in s.texts]
        asked = question_kind(rep_texts) if before else ""
        after_question = asked != ""
        latency = (run[0].start - before[-1].last_end) if before else None
        answer = Answer(run[0].id, run[0].start, run[-1].end, count_words(texts), is_question(texts),
                        all(s.backchannel for s in run), after_question, asked == "open", latency, " ".join(texts),
                        " ".join(rep_texts))
        for i in range(len(self.answers) - 1, max(-1, len(self.answers) - 4), -1):
            if self.answers[i].key == answer.key:
                self.answers[i] = answer
                return
        self.answers.append(answer)

    # --- numbers for the meters -------------------------------------------------------------

    def talk(self, speaker: str, now: float, window_s: float) -> float:
        lo = now - window_s
        total = 0.0
        for iv in reversed(self.intervals[speaker]):
            end = now if iv.end is None else iv.end
            if end < lo:
                break
            total += max(0.0, min(end, now) - max(iv.start, lo))
        return total

    def snapshot(self, now: float, warn_s: float, alert_s: float) -> Signals:
        s = self.s
        talk = {side: round(self.talk(side, now, s.window_s), 2) for side in CALL_SIDES}
        total = talk["rep"] + talk["prospect"]
        speaker, mono = self.current_monologue(now)
        streak = len(clipped_streak(self.answers, s.clipped_max_words, s.clipped_max_s))
        sized = [a.words for a in self.answers if not (a.backchannel and not a.after_question)]
        n = s.trend_answers
        recent = sized[-n:]
        earlier = sized[-2 * n:-n]
        mean_recent = sum(recent) / len(recent) if recent else 0.0
        trend = (mean_recent - sum(earlier) / len(earlier)) if recent and earlier else 0.0
        latency = next((a.latency for a in reversed(self.answers) if a.after_question), None)
        return Signals(
            t=now, talk_s=talk, rep_share=round(talk["rep"] / total, 3) if total else 0.5,
            window_s=s.window_s, monologue_speaker=speaker, monologue_s=round(mono, 2),
            clipped_streak=streak, prospect_answer_words=round(mean_recent, 2),
            prospect_answer_trend=round(trend, 2),
            response_latency_s=None if latency is None else round(latency, 2),
            backchannels=self.backchannels, questions=dict(self.questions),
            overlap_s=round(self.overlap_s, 2), monologue_warn_s=warn_s, monologue_alert_s=alert_s)


__all__ = ["Answer", "SignalSettings", "Segment", "Tracker", "Update", "clipped_streak", "is_backchannel", "is_clipped",
           "is_question", "is_short_question"]
