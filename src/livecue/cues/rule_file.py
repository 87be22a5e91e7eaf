"""Reading one cue rule file into a ``Rule``, collecting every problem with its file line.

A coach edits these files, so every problem is reported with its file and
line, all of them at once, and unknown keys come with a did-you-mean hint.
Which keys exist and their types come from the dataclasses in
``rule_schema.py``; a trigger kind checks its own keys (``triggers.py``).
The file is read once: ``read_rule_file`` keeps its line map for the
cross-file checks of the compiler.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import LivecueError
from ..user_files import (
    Problem,
    ProblemsError,
    TomlLines,
    did_you_mean,
    finite_problem,
    parse_toml,
    read_user_text,
    type_problem,
)
from .rule_schema import (
    CARD_KEYS,
    EXAMPLE_KEYS,
    PLACEHOLDERS,
    RULE_ID,
    RULE_KEYS,
    RULE_TYPES,
    SPEAKERS,
    Card,
    Example,
    ExampleLine,
    Rule,
    Trigger,
    trigger_key_type,
    trigger_keys,
)
from .triggers import KINDS, REGISTRY
from .when import parse_when

# Rule files say "a whole number" where the settings file says "an integer".
_TYPE_NAMES = {int: "a whole number"}
MAX_EXAMPLE_LINES = 200  # an example's turns (the shipped ones have at most 10; 20,000 ran for minutes)
MAX_FORMAT_WIDTH = 200  # a card's placeholder may pad or cut to this many characters (the overlay shows far fewer)


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

    def other_file(self, file: str, line: int, message: str) -> None:
        self.loader.problem(self.line, f"{Path(file).name}:{line}: {message}")  # no kind reads other files while checking


class _FileLoader:
    """Builds one Rule from one file's TOML data, collecting every problem."""

    def __init__(self, path: Path, lines: TomlLines) -> None:
        self.file = str(path)
        self.path = path
        self.where = lines
        self.problems: list[Problem] = []

    def problem(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.file, line, message))

    def value(self, data: dict, key: str, path: tuple, default: Any, kind: Any = None) -> Any:
        if key not in data:
            return default
        value = data[key]
        kind = kind or RULE_TYPES.get(key, type(default))
        bad = type_problem(value, kind, _TYPE_NAMES)
        if bad:
            self.problem(self.where.key(path, key), f"'{key}' must be {bad}")
            return default
        if kind is float:
            infinite = finite_problem(key, value)  # TOML allows nan and inf; no rule threshold means either
            if infinite:
                self.problem(self.where.key(path, key), infinite)
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
            named = [c for c in choices if c]  # "" stands for "not given", never something to write
            self.problem(self.where.key(path, key),
                         f"'{key}' must be one of {', '.join(named)}, not {value!r}{did_you_mean(value, named)}")
            return default
        return value

    def template(self, text: str, line: int, what: str) -> None:
        try:
            parts = [(f, spec or "") for _, f, spec, _ in string.Formatter().parse(text) if f is not None]
        except ValueError as exc:
            self.problem(line, f"{what}: bad placeholder: {exc}")
            return
        fields = [f for f, _ in parts]
        wide = [f"{{{f}:{spec}}}" for f, spec in parts  # len first: int() refuses 4,300 digits and more
                if any(len(n) > 3 or int(n) > MAX_FORMAT_WIDTH for n in re.findall(r"\d+", spec))]
        if wide:  # "{evidence:99999999999}" asked for gigabytes of padding at load (MemoryError)
            self.problem(line, f"{what}: placeholder {wide[0]} pads or cuts to more than {MAX_FORMAT_WIDTH} characters")
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
        allowed = trigger_keys(kind)
        self.unknown(data, allowed, path, f"{'an' if kind_name[0] in 'aeiou' else 'a'} {kind_name} trigger")
        kwargs: dict[str, Any] = {"name": name, "kind": kind_name}
        for key, default in kind.keys.items():
            kwargs[key] = default
            if key not in data:
                continue
            if key in kind.lists:
                kwargs[key] = self.strings(data, key, path)
            else:
                kwargs[key] = self.value(data, key, path, default, trigger_key_type(key))
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
        if len(lines) > MAX_EXAMPLE_LINES:
            self.problem(self.where.key(path, "lines"), f"example '{name}' has {len(lines)} lines; an example "
                                                        f"shows one moment of a call in at most {MAX_EXAMPLE_LINES}")
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
        elif not RULE_ID.fullmatch(rule_id):
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
        for key in ("cooldown_s", "settle_s"):
            if kwargs[key] < 0:
                self.problem(self.where.key(root, key), f"'{key}' must not be negative")

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




@dataclass
class RuleFile:
    """One rule file as read: its rule (None if it has problems), the problems, its line map."""

    path: Path
    rule: Rule | None
    problems: list[Problem]
    lines: TomlLines | None = None  # None when the file could not be read
    text: str = ""

    @property
    def declared_id(self) -> str:
        """The id the file declares (its name if even that cannot be read), for "left out" messages."""
        match = re.search(r"^\s*id\s*=\s*[\"']([^\"']+)[\"']", self.text, re.M)
        return match.group(1) if match else self.path.stem


def read_rule_file(path: Path) -> RuleFile:
    try:
        text = read_user_text(path, "rule file")
    except LivecueError as exc:
        return RuleFile(path, None, [Problem(str(path), 0, str(exc).removeprefix(f"{path}: "))])
    lines = TomlLines(text)
    try:
        data = parse_toml(text, str(path))
    except ProblemsError as exc:
        return RuleFile(path, None, exc.problems, lines, text)
    loader = _FileLoader(path, lines)
    rule = loader.rule(data)
    return RuleFile(path, rule if not loader.problems else None, loader.problems, lines, text)


def load_rule_file(path: Path) -> tuple[Rule | None, list[Problem]]:
    """A rule file's Rule (None when it has problems) and its problems."""
    found = read_rule_file(path)
    return found.rule, found.problems
