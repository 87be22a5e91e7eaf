"""How long a coach waits after editing the utterance file: the first rule load that has to fit again.

A coach who adds a row to ``cue_rules/utterances.tsv`` changes what every
classifier trigger learns, so the next start embeds the file's rows and
fits each classifier again (the shipped fits no longer match).  This copies
the shipped rules, appends ``--rows`` new engaged rows, and times ``livecue
rules check`` on the copy with an empty user cache, then once more with the
cache it filled (what every later start costs).

    python scripts/bench_refit.py            # one new row
    python scripts/bench_refit.py --rows 50
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed_check(rules: Path, cache: Path) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system) and exit status of one ``livecue rules check``."""
    env = dict(os.environ, XDG_CACHE_HOME=str(cache), PYTHONPATH=str(ROOT / "src"))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "livecue", "rules", "check", str(rules)], env=env,
                          capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        said = (done.stdout + done.stderr).strip().splitlines()  # the problems, then their count
        print("\n".join(said[:4]) if said else "rules check failed", file=sys.stderr)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1, help="new rows to append (default 1)")
    args = parser.parse_args()
    if args.rows < 1:
        parser.error("--rows must be at least 1")
    with tempfile.TemporaryDirectory() as tmp:
        rules = Path(tmp) / "rules"
        shutil.copytree(ROOT / "cue_rules", rules)
        with open(rules / "utterances.tsv", "a", encoding="utf-8") as f:
            for n in range(args.rows):
                f.write(f"engaged\tpitch\tWe looked at the brochure and the pricing for site {n + 1} makes sense.\n")
        cache = Path(tmp) / "cache"
        for label in ("first load after the edit (fits again)", "next load (cache filled)"):
            wall, cpu, rc = timed_check(rules, cache)
            print(f"{label}: {wall:.1f} s wall, {cpu:.1f} s CPU" + (f" (exit {rc})" if rc else ""))
            if rc:
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
