"""Files livecue writes: never through a link, never over someone else's file, no raw HTML (issue 10, items 8, 9)."""

import json
import os
import stat
from datetime import datetime
from pathlib import Path

import pytest

from livecue.cli import main
from livecue.errors import LivecueError
from livecue.session.log import SessionLog, SessionSettings

FIXTURE = Path(__file__).parent / "fixtures" / "session_d04.jsonl"
START = datetime(2025, 3, 4, 10, 30)
FORMATS = ["html", "md", "txt", "srt", "vtt", "json"]


def record(**kw):
    return json.dumps(kw) + "\n"


def crafted_log(path: Path, text: str) -> Path:
    words = [{"word": " " + w, "start": 1.0 + i * 0.3, "end": 1.25 + i * 0.3} for i, w in enumerate(text.split())]
    path.write_text(
        record(type="settings", t=0.0, log_version=1, livecue="0.1.0", started_at="2025-03-04T10:30:00+01:00",
               mode="replay", source="call.wav", model="", rules="", profile="", cues=True, argv=[])
        + record(type="started", t=0.0, source="call.wav", model="tiny.en", speakers=["rep", "prospect"],
                 mode="replay", duration=10.0)
        + record(type="committed", t=4.0, speaker="prospect", text=text, words=words, final=True)
        + record(type="ended", t=10.0, reason="end of input"))
    return path


# --- item 8: --log, report outputs, the sessions directory ---------------------------------


def test_log_refuses_a_file_whose_first_line_is_blank_but_which_holds_text(tmp_path):
    target = tmp_path / "notes.txt"
    target.write_text("\nmy notes about the customer\n")
    with pytest.raises(LivecueError, match="not a livecue session log"):
        SessionLog(SessionSettings(), START, path=target, announce=lambda s: None)
    assert target.read_text() == "\nmy notes about the customer\n"


def test_log_may_take_over_a_file_of_blank_space(tmp_path):
    target = tmp_path / "s.jsonl"
    target.write_text("\n  \n")
    log = SessionLog(SessionSettings(), START, path=target, announce=lambda s: None)
    log.close()
    assert json.loads(target.read_text().splitlines()[0])["type"] == "settings"


def test_log_never_writes_through_a_symlink(tmp_path):
    real = tmp_path / "old.jsonl"
    real.write_text(FIXTURE.read_text())
    (tmp_path / "s.jsonl").symlink_to(real)
    with pytest.raises(LivecueError, match="symbolic link"):
        SessionLog(SessionSettings(), START, path=tmp_path / "s.jsonl", announce=lambda s: None)
    assert real.read_text() == FIXTURE.read_text()


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_output_through_a_symlink_is_refused_and_the_target_kept(tmp_path, capsys, fmt):
    target = tmp_path / "precious"
    target.write_text("keep me")
    out = tmp_path / f"out.{fmt}"
    out.symlink_to(target)
    assert main(["report", str(FIXTURE), f"--{fmt}", str(out), "--force"]) != 0
    assert "symbolic link" in capsys.readouterr().err
    assert target.read_text() == "keep me"


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_output_replaces_only_its_own_earlier_output_unless_forced(tmp_path, capsys, fmt):
    out = tmp_path / f"out.{fmt}"
    old = os.umask(0o022)
    try:
        assert main(["report", str(FIXTURE), f"--{fmt}", str(out)]) == 0
        assert stat.S_IMODE(out.stat().st_mode) == 0o600
        os.chmod(out, 0o644)
        assert main(["report", str(FIXTURE), f"--{fmt}", str(out)]) == 0  # its own: replaced, private again
        assert stat.S_IMODE(out.stat().st_mode) == 0o600
    finally:
        os.umask(old)
    other = tmp_path / f"theirs.{fmt}"
    other.write_text("someone else's document\n")
    capsys.readouterr()
    assert main(["report", str(FIXTURE), f"--{fmt}", str(other)]) != 0
    err = capsys.readouterr().err
    assert "not overwriting it" in err and "--force" in err and err.count("\n") == 1
    assert other.read_text() == "someone else's document\n"
    assert main(["report", str(FIXTURE), f"--{fmt}", str(other), "--force"]) == 0
    assert other.read_text() != "someone else's document\n"


def test_a_sessions_directory_others_can_write_is_warned_about(tmp_path, capsys):
    directory = tmp_path / "sessions"
    directory.mkdir()
    os.chmod(directory, 0o777)
    log = SessionLog(SessionSettings(), START, directory=directory, announce=lambda s: None)
    log.close()
    err = capsys.readouterr().err
    assert "writable by others (mode 777)" in err and "chmod 700" in err
    fresh = tmp_path / "new" / "sessions"
    SessionLog(SessionSettings(), START, directory=fresh, announce=lambda s: None).close()
    assert stat.S_IMODE(fresh.stat().st_mode) & 0o077 == 0
    assert "writable by others" not in capsys.readouterr().err


# --- item 9: no raw HTML in the rendered exports ----------------------------------------------


@pytest.mark.parametrize("fmt", ["md", "srt", "txt", "vtt", "html"])
def test_exports_do_not_pass_raw_html_from_the_transcript(tmp_path, capsys, fmt):
    log = crafted_log(tmp_path / "evil.jsonl", 'well <script>alert("x")</script> <img src=x onerror=alert(1)> ok')
    out = tmp_path / f"out.{fmt}"
    assert main(["report", str(log), f"--{fmt}", str(out)]) == 0
    text = out.read_text()
    assert "alert" in text  # the words are kept, as text
    assert "<script" not in text.lower() and "<img" not in text.lower()


# --- text that UTF-8 cannot hold: a lone surrogate ----------------------------------------------


def test_a_log_for_a_file_name_that_is_not_utf8_is_written_and_read_back(tmp_path):
    """Python keeps a file name's undecodable bytes as lone surrogates; the log's first write raised
    UnicodeEncodeError and left an empty log behind."""
    name = os.fsdecode(b"call-\xff\xfe.wav")
    target = tmp_path / "s.jsonl"
    log = SessionLog(SessionSettings(source=name, argv=("replay", name)), START, path=target, announce=lambda s: None)
    log.close()
    first = json.loads(target.read_text(encoding="utf-8").splitlines()[0])
    assert first["type"] == "settings" and first["source"] == "call-\ufffd\ufffd.wav"
    assert main(["report", str(target), "--md", str(tmp_path / "r.md")]) == 0


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_lone_surrogate_escape_in_a_log_does_not_stop_an_export(tmp_path, capsys, fmt):
    """JSON may spell a lone surrogate ("\\ud800"): an export raised UnicodeEncodeError and left an empty file."""
    log = tmp_path / "s.jsonl"
    log.write_text(crafted_log(tmp_path / "tmp.jsonl", "hi Meg PLACE an").read_text().replace("PLACE", "\\ud800"))
    out = tmp_path / f"out.{fmt}"
    assert main(["report", str(log), f"--{fmt}", str(out)]) == 0, capsys.readouterr().err
    assert "\ufffd" in out.read_text(encoding="utf-8")


def test_a_failed_write_leaves_no_empty_file(tmp_path, monkeypatch):
    from livecue import private_files

    def full(fd, mode):
        os.close(fd)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(private_files.os, "fdopen", full)
    with pytest.raises(LivecueError, match="No space left on device"):
        private_files.write_private_text(tmp_path / "r.html", "<p>call</p>", "the HTML report")
    assert not (tmp_path / "r.html").exists()


# --- stdout that cannot be written -------------------------------------------------------------


class FullDisk:
    """A stdout redirected to a file on a full disk."""

    def __init__(self, error=OSError(28, "No space left on device")) -> None:
        self.error, self.tries = error, 0

    def write(self, text):
        self.tries += 1
        raise self.error

    def flush(self):
        pass


def test_a_sink_says_once_that_its_output_stopped_unless_a_pipe_reader_left(capsys):
    from livecue.events import Notice
    from livecue.sinks import JsonSink, PlainSink

    full = FullDisk()
    sink = PlainSink(full)
    for n in range(3):
        sink.handle(Notice(float(n), "info", "x"))
    assert full.tries == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "output stopped: No space left on device; the session goes on" in err
    piped = JsonSink(FullDisk(BrokenPipeError(32, "Broken pipe")))
    piped.handle(Notice(0.0, "info", "x"))
    assert piped.broken and capsys.readouterr().err == ""  # `| head` ended: normal, said nothing


def test_a_sink_without_stdout_says_so_and_the_session_goes_on(monkeypatch, capsys):
    from livecue.events import Notice
    from livecue.sinks import PlainSink

    monkeypatch.setattr("sys.stdout", None)  # started with stdout closed (`>&-`)
    sink = PlainSink()
    sink.handle(Notice(0.0, "info", "x"))
    sink.handle(Notice(1.0, "info", "y"))
    assert capsys.readouterr().err.count("there is no standard output") == 1


def test_a_report_to_a_full_disk_is_one_line_not_an_internal_error(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdout", FullDisk())
    assert main(["report", str(FIXTURE)]) == 1
    err = capsys.readouterr().err
    assert err == "livecue: cannot write the output: No space left on device\n", err


def test_a_lone_surrogate_printed_on_stdout_is_a_question_mark_not_an_internal_error(tmp_path):
    """A UTF-8 locale's stdout refuses lone surrogates: `report` to stdout and `sessions` (one log whose
    source held "\\ud800") ended in an internal error, and the whole listing was lost."""
    from conftest import run_cli

    logs = tmp_path / "logs"
    logs.mkdir()
    crafted_log(tmp_path / "tmp.jsonl", "hi Meg PLACE an")
    (logs / "s.jsonl").write_text((tmp_path / "tmp.jsonl").read_text().replace("PLACE", "\\ud800")
                                  .replace('"source": "call.wav"', '"source": "call\\ud800.wav"'))
    strict = {"PYTHONIOENCODING": "utf-8:strict"}
    report = run_cli("report", str(logs / "s.jsonl"), env=strict)
    assert report.returncode == 0 and "Meg ? an" in report.stdout, report.stderr
    listing = run_cli("sessions", "--dir", str(logs), env=strict)
    assert listing.returncode == 0 and "call?.wav" in listing.stdout, listing.stderr


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_buffered_output_to_a_full_disk_is_one_line_and_status_1_not_python_exit_noise(tmp_path):
    """Without PYTHONUNBUFFERED the failed write came at the interpreter's final flush: "Exception ignored
    in: <_io.TextIOWrapper name='<stdout>'>" and exit status 120."""
    import subprocess
    import sys

    from conftest import ROOT

    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    env["PYTHONPATH"] = str(ROOT / "src")
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "livecue", "completion", "bash"], stdout=full,
                              stderr=subprocess.PIPE, text=True, env=env, timeout=60)
    assert done.returncode == 1 and done.stderr == "livecue: cannot write the output: No space left on device\n", (
        done.returncode, done.stderr)


def test_a_failed_stdin_spool_names_itself_not_the_output(tmp_path, monkeypatch):
    """ENOSPC while copying `replay -`'s recording to a temporary file would have read as an output error."""
    import tempfile

    from livecue.commands.replay import spool_stdin

    class Failing:
        def read(self, n=-1):
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with pytest.raises(LivecueError, match=r"cannot copy the recording from stdin to .*: No space left on device"):
        spool_stdin(Failing())
    assert list(tmp_path.iterdir()) == []  # the partial copy is removed


def test_directories_livecue_makes_are_private_whatever_the_umask(tmp_path):
    # mkdir -p gives the parents 0777 less the umask: under umask 000 another local user could plant
    # a config.toml, rule files or a cached encoder in them.
    import subprocess
    import sys

    from conftest import ROOT

    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "XDG_CONFIG_HOME": str(tmp_path / "cfg" / "x"),
           "XDG_DATA_HOME": str(tmp_path / "data"), "HOME": str(tmp_path)}
    for args in (["profile", "init"], ["sessions"], ["summary", str(tmp_path / "nologs"), "--out",
                                                       str(tmp_path / "out" / "sum")]):
        subprocess.run([sys.executable, "-m", "livecue", *args], env=env, timeout=120, capture_output=True,
                       preexec_fn=lambda: os.umask(0))
    made = [p for p in tmp_path.rglob("*") if p.is_dir()]
    assert {tmp_path / "cfg", tmp_path / "cfg" / "x", tmp_path / "cfg" / "x" / "livecue",
            tmp_path / "out", tmp_path / "out" / "sum"} <= set(made)
    assert {str(p.relative_to(tmp_path)): oct(stat.S_IMODE(p.stat().st_mode)) for p in made} == {
        str(p.relative_to(tmp_path)): "0o700" for p in made}


def test_private_dirs_makes_every_missing_level_0700_and_leaves_existing_ones(tmp_path):
    from livecue.private_files import private_dirs

    (tmp_path / "have").mkdir(mode=0o755)
    os.chmod(tmp_path / "have", 0o755)
    old = os.umask(0)
    try:
        private_dirs(tmp_path / "have" / "a" / "b" / "c")
        private_dirs(tmp_path / "have" / "a")  # already there: nothing to do
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "have").stat().st_mode) == 0o755
    for level in ("a", "a/b", "a/b/c"):
        assert stat.S_IMODE((tmp_path / "have" / level).stat().st_mode) == 0o700
    (tmp_path / "file").write_text("x")
    for under_a_file in (tmp_path / "file" / "d", tmp_path / "file" / "d" / "e", tmp_path / "file"):
        with pytest.raises(NotADirectoryError):  # as mkdir -p says it (and `cannot use`, rc 2, reports it)
            private_dirs(under_a_file)


def test_a_session_stopped_while_it_is_built_leaves_no_settings_only_log(tmp_path):
    # SIGTERM (raised as Terminated, a KeyboardInterrupt) while the model and rules load: the log held
    # only its settings line, listed as a cut call and taken by `report` as the newest.
    from livecue.cli import Terminated
    from livecue.commands.common import run_session
    from livecue.options import SessionOptions

    def stopped_while_loading(sinks):
        raise Terminated(15)

    with pytest.raises(Terminated):
        run_session(SessionOptions(command="replay", output="plain", log=tmp_path), stopped_while_loading)
    assert list(tmp_path.iterdir()) == []


def test_abandoning_a_log_that_holds_the_call_keeps_it(tmp_path):
    from livecue.events import SessionStarted

    log = SessionLog(SessionSettings(mode="replay", source="call.wav"), datetime(2025, 3, 4, 10, 30),
                     directory=tmp_path, announce=lambda text: None)
    log.handle(SessionStarted(0.0, "call.wav", "tiny.en", ("rep", "prospect"), "replay", 30.0))
    log.abandon()
    assert [json.loads(line)["type"] for line in log.path.read_text().splitlines()] == ["settings", "started"]
