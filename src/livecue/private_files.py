"""Creating files that hold call content: 0600, never through a link, never over someone else's file.

Every file livecue writes with call content (session log, ``--record`` WAV,
reports and exports) is created here.  The rules, in one place so they hold
everywhere:

- a new file is created with ``O_CREAT | O_EXCL | O_NOFOLLOW``, mode 0600,
  so a symlink planted at the path is never followed and the file is never
  readable by others, whatever the umask;
- an existing path that is a symlink, a directory or a device is refused;
- an existing regular file is replaced only when ``may_replace(path)`` says
  it is one livecue wrote (recognised by its content), and then by a new
  private file made beside it and renamed over it, so the old file's mode,
  owner or links never carry over; a whole text (a report, an export) is
  written into that file before the rename, so the old one stays until the
  new one is whole.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Callable

from .errors import LivecueError
from .user_files import file_kind

_FLAGS = os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def _new(path: Path) -> int:
    return os.open(path, _FLAGS, 0o600)


def create_private(path: Path, what: str, may_replace: Callable[[Path], bool] | None = None,
                   refuse_hint: str = "remove it or choose another name") -> int:
    """A write-only descriptor of a new 0600 file at ``path`` (see the module docstring).

    ``what`` names the file in messages: "the recording", "the HTML report".
    An existing file is replaced at once, before anything is written: for a
    stream (a session log, a recording).  A whole text goes through
    ``write_private_text``, which keeps the old file until the new one is whole.
    """
    path = Path(path)
    try:
        return _new(path)
    except FileExistsError:
        pass
    except OSError as exc:
        raise LivecueError(f"cannot write {what} {path}: {exc.strerror or exc}") from None
    _check_replaceable(path, what, may_replace, refuse_hint)
    tmp, fd = _beside(path, what)
    try:
        os.replace(tmp, path)
    except OSError as exc:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise LivecueError(f"cannot write {what} {path}: {exc.strerror or exc}") from None
    return fd


def _check_replaceable(path: Path, what: str, may_replace: Callable[[Path], bool] | None, refuse_hint: str) -> None:
    """Raise unless the existing ``path`` is a regular file, not a link, that ``may_replace`` accepts."""
    try:
        st = os.lstat(path)
    except OSError as exc:
        raise LivecueError(f"cannot write {what} {path}: {exc.strerror or exc}") from None
    if stat.S_ISLNK(st.st_mode):
        raise LivecueError(f"{path} is a symbolic link; livecue does not write {what} through links")
    if file_kind(st.st_mode) is not None:
        raise LivecueError(f"{path} exists and is not a regular file; not writing {what} there")
    if may_replace is None:
        raise LivecueError(f"{path} exists; not overwriting it with {what} ({refuse_hint})")
    if not may_replace(path):
        raise LivecueError(f"{path} exists and is not a livecue {what.removeprefix('the ')}; "
                           f"not overwriting it ({refuse_hint})")


def _beside(path: Path, what: str) -> tuple[Path, int]:
    """A new private temporary file in ``path``'s directory (renamed over ``path`` when whole)."""
    for n in range(100):
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{n}.tmp")
        try:
            return tmp, _new(tmp)
        except FileExistsError:
            continue
        except OSError as exc:
            raise LivecueError(f"cannot write {what} {path}: {exc.strerror or exc}") from None
    raise LivecueError(f"cannot write {what} {path}: too many temporary files")


def private_dirs(path: Path) -> None:
    """Create directory ``path`` and each missing parent with mode 0700 (``mkdir -p`` gives the parents
    0777 less the umask: under umask 000 others could plant a config, rules or a cached model there).
    Raises OSError as ``mkdir`` does; directories that exist are left as they are."""
    path = Path(path)
    missing = []
    while not os.path.lexists(path):  # up to the first level that exists: a file there is ENOTDIR below
        missing.append(path)
        if path.parent == path:
            break
        path = path.parent
    if not missing and not path.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(path))
    for directory in reversed(missing):
        try:
            os.mkdir(directory, 0o700)
        except FileExistsError:
            if not directory.is_dir():
                raise


def utf8(text: str) -> bytes:
    """``text`` as UTF-8, a lone surrogate as U+FFFD: a file name that is not UTF-8 (Python keeps its
    bytes as surrogates) or a ``\\ud800`` escape read back from a log must not stop a write."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace").encode("utf-8")


def write_private_text(path: Path, text: str, what: str, may_replace: Callable[[Path], bool] | None = None,
                       refuse_hint: str = "remove it or choose another name") -> None:
    """Write a whole text as a private file (see the module docstring).

    A file it replaces stays as it was until the new text is written whole
    beside it and renamed over it: a full disk or a stop mid-write leaves the
    old report, not an empty or cut one.  A new file that cannot be written
    whole is removed.
    """
    data = utf8(text)
    path = Path(path)
    try:
        target, fd = path, _new(path)
    except FileExistsError:
        _check_replaceable(path, what, may_replace, refuse_hint)
        target, fd = _beside(path, what)
    except OSError as exc:
        raise LivecueError(f"cannot write {what} {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        if target != path:
            os.replace(target, path)
    except BaseException as exc:
        target.unlink(missing_ok=True)  # not a file that looks written and is not
        if isinstance(exc, OSError):
            raise LivecueError(f"cannot write {path}: {exc.strerror or exc}") from None
        raise


def head(path: Path, n: int = 65536) -> bytes:
    """The first ``n`` bytes of a regular file (b"" if unreadable), without following a link."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return b""
    try:
        if file_kind(os.fstat(fd).st_mode) is not None:
            return b""
        return os.read(fd, n)
    except OSError:
        return b""
    finally:
        os.close(fd)


def loose_directory_warning(directory: Path) -> str | None:
    """A warning when others can write to ``directory`` (they could replace or plant files there)."""
    try:
        st = os.stat(directory)
    except OSError:
        return None
    if st.st_mode & 0o022 and not st.st_mode & stat.S_ISVTX:
        return (f"the sessions directory {directory} is writable by others (mode {stat.S_IMODE(st.st_mode):o}); "
                f"they could replace or remove session logs: chmod 700 {directory}")
    return None
