"""What to coach: audio files, folders searched for audio, and manifests.

A manifest (``.csv`` with a header, or ``.jsonl`` with one object a line)
names each call's ``path`` (or a ``rep_file``/``prospect_file`` pair) and,
optionally, ``rep`` (the rep's name), ``date``, ``rep_channel``,
``prospect_channel`` and ``tags`` (``;``-separated in CSV, a list or string
in JSON).  Relative paths are relative to the manifest.  A bad row is a
``file:line`` error before any call is processed.

Calls found in a folder take their rep from the first sub-folder under it
(``calls/alice/monday.wav`` -> rep ``alice``), their date from the file's
modification time.
"""

from __future__ import annotations

import csv
import json
import os
import re
from dataclasses import dataclass
from datetime import date as Date
from datetime import datetime
from pathlib import Path

from ..config import did_you_mean
from ..errors import LivecueError

AUDIO_SUFFIXES = frozenset({".wav", ".flac", ".mp3", ".m4a", ".ogg", ".opus", ".aac", ".wma", ".webm", ".aiff", ".aif"})
MANIFEST_SUFFIXES = frozenset({".csv", ".jsonl"})
MANIFEST_KEYS = ("path", "rep_file", "prospect_file", "rep", "date", "rep_channel", "prospect_channel", "tags")


@dataclass(frozen=True)
class CallInput:
    """One call to coach: one recording (channels mapped) or a rep/prospect pair of files."""

    path: Path | None = None
    rep_file: Path | None = None
    prospect_file: Path | None = None
    rep_channel: int | None = None
    prospect_channel: int | None = None
    rep: str = ""
    date: str = ""  # YYYY-MM-DD
    tags: tuple[str, ...] = ()

    @property
    def files(self) -> tuple[Path, ...]:
        return (self.path,) if self.path is not None else (self.rep_file, self.prospect_file)

    @property
    def label(self) -> str:
        """What the session log calls the source (as ``replay`` would)."""
        if self.path is not None:
            return str(self.path)
        return f"{self.rep_file} + {self.prospect_file}"

    @property
    def mapping(self) -> str:
        if self.path is None:
            return "pair"
        return f"channels {self.rep_channel if self.rep_channel is not None else 0}," \
               f"{self.prospect_channel if self.prospect_channel is not None else 1}"


def _file_date(path: Path) -> str:
    try:
        return datetime.fromtimestamp(path.stat().st_mtime).date().isoformat()
    except OSError:
        return ""


def _in_folder(folder: Path) -> list[CallInput]:
    found = sorted(p for p in folder.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES and p.is_file())
    calls = []
    for p in found:
        parts = p.relative_to(folder).parts
        calls.append(CallInput(path=p, rep=parts[0] if len(parts) > 1 else "", date=_file_date(p)))
    return calls


def _channel(value, where: str, key: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        n = int(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: a JSON number too big for a float (1e400)
        raise LivecueError(f"{where}: {key} must be a channel number, not {value!r}") from None
    if n < 0:
        raise LivecueError(f"{where}: {key} must be 0 or more")
    return n


def _row(row: dict, base: Path, where: str) -> CallInput:
    for key in row:
        if key not in MANIFEST_KEYS:
            hint = did_you_mean(str(key), MANIFEST_KEYS)
            raise LivecueError(f"{where}: unknown column '{key}'{hint}")

    def path_of(key: str) -> Path | None:
        value = row.get(key)
        if value in (None, ""):
            return None
        if not isinstance(value, str):
            raise LivecueError(f"{where}: {key} must be a path")
        try:
            os.fsencode(value)
        except UnicodeEncodeError:  # a lone surrogate ("\\ud800" in JSON) names no file on this system
            raise LivecueError(f"{where}: {key} is not a file name this system can hold") from None
        p = Path(value).expanduser()
        return p if p.is_absolute() else base / p

    path, rep_file, prospect_file = path_of("path"), path_of("rep_file"), path_of("prospect_file")
    if path is not None and (rep_file or prospect_file):
        raise LivecueError(f"{where}: give either path or rep_file + prospect_file, not both")
    if path is None and not (rep_file and prospect_file):
        raise LivecueError(f"{where}: needs a path (or both rep_file and prospect_file)")
    day = row.get("date") or ""
    if day:
        try:
            day = Date.fromisoformat(str(day)[:10]).isoformat()
        except ValueError:
            raise LivecueError(f"{where}: date must be YYYY-MM-DD, not {row.get('date')!r}") from None
    tags = row.get("tags") or ""
    if isinstance(tags, str):
        tags = tuple(t.strip() for t in re.split(r"[;|]", tags) if t.strip())
    elif isinstance(tags, list) and all(isinstance(t, str) for t in tags):
        tags = tuple(tags)
    else:
        raise LivecueError(f"{where}: tags must be a list of strings or a ';'-separated string")
    first = path or rep_file
    return CallInput(path=path, rep_file=rep_file, prospect_file=prospect_file,
                     rep_channel=_channel(row.get("rep_channel"), where, "rep_channel"),
                     prospect_channel=_channel(row.get("prospect_channel"), where, "prospect_channel"),
                     rep=str(row.get("rep") or ""), date=day or _file_date(first), tags=tags)


def read_manifest(path: Path) -> list[CallInput]:
    """The calls a CSV or JSON-lines manifest lists; ``file:line`` errors for bad rows."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise LivecueError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise LivecueError(f"{path}: not a UTF-8 text manifest") from None
    base = path.parent
    calls: list[CallInput] = []
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(text.splitlines())
        if not reader.fieldnames:
            raise LivecueError(f"{path}:1: empty manifest (a header line naming the columns is needed)")
        for row in reader:
            where = f"{path}:{reader.line_num}"
            if None in row:
                raise LivecueError(f"{where}: more fields than the header names")
            cleaned = {k.strip(): (v or "").strip() for k, v in row.items() if k is not None}
            if not any(cleaned.values()):
                continue
            calls.append(_row(cleaned, base, where))
    else:
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                obj = json.loads(line)
            except ValueError as exc:
                raise LivecueError(f"{where}: not valid JSON ({exc.msg})") from None
            except RecursionError:  # the parser recurses once per nested array or object
                raise LivecueError(f"{where}: not valid here: JSON nested too deeply") from None
            if not isinstance(obj, dict):
                raise LivecueError(f"{where}: each line must be a JSON object")
            calls.append(_row(obj, base, where))
    return calls


def expand_inputs(inputs: list[Path]) -> list[CallInput]:
    """Every call the command line names, in order, each recording once."""
    calls: list[CallInput] = []
    for item in inputs:
        if item.is_dir():
            found = _in_folder(item)
            if not found:
                raise LivecueError(f"{item}: no audio files in this folder")
            calls.extend(found)
        elif item.suffix.lower() in MANIFEST_SUFFIXES:
            if not item.is_file():
                raise LivecueError(f"{item}: no such manifest")
            calls.extend(read_manifest(item))
        else:
            # A missing or unreadable file is a failed call (recorded), not a stop.
            calls.append(CallInput(path=item, date=_file_date(item)))
    seen: set = set()
    unique = []
    for c in calls:
        key = (c.files, c.mapping)
        if key not in seen:
            seen.add(key)
            unique.append(c)
    return unique
