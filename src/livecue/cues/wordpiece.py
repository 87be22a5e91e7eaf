"""BERT's WordPiece tokenizer in plain Python, read from a model's tokenizer.json.

MiniLM's tokenizer loaded through the ``tokenizers`` library holds about
9 MB, and importing the library takes 4 MB more where faster-whisper has
not (transcript mode); the semantic layer's memory budget is 150 MB.  This
reads the same ``tokenizer.json`` into one dict (about 3.5 MB) and gives
the same ids for the one configuration it accepts (``BertNormalizer`` with
lower-casing, ``BertPreTokenizer``, ``WordPiece``, ``[CLS] $A [SEP]``).
``tests/test_wordpiece.py`` compares the two on the rule files, the
utterance rows and every character of the common Unicode blocks.  Two
known differences: over all of Unicode, 503 rare code points come out
otherwise with Python 3.11 (marks and signs whose category Python's newer
Unicode tables give differently from the library's, most added to Unicode
in recent versions: Arabic, Indic and Znamenny marks, supplemental
punctuation; another Python's tables give another set), and a lone
surrogate (text read with ``surrogateescape``) is dropped where the
library refuses the text.  A tokenizer.json in another configuration
raises ``ValueError`` (the caller then loads the library).  An ASCII
clause takes about 0.6 of the library's time, a non-ASCII one a little
more than the library.
"""

from __future__ import annotations

import re
import unicodedata

_SPECIAL = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
_ASCII_PUNCT = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_OTHER = frozenset(("Cc", "Cf", "Co", "Cs"))  # what clean_text drops (the library keeps unassigned code points)


class WordPiece:
    """``ids(text)``: [CLS], the text's word pieces, [SEP]; ``token_to_id(piece)``: the id or None."""

    def __init__(self, spec: dict) -> None:
        model, norm = spec.get("model") or {}, spec.get("normalizer") or {}
        post = spec.get("post_processor") or {}
        supported = (
            model.get("type") == "WordPiece" and model.get("continuing_subword_prefix") == "##"
            and model.get("unk_token") == "[UNK]"
            and norm.get("type") == "BertNormalizer" and norm.get("lowercase") is True
            and norm.get("clean_text") is True and norm.get("handle_chinese_chars") is True
            and norm.get("strip_accents") in (None, True)
            and (spec.get("pre_tokenizer") or {}).get("type") == "BertPreTokenizer"
            and post.get("type") == "TemplateProcessing"
            and [next(iter(p.values())).get("id") for p in post.get("single", [])] == ["[CLS]", "A", "[SEP]"]
            and {t.get("content") for t in spec.get("added_tokens", [])} <= set(_SPECIAL)
            and all(not t.get("normalized") and not t.get("lstrip") and not t.get("rstrip")
                    and not t.get("single_word") for t in spec.get("added_tokens", []))
        )
        if not supported:
            raise ValueError("not a lower-casing BERT WordPiece tokenizer")
        try:
            self._vocab: dict[str, int] = dict(model["vocab"])
            self._max_chars = int(model.get("max_input_chars_per_word", 100))
            self._added = {t["content"]: int(t["id"]) for t in spec.get("added_tokens", [])}
            self._unk = self._vocab["[UNK]"]
            self._cls, self._sep = self._vocab["[CLS]"], self._vocab["[SEP]"]
            ids = post["special_tokens"]
            same = ids["[CLS]"]["ids"] == [self._cls] and ids["[SEP]"]["ids"] == [self._sep]
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"an unexpected tokenizer.json: {exc!r}") from exc
        if not same:
            raise ValueError("the template's [CLS] and [SEP] are not the vocabulary's")
        self._split_added = re.compile("(" + "|".join(re.escape(t) for t in self._added) + ")") if self._added else None

    def token_to_id(self, piece: str) -> int | None:
        return self._vocab.get(piece)

    def ids(self, text: str) -> list[int]:
        out = [self._cls]
        parts = self._split_added.split(text) if self._split_added is not None else [text]
        for n, part in enumerate(parts):
            if n % 2:  # a special token written in the text, matched before normalising
                out.append(self._added[part])
                continue
            for word in _words(_normalised(part)):
                out.extend(self._pieces(word))
        out.append(self._sep)
        return out

    def _pieces(self, word: str) -> list[int]:
        """Greedy longest match first; a word with an unknown stretch is one [UNK]."""
        if len(word) > self._max_chars:
            return [self._unk]
        pieces: list[int] = []
        start = 0
        while start < len(word):
            for end in range(len(word), start, -1):
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                found = self._vocab.get(piece)
                if found is not None:
                    pieces.append(found)
                    start = end
                    break
            else:
                return [self._unk]
        return pieces


def _is_whitespace(c: str) -> bool:
    # Rust's char::is_whitespace (the White_Space property); Python's isspace adds \x1c-\x1f
    return c in "\t\n\r " or (c.isspace() and c not in "\x1c\x1d\x1e\x1f")


def _is_chinese(cp: int) -> bool:
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF
            or 0x2A700 <= cp <= 0x2B73F or 0x2B740 <= cp <= 0x2B81F or 0x2B920 <= cp <= 0x2CEAF
            or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


def _normalised(text: str) -> str:
    """BertNormalizer: drop control characters, whitespace to spaces, pad CJK, strip accents, lower."""
    if text.isascii():  # the usual clause: only control characters to drop
        return "".join(" " if c in "\t\n\r" else c for c in text if " " <= c < "\x7f" or c in "\t\n\r").lower()
    out = []
    for c in text:
        if c in "\t\n\r":
            out.append(" ")
        elif c == "\0" or c == "\ufffd" or unicodedata.category(c) in _OTHER:
            continue
        elif _is_whitespace(c):
            out.append(" ")
        elif _is_chinese(ord(c)):
            out.append(f" {c} ")
        else:
            out.append(c)
    stripped = "".join(c for c in unicodedata.normalize("NFD", "".join(out)) if unicodedata.category(c) != "Mn")
    return "".join(c.lower() for c in stripped)  # one character at a time, as the library does: no final sigma


def _is_punctuation(c: str) -> bool:
    return c in _ASCII_PUNCT or unicodedata.category(c).startswith("P")


def _words(text: str) -> list[str]:
    """BertPreTokenizer: split at whitespace, and every punctuation mark a word of its own."""
    words: list[str] = []
    for chunk in text.split():  # _normalised left single spaces only
        if chunk.isalnum():
            words.append(chunk)
            continue
        current = ""
        for c in chunk:
            if _is_punctuation(c):
                if current:
                    words.append(current)
                words.append(c)
                current = ""
            else:
                current += c
        if current:
            words.append(current)
    return words
