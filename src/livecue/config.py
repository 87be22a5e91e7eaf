"""Typed settings with units in their names, and loading them from TOML.

Thresholds never hide as literals in the stages: they live here, documented,
with their unit in the name (``_s``, ``_ms``, ``_db``).  A config file may
override any of them; unknown keys and wrong types are reported with the file,
the line and a likely intended key, all problems at once.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, get_type_hints

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from .errors import LivecueError


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


def key_line(text: str, key: str, section: str | None = None) -> int:
    """Best-effort line number of ``key = ...`` (inside ``[section]`` if given)."""
    lines = text.splitlines()
    in_section = section is None
    pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if section is not None and stripped.startswith("["):
            header = stripped.strip("[]").strip()
            in_section = header == section or header.endswith("." + section)
            continue
        if in_section and pattern.match(line):
            return number
    if section is not None:
        for number, line in enumerate(lines, 1):
            if line.strip().strip("[]").strip() == section:
                return number
    return 0


def toml_error_line(exc: Exception) -> int:
    match = re.search(r"line (\d+)", str(exc))
    return int(match.group(1)) if match else 0


def read_toml(path: Path, what: str = "settings file") -> tuple[dict[str, Any], str]:
    from .user_files import read_user_text

    text = read_user_text(path, what)
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        raise ProblemsError([Problem(str(path), toml_error_line(exc), f"TOML syntax error: {exc}")]) from None


# --- the settings -------------------------------------------------------------


@dataclass(frozen=True)
class VadSettings:
    """Per-channel voice activity (Silero, streaming with state)."""

    threshold: float = 0.5  # speech probability that starts speech
    neg_threshold: float = 0.35  # probability below which a frame counts as silence
    min_speech_ms: int = 160  # speech shorter than this is ignored (clicks, coughs)
    min_silence_ms: int = 400  # silence that ends an utterance (triggers the final decode)
    speech_pad_ms: int = 200  # audio kept before speech starts and after it ends
    level_interval_ms: int = 200  # how often Level events are emitted per side
    # 8 kHz telephone speech often scores 0.2-0.6 with Silero: a frame this probable
    # that is also loud counts as speech (a short "bye" at -17 dBFS peaks at 0.63)
    loud_threshold: float = 0.15
    loud_db: float = -35.0  # dBFS of a 32 ms frame that counts as loud ...
    loud_snr_db: float = 30.0  # ... and a loud frame this far above the side's noise floor counts whatever Silero says
    # evidence that a stretch is clear speech, used by the quiet-line guard:
    clear_prob: float = 0.8  # a peak speech probability this high, or
    clear_min_prob: float = 0.3  # at least this much with a loud peak:
    clear_db: float = -30.0  # peak frame level, dBFS, or
    clear_snr_db: float = 35.0  # peak frame level above the side's noise floor

    RANGES: ClassVar[dict[str, tuple[float, float]]] = {
        "threshold": (0.01, 0.99), "neg_threshold": (0.0, 0.99), "min_speech_ms": (0, 10_000),
        "min_silence_ms": (50, 10_000), "speech_pad_ms": (0, 2_000), "level_interval_ms": (20, 10_000),
        "loud_threshold": (0.0, 0.99), "loud_db": (-120.0, 0.0), "loud_snr_db": (0.0, 120.0),
        "clear_prob": (0.0, 1.0), "clear_min_prob": (0.0, 1.0), "clear_db": (-120.0, 0.0),
        "clear_snr_db": (0.0, 120.0)}
    ORDER: ClassVar[tuple[tuple[str, str], ...]] = (  # first <= second
        ("neg_threshold", "threshold"), ("clear_min_prob", "clear_prob"))


@dataclass(frozen=True)
class AsrSettings:
    """The Whisper model and the streaming loop around it."""

    model: str = ""  # empty: the bundled tiny.en
    device: str = "cpu"  # cpu | cuda | auto
    compute_type: str = ""  # empty: int8 on CPU, float16 on CUDA
    threads: int = 0  # 0: all cores
    beam_size: int = 1
    final_beam_size: int = 1  # beam of the decode that closes an utterance (offline uses 5: lower WER, see docs/benchmarks.md)
    grid_s: float = 0.2  # decodes of a growing utterance end on this grid of audio time (fast == paced)
    min_update_s: float = 0.4  # a growing utterance is decoded every this much audio (a multiple of grid_s)
    min_decode_s: float = 0.4  # no decode of a growing utterance before it holds this much audio (the final one always runs)
    cost_factor: float = 1.2  # live: the interval (a multiple of min_update_s) >= this x measured decode time
    max_update_s: float = 2.0  # the interval never grows past this
    trim_after_s: float = 8.0  # trim the buffer at a committed sentence end past this
    max_buffer_s: float = 15.0  # force-commit the buffer when it reaches this
    prompt_chars: int = 200  # committed text of the channel used as prompt
    vocab: tuple[str, ...] = ()  # names to bias towards (--vocab)
    no_speech_threshold: float = 0.6  # segments above this no-speech prob ...
    logprob_threshold: float = -1.0  # ... and below this mean log-prob are dropped
    compression_ratio_threshold: float = 2.4  # above: a repetition loop, dropped
    min_word_probability: float = 0.0  # 0 disables
    bleed_window_s: float = 0.6  # rep words this close to the same prospect word are bleed
    fast_final_only: bool = True  # --fast decodes only at utterance ends: 3-8x quicker; False runs the live 0.4 s schedule
    short_context: bool = True  # encode only the buffer (plus context_pad_s), not a 30 s window
    context_pad_s: float = 8.0  # silence after the buffer (window rounded up to 2 s): less makes tiny.en loop at the end
    quiet_no_speech: float = 0.4  # a stretch without clear speech evidence: dropped above this no-speech prob
    filler_max_no_speech: float = 0.3  # "Thank you." / "Bye." / "you" alone: only clear speech below this
    repeat_max_s: float = 1.5  # a stretch this short saying only the side's last word again keeps it
    retry_empty: bool = True  # a final decode of clear speech that comes back empty is tried once more
    max_tokens_per_s: float = 8.0  # generation cap: a loop cannot run past this  # --fast: decode at utterance ends and caps only

    RANGES: ClassVar[dict[str, tuple[float, float]]] = {
        "threads": (0, 1024), "beam_size": (1, 20), "final_beam_size": (1, 20), "min_update_s": (0.05, 30.0), "cost_factor": (0.1, 100.0),
        "max_update_s": (0.1, 60.0), "trim_after_s": (1.0, 30.0), "max_buffer_s": (2.0, 30.0),
        "prompt_chars": (0, 2_000), "no_speech_threshold": (0.0, 1.0), "logprob_threshold": (-100.0, 0.0),
        "compression_ratio_threshold": (1.0, 100.0), "min_word_probability": (0.0, 1.0),
        "bleed_window_s": (0.0, 5.0), "context_pad_s": (0.0, 30.0), "max_tokens_per_s": (1.0, 100.0),
        "grid_s": (0.01, 5.0), "min_decode_s": (0.0, 30.0), "quiet_no_speech": (0.0, 1.0),
        "filler_max_no_speech": (0.0, 1.0), "repeat_max_s": (0.0, 30.0)}
    ORDER: ClassVar[tuple[tuple[str, str], ...]] = (("min_update_s", "max_update_s"), ("trim_after_s", "max_buffer_s"))


@dataclass(frozen=True)
class CaptureSettings:
    """Live capture thresholds (seconds of call time)."""

    gap_tolerance_s: float = 0.2  # stamp later than the timeline by more: a real gap, filled at once
    overlap_tolerance_s: float = 0.2  # stamp earlier by more: overlap trimmed at once
    drift_window_s: float = 0.5  # smaller offsets are averaged over about this much audio (jitter) ...
    drift_tolerance_s: float = 0.01  # ... and corrected when the average passes this (start-up, drift)
    stall_fill_s: float = 0.5  # no audio for this long: extend the side with silence up to now - this
    max_backlog_s: float = 20.0  # unread audio kept per side; older audio is dropped with a notice
    read_interval_s: float = 0.05  # read() waits up to this for audio to collect
    device_latency_s: float = 0.1  # PortAudio buffering asked for: fewer, larger callbacks than "low"
    reopen_interval_s: float = 1.0  # how often a lost device is tried again
    overflow_report_interval_s: float = 5.0  # at most one overflow status per side per this
    end_grace_s: float = 0.5  # after --duration, wait this long for audio still in flight

    RANGES: ClassVar[dict[str, tuple[float, float]]] = {
        "gap_tolerance_s": (0.01, 5.0), "overlap_tolerance_s": (0.01, 5.0), "drift_window_s": (0.05, 10.0),
        "drift_tolerance_s": (0.001, 1.0), "stall_fill_s": (0.05, 10.0), "max_backlog_s": (1.0, 600.0),
        "read_interval_s": (0.005, 1.0), "device_latency_s": (0.001, 2.0), "reopen_interval_s": (0.1, 60.0),
        "overflow_report_interval_s": (0.1, 3600.0), "end_grace_s": (0.0, 10.0)}
    ORDER: ClassVar[tuple[tuple[str, str], ...]] = ()


@dataclass(frozen=True)
class Settings:
    vad: VadSettings = field(default_factory=VadSettings)
    asr: AsrSettings = field(default_factory=AsrSettings)
    capture: CaptureSettings = field(default_factory=CaptureSettings)


def _coerce(value: Any, hint: Any) -> Any:
    """Check a TOML value against a field type; return it converted or raise TypeError."""
    origin = getattr(hint, "__origin__", None)
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError("a number")
        return float(value)
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError("an integer")
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise TypeError("true or false")
        return value
    if hint is str:
        if not isinstance(value, str):
            raise TypeError("a string")
        return value
    if origin is tuple:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise TypeError("a list of strings")
        return tuple(value)
    return value


def build_dataclass(cls: type, data: dict[str, Any], file: str, text: str, section: str | None,
                    problems: list[Problem]) -> Any:
    """Make ``cls`` from ``data``, appending a Problem for each bad key."""
    hints = get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key not in names:
            problems.append(Problem(file, key_line(text, key, section),
                                    f"unknown key '{key}'{did_you_mean(key, names)}"))
            continue
        hint = hints[key]
        if dataclasses.is_dataclass(hint):
            if not isinstance(value, dict):
                problems.append(Problem(file, key_line(text, key, section), f"'{key}' must be a table"))
                continue
            kwargs[key] = build_dataclass(hint, value, file, text, key, problems)
            continue
        try:
            kwargs[key] = _coerce(value, hint)
        except TypeError as exc:
            problems.append(Problem(file, key_line(text, key, section), f"'{key}' must be {exc}"))
            continue
        problem = range_problem(cls, key, kwargs[key])
        if problem:
            problems.append(Problem(file, key_line(text, key, section), problem))
            del kwargs[key]
    built = cls(**kwargs)
    for low, high in getattr(cls, "ORDER", ()):
        if (low in kwargs or high in kwargs) and not getattr(built, low) <= getattr(built, high):
            key = low if low in kwargs else high
            problems.append(Problem(file, key_line(text, key, section),
                                    f"'{low}' ({getattr(built, low):g}) must not be more than "
                                    f"'{high}' ({getattr(built, high):g})"))
    return built


def range_problem(cls: type, key: str, value: Any) -> str | None:
    """Why ``value`` is outside the documented range of ``cls.key`` (NaN and inf included), or None."""
    bounds = getattr(cls, "RANGES", {}).get(key)
    if bounds is None or isinstance(value, bool):
        return None
    lo, hi = bounds
    if lo <= value <= hi:  # False for NaN
        return None
    return f"'{key}' must be between {lo:g} and {hi:g} (got {value:g})"


CONFIG_ENV = "LIVECUE_CONFIG"  # names a settings file to use instead of the user's config.toml


def user_config_path() -> Path:
    """``config.toml`` in the per-platform user config directory (platformdirs):
    ``$XDG_CONFIG_HOME/livecue`` (``~/.config/livecue``) on Linux,
    ``~/Library/Application Support/livecue`` on macOS, ``%LOCALAPPDATA%\\livecue\\livecue`` on Windows."""
    import platformdirs

    return Path(platformdirs.user_config_dir("livecue")) / "config.toml"


def discover_config(explicit: Path | None) -> Path | None:
    """The settings file a command uses: ``--config`` wins, then ``$LIVECUE_CONFIG``,
    then the user's ``config.toml`` if it exists; None means the defaults."""
    import os

    if explicit is not None:
        return Path(explicit)
    named = os.environ.get(CONFIG_ENV, "").strip()
    if named:
        path = Path(named).expanduser()
        if not path.is_file():
            raise LivecueError(f"{path}: no such file (named by {CONFIG_ENV})")
        return path
    path = user_config_path()
    return path if path.is_file() else None


def load_settings(path: Path | None) -> Settings:
    if path is None:
        return Settings()
    data, text = read_toml(path)
    problems: list[Problem] = []
    settings = build_dataclass(Settings, data, str(path), text, None, problems)
    if problems:
        raise ProblemsError(problems)
    return settings
