"""Short calls for the batch tests: pieces of the bundled sample call (a few seconds each)."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import SAMPLE_CALL, write_wav

# (name, start s, end s): the second-effort and plant-the-seed moments of the sample call, and a plain stretch
PIECES = (("brushoff", 0.0, 16.0), ("wrapup", 16.0, 30.0), ("opening", 4.0, 11.0))


def make_calls(directory: Path, pieces=PIECES) -> list[Path]:
    from livecue.audio.files import decode_file
    from livecue.audio_facts import SAMPLE_RATE_HZ as RATE

    audio = decode_file(SAMPLE_CALL)
    directory.mkdir(parents=True, exist_ok=True)
    return [write_wav(directory / f"{name}.wav", audio[:, int(a * RATE):int(b * RATE)]) for name, a, b in pieces]


def cues_of(log: Path) -> list[tuple[str, float]]:
    out = []
    for line in log.read_text().splitlines():
        obj = json.loads(line)
        if obj.get("type") == "cue":
            out.append((obj["cue"], obj["t"]))
    return out


def log_for(out_dir: Path, stem: str) -> Path:
    found = sorted((out_dir / "logs").glob(f"{stem}-*.jsonl"))
    assert len(found) == 1, found
    return found[0]


def csv_rows(out_dir: Path) -> list[dict]:
    import csv

    with open(out_dir / "summary.csv", newline="") as f:
        return list(csv.DictReader(f))
