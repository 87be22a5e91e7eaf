"""What a coaching run was asked for, as typed values: argparse stays at the edge.

Each command (``commands/NAME.py``) reads its argparse namespace once and
builds these frozen records; everything below the commands (the session
log's first record, the overlay, the pipeline's stages, the call library)
takes them, never the namespace, so a renamed flag touches one command and
a test builds a run without a parser.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

OUTPUTS = ("overlay", "plain", "json")


@dataclass(frozen=True)
class ModelOptions:
    """The model flags as given (None: not given, the settings file or default decides)."""

    model: str | None = None
    device: str | None = None
    compute_type: str | None = None
    threads: int | None = None
    config: Path | None = None
    vocab: tuple[str, ...] = ()


@dataclass(frozen=True)
class CueOptions:
    """Which cue rules and rep profile a run uses; ``enabled`` False with ``--no-cues``."""

    rules: Path | None = None  # None: the shipped rules, shadowed by the user's
    profile: Path | None = None  # None: the user's profile.toml if there is one
    enabled: bool = True


@dataclass(frozen=True)
class SessionOptions:
    """One ``replay`` or ``live`` session: what is coached, how it is shown and logged."""

    command: str = ""  # replay | live: the session log's mode
    source: str = ""  # what is coached, as the command line named it
    model: ModelOptions = ModelOptions()
    cues: CueOptions = CueOptions()
    output: str = "overlay"  # one of OUTPUTS
    compact: bool = False  # overlay: compact layout
    bell: bool = False  # overlay: ring the bell on a new card
    log: Path | None = None  # session log file or directory; None: the user data directory
    write_log: bool = True  # False with --no-log
    argv: tuple[str, ...] = ()  # the command line, for the session log's record

    def __post_init__(self) -> None:
        if self.output not in OUTPUTS:
            raise ValueError(f"output must be one of {', '.join(OUTPUTS)} (got {self.output!r})")

    @property
    def overlay(self) -> bool:
        return self.output == "overlay"
