"""Text normalisation and tolerant phrase matching for cue rules.

Rule authors write phrases the way people talk ("we're good for now"); the
recogniser writes what it heard ("We're not for now.", "20 or so",
"mm-hmm").  Both sides go through the same normaliser (lower case, no
punctuation, contractions expanded, fillers dropped, number words as digits),
and a phrase may still match with one edit when it is long enough, so a
single misheard word does not hide the evidence.

Phrase syntax (one phrase = a sequence of tokens):

- ``word``          the word after normalisation (``we're`` = ``we are``)
- ``word*``         any word starting with ``word`` (``interest*``)
- ``(a|b c|)``      one of the alternatives; an empty one makes it optional
- ``(a|b)?``        the same, optional
- ``[a b|c]``       optional words (or optional alternatives)
- ``*``             exactly one word of any kind
- ``...``           up to three words of any kind
- ``@name``         one of the entries of the rule's ``[classes]`` table
- ``re:REGEX``      a raw regular expression over the normalised text

Rule files are user-edited, so no pattern may hang a session: a ``re:`` with
nested repetition (``(a+)+``, the classic catastrophic backtracking) is
refused at load, runs of wildcards become one bounded repetition, and every
search that could backtrack runs under a time budget (the ``regex`` engine's
timeout): phrases that can be tried in many ways from one start (``_paths``,
and ``pattern_cost`` for a ``re:``, where any open-ended repetition counts as
many); a phrase set that exceeds it raises ``MatchTooSlow`` and is switched
off.  Phrases of few ways run on ``re``, which compiles them three to four
times quicker.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import regex as _regex

from .pattern_cost import pattern_cost

# --- normalisation --------------------------------------------------------------

FILLERS = frozenset({"uh", "um", "umm", "uhm", "uhh", "er", "erm", "ah", "eh", "mmm"})
# Intensifiers that do not change what a phrase means; dropped only for matching.
HEDGES = frozenset({"really", "actually", "honestly", "basically", "totally", "literally",
                    "truly", "quite", "very", "definitely", "certainly", "frankly", "pretty", "fairly",
                    "super"})
NEGATIONS = frozenset({"not", "no", "never", "nothing", "none", "nobody", "nowhere", "without"})

_IRREGULAR = {
    "won't": "will not", "can't": "can not", "cannot": "can not", "shan't": "shall not",
    "ain't": "is not", "let's": "let us", "y'all": "you all", "gonna": "going to",
    "wanna": "want to", "gotta": "got to", "kinda": "kind of", "sorta": "sort of",
    "lemme": "let me", "gimme": "give me", "dunno": "do not know", "ok": "okay",
    "alright": "all right", "cuz": "because", "cos": "because", "'cause": "because",
    "yep": "yes", "yup": "yes", "yeah": "yes", "ya": "yes", "nope": "no", "nah": "no",
    "thanks": "thank you", "thx": "thank you", "e-mail": "email",
}
# Contractions as a recogniser prints them without the apostrophe ("dont", "weve"); "well", "wed", "id",
# "hell" and "shell" are words of their own and stay, and a bare "were" is read in context (resolve_bare_were).
_BARE = {
    "dont": "do not", "doesnt": "does not", "didnt": "did not", "cant": "can not", "couldnt": "could not",
    "wouldnt": "would not", "shouldnt": "should not", "isnt": "is not", "arent": "are not", "wasnt": "was not",
    "werent": "were not", "havent": "have not", "hasnt": "has not", "hadnt": "had not", "wont": "will not",
    "aint": "is not", "mustnt": "must not", "im": "i am", "ive": "i have", "ill": "i will", "youre": "you are",
    "youve": "you have", "youll": "you will", "youd": "you would", "theyre": "they are", "theyve": "they have",
    "theyll": "they will", "theyd": "they would", "weve": "we have", "hes": "he is", "shes": "she is",
    "thats": "that is", "theres": "there is", "whats": "what is", "heres": "here is", "whos": "who is",
    "wheres": "where is", "hows": "how is", "its": "it is", "lets": "let us", "itll": "it will",
    "thatll": "that will", "shouldve": "should have", "wouldve": "would have", "couldve": "could have",
}
_IS_BASES = frozenset({"it", "that", "there", "here", "what", "who", "where", "how", "he", "she",
                       "this", "when", "why", "everything", "nothing", "something", "everyone"})
_SUFFIXES = (("n't", " not"), ("'re", " are"), ("'m", " am"), ("'ve", " have"), ("'ll", " will"),
             ("'d", " would"))
_APOS = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})
_BACKCHANNEL_WORD = re.compile(r"^(?:m+-?h?m+|mhm+|uh-?huh|un-?huh|mm+-?hm+)$")
_PIECE = re.compile(r"[a-z0-9']+")
_DIGIT_COMMA = re.compile(r"(?<=\d),(?=\d{3})")

_UNITS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen".split())}
_TENS = {w: 10 * i for i, w in enumerate("_ _ twenty thirty forty fifty sixty seventy eighty ninety".split())
         if w != "_"}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000, "billion": 1_000_000_000}


@lru_cache(maxsize=65536)
def word_tokens(word: str) -> tuple[str, ...]:
    """Normalised tokens of one recognised word (cached: words repeat a lot)."""
    w = word.lower().translate(_APOS)
    w = _DIGIT_COMMA.sub("", w).replace("%", " percent ").replace("&", " and ")
    if _BACKCHANNEL_WORD.match(w.strip(" .,!?;:\"()")):
        return ("mhm",)
    out: list[str] = []
    for piece in _PIECE.findall(w.replace("-", " ").replace("/", " ")):
        piece = piece.strip("'")
        if not piece:
            continue
        if piece in _IRREGULAR:
            out.extend(_IRREGULAR[piece].split())
            continue
        if piece in _BARE:
            out.extend(_BARE[piece].split())
            continue
        for suffix, expansion in _SUFFIXES:
            if piece.endswith(suffix) and len(piece) > len(suffix):
                base = piece[: -len(suffix)]
                if suffix == "n't" and base in ("ca", "wo", "sha"):
                    base = {"ca": "can", "wo": "will", "sha": "shall"}[base]
                out.append(base)
                out.extend(expansion.split())
                break
        else:
            if piece.endswith("'s"):
                base = piece[:-2]
                out.append(base)
                if base in _IS_BASES:
                    out.append("is")
            elif piece.endswith("k") and piece[:-1].isdigit():
                out.append(str(int(piece[:-1]) * 1000))
            else:
                out.append(piece.replace("'", ""))
    return tuple(t for t in out if t)



def _numbers(tokens: list[str], origin: list[int]) -> tuple[list[str], list[int]]:
    """Number words to digits ("one hundred eighty thousand" -> "180000")."""
    out: list[str] = []
    out_origin: list[int] = []
    i = 0
    n = len(tokens)
    while i < n:
        tok = tokens[i]
        if tok not in _UNITS and tok not in _TENS:
            out.append(tok)
            out_origin.append(origin[i])
            i += 1
            continue
        total = 0
        current = 0
        j = i
        while j < n:
            t = tokens[j]
            if t in _UNITS:
                if current % 10 or (current and current < 10):
                    break  # "two three": two numbers
                current += _UNITS[t]
            elif t in _TENS:
                if current % 100:
                    break
                current += _TENS[t]
            elif t in _SCALES and j > i:
                scale = _SCALES[t]
                if scale == 100:
                    current = (current or 1) * 100
                else:
                    total += (current or 1) * scale
                    current = 0
            else:
                break
            j += 1
        out.append(str(total + current))
        out_origin.append(origin[i])
        i = j
    return out, out_origin


@dataclass(frozen=True)
class Tokens:
    """A normalised view of some words: ``text`` is the tokens joined by spaces."""

    tokens: tuple[str, ...]
    origin: tuple[int, ...]  # index of the source word of each token
    text: str
    offsets: tuple[int, ...]  # char offset of each token in ``text``

    def token_at(self, char: int) -> int:
        """Index of the token that starts at or covers ``char``."""
        lo, hi = 0, len(self.offsets) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.offsets[mid] <= char:
                lo = mid
            else:
                hi = mid - 1
        return lo


# "were" printed for "we're": at the start of a statement ("were all set", "no were good", "thanks were happy
# with them") it can only be "we are"; after a subject ("they were", "the machines were") or before one
# ("were you", "were there") it is the past tense and stays.
_WERE_AFTER = frozenset({"yes", "no", "oh", "well", "so", "but", "and", "because", "you", "um", "uh", "look", "okay",
                         "right", "sure", "honestly", "actually", "now", "though", "also", "still", "then", "think",
                         "guess", "mean", "if", "since", "thank", "listen", "like", "hey", "hi", "ah", "mhm", "us", "me",
                         "them", "him", "her", "today", "anyway", "something", "anything", "nothing",
                         "cheers", "nah", "yeah", "yep", "nope", "sorry", "mate", "ta"})
_WERE_BEFORE = frozenset({"you", "they", "there", "we", "the", "your", "those", "these", "any", "he", "she", "it",
                          "i", "to"})  # "if anything were to happen": the subjunctive


def resolve_bare_were(words: list[str] | tuple[str, ...], toks: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """``toks`` (each word's tokens) with a bare "were" that stands for "we're" read as "we are"."""
    out = list(toks)
    for i, word in enumerate(words):
        if out[i] != ("were",) or "'" in word:
            continue
        prev = next((t[-1] for t in reversed(out[:i]) if t), "")
        starts = not prev or (i > 0 and words[i - 1].rstrip()[-1:] in ".,!?;:")
        nxt = next((t[0] for t in out[i + 1:] if t), "")
        if prev == "you" and not ((i > 1 and out[i - 2][-1:] == ("thank",)) or out[i - 1][-2:] == ("thank", "you")):
            continue  # "you were right": only "thank you were fine" is a we
        if (starts or prev in _WERE_AFTER) and nxt not in _WERE_BEFORE:
            out[i] = ("we", "are")
    return out


def normalise_words(words: list[str] | tuple[str, ...], *, drop_hedges: bool = True) -> Tokens:
    """The words' normalised tokens (cached: a turn is read by every rule, and again as it closes)."""
    return _normalised(tuple(words), drop_hedges)


@lru_cache(maxsize=4096)  # about 3 MB when full
def _normalised(words: tuple[str, ...], drop_hedges: bool) -> Tokens:
    tokens: list[str] = []
    origin: list[int] = []
    per_word = [word_tokens(word) for word in words]
    if any(t == ("were",) for t in per_word):
        per_word = resolve_bare_were(words, per_word)
    for index, word_toks in enumerate(per_word):
        for tok in word_toks:
            if tok in FILLERS or (drop_hedges and tok in HEDGES):
                continue
            tokens.append(tok)
            origin.append(index)
    tokens, origin = _numbers(tokens, origin)
    offsets: list[int] = []
    pos = 0
    for tok in tokens:
        offsets.append(pos)
        pos += len(tok) + 1
    return Tokens(tuple(tokens), tuple(origin), " ".join(tokens), tuple(offsets))


def normalise(text: str, *, drop_hedges: bool = True) -> str:
    return normalise_words(text.split(), drop_hedges=drop_hedges).text


def count_words(words: list[str] | tuple[str, ...]) -> int:
    """Words as a listener counts them: fillers do not count, "we're" is one."""
    n = 0
    for word in words:
        toks = word_tokens(word)
        if toks and not all(t in FILLERS for t in toks):
            n += 1
    return n


# --- phrase compilation -----------------------------------------------------------


class PhraseError(ValueError):
    """A phrase that cannot be compiled; the message says why."""


MATCH_BUDGET_S = 0.5  # one search of one turn; normal searches take well under a millisecond


class MatchTooSlow(RuntimeError):
    """A phrase set's search ran past ``MATCH_BUDGET_S``; the set is switched off."""


# a parsed phrase is a list of slots; a slot is ("lit", token) | ("pre", prefix) |
# ("any", None) | ("gap", None) | ("alt", [list of slot lists])
Slot = tuple


def _split_top(text: str) -> list[str]:
    """Split on spaces outside brackets."""
    parts: list[str] = []
    depth = 0
    current = ""
    for ch in text:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
            if depth < 0:
                raise PhraseError("unbalanced ')' or ']'")
        if ch.isspace() and depth == 0:
            if current:
                parts.append(current)
            current = ""
        else:
            current += ch
    if depth != 0:
        raise PhraseError("unbalanced '(' or '['")
    if current:
        parts.append(current)
    return parts


def _split_alts(text: str) -> list[str]:
    alts: list[str] = []
    depth = 0
    current = ""
    for ch in text:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if ch == "|" and depth == 0:
            alts.append(current)
            current = ""
        else:
            current += ch
    alts.append(current)
    return alts


def parse_phrase(text: str, classes: dict[str, tuple[str, ...]], _depth: int = 0) -> list[Slot]:
    if _depth > 4:
        raise PhraseError("classes or brackets nested too deeply")
    slots: list[Slot] = []
    for part in _split_top(text.strip()):
        optional = part.endswith(")?") and part.startswith("(") and _balanced_outer(part[:-1])
        if optional or (part.startswith("(") and part.endswith(")") and _balanced_outer(part)):
            body = part[1:-2] if optional else part[1:-1]
            alts = [parse_phrase(a, classes, _depth + 1) for a in _split_alts(body)]
            slots.append(("alt", alts + [[]] if optional else alts))
        elif part.startswith("[") and part.endswith("]") and _balanced_outer(part):
            alts = [parse_phrase(a, classes, _depth + 1) for a in _split_alts(part[1:-1])]
            slots.append(("alt", alts + [[]]))
        elif part == "*":
            slots.append(("any", None))
        elif part == "...":
            slots.append(("gap", None))
        elif part.startswith("@"):
            name = part[1:]
            if name not in classes:
                raise PhraseError(f"unknown class '@{name}'")
            slots.append(("alt", [parse_phrase(entry, classes, _depth + 1) for entry in classes[name]]))
        elif part.endswith("*") and len(part) > 1:
            stem = word_tokens(part[:-1])
            if len(stem) != 1:
                raise PhraseError(f"'{part}': a prefix must be one plain word")
            slots.append(("pre", stem[0]))
        else:
            if any(ch in part for ch in "()[]|*@"):
                raise PhraseError(f"cannot read '{part}' (brackets must surround whole words)")
            for tok in normalise_words([part]).tokens:
                slots.append(("lit", tok))
    return slots


def _balanced_outer(part: str) -> bool:
    """True when the first bracket closes at the very end: "(a b)" not "(a)(b)"."""
    depth = 0
    for i, ch in enumerate(part):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
            if depth == 0 and i != len(part) - 1:
                return False
    return True


def _slots_regex(slots: list[Slot]) -> str:
    """Regex over the normalised text; each token is followed by one space."""
    out = []
    run = [0, 0]  # a run of wildcards: exact words ("*"), optional words ("..." = up to 3)

    def close_run() -> None:
        # one bounded repetition for the whole run: "... ... ..." cannot backtrack in 4**3 ways
        if run[0] or run[1]:
            lo, hi = run[0], run[0] + 3 * run[1]
            out.append(r"(?:[a-z0-9]+ )" + (f"{{{lo}}}" if lo == hi else f"{{{lo},{hi}}}?"))
        run[:] = [0, 0]

    for kind, value in slots:
        if kind in ("any", "gap"):
            run[0 if kind == "any" else 1] += 1
            continue
        close_run()
        if kind == "lit":
            out.append(re.escape(value) + " ")
        elif kind == "pre":
            out.append(re.escape(value) + r"[a-z0-9]* ")
        else:
            out.append("(?:" + "|".join(_slots_regex(a) for a in value) + ")")
    close_run()
    return "".join(out)


_MAX_EXPANSIONS = 400


class _TooMany(Exception):
    pass


def _expand(slots: list[Slot], limit: int = _MAX_EXPANSIONS) -> list[list[Slot]]:
    """Concrete slot sequences (alternatives multiplied out), for fuzzy matching.

    Raises _TooMany past ``limit``: such a phrase is matched exactly only.
    """
    seqs: list[list[Slot]] = [[]]
    run: list[Slot] = []  # plain slots since the last alternative, added to every sequence at once
    for slot in slots:
        if slot[0] == "alt":
            if run:
                seqs, run = [s + run for s in seqs], []
            options: list[list[Slot]] = []
            for alt in slot[1]:
                options.extend(_expand(alt, limit))
            seqs = [s + o for s in seqs for o in options]
            if len(seqs) > limit:
                raise _TooMany()
        else:
            run.append(slot)
    return [s + run for s in seqs] if run else seqs


_MAX_CHECKED = 5000  # expansions of one phrase that `_literal_sets` lists and the load checks


def _literal_sets(slots: list[Slot]) -> list[list[str]] | None:
    """Each expansion's words, "*" for a wildcard; None when there are too many."""
    try:
        return [[v if k in ("lit", "pre") else "*" for k, v in seq] for seq in _expand(slots, _MAX_CHECKED)]
    except _TooMany:
        return None


def _shape_of(slots: list[Slot]) -> tuple[int, int, set[int]]:
    """(expansions, most words in one, token counts an expansion of only STOPWORDS can have: 3 = more)."""
    count, most = 1, 0
    lengths = {0}
    for kind, value in slots:
        if kind == "alt":
            shapes = [_shape_of(alt) for alt in value]
            count = min(count * sum(c for c, _, _ in shapes), _MAX_CHECKED + 1)
            most += max((m for _, m, _ in shapes), default=0)
            options = set().union(*(o for _, _, o in shapes))
        elif kind in ("lit", "pre"):
            most += 1
            options = {1} if value in STOPWORDS else set()
        else:
            options = {1}
        lengths = {min(a + b, 3) for a in lengths for b in options}
    return count, most, lengths


_RE_PATHS = 256  # ways one start can be tried (alternatives x wildcard counts) up to which a phrase needs no time budget
_RE_STEPS = _RE_PATHS * 64  # ... and for a "re:", its ways times the characters one match can span ("[a-z ]{1000}")
# a "re:" that joins the others on ``re`` only without inline flags or named groups (``(?i)`` must open a pattern, a group
# "p0" is the set's own; ``(?i)`` also lets a letter match letters the count does not know), nor sets that ``regex``
# reads otherwise ("[[:alpha:]]" is any letter there, three characters to ``re``)
_REGEX_ONLY = re.compile(r"\(\?[a-zA-Z]|\[\[|\[:")


def _paths(slots: list[Slot]) -> int:
    """How many ways the regex of ``slots`` can go on from one start, capped past ``_RE_PATHS``: a run of
    wildcards multiplies by the word counts it allows; an alternative group by the most ways of the
    alternatives that open on one literal word (at most one word matches the next token), summed within
    that word, plus the ways of the alternatives that open otherwise (optional, a wildcard, a word start).
    A backtracking search follows at most this many paths from each start; gaps between optional words and
    ambiguous alternatives ("... [so] ... [so] ...", "(so|so so) (so|so so)...") grow it exponentially."""
    total, run = 1, [0, 0]
    for kind, value in list(slots) + [("lit", "")]:
        if kind in ("any", "gap"):
            run[0 if kind == "any" else 1] += 1
            continue
        total *= 3 * run[1] + 1  # a run of "..." takes 0 to 3 words each: one bounded repeat
        run = [0, 0]
        if kind == "alt":
            by_first: dict[str, int] = {}  # alternatives by the literal word they open on
            other = 0  # optional ("" alternative), or opening on a wildcard or a word start: may go on anywhere
            for alt in value:
                if alt and alt[0][0] == "lit":
                    by_first[alt[0][1]] = by_first.get(alt[0][1], 0) + _paths(alt)
                else:
                    other += _paths(alt) if alt else 1
            total *= max(by_first.values(), default=0) + other  # one first word goes on, with the others
        if total > _RE_PATHS:
            return _RE_PATHS + 1
    return total


def _shape(slots: list[Slot]) -> tuple[int, int, bool]:
    """What the load checks of a phrase's expansions, without listing them: how many there are, the
    most words (not wildcards) any has, and whether one is at most two tokens whose words are all
    STOPWORDS (a wildcard counts as a token).  Same answers as reading ``_literal_sets``."""
    count, most, lengths = _shape_of(slots)
    return count, most, bool(lengths & {0, 1, 2})


# Words so common that a phrase made only of them would match almost anything.
STOPWORDS = frozenset(
    "i you we they he she it is are am was were be been the a an to of and or but so that this "
    "for on in at with not no do does did have has had will would can could me my our us your "
    "yes okay all right mhm thank".split())


@dataclass(frozen=True)
class Match:
    phrase: str
    start: int  # first token index
    end: int  # one past the last token
    edits: int  # 0 = exact after normalisation


def _token_equal(a: str, b: str) -> bool:
    """Same word, or close enough that a recogniser slip is the likely reason."""
    if a == b:
        return True
    if len(a) < 5 or len(b) < 5:
        return False
    n = min(len(a), len(b))
    common = 0
    while common < n and a[common] == b[common]:
        common += 1
    return common >= max(5, int(0.75 * n))


def _firsts(seq: list[Slot]) -> tuple[set[str] | None, bool]:
    """Token prefixes a match can start with (None = any word), and whether ``seq`` can be empty."""
    out: set[str] = set()
    for kind, value in seq:
        if kind in ("any", "gap"):
            return None, False
        if kind in ("lit", "pre"):
            out.add(value[:4])
            return out, False
        nullable = False
        for alt in value:
            sub, empty = _firsts(alt)
            if sub is None:
                return None, False
            out |= sub
            nullable = nullable or empty
        if not nullable:
            return out, False
    return out, True


def _literals(seq: list[Slot], out: set[str]) -> set[str]:
    for kind, value in seq:
        if kind in ("lit", "pre"):
            out.add(value[:4])
        elif kind == "alt":
            for alt in value:
                _literals(alt, out)
    return out


STOP_KEYS = frozenset(w[:4] for w in STOPWORDS)


@lru_cache(maxsize=65536)
def _similar(a: str, b: str) -> bool:
    """Spelled alike enough to be a mishearing (shared letter pairs), e.g. food/good."""
    if len(a) < 2 or len(b) < 2:
        return False
    pa = {a[i:i + 2] for i in range(len(a) - 1)}
    pb = {b[i:i + 2] for i in range(len(b) - 1)}
    return 2 * len(pa & pb) / (len(pa) + len(pb)) >= 0.5


def _sounds_like(kind: str, value, tok: str) -> bool:
    if kind == "set":
        return any(_similar(v, tok) for v in value[0])
    return _similar(value, tok)


def _slot_ok(kind: str, value, tok: str) -> bool:
    if kind == "lit":
        return _token_equal(value, tok)
    if kind == "pre":
        return tok.startswith(value)
    exact, near = value  # "set"
    return tok in exact or (len(tok) >= 5 and any(_token_equal(v, tok) for v in near))


def _sets(seq: list[Slot]) -> list[Slot]:
    """Alternatives of single words become one set lookup (classes are often long lists)."""
    out: list[Slot] = []
    for kind, value in seq:
        if kind == "alt":
            if value and all(len(a) == 1 and a[0][0] == "lit" for a in value):
                words = frozenset(a[0][1] for a in value)
                out.append(("set", (words, tuple(w for w in words if len(w) >= 5))))
            else:
                out.append(("alt", [_sets(a) for a in value]))
        else:
            out.append((kind, value))
    return out


# A fuzzy state is a tuple: (token index, edit kind 0 none / 1 extra word / 2 changed or dropped
# word, literals matched exactly, whether a literal must still match after a changed word)


class _Fuzzy:
    """Approximate matching of one phrase: at most one edit, only in long phrases.

    One extra word is allowed once four words of the phrase matched; one
    misheard word (spelled much like the phrase's word) or dropped word once
    four others matched, never the first or the last word of the match and
    never a negation (a recogniser that drops "not" must not turn "not
    interested" into "interested").
    """

    __slots__ = ("phrase", "slots", "firsts", "keys", "rare")

    def __init__(self, phrase: str, slots: list[Slot]) -> None:
        self.phrase = phrase
        self.slots = _sets(slots)
        self.firsts = _firsts(slots)[0]
        self.keys = frozenset(_literals(slots, set()))
        self.rare = frozenset(k for k in self.keys if k not in STOP_KEYS)

    def _run(self, seq: list[Slot], states: set, toks: tuple[str, ...]) -> set:
        n = len(toks)
        for kind, value in seq:
            if not states:
                return states
            new: set = set()
            if kind == "alt":
                for alt in value:
                    new |= self._run(alt, states, toks) if alt else states
            elif kind == "any":
                new = {(ti + 1, k, m, tail) for ti, k, m, tail in states if ti < n}
            elif kind == "gap":
                new = {(ti + j, k, m, tail) for ti, k, m, tail in states for j in range(4) if ti + j <= n}
            else:
                for ti, k, m, tail in states:
                    if ti < n and _slot_ok(kind, value, toks[ti]):
                        new.add((ti + 1, k, m + 1, False))
                    if k:
                        continue
                    protected = (value in NEGATIONS) if kind != "set" else bool(value[0] & NEGATIONS)
                    if m >= 1 and not protected:
                        if ti < n and toks[ti] not in NEGATIONS and _sounds_like(kind, value, toks[ti]):
                            new.add((ti + 1, 2, m, True))  # misheard word
                        new.add((ti, 2, m, True))  # dropped word
                    if m >= 1 and ti + 1 < n and toks[ti] not in NEGATIONS and _slot_ok(kind, value, toks[ti + 1]):
                        new.add((ti + 2, 1, m + 1, False))  # one extra word before this one
            states = new
        return states

    def align(self, toks: tuple[str, ...], text_keys: set[str]) -> list[Match]:
        # four words must match exactly: at least three distinct ones, one of them not a common word
        if len(self.keys & text_keys) < 3 or not (self.rare & text_keys):
            return []
        found: list[Match] = []
        for start in range(len(toks)):
            if self.firsts is not None and toks[start][:4] not in self.firsts:
                continue
            ends = self._run(self.slots, {(start, 0, 0, False)}, toks)
            best = None
            for ti, k, m, tail in ends:
                if k == 0 or tail or ti <= start:
                    continue
                if (k == 1 and m >= 4) or (k == 2 and m >= 4):
                    if best is None or ti > best:
                        best = ti
            if best is not None:
                found.append(Match(self.phrase, start, best, 1))
        return found


@lru_cache(maxsize=4096)
def _phrase(phrase: str, class_key: tuple, allow_common: bool) -> tuple[str, list[Slot] | None, bool, bool, str]:
    """One phrase compiled alone: (its regex, its slots, long enough for one-edit matching, may backtrack
    (a "re:" phrase, or more than ``_RE_PATHS`` ways: searched under the time budget), error).

    Cached: `rules check` and the rule compiler read the same phrases, and rules share lists.
    """
    classes = dict(class_key)
    try:
        if phrase.startswith("re:"):
            body = phrase[3:]
            with warnings.catch_warnings():  # "[[:alpha:]]": regex, which runs it, reads it as a class
                warnings.simplefilter("ignore", FutureWarning)
                re.compile(body)
            costly, ways, span = pattern_cost(body, _RE_PATHS)
            if costly:
                raise PhraseError(costly)
            quick = ways <= _RE_PATHS and ways * span <= _RE_STEPS and not _REGEX_ONLY.search(body)
            return f"(?:{body}) ?", None, False, not quick, ""
        slots = parse_phrase(phrase, classes)
        count, most_words, short_common = _shape(slots)
        countable = count <= _MAX_CHECKED  # past that the phrase is only matched exactly, unchecked
        if not slots or (countable and most_words == 0):
            raise PhraseError("has no words to match")
        if not allow_common and countable and short_common:
            raise PhraseError("can match just one or two very common words, "
                              "so it would match almost anything")
        return _slots_regex(slots), slots, not countable or most_words >= 4, _paths(slots) > _RE_PATHS, ""
    except PhraseError as exc:
        sep = " " if str(exc).startswith(("can ", "has ")) else ": "
        return "", None, False, False, f"phrase {phrase!r}{sep}{exc}"
    except re.error as exc:
        return "", None, False, False, f"phrase {phrase!r}: bad regular expression: {exc}"


def _class_key(classes: dict) -> tuple:
    return tuple(sorted((name, tuple(words)) for name, words in classes.items()))


def phrase_errors(phrases: list[str] | tuple[str, ...], classes: dict[str, tuple[str, ...]] | None = None, *,
                  allow_common: bool = False) -> list[tuple[int, str]]:
    """(index, message) for each phrase that does not compile, without compiling the whole set."""
    class_key = _class_key(classes or {})
    return [(i, err) for i, p in enumerate(phrases) if (err := _phrase(p, class_key, allow_common)[4])]


def _listed(m) -> int:
    """Where the phrase a match found stands in its list (its group is named ``p<index>``)."""
    return int((m.lastgroup or "p0")[1:])


class PhraseSet:
    """A rule trigger's phrases, compiled once; ``search`` finds them in a turn."""

    def __init__(self, phrases: list[str] | tuple[str, ...],
                 classes: dict[str, tuple[str, ...]] | None = None, *, fuzzy: bool = True,
                 allow_common: bool = False) -> None:
        classes = classes or {}
        self.phrases = tuple(phrases)
        self.errors: list[tuple[int, str]] = []  # (index in phrases, message)
        own: list[str] = []  # phrases in livecue's syntax that few ways can match, as regexes
        raw: list[str] = []  # "re:" phrases (written by hand) and phrases of many ways: they may backtrack
        self._names: dict[str, str] = {}
        self._fuzzy: list[_Fuzzy] = []
        class_key = _class_key(classes)
        for i, phrase in enumerate(self.phrases):
            regex, slots, wide, timed, error = _phrase(phrase, class_key, allow_common)
            if error:
                self.errors.append((i, error))
                continue
            name = f"p{i}"
            self._names[name] = phrase
            (raw if timed else own).append(f"(?P<{name}>{regex})")
            if fuzzy and slots is not None and wide:
                self._fuzzy.append(_Fuzzy(phrase, slots))
        # A match must start at a token boundary: at the start or after a space.  A phrase that can be
        # tried in at most _RE_PATHS ways from one start cannot backtrack out of hand: those compile with
        # ``re`` (three to four times quicker to compile than ``regex``, whose compiling was half a rule
        # load).  Phrases of many ways (gaps between optional words, ambiguous alternatives) and "re:"
        # phrases with an open-ended repetition compile with ``regex``, whose searches get a time budget.
        quick = None
        if own:
            try:
                quick = re.compile(r"(?:(?<= )|^)(?:" + "|".join(own) + ")")
            except re.error:  # each compiled alone, but not together: all of them under the time budget
                raw, own = own + raw, []
        self._patterns: list[tuple[Any, bool]] = ([(quick, False)] if quick is not None else []) + (
            [(_regex.compile(r"(?:(?<= )|^)(?:" + "|".join(raw) + ")"), True)] if raw else [])
        self.too_slow = False

    def __bool__(self) -> bool:
        return bool(self._patterns)

    def _next(self, text: str, pos: int, words: int):
        """The leftmost match from ``pos``; at one start the first phrase listed wins, as in one regex."""
        best = None
        for pattern, timed in self._patterns:
            try:
                m = pattern.search(text, pos, timeout=MATCH_BUDGET_S) if timed else pattern.search(text, pos)
            except TimeoutError:
                self.too_slow = True
                raise MatchTooSlow(f"matching its phrases took over {MATCH_BUDGET_S:g} s on a "
                                   f"{words}-word turn (a pattern that backtracks)") from None
            if m is not None and (best is None or (m.start(), _listed(m)) < (best.start(), _listed(best))):
                best = m
        return best

    def search(self, toks: Tokens, *, fuzzy: bool = True) -> list[Match]:
        """All matches in token order: exact ones, then one-edit ones elsewhere."""
        if not self._patterns or not toks.tokens:
            return []
        if self.too_slow:
            raise MatchTooSlow("its phrases took too long to match before")
        text = toks.text + " "
        out: list[Match] = []
        covered: set[int] = set()
        pos = 0
        while pos < len(text):
            m = self._next(text, pos, len(toks.tokens))
            if m is None:
                break
            if m.end() == m.start():
                pos = m.start() + 1
                continue
            start = toks.token_at(m.start())
            end_char = m.end() - 1 if text[m.end() - 1] == " " else m.end()
            end = toks.token_at(max(end_char - 1, m.start())) + 1
            out.append(Match(self._names[m.lastgroup or ""], start, end, 0))
            covered.update(range(start, end))
            # continue after the first token so overlapping phrases are found too
            nxt = text.find(" ", m.start())
            pos = len(text) if nxt < 0 else nxt + 1
        if fuzzy and self._fuzzy:
            text_keys = {tok[:4] for tok in toks.tokens}
            for fz in self._fuzzy:
                for match in fz.align(toks.tokens, text_keys):
                    if not covered.intersection(range(match.start, match.end)):
                        out.append(match)
                        covered.update(range(match.start, match.end))
        out.sort(key=lambda m: (m.start, m.edits))
        return out


def phrase_tokens(phrase: str, classes: dict[str, tuple[str, ...]] | None = None) -> list[list[str]]:
    """Concrete token sequences of a phrase (for tests and ``rules`` listings)."""
    return [[v for v in seq if v != "*"] for seq in _literal_sets(parse_phrase(phrase, classes or {})) or []]


__all__ = [
    "Match", "MatchTooSlow", "PhraseError", "PhraseSet", "Tokens", "count_words", "normalise", "normalise_words",
    "phrase_errors", "phrase_tokens", "word_tokens",
]
