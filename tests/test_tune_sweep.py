"""livecue tune: parameter grids, best settings, writing values back, feedback logs."""

from __future__ import annotations

import json
import shutil
import sys

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib
from pathlib import Path

import pytest

from livecue.cli import main
from livecue.cues.rules import load_rule_dir, load_rule_file
from livecue.errors import LivecueError
from livecue.events import Cue, Feedback, SessionEnded
from livecue.tuning.sweep import (apply_params, best_overall, feedback_case, parse_set, sweep, write_params)
from livecue.tuning.labels import Window
from livecue.tuning.sweep import Case
from livecue.cues.transcript import ReferenceLine, utterance_events

from cue_events import MINIMAL_RULE, utterance

RULES = Path(__file__).resolve().parents[1] / "cue_rules"
LOAD = load_rule_dir(RULES)


def two_clipped_call(name: str, expect_reset: bool) -> Case:
    utts = [ReferenceLine("rep", 0.5, 2.5, "How do you schedule crews?"),
            ReferenceLine("prospect", 3.5, 4.0, "Whiteboard."),
            ReferenceLine("rep", 4.5, 6.5, "How many crews?"), ReferenceLine("prospect", 7.5, 8.0, "Six."),
            ReferenceLine("rep", 8.5, 11.0, "What would you change about it?"),
            ReferenceLine("prospect", 11.5, 16.0, "Honestly the paperwork, it takes us every Friday afternoon.")]
    windows = (Window("reset", 7.5, 8.0, 20.0),) if expect_reset else ()
    return Case(name, utterance_events(utts), 17.0, windows)


def test_parse_set_resolves_trigger_keys_and_reports_mistakes():
    p = parse_set("reset.min_streak=2,3,4", LOAD.ruleset)
    assert (p.rule, p.trigger, p.key, p.values) == ("reset", "clipped", "min_streak", (2, 3, 4))
    p = parse_set("plant_seed.cooldown_s=30,60", LOAD.ruleset)
    assert (p.trigger, p.values) == (None, (30.0, 60.0))
    for spec, message in [("reset.min_stroke=2", "did you mean 'min_streak'"),
                          ("rest.min_streak=2", "did you mean 'reset'"),
                          ("reset.min_monologue_s=10", "say which"),
                          ("reset.min_streak=two", "is not an int"),
                          ("reset.min_streak", "want RULE.KEY=V1,V2"),
                          ("reset.min_streak=-1", "must not be negative"),
                          ("plant_seed.cooldown_s=30,inf", "'inf' is not a finite number"),
                          ("plant_seed.cooldown_s=nan", "'nan' is not a finite number")]:
        with pytest.raises(LivecueError, match=message):
            parse_set(spec, LOAD.ruleset)


def test_apply_params_changes_only_the_copy():
    p = parse_set("reset.min_streak=2", LOAD.ruleset)
    changed = apply_params(LOAD.ruleset, {p: 2})
    assert changed.get("reset").rule.trigger("clipped").min_streak == 2
    assert LOAD.ruleset.get("reset").rule.trigger("clipped").min_streak == 3
    assert changed.get("reset").triggers["lukewarm"].phrases is LOAD.ruleset.get("reset").triggers["lukewarm"].phrases
    assert changed.matches is LOAD.ruleset.matches  # the same phrase sets: one sweep point's matches serve the next


def test_sweep_finds_the_setting_the_labels_want():
    cases = [two_clipped_call("wants.json", True), two_clipped_call("quiet.json", False),
             two_clipped_call("wants2.json", True)]
    p = parse_set("reset.min_streak=2,3", LOAD.ruleset)
    baseline, points = sweep(cases, LOAD.ruleset, [p], cue_ids=["reset"])
    assert baseline.overall.fn == 2  # min_streak = 3 never fires on two clipped answers
    best = best_overall(points)
    assert best.values[p] == 2 and (best.overall.tp, best.overall.fp) == (2, 1)


FILE = """# a comment that must survive
id = "x"
title = "X"
cooldown_s = 30   # seconds

[triggers.clipped]
kind = "clipped_streak"
min_streak = 3

[triggers.words]
kind = "phrases"
phrases = ["not interested"]

[card]
title = "T"
"""


def test_write_params_touches_only_those_values(tmp_path):
    path = tmp_path / "x.toml"
    path.write_text(FILE)
    from livecue.tuning.sweep import Param
    write_params(path, [(Param("x", "clipped", "min_streak", (2,)), 2), (Param("x", None, "cooldown_s", (45.0,)), 45.0),
                        (Param("x", "clipped", "max_words", (4,)), 4), (Param("x", None, "settle_s", (0.5,)), 0.5)])
    text = path.read_text()
    assert "cooldown_s = 45.0   # seconds" in text and "min_streak = 2" in text
    assert "# a comment that must survive" in text
    assert text.replace("45.0", "30").replace("min_streak = 2", "min_streak = 3").replace(
        "max_words = 4\n", "").replace("settle_s = 0.5\n", "") == FILE
    data = tomllib.loads(text)
    assert data["settle_s"] == 0.5 and data["triggers"]["clipped"] == {"kind": "clipped_streak", "min_streak": 2,
                                                                        "max_words": 4}


def test_tune_cli_writes_the_best_setting(tmp_path, capsys):
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    calls = tmp_path / "calls"
    calls.mkdir()
    label = {"version": 1, "audio": "c.wav", "channels": {"rep": 0, "prospect": 1}, "duration": 17.0,
             "utterances": [{"speaker": u.speaker, "start": u.start, "end": u.end, "text": u.text} for u in [
                 ReferenceLine("rep", 0.5, 2.5, "How do you schedule crews?"),
                 ReferenceLine("prospect", 3.5, 4.0, "Whiteboard."),
                 ReferenceLine("rep", 4.5, 6.5, "How many crews?"), ReferenceLine("prospect", 7.5, 8.0, "Six.")]],
             "expected": [{"cue": "reset", "from": 7.5, "anchor": 8.0, "to": 20.0, "required": True}]}
    (calls / "c.json").write_text(json.dumps(label))
    assert main(["tune", str(calls), "--rules", str(rules), "--set", "reset.min_streak=2,3,4", "--write"]) == 0
    out = capsys.readouterr().out
    assert "best overall: reset.clipped.min_streak=2" in out and "c.json: missed reset -> reset@8.0(hit)" in out
    assert load_rule_file(rules / "reset.toml")[0].trigger("clipped").min_streak == 2
    assert (rules / "reset.toml").read_text().count("\n") == (RULES / "reset.toml").read_text().count("\n")


def test_tune_streamed_feeds_the_words_as_a_live_call_commits_them(tmp_path, capsys):
    """A rule that fires on a turn's first clause gives a false card only when the words come as a live call's do."""
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "x.toml").write_text(MINIMAL_RULE.replace('phrases = ["not interested"]',
                                                       'phrases = ["not interested"]\nunless = ["tell me more"]'))
    calls = tmp_path / "calls"
    calls.mkdir()
    label = {"version": 1, "audio": "c.wav", "channels": {"rep": 0, "prospect": 1}, "duration": 14.0,
             "utterances": [
                 {"speaker": "rep", "start": 0.5, "end": 2.5, "text": "Got a minute?"},
                 {"speaker": "prospect", "start": 3.0, "end": 11.0,
                  "text": "I was about to say not interested, honestly, but wait, what does it do, tell me more."}],
             "expected": []}
    (calls / "c.json").write_text(json.dumps(label))
    args = ["tune", str(calls), "--rules", str(rules), "--set", "x.cooldown_s=0,30"]
    assert main(args) == 0
    whole = capsys.readouterr().out
    assert main(args + ["--streamed"]) == 0
    streamed = capsys.readouterr().out
    assert "2 setting(s) x 1 call(s)\n" in whole and " 0  0  0  (current)" in whole
    assert "2 setting(s) x 1 call(s), the calls' words streamed" in streamed and " 0  1  0  (current)" in streamed


def test_tune_streamed_needs_labelled_calls(capsys):
    assert main(["tune", "--streamed", "--feedback", "log.jsonl", "--set", "reset.min_streak=2,3"]) == 2
    err = capsys.readouterr().err
    assert "--streamed" in err and "labelled calls" in err and err.count("\n") == 1


def test_tune_without_a_grid_is_one_line(capsys):
    assert main(["tune", "somewhere"]) == 2
    assert "--set" in capsys.readouterr().err


def test_feedback_marks_become_labels(tmp_path):
    log = tmp_path / "session.jsonl"
    events = utterance("rep", 0.5, 3.0, "Got a minute?") + utterance("prospect", 3.5, 5.0, "I have to go.") + \
        utterance("rep", 70.0, 72.0, "Calling back, got a minute?") + utterance("prospect", 72.5, 74.0, "I have to go.")
    lines = [json.dumps(e.to_json()) for e in events]
    lines.append(json.dumps(Cue(5.0, "plant_seed", "t", "w", ("s",)).to_json()))
    lines.append(json.dumps(Feedback(6.0, "plant_seed", "helpful", 5.0).to_json()))
    lines.append(json.dumps(Cue(74.0, "plant_seed", "t", "w", ("s",)).to_json()))
    lines.append(json.dumps(Feedback(75.0, "plant_seed", "wrong", 74.0).to_json()))
    lines.append("{not json")
    lines.append(json.dumps(SessionEnded(80.0).to_json()))
    log.write_text("\n".join(lines) + "\n")
    case, counts = feedback_case(log)
    assert (counts["helpful"], counts["wrong"], counts["unmarked"]) == (1, 1, 0)
    assert any("unreadable" in n for n in counts["notices"])
    assert [(w.cue, w.required) for w in case.expected] == [("plant_seed", True)]
    p = parse_set("plant_seed.cooldown_s=60,120", LOAD.ruleset)
    baseline, points = sweep([case], LOAD.ruleset, [p], cue_ids=["plant_seed"])
    assert (baseline.overall.tp, baseline.overall.fp) == (1, 1)  # the second card was marked wrong
    assert best_overall(points).values[p] == 120.0  # a longer cooldown drops it


def test_feedback_from_a_real_session_log_fixture(capsys):
    fixture = Path(__file__).resolve().parent / "fixtures" / "session_d04.jsonl"
    case, counts = feedback_case(fixture)
    assert (counts["helpful"], counts["wrong"]) == (1, 1)
    assert [(w.cue, w.required) for w in case.expected] == [("second_effort", True)]
    assert any(e.type == "committed" for _, e in case.events)
    assert main(["tune", "--feedback", str(fixture), "--set", "plant_seed.cooldown_s=30,60"]) == 0
    assert "1 helpful, 1 wrong" in capsys.readouterr().err


def test_a_swept_value_is_checked_by_its_kind_without_crashing_on_other_problems():
    """The kind's check may report a list item (an empty example) or another file: neither is the swept key."""
    import dataclasses

    from livecue.tuning.sweep import _check_value

    shipped = load_rule_dir(Path(__file__).resolve().parents[1] / "cue_rules")
    trig = shipped.ruleset.get("reset").rule.trigger("sounds_lukewarm")
    odd = dataclasses.replace(trig, sounds_like=trig.sounds_like + ("",))
    _check_value(odd, "threshold", 0.5, "reset.sounds_lukewarm.threshold")  # no AttributeError, no problem
    with pytest.raises(LivecueError, match="'threshold' must be more than 0 and at most 1"):
        _check_value(odd, "threshold", 1.5, "reset.sounds_lukewarm.threshold")
