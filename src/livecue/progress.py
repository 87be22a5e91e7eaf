"""What a long one-off computation tells the person waiting for it.

After an edit of the rules' examples or rows, the next load fits the
classifiers again: minutes for the shipped utterance file.  A silent wait
that long looks like a hang, so the core says when it starts one and the
command decides how to show it (``cli.main``: one line on stderr).  No
numpy here: the CLI imports this before it knows whether rules will load.
"""

from __future__ import annotations

from typing import Callable

_TOLD: list[Callable[[str], None]] = []


def tell_with(notice: Callable[[str], None] | None) -> None:
    """``notice(what)`` is called before each long computation (``None``: nobody is told)."""
    _TOLD[:] = [notice] if notice is not None else []


def starting(what: str) -> None:
    """A long computation starts: ``what`` is "classifiers" (a fit) or "rows" (a table of row vectors)."""
    for notice in _TOLD:
        notice(what)
