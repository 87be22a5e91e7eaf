"""One settings tree: every section is reachable from the settings file, reaches its stage, and is in the
generated docs/settings.md (issue 13)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from livecue.clock import ManualClock
from livecue.config import (
    AgreementSettings, DetectorSettings, ProblemsError, Settings, SignalSettings, load_settings, sections,
    settings_table, unit_of,
)
from livecue.events import Word

from conftest import ROOT, run_cli

DOC = ROOT / "docs" / "settings.md"
FIXTURE = Path(__file__).parent / "fixtures" / "session_d04.jsonl"


def test_the_committed_settings_doc_is_the_generated_one():
    assert DOC.read_text(encoding="utf-8") == settings_table(), "run: python scripts/settings_doc.py"
    check = subprocess.run([sys.executable, str(ROOT / "scripts" / "settings_doc.py"), "--check"],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def test_the_doc_names_every_key_with_its_unit_default_and_range():
    doc = DOC.read_text(encoding="utf-8")
    for name, cls in sections().items():
        assert f"## `[{name}]`" in doc
        part = doc.split(f"## `[{name}]`", 1)[1].split("\n## ", 1)[0]
        for f in dataclasses.fields(cls):
            row = next(line for line in part.splitlines() if line.startswith(f"| `{f.name}` |"))
            cells = [c.strip() for c in row.split("|")[1:-1]]
            assert cells[2] == unit_of(f.name)
            if f.name in cls.RANGES:
                lo, hi = cls.RANGES[f.name]
                assert cells[4].startswith(f"{lo:g} – {hi:g}"), row


def test_units_come_from_the_names():
    assert [unit_of(k) for k in ("min_silence_ms", "window_s", "loud_db", "max_redraws_per_s", "threshold")] == [
        "ms", "s", "dB", "per s", ""]


def test_every_section_can_be_set_from_the_settings_file(tmp_path):
    """One non-default, in-range value per section: each loads, and only it changes."""
    lines = []
    expected = {}
    for name, cls in sections().items():
        key = next(k for k in cls.RANGES)
        lo, hi = cls.RANGES[key]
        default = getattr(cls(), key)
        value = hi if default != hi else lo
        value = int(value) if isinstance(default, int) else float(value)
        lines += [f"[{name}]", f"{key} = {value!r}"]
        expected[(name, key)] = value
    path = tmp_path / "c.toml"
    path.write_text("\n".join(lines) + "\n")
    settings = load_settings(path)
    for (name, key), value in expected.items():
        section = getattr(settings, name)
        assert getattr(section, key) == value
        assert dataclasses.replace(section, **{key: getattr(type(section)(), key)}) == type(section)()


@pytest.mark.parametrize("text, message", [
    ("[signals]\nwindow_s = 1.0\n", "c.toml:2: 'window_s' must be between 5 and 3600 (got 1)"),
    ("[overlya]\nsnooze_s = 3\n", "c.toml:1: unknown key 'overlya' (did you mean 'overlay'?)"),
    ("[cues]\ntick_intervall_s = 1\n", "c.toml:2: unknown key 'tick_intervall_s' (did you mean 'tick_interval_s'?)"),
    ("[overlay]\nlag_warn_s = 9.0\n", "c.toml:2: 'lag_warn_s' (9) must not be more than 'lag_alert_s' (5)"),
    ("[subtitles]\nmax_chars = 40.5\n", "c.toml:2: 'max_chars' must be an integer"),
])
def test_new_sections_report_problems_like_the_old_ones(tmp_path, text, message):
    path = tmp_path / "c.toml"
    path.write_text(text)
    with pytest.raises(ProblemsError) as err:
        load_settings(path)
    assert str(err.value) == f"{tmp_path}/{message}"


def test_signals_and_cues_sections_reach_the_cue_stage():
    from livecue.cues.stage import build_cue_stage

    cues = DetectorSettings(tick_interval_s=1.0, recent_segments=5, signals_per_s=2.0, reload_interval_s=3.0)
    settings = Settings(signals=SignalSettings(window_s=60.0), cues=cues)
    stage = build_cue_stage(None, None, ManualClock(), watch=False, settings=settings)
    assert stage.tracker.s.window_s == 60.0
    assert stage.detector.tick_interval_s == 1.0 and stage.detector.s.recent_segments == 5
    assert stage.signal_interval_s == 0.5 and stage.reload_interval_s == 3.0
    default = build_cue_stage(None, None, ManualClock(), watch=False)
    assert default.tracker.s == SignalSettings() and default.detector.s == DetectorSettings()


def test_the_agreement_section_reaches_the_hypothesis_buffers():
    from fakes import EnergyVoice, ScriptedEngine

    from livecue.asr.streaming import StreamingTranscriber
    from livecue.config import AsrSettings, VadSettings

    agreement = AgreementSettings(max_ngram=2, boundary_gap_s=0.5)
    tr = StreamingTranscriber(ScriptedEngine([]), ("rep",), AsrSettings(), VadSettings(), ManualClock(),
                              EnergyVoice, agreement=agreement)
    assert tr.channels["rep"].agreement is agreement


def test_agreement_settings_change_what_is_deduplicated():
    from livecue.asr.agreement import HypothesisBuffer

    def repeat_after_gap(settings):
        b = HypothesisBuffer(settings=settings)
        b.insert([Word("hello", 0.0, 0.5)])
        b.commit_all()
        b.insert([Word("hello", 1.2, 1.6), Word("there", 1.6, 2.0)])
        return [w.word for w in b.new]

    assert repeat_after_gap(AgreementSettings()) == ["there"]  # 0.7 s after the tail: a repeat, dropped
    assert repeat_after_gap(AgreementSettings(boundary_gap_s=0.5)) == ["hello", "there"]


def test_the_log_section_reaches_the_session_log(tmp_path):
    from datetime import datetime

    from livecue.options import ModelOptions, SessionOptions
    from livecue.session.log import open_session_log

    config = tmp_path / "c.toml"
    config.write_text("[log]\nsignals_interval_s = 3.0\n")
    options = SessionOptions(command="replay", model=ModelOptions(config=config), log=tmp_path / "s.jsonl")
    log = open_session_log(options, datetime.now().astimezone())
    try:
        assert log.log_settings.signals_interval_s == 3.0
    finally:
        log.close()


def test_the_subtitles_section_reaches_livecue_report(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text("[subtitles]\nmax_chars = 20\n")
    plain = run_cli("report", str(FIXTURE), "--srt", "-", timeout=60)
    short = run_cli("report", str(FIXTURE), "--srt", "-", env={"LIVECUE_CONFIG": str(config)}, timeout=60)
    assert plain.returncode == 0 and short.returncode == 0, plain.stderr + short.stderr
    assert short.stdout.count(" --> ") > plain.stdout.count(" --> ")
