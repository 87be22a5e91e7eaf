"""Reading files a user names (settings, profiles, rules, logs, labels): regular files of sane size only.

``/dev/zero``, a FIFO with no writer or a 40 GB file would otherwise hang
livecue or eat memory before any parser could complain; here they are
one-line errors naming the path.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .errors import LivecueError

MB = 1024 * 1024


def _kind(mode: int) -> str:
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_user_bytes(path: Path, what: str, max_bytes: int) -> bytes:
    """The bytes of the regular file ``path`` (at most ``max_bytes``), or a one-line LivecueError."""
    path = Path(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise LivecueError(f"{path}: no such file") from None
    except OSError as exc:
        raise LivecueError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise LivecueError(f"{path}: is a directory, not a {what}")
    if not stat.S_ISREG(st.st_mode):
        raise LivecueError(f"{path}: is {_kind(st.st_mode)}, not a {what}")
    if st.st_size > max_bytes:
        raise LivecueError(f"{path}: {st.st_size / MB:.0f} MB is too large for a {what} "
                           f"(livecue reads up to {max_bytes / MB:.0f} MB)")
    try:
        with open(path, "rb") as f:
            data = f.read(max_bytes + 1)
    except OSError as exc:
        raise LivecueError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(data) > max_bytes:  # grew while we looked
        raise LivecueError(f"{path}: too large for a {what} (livecue reads up to {max_bytes / MB:.0f} MB)")
    return data


def read_user_text(path: Path, what: str, max_bytes: int = 4 * MB) -> str:
    data = read_user_bytes(path, what, max_bytes)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LivecueError(f"{Path(path)}: cannot read: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
