"""Eval: matching fired cues to labelled windows, scores, the JSON shape."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from livecue.cli import main
from livecue.tuning.evaluate import match_call, score
from livecue.tuning.labels import Window, find_calls

HERE = Path(__file__).resolve().parent
SHARED = HERE.parents[1] / "shared" / "calls"

W = [Window("second_effort", 8.0, 12.4, 24.4), Window("plant_seed", 24.4, 29.4, 41.4),
     Window("plant_seed", 30.0, 35.0, 47.0, required=False)]


def outcomes(fired):
    result = match_call("x.json", fired, W)
    return [(f.cue, f.outcome) for f in result.fired], [w.cue for w in result.missed]


def test_hits_latency_and_misses():
    result = match_call("x.json", [("second_effort", 13.0)], W)
    assert [(f.outcome, round(f.latency, 1)) for f in result.fired] == [("hit", 0.6)]
    assert [w.cue for w in result.missed] == ["plant_seed"]  # the optional window is never a miss


def test_wrong_cue_or_outside_the_window_is_false():
    assert outcomes([("reset", 13.0), ("second_effort", 30.0)]) == (
        [("reset", "false"), ("second_effort", "false")], ["second_effort", "plant_seed"])


def test_a_window_matches_once_then_the_next_one():
    fired = [("plant_seed", 25.0), ("plant_seed", 33.0), ("plant_seed", 40.0)]
    # 25 takes the required window; 33 falls in the optional one (neutral); 40 is only in windows
    # already matched, but inside the optional window, so it counts neither way
    assert outcomes(fired) == ([("plant_seed", "hit"), ("plant_seed", "neutral"), ("plant_seed", "neutral")],
                               ["second_effort"])


def test_a_second_cue_in_a_used_required_window_is_false():
    assert outcomes([("second_effort", 9.0), ("second_effort", 10.0)])[0] == [
        ("second_effort", "hit"), ("second_effort", "false")]


def test_negative_latency_when_firing_before_the_anchor():
    result = match_call("x.json", [("second_effort", 10.0)], W)
    assert result.fired[0].latency == pytest.approx(-2.4)


def test_scores_per_cue_and_overall():
    a = match_call("a.json", [("second_effort", 13.0), ("reset", 5.0)], W)
    b = match_call("b.json", [("plant_seed", 26.0)], W)
    cues, overall = score([a, b], ["second_effort", "plant_seed", "reset", "weak_ending"])
    assert (cues["second_effort"].tp, cues["second_effort"].fn) == (1, 1)
    assert (cues["plant_seed"].tp, cues["plant_seed"].fn) == (1, 1)
    assert cues["reset"].fp == 1 and cues["reset"].precision == 0.0
    assert cues["weak_ending"].precision == 1.0 and cues["weak_ending"].recall == 1.0  # nothing to do
    assert (overall.tp, overall.fp, overall.fn) == (2, 1, 2)
    assert overall.precision == pytest.approx(2 / 3) and overall.recall == pytest.approx(0.5)


def test_find_calls_reads_dirs_recursively_and_rejects_bad_files(tmp_path):
    calls = find_calls([HERE / "calls"])
    assert len(calls) >= 14 and all(c.audio.suffix == ".wav" for c in calls)
    bad = tmp_path / "bad.json"
    bad.write_text('{"utterances": [{"speaker": "customer", "start": 0, "end": 1, "text": "hi"}]}')
    with pytest.raises(Exception, match="bad.json: utterance 1 needs speaker"):
        find_calls([bad])
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "other.json").write_text('{"not": "a call"}')
    with pytest.raises(Exception, match="no labelled calls"):
        find_calls([tmp_path / "dir"])  # JSON that is not a call is skipped in directories
    with pytest.raises(Exception, match="no such file or directory"):
        find_calls([tmp_path / "missing"])


def test_eval_transcript_json_has_the_issue_shape(tmp_path, capsys):
    out = tmp_path / "scores.json"
    assert main(["eval", "--transcript", str(HERE / "calls"), "--json", str(out), "-q"]) == 0
    data = json.loads(out.read_text())
    assert set(data) == {"overall", "cues", "calls"}
    assert set(data["overall"]) == {"tp", "fp", "fn", "precision", "recall"}
    assert {"tp", "fp", "fn", "precision", "recall"} <= set(data["cues"]["reset"])
    assert all(set(c) == {"file", "fired", "missed", "false"} for c in data["calls"])
    required = sum(1 for c in find_calls([HERE / "calls"]) for w in c.expected if w.required)
    assert (data["overall"]["tp"], data["overall"]["fp"]) == (required, 0)
    table = capsys.readouterr().out
    assert "precision" in table and "overall" in table and "calls/minute" in table


def test_eval_bad_path_is_one_line(capsys, tmp_path):
    assert main(["eval", "--transcript", str(tmp_path / "nothing")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("livecue: ") and "Traceback" not in err


@pytest.mark.shared
@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/calls not present")
def test_dev_set_in_transcript_mode_is_clean(tmp_path):
    out = tmp_path / "dev.json"
    assert main(["eval", "--transcript", str(SHARED), "--json", str(out), "-q"]) == 0
    data = json.loads(out.read_text())
    assert data["overall"]["precision"] >= 0.9 and data["overall"]["recall"] >= 0.9
    engaged = [c for c in data["calls"] if any(k in c["file"] for k in ("d01", "d08", "t02", "t04", "t05"))]
    assert engaged and all(c["false"] == [] for c in engaged)
