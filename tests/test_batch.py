"""``livecue batch`` on this machine: same cues as replay --fast, skip, resume, failures."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from batch_fixtures import csv_rows, cues_of, log_for, make_calls
from conftest import ROOT, run_cli

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def calls(tmp_path_factory) -> list[Path]:
    return make_calls(tmp_path_factory.mktemp("calls"))


@pytest.fixture(scope="module")
def finished(calls, tmp_path_factory):
    """A library with one corrupt file among the good ones, batched once (with reports)."""
    lib = tmp_path_factory.mktemp("lib")
    corrupt = lib / "corrupt.wav"
    corrupt.write_bytes(b"RIFF....WAVEfmt " + os.urandom(200))
    out = tmp_path_factory.mktemp("out") / "batch"
    result = run_cli("batch", *map(str, calls), str(corrupt), "--out", str(out), "--reports", "--no-progress")
    return out, result, corrupt


def test_batch_gives_the_same_cues_as_replay_fast_one_by_one(calls, finished, tmp_path):
    out, result, _ = finished
    fired = 0
    for call in calls:
        log = tmp_path / f"{call.stem}.jsonl"
        replay = run_cli("replay", str(call), "--fast", "--plain", "--log", str(log))
        assert replay.returncode == 0, replay.stderr
        assert cues_of(log_for(out, call.stem)) == cues_of(log)
        fired += len(cues_of(log))
    assert fired >= 2  # the pieces hold the sample call's cues, so the comparison is not of empty lists


def test_a_corrupt_file_is_recorded_and_the_batch_goes_on(calls, finished):
    out, result, corrupt = finished
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "3 coached, 0 already done, 1 failed" in result.stderr
    rows = {Path(r["path"]).name: r for r in csv_rows(out)}
    assert rows["corrupt.wav"]["status"].startswith("failed: ") and "not a readable audio file" in rows["corrupt.wav"]["status"]
    for call in calls:
        row = rows[call.name]
        assert row["status"] == "ok" and float(row["duration_s"]) > 5
        assert (out / row["report"]).is_file() and (out / row["log"]).is_file()
    # summary over the batch's logs finds the batch's reports and links them
    again = run_cli("summary", str(out / "logs"), "--out", str(out / "again"))
    assert again.returncode == 0 and "../reports/" in (out / "again" / "summary.html").read_text()
    html = (out / "summary.html").read_text()
    assert "<svg" in html and "1 call(s) failed" in html and "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert "1 failed" in (out / "summary.md").read_text()


def test_outputs_are_private(finished):
    out, _, _ = finished
    files = [p for p in out.rglob("*") if p.is_file()]
    assert len(files) >= 3 + 3 + 3
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in files), [oct(p.stat().st_mode) for p in files]


def test_rerun_redoes_nothing_but_retries_the_failure(calls, finished):
    out, _, corrupt = finished
    before = {p.name: p.stat().st_mtime_ns for p in (out / "logs").iterdir()}
    started = time.monotonic()
    again = run_cli("batch", *map(str, calls), str(corrupt), "--out", str(out), "--reports", "--no-progress")
    elapsed = time.monotonic() - started
    assert again.returncode == 1
    assert "0 coached, 3 already done, 1 failed" in again.stderr
    assert {p.name: p.stat().st_mtime_ns for p in (out / "logs").iterdir()} == before
    assert elapsed < 20


def test_changed_settings_redo_the_call(calls, tmp_path):
    out = tmp_path / "out"
    first = run_cli("batch", str(calls[2]), "--out", str(out), "--no-progress", "--no-cues")
    assert first.returncode == 0, first.stderr
    second = run_cli("batch", str(calls[2]), "--out", str(out), "--no-progress")
    assert "1 coached, 0 already done" in second.stderr, second.stderr
    assert len(list((out / "logs").glob("*.jsonl"))) == 2


def test_an_interrupted_batch_resumes(calls, tmp_path):
    out = tmp_path / "out"
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    proc = subprocess.Popen([sys.executable, "-m", "livecue", "batch", *map(str, calls), "--out", str(out),
                             "--workers", "1", "--no-progress"], cwd=str(ROOT), env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    try:
        while time.monotonic() < deadline and not list((out / "logs").glob("*.jsonl")):
            assert proc.poll() is None, "the batch ended before it could be interrupted"
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the batch and its workers: the group this test started
        proc.wait()
    done = list((out / "logs").glob("*.jsonl"))
    assert 1 <= len(done) < len(calls)
    for log in done:  # whatever counts as done is whole
        assert json.loads(log.read_text().splitlines()[-1])["type"] == "ended"
    resumed = run_cli("batch", *map(str, calls), "--out", str(out), "--no-progress")
    assert resumed.returncode == 0, resumed.stderr
    assert f"{len(calls) - len(done)} coached, {len(done)} already done, 0 failed" in resumed.stderr
    assert not list((out / "logs").glob(".*.tmp"))
    assert [r["status"] for r in csv_rows(out)] == ["ok"] * len(calls)


def test_manifest_gives_rep_date_and_tags(calls, tmp_path):
    manifest = tmp_path / "week.csv"
    manifest.write_text("path,rep,date,tags\n"
                        f"{calls[0]},alice,2026-11-30,demo;q4\n"
                        f"{calls[1]},bob,2026-12-01,\n")
    out = tmp_path / "out"
    result = run_cli("batch", str(manifest), "--out", str(out), "--no-progress")
    assert result.returncode == 0, result.stderr
    rows = csv_rows(out)
    assert [(r["rep"], r["date"], r["tags"]) for r in rows] == [("alice", "2026-11-30", "demo;q4"),
                                                                 ("bob", "2026-12-01", "")]
    html = (out / "summary.html").read_text()
    assert "alice" in html and "bob" in html
    # The summary command reads the same from the logs alone (rep, date and tags are in them).
    again = run_cli("summary", str(out / "logs"), "--out", str(tmp_path / "s"))
    assert "reports/" not in (tmp_path / "s" / "summary.md").read_text()  # this batch wrote none
    assert again.returncode == 0, again.stderr
    assert sorted((r["rep"], r["date"], r["tags"], r["cues_total"]) for r in csv_rows(tmp_path / "s")) == \
        sorted((r["rep"], r["date"], r["tags"], r["cues_total"]) for r in rows)


def test_a_worker_that_cannot_see_the_file_asks_for_its_bytes(calls, tmp_path):
    import argparse

    from livecue.commands.common import cue_options, settings_from_args
    from livecue.library.inputs import CallInput
    from livecue.library.runner import work_config
    from livecue.library.work import CallTask, CallWorker

    args = argparse.Namespace(rules=None, profile=None, no_cues=False, model=None)
    worker = CallWorker(work_config(cue_options(args), settings_from_args(args), threads=1))
    elsewhere = CallInput(path=Path("/nowhere/on/this/node/call.wav"))
    asked = worker.process(CallTask(elsewhere, "k", (123,)))
    assert asked.need_bytes and not asked.ok
    bad = worker.process(CallTask(elsewhere, "k", (123,)), data=(b"RIFF" + os.urandom(64),))
    assert not bad.ok and bad.reason.startswith("/nowhere/on/this/node/call.wav: not a readable audio file")
    good = worker.process(CallTask(elsewhere, "k", (1,)), data=(calls[2].read_bytes(),))
    assert good.ok and '"source": "/nowhere/on/this/node/call.wav"' in good.log.decode()


def test_a_local_worker_killed_mid_batch_is_replaced_and_its_call_redone(calls, tmp_path):
    out = tmp_path / "out"
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    proc = subprocess.Popen([sys.executable, "-m", "livecue", "batch", *map(str, calls), "--out", str(out),
                             "--workers", "2", "--no-progress"], cwd=str(ROOT), env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    killed = None
    deadline = time.monotonic() + 240
    while killed is None and time.monotonic() < deadline and proc.poll() is None:
        ps = subprocess.run(["ps", "-ww", "-eo", "pid=,ppid=,args="], capture_output=True, text=True).stdout
        workers = [int(line.split()[0]) for line in ps.splitlines()
                   if int(line.split()[1]) == proc.pid and "spawn_main" in line]
        done = list((out / "logs").glob("*.jsonl")) if (out / "logs").is_dir() else []
        # a call done and the batch still running: a call is mid-way (with 1 done, on the other worker; with 2,
        # on one of the two, which may not be the one killed: the replacement is then tested, not the redo).
        # Not only "1 done": the second and third calls can end within one poll of the first (seen in CI).
        if len(workers) == 2 and 1 <= len(done) < len(calls):
            os.kill(workers[0], signal.SIGKILL)  # a worker of the batch this test started
            killed = workers[0]
        time.sleep(0.02)
    _, stderr = proc.communicate(timeout=300)
    assert killed is not None, f"no worker to kill: {stderr}"
    assert proc.returncode == 0, stderr
    assert f"{len(calls)} coached, 0 already done, 0 failed" in stderr
    assert [r["status"] for r in csv_rows(out)] == ["ok"] * len(calls)


def test_the_same_audio_under_two_names_one_not_utf8_is_coached_once_and_logged_for_each(calls, tmp_path):
    """A copy of a call was "failed: not coached" (the batch coached its audio once, for the first name
    only), and a file name that is not UTF-8 stopped the summary with a UnicodeEncodeError."""
    import shutil

    lib = tmp_path / "lib"
    lib.mkdir()
    shutil.copy(calls[0], lib / "first.wav")
    shutil.copy(calls[0], lib / os.fsdecode(b"copy\xff.wav"))
    out = tmp_path / "out"
    result = run_cli("batch", str(lib), "--out", str(out), "--reports", "--no-progress")
    assert result.returncode == 0, result.stderr
    assert "2 calls: 2 coached, 0 already done, 0 failed" in result.stderr, result.stderr  # one decode
    rows = {Path(r["path"]).name: r for r in csv_rows(out)}
    assert set(rows) == {"first.wav", "copy\ufffd.wav"}
    assert [r["status"] for r in rows.values()] == ["ok", "ok"]
    assert rows["first.wav"]["log"] != rows["copy\ufffd.wav"]["log"]
    assert all((out / r["log"]).is_file() and (out / r["report"]).is_file() for r in rows.values())
    assert cues_of(out / rows["first.wav"]["log"]) == cues_of(out / rows["copy\ufffd.wav"]["log"])
    for name, row in rows.items():  # each log and report names its own input, not the one coached
        first_line = json.loads((out / row["log"]).read_text(encoding="utf-8").splitlines()[0])
        other = ({"first.wav", "copy\ufffd.wav"} - {name}).pop()
        assert first_line["source"].endswith(name) and other not in (out / row["report"]).read_text(encoding="utf-8")


def test_a_copy_in_a_manifest_keeps_its_own_rep_date_and_tags(tmp_path):
    from livecue.library.inputs import CallInput
    from livecue.library.runner import as_copy
    from livecue.session.reader import read_session

    log = (Path(__file__).parent / "fixtures" / "session_d04.jsonl").read_bytes()
    copy = CallInput(path=Path("lib/copy.wav"), rep="bo", date="2025-02-03", tags=("renewal",))
    (tmp_path / "copy.jsonl").write_bytes(as_copy(log, copy))
    data = read_session(tmp_path / "copy.jsonl")
    assert copy.label == "lib/copy.wav"
    assert (data.settings.source, data.settings.call_rep, data.settings.call_date, data.settings.tags) == (
        "lib/copy.wav", "bo", "2025-02-03", ("renewal",))
    assert (tmp_path / "copy.jsonl").read_bytes().split(b"\n")[2:] == log.split(b"\n")[2:]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_a_terminated_batch_stops_its_workers_and_says_so(calls, tmp_path, sig):
    # SIGTERM's and SIGHUP's default action ended the driver at once: its spawned workers were left
    # running, orphaned, each holding a model, and nothing was said.
    out = tmp_path / "out"
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    proc = subprocess.Popen([sys.executable, "-m", "livecue", "batch", *map(str, calls), "--out", str(out),
                             "--workers", "2", "--no-progress"], cwd=str(ROOT), env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and not list((out / "logs").glob("*.jsonl")):
            assert proc.poll() is None, "the batch ended before it could be stopped"
            time.sleep(0.05)
        proc.send_signal(sig)  # the driver only, as a service manager or a closed terminal would
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 128 + sig, err
        assert f"livecue: stopped by {signal.Signals(sig).name}" in err and "Traceback" not in err
        left = time.monotonic() + 10
        while time.monotonic() < left:
            try:
                os.killpg(proc.pid, 0)  # anyone left in the group the batch started?
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            pytest.fail("the batch's workers outlived it")
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
