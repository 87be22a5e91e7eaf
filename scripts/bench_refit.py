"""How long a coach waits after editing what the intents learn: the first rule load that has to fit again.

A coach who adds a row to ``cue_rules/utterances.tsv`` changes what every
classifier trigger learns, so the next start embeds the file's rows and
fits each classifier again (the shipped fits no longer match).  An added
intent example (``--edit example``) refits every classifier too: each
learns against the other intents' examples.  In a live session that second
kind of edit is hot-reloaded, and the cue stage waits for it.

This copies the shipped rules and times ``livecue rules check`` on the copy
three times: after an edit, with an empty user cache; after a second edit,
with the cache the first filled; and once more with no edit (what every
later start costs).

    python scripts/bench_refit.py                  # a row added to utterances.tsv
    python scripts/bench_refit.py --edit example   # an example added to second_effort's brush-off intent
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


def edit(rules: Path, kind: str, n: int) -> None:
    """Add the ``n``-th new row, or the ``n``-th new example of second_effort's brush-off intent."""
    if kind == "row":
        with open(rules / "utterances.tsv", "a", encoding="utf-8") as f:
            f.write(f"engaged\tpitch\tWe looked at the brochure and the pricing for site {n} makes sense.\n")
        return
    path = rules / "second_effort.toml"
    text = path.read_text(encoding="utf-8")
    if "sounds_like = [\n" not in text:
        raise SystemExit("second_effort.toml has no 'sounds_like = [' list to add an example to")
    added = f'sounds_like = [\n  "we are fine with the {n} crews we have",\n'
    path.write_text(text.replace("sounds_like = [\n", added, 1), encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edit", choices=("row", "example"), default="row",
                        help="what the coach edits: a row of utterances.tsv (default) or an intent's example")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rules = Path(tmp) / "rules"
        shutil.copytree(ROOT / "cue_rules", rules)
        cache = Path(tmp) / "cache"
        for label, n in (("after an edit, empty cache", 1), ("after a second edit, cache filled", 2),
                         ("next load, no edit", 0)):
            if n:
                edit(rules, args.edit, n)
            wall, cpu, rc = timed_check(rules, cache)
            print(f"{label}: {wall:.1f} s wall, {cpu:.1f} s CPU" + (f" (exit {rc})" if rc else ""))
            if rc:
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
