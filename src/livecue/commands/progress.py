"""Progress for long runs, drawn with rich (which Textual brings): stderr only, TTY only.

``CallProgress`` is a sink for ``replay --fast --plain/--json``: a transient
bar of call time with an ETA, so a long file shows life before its first
line.  ``EvalProgress`` is the per-call bar with an ETA for ``livecue eval``.
Neither is shown when stderr is not a terminal (CI logs stay plain).
"""

from __future__ import annotations

import sys
from typing import TextIO

from ..audio_facts import clock_mmss
from ..events import Event


_clock = clock_mmss


def stderr_is_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


class ConsoleWriter:
    """A text stream that prints whole lines through a rich console, above its live bar."""

    def __init__(self, console) -> None:
        self.console = console
        self._pending = ""

    def write(self, text: str) -> int:
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            self.console.out(line, highlight=False)
        return len(text)

    def flush(self) -> None:
        self.console.file.flush()


class CallProgress:
    """A sink: a transient bar of call time on stderr (see the module docstring)."""

    def __init__(self, duration_s: float, label: str = "replay") -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        self.console = Console(stderr=True)
        self.duration_s = max(duration_s, 1e-6)
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[where]}"),
                                 TextColumn("ETA"), TimeRemainingColumn(), console=self.console, transient=True,
                                 redirect_stdout=False, redirect_stderr=True)
        self._where = f"00:00 / {_clock(duration_s)}"
        self.task = self.progress.add_task(label, total=self.duration_s, where=self._where)
        self._t = 0.0
        self.progress.start()

    def stdout(self) -> TextIO:
        """Where stdout sinks write when stdout is this terminal too: lines go above the bar."""
        return ConsoleWriter(self.console)  # type: ignore[return-value]

    def handle(self, event: Event) -> None:
        t = min(event.t, self.duration_s)
        if t > self._t:
            self._t = t
            self.progress.update(self.task, completed=t, where=f"{_clock(t)} / {_clock(self.duration_s)}")

    def close(self) -> None:
        self.progress.stop()


class EvalProgress:
    """Calls done, the current call and an ETA, for ``eval`` in audio mode (a callback)."""

    def __init__(self, total: int) -> None:
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                                   TimeRemainingColumn)

        self.progress = Progress(TextColumn("eval"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[call]}"),
                                 TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                                 console=Console(stderr=True), transient=False, redirect_stdout=False)
        self.task = self.progress.add_task("eval", total=total, call="")
        self.progress.start()

    def __call__(self, done: int, total: int, call, seconds: float) -> None:
        self.progress.update(self.task, completed=done, call=f"{call.name} ({seconds:.1f} s)")

    def close(self) -> None:
        self.progress.stop()
