"""Installing and configuring like a well-kept tool (issue 9).

Config discovery and precedence, ``replay -`` from a pipe, ``eval --json -``
and ``--fail-under``, deprecated flag spellings, ``profile init``, the user
rules directory that ``tune --write`` writes to, shell completion, and the
helpers CI uses to pin the lowest dependency versions.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, SAMPLE_CALL, run_cli

from livecue.cli import build_parser, main
from livecue.config import discover_config, load_settings, user_config_path
from livecue.errors import LivecueError, import_problem

CALLS = ROOT / "tests" / "calls"


@pytest.fixture
def config_home(tmp_path, monkeypatch):
    """A private user config directory (platformdirs reads XDG_CONFIG_HOME on every call)."""
    home = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    monkeypatch.delenv("LIVECUE_CONFIG", raising=False)
    return home


# --- config discovery ----------------------------------------------------------------------------


def test_config_precedence_flag_then_env_then_user_file(config_home, tmp_path, monkeypatch):
    assert discover_config(None) is None  # nothing anywhere: the defaults
    user = user_config_path()
    assert user == config_home / "livecue" / "config.toml"
    user.parent.mkdir(parents=True)
    user.write_text("[vad]\nmin_silence_ms = 500\n")
    assert discover_config(None) == user
    assert load_settings(discover_config(None)).vad.min_silence_ms == 500

    named = tmp_path / "named.toml"
    named.write_text("[vad]\nmin_silence_ms = 600\n")
    monkeypatch.setenv("LIVECUE_CONFIG", str(named))
    assert discover_config(None) == named

    flag = tmp_path / "flag.toml"
    flag.write_text("[vad]\nmin_silence_ms = 700\n")
    assert discover_config(flag) == flag
    assert load_settings(discover_config(flag)).vad.min_silence_ms == 700

    monkeypatch.setenv("LIVECUE_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(LivecueError, match=r"missing.toml: no such file \(named by LIVECUE_CONFIG\)"):
        discover_config(None)


def test_a_bad_value_in_the_discovered_config_is_reported_with_path_and_line(tmp_path):
    config = tmp_path / "xdg" / "livecue" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("# mine\n[vad]\nmin_silence_ms = \"long\"\n")
    result = run_cli("replay", str(SAMPLE_CALL), "--fast", "--json", "--no-log",
                     env={"XDG_CONFIG_HOME": str(tmp_path / "xdg")})
    assert result.returncode == 2
    assert result.stderr == f"livecue: {config}:3: 'min_silence_ms' must be an integer\n"
    assert result.stdout == ""


def test_livecue_config_is_read_and_config_flag_wins_over_it(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[asr]\nbeam_sise = 2\n")
    result = run_cli("replay", str(SAMPLE_CALL), "--fast", "--json", "--no-log", env={"LIVECUE_CONFIG": str(bad)})
    assert result.returncode == 2
    assert result.stderr == f"livecue: {bad}:2: unknown key 'beam_sise' (did you mean 'beam_size'?)\n"

    good = tmp_path / "good.toml"
    good.write_text("[asr]\nbeam_size = 1\n")
    # --config wins: the bad file is never read, and the command goes on to the next problem
    result = run_cli("replay", str(SAMPLE_CALL), "--fast", "--json", "--no-log", "--config", str(good),
                     "--model", str(tmp_path / "no-such-model"), env={"LIVECUE_CONFIG": str(bad)})
    assert result.returncode != 0 and "beam_sise" not in result.stderr and "no-such-model" in result.stderr


# --- pipes ----------------------------------------------------------------------------------------


def _events(stdout: str) -> list[dict]:
    events = [json.loads(line) for line in stdout.splitlines() if line.strip()]
    for event in events:
        event.pop("decode_s", None)  # wall-clock time of a decode: differs run to run
        if event["type"] == "started":
            event.pop("source")
    return events


@pytest.mark.slow
def test_replay_from_stdin_gives_the_same_events_as_the_file(tmp_path):
    from_file = run_cli("replay", str(SAMPLE_CALL), "--fast", "--json", "--no-log")
    assert from_file.returncode == 0, from_file.stderr
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), TMPDIR=str(tmp_path))
    env.pop("LIVECUE_CONFIG", None)
    with open(SAMPLE_CALL, "rb") as audio:
        piped = subprocess.run([sys.executable, "-m", "livecue", "replay", "-", "--fast", "--json", "--no-log"],
                               stdin=audio, capture_output=True, text=True, env=env, timeout=300, cwd=str(ROOT))
    assert piped.returncode == 0, piped.stderr
    file_events, pipe_events = _events(from_file.stdout), _events(piped.stdout)
    assert json.loads(piped.stdout.splitlines()[0])["source"] == "stdin"
    assert any(e["type"] == "cue" for e in file_events)
    assert pipe_events == file_events
    assert not list(tmp_path.glob("livecue-stdin-*"))  # the spooled copy of the call is gone


def test_replay_from_an_empty_or_bad_pipe_is_one_line(tmp_path):
    for data, message in ((b"", "stdin: empty file"), (b"not audio at all" * 10, "stdin: not a readable audio file")):
        proc = subprocess.run([sys.executable, "-m", "livecue", "replay", "-", "--fast", "--json", "--no-log"],
                              input=data, capture_output=True, env=dict(os.environ, PYTHONPATH=str(ROOT / "src")),
                              timeout=120, cwd=str(tmp_path))
        err = proc.stderr.decode()
        assert proc.returncode == 2 and err.startswith("livecue: " + message) and err.count("\n") == 1, err


def test_spooled_stdin_is_private(tmp_path, monkeypatch):
    import io

    from livecue.commands.replay import spool_stdin

    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    path = spool_stdin(io.BytesIO(b"RIFF...."))
    try:
        assert path.read_bytes() == b"RIFF...." and stat.S_IMODE(path.stat().st_mode) == 0o600
    finally:
        path.unlink()


def _label_with_a_wrong_window(tmp_path: Path) -> Path:
    calls = tmp_path / "calls"
    calls.mkdir()
    label = json.loads((CALLS / "x03_clipped_phone.json").read_text())
    label["expected"] = [dict(label["expected"][0], **{"from": 0.0, "anchor": 0.5, "to": 1.0})]
    (calls / "x03_clipped_phone.json").write_text(json.dumps(label))
    return calls


def test_eval_fail_under_exits_non_zero_below_the_threshold(tmp_path):
    good = run_cli("eval", str(CALLS), "--transcript", "--fail-under", "0.99")
    assert good.returncode == 0, good.stderr
    calls = _label_with_a_wrong_window(tmp_path)  # the reset fires outside its window: FP and FN
    plain = run_cli("eval", str(calls), "--transcript")
    assert plain.returncode == 0 and "overall" in plain.stdout
    below = run_cli("eval", str(calls), "--transcript", "--fail-under", "0.99")
    assert below.returncode == 1
    assert below.stderr.strip() == "livecue eval: precision 0.000 and recall 0.000 below --fail-under 0.99"
    assert run_cli("eval", str(calls), "--transcript", "--fail-under", "0").returncode == 0
    wrong = run_cli("eval", str(calls), "--transcript", "--fail-under", "90")
    assert wrong.returncode == 2 and "from 0 to 1" in wrong.stderr


def test_eval_json_dash_writes_the_scores_to_stdout(tmp_path):
    result = subprocess.run([sys.executable, "-m", "livecue", "eval", str(CALLS), "--transcript", "--json", "-"],
                            capture_output=True, text=True, cwd=str(tmp_path), timeout=120,
                            env=dict(os.environ, PYTHONPATH=str(ROOT / "src")))
    assert result.returncode == 0, result.stderr
    scores = json.loads(result.stdout)  # nothing but the JSON on stdout
    assert scores["overall"]["tp"] > 0 and set(scores) == {"overall", "cues", "calls"}
    assert "overall" in result.stderr  # the table moved to stderr
    assert not (tmp_path / "-").exists()


# --- one meaning per flag -------------------------------------------------------------------------


def test_device_is_the_compute_device_and_old_spellings_still_work(capsys):
    from livecue.commands.live import legacy_device

    parse = lambda *argv: build_parser(argv[0]).parse_args(list(argv))  # noqa: E731
    args = parse("live", "--input", "Scarlett", "--device", "cuda", "--rep-input", "1", "--prospect-input", "2")
    legacy_device(args)
    assert (args.input_device, args.device, args.rep_device, args.prospect_device) == ("Scarlett", "cuda", "1", "2")
    assert capsys.readouterr().err == ""

    args = parse("live", "--compute-device", "cpu", "--rep-device", "1", "--prospect-device", "2")
    assert (args.device, args.rep_device, args.prospect_device) == ("cpu", "1", "2")
    assert capsys.readouterr().err.splitlines() == [
        "livecue: --compute-device is deprecated; use --device",
        "livecue: --rep-device is deprecated; use --rep-input",
        "livecue: --prospect-device is deprecated; use --prospect-input"]

    args = parse("live", "--device", "Scarlett", "--rep-channel", "0")
    legacy_device(args)
    assert (args.input_device, args.device) == ("Scarlett", None)
    assert capsys.readouterr().err == "livecue: --device for the audio input is deprecated; use --input Scarlett\n"

    args = parse("live", "--device", "Scarlett", "--input", "Other")
    with pytest.raises(LivecueError, match="the audio input is --input"):
        legacy_device(args)

    for command in ("replay", "eval", "doctor"):
        with pytest.raises(SystemExit):
            parse(command, "--device", "Scarlett")
        assert "invalid choice: 'Scarlett'" in capsys.readouterr().err


def test_deprecated_spelling_on_the_command_line_is_one_note_and_still_works(tmp_path):
    result = run_cli("live", "--rep-device", "0", "--prospect-device", "1", "--duration", "0")
    assert result.returncode == 2
    assert result.stderr.splitlines() == ["livecue: --rep-device is deprecated; use --rep-input",
                                          "livecue: --prospect-device is deprecated; use --prospect-input",
                                          "livecue: --duration must be a positive number of seconds"]
    help_text = run_cli("live", "--help").stdout
    assert "--rep-input" in help_text and "--rep-device" not in help_text and "--compute-device" not in help_text


def test_every_command_help_has_examples():
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    known = ["replay", "live", "devices", "doctor", "eval", "tune", "rules", "report", "sessions", "profile",
             "completion"]  # a command added later gets its examples in commands/examples.py
    for name in known:
        command = sub.choices[name]
        assert command.epilog and "examples:" in command.epilog, name
        assert f"livecue {name}" in command.epilog, name
    assert "exit codes:" in parser.epilog and "LIVECUE_CONFIG" in parser.epilog


# --- profile init, user rules, tune --write --------------------------------------------------------


def test_profile_init_writes_a_private_starter_and_never_overwrites(config_home, capsys):
    from livecue.cues.profile import default_profile_path, load_profile

    assert main(["profile", "init"]) == 0
    path = default_profile_path()
    assert path == config_home / "livecue" / "profile.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_profile(None).hot_buttons  # the starter is a valid profile, read by default
    path.write_text('name = "Mine"\n')
    assert main(["profile", "init"]) == 2
    assert "already exists" in capsys.readouterr().err and path.read_text() == 'name = "Mine"\n'
    path.chmod(0o644)
    assert main(["profile", "init", "--force"]) == 0
    assert "hot_buttons" in path.read_text() and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert main(["profile", "path"]) == 0
    assert str(path) in capsys.readouterr().out


def test_user_rules_shadow_the_shipped_file_of_the_same_name(config_home):
    from livecue.cues.rules import default_rule_dirs, load_rule_dir, shipped_rules_dir, user_rules_dir

    shipped = load_rule_dir(default_rule_dirs())
    assert not shipped.problems and not user_rules_dir().exists()
    user_rules_dir().mkdir(parents=True)
    text = (shipped_rules_dir() / "reset.toml").read_text()
    (user_rules_dir() / "reset.toml").write_text(text.replace('title = "Reset"', 'title = "Mine: Reset"', 1))
    layered = load_rule_dir(default_rule_dirs())
    assert not layered.problems
    assert [c.rule.id for c in layered.ruleset.rules] == [c.rule.id for c in shipped.ruleset.rules]
    reset = layered.ruleset.get("reset").rule
    assert Path(reset.file) == user_rules_dir() / "reset.toml" and reset.title == "Mine: Reset"


def test_tune_write_without_rules_writes_the_user_rules_directory(config_home, capsys):
    from livecue.cues.rules import load_rule_dir, load_rule_file, shipped_rules_dir, default_rule_dirs, user_rules_dir

    before = (shipped_rules_dir() / "reset.toml").read_text()
    calls = _clipped_call(config_home.parent)
    assert main(["tune", str(calls), "--set", "reset.min_streak=2,3,4", "--write"]) == 0
    out = capsys.readouterr().out
    written = user_rules_dir() / "reset.toml"
    assert f"wrote {written}" in out
    assert (shipped_rules_dir() / "reset.toml").read_text() == before  # the installed rules are untouched
    assert load_rule_file(written)[0].trigger("clipped").min_streak == 2
    assert load_rule_dir(default_rule_dirs()).ruleset.get("reset").rule.file == str(written)
    # the next sweep starts from the user's copy: nothing left to change
    assert main(["tune", str(calls), "--set", "reset.min_streak=2,3,4", "--write"]) == 0
    assert "nothing written" in capsys.readouterr().out


def _clipped_call(tmp_path: Path) -> Path:
    calls = tmp_path / "calls"
    calls.mkdir()
    utterances = [("rep", 0.5, 2.5, "How do you schedule crews?"), ("prospect", 3.5, 4.0, "Whiteboard."),
                  ("rep", 4.5, 6.5, "How many crews?"), ("prospect", 7.5, 8.0, "Six.")]
    label = {"version": 1, "audio": "c.wav", "channels": {"rep": 0, "prospect": 1}, "duration": 17.0,
             "utterances": [{"speaker": s, "start": a, "end": b, "text": t} for s, a, b, t in utterances],
             "expected": [{"cue": "reset", "from": 7.5, "anchor": 8.0, "to": 20.0, "required": True}]}
    (calls / "c.json").write_text(json.dumps(label))
    return calls


# --- completion, packaging helpers ------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_completion_completes_commands_options_and_choices(tmp_path):
    script = run_cli("completion", "bash")
    assert script.returncode == 0, script.stderr
    (tmp_path / "livecue.bash").write_text(script.stdout)
    probe = (f"source {tmp_path / 'livecue.bash'}\n"
             "t() { COMP_WORDS=(\"$@\"); COMP_CWORD=$(( $# - 1 )); COMPREPLY=(); _livecue; echo \"${COMPREPLY[*]}\"; }\n"
             "t livecue rep\nt livecue replay --fa\nt livecue replay --device c\nt livecue rules ''\n"
             "t livecue live --rep-in\n")
    done = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, cwd=str(tmp_path), timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["replay report", "--fast", "cpu cuda", "check test rejudge", "--rep-input"]
    zsh = run_cli("completion", "zsh").stdout
    assert "bashcompinit" in zsh and "complete -o filenames" in zsh


def test_import_problems_say_what_failed():
    missing = ModuleNotFoundError("No module named 'faster_whisper'", name="faster_whisper")
    assert import_problem("faster_whisper", "faster-whisper", missing) == \
        "faster-whisper is not installed: pip install faster-whisper"
    inner = ModuleNotFoundError("No module named 'ctranslate2'", name="ctranslate2")
    message = import_problem("faster_whisper", "faster-whisper", inner)
    assert "installed but cannot be imported" in message and "ctranslate2" in message


def test_lowest_pins_come_from_pyproject():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        from lowest_pins import lowest_pin, pins
    finally:
        sys.path.pop(0)
    assert lowest_pin("faster-whisper>=1.2.1,<2") == "faster-whisper==1.2.1"
    assert lowest_pin("tomli>=2; python_version < '3.11'") == "tomli==2; python_version < '3.11'"
    assert lowest_pin("tqdm") is None
    pinned = pins(ROOT / "pyproject.toml", [])
    names = {p.split("==")[0] for p in pinned}
    assert {"faster-whisper", "textual", "numpy", "rich", "av", "onnxruntime", "ctranslate2"} <= names
    assert "faster-whisper==1.2.1" in pinned and "textual==6.2.0" in pinned


def test_wer_uses_the_maintained_scorer_when_the_bench_extra_is_there():
    from livecue import wer as wer_module

    pytest.importorskip("jiwer")
    pytest.importorskip("whisper_normalizer")
    assert wer_module.scorer() == "jiwer + Whisper's English normaliser"
    assert wer_module.wer("On the 21st, the colour was grey.", "on the 21st the color was gray") == (0, 7)
    assert wer_module.wer("twenty-one apples", "21 apples")[0] == 0
    assert wer_module.wer("a b c d", "a x c") == (2, 4)


def test_wer_fallback_says_it_is_not_comparable(monkeypatch, capsys):
    from livecue import wer as wer_module

    monkeypatch.setattr(wer_module, "_maintained", lambda: None)
    assert "NOT comparable" in wer_module.scorer()
    wer_module.warn_if_fallback()
    assert "pip install 'livecue[bench]'" in capsys.readouterr().err
    assert wer_module.wer("a b c d", "a x c") == (2, 4)


def test_call_progress_follows_call_time_and_prints_lines_above_the_bar():
    import io

    from rich.console import Console

    from livecue.commands.progress import CallProgress, ConsoleWriter
    from livecue.events import Notice

    progress = CallProgress(60.0)
    try:
        for t in (1.0, 30.0, 20.0, 90.0):  # never backwards, never past the end
            progress.handle(Notice(t, "info", "x"))
        task = progress.progress.tasks[0]
        assert task.completed == 60.0 and task.fields["where"] == "01:00 / 01:00"
    finally:
        progress.close()
        progress.close()  # idempotent: the pipeline and run_session may both close it

    out = io.StringIO()
    writer = ConsoleWriter(Console(file=out, width=80, color_system=None))
    writer.write("[00:01.0] REP: hello\n[00:02")
    writer.write(".0] PROSPECT: hi\n")
    writer.flush()
    assert out.getvalue() == "[00:01.0] REP: hello\n[00:02.0] PROSPECT: hi\n"
