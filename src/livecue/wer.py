"""Word error rate for the benchmarks, scored the way published Whisper figures are.

With the ``bench`` extra (``pip install 'livecue[bench]'``) ``wer`` uses jiwer
with Whisper's English text normaliser (the ``whisper-normalizer`` package):
"21st" stays "21st", "colour" and "color" match, "twenty-one" and "21" match.
Without it, a small fallback normaliser here (case, punctuation, number
words) scores instead, and ``scorer()`` says so, so figures are never mixed up.
``normalise`` (the fallback's word list) is also what tests use to compare words.
"""

from __future__ import annotations

import re
import sys
from functools import lru_cache

_ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen " \
        "sixteen seventeen eighteen nineteen".split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_ABBREV = {"mr": "mister", "mrs": "missus", "dr": "doctor", "st": "saint", "ok": "okay", "%": " percent"}


def number_words(n: int) -> str:
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    if n < 1000:
        return _ONES[n // 100] + " hundred" + ("" if n % 100 == 0 else " " + number_words(n % 100))
    if n < 1_000_000:
        return number_words(n // 1000) + " thousand" + ("" if n % 1000 == 0 else " " + number_words(n % 1000))
    return " ".join(_ONES[int(d)] for d in str(n))


def normalise(text: str) -> list[str]:
    text = text.lower().replace("%", " percent").replace("-", " ")
    text = re.sub(r"(\d),(\d)", r"\1\2", text)
    text = re.sub(r"\d+", lambda m: " " + number_words(int(m.group())) + " ", text)
    text = re.sub(r"[^\w' ]+", " ", text)
    words = []
    for w in text.split():
        w = w.strip("'")
        if not w:
            continue
        words.extend(_ABBREV.get(w, w).split())
    return words


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1]


@lru_cache(maxsize=1)
def _maintained():
    """(jiwer, Whisper's English normaliser), or None without the bench extra."""
    try:
        import jiwer
        from whisper_normalizer.english import EnglishTextNormalizer
    except ImportError:
        return None
    return jiwer, EnglishTextNormalizer()


def scorer() -> str:
    """Which scorer ``wer`` uses, for the benchmark's output."""
    if _maintained() is None:
        return ("livecue's fallback normaliser (NOT comparable with published WER: "
                "pip install 'livecue[bench]' for jiwer + Whisper's English normaliser)")
    return "jiwer + Whisper's English normaliser"


def fallback_wer(reference: str, hypothesis: str) -> tuple[int, int]:
    """(errors, reference words) with the fallback normaliser (figures before the bench extra)."""
    ref, hyp = normalise(reference), normalise(hypothesis)
    return edit_distance(ref, hyp), len(ref)


def wer(reference: str, hypothesis: str) -> tuple[int, int]:
    """(errors, reference words): substitutions + deletions + insertions."""
    maintained = _maintained()
    if maintained is None:
        return fallback_wer(reference, hypothesis)
    jiwer, normaliser = maintained
    ref_text, hyp_text = normaliser(reference).strip(), normaliser(hypothesis).strip()
    ref_words = len(ref_text.split())
    if not ref_words:
        return len(hyp_text.split()), 0
    if not hyp_text:
        return ref_words, ref_words
    out = jiwer.process_words(ref_text, hyp_text)
    return out.substitutions + out.deletions + out.insertions, ref_words


def warn_if_fallback() -> None:
    """One line on stderr when the benchmarks score without the maintained scorer."""
    if _maintained() is None:
        print(f"wer: scoring with {scorer()}", file=sys.stderr)
