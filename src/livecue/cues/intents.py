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

The trigger's ``scoring`` picks how the score is read off the examples
(``SCORINGS``; docs/benchmarks.md "issue-11s" compares them on unseen calls):

- ``nearest`` (the default): the nearest example and the nearest near miss.
- ``top_k``: the mean similarity of the ``top_k`` nearest examples against
  the mean of the ``top_k`` nearest near misses: one odd example alone
  cannot make a clause mean the intent.
- ``classifier``: ``nearest``, and a logistic-regression classifier fit at
  load must give the clause a probability of at least ``min_confidence``:
  a veto on clauses that sit near one example but on the wrong side of what
  the examples share.  It reads the embedding and a hashed bag of the
  clause's words and word pairs (``word_features``: the embedding blurs "all
  set" and "all set on hardware", the word pairs do not) and the model's
  ``lexical`` view, the mean of the words' own input vectors before the
  encoder's context mixes them, and is fit on the
  examples against the near misses, the other intents' examples and
  ``NEUTRAL`` small talk, plus, where the trigger names ``learn_from``, the
  rows of a labelled utterance file (``read_utterances``).  The fit is
  cached on disk like the example embeddings: a second start reads it back.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..progress import checkpoint
from .embedding import Embedder, disk_cached, encode_examples, load_embedder, one_blas_thread
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


_OPENERS = frozenset(a[0] for a in _ASIDES + _ACKS)  # a clause starting with none of these has nothing to drop
_CLOSERS = frozenset(a[-1] for a in _ASIDES)


def without_asides(text: str) -> str:
    """The clause without asides at its start or end, and acknowledgements at its start (kept when
    too little would be left)."""
    words = text.split()
    changed = True
    while changed and words and (words[0] in _OPENERS or words[-1] in _CLOSERS):
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


@lru_cache(maxsize=16384)
def example_text(text: str) -> str:
    """An example or row as the clause it will be compared with (cached: seven fits read the same
    8,000 rows when they are fit)."""
    return without_asides(clause_text([t for w in text.split() for t in word_tokens(w)]))


SCORINGS = ("nearest", "top_k", "classifier")

# Ordinary things a prospect says on a sales call that mean none of the intents: with the near misses
# and the other intents' examples, the background a ``classifier`` intent is fit against.  Written for
# this purpose (not taken from any evaluation set).
NEUTRAL = (
    "we ship about two hundred orders a day",
    "we have three locations in the valley",
    "I run the front desk and the scheduling",
    "most of our customers are small businesses",
    "we do about forty jobs a week",
    "our busy season starts in March",
    "we use spreadsheets for most of it",
    "the warehouse is in the back",
    "how does the pricing work",
    "what does the setup look like",
    "can it connect to our accounting software",
    "how long does it take to get started",
    "yeah that makes sense",
    "okay go on",
    "right, I follow you",
    "sure, what do you need to know",
    "I've been here about six years",
    "we have twelve people in the office",
    "the drivers start at seven in the morning",
    "sorry, can you say that again",
    "the line is a bit bad here",
    "that's a good question",
    "we lost a couple of orders last month because of that",
    "honestly the invoicing takes forever",
    "the biggest headache is the paperwork",
    "we mostly sell online",
    "it's a family business, my dad started it",
    "we had a rough winter",
    "I'm the office manager",
    "our old system crashes a lot",
    "that would save us a lot of time",
    "tell me more about the reporting",
    "so what happens if a driver calls in sick",
    "we're in the middle of a busy week",
    "I think we spend about three grand a month on that",
    "the phones ring all day",
    "we're growing pretty fast this year",
    "good, thanks, how are you",
    "yes, this is she",
    "hello, who is this",
)

# The classifier's fit: L2 penalty on the weights (not the bias), and how much more a near miss
# weighs than a background sentence.  Chosen on the tune sets (docs/benchmarks.md, issue-11s and
# "issue-11v: the learned veto").
L2 = 0.3
NEAR_MISS_WEIGHT = 1.0
# Buckets of the hashed words and word pairs, next to the embedding's dimensions.
WORD_BUCKETS = 512
SHIPPED_FITS = "fits"  # the shipped rules' fits, in this folder of the rules (scripts/ship_fits.py)
_FIT_VERSION = "5"  # bump when the features or the fit change: cached fits of another version are not read


def word_features(texts: list[str], buckets: int = WORD_BUCKETS) -> np.ndarray:
    """Each text's words and word pairs hashed into ``buckets`` (unit-length rows, float32).

    The sentence embedding places "we're all set" next to "we're all set on
    hardware"; the pair "set on" is explicit evidence a classifier can
    weigh.  crc32, not ``hash``: the same buckets in every process, so a
    cached fit stays valid.
    """
    out = np.zeros((len(texts), buckets), dtype=np.float32)
    for i, text in enumerate(texts):
        words = text.split()
        for gram in words + [f"{a} {b}" for a, b in zip(words, words[1:])]:
            out[i, zlib.crc32(gram.encode("utf-8")) % buckets] = 1.0
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.maximum(norms, 1e-9)


@dataclass(frozen=True)
class Utterance:
    label: str
    context: str  # what came just before (opener, pitch, second, question, close): for benches, not the fit
    text: str
    line: int


_READ: dict[tuple[str, int, int], tuple[tuple[Utterance, ...], list[tuple[int, str]]]] = {}


def read_utterances(path: Path) -> tuple[tuple[Utterance, ...], list[tuple[int, str]]]:
    """A labelled utterance file: ``LABEL<TAB>CONTEXT<TAB>TEXT`` per line, ``#`` comments and blank
    lines skipped.  Returns the rows and the (line, message) problems of the rest.

    Read once per version of the file (every trigger that learns from it asks)."""
    try:
        st = path.stat()
    except OSError:
        return _read_utterances(path)
    key = (str(path.resolve()), st.st_mtime_ns, st.st_size)
    if key not in _READ:
        if len(_READ) > 8:
            _READ.clear()
        _READ[key] = _read_utterances(path)
    rows, problems = _READ[key]
    return rows, list(problems)


def _read_utterances(path: Path) -> tuple[tuple[Utterance, ...], list[tuple[int, str]]]:
    rows: list[Utterance] = []
    problems: list[tuple[int, str]] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        return (), [(0, f"cannot read the utterance file: {getattr(exc, 'strerror', None) or exc}")]
    for number, raw in enumerate(lines, 1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        parts = raw.split("\t")
        if len(parts) != 3 or not all(p.strip() for p in parts):
            problems.append((number, "expected LABEL<TAB>CONTEXT<TAB>TEXT"))
            continue
        rows.append(Utterance(parts[0].strip(), parts[1].strip(), parts[2].strip(), number))
    return tuple(rows), problems


@dataclass(frozen=True)
class Score:
    similarity: float  # to the nearest example that means the intent (top_k: mean of the k nearest)
    example: str  # the nearest example, as written in the rule file (or the row that voted: triggers._voted)
    near_miss: float  # similarity to the nearest near miss (top_k: mean of the k nearest; -1 when none)
    confidence: float = 1.0  # the classifier's probability that the clause means the intent (1 without one)
    row_similarity: float = -1.0  # to the nearest utterance row, where its ``neighbours`` all have the labels
    row: str = ""  # that row (the trigger decides whether it counts: triggers._voted)

    def means(self, threshold: float, margin: float, min_confidence: float = 0.0) -> bool:
        return (self.similarity >= threshold and self.similarity - self.near_miss >= margin
                and self.confidence >= min_confidence)


def _top_mean(sims: np.ndarray, k: int) -> np.ndarray:
    """Each row's mean of its k highest values (of all of them where a row has fewer)."""
    k = max(1, min(k, sims.shape[1]))
    if k == 1:
        return sims.max(axis=1)
    return np.sort(sims, axis=1)[:, -k:].mean(axis=1)


def fit_logistic(pos: np.ndarray, neg: np.ndarray, neg_weight: np.ndarray, l2: float = L2) -> tuple[np.ndarray, float]:
    """Weights and bias of an L2-penalised logistic regression, positives against weighted negatives.

    The two classes weigh the same in total (positives equally, negatives by
    ``neg_weight``).  Newton steps from zero: deterministic, and a few
    hundred rows of 384 dims converge in under ten steps (milliseconds).
    An utterance file's thousands of rows of 1,281 features hold one float64
    copy (85 MB for 8,300 rows), not three: the Hessian is summed a block of
    rows at a time (``_weighted_gram``), and a fit called off (``progress.stoppable``)
    stops at its next block rather than seconds later.
    """
    n_pos, n = len(pos), len(pos) + len(neg)
    xb = np.empty((n, pos.shape[1] + 1))  # the features and a constant column for the bias, as float64
    xb[:n_pos, :-1] = pos
    xb[n_pos:, :-1] = neg
    xb[:, -1] = 1.0
    y = np.concatenate([np.ones(n_pos), np.zeros(len(neg))])
    c = np.concatenate([np.full(n_pos, 1.0 / max(n_pos, 1)),
                        np.asarray(neg_weight, dtype=np.float64) / max(float(np.sum(neg_weight)), 1e-12)])
    c *= n / 2.0
    reg = np.full(xb.shape[1], l2)
    reg[-1] = 0.0
    w = np.zeros(xb.shape[1])
    for _ in range(50):
        checkpoint()
        p = 1.0 / (1.0 + np.exp(-(xb @ w)))
        grad = xb.T @ (c * (p - y)) + reg * w
        hess = _weighted_gram(xb, c * p * (1.0 - p)) + np.diag(reg + 1e-9)
        step = np.linalg.solve(hess, grad)
        w -= step
        if float(np.abs(step).max()) < 1e-7:
            break
    return w[:-1].astype(np.float32), float(w[-1])


def _weighted_gram(x: np.ndarray, weights: np.ndarray, block: int = 1024) -> np.ndarray:
    """``x.T @ diag(weights) @ x`` (``weights`` >= 0), a block of rows at a time: no copy of the
    whole of ``x``, and each block's ``s.T @ s`` is the symmetric product BLAS does in half the work."""
    out = np.zeros((x.shape[1], x.shape[1]))
    root = np.sqrt(weights)
    for lo in range(0, len(x), block):
        checkpoint()
        s = x[lo:lo + block] * root[lo:lo + block, None]
        out += s.T @ s
    return out


@dataclass(frozen=True)
class Neighbours:
    """A trigger's vote of the utterance file's rows (``neighbours``, ``neighbour_similarity``).

    The classifier weighs every row at once, and an example must be near;
    a clause whose ``count`` nearest rows all carry the trigger's labels is
    worded like what other writers meant by it, even where no example and
    no sure classifier says so ("issue-11ak" in docs/benchmarks.md).  The
    score then carries the nearest row; the trigger decides whether it
    counts (``triggers._voted``).  ``table``: every row's text, in file
    order (one table of vectors per file, shared by its triggers).
    """

    count: int
    table: tuple[str, ...]


class RowTable:
    """The vectors of an utterance file's rows, and each clause's similarity to all of them.

    Embedding thousands of rows costs most of a minute, so the table is
    cached on disk like a fit (``scripts/ship_fits.py`` ships the shipped
    file's), stored as float16: the vote only ranks rows.  A turn's clauses
    are scored by every trigger that votes: the similarities of the last
    few texts are kept, so each text meets the table once.
    """

    _KEEP = 64  # texts whose similarities are kept (a turn's clauses, for every trigger)

    def __init__(self, embedder: Embedder, texts: tuple[str, ...]) -> None:
        from .rules import shipped_rules_dir  # here: rules imports the trigger kinds, which import this

        read = [example_text(t) for t in texts]
        self.index = {t: i for i, t in enumerate(texts)}
        vecs = disk_cached("rows", [f"{embedder.cache_id}-rows", _ROWS_VERSION, *read],
                           lambda: encode_rows(embedder, read).astype(np.float16), (len(read), embedder.dim),
                           shipped=shipped_rules_dir() / SHIPPED_FITS, dtype=np.float32)
        self.vecs = np.asarray(vecs, dtype=np.float32)
        self._sims: dict[str, np.ndarray] = {}

    def similarities(self, texts: list[str], vecs: np.ndarray) -> np.ndarray:
        """texts x rows cosine similarities (``vecs``: the texts' unit vectors)."""
        todo = [i for i, t in enumerate(texts) if t not in self._sims]
        if todo and len(self._sims) + len(todo) > self._KEEP:
            self._sims.clear()  # and every text is scored anew
            todo = list(range(len(texts)))
        fresh: dict[str, np.ndarray] = {}
        if todo:
            found = vecs[todo] @ self.vecs.T
            for row, i in enumerate(todo):
                fresh[texts[i]] = found[row]
                if vecs[i].any():  # not a dry run's zero row (Embedder.noting): the real run must score the text
                    self._sims[texts[i]] = found[row]
        return np.stack([fresh[t] if t in fresh else self._sims[t] for t in texts])


def encode_rows(embedder: Embedder, texts: list[str]) -> np.ndarray:
    """The rows' vectors, read from the list a classifier's fit embeds (``Intent._fit``: every row of
    the file, sorted, cached on disk), so after an edit of the file its thousands of rows go through a
    model once for both (``scripts/probe_writers.py`` swaps in its own memory of them)."""
    uniq = sorted(set(texts))
    at = {t: i for i, t in enumerate(uniq)}
    return encode_examples(embedder, uniq)[[at[t] for t in texts]]


_ROWS_VERSION = "1"  # bump when the row vectors change meaning: cached tables of another version are not read
_TABLES: dict[tuple, RowTable] = {}


def row_table(embedder: Embedder, texts: tuple[str, ...]) -> RowTable:
    key = (embedder.cache_id, texts)
    found = _TABLES.get(key)
    if found is None:
        if len(_TABLES) > 4:
            _TABLES.clear()
        found = _TABLES[key] = RowTable(embedder, texts)
    return found


class Intent:
    """The embedded examples of one intent trigger (and, for ``classifier``, its fit)."""

    def __init__(self, sounds_like: tuple[str, ...], not_like: tuple[str, ...], model: str,
                 scoring: str = "nearest", top_k: int = 3, background: tuple[str, ...] = (),
                 learned: tuple[tuple[str, ...], tuple[str, ...]] = ((), ()),
                 neighbours: Neighbours | None = None, classifier_model: str = "", lean: bool = False,
                 rows: tuple[str, ...] = ()) -> None:
        if scoring not in SCORINGS:
            raise ValueError(f"unknown intent scoring {scoring!r} (one of {', '.join(SCORINGS)})")
        self.embedder: Embedder = load_embedder(model)
        self.examples = sounds_like
        self.near_misses = not_like
        self.scoring = scoring
        self.top_k = top_k
        empty = np.zeros((0, self.embedder.dim), dtype=np.float32)
        self._pos = encode_examples(self.embedder, [example_text(t) for t in sounds_like])
        self._neg = encode_examples(self.embedder, [example_text(t) for t in not_like]) if not_like else empty
        self._w: np.ndarray | None = None
        self._b = 0.0
        # the embedding the classifier reads (the examples' similarities stay on ``model``'s); ``lean``: the
        # model loaded lean, for a fit asked only now and then (a second opinion)
        self._reads: Embedder = load_embedder(classifier_model, lean) if classifier_model else self.embedder
        if scoring == "classifier":
            self._w, self._b = self._fit(background, learned, rows)
        self._vote: tuple[Neighbours, RowTable, np.ndarray, np.ndarray, tuple[str, ...]] | None = None
        if neighbours is not None and neighbours.count and learned[0]:
            table = row_table(self.embedder, neighbours.table)
            pool = [t for t in dict.fromkeys(learned[0] + learned[1]) if t in table.index]
            wanted = set(learned[0])
            self._vote = (neighbours, table, np.array([table.index[t] for t in pool], dtype=np.int64),
                          np.array([t in wanted for t in pool]), tuple(pool))

    def _fit(self, background: tuple[str, ...], learned: tuple[tuple[str, ...], tuple[str, ...]],
             every_row: tuple[str, ...] = ()) -> tuple[np.ndarray, float]:
        """The classifier: the examples and the learned positives against the near misses (weighted
        ``NEAR_MISS_WEIGHT``), the background, ``NEUTRAL`` and the learned negatives.

        ``every_row``: every row of the utterance file, which is embedded as one list (one cache entry
        per model and file), whichever of them this trigger learns: triggers that leave out different
        labels then embed the thousands of rows once, not once each."""
        pos = list(dict.fromkeys(example_text(t) for t in self.examples + learned[0]))
        near = [example_text(t) for t in self.near_misses]
        rest = [example_text(t) for t in dict.fromkeys(background + NEUTRAL + learned[1])]
        taken = set(pos)
        near = [t for t in dict.fromkeys(near) if t not in taken]
        taken |= set(near)
        rest = [t for t in dict.fromkeys(rest) if t not in taken]
        weights = np.concatenate([np.full(len(near), NEAR_MISS_WEIGHT), np.ones(len(rest))])
        name = (self.embedder.cache_id if self._reads is self.embedder
                else f"{self.embedder.cache_id}+{self._reads.cache_id}")

        def fit() -> np.ndarray:
            texts = pos + near + rest
            # the utterance file's rows: one cache entry for every trigger that learns from it, not one each
            rows = {example_text(t) for t in learned[0] + learned[1]}
            shared = sorted(rows | {example_text(t) for t in every_row})
            in_shared = set(shared)
            own = [t for t in dict.fromkeys(texts) if t not in in_shared]
            table: dict[str, np.ndarray] = {}
            for group in (shared, own):
                if group:
                    table.update(zip(group, encode_examples(self._reads, group)))
            x = self._features(np.stack([table[t] for t in texts]), texts)
            w, b = fit_logistic(x[:len(pos)], x[len(pos):], weights, L2)
            return np.append(w, np.float32(b))

        from .rules import shipped_rules_dir  # here: rules imports the trigger kinds, which import this

        key = [f"{name}-fit", _FIT_VERSION, repr((L2, NEAR_MISS_WEIGHT, WORD_BUCKETS)), *pos, "", *near, "", *rest]
        wb = disk_cached("classifiers", key, fit, (self._reads.dim + WORD_BUCKETS + self.embedder.lexical_dim + 1,),
                         shipped=shipped_rules_dir() / SHIPPED_FITS)
        return wb[:-1].astype(np.float32), float(wb[-1])

    def _features(self, vecs: np.ndarray, texts: list[str]) -> np.ndarray:
        return np.concatenate([vecs, word_features(texts), self.embedder.lexical(texts)], axis=1)

    def score(self, texts: list[str]) -> list[Score]:
        if not texts:
            return []
        with one_blas_thread():  # a turn's few clauses: small products, on the loop's own thread
            return self._score(texts)

    def _score(self, texts: list[str]) -> list[Score]:
        read = [without_asides(t) for t in texts]
        vecs = self.embedder.encode(read)
        pos = vecs @ self._pos.T
        neg = vecs @ self._neg.T if len(self._neg) else None
        k = self.top_k if self.scoring == "top_k" else 1
        sim = _top_mean(pos, k)
        near = _top_mean(neg, k) if neg is not None else np.full(len(texts), -1.0)
        if self._w is not None:
            seen = vecs if self._reads is self.embedder else self._reads.encode(read)
            conf = 1.0 / (1.0 + np.exp(-(self._features(seen, read) @ self._w + self._b)))
        else:
            conf = np.ones(len(texts))
        best = np.argmax(pos, axis=1)
        out = [Score(float(sim[i]), self.examples[int(best[i])], float(near[i]), float(conf[i]))
               for i in range(len(texts))]
        return self._voted(read, vecs, out) if self._vote is not None else out

    def _voted(self, read: list[str], vecs: np.ndarray, scores: list[Score]) -> list[Score]:
        """Each clause whose ``count`` nearest rows all have the labels carries the nearest of them.

        Not a dry run's zero rows (``Embedder.noting``): every row and every example is 0 near them, so
        the vote could change nothing (``triggers._voted`` wants a row nearer than the examples), and each
        pass reads the whole table."""
        vote, table, columns, wanted, pool = self._vote
        k = min(vote.count, len(pool))
        live = [i for i in range(len(read)) if vecs[i].any()]
        if not live:
            return scores
        sims = table.similarities([read[i] for i in live], vecs[live])[:, columns]
        out = list(scores)
        for row, i in enumerate(live):
            top = np.argpartition(-sims[row], k - 1)[:k]
            j = int(top[np.argmax(sims[row, top])])
            if wanted[top].all():
                out[i] = replace(scores[i], row_similarity=float(sims[row, j]), row=pool[j])
        return out


_INTENTS: dict[tuple, Intent] = {}


def intent_for(sounds_like: tuple[str, ...], not_like: tuple[str, ...], model: str, scoring: str = "nearest",
               top_k: int = 3, background: tuple[str, ...] = (),
               learned: tuple[tuple[str, ...], tuple[str, ...]] = ((), ()),
               neighbours: Neighbours | None = None, classifier_model: str = "", lean: bool = False,
               rows: tuple[str, ...] = ()) -> Intent:
    """Embed (and fit) each distinct example list once per process (hot reloads and tune re-use them).

    ``background``: the other intents' examples; ``learned``: the positive and negative rows of the
    trigger's utterance file; both read only by ``classifier``; ``neighbours``: the rows' vote, if any;
    ``lean``: ``classifier_model`` loaded lean (``load_embedder``); ``rows``: every row of the
    utterance file (``Intent._fit`` embeds them as one list).
    """
    fits = scoring == "classifier"
    reads = classifier_model if fits and classifier_model != model else ""
    key = (sounds_like, not_like, model, scoring, top_k if scoring == "top_k" else 0,
           background if fits else (), learned if fits else ((), ()), neighbours if fits else None, reads,
           lean and bool(reads), rows if fits else ())
    found = _INTENTS.get(key)
    if found is None:
        if len(_INTENTS) > 128:
            _INTENTS.clear()
        found = _INTENTS[key] = Intent(sounds_like, not_like, model, scoring, top_k, key[5], key[6], key[7], reads,
                                       key[9], key[10])
    return found
