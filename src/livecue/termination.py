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

Outside a session (eval, tune, batch, report) SIGTERM and SIGHUP raise
``Terminated`` instead, so a command unwinds as after Ctrl-C
(``raise_on_termination``, entered by ``cli.main``).
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def _handling(names: tuple[str, ...], handler) -> Iterator[None]:
    """Within the block, ``handler`` takes the named signals (those this platform has); the previous
    handlers come back after it.  Off the main thread, where Python cannot set handlers, nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
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
        yield
    finally:
        for sig, old in previous.items():
            try:
                signal.signal(sig, old)
            except (OSError, ValueError):
                pass


@contextmanager
def stop_on_signals(stop: threading.Event, names: tuple[str, ...] = ("SIGTERM", "SIGHUP", "SIGINT"),
                    repeat_interrupts: bool = True) -> Iterator[list[str]]:
    """Within the block, the named signals set ``stop``; yields the names received (in order).

    ``repeat_interrupts``: the same signal again raises ``KeyboardInterrupt`` (not under the
    overlay, whose guard thread reads the repeat from the list instead)."""
    received: list[str] = []

    def handler(signum, frame) -> None:
        name = signal.Signals(signum).name
        again = name in received
        received.append(name)
        stop.set()
        if again and repeat_interrupts:
            raise KeyboardInterrupt

    with _handling(names, handler):
        yield received


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP outside a session: stop as Ctrl-C does, so that cleanup runs."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum
        self.name = signal.Signals(signum).name


@contextmanager
def raise_on_termination() -> Iterator[list[int]]:
    """SIGTERM and SIGHUP raise ``Terminated`` within the block; yields the signals received.

    Their default action ends the process at once: a batch's spawned workers
    were left running (orphaned, each holding its model) and partial files
    stayed.  Raised instead, they unwind like Ctrl-C: the pool's workers are
    stopped, temporary files removed, "livecue: stopped" said.  A session
    (replay, live) sets its own handlers inside this (``stop_on_signals``):
    there they end the call the way 'q' does.  The numbers received are kept
    because some libraries (Ray's calls) turn the raised exception into a
    plain ``KeyboardInterrupt``.
    """
    received: list[int] = []

    def handler(signum, frame) -> None:
        received.append(signum)
        raise Terminated(signum)

    with _handling(("SIGTERM", "SIGHUP"), handler):
        yield received


@contextmanager
def keeping_termination_handlers() -> Iterator[None]:
    """The SIGTERM and SIGHUP handlers in force now are put back after the block (``ray.init`` sets
    its own, a stack dump and exit 1, over the one that stops a batch as Ctrl-C does)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    kept = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None))
            if sig is not None and signal.getsignal(sig) is not None}
    try:
        yield
    finally:
        for sig, handler in kept.items():
            signal.signal(sig, handler)


def exit_status(received: list[str]) -> int:
    """128 + the first signal's number, as shells report a signalled program."""
    return 128 + int(getattr(signal, received[0])) if received else 0
