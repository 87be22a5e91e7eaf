"""Every numeric setting has a range, checked at load with file:line (issue 10, item 10)."""

import dataclasses

import pytest

from livecue.config import ProblemsError, Settings, load_settings, sections

from conftest import run_cli, SAMPLE_CALL

SECTIONS = sections()  # every section of the settings file: vad, asr, capture, signals, overlay, ...


def test_every_numeric_setting_has_a_range_that_holds_its_default():
    for name, cls in SECTIONS.items():
        defaults = cls()
        for f in dataclasses.fields(cls):
            if f.type in ("int", "float"):
                assert f.name in cls.RANGES, f"[{name}] {f.name} has no range"
                lo, hi = cls.RANGES[f.name]
                assert lo <= getattr(defaults, f.name) <= hi, f.name
        for low, high in cls.ORDER:
            assert getattr(defaults, low) <= getattr(defaults, high)


@pytest.mark.parametrize("section, line, message", [
    ("vad", "threshold = 7.5", "'threshold' must be between 0.01 and 0.99 (got 7.5)"),
    ("vad", "min_silence_ms = -100", "'min_silence_ms' must be between 50 and 10000 (got -100)"),
    ("asr", "beam_size = 0", "'beam_size' must be between 1 and 20 (got 0)"),
    ("asr", "threads = -3", "'threads' must be between 0 and 1024 (got -3)"),
    ("asr", "max_buffer_s = nan", "'max_buffer_s' must be between 2 and 30 (got nan)"),
    ("capture", "max_backlog_s = inf", "'max_backlog_s' must be between 1 and 600 (got inf)"),
    ("vad", "neg_threshold = 0.8", "'neg_threshold' (0.8) must not be more than 'threshold' (0.5)"),
    ("asr", 'device = "gpu"', "'device' must be one of cpu, cuda, auto (got 'gpu') (did you mean 'cpu'?)"),
])
def test_out_of_range_values_are_file_line_problems(tmp_path, section, line, message):
    path = tmp_path / "c.toml"
    path.write_text(f"# settings\n[{section}]\n{line}\n")
    with pytest.raises(ProblemsError) as err:
        load_settings(path)
    assert str(err.value) == f"{path}:3: {message}"


def test_all_range_problems_are_reported_at_once(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("[vad]\nthreshold = 7.5\nmin_silence_ms = -100\n[asr]\nbeam_size = 0\n")
    with pytest.raises(ProblemsError) as err:
        load_settings(path)
    assert len(err.value.problems) == 3


def test_a_silently_empty_session_is_now_an_error_before_the_model_loads(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("[vad]\nthreshold = 7.5\n")
    result = run_cli("replay", str(SAMPLE_CALL), "--fast", "--json", "--no-log", "--config", str(path), timeout=60)
    assert result.returncode == 2
    assert result.stderr == f"livecue: {path}:2: 'threshold' must be between 0.01 and 0.99 (got 7.5)\n"
    assert result.stdout == ""


def test_good_values_still_load(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("[vad]\nmin_silence_ms = 500\n[asr]\nbeam_size = 2\nthreads = 0\n")
    settings = load_settings(path)
    assert settings.vad.min_silence_ms == 500 and settings.asr.beam_size == 2
    assert settings.capture == Settings().capture


def test_the_settings_doc_lists_every_range():
    """docs/settings.md (generated; docs/reliability.md links to it) is what users read: it names every ranged
    setting, in its section's table."""
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[1] / "docs" / "settings.md").read_text(encoding="utf-8")
    rows: dict[str, str] = {}
    section = ""
    for line in doc.splitlines():
        if line.startswith("## `["):
            section = line.removeprefix("## ").strip()
        elif line.startswith("| `") and section:
            rows[section] = rows.get(section, "") + line + "\n"
    for name, cls in SECTIONS.items():
        for key in cls.RANGES:
            assert f"`{key}`" in rows[f"`[{name}]`"], f"[{name}] {key} is missing from docs/settings.md"
