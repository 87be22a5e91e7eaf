"""Intents: what a clause means, judged against example utterances.

A rule declares an intent by examples written in its file: utterances that
mean it (``sounds_like``) and near misses that must not count (``not_like``,
e.g. "we're all set on hardware" next to "we're all set").  At load the
examples are embedded once (the static model does a few hundred in a few
milliseconds, so nothing is cached on disk); a clause then scores the
cosine similarity of its nearest positive example.  It means the intent when
that score reaches the trigger's ``threshold`` and beats the nearest near
miss by ``margin``.  The nearest example is kept: the card's why says what
the clause sounded like.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .embedding import Embedder, encode_examples, load_embedder
from .clauses import clause_text
from .match import word_tokens

# Asides that frame a clause without changing what it says: "our system kind of does that already to
# be honest" means what "our system kind of does that already" means.  The recogniser often leaves out
# the comma that would have split them off as a clause of their own.
# Not "I guess" ("it's okay, I guess" is lukewarm where "it's okay" is not) nor "you know" ("you know
# where to find me" is a sign-off).
_ASIDES = (("to", "be", "honest"), ("to", "be", "fair"), ("if", "i", "am", "honest"), ("in", "all", "honesty"),
           ("i", "mean"), ("at", "the", "end", "of", "the", "day"))


# Acknowledgements that open a clause the recogniser ran on from the reply before ("okay no worries at
# all if anything ever changes I'm around", "sounds good then I'll check in at some point"): dropped at
# the start when at least three words are left (so "okay I guess" stays what it is).
_ACKS = (("no", "problem", "at", "all"), ("no", "worries", "at", "all"), ("no", "problem"), ("no", "worries"),
         ("sounds", "good", "then"), ("sounds", "good"), ("all", "right"), ("okay",), ("sure",), ("of", "course"),
         ("great",), ("perfect",), ("got", "it"), ("fair", "enough"), ("totally", "understand"),
         ("i", "understand"), ("understood",), ("that", "is", "fair"), ("yes",), ("cool",), ("awesome",),
         ("well",))


def without_asides(text: str) -> str:
    """The clause without asides at its start or end, and acknowledgements at its start (kept when
    too little would be left)."""
    words = text.split()
    changed = True
    while changed:
        changed = False
        for aside in _ASIDES:
            n = len(aside)
            if len(words) > n + 1 and tuple(words[-n:]) == aside:
                words, changed = words[:-n], True
            elif len(words) > n + 1 and tuple(words[:n]) == aside:
                words, changed = words[n:], True
        for ack in _ACKS:
            n = len(ack)
            if len(words) >= n + 3 and tuple(words[:n]) == ack:
                words, changed = words[n:], True
                break
    return " ".join(words)


def example_text(text: str) -> str:
    return without_asides(clause_text([t for w in text.split() for t in word_tokens(w)]))


@dataclass(frozen=True)
class Score:
    similarity: float  # to the nearest example that means the intent
    example: str  # that example, as written in the rule file
    near_miss: float  # similarity to the nearest near miss (-1 when there are none)

    def means(self, threshold: float, margin: float) -> bool:
        return self.similarity >= threshold and self.similarity - self.near_miss >= margin


class Intent:
    """The embedded examples of one intent trigger."""

    def __init__(self, sounds_like: tuple[str, ...], not_like: tuple[str, ...], model: str) -> None:
        self.embedder: Embedder = load_embedder(model)
        self.examples = sounds_like
        self.near_misses = not_like
        self._pos = encode_examples(self.embedder, [example_text(t) for t in sounds_like])
        self._neg = (encode_examples(self.embedder, [example_text(t) for t in not_like]) if not_like
                     else np.zeros((0, self.embedder.dim), dtype=np.float32))

    def score(self, texts: list[str]) -> list[Score]:
        if not texts:
            return []
        vecs = self.embedder.encode([without_asides(t) for t in texts])
        pos = vecs @ self._pos.T
        neg = vecs @ self._neg.T if len(self._neg) else None
        out = []
        for i in range(len(texts)):
            best = int(np.argmax(pos[i]))
            out.append(Score(float(pos[i, best]), self.examples[best],
                             float(neg[i].max()) if neg is not None else -1.0))
        return out


_INTENTS: dict[tuple, Intent] = {}


def intent_for(sounds_like: tuple[str, ...], not_like: tuple[str, ...], model: str) -> Intent:
    """Embed each distinct example list once per process (hot reloads and tune re-use them)."""
    key = (sounds_like, not_like, model)
    found = _INTENTS.get(key)
    if found is None:
        if len(_INTENTS) > 128:
            _INTENTS.clear()
        found = _INTENTS[key] = Intent(sounds_like, not_like, model)
    return found
