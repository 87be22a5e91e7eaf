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


def test_a_reload_is_a_job_the_stage_hands_out_once_and_keeps_its_rules_until_it_is_applied(tmp_path,
                                                                                           no_user_profile):
    """Driven by hand, as the pipeline drives it: the edit is noticed in feed, handed out as one job,
    and the old rules fire cards until the result comes back; an edit made meanwhile is the next job."""
    from livecue.clock import ManualClock
    from livecue.cues.stage import SLOW_RELOAD_S, CueStage
    from livecue.cues.profile import Profile
    from livecue.cues.rules import load_rule_dir

    rules = copy_rules(tmp_path)
    clock = ManualClock()
    stage = CueStage(load_rule_dir(rules), Profile(), clock, rules)
    plant = rules / "plant_seed.toml"
    good = plant.read_text()
    touch_later(plant, good.replace('why = "They want to wrap up', 'why = "First edit: wrap up', 1))
    f = Feeder(stage, clock)
    f.stage = _NoInline(stage)  # the test takes the job itself
    f.feed(SessionStarted(0.0))
    exit_call(f, 2.0)
    job = stage.next_job()
    assert job is not None and stage.next_job() is None  # one job at a time
    exit_call(f, 70.0)  # the job is out: the rules in force still fire, with their text
    assert [c.cue for c in f.cues()] == ["plant_seed", "plant_seed"]
    assert not any(c.why.startswith("First edit") for c in f.cues())
    told = [e for e in f.out if isinstance(e, Notice)]  # once, with the first event SLOW_RELOAD_S after
    assert [(e.t, e.message[:41]) for e in told] == [(70.0, "cue rules changed: still loading the edit")]
    assert job.wall_s + SLOW_RELOAD_S <= 70.0  # a ManualClock's wall reading is its time
    result = stage.run_job(job)
    touch_later(plant, good.replace('why = "They want to wrap up', 'why = "Second edit: wrap up', 1))
    clock.set(140.0)
    (applied,) = stage.apply_job(job, result)
    assert applied.message.startswith("cue rules reloaded (") and "loaded in 13" in applied.message
    exit_call(f, 140.0)  # the first edit is in; the second is noticed now and handed out next
    assert f.cues()[-1].why.startswith("First edit: wrap up")
    second = stage.next_job()
    assert second is not None and second is not job
    stage.apply_job(second, stage.run_job(second))
    exit_call(f, 210.0)
    assert f.cues()[-1].why.startswith("Second edit: wrap up")


def test_a_reload_still_out_when_the_call_ends_is_dropped_with_a_notice(tmp_path, no_user_profile):
    from livecue.clock import ManualClock
    from livecue.cues.profile import Profile
    from livecue.cues.rules import load_rule_dir
    from livecue.cues.stage import CueStage

    rules = copy_rules(tmp_path)
    clock = ManualClock()
    stage = CueStage(load_rule_dir(rules), Profile(), clock, rules)
    touch_later(rules / "plant_seed.toml", (rules / "plant_seed.toml").read_text().replace(
        'why = "They want to wrap up', 'why = "Edited: wrap up', 1))
    clock.set(2.0)
    stage.feed(SessionStarted(0.0))
    stage.feed(Level(2.0, "rep", -30.0, False))
    job = stage.next_job()
    closing = [e.message for e in stage.close(3.0) if isinstance(e, Notice)]
    assert closing == ["a cue rule edit was still loading when the call ended; this call used the previous rules"]
    assert stage.apply_job(job, stage.run_job(job)) == []  # too late: nothing changes, nothing is said
    assert not any(ct.trigger.why.startswith("Edited") for ct in stage.ruleset.get("plant_seed").triggers.values())


class _NoInline:
    """The stage as Feeder sees it, without jobs (Feeder runs a stage's jobs at once otherwise)."""

    def __init__(self, stage) -> None:
        self._stage = stage
        self.capabilities = type(stage.capabilities)()

    def feed(self, event):
        return self._stage.feed(event)


def test_a_session_with_no_edit_reloads_nothing_even_where_a_user_file_shadows_a_shipped_one(tmp_path,
                                                                                           no_user_profile):
    """The files a load records are the files the stage watches: a shadowed shipped rule file and the
    utterance files included, or every such session reloads once a second in for nothing."""
    from livecue.clock import ManualClock
    from livecue.cues.profile import Profile
    from livecue.cues.rules import load_rule_dir
    from livecue.cues.stage import CueStage

    shipped = copy_rules(tmp_path)
    user = tmp_path / "user"
    user.mkdir()
    (user / "plant_seed.toml").write_text((shipped / "plant_seed.toml").read_text().replace(
        'why = "They want to wrap up', 'why = "Mine: wrap up', 1))
    layers = (shipped, user)
    clock = ManualClock()
    f = Feeder(CueStage(load_rule_dir(layers), Profile(), clock, layers), clock)
    f.feed(SessionStarted(0.0))
    exit_call(f, 2.0)
    assert [e for e in f.out if isinstance(e, Notice)] == []
    assert f.cues()[-1].why.startswith("Mine: wrap up")
