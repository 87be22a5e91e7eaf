#!/usr/bin/env python3
"""Constraints that pin every dependency in pyproject.toml to its lowest allowed version.

CI installs the wheel with these (``pip install --constraint``) to prove the
lower bounds are true: a bound nobody installs is a guess.  Each ``>=`` or
``==``/``~=`` bound becomes ``name==version``; an environment marker is kept
(pip applies it); a requirement without a lower bound is left to pip.

    python scripts/lowest_pins.py [--extra dev] > lowest.txt
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENT = re.compile(r"^\s*(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(?P<spec>[^;]*)(?:;(?P<marker>.*))?$")
LOWER = re.compile(r"(>=|==|~=)\s*([0-9][^,\s]*)")


def lowest_pin(requirement: str) -> str | None:
    """``'numpy>=1.24'`` -> ``'numpy==1.24'``; None when there is no lower bound."""
    match = REQUIREMENT.match(requirement)
    if match is None:
        raise ValueError(f"cannot read requirement {requirement!r}")
    bounds = LOWER.findall(match["spec"])
    if not bounds:
        return None
    version = bounds[0][1].rstrip(".*")
    pin = f"{match['name']}=={version}"
    marker = (match["marker"] or "").strip()
    return f"{pin}; {marker}" if marker else pin


def pins(pyproject: Path, extras: list[str]) -> list[str]:
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    requirements = list(project.get("dependencies", []))
    for extra in extras:
        requirements += project.get("optional-dependencies", {}).get(extra, [])
    return [p for p in (lowest_pin(r) for r in requirements) if p]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pyproject", type=Path, default=ROOT / "pyproject.toml")
    parser.add_argument("--extra", action="append", default=[], help="also pin this extra's requirements")
    args = parser.parse_args()
    print("\n".join(pins(args.pyproject, args.extra)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
