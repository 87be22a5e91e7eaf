"""Parameter sweeps over the cue rules (``livecue tune``).

A sweep runs the cue engine in transcript mode over labelled calls (and,
optionally, over session logs with the rep's helpful/wrong marks) once per
point of a parameter grid, and reports which settings score best per cue
and which calls change.  ``write_params`` puts chosen values back into the
rule files, touching only the lines of those values.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..cues.profile import Profile
from ..cues.rules import CompiledRule, CompiledTrigger, LoadResult, RuleSet, Trigger, TomlLines
from ..cues.triggers import REGISTRY
from ..cues.transcript import CommitSchedule, run_events
from ..config import did_you_mean
from ..errors import LivecueError
from ..events import Committed, Event, SpeechEnded, SpeechStarted, Tentative
from ..session.log import read_session
from ..terminal_text import printable
from .evaluate import EVENTS, CallResult, CueScore, match_call, score
from .labels import LabelledCall, Window

MAX_POINTS = 20000
_TUNABLE_RULE_KEYS = ("priority", "cooldown_s", "once_per_call", "settle_s", "tentative", "engaged_min_words",
                      "enabled")


@dataclass(frozen=True)
class Param:
    """One swept setting: ``rule.key`` or ``rule.trigger.key``."""

    rule: str
    trigger: str | None
    key: str
    values: tuple

    @property
    def name(self) -> str:
        return ".".join(p for p in (self.rule, self.trigger, self.key) if p)


def _convert(text: str, like: Any, name: str) -> Any:
    text = text.strip()
    try:
        if isinstance(like, bool):
            if text.lower() not in ("true", "false"):
                raise ValueError
            return text.lower() == "true"
        if isinstance(like, int):
            return int(text)
        if isinstance(like, float):
            value = float(text)
            if not math.isfinite(value):  # as in a rule file (user_files.finite_problem)
                raise LivecueError(f"--set {name}: {text!r} is not a finite number")
            return value
    except ValueError:
        kind = "true or false" if isinstance(like, bool) else type(like).__name__
        raise LivecueError(f"--set {name}: {text!r} is not {'an' if kind == 'int' else 'a'} {kind}") from None
    raise LivecueError(f"--set {name}: only numbers and true/false can be swept")


def parse_set(spec: str, ruleset: RuleSet) -> Param:
    """``reset.min_streak=2,3,4`` (the trigger may be left out when only one has the key)."""
    name, sep, raw = spec.partition("=")
    if not sep or not raw.strip():
        raise LivecueError(f"--set {spec!r}: want RULE.KEY=V1,V2,... e.g. reset.min_streak=2,3,4")
    parts = name.strip().split(".")
    if len(parts) not in (2, 3):
        raise LivecueError(f"--set {name}: want RULE.KEY or RULE.TRIGGER.KEY")
    crule = ruleset.get(parts[0])
    if crule is None:
        raise LivecueError(f"--set {name}: no rule '{parts[0]}'{did_you_mean(parts[0], ruleset.ids)}")
    rule = crule.rule
    trigger: str | None = None
    key = parts[-1]
    if len(parts) == 3:
        trigger = parts[1]
        trig = rule.trigger(trigger)
        if trig is None:
            raise LivecueError(f"--set {name}: rule '{rule.id}' has no trigger '{trigger}'"
                               f"{did_you_mean(trigger, [t.name for t in rule.triggers])}")
        if key not in REGISTRY[trig.kind].tunable:
            raise LivecueError(f"--set {name}: a {trig.kind} trigger has no tunable key '{key}'"
                               f"{did_you_mean(key, REGISTRY[trig.kind].tunable)}")
        like = getattr(trig, key)
    elif key in _TUNABLE_RULE_KEYS:
        like = getattr(rule, key)
    else:
        owners = [t for t in rule.triggers if key in REGISTRY[t.kind].tunable]
        if not owners:
            known = list(_TUNABLE_RULE_KEYS) + sorted({k for t in rule.triggers for k in REGISTRY[t.kind].tunable})
            raise LivecueError(f"--set {name}: rule '{rule.id}' has no setting '{key}'{did_you_mean(key, known)}")
        if len(owners) > 1:
            options = ", ".join(f"{rule.id}.{t.name}.{key}" for t in owners)
            raise LivecueError(f"--set {name}: '{key}' is in several triggers; say which: {options}")
        trigger = owners[0].name
        like = getattr(owners[0], key)
    values = tuple(_convert(v, like, name) for v in raw.split(",") if v.strip())
    for v in values:
        if isinstance(v, (int, float)) and not isinstance(v, bool) and v < 0:
            raise LivecueError(f"--set {name}: {v} must not be negative")
        if trigger is not None:
            _check_value(rule.trigger(trigger), key, v, name)
    return Param(rule.id, trigger, key, tuple(dict.fromkeys(values)))


class _KeyProblems:
    """What a trigger kind's check says of one key (``triggers.Problems``)."""

    def __init__(self, key: str) -> None:
        self.wanted, self.messages = key, []

    def key(self, key: str, message: str) -> None:
        if key == self.wanted:
            self.messages.append(message)

    def table(self, message: str) -> None:
        pass

    def item(self, key: str, value: str, message: str) -> None:
        if key == self.wanted:
            self.messages.append(message)

    def other_file(self, file: str, line: int, message: str) -> None:
        pass


def _check_value(trig: Trigger, key: str, value: Any, name: str) -> None:
    """A swept value gets the range check the rule file's value gets (the kind's own ``check``)."""
    problems = _KeyProblems(key)
    REGISTRY[trig.kind].check(dataclasses.replace(trig, **{key: value}), {key: value}, problems)
    if problems.messages:
        raise LivecueError(f"--set {name}: {value}: {problems.messages[0]}")


def current_value(ruleset: RuleSet, param: Param) -> Any:
    rule = ruleset.get(param.rule).rule  # type: ignore[union-attr]
    if param.trigger is None:
        return getattr(rule, param.key)
    return getattr(rule.trigger(param.trigger), param.key)


def apply_params(ruleset: RuleSet, values: dict[Param, Any]) -> RuleSet:
    """A copy of ``ruleset`` with new values; compiled phrase lists, and so their matches, are shared."""
    by_rule: dict[str, list[tuple[Param, Any]]] = {}
    for param, value in values.items():
        by_rule.setdefault(param.rule, []).append((param, value))
    rules: list[CompiledRule] = []
    for crule in ruleset.rules:
        changes = by_rule.get(crule.rule.id)
        if not changes:
            rules.append(crule)
            continue
        rule_changes = {p.key: v for p, v in changes if p.trigger is None}
        triggers: dict[str, CompiledTrigger] = {}
        new_trigs: list[Trigger] = []
        for name, ct in crule.triggers.items():
            trig_changes = {p.key: v for p, v in changes if p.trigger == name}
            trig = dataclasses.replace(ct.trigger, **trig_changes) if trig_changes else ct.trigger
            new_trigs.append(trig)
            triggers[name] = dataclasses.replace(ct, trigger=trig)  # compiled parts (phrases, intent) carry over
        rule = dataclasses.replace(crule.rule, triggers=tuple(new_trigs), **rule_changes)
        rules.append(CompiledRule(rule, crule.when, triggers))
    rules.sort(key=lambda c: -c.rule.priority)
    return RuleSet(rules, dict(ruleset.files), ruleset.matches)  # the same phrase sets: the same matches


# --- what a sweep runs on -------------------------------------------------------------------------


@dataclass
class Case:
    name: str
    events: list[tuple[float, Event]]  # each with when it arrives
    duration: float
    expected: tuple[Window, ...]


def call_case(call: LabelledCall, streamed: CommitSchedule | None = None) -> Case:
    """A labelled call's reference words, each utterance at its end, or as a live call commits them (``streamed``)."""
    return Case(str(call.path), EVENTS.get(call, streamed), call.duration, call.expected)


_INPUT = (SpeechStarted, SpeechEnded, Tentative, Committed)


def feedback_case(path: Path, *, before_s: float = 3.0, after_s: float = 10.0) -> tuple[Case, dict]:
    """A session log as a labelled call: the rep's marks are the labels.

    A cue marked helpful becomes a required window around when it fired; one
    marked wrong gets no window (firing there again is a false positive);
    unmarked cues get optional windows (no opinion either way).  The log is
    read with ``session.log.read_session`` (tolerant of cut-off logs).
    """
    data = read_session(path)
    windows: list[Window] = []
    counts: dict = {"helpful": 0, "wrong": 0, "unmarked": 0, "notices": list(data.notices)}
    for outcome in data.cue_outcomes():
        verdicts = [m for m in outcome.mark_names if m in ("helpful", "wrong")]
        c = outcome.cue
        if verdicts and verdicts[-1] == "helpful":
            counts["helpful"] += 1
            windows.append(Window(c.cue, c.t - before_s, c.t, c.t + after_s, True))
        elif verdicts:
            counts["wrong"] += 1
        else:
            counts["unmarked"] += 1
            windows.append(Window(c.cue, c.t - before_s, c.t, c.t + after_s, False))
    inputs = [(e.t, e) for e in data.events if isinstance(e, _INPUT)]
    return Case(str(path), inputs, data.duration, tuple(windows)), counts


# --- the sweep -------------------------------------------------------------------------------------


@dataclass
class Point:
    values: dict[Param, Any]
    results: list[CallResult]
    cues: dict[str, CueScore]
    overall: CueScore
    changes: int  # how many values differ from the rule files

    def label(self) -> str:
        return ", ".join(f"{p.name}={format_value(v)}" for p, v in self.values.items())


def format_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def run_case(case: Case, load: LoadResult, profile: Profile | None) -> CallResult:
    cues = run_events(case.events, load, profile, case.duration)
    return match_call(case.name, [(c.cue, c.t) for c in cues], case.expected)


def sweep(cases: list[Case], ruleset: RuleSet, params: list[Param], profile: Profile | None = None,
          cue_ids=(), progress=None) -> tuple[Point, list[Point]]:
    """(baseline, every grid point), each scored on every case."""
    grid = list(itertools.product(*(p.values for p in params)))
    if len(grid) > MAX_POINTS:
        raise LivecueError(f"{len(grid)} combinations is too many (at most {MAX_POINTS}); narrow the --set lists")
    base_values = {p: current_value(ruleset, p) for p in params}

    def evaluate_point(values: dict[Param, Any]) -> Point:
        rs = apply_params(ruleset, values)
        load = LoadResult(rs, [], {})
        results = [run_case(case, load, profile) for case in cases]
        per_cue, overall = score(results, cue_ids)
        changes = sum(1 for p, v in values.items() if v != base_values[p])
        return Point(values, results, per_cue, overall, changes)

    baseline = evaluate_point(base_values)
    points: list[Point] = []
    for i, combo in enumerate(grid):
        values = dict(zip(params, combo))
        points.append(baseline if values == base_values else evaluate_point(values))
        if progress is not None:
            progress(i + 1, len(grid))
    return baseline, points


def best_overall(points: list[Point]) -> Point:
    return max(points, key=lambda p: (round(p.overall.f1, 9), -p.changes))


def best_for(points: list[Point], cue: str) -> Point:
    def key(p: Point) -> tuple:
        s = p.cues.get(cue) or CueScore()
        return (round(s.f1, 9), round(p.overall.f1, 9), -p.changes)

    return max(points, key=key)


def changed_calls(before: Point, after: Point) -> list[str]:
    """Calls whose cues (and how they scored) differ between two points."""
    out = []
    for a, b in zip(before.results, after.results):
        sig_a = [(f.cue, f.outcome) for f in a.fired] + [("miss", w.cue) for w in a.missed]
        sig_b = [(f.cue, f.outcome) for f in b.fired] + [("miss", w.cue) for w in b.missed]
        if sig_a != sig_b:
            def show(r: CallResult) -> str:
                parts = [f"{f.cue}@{f.t:.1f}({f.outcome})" for f in r.fired] + [f"missed {w.cue}" for w in r.missed]
                return ", ".join(parts) or "nothing"
            out.append(printable(f"{Path(a.file).name}: {show(a)} -> {show(b)}"))  # a name from outside
    return out


# --- writing values back ---------------------------------------------------------------------------


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        text = repr(value)
        return text if ("." in text or "e" in text or "inf" in text) else text + ".0"
    return str(value)


def write_params(rule_file: Path, values: list[tuple[Param, Any]]) -> None:
    """Set values in one rule file, keeping every other line (comments too) as it was."""
    text = rule_file.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    for param, value in values:
        where = TomlLines("".join(lines))
        path: tuple = ("triggers", param.trigger) if param.trigger else ()
        line = where.keys.get(path + (param.key,))
        new_value = _toml_value(value)
        if line:
            old = lines[line - 1]
            m = re.match(r"^(\s*[\"']?" + re.escape(param.key) + r"[\"']?\s*=\s*)([^#\r\n]*?)(\s*(#.*)?)(\r?\n)?$", old)
            if not m:
                raise LivecueError(f"{rule_file}:{line}: cannot rewrite this line; edit {param.name} by hand")
            lines[line - 1] = m.group(1) + new_value + (m.group(3) or "") + (m.group(5) or "")
            continue
        if param.trigger:
            header = where.tables.get(path)
            if not header:
                raise LivecueError(f"{rule_file}: no [triggers.{param.trigger}] table to write {param.key} into")
            insert_at = header
        else:
            root_lines = [n for k, n in where.keys.items() if len(k) == 1]
            insert_at = max(root_lines) if root_lines else 0
        lines.insert(insert_at, f"{param.key} = {new_value}\n")
    rule_file.write_text("".join(lines), encoding="utf-8")


def rule_file_of(ruleset: RuleSet, rule_id: str) -> Path:
    crule = ruleset.get(rule_id)
    assert crule is not None
    return Path(crule.rule.file)

