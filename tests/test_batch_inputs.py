"""Batch inputs (files, folders, manifests) and the library summary, without the model."""

from __future__ import annotations

import shutil

import pytest

from conftest import ROOT, run_cli
from livecue.errors import LivecueError
from livecue.library.inputs import expand_inputs
from livecue.library.runner import default_split

SESSION = ROOT / "tests" / "fixtures" / "session_d04.jsonl"


def test_folders_are_searched_for_audio_and_sub_folders_name_the_rep(tmp_path):
    (tmp_path / "alice").mkdir()
    (tmp_path / "alice" / "mon.wav").write_bytes(b"x")
    (tmp_path / "top.flac").write_bytes(b"x")
    (tmp_path / "notes.json").write_text("{}")
    calls = expand_inputs([tmp_path])
    assert [(c.path.name, c.rep) for c in calls] == [("mon.wav", "alice"), ("top.flac", "")]


def test_jsonl_manifest_with_a_pair_and_channels(tmp_path):
    m = tmp_path / "m.jsonl"
    m.write_text('{"rep_file": "a.wav", "prospect_file": "b.wav", "rep": "cy", "tags": ["x", "y"]}\n\n'
                 '{"path": "c.wav", "rep_channel": 1, "prospect_channel": 0, "date": "2026-01-02"}\n')
    pair, swapped = expand_inputs([m])
    assert pair.path is None and pair.rep_file == tmp_path / "a.wav" and pair.tags == ("x", "y")
    assert pair.label == f"{tmp_path / 'a.wav'} + {tmp_path / 'b.wav'}"
    assert (swapped.rep_channel, swapped.prospect_channel, swapped.date) == (1, 0, "2026-01-02")
    assert swapped.mapping == "channels 1,0"


@pytest.mark.parametrize("text, message", [
    ("path,repp\na.wav,x\n", "m.csv:2: unknown column 'repp' (did you mean 'rep'?)"),
    ("path,date\na.wav,yesterday\n", "m.csv:2: date must be YYYY-MM-DD"),
    ("path,rep_channel\na.wav,left\n", "m.csv:2: rep_channel must be a channel number"),
    ("rep\nalice\n", "m.csv:2: needs a path"),
])
def test_a_bad_manifest_row_is_a_file_line_error(tmp_path, text, message):
    m = tmp_path / "m.csv"
    m.write_text(text)
    with pytest.raises(LivecueError) as err:
        expand_inputs([m])
    assert message in str(err.value)


def test_the_cli_reports_a_bad_manifest_in_one_line(tmp_path):
    m = tmp_path / "m.csv"
    m.write_text("path,repp\na.wav,x\n")
    result = run_cli("batch", str(m), "--out", str(tmp_path / "out"))
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "unknown column 'repp'" in result.stderr


def test_default_split_one_thread_per_core_but_never_more_workers_than_calls():
    assert default_split(2, 15, None, None) == (2, 1)
    assert default_split(2, 1, None, None) == (1, 2)
    assert default_split(8, 15, None, 2) == (4, 2)
    assert default_split(8, 15, 3, None) == (3, 2)


def test_ray_without_ray_installed_says_how_to_install_it(tmp_path):
    from test_imports import blocked_imports_env

    result = run_cli("batch", str(SESSION), "--out", str(tmp_path / "out"), "--ray", "auto",
                     env=blocked_imports_env(tmp_path, "ray"))
    assert result.returncode == 2
    assert result.stderr.strip() == "livecue: --ray needs Ray, which is not installed: pip install 'livecue[ray]'"


def test_summary_over_logs_with_an_unreadable_one(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    for n in range(3):
        shutil.copy(SESSION, logs / f"call{n}.jsonl")
    (logs / "bad.jsonl").write_text("not a log\n")
    out = tmp_path / "out"
    result = run_cli("summary", str(logs), "--out", str(out))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    csv_text = (out / "summary.csv").read_text().splitlines()
    assert len(csv_text) == 1 + 4
    header = csv_text[0].split(",")
    for column in ("path", "rep", "date", "duration_s", "rep_talk_share", "prospect_talk_share",
                   "longest_monologue_s", "status"):
        assert column in header
    assert any(h.startswith("cue:") for h in header)
    assert sum("failed: " in line for line in csv_text) == 1
    html = (out / "summary.html").read_text()
    assert html.count("<svg") >= 5 and "<script" not in html and 'src="http' not in html
    assert all((out / n).stat().st_mode & 0o777 == 0o600 for n in ("summary.csv", "summary.md", "summary.html"))


def test_progress_reports_audio_hours_per_wall_hour(capsys):
    from livecue.library.runner import Progress
    from livecue.library.work import CallResult

    now = [0.0]
    bar = Progress(2, enabled=True, clock=lambda: now[0])  # not a terminal here: one line per call
    now[0] = 10.0
    bar.update(CallResult("k", True, audio_s=60.0, cues=1), "a.wav")
    now[0] = 20.0
    bar.update(CallResult("j", False, reason="not a readable audio file"), "b.wav")
    bar.close()
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "livecue: [1/2] a.wav: done (60 s audio, 1 cues); 6.0 audio h/h"
    assert err[1] == "livecue: [2/2] b.wav: failed: not a readable audio file; 3.0 audio h/h"


def test_unknown_model_stops_the_batch_before_any_work(tmp_path):
    wav = tmp_path / "a.wav"
    wav.write_bytes(b"x")
    result = run_cli("batch", str(wav), "--out", str(tmp_path / "out"), "--model", "no-such-model")
    assert result.returncode == 3 and "unknown model 'no-such-model'" in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_row_skips_signals_yet_reads_like_the_full_report():
    from livecue.events import Lag, Signals
    from livecue.library.summary import ROW_SETTINGS, row_from_log
    from livecue.session.log import read_session
    from livecue.session.summary import summarise

    full = summarise(read_session(SESSION), ROW_SETTINGS)
    assert read_session(SESSION).of_type(Signals)  # the fixture has what the row skips
    assert not read_session(SESSION, skip=(Signals, Lag)).of_type(Signals)
    row = row_from_log(SESSION)
    assert row.duration_s == full.duration and row.rep_share == full.sides["rep"].share
    assert row.longest_monologue_s == full.sides["rep"].longest_turn.duration
    assert row.questions == full.sides["rep"].questions
    assert sum(row.cues.values()) == len(full.cues) > 0


def test_hash_cache_rehashes_only_changed_files(tmp_path):
    import os

    from livecue.library.identity import HashCache, content_hash

    a = tmp_path / "a.wav"
    a.write_bytes(b"one")
    cache = HashCache(tmp_path / ".hashes.json")
    assert cache.hash(a) == content_hash(a)
    cache.save(lambda path, data: path.write_bytes(data))
    again = HashCache(tmp_path / ".hashes.json")
    assert again.hash(a) == content_hash(a) and not again.changed  # from the cache
    a.write_bytes(b"two")
    os.utime(a, ns=(1, 1))
    assert again.hash(a) == content_hash(a) and again.changed


def test_a_ray_address_that_answers_nothing_is_one_line(tmp_path):
    import socket

    pytest.importorskip("ray")
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = run_cli("batch", str(ROOT / "samples" / "sample_call.flac"), "--out", str(tmp_path / "out"),
                     "--ray", f"127.0.0.1:{port}", timeout=60)
    assert result.returncode == 2
    assert result.stderr.startswith(f"livecue: cannot connect to the Ray cluster at 127.0.0.1:{port}: ")
    assert result.stderr.count("\n") == 1


def test_batch_and_summary_help_show_examples():
    for command in ("batch", "summary"):
        text = run_cli(command, "--help").stdout
        assert f"livecue {command} " in text.split("examples:")[1] and "exit codes:" in text


def test_fingerprint_follows_settings_rules_and_profile_but_not_threads(tmp_path, monkeypatch):
    from dataclasses import replace

    from livecue.config import Settings
    from livecue.library.identity import settings_fingerprint

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    s = Settings()

    def fp(settings=s, **kw):
        return settings_fingerprint(settings, model_path="m", rules_dir=kw.get("rules"),
                                    profile=kw.get("profile"), cues=kw.get("cues", True))

    base = fp()
    assert fp(replace(s, asr=replace(s.asr, threads=1))) == base
    assert fp(replace(s, asr=replace(s.asr, beam_size=2))) != base
    assert fp(cues=False) != base
    profile = tmp_path / "p.toml"
    profile.write_text("benefit = 'x'\n")
    assert fp(profile=profile) != base
    user_rules = tmp_path / "config" / "livecue" / "cue_rules"
    user_rules.mkdir(parents=True)
    (user_rules / "reset.toml").write_text("# a user's copy shadows the shipped file\n")
    assert fp() != base


def test_atomic_writes_never_go_through_a_link_left_at_the_temporary_name(tmp_path, monkeypatch):
    import os

    from livecue.library.summary import write_atomic

    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    monkeypatch.setattr(os, "getpid", lambda: 4242)
    (tmp_path / ".out.csv.4242.tmp").symlink_to(victim)
    write_atomic(tmp_path / "out.csv", b"rows")
    assert victim.read_text() == "keep"
    assert (tmp_path / "out.csv").read_bytes() == b"rows"
    assert (tmp_path / "out.csv").stat().st_mode & 0o777 == 0o600 and not (tmp_path / "out.csv").is_symlink()


def test_connecting_to_ray_keeps_livecues_termination_handlers(monkeypatch):
    # ray.init installs its own SIGTERM handler (a stack dump, exit 1), which replaced the one that
    # stops a batch as Ctrl-C does ("stopped by SIGTERM", 143).
    import signal

    from livecue.library import ray_cluster

    def ours(signum, frame):
        raise AssertionError("not called")

    class FakeRay:
        @staticmethod
        def init(**kwargs):
            signal.signal(signal.SIGTERM, lambda signum, frame: None)
            signal.signal(signal.SIGHUP, lambda signum, frame: None)

    monkeypatch.setattr(ray_cluster, "_ray", lambda: FakeRay)
    monkeypatch.setattr(ray_cluster, "_reachable", lambda address: None)
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        signal.signal(signal.SIGTERM, ours)
        signal.signal(signal.SIGHUP, ours)
        ray_cluster.connect("127.0.0.1:6379")
        assert signal.getsignal(signal.SIGTERM) is ours and signal.getsignal(signal.SIGHUP) is ours
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)
