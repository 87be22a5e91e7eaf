"""``SECTION.KEY=VALUE`` overrides of the typed settings (the benchmark scripts' ``--set``).

One place for what ``scripts/bench_real_calls.py`` and ``scripts/bench_wer.py``
both need: the value is cast to the setting's own type, checked against its
documented range, and a wrong name gets a one-line error with the likely
intended key.
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass, replace

from .config import Settings
from .user_files import did_you_mean, range_problem
from .errors import LivecueError

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def _cast(spec: str, old: object, value: str) -> object:
    try:
        if isinstance(old, bool):
            if value.lower() not in _TRUE + _FALSE:
                raise ValueError
            return value.lower() in _TRUE
        if isinstance(old, tuple):
            return tuple(v.strip() for v in value.split(",") if v.strip())
        return type(old)(value)
    except ValueError:
        kind = type(old).__name__
        raise LivecueError(f"--set {spec}: {value!r} is not {'an' if kind[0] in 'aeiou' else 'a'} {kind}") from None


def apply_overrides(settings: Settings, items: list[str] | tuple[str, ...]) -> Settings:
    """``settings`` with every ``SECTION.KEY=VALUE`` of ``items`` applied, in order."""
    for spec in items:
        key, sep, value = spec.partition("=")
        section, dot, name = key.strip().partition(".")
        if not sep or not dot:
            raise LivecueError(f"--set {spec!r}: want SECTION.KEY=VALUE, e.g. asr.min_decode_s=0.4")
        sections = [f.name for f in fields(settings) if is_dataclass(getattr(settings, f.name))]
        if section not in sections:
            raise LivecueError(f"--set {spec}: no settings section '{section}'{did_you_mean(section, sections)}")
        sub = getattr(settings, section)
        names = [f.name for f in fields(sub)]
        if name not in names:
            raise LivecueError(f"--set {spec}: no setting '{section}.{name}'{did_you_mean(name, names)}")
        new = _cast(spec, getattr(sub, name), value.strip())
        problem = range_problem(type(sub), name, new)
        if problem:
            raise LivecueError(f"--set {spec}: {problem}")
        settings = replace(settings, **{section: replace(sub, **{name: new})})
    return settings
