#!/usr/bin/env python3
"""Check an installed livecue from outside the checkout: a replay, then the overlay in tmux.

CI runs it against the wheel installed in a fresh virtualenv, once with the
latest dependencies and once with every dependency at its lowest allowed
version (scripts/lowest_pins.py), so both installs pass the same checks:

- the installed rules hold ``utterances.tsv`` and their classifier fits;
- ``livecue replay SAMPLE --fast --json --no-log`` ends cleanly and fires the
  sample's labelled cues, in order;
- ``livecue replay SAMPLE --fast`` opens the overlay in a 100x30 tmux window,
  shows both sides and the cards, reaches ENDED and quits on ``q`` with exit 0.

    python scripts/check_install.py --livecue VENV/bin/livecue [--sample samples/sample_call.flac]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WIDTH, HEIGHT = 100, 30


def fail(message: str) -> None:
    print(f"check_install: FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def expected_cues(sample: Path) -> list[str]:
    labels = json.loads(sample.with_suffix(".json").read_text(encoding="utf-8"))
    return [e["cue"] for e in sorted(labels.get("expected", []), key=lambda e: e["from"]) if e.get("required", True)]


def private_env(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIVECUE_", "PYTHON", "XDG_"))}
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / "data"), XDG_CONFIG_HOME=str(home / "config"),
               XDG_CACHE_HOME=str(home / "cache"), LIVECUE_THEME="dark")
    return env


def check_replay(livecue: str, sample: Path, cwd: Path, env: dict) -> list[str]:
    """The replay's card titles, after checking its events."""
    started = time.monotonic()
    done = subprocess.run([livecue, "replay", str(sample), "--fast", "--json", "--no-log"], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        fail(f"replay exited {done.returncode}: {done.stderr.strip()[-2000:]}")
    events = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    types = [e["type"] for e in events]
    if not events or types[0] != "started" or types[-1] != "ended":
        fail(f"replay events do not run from started to ended: {types[:3]} ... {types[-3:]}")
    spoken = {e["speaker"] for e in events if e["type"] == "committed" and e.get("text")}
    if not {"rep", "prospect"} <= spoken:
        fail(f"replay transcribed only {sorted(spoken)}")
    cues = [e["cue"] for e in events if e["type"] == "cue"]
    want = expected_cues(sample)
    if [c for c in cues if c in want] != want:
        fail(f"replay fired {cues}, the sample's labels expect {want}")
    print(f"check_install: replay ok in {time.monotonic() - started:.0f} s: {len(events)} events, cues {cues}")
    return [e["title"] for e in events if e["type"] == "cue"]


def tmux(*args: str) -> str:
    done = subprocess.run(["tmux", *args], capture_output=True, text=True, timeout=20)
    if done.returncode != 0:
        fail(f"tmux {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def check_overlay(livecue: str, sample: Path, cwd: Path, env: dict, titles: list[str]) -> None:
    if shutil.which("tmux") is None:
        fail("tmux is not installed")
    session = f"livecue-install-{uuid.uuid4().hex[:8]}"
    exports = " ".join(f"{k}={v}" for k, v in env.items() if k.startswith(("HOME", "XDG_", "LIVECUE_")))
    shell = f"cd {cwd} && env {exports} {livecue} replay {sample} --fast; echo LIVECUE-EXIT=$?; sleep 600"
    tmux("new-session", "-d", "-s", session, "-x", str(WIDTH), "-y", str(HEIGHT), shell)
    subprocess.run(["tmux", "resize-window", "-t", session, "-x", str(WIDTH), "-y", str(HEIGHT)],
                   capture_output=True, timeout=20)
    seen = ""
    try:
        deadline = time.monotonic() + 300
        while True:
            screen = tmux("capture-pane", "-p", "-t", session)
            seen += screen
            if "LIVECUE-EXIT=" in screen:
                fail("livecue exited while the overlay was up:\n" + screen)
            lines = screen.splitlines()
            if lines and "ENDED" in lines[0]:
                break
            if time.monotonic() > deadline:
                fail("the overlay did not reach ENDED in 300 s; last screen:\n" + screen)
            time.sleep(0.5)
        for word in ("REP", "PROSPECT"):
            if word not in screen:
                fail(f"{word} is not on the final screen:\n{screen}")
        missing = [t for t in titles if t not in seen]
        if missing:
            fail(f"cards never shown: {missing}; final screen:\n{screen}")
        tmux("send-keys", "-t", session, "q")
        for _ in range(60):
            time.sleep(0.5)
            after = tmux("capture-pane", "-p", "-t", session)
            if "LIVECUE-EXIT=" in after:
                break
        if "LIVECUE-EXIT=0" not in after:
            fail("q did not end livecue with exit 0:\n" + after)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True, timeout=20)
    print(f"check_install: overlay ok: cards {titles} shown, ENDED, q quit with 0")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--livecue", required=True, help="the installed livecue executable")
    parser.add_argument("--sample", type=Path, default=ROOT / "samples" / "sample_call.flac")
    args = parser.parse_args()
    livecue = str(Path(args.livecue).resolve())
    sample = args.sample.resolve()
    with tempfile.TemporaryDirectory(prefix="livecue-install-") as tmp:
        cwd = Path(tmp) / "elsewhere"  # outside the checkout: nothing can come from src/
        cwd.mkdir()
        env = private_env(Path(tmp) / "home")
        version = subprocess.run([livecue, "--version"], cwd=cwd, env=env, capture_output=True, text=True)
        if version.returncode != 0:
            fail(f"livecue --version: {version.stderr.strip()}")
        where = subprocess.run([str(Path(livecue).with_name("python")), "-c",
                                "import livecue, sys; print(livecue.__file__)"], cwd=cwd, env=env,
                               capture_output=True, text=True)
        if str(ROOT) in where.stdout:
            fail(f"livecue is imported from the checkout ({where.stdout.strip()}), not the install")
        print(f"check_install: {version.stdout.strip()} from {where.stdout.strip()}")
        shipped = Path(where.stdout.strip()).parent / "_cue_rules"
        fits = sorted((shipped / "fits").glob("*.npy"))
        if not (shipped / "utterances.tsv").is_file() or not fits:
            fail(f"the installed rules lack utterances.tsv or their fits ({shipped})")
        print(f"check_install: the rules ship utterances.tsv and {len(fits)} fits")
        titles = check_replay(livecue, sample, cwd, env)
        check_overlay(livecue, sample, cwd, env, titles)
    return 0


if __name__ == "__main__":
    sys.exit(main())
