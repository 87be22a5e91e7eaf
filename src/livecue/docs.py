"""Where livecue's documentation is, for hints: the copy installed with the package.

A wheel has no ``docs/`` folder beside the user's shell, so hints name the
file that ships inside the package (``livecue/_docs``, package data), which
exists on every install, offline.
"""

from __future__ import annotations

from pathlib import Path

def doc_path(name: str) -> Path:
    """The installed copy of ``docs/NAME`` (in a checkout, the file itself)."""
    packaged = Path(__file__).resolve().parent / "_docs" / name
    return packaged.resolve() if packaged.exists() else Path(__file__).resolve().parents[2] / "docs" / name


def see(name: str) -> str:
    """``see PATH`` for a hint."""
    return f"see {doc_path(name)}"
