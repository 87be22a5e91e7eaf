"""Clocks: the only way core code learns the time.

Core stages never read the wall clock.  They are handed a ``Clock`` whose
``now()`` is call seconds since the call clock started:

- ``WallClock``: live capture and paced replay (``speed`` scales it);
- ``AudioClock``: ``--fast`` replay, advanced by the source as audio is read;
- ``ManualClock``: tests, advanced by hand.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    def start(self) -> None:
        """Call time 0 is now (the pipeline calls it once, before the source starts)."""

    def now(self) -> float:
        """Call seconds since start()."""

    def sleep_until(self, t: float, stop: threading.Event | None = None) -> bool:
        """Wait until now() >= t; False if ``stop`` was set first."""

    def wall(self) -> float:
        """A monotonic wall reading, for measuring cost and lag only (a decode's, a rule reload's)."""


class WallClock:
    def __init__(self, speed: float = 1.0, monotonic=time.monotonic) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self._monotonic = monotonic
        self._t0: float | None = None
        self._paused_at: float | None = None

    def start(self) -> None:
        self._t0 = self._monotonic()
        self._paused_at = None

    def now(self) -> float:
        if self._t0 is None:
            return 0.0
        ref = self._paused_at if self._paused_at is not None else self._monotonic()
        return (ref - self._t0) * self.speed

    def pause(self) -> None:
        if self._t0 is not None and self._paused_at is None:
            self._paused_at = self._monotonic()

    def resume(self) -> None:
        if self._paused_at is not None:
            self._t0 += self._monotonic() - self._paused_at
            self._paused_at = None

    @property
    def paused(self) -> bool:
        return self._paused_at is not None

    def set_time(self, t: float) -> None:
        """Jump the call clock to ``t`` (replay seek)."""
        ref = self._paused_at if self.paused else self._monotonic()
        self._t0 = ref - t / self.speed

    def sleep_until(self, t: float, stop: threading.Event | None = None) -> bool:
        while True:
            remaining = (t - self.now()) / self.speed
            if self.paused:
                remaining = 0.1
            elif remaining <= 0:
                return True
            if stop is not None:
                if stop.wait(min(remaining, 0.1)):
                    return False
            else:
                time.sleep(min(remaining, 0.1))

    def wall(self) -> float:
        return self._monotonic()


class AudioClock:
    """Advances only when the source says audio up to ``t`` has been read."""

    def __init__(self, monotonic=time.monotonic) -> None:
        self._t = 0.0
        self._monotonic = monotonic

    def start(self) -> None:
        self._t = 0.0

    def advance_to(self, t: float) -> None:
        if t > self._t:
            self._t = t

    def set_time(self, t: float) -> None:
        self._t = t

    def now(self) -> float:
        return self._t

    def sleep_until(self, t: float, stop: threading.Event | None = None) -> bool:
        self.advance_to(t)
        return not (stop is not None and stop.is_set())

    def wall(self) -> float:
        return self._monotonic()


class ManualClock:
    """For tests: time moves only when told to, including ``wall()``."""

    def __init__(self, t: float = 0.0) -> None:
        self._t = t

    def start(self) -> None:
        pass

    def advance(self, dt: float) -> None:
        self._t += dt

    def set(self, t: float) -> None:
        self._t = t

    set_time = set

    def now(self) -> float:
        return self._t

    def sleep_until(self, t: float, stop: threading.Event | None = None) -> bool:
        self._t = max(self._t, t)
        return not (stop is not None and stop.is_set())

    def wall(self) -> float:
        return self._t
