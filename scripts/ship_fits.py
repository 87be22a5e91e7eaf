"""Write the shipped rules' classifier fits (and row tables) into ``cue_rules/fits/`` (run after editing the rules).

An intent with ``scoring = "classifier"`` fits a logistic regression on its
examples and its utterance file's rows.  A fit costs embedding every row
(about 8,200; with the row table and the second opinion's fits, about two
minutes on two cores: ``scripts/bench_refit.py``) and is cached in the user cache,
keyed by everything it read; shipping the shipped rules' fits makes the
first start after installing read them instead.  The same goes for the
table of the rows' vectors that a trigger's ``neighbours`` vote reads
(float16, about 6 MB for 8,000 rows).  A fit whose rules were
edited since is simply not found (its key changed) and is computed as
before; ``tests/test_cue_intents.py`` fails when a shipped fit is stale.

    python scripts/ship_fits.py
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def main() -> int:
    out = ROOT / "cue_rules" / "fits"
    shutil.rmtree(out, ignore_errors=True)  # stale fits go; every current one is computed below
    cache = Path(tempfile.mkdtemp())
    os.environ["XDG_CACHE_HOME"] = str(cache)  # an empty user cache: every fit is computed here
    from livecue.cues.intents import SHIPPED_FITS
    from livecue.cues.rules import load_rule_dir

    assert out.name == SHIPPED_FITS
    load = load_rule_dir(ROOT / "cue_rules")
    if load.problems:
        print(f"the rules have problems: {load.problems[0]}", file=sys.stderr)
        return 1
    fits = sorted((cache / "livecue" / "models" / "classifiers").glob("*.npy"))
    tables = sorted((cache / "livecue" / "models" / "rows").glob("*.npy"))  # the rows' vectors (neighbours)
    out.mkdir()
    for f in fits + tables:
        shutil.copy2(f, out / f.name)
    shutil.rmtree(cache, ignore_errors=True)
    print(f"{len(fits)} fits and {len(tables)} row tables in {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
