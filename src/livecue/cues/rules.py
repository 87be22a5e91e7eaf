"""Cue rule files: the schema, loading, validation and change detection.

One TOML file per play in ``cue_rules/``.  A coach edits these files, so
every problem is reported with its file and line, all of them at once, and
unknown keys come with a did-you-mean hint.  Loading never raises on a
broken file: ``load_rule_dir`` returns what loaded and the problems of the
rest, so a live session keeps coaching with the rules that are fine.

See ``docs/cue_rules.md`` for the format; the shipped files are the examples.
"""

from __future__ import annotations

import math
import os
import re
import string
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from ..audio_facts import CALL_SIDES
from ..config import Problem, did_you_mean, toml_error_line
from ..errors import LivecueError
from ..user_files import read_user_text
from .match import PhraseSet
from .triggers import KINDS, REGISTRY, phrase_set

SPEAKERS = CALL_SIDES

# Values a card's why and script lines may use, e.g. "{streak} short answers".
PLACEHOLDERS = frozenset({
    "evidence", "reply", "streak", "max_words", "monologue_s", "share", "talk_s", "latency_s",
    "count", "rep_name", "company", "hot_buttons", "hot_button_1", "hot_button_2",
    "hot_button_3", "benefit", "clause", "example", "score",
})


# --- the schema ---------------------------------------------------------------------


@dataclass(frozen=True)
class Trigger:
    """One piece of evidence a rule looks for.

    ``kind`` picks which of the other fields apply: the kind's class in
    ``triggers.py`` owns its keys and their defaults (the loader fills every
    key of the kind from there; the defaults here only mirror them).
    """

    name: str
    kind: str
    variant: str = ""  # which card variant this evidence selects ("" = the main card)
    why: str = ""  # the card's why line for this evidence (falls back to card.why)
    after: tuple[str, ...] = ()  # only after these cues fired and the rep spoke since
    not_after: tuple[str, ...] = ()  # never once any of these cues fired
    # kind = "phrases": words of the listened speaker's current turn
    phrases: tuple[str, ...] = ()
    phrases_from: str = ""  # "rule_id.trigger": reuse another trigger's phrases
    unless: tuple[str, ...] = ()  # phrases in the same turn that cancel the match
    max_turn_words: int = 0  # only turns of at most this many words (0 = any length)
    fuzzy: bool = True  # allow one misheard, missing or extra word in long phrases
    speaker: str = ""  # read this side instead of the rule's listen side ...
    within_s: float = 30.0  # ... in what it said over the last within_s seconds
    clause_scope: bool = False  # a later clause can overrule the match ("..., but the software side is")
    skip_past: bool = False  # ignore clauses about the past ("last year we had no budget")
    # kind = "intent": a clause means what these examples mean
    sounds_like: tuple[str, ...] = ()
    not_like: tuple[str, ...] = ()  # near misses: closer to one of these means no
    sounds_like_from: str = ""  # "rule_id.trigger": reuse another intent's examples
    threshold: float = 0.6  # similarity to the nearest example needed (cosine)
    margin: float = 0.0  # and by this much more than to the nearest near miss
    model: str = "minilm"  # the sentence embedding model (see cues/embedding.py)
    min_words: int = 3  # shorter clauses are not judged ...
    max_words: int = 24  # ... nor longer ones (a pitch, not a reaction)
    questions_overrule: bool = False  # a question later in the turn means they are engaged after all
    last_clauses: int = 0  # only the turn's last N clauses (0 = all): where a sign-off comes
    judge_questions: bool = False  # questions ("who's calling?") state no stance: not judged unless set
    # kind = "clipped_streak": answers of at most max_words words to the rep's questions
    min_streak: int = 3
    max_words: int = 3
    max_answer_s: float = 1.0  # an answer this short in time is clipped even if a few more words were heard
    min_open: int = 0  # at least this many of them answer open questions (how, what, why...)
    # kind = "monologue_reply" / "monologue": rep talk without a substantive reply
    min_monologue_s: float = 20.0
    unless_asked: bool = False  # monologue_reply: not after the prospect's own question (the answer they asked for)
    acknowledgements: tuple[str, ...] = ()  # monologue_reply: replies of only these ("okay") accept, not disengage
    # kind = "talk_share": the prospect's share of the talk over a window
    max_share: float = 0.15
    window_s: float = 120.0
    min_talk_s: float = 60.0
    # kind = "response_latency": slow answers to the rep's questions
    min_latency_s: float = 2.5
    min_count: int = 2


COMMON_TRIGGER_KEYS = ("kind", "variant", "why", "after", "not_after")
TRIGGER_KEYS: dict[str, tuple[str, ...]] = {name: tuple(kind.keys) for name, kind in REGISTRY.items()}


@dataclass(frozen=True)
class Card:
    title: str = ""
    why: str = ""
    script: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExampleLine:
    start: float
    end: float
    speaker: str
    text: str


@dataclass(frozen=True)
class Example:
    """A timed conversation the rule must (or must not) fire on."""

    name: str
    expect: str  # fire | silent
    lines: tuple[ExampleLine, ...]
    between: tuple[float, float] | None = None  # the cue's time must fall in here
    count: int | None = None  # exactly this many cues of the rule
    line: int = 0  # where the example starts in its file


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    listen: str = "prospect"  # whose words the phrase triggers read
    priority: int = 50  # higher wins when two cues want the same turn
    cooldown_s: float = 30.0
    once_per_call: bool = False
    fire: str = "match"  # match: as soon as the evidence is clear; turn_end: when the turn ends
    settle_s: float = 0.0  # turn_end: also wait this long for the speaker to go on
    tentative: bool = True  # may fire on words the recogniser may still revise
    when: str = ""  # how triggers combine, e.g. "brush_off and not exit"; default: any
    after: tuple[str, ...] = ()
    not_after: tuple[str, ...] = ()
    rearm: str = "cooldown"  # cooldown | engaged (again only after an engaged answer)
    engaged_min_words: int = 6  # rearm = engaged: an answer this long re-arms the rule
    enabled: bool = True
    description: str = ""
    triggers: tuple[Trigger, ...] = ()
    classes: dict = field(default_factory=dict)  # name -> tuple of phrases, for "@name"
    card: Card = Card()
    variants: dict = field(default_factory=dict)  # name -> Card
    examples: tuple[Example, ...] = ()
    file: str = ""

    def trigger(self, name: str) -> Trigger | None:
        return next((t for t in self.triggers if t.name == name), None)


RULE_KEYS = ("id", "title", "listen", "priority", "cooldown_s", "once_per_call", "fire", "settle_s",
             "tentative", "when", "after", "not_after", "rearm", "engaged_min_words", "enabled",
             "description", "triggers", "classes", "card", "variants", "examples")
CARD_KEYS = ("title", "why", "script")
EXAMPLE_KEYS = ("name", "expect", "lines", "between", "count")

_TYPES: dict[str, type | tuple] = {
    "id": str, "title": str, "listen": str, "priority": int, "cooldown_s": float,
    "once_per_call": bool, "fire": str, "settle_s": float, "tentative": bool, "when": str,
    "after": list, "not_after": list, "rearm": str, "engaged_min_words": int, "enabled": bool,
    "description": str, "kind": str, "variant": str, "why": str,
    "script": list, "name": str, "expect": str, "lines": list, "between": list,
    "count": int,
}


def _trigger_key_type(kind: Any, key: str) -> type:
    default = kind.keys[key]
    return list if key in kind.lists else type(default)


# --- where things are in a file ----------------------------------------------------


class TomlLines:
    """Line numbers of tables and keys in a TOML text, including [[arrays]]."""

    _header = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
    _key = re.compile(r"""^\s*(?:"([^"]+)"|'([^']+)'|([A-Za-z0-9_\-]+))\s*=""")

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.keys: dict[tuple, int] = {}
        self.tables: dict[tuple, int] = {}
        counts: dict[str, int] = {}
        path: tuple = ()
        for number, line in enumerate(self.lines, 1):
            m = self._header.match(line)
            if m:
                name = tuple(p.strip().strip("\"'") for p in m.group(2).split("."))
                if m.group(1) == "[[":
                    key = ".".join(name)
                    index = counts.get(key, 0)
                    counts[key] = index + 1
                    path = name + (index,)
                else:
                    path = name
                self.tables.setdefault(path, number)
                continue
            k = self._key.match(line)
            if k:
                key = k.group(1) or k.group(2) or k.group(3)
                self.keys.setdefault(path + (key,), number)

    def key(self, path: tuple, key: str) -> int:
        """Line of ``key`` under ``path``: a key, a [table] or an [[array]] of that name, else the table's line."""
        here = tuple(path) + (key,)
        return (self.keys.get(here) or self.tables.get(here) or self.tables.get(here + (0,))
                or self.tables.get(tuple(path), 0))

    def item(self, path: tuple, key: str, value: str) -> int:
        """Line of one string inside a (multi-line) array."""
        start = self.key(path, key)
        if not start:
            return 0
        needles = [f'"{value}"', f"'{value}'", value]
        for number in range(start, min(len(self.lines), start + 400) + 1):
            text = self.lines[number - 1]
            if any(n in text for n in needles):
                return number
            if number > start and self._key.match(text) or (number > start and self._header.match(text)):
                break
        return start


# --- loading ----------------------------------------------------------------------------


def _check_type(value: Any, kind: Any) -> str | None:
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return "a number"
    elif kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            return "a whole number"
    elif kind is bool:
        if not isinstance(value, bool):
            return "true or false"
    elif kind is str:
        if not isinstance(value, str):
            return "a string"
    elif kind is list:
        if not isinstance(value, list):
            return "a list"
    return None


class _At:
    """A kind's problems, placed at the file line of the key (or the trigger's table)."""

    def __init__(self, loader: "_FileLoader", path: tuple, line: int) -> None:
        self.loader, self.path, self.line = loader, path, line

    def key(self, key: str, message: str) -> None:
        self.loader.problem(self.loader.where.key(self.path, key) or self.line, message)

    def item(self, key: str, value: str, message: str) -> None:
        self.loader.problem(self.loader.where.item(self.path, key, value) or self.line, message)

    def table(self, message: str) -> None:
        self.loader.problem(self.line, message)


class _FileLoader:
    """Builds one Rule from one file's TOML data, collecting every problem."""

    def __init__(self, path: Path, text: str) -> None:
        self.file = str(path)
        self.path = path
        self.where = TomlLines(text)
        self.problems: list[Problem] = []

    def problem(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.file, line, message))

    def value(self, data: dict, key: str, path: tuple, default: Any, kind: Any = None) -> Any:
        if key not in data:
            return default
        value = data[key]
        kind = kind or _TYPES.get(key, type(default))
        bad = _check_type(value, kind)
        if bad:
            self.problem(self.where.key(path, key), f"'{key}' must be {bad}")
            return default
        if kind is float:
            if not math.isfinite(value):  # TOML allows nan and inf; no rule threshold means either
                self.problem(self.where.key(path, key), f"'{key}' must be a finite number (got {value})")
                return default
            return float(value)
        return value

    def strings(self, data: dict, key: str, path: tuple) -> tuple[str, ...]:
        value = self.value(data, key, path, [], list)
        out = []
        for item in value:
            if not isinstance(item, str):
                self.problem(self.where.key(path, key), f"'{key}' must be a list of strings")
                return ()
            out.append(item)
        return tuple(out)

    def unknown(self, data: dict, allowed: tuple[str, ...], path: tuple, what: str) -> None:
        for key in data:
            if key not in allowed:
                value = data[key]
                name = ".".join(str(p) for p in path + (key,))
                if isinstance(value, dict):
                    thing = f"unknown table [{name}]"
                elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
                    thing = f"unknown table [[{name}]]"
                else:
                    thing = f"unknown key '{key}'"
                self.problem(self.where.key(path, key), f"{thing} in {what}{did_you_mean(key, allowed)}")

    def choice(self, data: dict, key: str, path: tuple, default: str, choices: tuple[str, ...]) -> str:
        value = self.value(data, key, path, default, str)
        if value not in choices:
            self.problem(self.where.key(path, key),
                         f"'{key}' must be one of {', '.join(choices)}, not {value!r}{did_you_mean(value, choices)}")
            return default
        return value

    def template(self, text: str, line: int, what: str) -> None:
        try:
            fields = [f for _, f, spec, _ in string.Formatter().parse(text) if f is not None]
        except ValueError as exc:
            self.problem(line, f"{what}: bad placeholder: {exc}")
            return
        for name in fields:
            base = re.split(r"[.\[]", name)[0]
            if base not in PLACEHOLDERS:
                self.problem(line, f"{what}: unknown placeholder '{{{name}}}'"
                                   f"{did_you_mean(base, sorted(PLACEHOLDERS))}")
                return
        sample = {k: 1.0 if k in ("monologue_s", "share", "talk_s", "latency_s") else
                  (1 if k in ("streak", "max_words", "count") else "x") for k in PLACEHOLDERS}
        try:
            text.format(**sample)
        except (ValueError, KeyError, IndexError, AttributeError) as exc:
            self.problem(line, f"{what}: bad placeholder format: {exc}")

    # --- parts of a rule ------------------------------------------------------------

    def card(self, data: Any, path: tuple, what: str) -> Card:
        if not isinstance(data, dict):
            self.problem(self.where.tables.get(path, 0) or self.where.key(path[:-1], path[-1]),
                         f"{what} must be a table")
            return Card()
        self.unknown(data, CARD_KEYS, path, what)
        title = self.value(data, "title", path, "", str)
        why = self.value(data, "why", path, "", str)
        script = self.strings(data, "script", path)
        if why:
            self.template(why, self.where.key(path, "why"), f"{what} why")
        for line in script:
            self.template(line, self.where.item(path, "script", line), f"{what} script line")
        return Card(title, why, script)

    def trigger(self, name: str, data: Any, classes: dict) -> Trigger | None:
        path = ("triggers", name)
        line = self.where.tables.get(path, 0) or self.where.key(("triggers",), name)
        if not isinstance(data, dict):
            self.problem(line, f"trigger '{name}' must be a table")
            return None
        if "kind" not in data:
            self.problem(line, f"trigger '{name}' needs a kind (one of {', '.join(KINDS)})")
            return None
        kind_name = self.choice(data, "kind", path, "", KINDS + ("",))
        if not kind_name:
            return None
        kind = REGISTRY[kind_name]
        allowed = COMMON_TRIGGER_KEYS + tuple(kind.keys)
        self.unknown(data, allowed, path, f"{'an' if kind_name[0] in 'aeiou' else 'a'} {kind_name} trigger")
        kwargs: dict[str, Any] = {"name": name, "kind": kind_name}
        for key, default in kind.keys.items():
            kwargs[key] = default
            if key not in data:
                continue
            if key in kind.lists:
                kwargs[key] = self.strings(data, key, path)
            else:
                kwargs[key] = self.value(data, key, path, default, _trigger_key_type(kind, key))
        for key in ("variant", "why"):
            if key in data:
                kwargs[key] = self.value(data, key, path, "", str)
        for key in ("after", "not_after"):
            if key in data:
                kwargs[key] = self.strings(data, key, path)
        trig = Trigger(**kwargs)
        if trig.why:
            self.template(trig.why, self.where.key(path, "why"), f"trigger '{name}' why")
        at = _At(self, path, line)
        kind.check(trig, data, at)
        kind.check_phrases(trig, classes, at)
        return trig

    def example(self, index: int, data: Any) -> Example | None:
        path = ("examples", index)
        line = self.where.tables.get(path, 0)
        if not isinstance(data, dict):
            self.problem(line, "each example must be a table ([[examples]])")
            return None
        self.unknown(data, EXAMPLE_KEYS, path, "an example")
        name = self.value(data, "name", path, f"example {index + 1}", str)
        expect = self.choice(data, "expect", path, "fire", ("fire", "silent"))
        if "expect" not in data:
            self.problem(line, f"example '{name}' needs expect = \"fire\" or \"silent\"")
        lines: list[ExampleLine] = []
        for raw in self.strings(data, "lines", path):
            parsed = parse_example_line(raw)
            if isinstance(parsed, str):
                self.problem(self.where.item(path, "lines", raw), f"example '{name}': {parsed}")
            else:
                lines.append(parsed)
        if not lines and "lines" in data:
            self.problem(self.where.key(path, "lines"), f"example '{name}' has no lines")
        elif "lines" not in data:
            self.problem(line, f"example '{name}' needs lines")
        between = None
        if "between" in data:
            raw = data["between"]
            if (not isinstance(raw, list) or len(raw) != 2
                    or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in raw)
                    or raw[0] > raw[1]):
                self.problem(self.where.key(path, "between"), "'between' must be [from_s, to_s] with from <= to")
            else:
                between = (float(raw[0]), float(raw[1]))
        count = self.value(data, "count", path, None, int)
        return Example(name, expect, tuple(lines), between, count, line)

    def rule(self, data: dict) -> Rule | None:
        root: tuple = ()
        self.unknown(data, RULE_KEYS, root, "a rule")
        rule_id = self.value(data, "id", root, "", str)
        if not rule_id:
            self.problem(1, "the rule needs an id")
        elif not re.fullmatch(r"[a-z][a-z0-9_]*", rule_id):
            self.problem(self.where.key(root, "id"), f"id '{rule_id}' must be lower case letters, digits and _")
        title = self.value(data, "title", root, "", str)
        if not title:
            self.problem(self.where.key(root, "id") or 1, "the rule needs a title")
        kwargs: dict[str, Any] = {"id": rule_id, "title": title, "file": self.file}
        defaults = Rule("", "")
        for key in ("priority", "cooldown_s", "once_per_call", "settle_s", "tentative", "when",
                    "engaged_min_words", "enabled", "description"):
            kwargs[key] = self.value(data, key, root, getattr(defaults, key))
        kwargs["listen"] = self.choice(data, "listen", root, "prospect", SPEAKERS)
        kwargs["fire"] = self.choice(data, "fire", root, "match", ("match", "turn_end"))
        kwargs["rearm"] = self.choice(data, "rearm", root, "cooldown", ("cooldown", "engaged"))
        kwargs["after"] = self.strings(data, "after", root)
        kwargs["not_after"] = self.strings(data, "not_after", root)
        if kwargs["cooldown_s"] < 0:
            self.problem(self.where.key(root, "cooldown_s"), "'cooldown_s' must not be negative")

        classes: dict[str, tuple[str, ...]] = {}
        raw_classes = data.get("classes", {})
        if not isinstance(raw_classes, dict):
            self.problem(self.where.key(root, "classes"), "'classes' must be a table of word lists")
        else:
            for name, items in raw_classes.items():
                if not isinstance(items, list) or not all(isinstance(i, str) for i in items) or not items:
                    self.problem(self.where.key(("classes",), name), f"class '{name}' must be a list of strings")
                    continue
                classes[name] = tuple(items)
        kwargs["classes"] = classes

        triggers: list[Trigger] = []
        raw_triggers = data.get("triggers", {})
        if not isinstance(raw_triggers, dict) or not raw_triggers:
            self.problem(self.where.tables.get(("triggers",), 0) or 1,
                         "the rule needs at least one [triggers.NAME] table")
        else:
            for name, body in raw_triggers.items():
                trig = self.trigger(name, body, classes)
                if trig is not None:
                    triggers.append(trig)
        kwargs["triggers"] = tuple(triggers)
        names = [t.name for t in triggers]
        when = kwargs["when"] or " or ".join(names)
        kwargs["when"] = when
        if names:
            try:
                parse_when(when, names)
            except ValueError as exc:
                self.problem(self.where.key(root, "when"), f"when: {exc}")

        if "card" not in data:
            self.problem(1, "the rule needs a [card] table")
            kwargs["card"] = Card()
        else:
            kwargs["card"] = self.card(data["card"], ("card",), "card")
            if not kwargs["card"].title:
                self.problem(self.where.tables.get(("card",), 0), "the card needs a title")
        variants: dict[str, Card] = {}
        raw_variants = data.get("variants", {})
        if not isinstance(raw_variants, dict):
            self.problem(self.where.key(root, "variants"), "'variants' must be a table of cards")
        else:
            for name, body in raw_variants.items():
                variants[name] = self.card(body, ("variants", name), f"variant '{name}'")
        kwargs["variants"] = variants
        for trig in triggers:
            if trig.variant and trig.variant not in variants:
                self.problem(self.where.key(("triggers", trig.name), "variant"),
                             f"trigger '{trig.name}': no [variants.{trig.variant}] card"
                             f"{did_you_mean(trig.variant, list(variants))}")

        examples: list[Example] = []
        raw_examples = data.get("examples", [])
        if not isinstance(raw_examples, list):
            self.problem(self.where.key(root, "examples"), "'examples' must be [[examples]] tables")
        else:
            for index, body in enumerate(raw_examples):
                ex = self.example(index, body)
                if ex is not None:
                    examples.append(ex)
        kwargs["examples"] = tuple(examples)
        if isinstance(raw_examples, list) and raw_examples:
            kinds = {e.expect for e in examples}
            if "fire" not in kinds or "silent" not in kinds:
                self.problem(self.where.tables.get(("examples", 0), 0),
                             "a rule needs at least one example that fires and one that stays silent")
        elif "examples" not in data:
            self.problem(1, "the rule needs [[examples]]: at least one that fires and one that stays silent")
        return Rule(**kwargs)


_LINE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:-\s*(\d+(?:\.\d+)?))?\s+(rep|prospect)\s*:\s*(\S.*)$")


def parse_example_line(raw: str) -> ExampleLine | str:
    """``"12.0-14.5 prospect: We're all set."``; a missing end assumes 2.8 words/s."""
    m = _LINE.match(raw)
    if not m:
        return f"cannot read line {raw!r} (want \"START-END rep|prospect: words\")"
    start = float(m.group(1))
    text = m.group(4).strip()
    end = float(m.group(2)) if m.group(2) else start + 0.3 + len(text.split()) / 2.8
    if end <= start:
        return f"line {raw!r} ends before it starts"
    return ExampleLine(start, end, m.group(3), text)


# --- the 'when' expression ---------------------------------------------------------


def parse_when(text: str, names: list[str]) -> Any:
    """Parse "a or (b and not c)" into nested tuples; raises ValueError."""
    tokens = re.findall(r"\(|\)|[A-Za-z_][A-Za-z0-9_]*|\S", text)
    pos = 0

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    def take() -> str:
        nonlocal pos
        pos += 1
        return tokens[pos - 1]

    def expr() -> Any:
        node = term()
        while peek() == "or":
            take()
            node = ("or", node, term())
        return node

    def term() -> Any:
        node = factor()
        while peek() == "and":
            take()
            node = ("and", node, factor())
        return node

    def factor() -> Any:
        tok = peek()
        if tok is None:
            raise ValueError("expression ends too early")
        if tok == "not":
            take()
            return ("not", factor())
        if tok == "(":
            take()
            node = expr()
            if peek() != ")":
                raise ValueError("missing ')'")
            take()
            return node
        take()
        if tok not in names:
            raise ValueError(f"unknown trigger '{tok}'{did_you_mean(tok, names)}")
        return ("t", tok)

    if not tokens:
        raise ValueError("empty expression")
    node = expr()
    if pos != len(tokens):
        raise ValueError(f"unexpected '{tokens[pos]}'")
    if _only_negative(node):
        raise ValueError("needs at least one trigger that is not negated")
    return node


def _only_negative(node: Any) -> bool:
    if node[0] == "t":
        return False
    if node[0] == "not":
        return True
    if node[0] == "and":
        return _only_negative(node[1]) and _only_negative(node[2])
    return _only_negative(node[1]) or _only_negative(node[2])


# --- a whole directory -------------------------------------------------------------------


@dataclass
class CompiledTrigger:
    trigger: Trigger
    rule_id: str
    phrases: PhraseSet | None = None
    unless: PhraseSet | None = None
    intent: Any = None  # intents.Intent: the embedded examples of an intent trigger


@dataclass
class CompiledRule:
    rule: Rule
    when: Any
    triggers: dict[str, CompiledTrigger]


@dataclass
class RuleSet:
    """Rules ready to evaluate, in priority order (highest first)."""

    rules: list[CompiledRule]
    files: dict[str, float] = field(default_factory=dict)  # path -> mtime when loaded

    @property
    def ids(self) -> list[str]:
        return [c.rule.id for c in self.rules]

    def get(self, rule_id: str) -> CompiledRule | None:
        return next((c for c in self.rules if c.rule.id == rule_id), None)


def load_rule_file(path: Path) -> tuple[Rule | None, list[Problem]]:
    try:
        text = read_user_text(path, "rule file")
    except LivecueError as exc:
        return None, [Problem(str(path), 0, str(exc).removeprefix(f"{path}: "))]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = toml_error_line(exc) or (len(text.splitlines()) if "end of document" in str(exc) else 0)
        return None, [Problem(str(path), line, f"TOML syntax error: {exc}")]
    loader = _FileLoader(path, text)
    rule = loader.rule(data)
    return (rule if not loader.problems else None), loader.problems


def rule_dirs(location) -> tuple[Path, ...]:
    return tuple(Path(d) for d in location) if isinstance(location, (tuple, list)) else (Path(location),)


def rule_files(location) -> list[Path]:
    """The rule files in a directory, or in layered directories: a file in a later
    directory replaces the earlier one with the same name (stem), so a user rules
    directory shadows the shipped rules file by file."""
    by_stem: dict[str, Path] = {}
    for directory in rule_dirs(location):
        if directory.is_dir():
            for path in sorted(directory.glob("*.toml")):
                if path.is_file() and not path.name.startswith("."):
                    by_stem[path.stem] = path
    return [by_stem[stem] for stem in sorted(by_stem)]


def compile_rules(rules: list[Rule]) -> tuple[RuleSet, list[Problem]]:
    """Cross-file checks (ids, references) and phrase compilation."""
    problems: list[Problem] = []
    by_id: dict[str, Rule] = {}
    for rule in rules:
        if rule.id in by_id:
            problems.append(Problem(rule.file, _line_of(rule.file, (), "id"),
                                    f"rule id '{rule.id}' is also used in {by_id[rule.id].file}"))
            continue
        by_id[rule.id] = rule
    ids = list(by_id)
    compiled: list[CompiledRule] = []
    for rule in by_id.values():
        bad = False
        for key, refs, path in [("after", rule.after, ()), ("not_after", rule.not_after, ())] + [
                (k, getattr(t, k), ("triggers", t.name)) for t in rule.triggers for k in ("after", "not_after")]:
            for ref in refs:
                if ref not in by_id:
                    problems.append(Problem(rule.file, _line_of(rule.file, path, key),
                                            f"'{key}' names unknown cue '{ref}'{did_you_mean(ref, ids)}"))
                    bad = True
        triggers: dict[str, CompiledTrigger] = {}
        for trig in rule.triggers:
            ct = CompiledTrigger(trig, rule.id)
            at = _CrossAt(rule, trig.name, problems, ids)
            if not REGISTRY[trig.kind].compile(ct, rule, by_id, at):
                bad = True
                continue
            triggers[trig.name] = ct
        if bad:
            continue
        compiled.append(CompiledRule(rule, parse_when(rule.when, list(triggers)), triggers))
    compiled.sort(key=lambda c: -c.rule.priority)
    return RuleSet(compiled), problems


_phrase_set = phrase_set  # compiled phrase lists live with the phrases kind (triggers.py)


class _CrossAt:
    """Problems found when compiling a trigger against the other rules (references, models)."""

    def __init__(self, rule: Rule, trigger: str, problems: list[Problem], ids: list[str]) -> None:
        self.rule, self.path, self.problems, self.ids = rule, ("triggers", trigger), problems, ids

    def key(self, key: str, message: str) -> None:
        ref = getattr(self.rule.trigger(self.path[1]), key, "")
        hint = ""
        if isinstance(ref, str) and "." in ref:
            rule_id, _, trig = ref.partition(".")
            hint = did_you_mean(rule_id, self.ids)
        self.problems.append(Problem(self.rule.file, _line_of(self.rule.file, self.path, key), message + hint))

    def item(self, key: str, value: str, message: str) -> None:
        self.key(key, message)

    def table(self, message: str) -> None:
        self.problems.append(Problem(self.rule.file, _line_of(self.rule.file, self.path, "kind"), message))


def _line_of(file: str, path: tuple, key: str) -> int:
    try:
        text = Path(file).read_text(encoding="utf-8")
    except OSError:
        return 0
    return TomlLines(text).key(path, key)


@dataclass
class LoadResult:
    ruleset: RuleSet
    problems: list[Problem]
    rules: dict[str, Rule]  # file -> rule, for the files that loaded


def load_rule_dir(directory, previous: LoadResult | None = None) -> LoadResult:
    """Load every rule file; a broken file keeps its ``previous`` version if any.

    ``directory``: one directory, or layered directories (``default_rule_dirs()``:
    the shipped rules, then the user's, which may be absent) as a tuple.
    """
    problems: list[Problem] = []
    rules: dict[str, Rule] = {}
    mtimes: dict[str, float] = {}
    first = rule_dirs(directory)[0]
    if not first.is_dir():
        problems.append(Problem(str(first), 0, "no such rules directory"))
        files: list[Path] = []
    else:
        files = rule_files(directory)
        if not files:
            problems.append(Problem(str(first), 0, "no rule files (*.toml) here"))
    for path in files:
        mtimes[str(path)] = _mtime(path)
        rule, file_problems = load_rule_file(path)
        problems.extend(file_problems)
        if rule is not None:
            rules[str(path)] = rule
        elif previous is not None and str(path) in previous.rules:
            rules[str(path)] = previous.rules[str(path)]
    ruleset, cross = compile_rules(list(rules.values()))
    problems.extend(_blame_left_out(cross, problems, files, rules))
    ruleset.files = mtimes
    return LoadResult(ruleset, problems, rules)


_REFERENCE = re.compile(r"^(.*?) names unknown cue '([^']+)'|^(?:phrases|sounds_like)_from '(([^'.]+)\.[^']*)'")


def _blame_left_out(cross: list[Problem], problems: list[Problem], files: list[Path],
                    rules: dict[str, Rule]) -> list[Problem]:
    """A reference to a rule whose own file failed says so, instead of "unknown cue"."""
    failed: dict[str, Problem] = {}
    for path in files:
        if str(path) in rules:
            continue
        first = next((p for p in problems if p.file == str(path)), None)
        if first is not None:
            failed.setdefault(_declared_id(path), first)
    if not failed:
        return cross
    out = []
    for problem in cross:
        m = _REFERENCE.match(problem.message)
        ref = m and (m.group(2) or m.group(4))
        if ref in failed:
            key = problem.message.split(" ", 1)[0]
            what = (f"{m.group(1)} names cue '{ref}'" if m.group(2)
                    else f"{key} '{m.group(3)}' needs rule '{ref}'")
            problem = Problem(problem.file, problem.line,
                              f"{what}, which was left out ({failed[ref]}), so this rule is left out too")
        out.append(problem)
    return out


def _declared_id(path: Path) -> str:
    """The id a broken rule file declares (its name if even that cannot be read)."""
    try:
        match = re.search(r"^\s*id\s*=\s*[\"']([^\"']+)[\"']", path.read_text(encoding="utf-8"), re.M)
    except (OSError, UnicodeDecodeError):
        match = None
    return match.group(1) if match else path.stem


def _mtime(path: Path) -> float:
    try:
        st = path.stat()
        return st.st_mtime_ns / 1e9 + st.st_size * 1e-12
    except OSError:
        return -1.0


def snapshot(directory) -> dict[str, float]:
    """File -> mtime of the rule files now (to see whether anything changed)."""
    paths: list[Path] = []
    for folder in rule_dirs(directory):
        try:
            with os.scandir(folder) as it:
                paths += [Path(e.path) for e in it if e.name.endswith(".toml") and not e.name.startswith(".")]
        except OSError:
            continue
    return {str(p): _mtime(p) for p in sorted(paths)}


def shipped_rules_dir() -> Path:
    """The rules that ship with livecue.

    ``livecue/_cue_rules`` is a symlink to the checkout's ``cue_rules/`` that
    package-data turns into real files in a wheel; resolved, it names the
    file a developer edits.
    """
    here = Path(__file__).resolve()
    packaged = here.parent.parent / "_cue_rules"
    if packaged.is_dir():
        return packaged.resolve()
    return here.parents[3] / "cue_rules"


def user_rules_dir() -> Path:
    """``cue_rules`` in the user config directory: a file here replaces the shipped
    file of the same name (``tune --write`` puts its changes here)."""
    import platformdirs

    return Path(platformdirs.user_config_dir("livecue")) / "cue_rules"


def default_rule_dirs() -> tuple[Path, Path]:
    """The rules used without ``--rules``: the shipped ones, shadowed by the user's."""
    return shipped_rules_dir(), user_rules_dir()


def describe_dirs(location) -> str:
    return " + ".join(str(d) for d in rule_dirs(location) if d.is_dir()) or str(rule_dirs(location)[0])
