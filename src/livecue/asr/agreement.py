"""LocalAgreement-2: commit the words two consecutive hypotheses agree on.

After whisper_streaming's HypothesisBuffer (Macháček et al., 2023), written
afresh: a word is committed once the same word at the same place appears in
two decodes in a row; committed words are never revised; what is left is the
tentative tail.  Words from a new hypothesis that start before the committed
end, or repeat the committed tail at the boundary, are dropped so a trimmed
buffer never duplicates words.  Words from where a hypothesis looped (the
kept first occurrence of "thank you thank you thank you") are never
committed by agreement, only by the final decode: two interim decodes of a
growing buffer often loop alike at its end.

Stricter than LocalAgreement-2 where the settings say so (``[agreement]``):
a word must be agreed on by ``agree_decodes`` consecutive decodes, and, to be
committed that early, end ``edge_margin_s`` before the newest decode's audio
ends and have at least ``min_probability`` there; a word that fails those
two tests is committed once ``confirm_decodes`` consecutive decodes agree on
it.  A word held back holds every word after it (committed words stay in
order); the final decode commits them all.
"""

from __future__ import annotations

import math
import re

from ..config import AgreementSettings
from ..events import Word

SENTENCE_END = (".", "?", "!")

_PUNCT = re.compile(r"[^\w']+")


def norm(word: str) -> str:
    return _PUNCT.sub("", word.lower())


class HypothesisBuffer:
    def __init__(self, committed_end: float = 0.0, max_ngram: int | None = None,
                 settings: AgreementSettings | None = None) -> None:
        self.s = settings or AgreementSettings()
        self.committed_end = committed_end
        self.max_ngram = self.s.max_ngram if max_ngram is None else max_ngram
        self.committed_tail: list[Word] = []  # recent committed words, for boundary dedupe
        self.prev: list[Word] = []  # last hypothesis beyond the committed words
        self.prev_runs: list[int] = []  # per word of prev: consecutive decodes that had it there
        self.new: list[Word] = []
        self.new_audio_end = math.inf  # where the audio of the newest decode ended
        self.prev_loop_from: float | None = None  # where the previous hypothesis looped
        self.new_loop_from: float | None = None

    def insert(self, words: list[Word] | tuple[Word, ...], allow_repeat: bool = False,
               loop_from: float | None = None, audio_end: float = math.inf) -> None:
        """A new hypothesis with absolute times.

        ``allow_repeat``: a hypothesis that is nothing but the committed tail
        is kept (the caller knows it is new speech: "zero" ... "zero").
        ``loop_from``: the hypothesis looped from this time on (its words
        there are the loop's kept first occurrence).
        ``audio_end``: call time where the decoded audio ended (``edge_margin_s``).
        """
        self.new_loop_from = loop_from
        self.new_audio_end = audio_end
        fresh = [w for w in words if w.start > self.committed_end - self.s.committed_overlap_s and norm(w.word)]
        if (fresh and self.committed_tail
                and abs(fresh[0].start - self.committed_tail[-1].end) < self.s.boundary_gap_s):
            tail = [norm(w.word) for w in self.committed_tail]
            for n in range(min(self.max_ngram, len(tail), len(fresh)), 0, -1):
                if tail[-n:] == [norm(w.word) for w in fresh[:n]]:
                    if not (allow_repeat and n == len(fresh)):
                        fresh = fresh[n:]
                    break
        self.new = fresh

    def flush(self) -> list[Word]:
        """Commit the longest common prefix of the previous and the new hypothesis that the rule allows."""
        holds = [t for t in (self.prev_loop_from, self.new_loop_from) if t is not None]
        hold = min(holds) - 0.01 if holds else math.inf
        agreed = 0
        while (agreed < min(len(self.new), len(self.prev))
               and norm(self.new[agreed].word) == norm(self.prev[agreed].word)):
            agreed += 1
        runs = [r + 1 for r in self.prev_runs[:agreed]]
        take = 0
        while (take < agreed and self._may_commit(self.new[take], self.prev[take], runs[take], hold)
               and not (take == len(self.new) - 1 and self.new[take].word.rstrip().endswith(SENTENCE_END))):
            # a sentence end on the newest decode's last word is Whisper's guess at where the
            # audio stopped ("a couple of opportunities." + "after this call"): the word waits for
            # a decode that heard past it (or the final one), so a false stop never splits a clause
            take += 1
        commit = self.new[:take]
        if len(self.new) > agreed or agreed == len(self.prev) or self.new_loop_from is not None:
            self.prev = self.new[take:]
            self.prev_runs = runs[take:] + [1] * (len(self.new) - agreed)
            self.prev_loop_from = self.new_loop_from
        else:
            # the new hypothesis stopped early, inside the previous one (tiny.en
            # sometimes ends a decode before the audio does): the previous one's rest
            # stays the reference, so the next decode can still agree with it
            self.prev = self.new[take:agreed] + self.prev[agreed:]
            self.prev_runs = runs[take:] + self.prev_runs[agreed:]
        self.new, self.new_loop_from = [], None
        self._mark(commit)
        return commit

    def _may_commit(self, new: Word, prev: Word, runs: int, hold: float) -> bool:
        if new.start >= hold or prev.start >= hold or runs < self.s.agree_decodes:
            return False
        early = new.end <= self.new_audio_end - self.s.edge_margin_s and new.probability >= self.s.min_probability
        return early or (self.s.confirm_decodes > 0 and runs >= self.s.confirm_decodes)

    def commit_all(self) -> list[Word]:
        """Final decode: everything in the newest hypothesis is committed."""
        words = self.new or self.prev
        self.new, self.prev, self.prev_runs = [], [], []
        self.prev_loop_from = self.new_loop_from = None
        self._mark(words)
        return words

    def commit_until(self, t: float) -> list[Word]:
        """Force-commit tentative words ending by ``t`` (the buffer hit its cap)."""
        source = self.new or self.prev
        words = [w for w in source if w.end <= t]
        rest = [w for w in source if w.end > t]
        self.new, self.prev, self.prev_runs = [], rest, [1] * len(rest)
        self._mark(words)
        return words

    def _mark(self, words: list[Word]) -> None:
        if words:
            self.committed_end = max(self.committed_end, words[-1].end)
            self.committed_tail = (self.committed_tail + list(words))[-self.max_ngram:]

    @property
    def tentative(self) -> list[Word]:
        return list(self.prev)
