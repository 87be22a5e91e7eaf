"""Facts every part of livecue shares: the audio rate, the speaker names, call-time text.

One home so a stage, a sink and a report cannot disagree about them.  Call
time is written by one function, ``call_clock``, in three styles that differ
on purpose (the overlay and report show whole seconds and grow an hour
field; the plain stream and file notices show tenths; the session list and
progress line never show hours); each style also has a name here so the
choice is visible where it is used.
"""

from __future__ import annotations

from typing import Literal, get_args

SAMPLE_RATE_HZ = 16000
"""Every audio chunk inside livecue is mono float32 at this rate."""

Speaker = Literal["rep", "prospect", "call"]
"""Who an event belongs to: one side of the call, or the call as a whole (the
one speaker vocabulary: every event's ``speaker`` is one of these)."""

SPEAKERS: tuple[Speaker, ...] = get_args(Speaker)
"""Every value of ``Speaker``."""

CALL_SIDES: tuple[Speaker, Speaker] = ("rep", "prospect")
"""The two sides of a call (the speakers that have audio and talk time)."""


ClockStyle = Literal["hms", "mmss", "tenths"]
"""How call time is written: ``hms`` whole seconds with an hour field past an
hour (overlay, report); ``mmss`` whole seconds, minutes uncapped (session
list, progress line); ``tenths`` ``mm:ss.s`` (plain stream, file notices)."""


def call_clock(t: float, style: ClockStyle = "hms") -> str:
    """Call time ``t`` (seconds, negative counts as 0) as text in one of the ``ClockStyle``s."""
    t = max(t, 0.0)
    if style == "tenths":
        minutes, seconds = divmod(t, 60)
        return f"{int(minutes):02d}:{seconds:04.1f}"
    hours, rest = divmod(int(t), 3600)
    if style == "mmss" or not hours:
        minutes, secs = divmod(int(t), 60)
        return f"{minutes:02d}:{secs:02d}"
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


# the three styles by name, for the modules that always use one of them
def clock_hms(t: float) -> str:
    """``mm:ss``, ``h:mm:ss`` past an hour (overlay, report)."""
    return call_clock(t, "hms")


def clock_mmss(t: float) -> str:
    """``mm:ss``, minutes uncapped (session list, progress line)."""
    return call_clock(t, "mmss")


def clock_tenths(t: float) -> str:
    """``mm:ss.s`` (plain event stream, file notices)."""
    return call_clock(t, "tenths")
