"""What a long one-off computation tells the person waiting for it, and how it is called off.

After an edit of the rules' examples or rows, the next load fits the
classifiers again: minutes for the shipped utterance file.  A silent wait
that long looks like a hang, so the core says when it starts one and the
command decides how to show it (``cli.main``: one line on stderr).

A live session loads an edit on the pipeline's job thread; when the
session ends first, that work is called off (``stoppable``): the model
checks between its passes and a fit between blocks of its rows
(``checkpoint``), because a process must not exit while another thread is
inside onnxruntime (it aborts), and the end should not wait for a fit.  No numpy
here: the CLI imports this before it knows whether rules will load.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Callable, Iterator

_TOLD: list[Callable[[str], None]] = []
_STOP: ContextVar[Callable[[], bool] | None] = ContextVar("livecue_stop", default=None)


class Abandoned(Exception):
    """Raised inside long work whose result nobody wants any more (the session that asked for it ended)."""


def tell_with(notice: Callable[[str], None] | None) -> None:
    """``notice(what)`` is called before each long computation (``None``: nobody is told)."""
    _TOLD[:] = [notice] if notice is not None else []


def starting(what: str) -> None:
    """A long computation starts: ``what`` is "classifiers" (a fit) or "rows" (a table of row vectors)."""
    for notice in _TOLD:
        notice(what)


@contextmanager
def stoppable(stop: Callable[[], bool]) -> Iterator[None]:
    """Work done inside (on this thread) raises ``Abandoned`` at its next ``checkpoint`` once ``stop()``."""
    token = _STOP.set(stop)
    try:
        yield
    finally:
        _STOP.reset(token)


def checkpoint() -> None:
    """Long work calls this between its steps (a model pass): it raises ``Abandoned`` once not wanted."""
    stop = _STOP.get()
    if stop is not None and stop():
        raise Abandoned("called off")
