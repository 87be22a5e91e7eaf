"""Cue rule directories: finding the files, loading them all, change detection.

One TOML file per play in ``cue_rules/``.  Loading never raises on a broken
file: ``load_rule_dir`` returns what loaded and the problems of the rest, so
a live session keeps coaching with the rules that are fine.  The work is
split by job: ``rule_schema.py`` (the dataclasses, hence the keys and their
types), ``rule_file.py`` (one file -> a Rule, with file:line problems),
``when.py`` (the ``when`` expression) and ``rule_compiler.py`` (cross-file
checks, compiled phrases).  Their public names are importable from here.

See ``docs/cue_rules.md`` for the format; the shipped files are the examples.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..user_files import Problem, TomlLines
from .rule_compiler import CompiledRule, CompiledTrigger, RuleSet, compile_rules
from .rule_file import RuleFile, load_rule_file, parse_example_line, read_rule_file
from .rule_schema import (
    CARD_KEYS,
    COMMON_TRIGGER_KEYS,
    EXAMPLE_KEYS,
    PLACEHOLDERS,
    RULE_KEYS,
    SPEAKERS,
    Card,
    Example,
    ExampleLine,
    Rule,
    Trigger,
)
from .when import parse_when

__all__ = [
    "CARD_KEYS", "COMMON_TRIGGER_KEYS", "EXAMPLE_KEYS", "PLACEHOLDERS", "RULE_KEYS", "SPEAKERS",
    "Card", "CompiledRule", "CompiledTrigger", "Example", "ExampleLine", "LoadResult", "Problem", "Rule",
    "RuleFile", "RuleSet", "TomlLines", "Trigger", "compile_rules", "default_rule_dirs", "describe_dirs",
    "load_rule_dir", "load_rule_file", "parse_example_line", "parse_when", "read_rule_file", "rule_dirs",
    "rule_files", "shipped_rules_dir", "snapshot", "user_rules_dir",
]


WATCHED = (".toml", ".tsv")  # rule files, and the utterance files beside them that classifiers learn from


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


@dataclass
class LoadResult:
    ruleset: RuleSet
    problems: list[Problem]
    rules: dict[str, Rule]  # file -> rule, for the files that loaded


def load_rule_dir(directory, previous: LoadResult | None = None) -> LoadResult:
    """Load every rule file; a broken file keeps its ``previous`` version if any, and so does a rule
    that no longer compiles (a bad value, a broken row of the utterance file it learns from): an edit
    must not switch a working rule off in the middle of a call.

    ``directory``: one directory, or layered directories (``default_rule_dirs()``:
    the shipped rules, then the user's, which may be absent) as a tuple.
    """
    problems: list[Problem] = []
    rules: dict[str, Rule] = {}
    mtimes = snapshot(directory)  # every watched file, shadowed ones too; a file read below gets its own time
    read: dict[str, RuleFile] = {}
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
        found = read[str(path)] = read_rule_file(path)
        problems.extend(found.problems)
        if found.rule is not None:
            rules[str(path)] = found.rule
        elif previous is not None and str(path) in previous.rules:
            rules[str(path)] = previous.rules[str(path)]
    lines = {file: found.lines for file, found in read.items() if found.lines is not None}
    ruleset, cross = compile_rules(list(rules.values()), lines)
    problems.extend(_blame_left_out(cross, problems, read, rules))
    if previous is not None:
        _keep_compiled(ruleset, previous.ruleset, set(read))
    ruleset.files = mtimes
    return LoadResult(ruleset, problems, rules)


def _keep_compiled(ruleset: RuleSet, previous: RuleSet, present: set[str]) -> None:
    """Rules of ``previous`` whose files are still ``present`` but that did not compile now, kept as they were."""
    files = {c.rule.file for c in ruleset.rules}
    ids = set(ruleset.ids)
    kept = [c for c in previous.rules if c.rule.file in present and c.rule.file not in files and c.rule.id not in ids]
    if kept:
        ruleset.rules = sorted(ruleset.rules + kept, key=lambda c: -c.rule.priority)


_REFERENCE = re.compile(r"^(.*?) names unknown cue '([^']+)'|^(?:phrases|unless|sounds_like)_from '(([^'.]+)\.[^']*)'")


def _blame_left_out(cross: list[Problem], problems: list[Problem], read: dict[str, RuleFile],
                    rules: dict[str, Rule]) -> list[Problem]:
    """A reference to a rule whose own file failed says so, instead of "unknown cue"."""
    failed: dict[str, Problem] = {}
    for file, found in read.items():
        if file in rules:
            continue
        first = next((p for p in problems if p.file == file), None)
        if first is not None:
            failed.setdefault(found.declared_id, first)
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


def _mtime(path: Path) -> float:
    try:
        st = path.stat()
        return st.st_mtime_ns / 1e9 + st.st_size * 1e-12
    except OSError:
        return -1.0


def snapshot(directory) -> dict[str, float]:
    """File -> mtime of the rule files and utterance files now (to see whether anything changed)."""
    paths: list[Path] = []
    for folder in rule_dirs(directory):
        try:
            with os.scandir(folder) as it:
                paths += [Path(e.path) for e in it if e.name.endswith(WATCHED) and not e.name.startswith(".")]
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
