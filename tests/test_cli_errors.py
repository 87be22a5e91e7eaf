"""Bad input: one line on stderr, a non-zero exit, never a traceback or a hang."""

import json
import os
import stat

import numpy as np
import pytest

from conftest import ROOT, SAMPLE_CALL, run_cli, write_wav


def assert_one_line_error(result, fragment):
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [l for l in result.stderr.splitlines() if l.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("livecue: ")
    assert fragment in lines[0]


def test_missing_file(tmp_path):
    assert_one_line_error(run_cli("replay", str(tmp_path / "nope.wav"), "--plain"), "no such file")


def test_empty_file(tmp_path):
    (tmp_path / "e.wav").write_bytes(b"")
    assert_one_line_error(run_cli("replay", str(tmp_path / "e.wav"), "--plain"), "empty file")


def test_corrupt_file(tmp_path):
    (tmp_path / "c.wav").write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt " + os.urandom(3000))
    assert_one_line_error(run_cli("replay", str(tmp_path / "c.wav"), "--plain"), "c.wav")


def test_unsupported_file(tmp_path):
    (tmp_path / "notes.pdf").write_bytes(b"%PDF-1.4\n" + b"x" * 2000)
    assert_one_line_error(run_cli("replay", str(tmp_path / "notes.pdf"), "--plain"), "notes.pdf")


def test_channel_the_file_does_not_have(tmp_path):
    path = write_wav(tmp_path / "s.wav", np.zeros((2, 16000)))
    assert_one_line_error(run_cli("replay", str(path), "--rep-channel", "4", "--plain"), "out of range")


def test_unknown_model_name():
    assert_one_line_error(run_cli("replay", str(SAMPLE_CALL), "--model", "no-such-model", "--plain"),
                          "unknown model")


def test_size_name_offline_says_how_to_place_a_model(tmp_path):
    # an empty cache and no hub access: the download cannot happen
    env = {"HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf"), "LIVECUE_MODELS": str(tmp_path / "models")}
    result = run_cli("replay", str(SAMPLE_CALL), "--model", "base.en", "--plain", env=env, timeout=120)
    assert_one_line_error(result, "models/")


def test_model_directory_without_a_model(tmp_path):
    (tmp_path / "m").mkdir()
    assert_one_line_error(run_cli("replay", str(SAMPLE_CALL), "--model", str(tmp_path / "m"), "--plain"),
                          "no CTranslate2 model")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_model_directory(tmp_path):
    d = tmp_path / "m"
    d.mkdir()
    (d / "model.bin").write_bytes(b"x")
    d.chmod(0)
    try:
        assert_one_line_error(run_cli("replay", str(SAMPLE_CALL), "--model", str(d), "--plain"), "not readable")
    finally:
        d.chmod(stat.S_IRWXU)


def test_corrupt_model_file(tmp_path):
    d = tmp_path / "m"
    d.mkdir()
    for name in ("model.bin", "config.json", "vocabulary.txt", "tokenizer.json"):
        (d / name).write_bytes(b"not a model")
    assert_one_line_error(run_cli("replay", str(SAMPLE_CALL), "--model", str(d), "--plain"), "cannot load model")


def test_no_file_given():
    assert_one_line_error(run_cli("replay", "--plain"), "needs a recording")


def test_bad_config_names_file_line_and_likely_key(tmp_path):
    cfg = tmp_path / "livecue.toml"
    cfg.write_text("[vad]\nthreshold = 0.5\nmin_silence_s = 3\n")
    result = run_cli("replay", str(SAMPLE_CALL), "--config", str(cfg), "--plain")
    assert_one_line_error(result, f"{cfg}:3: unknown key 'min_silence_s' (did you mean 'min_silence_ms'?)")


@pytest.mark.parametrize("command", [
    ["replay", str(SAMPLE_CALL), "--plain", "--no-log"],
    ["eval", str(SAMPLE_CALL.parent), "-q"],
    ["batch", str(SAMPLE_CALL), "--out", "OUT"],
])
@pytest.mark.parametrize("threads", ["100000", "2147483648", "-1"])
def test_a_thread_count_out_of_the_settings_range_is_refused_before_the_model_starts(tmp_path, command, threads):
    """CTranslate2 segfaulted on --threads 100000 and wrapped 2147483648; the settings file already
    limited [asr] threads to 0-1024, the flag did not."""
    args = [str(tmp_path / "out") if a == "OUT" else a for a in command]
    result = run_cli(*args, "--threads", threads)
    assert_one_line_error(result, "--threads must be between 0 (all cores) and 1024")
    assert result.returncode == 2


def test_ctrl_c_while_the_arguments_are_parsed_is_one_line_not_a_traceback(monkeypatch, capsys):
    # The subcommands' imports run while the parser is built, outside main's own handling.
    import livecue.cli as cli

    def interrupted(only=None):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "build_parser", interrupted)
    monkeypatch.setattr(cli.sys, "argv", ["livecue", "eval", "x"])
    with pytest.raises(SystemExit) as stopped:
        cli.entry()
    assert stopped.value.code == 130
    assert capsys.readouterr().err == "livecue: stopped\n"


def test_sigterm_outside_a_session_unwinds_like_ctrl_c(monkeypatch, capsys):
    import os
    import signal

    import livecue.cli as cli

    from livecue.commands import sessions

    class Command:
        add_arguments = staticmethod(sessions.add_arguments)

        @staticmethod
        def run(args):
            os.kill(os.getpid(), signal.SIGTERM)  # as a service manager would, mid-command
            raise AssertionError("SIGTERM did not stop the command")

    monkeypatch.setattr(cli, "_module", lambda name: Command)
    before = signal.getsignal(signal.SIGTERM)
    assert cli.main(["sessions"]) == 128 + signal.SIGTERM
    assert capsys.readouterr().err == "livecue: stopped by SIGTERM\n"
    assert signal.getsignal(signal.SIGTERM) is before  # the command's handlers are its own


def test_a_path_livecue_cannot_use_is_one_line_naming_it(monkeypatch, capsys):
    # An unreadable XDG directory (Path.is_file raises EACCES) or a name past NAME_MAX, from the environment.
    import errno

    import livecue.cli as cli
    from livecue.commands import sessions

    class Command:
        add_arguments = staticmethod(sessions.add_arguments)

        @staticmethod
        def run(args):
            raise PermissionError(errno.EACCES, "Permission denied", "/home/x/.config/livecue/config.toml")

    monkeypatch.setattr(cli, "_module", lambda name: Command)
    assert cli.main(["sessions"]) == 2
    assert capsys.readouterr().err == ("livecue: cannot use /home/x/.config/livecue/config.toml: "
                                       "Permission denied\n")


def test_a_config_path_past_the_name_limit_is_one_line(tmp_path):
    result = run_cli("report", str(ROOT / "tests" / "fixtures" / "session_d04.jsonl"),
                     env={"LIVECUE_CONFIG": str(tmp_path / ("a" * 300))})
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "File name too long" in result.stderr and "internal error" not in result.stderr


def test_label_channels_must_be_numbers_not_true_or_false(tmp_path):
    call = json.loads((ROOT / "tests" / "calls" / "x01_no_budget_then_run.json").read_text())
    call["audio"] = str(ROOT / "tests" / "calls" / call["audio"])
    call["channels"] = {"rep": True, "prospect": False}
    path = tmp_path / "c.json"
    path.write_text(json.dumps(call))
    result = run_cli("eval", str(path), "--final-only")
    assert result.returncode == 2 and "channels must give rep and prospect channel numbers" in result.stderr


def test_tune_top_must_list_at_least_one_setting(tmp_path):
    result = run_cli("tune", str(ROOT / "tests" / "calls" / "x01_no_budget_then_run.json"),
                     "--set", "reset.min_streak=2,3", "--top", "0")
    assert result.returncode == 2 and "--top must be at least 1 (got 0)" in result.stderr


@pytest.mark.parametrize("named, says", [("/dev/null", "not a regular file"), (".", "not a regular file"),
                                         ("/nonexistent/config.toml", "no such file")])
def test_livecue_config_naming_something_that_is_not_a_settings_file(named, says):
    result = run_cli("report", str(ROOT / "tests" / "fixtures" / "session_d04.jsonl"), env={"LIVECUE_CONFIG": named})
    assert result.returncode == 2 and f"{says} (named by LIVECUE_CONFIG)" in result.stderr, result.stderr


def test_an_expected_window_that_ends_before_it_starts_is_refused(tmp_path):
    call = json.loads((ROOT / "tests" / "calls" / "x01_no_budget_then_run.json").read_text())
    call["audio"] = str(ROOT / "tests" / "calls" / call["audio"])
    call["expected"] = [{"cue": "reset", "from": 20.0, "to": 5.0}]
    path = tmp_path / "c.json"
    path.write_text(json.dumps(call))
    result = run_cli("eval", str(path), "--transcript")
    assert result.returncode == 2 and "expected 1: 'to' (5) is before 'from' (20)" in result.stderr


def test_sigterm_turned_into_a_plain_interrupt_by_a_library_still_says_which_signal(monkeypatch, capsys):
    # Ray's calls catch the exception a signal handler raises inside them and raise KeyboardInterrupt().
    import os
    import signal

    import livecue.cli as cli
    from livecue.commands import sessions

    class Command:
        add_arguments = staticmethod(sessions.add_arguments)

        @staticmethod
        def run(args):
            try:
                os.kill(os.getpid(), signal.SIGHUP)
            except KeyboardInterrupt:
                raise KeyboardInterrupt() from None
            raise AssertionError("SIGHUP did not stop the command")

    monkeypatch.setattr(cli, "_module", lambda name: Command)
    assert cli.main(["sessions"]) == 128 + signal.SIGHUP
    assert capsys.readouterr().err == "livecue: stopped by SIGHUP\n"
