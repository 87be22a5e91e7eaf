"""The settings tree: every tunable number, typed, with its unit in its name and a checked range.

Thresholds never hide as literals in the stages: they live here, one frozen
dataclass per section of the config file (``[vad]``, ``[asr]``, ``[signals]``,
``[overlay]`` ...), documented, with their unit in the name (``_s``, ``_ms``,
``_db``) and their range in the class's ``RANGES`` (``ORDER``: pairs that must
stay in order; ``CHOICES``: the words a text setting may be).  A config file
may override any of them; unknown keys, wrong types and values out of range
are reported with the file, the line and a likely intended key, all problems
at once (the toolkit in ``user_files.py``).

Adding a setting is a field here (with a range if it is a number) plus its
use; ``docs/settings.md`` is generated from these classes
(``python scripts/settings_doc.py``) and a test fails when it is out of date.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from .errors import LivecueError
from .user_files import (  # noqa: F401  (Problem, ProblemsError, did_you_mean: re-exported for older imports)
    Problem,
    ProblemsError,
    did_you_mean,
    load_dataclass,
)

Ranges = ClassVar[dict[str, tuple[float, float]]]
Order = ClassVar[tuple[tuple[str, str], ...]]
Choices = ClassVar[dict[str, tuple[str, ...]]]


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

    RANGES: Ranges = {
        "threshold": (0.01, 0.99), "neg_threshold": (0.0, 0.99), "min_speech_ms": (0, 10_000),
        "min_silence_ms": (50, 10_000), "speech_pad_ms": (0, 2_000), "level_interval_ms": (20, 10_000),
        "loud_threshold": (0.0, 0.99), "loud_db": (-120.0, 0.0), "loud_snr_db": (0.0, 120.0),
        "clear_prob": (0.0, 1.0), "clear_min_prob": (0.0, 1.0), "clear_db": (-120.0, 0.0),
        "clear_snr_db": (0.0, 120.0)}
    ORDER: Order = (  # first <= second
        ("neg_threshold", "threshold"), ("clear_min_prob", "clear_prob"))


@dataclass(frozen=True)
class AsrSettings:
    """The Whisper model and the streaming loop around it."""

    model: str = ""  # empty: the bundled tiny.en
    device: str = "cpu"  # cpu | cuda | auto
    compute_type: str = ""  # empty: int8 on CPU, float16 on CUDA
    threads: int = 0  # 0: all cores
    beam_size: int = 1
    final_beam_size: int = 5  # beam of the decode that closes an utterance (with final_window_s = 20: WER <= offline on the bank calls, see docs/benchmarks.md issue-12w; 1: greedy, faster)
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
    final_window_s: float = 20.0  # final decode: encoder window at least this long (far fewer made-up words than a short window, WER <= offline with beam 5; 0: sized like interim decodes)
    final_context_s: float = 0.0  # final decode: the side's previous words of up to this much speech decoded first, forced as prefix (0: off; loses short answers)
    max_tokens_per_s: float = 8.0  # generation cap: a loop cannot run past this  # --fast: decode at utterance ends and caps only

    RANGES: Ranges = {
        "threads": (0, 1024), "beam_size": (1, 20), "final_beam_size": (1, 20), "min_update_s": (0.05, 30.0), "cost_factor": (0.1, 100.0),
        "max_update_s": (0.1, 60.0), "trim_after_s": (1.0, 30.0), "max_buffer_s": (2.0, 30.0),
        "prompt_chars": (0, 2_000), "no_speech_threshold": (0.0, 1.0), "logprob_threshold": (-100.0, 0.0),
        "compression_ratio_threshold": (1.0, 100.0), "min_word_probability": (0.0, 1.0),
        "bleed_window_s": (0.0, 5.0), "context_pad_s": (0.0, 30.0), "max_tokens_per_s": (1.0, 100.0),
        "grid_s": (0.01, 5.0), "min_decode_s": (0.0, 30.0), "quiet_no_speech": (0.0, 1.0),
        "filler_max_no_speech": (0.0, 1.0), "repeat_max_s": (0.0, 30.0), "final_context_s": (0.0, 20.0), "final_window_s": (0.0, 30.0)}
    ORDER: Order = (("min_update_s", "max_update_s"), ("trim_after_s", "max_buffer_s"))
    CHOICES: Choices = {"device": ("cpu", "cuda", "auto")}


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

    RANGES: Ranges = {
        "gap_tolerance_s": (0.01, 5.0), "overlap_tolerance_s": (0.01, 5.0), "drift_window_s": (0.05, 10.0),
        "drift_tolerance_s": (0.001, 1.0), "stall_fill_s": (0.05, 10.0), "max_backlog_s": (1.0, 600.0),
        "read_interval_s": (0.005, 1.0), "device_latency_s": (0.001, 2.0), "reopen_interval_s": (0.1, 60.0),
        "overflow_report_interval_s": (0.1, 3600.0), "end_grace_s": (0.0, 10.0)}
    ORDER: Order = ()


@dataclass(frozen=True)
class AgreementSettings:
    """LocalAgreement between consecutive decodes (``asr/agreement.py``)."""

    committed_overlap_s: float = 0.1  # new words must start later than the committed end minus this
    boundary_gap_s: float = 1.0  # words this close after the committed tail are checked for repeating it ...
    max_ngram: int = 5  # ... over at most this many words
    agree_decodes: int = 2  # consecutive decodes that must agree on a word to commit it before the pause
    edge_margin_s: float = 0.2  # ... and it ends at least this long before the newest decode's audio ends ...
    min_probability: float = 0.0  # ... and the newest decode gives it at least this probability (0: off) ...
    confirm_decodes: int = 3  # ... unless this many consecutive decodes agree on it (0: never)

    RANGES: Ranges = {"committed_overlap_s": (0.0, 2.0), "boundary_gap_s": (0.0, 10.0), "max_ngram": (1, 20),
                      "agree_decodes": (2, 10), "edge_margin_s": (0.0, 5.0), "min_probability": (0.0, 1.0),
                      "confirm_decodes": (0, 20)}
    ORDER: Order = ()


@dataclass(frozen=True)
class SignalSettings:
    """Thresholds of the signals themselves (the rules set their own triggers)."""

    window_s: float = 120.0  # rolling window for talk time and talk share
    clipped_max_words: int = 3  # meters: an answer this short counts as clipped ...
    clipped_max_s: float = 1.0  # ... or one this short in time (the recogniser may have heard extra words)
    final_wait_s: float = 1.5  # speech ended but no final words yet: close the segment after this
    decoded_wait_s: float = 0.15  # the final decode ran and brought no new words: close after this
    ended_cover_s: float = 0.3  # speech ended, words heard reach this near its end: judge the turn (0: at final decode)
    floor_hold_s: float = 5.0  # a monologue meter drops to zero after this much silence
    trend_answers: int = 3  # answers per half when comparing answer length, recent vs earlier

    RANGES: Ranges = {
        "window_s": (5.0, 3600.0), "clipped_max_words": (0, 100), "clipped_max_s": (0.0, 30.0),
        "final_wait_s": (0.0, 30.0), "decoded_wait_s": (0.0, 10.0), "floor_hold_s": (0.0, 600.0),
        "trend_answers": (1, 100), "ended_cover_s": (0.0, 5.0)}
    ORDER: Order = (("decoded_wait_s", "final_wait_s"),)


@dataclass(frozen=True)
class DetectorSettings:
    """The cue engine: how the detector looks back and paces itself, how often the stage reports and reloads."""

    tick_interval_s: float = 0.25  # time-based triggers (monologue, talk share) are checked this often
    recent_segments: int = 30  # "the other side's last seconds" reads at most this many recent segments
    rep_spoke_segments: int = 40  # "the rep spoke since" (after = ...) looks this many segments back
    match_cache_size: int = 20000  # phrase matches (rule set, turn text) remembered before the cache is cleared
    after_tolerance_s: float = 0.05  # speech must start this much after a cue to count as after it
    signals_per_s: float = 4.0  # Signals snapshots (the overlay's meters) per second of call time, at most
    reload_interval_s: float = 1.0  # how often the rule files are checked for changes (hot reload)
    unfinished_wait_s: float = 1.0  # a turn that stops on "but", "so", "and"... waits this long for more before a cue on it

    RANGES: Ranges = {
        "tick_interval_s": (0.01, 10.0), "recent_segments": (1, 10_000), "rep_spoke_segments": (1, 10_000),
        "match_cache_size": (10, 1_000_000), "after_tolerance_s": (0.0, 5.0), "signals_per_s": (0.1, 100.0),
        "reload_interval_s": (0.05, 3600.0), "unfinished_wait_s": (0.0, 10.0)}
    ORDER: Order = ()


@dataclass(frozen=True)
class OverlaySettings:
    """The overlay's own knobs (display only; nothing here changes what fires)."""

    snooze_s: float = 300.0  # audio seconds a snoozed play stays quiet
    card_expire_s: float = 120.0  # audio seconds before an unhandled card leaves by itself
    queued_expire_s: float = 15.0  # a waiting card older than this is no longer timely
    card_flash_s: float = 1.5  # wall seconds a new card is highlighted (0: never)
    max_redraws_per_s: float = 20.0  # event batches applied to the screen per second, at most
    seek_step_s: float = 10.0  # replay seek per key press
    stop_timeout_s: float = 15.0  # wall seconds quit waits for the pipeline to close the session
    max_utterances: int = 400  # transcript entries kept on screen (older ones scroll away)
    level_floor_db: float = -60.0  # level meter's empty end
    level_history: int = 10  # level samples kept per side for the sparkline
    latency_history: int = 6  # prospect response latencies kept for the trend
    lag_warn_s: float = 2.0  # transcription this far behind the audio shows amber
    lag_alert_s: float = 5.0  # ... and this far red: the machine is not keeping up

    RANGES: Ranges = {
        "snooze_s": (0.0, 36_000.0), "card_expire_s": (1.0, 36_000.0), "queued_expire_s": (0.0, 3600.0),
        "card_flash_s": (0.0, 60.0), "max_redraws_per_s": (1.0, 240.0), "seek_step_s": (0.1, 3600.0),
        "stop_timeout_s": (1.0, 600.0), "max_utterances": (10, 100_000), "level_floor_db": (-120.0, -1.0),
        "level_history": (1, 1000), "latency_history": (1, 1000), "lag_warn_s": (0.1, 600.0),
        "lag_alert_s": (0.1, 600.0)}
    ORDER: Order = (("lag_warn_s", "lag_alert_s"),)


@dataclass(frozen=True)
class ReportSettings:
    """Thresholds of the report's own measures (documented for coaches).

    Backchannels, questions, turns and the talk-share window are the live
    meters' (``SignalSettings``), not the report's: the report replays the
    log through the same tracker (``session/measures.py``).
    """

    utterance_gap_s: float = 1.5  # a pause longer than this starts a new transcript line
    share_points: int = 240  # samples of the talk-share curve across the call
    share_min_talk_s: float = 1.0  # less talk than this in the window: no share point
    rep_share_high: float = 0.65  # a rep share above this is called out
    monologue_warn_s: float = 45.0  # used when the log has no Signals carrying the rules' value

    RANGES: Ranges = {
        "utterance_gap_s": (0.1, 60.0), "share_points": (2, 10_000), "share_min_talk_s": (0.0, 600.0),
        "rep_share_high": (0.0, 1.0), "monologue_warn_s": (1.0, 3600.0)}
    ORDER: Order = ()


@dataclass(frozen=True)
class LogSettings:
    """What the log keeps of the high-rate events (the report needs none of them)."""

    signals_interval_s: float = 1.0  # at most one Signals snapshot per this much call time
    lag_interval_s: float = 5.0  # at most one Lag per side per this much call time

    RANGES: Ranges = {"signals_interval_s": (0.0, 600.0), "lag_interval_s": (0.0, 600.0)}
    ORDER: Order = ()


@dataclass(frozen=True)
class SubtitleSettings:
    """How transcript exports cut subtitles (``--srt``, ``--vtt``)."""

    max_s: float = 6.0  # a subtitle never spans more than this
    max_chars: int = 84  # ... nor holds more than this many characters (two lines)

    RANGES: Ranges = {"max_s": (0.5, 60.0), "max_chars": (10, 1000)}
    ORDER: Order = ()


@dataclass(frozen=True)
class Settings:
    """The whole tree: one field per section of the config file."""

    vad: VadSettings = field(default_factory=VadSettings)
    asr: AsrSettings = field(default_factory=AsrSettings)
    capture: CaptureSettings = field(default_factory=CaptureSettings)
    agreement: AgreementSettings = field(default_factory=AgreementSettings)
    signals: SignalSettings = field(default_factory=SignalSettings)
    cues: DetectorSettings = field(default_factory=DetectorSettings)
    overlay: OverlaySettings = field(default_factory=OverlaySettings)
    report: ReportSettings = field(default_factory=ReportSettings)
    log: LogSettings = field(default_factory=LogSettings)
    subtitles: SubtitleSettings = field(default_factory=SubtitleSettings)


def sections() -> dict[str, type]:
    """Section name -> its settings class, in the order of the config file and the docs."""
    return {f.name: f.default_factory for f in dataclasses.fields(Settings)}  # type: ignore[misc]


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
            what = "not a regular file" if path.exists() else "no such file"  # a directory, a device
            raise LivecueError(f"{path}: {what} (named by {CONFIG_ENV})")
        return path
    path = user_config_path()
    return path if path.is_file() else None


def load_settings(path: Path | None) -> Settings:
    if path is None:
        return Settings()
    settings, problems, _ = load_dataclass(Settings, Path(path), "settings file")
    if problems:
        raise ProblemsError(problems)
    return settings


# --- the generated table (docs/settings.md) ---------------------------------------

UNITS = (("_per_s", "per s"), ("_ms", "ms"), ("_s", "s"), ("_db", "dB"), ("_hz", "Hz"), ("_chars", "characters"))


def unit_of(key: str) -> str:
    """The unit a setting's name carries (``min_silence_ms`` -> ms), or "" for a plain number."""
    return next((unit for suffix, unit in UNITS if key.endswith(suffix)), "")


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return str(value)


def field_notes(cls: type) -> dict[str, str]:
    """Each field's comment in this file (the one on its line, else the lines just above it)."""
    import inspect
    import re

    notes: dict[str, str] = {}
    above: list[str] = []
    for line in inspect.getsource(cls).splitlines()[1:]:
        stripped = line.strip()
        if stripped.startswith("#"):
            above.append(stripped.lstrip("# "))
            continue
        m = re.match(r"(\w+): [^=]+=[^#]*(?:#\s*(.*))?$", stripped)
        if m and not m.group(1).isupper():
            notes[m.group(1)] = (m.group(2) or " ".join(above)).split("  # ")[0].strip()
        above = []
    return notes


def settings_table() -> str:
    """``docs/settings.md``: every section, key, type, unit, default and range, from the classes above."""
    out = ["# Settings", "",
           "<!-- generated by `python scripts/settings_doc.py` from src/livecue/config.py; do not edit -->", "",
           "Every tunable number of livecue, as the settings file (`--config FILE`, `$LIVECUE_CONFIG`,",
           "or `config.toml` in the user config directory; see docs/cli.md) sets it: `[section]`, then",
           "`key = value`.  Ranges are inclusive and checked at load; a value out of range, an unknown key",
           "or a wrong type is a `file:line` error (exit 2) before anything runs.", ""]
    for name, cls in sections().items():
        doc = (cls.__doc__ or "").strip().splitlines()[0]
        out += [f"## `[{name}]`", "", doc, "",
                "| key | type | unit | default | range | what it does |", "|---|---|---|---|---|---|"]
        types = {f.name: f.type for f in dataclasses.fields(cls)}
        notes = field_notes(cls)
        ranges = getattr(cls, "RANGES", {})
        after = {low: high for low, high in getattr(cls, "ORDER", ())}
        defaults = cls()
        for f in dataclasses.fields(cls):
            key = f.name
            bounds = ranges.get(key)
            span = f"{bounds[0]:g} – {bounds[1]:g}" if bounds else ""
            if key in after:
                span += f" (≤ `{after[key]}`)"
            kind = str(types[key]).replace("tuple[str, ...]", "list of strings")
            note = notes.get(key, "").replace("|", "\\|")
            out.append(f"| `{key}` | {kind} | {unit_of(key)} | `{_toml_value(getattr(defaults, key))}` "
                       f"| {span} | {note} |")
        out.append("")
    return "\n".join(out)
