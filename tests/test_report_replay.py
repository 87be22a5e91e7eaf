"""End to end: replay a labelled call with a session log, then report on it."""

from __future__ import annotations

import importlib.util
import json
import os
import stat
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CALL = ROOT.parent / "shared" / "calls" / "d04_not_interested_twice.wav"
LABELS = CALL.with_suffix(".json")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.shared,
    pytest.mark.skipif(not CALL.exists(), reason="../shared/calls is not beside the project"),
    pytest.mark.skipif(importlib.util.find_spec("livecue.commands.replay") is None,
                       reason="livecue replay is not in this build"),
]


def livecue(*argv: str, timeout: int = 300) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    return subprocess.run([sys.executable, "-m", "livecue", *argv], capture_output=True, text=True,
                          env=env, timeout=timeout, cwd=ROOT)


@pytest.fixture(scope="module")
def replayed(tmp_path_factory):
    out = tmp_path_factory.mktemp("replay")
    log = out / "s.jsonl"
    result = livecue("replay", str(CALL), "--fast", "--json", "--log", str(log))
    assert result.returncode == 0, result.stderr[-2000:]
    return out, log, result


def test_replay_log_is_private_and_is_the_json_stream(replayed):
    _, log, result = replayed
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    logged = [json.loads(line) for line in log.read_text().splitlines()]
    assert logged[0]["type"] == "settings" and logged[0]["mode"] == "replay"
    stdout = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    kept = {"committed", "cue", "started", "ended", "speech_start", "speech_end"}
    assert [r for r in logged if r["type"] in kept] == [r for r in stdout if r["type"] in kept]
    assert str(log) in result.stderr and "livecue report" in result.stderr


def test_report_from_the_replay_has_both_speakers_and_the_cues(replayed):
    out, log, _ = replayed
    html = out / "r.html"
    result = livecue("report", str(log), "--html", str(html), "--md", str(out / "r.md"))
    assert result.returncode == 0, result.stderr
    md = (out / "r.md").read_text()
    assert "] Rep:**" in md and "] Prospect:**" in md
    cues = [json.loads(line) for line in log.read_text().splitlines() if '"type": "cue"' in line]
    for cue in cues:
        assert f"(`{cue['cue']}`)" in md
    tags = []

    class P(HTMLParser):
        def handle_starttag(self, tag, attrs):
            tags.append(tag)

    P().feed(html.read_text())
    assert "svg" in tags


def test_subtitles_from_the_replay_are_monotonic(replayed):
    out, log, _ = replayed
    result = livecue("report", str(log), "--srt", "-")
    assert result.returncode == 0, result.stderr
    starts = [line.split(" --> ")[0] for line in result.stdout.splitlines() if " --> " in line]
    assert starts and starts == sorted(starts)
