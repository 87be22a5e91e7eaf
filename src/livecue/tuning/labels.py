"""Labelled calls (the format of ``../shared/calls/README.md``).

A labelled call is a JSON file next to its audio: the reference utterances
and the cue windows a coach expects.  ``find_calls`` accepts files and
directories (searched recursively) so ``livecue eval ../shared/calls`` takes
in the whole set.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..audio_facts import CALL_SIDES
from ..errors import LivecueError
from ..terminal_text import printable
from ..user_files import finite
from ..cues.rule_schema import RULE_ID
from ..cues.transcript import ReferenceLine

CUES = ("reset", "second_effort", "plant_seed", "weak_ending", "decision_maker")


@dataclass(frozen=True)
class Window:
    """Where a cue is expected: correct if it fires at ``start <= t <= end``."""

    cue: str
    start: float  # "from" in the file
    anchor: float  # end of the triggering turn; latency = t - anchor
    end: float  # "to" in the file
    required: bool = True

    def contains(self, t: float) -> bool:
        return self.start <= t <= self.end


@dataclass(frozen=True)
class LabelledCall:
    path: Path
    audio: Path
    channels: dict
    title: str
    duration: float
    utterances: tuple[ReferenceLine, ...]
    expected: tuple[Window, ...]

    @property
    def name(self) -> str:
        return self.path.stem


def _num(value, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not finite(value):
        raise LivecueError(f"{where} must be a finite number")
    return float(value)


def load_call(path: Path) -> LabelledCall:
    from ..user_files import read_user_text

    text = read_user_text(path, "labelled call", 64 * 1024 * 1024)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LivecueError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    except RecursionError:  # the parser recurses once per nested array or object
        raise LivecueError(f"{path}: not a labelled call: JSON nested too deeply") from None
    return parse_call(data, path)


def parse_call(data, path: Path) -> LabelledCall:
    if not isinstance(data, dict) or not isinstance(data.get("utterances"), list):
        raise LivecueError(f"{path}: not a labelled call (no 'utterances' list)")
    version = data.get("version", 1)
    if version != 1:
        raise LivecueError(f"{path}: label format version {version!r} is not supported (want 1)")
    utts = []
    for i, u in enumerate(data["utterances"]):
        where = f"{path}: utterance {i + 1}"
        if not isinstance(u, dict) or u.get("speaker") not in CALL_SIDES or not isinstance(u.get("text"), str):
            raise LivecueError(f"{where} needs speaker rep|prospect and text")
        start, end = _num(u.get("start"), f"{where} start"), _num(u.get("end"), f"{where} end")
        utts.append(ReferenceLine(u["speaker"], start, max(end, start), u["text"]))
    windows = []
    for i, e in enumerate(data.get("expected") or []):
        where = f"{path}: expected {i + 1}"
        if not isinstance(e, dict) or not isinstance(e.get("cue"), str):
            raise LivecueError(f"{where} needs a cue")
        if not RULE_ID.fullmatch(e["cue"]):  # it is printed in eval's table
            raise LivecueError(f"{where}: cue {printable(repr(e['cue'][:60]))} is not a rule id "
                               "(lower case letters, digits and _)")
        start, end = _num(e.get("from"), f"{where} from"), _num(e.get("to"), f"{where} to")
        anchor = _num(e.get("anchor", start), f"{where} anchor")
        if end < start:  # a window no cue can fall in: it would only ever count as a miss
            raise LivecueError(f"{where}: 'to' ({end:g}) is before 'from' ({start:g})")
        required = e.get("required", True)
        if not isinstance(required, bool):
            raise LivecueError(f"{where} required must be true or false")
        windows.append(Window(e["cue"], start, anchor, end, required))
    channels = data.get("channels") or {"rep": 0, "prospect": 1}
    if not isinstance(channels, dict) or not all(
            isinstance(channels.get(k), int) and not isinstance(channels.get(k), bool) for k in CALL_SIDES):
        raise LivecueError(f"{path}: channels must give rep and prospect channel numbers")
    audio = path.parent / str(data.get("audio") or (path.stem + ".wav"))
    duration = data.get("duration")
    if not isinstance(duration, (int, float)) or isinstance(duration, bool) or not finite(duration):
        duration = max((u.end for u in utts), default=0.0)
    return LabelledCall(path, audio, dict(channels), str(data.get("title", path.stem)), float(duration),
                        tuple(sorted(utts, key=lambda u: u.start)), tuple(windows))


def find_calls(paths: list[Path]) -> list[LabelledCall]:
    """Labelled calls in files and directories (recursively), sorted by path."""
    calls: list[LabelledCall] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for candidate in sorted(path.rglob("*.json")):
                try:
                    data = json.loads(candidate.read_text(encoding="utf-8"))
                except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError):
                    continue  # not ours: directories may hold other JSON
                if isinstance(data, dict) and "utterances" in data:
                    calls.append(parse_call(data, candidate))
        elif path.is_file():
            calls.append(load_call(path))
        else:
            raise LivecueError(f"{path}: no such file or directory")
    if not calls:
        raise LivecueError("no labelled calls (*.json with utterances) in " + ", ".join(str(p) for p in paths))
    return calls
