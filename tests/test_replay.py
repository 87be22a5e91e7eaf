"""End to end with the real bundled model: the right words on the right side."""

import json

import numpy as np
import pytest

from conftest import SAMPLE_CALL, SHARED, needs_shared, run_cli, write_wav
from livecue.wer import normalise

pytestmark = pytest.mark.slow


def events_of(result):
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def side_text(events, speaker):
    return " ".join(e["text"] for e in events if e["type"] == "committed" and e["speaker"] == speaker).lower()


def test_json_replay_puts_each_side_on_its_speaker():
    events = events_of(run_cli("replay", str(SAMPLE_CALL), "--fast", "--json", "--no-cues"))
    assert events[0]["type"] == "started"
    assert events[-1]["type"] == "ended"
    rep, prospect = side_text(events, "rep"), side_text(events, "prospect")
    assert "clinic" in rep and "curiosity" in rep  # "clinics" or "clinic's", by decode schedule
    assert "happy" in prospect and "setup" in prospect and "run" in prospect
    assert "happy" not in rep and "clinic" not in prospect
    for e in events:
        if e["type"] == "committed":
            assert e["words"] and all(w["start"] <= w["end"] for w in e["words"])
    # words appear in time order on each side and never twice
    for speaker in ("rep", "prospect"):
        words = [w for e in events if e["type"] == "committed" and e["speaker"] == speaker for w in e["words"]]
        starts = [w["start"] for w in words]
        assert starts == sorted(starts)


def test_plain_replay_prints_labelled_lines():
    result = run_cli("replay", str(SAMPLE_CALL), "--fast", "--plain", "--no-cues")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(l.startswith("[00:0") and "REP: " in l for l in lines)
    assert any("PROSPECT: " in l for l in lines)


def test_silence_only_input_yields_no_text(tmp_path):
    rng = np.random.default_rng(1)
    quiet = np.stack([np.zeros(16000 * 8), 0.002 * rng.standard_normal(16000 * 8)])
    events = events_of(run_cli("replay", str(write_wav(tmp_path / "q.wav", quiet)), "--fast", "--json", "--no-cues"))
    assert [e for e in events if e["type"] in ("committed", "tentative")] == []


def test_paced_replay_runs_at_real_time_and_streams_tentative_text():
    """--speed 3 paces a 30 s call over about 10 s; words commit while it plays."""
    import time

    t0 = time.monotonic()
    events = events_of(run_cli("replay", str(SAMPLE_CALL), "--speed", "3", "--json", "--no-cues"))
    took = time.monotonic() - t0
    assert 9.0 < took < 40
    assert any(e["type"] == "tentative" and e["words"] for e in events)
    assert len([e for e in events if e["type"] == "committed"]) > 4


def test_mono_recording_is_one_call_channel_with_a_notice(tmp_path):
    from livecue.audio.files import load_call

    mono = load_call(SAMPLE_CALL)
    mixed = (mono.sides["rep"] + mono.sides["prospect"])[None, :]
    events = events_of(run_cli("replay", str(write_wav(tmp_path / "m.wav", mixed)), "--fast", "--json", "--no-cues"))
    assert any(e["type"] == "notice" and "mono" in e["message"] for e in events)
    text = side_text(events, "call")
    assert "clinic" in text and "happy" in text
    assert {e["speaker"] for e in events if e["type"] == "committed"} == {"call"}


def test_two_mono_files(tmp_path):
    from livecue.audio.files import load_call

    call = load_call(SAMPLE_CALL)
    rep = write_wav(tmp_path / "rep.wav", call.sides["rep"][None, :])
    pro = write_wav(tmp_path / "pro.wav", call.sides["prospect"][None, :])
    events = events_of(run_cli("replay", "--rep", str(rep), "--prospect", str(pro), "--fast", "--json", "--no-cues"))
    assert "clinic" in side_text(events, "rep") and "happy" in side_text(events, "prospect")


@needs_shared
def test_stereo_speech_channels_stay_apart():
    path = SHARED / "speech" / "fw_stereo_diarization.wav"
    events = events_of(run_cli("replay", str(path), "--fast", "--json", "--no-cues"))
    assert "wizard" in side_text(events, "rep") and "wizard" not in side_text(events, "prospect")
    assert "horizon" in side_text(events, "prospect") and "horizon" not in side_text(events, "rep")


def test_streaming_engine_matches_reference_words(engine):
    """The short-window decode gives the reference text on a clean utterance."""
    from livecue.audio.files import load_call

    call = load_call(SAMPLE_CALL)
    x = call.sides["prospect"][int(8.3 * 16000):int(12.9 * 16000)]
    hyp = engine.transcribe(x)
    got = normalise(" ".join(w.word for w in hyp.words))
    assert got[:4] == ["honestly", "we're", "pretty", "happy"]
    assert all(0 <= w.start <= w.end <= len(x) / 16000 + 0.01 for w in hyp.words)


def test_ctrl_c_stops_cleanly_and_closes_the_session():
    import os
    import signal
    import subprocess
    import sys
    import time

    from conftest import ROOT

    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    proc = subprocess.Popen([sys.executable, "-m", "livecue", "replay", str(SAMPLE_CALL), "--json", "--no-cues"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    first = proc.stdout.readline()
    assert json.loads(first)["type"] == "started"
    time.sleep(3)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert "Traceback" not in err
    last = json.loads(out.splitlines()[-1])
    assert last["type"] == "ended" and last["reason"] == "stopped"
