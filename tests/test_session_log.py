"""The session log sink and reading logs back."""

from __future__ import annotations

import argparse
import json
import os
import stat
from datetime import datetime, timezone
from pathlib import Path

import pytest

from livecue.commands.common import add_session_arguments, build_sinks, session_options
from livecue.errors import LivecueError
from livecue.events import (
    Committed, Cue, Feedback, Level, Progress, SessionEnded, SessionStarted, Signals, Tentative, Word,
)
from livecue.session.log import (
    LogSettings, SessionLog, SessionSettings, list_sessions, open_session_log, read_session,
)

START = datetime(2025, 3, 4, 10, 30, 0, tzinfo=timezone.utc)
FIXTURE = Path(__file__).parent / "fixtures" / "session_d04.jsonl"


def make_log(tmp_path: Path, name: str = "s.jsonl", **kw) -> SessionLog:
    lines: list[str] = []
    log = SessionLog(SessionSettings(source="call.wav", argv=("replay", "call.wav")), START,
                     path=tmp_path / name, announce=lines.append, **kw)
    log.announced = lines  # type: ignore[attr-defined]
    return log


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_log_is_created_private_with_settings_first(tmp_path):
    log = make_log(tmp_path)
    mode = stat.S_IMODE(os.stat(log.path).st_mode)
    assert mode == 0o600
    first = records(log.path)[0]
    assert first["type"] == "settings"
    assert first["source"] == "call.wav" and first["argv"] == ["replay", "call.wav"]
    assert first["started_at"] == "2025-03-04T10:30:00+00:00"
    log.close()


def test_mode_is_0600_even_with_a_permissive_umask(tmp_path):
    old = os.umask(0)
    try:
        log = make_log(tmp_path)
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(log.path).st_mode) == 0o600
    log.close()


def test_each_event_is_on_disk_before_the_next_and_matches_json_shape(tmp_path):
    log = make_log(tmp_path)
    committed = Committed(2.0, speaker="prospect", text="not interested",
                          words=(Word(" not", 1.0, 1.4), Word(" interested", 1.5, 2.0)), final=True)
    log.handle(SessionStarted(source="call.wav", model="tiny.en", duration=30.0))
    log.handle(committed)
    # not closed: a kill now must still leave both lines readable
    on_disk = records(log.path)
    assert on_disk[-1] == committed.to_json()
    assert [r["type"] for r in on_disk] == ["settings", "started", "committed"]
    log.close()


def test_high_rate_events_are_dropped_and_signals_throttled(tmp_path):
    log = make_log(tmp_path, log_settings=LogSettings(signals_interval_s=1.0))
    for i in range(40):  # 10 s of signals at 4 Hz, with levels and tentatives
        t = i * 0.25
        log.handle(Level(t, speaker="rep", rms_db=-30.0))
        log.handle(Tentative(t, speaker="rep", text="uh"))
        log.handle(Progress(t, duration=10.0))
        log.handle(Signals(t, rep_share=i / 40))
    log.handle(SessionEnded(10.0))
    log.close()
    kinds = [r["type"] for r in records(log.path)]
    assert "level" not in kinds and "tentative" not in kinds and "progress" not in kinds
    signals = [r for r in records(log.path) if r["type"] == "signals"]
    times = [s["t"] for s in signals]
    assert 10 <= len(signals) <= 12  # about one a second, not 40
    assert all(b - a >= 0.75 for a, b in zip(times, times[1:-1]))
    # the last snapshot before the end is kept, so the report sees the final counts
    assert signals[-1]["rep_share"] == pytest.approx(39 / 40, abs=1e-3)
    assert kinds[-1] == "ended"


def test_close_announces_path_and_report_command(tmp_path):
    log = make_log(tmp_path, name="my call.jsonl")
    log.close()
    assert any(str(log.path) in line for line in log.announced)
    command = next(line for line in log.announced if "livecue report" in line)
    assert "'" + str(log.path) + "'" in command and "--html" in command


def test_existing_non_log_file_is_never_overwritten(tmp_path):
    target = tmp_path / "call.wav"
    target.write_bytes(b"RIFF....WAVEfmt ")
    with pytest.raises(LivecueError, match="not a livecue session log"):
        SessionLog(SessionSettings(), START, path=target, announce=lambda s: None)
    assert target.read_bytes() == b"RIFF....WAVEfmt "


def test_existing_log_is_replaced_privately(tmp_path):
    target = tmp_path / "s.jsonl"
    first = SessionLog(SessionSettings(source="a.wav"), START, path=target, announce=lambda s: None)
    first.handle(Cue(3.0, cue="reset"))
    first.close()
    os.chmod(target, 0o644)  # as if someone loosened it
    second = SessionLog(SessionSettings(source="b.wav"), START, path=target, announce=lambda s: None)
    second.close()
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert [r["type"] for r in records(target)] == ["settings"]
    assert records(target)[0]["source"] == "b.wav"
    assert not list(tmp_path.glob(".*tmp"))


def test_default_directory_names_by_time_and_source_without_clobbering(tmp_path):
    a = SessionLog(SessionSettings(source="/calls/Big Deal.wav"), START, directory=tmp_path, announce=lambda s: None)
    b = SessionLog(SessionSettings(source="/calls/Big Deal.wav"), START, directory=tmp_path, announce=lambda s: None)
    a.close(), b.close()
    assert a.path.name == "2025-03-04_10-30-00_Big-Deal.jsonl"
    assert b.path.name == "2025-03-04_10-30-00_Big-Deal-2.jsonl"


def session_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser()
    p.add_argument("file")  # as replay names it
    add_session_arguments(p)
    return p


def test_no_log_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    args = session_parser().parse_args(["call.wav", "--json", "--no-log"])
    sinks = build_sinks(session_options(args))
    assert not any(isinstance(s, SessionLog) for s in sinks)
    assert not (tmp_path / "data").exists()


def test_default_log_goes_to_the_user_data_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    args = session_parser().parse_args(["call.wav", "--json"])
    logs = [s for s in build_sinks(session_options(args)) if isinstance(s, SessionLog)]
    assert len(logs) == 1
    logs[0].close()
    assert logs[0].path.parent == tmp_path / "data" / "livecue" / "sessions"
    assert records(logs[0].path)[0]["source"] == "call.wav"


def test_log_option_writes_there(tmp_path):
    args = session_parser().parse_args(["call.wav", "--log", str(tmp_path / "x.jsonl"), "--rules", "myrules"])
    log = open_session_log(session_options(args, ["replay", "call.wav"]), START)
    log.close()
    first = records(tmp_path / "x.jsonl")[0]
    assert first["rules"] == "myrules" and first["source"] == "call.wav"


def test_log_and_no_log_conflict():
    with pytest.raises(SystemExit):
        session_parser().parse_args(["call.wav", "--log", "x.jsonl", "--no-log"])


# --- reading -------------------------------------------------------------------------


def test_round_trip_with_feedback_joined_to_cues(tmp_path):
    log = make_log(tmp_path)
    events = [
        SessionStarted(source="call.wav", model="tiny.en"),
        Cue(12.97, cue="second_effort", title="Second effort", script=("ask one question",), anchor=12.4),
        Cue(30.05, cue="plant_seed"),
        Feedback(14.1, cue="second_effort", mark="helpful", cue_t=12.97),
        Feedback(31.0, cue="plant_seed", mark="dismissed", cue_t=30.05),
        Feedback(31.5, cue="plant_seed", mark="wrong", cue_t=30.05),
        SessionEnded(33.4),
    ]
    for e in events:
        log.handle(e)
    log.close()
    data = read_session(log.path)
    assert data.settings.source == "call.wav"
    assert list(data.events) == events
    assert not data.truncated and data.notices == ()
    outcomes = data.cue_outcomes()
    assert [o.mark_names for o in outcomes] == [("helpful",), ("dismissed", "wrong")]
    assert data.duration == pytest.approx(33.4)


def test_log_cut_mid_line_still_reads_with_a_notice(tmp_path):
    raw = FIXTURE.read_bytes()
    cut = raw[: raw.rindex(b'"type": "cue"') + 20]  # inside the second cue record
    path = tmp_path / "cut.jsonl"
    path.write_bytes(cut)
    data = read_session(path)
    assert data.truncated
    assert any("middle of a record" in n for n in data.notices)
    assert any("no end record" in n for n in data.notices)
    assert [c.cue for c in data.cues] == ["second_effort"]
    assert data.duration > 29.0  # the last complete records are still there


def test_unreadable_line_in_the_middle_is_skipped_with_a_notice(tmp_path):
    lines = FIXTURE.read_text().splitlines()
    lines.insert(5, '{"type": "committed", "t": ')
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n")
    data = read_session(path)
    assert not data.truncated
    assert any("line 6" in n for n in data.notices)
    assert len(data.cues) == 2


@pytest.mark.parametrize("content", [b"hello world\n", b"\x89PNG\r\n\x1a\n\x00\x00", b'{"a": 1}\n', b"[1, 2]\n"])
def test_not_a_session_log_is_a_one_line_error(tmp_path, content):
    path = tmp_path / "x.jsonl"
    path.write_bytes(content)
    with pytest.raises(LivecueError) as info:
        read_session(path)
    assert "not a livecue session log" in str(info.value) and "\n" not in str(info.value)


def test_empty_and_missing_files_are_one_line_errors(tmp_path):
    (tmp_path / "empty.jsonl").write_bytes(b"")
    with pytest.raises(LivecueError, match="empty"):
        read_session(tmp_path / "empty.jsonl")
    with pytest.raises(LivecueError, match="no such file"):
        read_session(tmp_path / "missing.jsonl")
    with pytest.raises(LivecueError, match="directory"):
        read_session(tmp_path)


def test_json_capture_without_settings_is_accepted_with_a_notice(tmp_path):
    path = tmp_path / "capture.jsonl"
    path.write_text("\n".join(json.dumps(e.to_json()) for e in [SessionStarted(source="c.wav"), SessionEnded(5.0)]) + "\n")
    data = read_session(path)
    assert data.settings is None and data.source == "c.wav"
    assert any("--json capture" in n for n in data.notices)


def test_list_sessions_skips_files_that_are_not_logs(tmp_path):
    (tmp_path / "2025-01-01_notes.jsonl").write_text("not json\n")
    (tmp_path / "b.jsonl").write_bytes(FIXTURE.read_bytes())
    cut = tmp_path / "a.jsonl"
    cut.write_bytes(FIXTURE.read_bytes()[:3000])
    rows = list_sessions(tmp_path)
    assert [r.path.name for r in rows] == ["a.jsonl", "b.jsonl"]
    full = rows[1]
    assert full.cues == 2 and full.complete and full.duration == pytest.approx(33.442)
    assert full.source == "d04_not_interested_twice.wav" and full.date == "2025-03-04 10:30"
    assert not rows[0].complete


def test_a_full_disk_stops_logging_once_without_stopping_the_session(tmp_path, monkeypatch):
    import errno

    log = make_log(tmp_path)

    def full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    log.handle(Cue(3.0, cue="reset"))
    log.handle(Cue(4.0, cue="reset"))
    monkeypatch.undo()
    log.close()
    failures = [line for line in log.announced if "write failed" in line]
    assert len(failures) == 1 and "No space left" in failures[0]
    assert not any("livecue report" in line for line in log.announced)
    assert [r["type"] for r in records(log.path)] == ["settings"]


def test_live_sessions_are_named_by_mode_and_record_their_devices(tmp_path):
    args = argparse.Namespace(command="live", rep_device="USB mic", prospect_device="BlackHole 2ch", device="cpu",
                              log=str(tmp_path), no_log=False)
    log = open_session_log(session_options(args, ["live"]), START)
    log.close()
    assert log.path.name == "2025-03-04_10-30-00_live.jsonl"
    first = records(log.path)[0]
    assert first["source"] == "rep USB mic + prospect BlackHole 2ch" and first["mode"] == "live"
