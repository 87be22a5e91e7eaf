"""A call's identity: its audio content and everything that shapes its cues.

A call is done when a log named by its key exists in the output directory.
The key hashes the audio bytes (not the path: a moved library is not redone),
the channel mapping, and the settings fingerprint: livecue's version, the
model, every setting except the thread count (threads change speed, not
what is said), every rule file (shipped and user layers, or ``--rules``),
the profile, and whether cues are on.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path

from .. import __version__
from ..config import Settings
from .inputs import CallInput

CHUNK = 1 << 20


def content_hash(path: Path) -> str:
    """SHA-256 of a file's bytes; OSError if it cannot be read."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            block = f.read(CHUNK)
            if not block:
                break
            h.update(block)
    return h.hexdigest()


def _files_digest(h, directory: Path) -> None:
    for p in sorted(directory.rglob("*")):
        if p.is_file():
            h.update(os.fsencode(p.relative_to(directory)) + b"\0")  # a name that is not UTF-8: its own bytes
            h.update(p.read_bytes() + b"\0")


def settings_fingerprint(settings: Settings, *, model_path: str, rules_dir: Path | None, profile: Path | None,
                         cues: bool) -> str:
    """What a call's cues depend on besides its audio, as one hex digest."""
    from ..cues.profile import default_profile_path
    from ..cues.rules import shipped_rules_dir

    asr = dataclasses.replace(settings.asr, threads=0)
    record = {"livecue": __version__, "vad": dataclasses.asdict(settings.vad),
              "asr": dataclasses.asdict(asr), "model": model_path, "cues": cues}
    for name in ("agreement", "signals", "cues", "log"):  # later sections: in the digest once set
        section = getattr(settings, name)
        if section != type(section)():
            record[name] = dataclasses.asdict(section)
    h = hashlib.sha256(json.dumps(record, sort_keys=True, default=str).encode())
    model = Path(model_path)
    if model.is_dir():  # a local model: its weights' size and time stand in for its bytes
        for p in sorted(model.iterdir()):
            if p.is_file():
                st = p.stat()
                h.update(f"{p.name}:{st.st_size}:{int(st.st_mtime)}\0".encode())
    if cues:
        if rules_dir is not None:
            layers = [Path(rules_dir)]
        else:  # the shipped rules and, where there is one, the user's rules directory that shadows them
            import platformdirs

            layers = [shipped_rules_dir(), Path(platformdirs.user_config_dir("livecue")) / "cue_rules"]
        for n, rules in enumerate(layers):
            if rules.is_dir():
                h.update(f"rules layer {n}\0".encode())
                _files_digest(h, rules)
        prof = Path(profile) if profile is not None else default_profile_path()
        h.update(prof.read_bytes() if prof.is_file() else b"(no profile)")
    return h.hexdigest()


def call_key(call: CallInput, hashes: tuple[str, ...], fingerprint: str) -> str:
    h = hashlib.sha256()
    for part in (*hashes, call.mapping, fingerprint):
        h.update(part.encode() + b"\0")
    return h.hexdigest()


class HashCache:
    """Content hashes of files seen before, keyed by (absolute path, size, mtime).

    A rerun over a large library then reads no audio at all; a file that
    changed gets a new size or time, so it is hashed again.  Kept in the
    output directory as ``.hashes.json`` (0600, replaced atomically).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.changed = False
        try:
            self.entries: dict = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(self.entries, dict):
                self.entries = {}
        except (OSError, ValueError, RecursionError):
            self.entries = {}

    def hash(self, file: Path) -> str:
        """The file's SHA-256, from the cache when its size and time are unchanged; OSError if unreadable."""
        import os

        st = os.stat(file)
        name = os.path.abspath(file)
        entry = self.entries.get(name)
        if isinstance(entry, list) and entry[:2] == [st.st_size, st.st_mtime_ns] and len(entry) == 3:
            return entry[2]
        digest = content_hash(file)
        self.entries[name] = [st.st_size, st.st_mtime_ns, digest]
        self.changed = True
        return digest

    def save(self, write) -> None:
        """``write(path, bytes)``: the caller's atomic, private writer."""
        if self.changed:
            write(self.path, json.dumps(self.entries, sort_keys=True).encode("utf-8"))
            self.changed = False
