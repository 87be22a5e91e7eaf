"""SIGTERM, SIGHUP and Ctrl-C close the session like 'q' and keep the utterance in progress (issue 10, item 7)."""

import json
import os
import signal
import subprocess
import sys

import pytest

from conftest import ROOT, SAMPLE_CALL


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_mid_utterance_keeps_its_words_and_ends_the_log(tmp_path, sig):
    log = tmp_path / "s.jsonl"
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    proc = subprocess.Popen([sys.executable, "-m", "livecue", "replay", str(SAMPLE_CALL), "--json", "--no-cues",
                             "--speed", "2", "--log", str(log)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    seen = []
    try:
        for line in proc.stdout:  # wait for words of an utterance that has not ended yet
            event = json.loads(line)
            seen.append(event)
            if event["type"] == "tentative" and len(event["words"]) >= 2:
                break
        else:
            pytest.fail("no utterance in progress was seen")
        pending = seen[-1]
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 128 + sig, err
    assert f"stopped by {signal.Signals(sig).name}" in err and "Traceback" not in err
    after = [json.loads(x) for x in out.splitlines()]
    assert after[-1]["type"] == "ended" and after[-1]["reason"] == "stopped"
    # the words heard before the signal were decoded and kept, not dropped with the utterance
    kept = [w["start"] for e in after if e["type"] == "committed" and e["speaker"] == pending["speaker"]
            for w in e["words"]]
    assert kept and min(kept) <= pending["words"][0]["start"] + 0.5
    records = [json.loads(x) for x in log.read_text().splitlines()]
    assert records[-1]["type"] == "ended"
    assert any(r["type"] == "committed" and r["final"] and r["speaker"] == pending["speaker"] and
               r["words"][-1]["end"] >= pending["words"][-1]["end"] - 0.5 for r in records)


def test_a_session_that_fails_is_logged_as_ended_by_an_error_not_end_of_input(tmp_path):
    import numpy as np

    from livecue.audio.files import CallAudio, FileSource
    from livecue.clock import AudioClock
    from livecue.events import SessionEnded
    from livecue.pipeline import ListSink, Pipeline

    class Broken:
        def feed(self, chunk):
            raise RuntimeError("model crashed")

        def pending(self):
            return False

        def step(self):
            return []

        def finish(self):
            return []

        def reset(self):
            return []

    call = CallAudio({"rep": np.zeros(32000, np.float32), "prospect": np.zeros(32000, np.float32)}, "x")
    sink = ListSink()
    with pytest.raises(RuntimeError):
        Pipeline(FileSource(call, fast=True), Broken(), [], [sink], AudioClock()).run()
    assert isinstance(sink.events[-1], SessionEnded) and sink.events[-1].reason == "error"


@pytest.mark.slow
def test_sigterm_under_the_overlay_closes_the_session_and_leaves_the_terminal(tmp_path):
    import shutil
    import time
    import uuid

    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed (.ci/run installs it)")
    log, rc_file = tmp_path / "s.jsonl", tmp_path / "rc"
    name = f"livecue-term-{uuid.uuid4().hex[:8]}"
    command = (f"cd {ROOT} && PYTHONPATH={ROOT / 'src'} {sys.executable} -m livecue replay {SAMPLE_CALL} "
               f"--no-cues --log {log}; echo $? > {rc_file}")
    subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", "100", "-y", "30", command], check=True, timeout=20)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not (log.exists() and '"committed"' in log.read_text()):
            time.sleep(0.2)
        assert log.exists() and '"committed"' in log.read_text(), "the overlay session did not start"
        shell = subprocess.run(["tmux", "list-panes", "-t", name, "-F", "#{pane_pid}"], capture_output=True,
                               text=True, timeout=20).stdout.split()[0]
        children = subprocess.run(["pgrep", "-P", shell], capture_output=True, text=True, timeout=20).stdout.split()
        assert children, "no livecue process under the pane"
        os.kill(int(children[0]), signal.SIGTERM)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not rc_file.exists():
            time.sleep(0.2)
        assert rc_file.exists(), "livecue did not exit within 30 s of SIGTERM"
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True, timeout=20)
    assert rc_file.read_text().strip() == "143"
    records = [json.loads(x) for x in log.read_text().splitlines()]
    assert records[-1]["type"] == "ended" and records[-1]["reason"] == "stopped"


def test_sigterm_without_a_terminal_and_without_plain_or_json_is_graceful_too(tmp_path):
    import time

    log = tmp_path / "s.jsonl"
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    proc = subprocess.Popen([sys.executable, "-m", "livecue", "replay", str(SAMPLE_CALL), "--no-cues",
                             "--log", str(log)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True, env=env)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not (log.exists() and '"committed"' in log.read_text()):
            time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 143 and "stopped by SIGTERM" in err, err
    records = [json.loads(x) for x in log.read_text().splitlines()]
    assert records[-1]["type"] == "ended" and records[-1]["reason"] == "stopped"


@pytest.mark.slow
def test_a_closed_terminal_under_the_overlay_ends_the_process_and_keeps_the_log(tmp_path):
    # SIGHUP from a terminal that is gone: Textual can wait for ever to write to it, so the overlay
    # never sees the stop event; the guard thread ends the process once the session is closed
    import pty
    import select
    import time

    log = tmp_path / "s.jsonl"
    pid, master = pty.fork()
    if pid == 0:  # the child: livecue on the pty as its controlling terminal
        os.environ["PYTHONPATH"] = str(ROOT / "src")
        os.execv(sys.executable, [sys.executable, "-m", "livecue", "replay", str(SAMPLE_CALL), "--no-cues",
                                  "--log", str(log)])
    status = None
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not (log.exists() and '"committed"' in log.read_text()):
            if select.select([master], [], [], 0.2)[0]:
                try:
                    os.read(master, 65536)  # keep the screen draining while the session starts
                except OSError:
                    break
        assert log.exists() and '"committed"' in log.read_text(), "the overlay session did not start"
        os.close(master)  # the terminal goes away: the kernel sends SIGHUP
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            status = None
            time.sleep(0.2)
        assert status is not None, "livecue did not exit within 40 s of its terminal closing"
    finally:
        if status is None:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 128 + signal.SIGHUP
    records = [json.loads(x) for x in log.read_text().splitlines()]
    assert records[-1]["type"] == "ended" and records[-1]["reason"] == "stopped"
