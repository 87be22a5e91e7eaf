"""The cue stage as the pipeline sees it: build, signals, hot reload."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from cue_events import Feeder, utterance

from livecue.clock import ManualClock
from livecue.config import ProblemsError
from livecue.cues.stage import build_cue_stage
from livecue.errors import LivecueError
from livecue.events import Level, Notice, SessionStarted, Signals

RULES = Path(__file__).resolve().parents[1] / "cue_rules"
EXAMPLE_PROFILE = Path(__file__).resolve().parents[1] / "src" / "livecue" / "data" / "profile.example.toml"


@pytest.fixture
def no_user_profile(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path / "config" / "livecue" / "profile.toml"


def start(rules_dir=None, profile=None) -> Feeder:
    clock = ManualClock()
    f = Feeder(build_cue_stage(rules_dir, profile, clock), clock)
    f.feed(SessionStarted(0.0))
    return f


def exit_call(f: Feeder, t: float) -> None:
    f.feed(*utterance("rep", t, t + 2.0, "Do you have a minute?"))
    f.feed(*utterance("prospect", t + 2.5, t + 4.0, "I have to go, sorry."))


def test_defaults_use_shipped_rules_and_the_user_profile(no_user_profile):
    f = start()
    exit_call(f, 0.5)
    assert "the three problems you solve best" in " ".join(f.cues()[0].script)
    no_user_profile.parent.mkdir(parents=True)
    shutil.copy(EXAMPLE_PROFILE, no_user_profile)
    f = start()
    exit_call(f, 0.5)
    assert "rent that comes in late" in " ".join(f.cues()[0].script)


def test_bad_inputs_are_one_line_errors(tmp_path, no_user_profile):
    with pytest.raises(LivecueError, match="no such rules directory"):
        build_cue_stage(tmp_path / "missing", None, ManualClock())
    bad = tmp_path / "p.toml"
    bad.write_text('name = "Ana"\nhot_button = ["x"]\n')
    with pytest.raises(ProblemsError, match=r"p.toml:2: unknown key 'hot_button' \(did you mean 'hot_buttons'\?\)"):
        build_cue_stage(None, bad, ManualClock())


def test_a_broken_user_profile_is_a_notice_not_a_crash(no_user_profile):
    no_user_profile.parent.mkdir(parents=True)
    no_user_profile.write_text("name = \n")
    f = start()
    assert any(isinstance(e, Notice) and "profile" in e.message for e in f.out)


def test_signals_are_throttled_and_carry_the_meter_thresholds(no_user_profile):
    f = start()
    for i in range(100):  # 10 s of level events, 10 per second
        f.feed(Level(i * 0.1, "rep", -20.0, True))
    f.feed(*utterance("rep", 0.0, 10.0, "word " * 30))
    signals = [e for e in f.out if isinstance(e, Signals)]
    assert 1 <= len(signals) <= 4 * 10 + 1
    times = [s.t for s in signals]
    assert all(b - a >= 0.25 - 1e-9 for a, b in zip(times, times[1:]))
    assert signals[-1].monologue_warn_s == 19.0  # the reset rule's silent-pitch threshold
    assert signals[-1].monologue_alert_s == 75.0  # the reset rule's long-monologue threshold


def copy_rules(tmp_path: Path) -> Path:
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    return rules


def touch_later(path: Path, text: str) -> None:
    before = path.stat().st_mtime_ns
    path.write_text(text)
    os.utime(path, ns=(before + 2_000_000_000, before + 2_000_000_000))


def test_hot_reload_keeps_the_old_rules_on_a_broken_edit(tmp_path, no_user_profile):
    rules = copy_rules(tmp_path)
    f = start(rules)
    plant = rules / "plant_seed.toml"
    good = plant.read_text()
    touch_later(plant, good.replace("cooldown_s = 60", "cooldown_s = 60\nlisen = \"rep\""))
    exit_call(f, 2.0)  # the clock passes the 1 s check interval while this is fed
    notices = [e for e in f.out if isinstance(e, Notice)]
    assert notices and notices[-1].level == "error"
    assert f"{plant}:" in notices[-1].message and "did you mean 'listen'" in notices[-1].message
    assert [c.cue for c in f.cues()] == ["plant_seed"]  # the previous plant_seed rule still works

    touch_later(plant, good.replace("why = \"They want to wrap up", "why = \"Edited: wrap up"))
    exit_call(f, 100.0)
    assert [e.message for e in f.out if isinstance(e, Notice)][-1].startswith("cue rules reloaded")
    assert f.cues()[-1].why.startswith("Edited: wrap up")


def test_hot_reload_survives_a_syntax_error_and_a_deleted_file(tmp_path, no_user_profile):
    rules = copy_rules(tmp_path)
    f = start(rules)
    touch_later(rules / "plant_seed.toml", "id = \"plant_seed\"\ntitle = [\n")
    (rules / "weak_ending.toml").unlink()
    exit_call(f, 2.0)
    messages = [e.message for e in f.out if isinstance(e, Notice)]
    assert any("plant_seed.toml:2" in m or "plant_seed.toml:3" in m for m in messages)
    assert [c.cue for c in f.cues()] == ["plant_seed"]
    assert "weak_ending" not in f.stage.ruleset.ids


def test_checks_files_at_most_once_per_second_of_clock_time(tmp_path, no_user_profile, monkeypatch):
    rules = copy_rules(tmp_path)
    f = start(rules)
    calls = []
    import livecue.cues.stage as stage_module
    real = stage_module.snapshot
    monkeypatch.setattr(stage_module, "snapshot", lambda d: calls.append(1) or real(d))
    for i in range(50):
        f.feed(Level(i * 0.1, "rep", -30.0, False))
    assert 4 <= len(calls) <= 5


def test_broken_rules_at_start_are_left_out_with_a_notice(tmp_path, no_user_profile):
    rules = copy_rules(tmp_path)
    (rules / "reset.toml").write_text("id = \"reset\"\nnonsense = 1\n")
    f = start(rules)
    assert "reset" not in f.stage.ruleset.ids and "plant_seed" in f.stage.ruleset.ids
    assert any(isinstance(e, Notice) and "reset.toml" in e.message for e in f.out)


def test_cue_engine_and_its_commands_import_no_heavy_dependency():
    import subprocess
    import sys

    modules = ["livecue.cues.stage", "livecue.cues.transcript", "livecue.tuning.evaluate", "livecue.tuning.sweep",
               "livecue.commands.eval", "livecue.commands.tune", "livecue.commands.rules"]
    heavy = ["textual", "sounddevice", "onnxruntime", "faster_whisper", "ctranslate2", "numpy"]
    code = f"import sys\nfor m in {modules!r}: __import__(m)\nprint([m for m in {heavy!r} if m in sys.modules])"
    src = Path(__file__).resolve().parents[1] / "src"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"PYTHONPATH": str(src)}, check=True)
    assert out.stdout.strip() == "[]"
