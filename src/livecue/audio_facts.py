"""Facts every part of livecue shares: the audio rate, the speaker names, call-time text.

One home so a stage, a sink and a report cannot disagree about them.  The
time formatters differ on purpose (the overlay and report show whole seconds
and grow an hour field; the plain stream and file notices show tenths; the
session list and progress line never show hours); each output format is a
named function here so the choice is visible where it is used.
"""

from __future__ import annotations

from typing import Literal

SAMPLE_RATE_HZ = 16000
"""Every audio chunk inside livecue is mono float32 at this rate."""

Speaker = Literal["rep", "prospect", "call"]
"""Who an event belongs to: one side of the call, or the call as a whole."""

CALL_SIDES: tuple[str, str] = ("rep", "prospect")
"""The two sides of a call (the speakers that have audio and talk time)."""

SPEAKERS: tuple[str, ...] = (*CALL_SIDES, "call")
"""Every value of ``Speaker``."""


def clock_hms(t: float) -> str:
    """``mm:ss`` of call time in whole seconds, ``h:mm:ss`` past an hour (overlay, report)."""
    total = int(max(t, 0.0))
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes:02d}:{seconds:02d}"


def clock_mmss(t: float) -> str:
    """``mm:ss`` in whole seconds, minutes uncapped (session list, progress line)."""
    minutes, seconds = divmod(int(max(t, 0.0)), 60)
    return f"{minutes:02d}:{seconds:02d}"


def clock_tenths(t: float) -> str:
    """``mm:ss.s`` with tenths of a second (plain event stream, file notices)."""
    minutes, seconds = divmod(max(t, 0.0), 60)
    return f"{int(minutes):02d}:{seconds:04.1f}"
