"""Input nested deeper than the parsers' recursion: a problem with the file, never an internal error.

Python's JSON and TOML parsers recurse once per nested array or table, and
so did the rules' ``when`` parser and the detector's walk of it: 100,000
brackets raised ``RecursionError``, which reached the user as "internal
error" (exit 1), and one such log in the sessions folder stopped the whole
listing and summary.
"""

import json
import shutil
from pathlib import Path

import pytest

from livecue.cli import main

from conftest import ROOT, SAMPLE_CALL

FIXTURE = Path(__file__).parent / "fixtures" / "session_d04.jsonl"
DEEP = "[" * 100_000 + "]" * 100_000


def one_line_error(capsys, code, fragment):
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and lines[0].startswith("livecue: ") and fragment in lines[0], err


def test_a_settings_file_nested_too_deeply_names_its_line(tmp_path, capsys):
    config = tmp_path / "deep.toml"
    config.write_text("[asr]\nthreads = 2\n\n[vad]\nx = " + DEEP + "\n")
    code = main(["replay", str(SAMPLE_CALL), "--plain", "--no-log", "--config", str(config)])
    one_line_error(capsys, code, "deep.toml:5: TOML nested too deeply")


@pytest.mark.parametrize("when, message", [
    ("(" * 5000 + "throwaway" + ")" * 5000, "nested more than 50 deep"),
    ("not " * 5000 + "throwaway", "nested more than 50 deep"),
    (" or ".join(["throwaway"] * 20000), "more than 200 triggers"),
], ids=["parentheses", "nots", "ors"])
def test_a_when_expression_too_deep_or_too_long_is_a_problem_at_its_line(tmp_path, when, message):
    from livecue.cues.rules import load_rule_file

    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "cue_rules", rules, ignore=shutil.ignore_patterns("fits"))
    path = rules / "weak_ending.toml"
    lines = path.read_text(encoding="utf-8").splitlines()
    number = next(n for n, line in enumerate(lines) if line.startswith("when = "))
    lines[number] = f'when = "{when}"'
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _, problems = load_rule_file(path)
    assert [(p.line, message in p.message) for p in problems] == [(number + 1, True)], problems


def test_the_parser_still_takes_what_the_limits_allow():
    from livecue.cues.when import MAX_DEPTH, MAX_TRIGGERS, parse_when

    names = ["a", "b"]
    assert parse_when("(" * MAX_DEPTH + "a" + ")" * MAX_DEPTH, names) == ("t", "a")
    chain = parse_when(" or ".join(["a"] * MAX_TRIGGERS), names)
    depth = 0
    while chain[0] == "or":
        chain, depth = chain[1], depth + 1
    assert depth == MAX_TRIGGERS - 1


def test_a_log_line_nested_too_deeply_is_skipped_like_any_unreadable_line(tmp_path, capsys):
    logs = tmp_path / "logs"
    logs.mkdir()
    lines = FIXTURE.read_text().splitlines()
    (logs / "deep.jsonl").write_text("\n".join(lines[:3] + [DEEP] + lines[3:]) + "\n")
    (logs / "deeper.jsonl").write_text(DEEP + "\n")  # not a session log at all
    shutil.copy(FIXTURE, logs / "fine.jsonl")

    assert main(["report", str(logs / "deep.jsonl"), "--md", str(tmp_path / "r.md")]) == 0
    assert "1 unreadable line(s) skipped (line 4)" in capsys.readouterr().err
    assert main(["sessions", "--dir", str(logs)]) == 0
    listed = capsys.readouterr().out
    assert "deep.jsonl" in listed and "fine.jsonl" in listed
    assert main(["summary", str(logs), "--out", str(tmp_path / "summary")]) == 1  # 1: a log was unreadable
    err = capsys.readouterr().err
    assert "3 logs summarised, 1 unreadable" in err and "deeper.jsonl: not a livecue session log" in err
    assert (tmp_path / "summary" / "summary.html").is_file()


def test_a_labelled_call_nested_too_deeply_is_a_one_line_error(tmp_path, capsys):
    (tmp_path / "call.json").write_text(DEEP)
    code = main(["eval", str(tmp_path / "call.json"), "--transcript", "-q"])
    one_line_error(capsys, code, "call.json: not a labelled call: JSON nested too deeply")


def test_a_batch_manifest_nested_too_deeply_or_with_a_huge_channel_is_a_one_line_error(tmp_path, capsys):
    from livecue.errors import LivecueError
    from livecue.library.inputs import read_manifest

    manifest = tmp_path / "calls.jsonl"
    manifest.write_text(DEEP + "\n")
    with pytest.raises(LivecueError, match=r"calls.jsonl:1: not valid here: JSON nested too deeply"):
        read_manifest(manifest)
    manifest.write_text(json.dumps({"path": "call.wav"})[:-1] + ', "rep_channel": 1e400}\n')
    with pytest.raises(LivecueError, match=r"calls.jsonl:1: rep_channel must be a channel number, not inf"):
        read_manifest(manifest)


@pytest.mark.parametrize("field", ["duration", "start"])
def test_a_labelled_call_with_an_integer_past_the_float_range_is_a_one_line_error(tmp_path, capsys, field):
    """JSON allows a 400-digit integer; math.isfinite and float() raised OverflowError (an internal error)."""
    call = json.loads((ROOT / "tests" / "calls" / "x01_no_budget_then_run.json").read_text())
    if field == "duration":
        call["duration"] = 10 ** 400
    else:
        call["utterances"][0]["start"] = 10 ** 400
    (tmp_path / "call.json").write_text(json.dumps(call))
    code = main(["eval", str(tmp_path / "call.json"), "--transcript", "-q"])
    err = capsys.readouterr().err
    if field == "duration":  # a duration that is no number is taken from the utterances, as before
        assert code == 0 and "internal error" not in err, err
    else:
        lines = [line for line in err.splitlines() if line.strip()]
        assert code == 2 and len(lines) == 1 and "must be a finite number" in lines[0], err


def test_surrogates_in_a_batch_manifest_or_a_rules_directory_are_handled(tmp_path):
    """A manifest path with a "\\ud800" escape, and a rules file whose name is not UTF-8: internal errors
    (UnicodeEncodeError) before; now a manifest-line error, and the rules' digest takes the name's bytes."""
    import os

    from livecue.config import Settings
    from livecue.errors import LivecueError
    from livecue.library.identity import settings_fingerprint
    from livecue.library.inputs import read_manifest

    manifest = tmp_path / "calls.jsonl"
    manifest.write_text('{"path": "a\\ud800.wav"}\n')
    with pytest.raises(LivecueError, match=r"calls.jsonl:1: path is not a file name this system can hold"):
        read_manifest(manifest)
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / os.fsdecode(b"notes-\xff.toml")).write_text("# not a rule\n")
    one = settings_fingerprint(Settings(), model_path="m", rules_dir=rules, profile=None, cues=True)
    (rules / os.fsdecode(b"notes-\xfe.toml")).write_text("# not a rule\n")
    assert settings_fingerprint(Settings(), model_path="m", rules_dir=rules, profile=None, cues=True) != one
