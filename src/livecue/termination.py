"""Signals end a session the way 'q' does: finish the utterance in progress, write ``ended``, exit.

A service manager's SIGTERM, a closed terminal's SIGHUP and (in the plain
and JSON modes) the first Ctrl-C only set the session's stop event; the
pipeline loop sees it at its next step, flushes the transcriber and closes
the log with an ``ended`` record.  The same signal again (a second Ctrl-C,
a service manager that lost patience) interrupts at once.
Under the full-screen overlay nothing is ever raised (an exception raised
at an arbitrary point of Textual's event loop could skip its shutdown and
leave the process waiting on the terminal's input thread): the overlay
watches the stop event and leaves the way 'q' does, and after a signal a
guard thread ends the process if the UI loop cannot leave once the session
is closed, or once the same signal comes again (``ui.app._leave_if_stuck``:
after SIGHUP the terminal is gone).
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def stop_on_signals(stop: threading.Event, names: tuple[str, ...] = ("SIGTERM", "SIGHUP", "SIGINT"),
                    repeat_interrupts: bool = True) -> Iterator[list[str]]:
    """Within the block, the named signals set ``stop``; yields the names received (in order).

    ``repeat_interrupts``: the same signal again raises ``KeyboardInterrupt`` (not under the
    overlay, whose guard thread reads the repeat from the list instead)."""
    received: list[str] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return

    def handler(signum, frame) -> None:
        name = signal.Signals(signum).name
        again = name in received
        received.append(name)
        stop.set()
        if again and repeat_interrupts:
            raise KeyboardInterrupt

    previous = {}
    for name in names:
        sig = getattr(signal, name, None)
        if sig is None:
            continue
        try:
            previous[sig] = signal.signal(sig, handler)
        except (OSError, ValueError):
            pass
    try:
        yield received
    finally:
        for sig, old in previous.items():
            try:
                signal.signal(sig, old)
            except (OSError, ValueError):
                pass


def exit_status(received: list[str]) -> int:
    """128 + the first signal's number, as shells report a signalled program."""
    return 128 + int(getattr(signal, received[0])) if received else 0
