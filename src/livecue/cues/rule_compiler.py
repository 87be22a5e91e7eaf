"""Compiling loaded rules into a ``RuleSet``: cross-file checks and the compiled phrases.

Ids must be unique, ``after``/``not_after`` and ``*_from`` references must
name rules that loaded, and each trigger kind compiles what it evaluates
(phrase sets, embedded intent examples).  Compiled phrase lists are kept in
a module cache (``triggers.phrase_set``), so a hot reload or ``livecue tune``
recompiles only what changed.  Problems point at the line of the key, from
the line maps read with the files; nothing is read again here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..user_files import Problem, TomlLines, did_you_mean
from .match import PhraseSet
from .rule_schema import Rule, Trigger
from .triggers import BORROWS, REGISTRY, phrase_set
from .when import parse_when


@dataclass
class CompiledTrigger:
    trigger: Trigger
    rule_id: str
    phrases: PhraseSet | None = None
    unless: PhraseSet | None = None
    intent: Any = None  # intents.Intent: the embedded examples of an intent trigger
    second: Any = None  # intents.Intent: the same fit on ``second_opinion``'s embedding, which may veto the turn


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
    # phrase matches by (phrase set, fuzzy, turn text): a pure function of the rules, so every detector
    # on these rules shares them (an evaluation's dry run and real run read the same turns)
    matches: dict[tuple, list] = field(default_factory=dict, repr=False, compare=False)

    @property
    def ids(self) -> list[str]:
        return [c.rule.id for c in self.rules]

    def get(self, rule_id: str) -> CompiledRule | None:
        return next((c for c in self.rules if c.rule.id == rule_id), None)


def compile_rules(rules: list[Rule], lines: dict[str, TomlLines] | None = None) -> tuple[RuleSet, list[Problem]]:
    """Cross-file checks (ids, references) and phrase compilation.

    ``lines``: file -> its line map (from ``read_rule_file``), to place problems.
    """
    lines = lines or {}

    def line_of(file: str, path: tuple, key: str) -> int:
        where = lines.get(file)
        return where.key(path, key) if where is not None else 0

    problems: list[Problem] = []
    by_id: dict[str, Rule] = {}
    for rule in rules:
        if rule.id in by_id:
            problems.append(Problem(rule.file, line_of(rule.file, (), "id"),
                                    f"rule id '{rule.id}' is also used in {by_id[rule.id].file}"))
            continue
        by_id[rule.id] = rule
    ids = list(by_id)
    trigger_refs = {f"{r.id}.{t.name}": t.kind for r in by_id.values() for t in r.triggers}  # what a borrowing key names
    compiled: list[CompiledRule] = []
    for rule in by_id.values():
        bad = False
        for key, refs, path in [("after", rule.after, ()), ("not_after", rule.not_after, ())] + [
                (k, getattr(t, k), ("triggers", t.name)) for t in rule.triggers for k in ("after", "not_after")]:
            for ref in refs:
                if ref not in by_id:
                    problems.append(Problem(rule.file, line_of(rule.file, path, key),
                                            f"'{key}' names unknown cue '{ref}'{did_you_mean(ref, ids)}"))
                    bad = True
        triggers: dict[str, CompiledTrigger] = {}
        for trig in rule.triggers:
            ct = CompiledTrigger(trig, rule.id)
            at = _CrossAt(rule, trig.name, problems, trigger_refs, line_of)
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

    def __init__(self, rule: Rule, trigger: str, problems: list[Problem], refs: dict[str, str], line_of) -> None:
        self.rule, self.path, self.problems, self.refs = rule, ("triggers", trigger), problems, refs
        self.line_of = line_of

    def key(self, key: str, message: str) -> None:
        ref = getattr(self.rule.trigger(self.path[1]), key, "")
        hint = ""
        kind = BORROWS.get(key)
        if kind and isinstance(ref, str) and "." in ref and ref not in self.refs:  # a name that is no trigger:
            hint = did_you_mean(ref, [r for r, k in self.refs.items() if k == kind])  # the nearest of the kind
        self.problems.append(Problem(self.rule.file, self.line_of(self.rule.file, self.path, key), message + hint))

    def item(self, key: str, value: str, message: str) -> None:
        self.key(key, message)

    def table(self, message: str) -> None:
        self.problems.append(Problem(self.rule.file, self.line_of(self.rule.file, self.path, "kind"), message))

    def other_file(self, file: str, line: int, message: str) -> None:
        problem = Problem(file, line, message)
        if problem not in self.problems:
            self.problems.append(problem)
