"""The toolkit for files a user names or edits: settings, profiles, rules, logs, labels.

Two jobs, one place:

- *reading*: regular files of sane size only.  ``/dev/zero``, a FIFO with no
  writer or a 40 GB file would otherwise hang livecue or eat memory before
  any parser could complain; here they are one-line errors naming the path
  (``regular_file``, which ``audio/files.py`` uses for recordings too).
- *judging* what a person typed: TOML parsing (``tomllib``, ``tomli`` on
  Python 3.10), the line of every key (``TomlLines``), type and range checks
  (``type_problem``, ``range_problem``), and a likely intended key
  (``did_you_mean``); every problem is a ``Problem`` printed as
  ``file:line: message``.  ``config.py``, ``cues/profile.py`` and the rule
  loader (``cues/rule_file.py``) all use these, so they report alike.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import os
import re
import stat
import sys
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_type_hints

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from .errors import LivecueError
from .terminal_text import CONTROL

MB = 1024 * 1024
TOMLDecodeError = tomllib.TOMLDecodeError


# --- is it a regular file -------------------------------------------------------------


def file_kind(mode: int) -> str | None:
    """What a ``st_mode`` is, in words, or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def regular_file(path: Path, what: str, hint: str = "") -> os.stat_result:
    """``os.stat(path)`` of a regular file, or a one-line LivecueError (missing, a directory, a device...).

    ``what`` names the expected file ("a rule file", "an audio file"); ``hint``
    is added to the message for special files.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise LivecueError(f"{path}: no such file") from None
    except OSError as exc:
        raise LivecueError(f"{path}: cannot read: {exc.strerror or exc}") from None
    kind = file_kind(st.st_mode)
    if kind == "a directory":
        raise LivecueError(f"{path}: is a directory, not {what}")
    if kind is not None:
        raise LivecueError(f"{path}: is {kind}, not {what}{hint}")
    return st


def read_user_bytes(path: Path, what: str, max_bytes: int) -> bytes:
    """The bytes of the regular file ``path`` (at most ``max_bytes``), or a one-line LivecueError."""
    path = Path(path)
    st = regular_file(path, f"a {what}")
    if st.st_size > max_bytes:
        raise LivecueError(f"{path}: {st.st_size / MB:.0f} MB is too large for a {what} "
                           f"(livecue reads up to {max_bytes / MB:.0f} MB)")
    try:
        with open(path, "rb") as f:
            data = f.read(max_bytes + 1)
    except OSError as exc:
        raise LivecueError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(data) > max_bytes:  # grew while we looked
        raise LivecueError(f"{path}: too large for a {what} (livecue reads up to {max_bytes / MB:.0f} MB)")
    return data


def read_user_text(path: Path, what: str, max_bytes: int = 4 * MB) -> str:
    data = read_user_bytes(path, what, max_bytes)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LivecueError(f"{Path(path)}: cannot read: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


# --- problems, reported as file:line ---------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One problem in a user-edited file, reported as ``file:line: message``."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}" if self.line else f"{self.file}: {self.message}"


class ProblemsError(LivecueError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        first = str(problems[0]) if problems else "invalid file"
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(first + more, exit_code=2)


def did_you_mean(name: str, choices: list[str] | tuple[str, ...]) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.5)
    return f" (did you mean '{close[0]}'?)" if close else ""


# --- TOML and where things are in it -----------------------------------------------------


def toml_error_line(exc: Exception) -> int:
    match = re.search(r"line (\d+)", str(exc))
    return int(match.group(1)) if match else 0


def parse_toml(text: str, file: str) -> dict[str, Any]:
    """The TOML data of ``text``, or a ProblemsError naming the syntax error's line."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = toml_error_line(exc) or (len(text.splitlines()) if "end of document" in str(exc) else 0)
        raise ProblemsError([Problem(file, line, f"TOML syntax error: {exc}")]) from None
    except RecursionError:  # tomllib recurses once per nested array or inline table
        raise ProblemsError([Problem(file, _deepest_line(text), "TOML nested too deeply")]) from None
    problems = control_problems(data, text, file)
    if problems:
        raise ProblemsError(problems)
    return data


def control_problems(data: dict[str, Any], text: str, file: str) -> list[Problem]:
    """A problem per text value or key (by its ``file:line``) that holds a control character: TOML escapes
    can put one in a card title or a profile name, where a terminal would obey it."""
    found: list[tuple[tuple, str, str]] = []

    def walk(value: Any, path: tuple, key: str) -> None:
        text = key + value if isinstance(value, str) else key
        if CONTROL.search(text):
            found.append((path, key, CONTROL.search(text).group()))
            return
        if isinstance(value, dict):
            for name, item in value.items():
                walk(item, path + ((key,) if key else ()), name)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, dict):  # one of an [[array]] of tables: TomlLines numbers them
                    walk(item, path + (key, index), "")
                else:
                    walk(item, path, key)

    walk(data, (), "")
    if not found:
        return []
    lines = TomlLines(text)
    return [Problem(file, lines.key(path, key), f"'{CONTROL.sub('?', key)}' holds a control character "
                                                f"(U+{ord(char):04X}); remove it")
            for path, key, char in found]


def _deepest_line(text: str) -> int:
    """The line where brackets and braces stand deepest inside each other (strings not told apart)."""
    depth, deepest, line = 0, -1, 0
    for number, row in enumerate(text.splitlines(), 1):
        for char in row:
            depth += 1 if char in "[{" else -1 if char in "]}" else 0
            if depth > deepest:
                deepest, line = depth, number
    return line


def read_toml(path: Path, what: str = "settings file") -> tuple[dict[str, Any], str]:
    """A user's TOML file: its data and its text (for line numbers); one-line errors otherwise."""
    text = read_user_text(path, what)
    return parse_toml(text, str(path)), text


def _basic_string(raw: str) -> str:
    """A double-quoted TOML key's text as TOML reads it (``"x\\u0007"`` is x and BEL), so that its
    line can be found by the key the data holds."""
    if "\\" not in raw:
        return raw
    try:
        return tomllib.loads(f'k = "{raw}"')["k"]
    except tomllib.TOMLDecodeError:
        return raw


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
                key = _basic_string(k.group(1)) if k.group(1) else k.group(2) or k.group(3)
                self.keys.setdefault(path + (key,), number)

    def key(self, path: tuple, key: str) -> int:
        """Line of ``key`` under ``path``: a key, a [table] or an [[array]] of that name, else the table's line."""
        here = tuple(path) + (key,)
        found = (self.keys.get(here) or self.tables.get(here) or self.tables.get(here + (0,))
                 or self.tables.get(tuple(path), 0))
        while not found and path:  # inside an inline table (of an array): the line of the key that holds it
            path = tuple(path[:-1])  # ("x = [", "y = {")
            found = self.keys.get(path) or self.tables.get(path, 0)
        return found

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


# --- types and ranges ---------------------------------------------------------------------


def toml_type(hint: Any) -> Any:
    """The TOML shape of a dataclass field's type: float, int, bool, str, list, dict, a dataclass.

    ``tuple[...]`` is a TOML array (``list``); ``X | None`` is ``X``.
    """
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return toml_type(args[0]) if len(args) == 1 else hint
    if origin in (tuple, list) or hint in (tuple, list):
        return list
    if origin is dict or hint is dict:
        return dict
    return hint


def field_types(cls: type) -> dict[str, Any]:
    """Field name -> TOML shape (``toml_type``) of a dataclass."""
    hints = get_type_hints(cls)
    return {f.name: toml_type(hints[f.name]) for f in dataclasses.fields(cls)}


_NAMES = {float: "a number", int: "an integer", bool: "true or false", str: "a string", list: "a list"}


def type_problem(value: Any, kind: Any, names: dict | None = None) -> str | None:
    """What ``value`` must be when it is not of TOML shape ``kind`` ("a number", ...), or None.

    ``names`` overrides the words per type (the rule files say "a whole number").
    """
    names = {**_NAMES, **(names or {})}
    if kind is float:
        ok = not isinstance(value, bool) and isinstance(value, (int, float))
    elif kind is int:
        ok = not isinstance(value, bool) and isinstance(value, int)
    elif kind in (bool, str, list):
        ok = isinstance(value, kind)
    else:
        return None
    return None if ok else names[kind]


def finite(value: int | float) -> bool:
    """``math.isfinite``, false for an integer past the float range too (JSON allows 400 digits; isfinite raises)."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def finite_problem(key: str, value: Any) -> str | None:
    """TOML allows nan and inf; a threshold in a rule means neither."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"'{key}' must be a finite number (got {value})"
    return None


def range_problem(cls: type, key: str, value: Any) -> str | None:
    """Why ``value`` is outside the documented range of ``cls.key`` (NaN and inf included), or None."""
    choices = getattr(cls, "CHOICES", {}).get(key)
    if choices is not None and value not in choices:
        return f"'{key}' must be one of {', '.join(choices)} (got {value!r}){did_you_mean(str(value), choices)}"
    bounds = getattr(cls, "RANGES", {}).get(key)
    if bounds is None or isinstance(value, bool):
        return None
    lo, hi = bounds
    if lo <= value <= hi:  # False for NaN
        return None
    return f"'{key}' must be between {lo:g} and {hi:g} (got {value:g})"


def _coerce(value: Any, hint: Any) -> Any:
    """Check a TOML value against a settings field's type; return it converted or raise TypeError."""
    kind = toml_type(hint)
    if kind is list:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise TypeError("a list of strings")
        return tuple(value)
    bad = type_problem(value, kind)
    if bad:
        raise TypeError(bad)
    return float(value) if kind is float else value


def build_dataclass(cls: type, data: dict[str, Any], file: str, lines: TomlLines, path: tuple,
                    problems: list[Problem]) -> Any:
    """Make ``cls`` from ``data`` (the table at ``path``), appending a Problem for each bad key.

    Keys and types come from the dataclass's fields; ranges from its ``RANGES``,
    the words a text may be from its ``CHOICES``, and pairs that must be in
    order from its ``ORDER`` (class variables).
    """
    hints = get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        line = lines.key(path, key)
        if key not in names:
            problems.append(Problem(file, line, f"unknown key '{key}'{did_you_mean(key, names)}"))
            continue
        hint = hints[key]
        if dataclasses.is_dataclass(hint):
            if not isinstance(value, dict):
                problems.append(Problem(file, line, f"'{key}' must be a table"))
                continue
            kwargs[key] = build_dataclass(hint, value, file, lines, path + (key,), problems)
            continue
        try:
            kwargs[key] = _coerce(value, hint)
        except TypeError as exc:
            problems.append(Problem(file, line, f"'{key}' must be {exc}"))
            continue
        problem = range_problem(cls, key, kwargs[key])
        if problem:
            problems.append(Problem(file, line, problem))
            del kwargs[key]
    built = cls(**kwargs)
    for low, high in getattr(cls, "ORDER", ()):
        if (low in kwargs or high in kwargs) and not getattr(built, low) <= getattr(built, high):
            key = low if low in kwargs else high
            problems.append(Problem(file, lines.key(path, key),
                                    f"'{low}' ({getattr(built, low):g}) must not be more than "
                                    f"'{high}' ({getattr(built, high):g})"))
    return built


def load_dataclass(cls: type, path: Path, what: str) -> tuple[Any, list[Problem], TomlLines]:
    """Read ``path`` as a ``cls``: the value, its problems (maybe none) and the file's lines."""
    data, text = read_toml(path, what)
    lines = TomlLines(text)
    problems: list[Problem] = []
    return build_dataclass(cls, data, str(path), lines, (), problems), problems, lines
