"""Running the cue stage on a written transcript instead of audio.

Rule examples, ``livecue eval --transcript`` and ``livecue tune`` all need
the events the core would have produced for a known conversation: per
utterance a speech start, a speech end and the final committed words, with
word times spread across the utterance by length.  Feeding them through the
real ``CueStage`` on a ``ManualClock`` keeps these runs honest: the same
code decides as in a live session.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from ..clock import ManualClock
from ..config import AsrSettings
from ..events import Committed, Cue, Event, SessionStarted, SpeechEnded, SpeechStarted, Word, words_text
from .profile import Profile
from .rules import LoadResult


@dataclass(frozen=True)
class ReferenceLine:
    """One line of a reference transcript (a labelled call, a rule example): who, when, what."""

    speaker: str
    start: float
    end: float
    text: str


def utterance_words(u: ReferenceLine) -> tuple[Word, ...]:
    """Words with times interpolated across the utterance by their length."""
    parts = u.text.split()
    if not parts:
        return ()
    weights = [len(p) + 1 for p in parts]
    scale = (u.end - u.start) / sum(weights)
    out = []
    t = u.start
    for part, weight in zip(parts, weights):
        end = t + weight * scale
        out.append(Word(part, round(t, 3), round(end - 0.02 * (end - t > 0.05), 3)))
        t = end
    return tuple(out)


_SAME_TIME_S = 1e-9  # a word that ends on a grid point's cut-off is ready there (floating-point sums miss it)


@dataclass(frozen=True)
class CommitSchedule:
    """When a streaming recogniser commits words: on a grid, each word some time after it was said.

    The defaults are the live pipeline's: a growing utterance is decoded every
    ``AsrSettings.min_update_s`` (0.4 s) and a word is committed a median 0.89 s
    after it ends (paced replay, docs/benchmarks.md "Committed-word latency").
    """

    grid_s: float = AsrSettings.min_update_s
    lag_s: float = 0.9


def utterance_events(utterances: Iterable[ReferenceLine], streamed: CommitSchedule | None = None
                     ) -> list[tuple[float, Event]]:
    """Speech start, speech end and the words of each utterance, in time order, each with when it arrives.

    By default each utterance's words arrive at once, final, when it ends (as ``replay --fast``
    decodes).  ``streamed`` commits them as they are said, as a live call does: at each grid point
    the words that ended ``lag_s`` before, the rest when the utterance ends.
    """
    timed: list[tuple[float, int, int, Event]] = []
    for n, u in enumerate(utterances):
        words = utterance_words(u)
        timed.append((u.start, 0, n, SpeechStarted(u.start, u.speaker)))
        timed.append((u.end, 1, n, SpeechEnded(u.end, u.speaker, u.start)))
        done = 0
        if streamed is not None and words:
            k = 1
            while u.start + k * streamed.grid_s < u.end:
                at = u.start + k * streamed.grid_s
                upto = done
                while upto < len(words) and words[upto].end <= at - streamed.lag_s + _SAME_TIME_S:
                    upto += 1
                if upto > done:
                    part = words[done:upto]
                    timed.append((at, 2, n, Committed(part[-1].end, u.speaker, words_text(part), part, False)))
                    done = upto
                k += 1
        if done < len(words):
            rest = words[done:]
            text = u.text if done == 0 else words_text(rest)
            timed.append((u.end, 2, n, Committed(u.end, u.speaker, text, rest, True)))
    timed.sort(key=lambda item: (item[0], item[1], item[2]))
    return [(item[0], item[3]) for item in timed]


def run_events(events: list[tuple[float, Event]], load: LoadResult, profile: Profile | None = None,
               end_t: float | None = None) -> list[Cue]:
    """Feed ``events`` (each with when it arrives) through a fresh cue stage; the cues it fired."""
    from .stage import CueStage

    clock = ManualClock()
    stage = CueStage(load, profile or Profile(), clock, None, signals_per_s=0)
    cues: list[Cue] = []
    stage.feed(SessionStarted(0.0))
    for at, event in events:
        if at > clock.now():
            clock.set(at)
        cues += [e for e in stage.feed(event) if isinstance(e, Cue)]
    end = max(clock.now(), end_t or 0.0) + 5.0
    clock.set(end)
    cues += [e for e in stage.close(end) if isinstance(e, Cue)]
    return cues


def check_example(load: LoadResult, rule_id: str, example, profile: Profile | None = None) -> str | None:
    """Run one rule example with every loaded rule; None if it holds, else why not.

    It must hold however the words come: each line whole at its end, and again
    committed as a live call commits them (``CommitSchedule``), where a rule that
    fires on a match may act on half a turn ("it's still a no from me" before
    "..., but talk to my partner").
    """
    whole = _check_example(load, rule_id, example, profile, None)
    if whole is not None:
        return whole
    streamed = _check_example(load, rule_id, example, profile, CommitSchedule())
    return None if streamed is None else f"{streamed} (with the words committed as a live call commits them)"


def _check_example(load: LoadResult, rule_id: str, example, profile: Profile | None,
                   streamed: CommitSchedule | None) -> str | None:
    utts = [ReferenceLine(line.speaker, line.start, line.end, line.text) for line in example.lines]
    end = max((u.end for u in utts), default=0.0)
    events = utterance_events(utts, streamed)
    fired = run_events(events, load, profile, end)
    cues = [c for c in fired if c.cue == rule_id]
    times = ", ".join(f"{c.t:.1f}" for c in cues) or "never"
    if example.expect == "silent":
        return None if not cues else f"expected no {rule_id} cue, fired at {times}"
    if not cues:
        others = ", ".join(f"{c.cue}@{c.t:.1f}" for c in fired)
        return f"expected a {rule_id} cue, none fired" + (f" (fired: {others})" if others else "")
    if example.count is not None and len(cues) != example.count:
        return f"expected {example.count} {rule_id} cue(s), fired {len(cues)} at {times}"
    if example.between is not None:
        lo, hi = example.between
        if not any(lo <= c.t <= hi for c in cues):
            return f"expected a {rule_id} cue between {lo:g} and {hi:g} s, fired at {times}"
    return None
