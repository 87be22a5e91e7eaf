"""``livecue profile init|path``: the rep's profile file, where the cards find it.

``init`` writes a starter profile (the shipped example) to the user config
directory, readable by the user only, and never over an existing file unless
``--force`` says so: a profile is the rep's own words.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ..cues.profile import default_profile_path
from ..errors import LivecueError
from ..private_files import private_dirs

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "profile.example.toml"

EPILOG = """examples:
  livecue profile init            write a starter profile to the user config directory
  livecue profile init --force    replace an existing one
  livecue profile path            print where livecue looks for it
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.epilog = EPILOG
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    sub = p.add_subparsers(dest="action", metavar="ACTION")
    init = sub.add_parser("init", help="write a starter profile (mode 0600) to edit")
    init.add_argument("path", nargs="?", type=Path, default=None,
                      help="where to write it (default: profile.toml in the user config directory)")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    sub.add_parser("path", help="print the default profile path (and whether it exists)")
    p.set_defaults(action=None)


def write_private(path: Path, text: str, force: bool) -> None:
    """Create ``path`` with mode 0600; refuse to replace a file unless ``force``."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL) | getattr(os, "O_CLOEXEC", 0)
    try:
        private_dirs(path.parent)
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        raise LivecueError(f"{path}: already exists; edit it, or add --force to replace it") from None
    except OSError as exc:
        raise LivecueError(f"{path}: cannot write: {exc.strerror or exc}") from None
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        if hasattr(os, "fchmod"):  # --force over a file that was readable by others
            os.fchmod(out.fileno(), 0o600)
        out.write(text)


def run(args: argparse.Namespace) -> int:
    default = default_profile_path()
    if args.action == "path":
        print(f"{default}{'' if default.is_file() else '  (not there yet: livecue profile init)'}")
        return 0
    if args.action != "init":
        raise LivecueError("say 'init' or 'path' (livecue profile init)")
    path = args.path or default
    text = EXAMPLE.read_text(encoding="utf-8")
    text = "\n".join(line for line in text.splitlines() if not line.startswith(("# Copy", "# ~/", "# platform")))
    text = text.replace("# livecue rep profile: what the coaching cards fill in.",
                        "# livecue rep profile: what the coaching cards fill in.\n"
                        "# livecue reads this file by default (`livecue profile path`); edit every value.") + "\n"
    write_private(path, text, args.force)
    print(f"wrote {path}: edit your name, company, hot buttons and benefit line")
    return 0
