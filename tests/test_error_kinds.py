"""scripts/error_kinds.py: every error is counted once, under the kind it is."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from livecue.tuning.evaluate import match_call
from livecue.tuning.labels import LabelledCall, Window

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("error_kinds", ROOT / "scripts" / "error_kinds.py")
error_kinds = importlib.util.module_from_spec(spec)
spec.loader.exec_module(error_kinds)


def _call(*windows: Window) -> LabelledCall:
    return LabelledCall(Path("x.json"), Path("x.flac"), {}, "x", 60.0, (), windows)


def _kinds(call: LabelledCall, fired: list[tuple[str, float]]):
    result = match_call("x.json", fired, call.expected)
    found = error_kinds.kinds(call, fired, result)
    missed = sum(n for k, n in found.items() if k.startswith("missed "))
    false = sum(n for k, n in found.items() if k.startswith("false "))
    assert (missed, false) == (len(result.missed), len(result.false))  # each error once
    return found


def test_a_second_no_read_as_a_first():
    # the first no missed; second_effort fires on the second no, in plant_seed's window
    call = _call(Window("second_effort", 10.0, 12.0, 25.0), Window("plant_seed", 28.0, 35.0, 45.0))
    found = _kinds(call, [("second_effort", 36.0)])
    assert found == {"missed second_effort: the same cue fired late": 1,
                     "missed plant_seed: second_effort fired in its window": 1,
                     "false second_effort: the pair of an early or late one": 1,
                     "calls: second no read as first": 1}


def test_nothing_in_the_window_and_a_false_cue_elsewhere():
    call = _call(Window("reset", 10.0, 12.0, 25.0), Window("decision_maker", 30.0, 32.0, 40.0))
    found = _kinds(call, [("weak_ending", 5.0), ("second_effort", 31.0), ("decision_maker", 33.0)])
    assert found == {"missed reset: nothing fired in its window": 1,
                     "false weak_ending: in no window": 1,
                     "false second_effort: in a decision_maker window": 1}


def test_an_early_cue_pairs_with_the_nearest_window_of_its_own():
    call = _call(Window("reset", 20.0, 22.0, 30.0))
    found = _kinds(call, [("reset", 8.0)])
    assert found == {"missed reset: the same cue fired early": 1,
                     "false reset: the pair of an early or late one": 1}


def test_by_trigger_names_the_trigger_behind_each_false_cue_and_hit():
    # the why line of each card says which trigger wrote it: matched by its template, not printed
    from livecue.cues.rules import load_rule_dir

    whys = error_kinds.why_triggers(load_rule_dir(ROOT / "cue_rules"))
    assert error_kinds.via(whys, "reset", 'Lukewarm: "it is fine I guess" (sounds like "meh")') == "sounds_lukewarm"
    assert error_kinds.via(whys, "reset", "3 answers in a row of 4 words or fewer") == "clipped"
    assert error_kinds.via(whys, "reset", "a line no template writes") == "another"
    call = _call(Window("reset", 10.0, 12.0, 25.0))
    fired = [("reset", 13.0), ("reset", 40.0)]
    result = match_call("x.json", fired, call.expected)
    found = error_kinds.kinds(call, fired, result, {("reset", 13.0): "clipped", ("reset", 40.0): "sounds_lukewarm"})
    assert found == {"hit reset (via clipped)": 1, "false reset: in no window (via sounds_lukewarm)": 1}
