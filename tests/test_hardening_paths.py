"""Every path a user can pass: devices, pipes, directories are one-line errors, never a hang (issue 10 sweep)."""

import os

import pytest

from conftest import SAMPLE_CALL, run_cli


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "pipe.toml"
    os.mkfifo(path)
    return path


CASES = {
    "replay FILE": (["replay", "{bad}", "--fast", "--json", "--no-log"], "not an audio file"),
    "replay --rep": (["replay", "--rep", "{bad}", "--prospect", str(SAMPLE_CALL), "--fast", "--json", "--no-log"],
                     "not an audio file"),
    "--config": (["replay", str(SAMPLE_CALL), "--fast", "--json", "--no-log", "--config", "{bad}"], "settings file"),
    "--profile": (["replay", str(SAMPLE_CALL), "--fast", "--json", "--no-log", "--profile", "{bad}"], "profile"),
    "report": (["report", "{bad}"], "not a session log"),
    "eval labels": (["eval", "{bad}"], ""),
}


@pytest.mark.parametrize("bad_kind", ["device", "pipe", "directory"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_odd_paths_are_one_line_errors(tmp_path, fifo, case, bad_kind):
    bad = {"device": "/dev/zero", "pipe": str(fifo), "directory": str(tmp_path)}[bad_kind]
    argv, expected = CASES[case]
    result = run_cli(*[a.replace("{bad}", bad) for a in argv], timeout=60)  # a hang fails here
    assert result.returncode not in (0, 1), result.stderr  # 1 is the internal-error status
    lines = [x for x in result.stderr.splitlines() if not x.startswith("livecue: not a terminal")]
    assert len(lines) == 1 and lines[0].startswith("livecue: ") and bad in lines[0], result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    assert expected in lines[0] or bad_kind == "directory" or not expected


def test_sessions_skips_a_pipe_named_like_a_log(tmp_path):
    os.mkfifo(tmp_path / "2025-01-01_00-00-00_x.jsonl")
    result = run_cli("sessions", "--dir", str(tmp_path), timeout=30)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr


def test_rules_dir_with_a_pipe_named_like_a_rule_file(tmp_path):
    os.mkfifo(tmp_path / "x.toml")
    result = run_cli("rules", "check", str(tmp_path), timeout=30)
    assert result.returncode == 1 and "Traceback" not in result.stderr + result.stdout
