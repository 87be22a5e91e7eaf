"""Hostile recordings (issue 10: items 1, 4, 6, 11): many channels, NaN/Inf, long files, devices, cut files."""

import struct
import tracemalloc
import wave

import numpy as np
import pytest

from livecue.audio.files import FileSource, load_call, open_call
from livecue.clock import AudioClock
from livecue.config import VadSettings
from livecue.errors import LivecueError
from livecue.events import Notice, SpeechStarted
from livecue.vad.gate import SpeechGate
from livecue.vad.silero import SileroStream

from conftest import SAMPLE_CALL, run_cli, write_wav
from fakes import chunks

RATE = 16000


def tone(freq, seconds, rate=RATE, amp=0.3):
    t = np.arange(int(seconds * rate)) / rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def peak_hz(x, rate=RATE):
    return np.argmax(np.abs(np.fft.rfft(x))) * rate / len(x)


def write_float_wav(path, channels):
    """A 32-bit IEEE float WAV (format 3): the only common format that can hold NaN and Inf."""
    data = np.atleast_2d(channels).astype("<f4")
    n_ch, n = data.shape
    body = data.T.tobytes()
    fmt = struct.pack("<HHIIHH", 3, n_ch, RATE, RATE * 4 * n_ch, 4 * n_ch, 32)
    riff = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(body)) + body
    path.write_bytes(b"RIFF" + struct.pack("<I", len(riff)) + riff)
    return path


# --- item 1: many channels ------------------------------------------------------------


@pytest.mark.parametrize("n_channels", [8, 9, 16])
def test_eight_or_more_channels_decode_without_crashing(tmp_path, n_channels):
    data = np.zeros((n_channels, RATE), np.float32)
    data[0], data[1], data[n_channels - 1] = tone(300, 1), tone(1200, 1), tone(2000, 1)
    path = write_wav(tmp_path / "many.wav", data)
    # in a subprocess: before the fix this was a segfault (rc 139) that would take pytest down with it
    result = run_cli("replay", str(path), "--fast", "--json", "--no-log", "--no-cues",
                     "--prospect-channel", str(n_channels - 1), timeout=120)
    assert result.returncode == 0, result.stderr
    assert f"has {n_channels} channels" in result.stdout  # the ignored channels are mentioned
    call = load_call(path, prospect_channel=n_channels - 1)
    assert abs(peak_hz(call.sides["rep"]) - 300) < 10
    assert abs(peak_hz(call.sides["prospect"]) - 2000) < 10


def test_a_thousand_channel_header_is_a_one_line_error(tmp_path):
    path = tmp_path / "k.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1000)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(np.zeros(1000 * 160, "<i2").tobytes())
    result = run_cli("replay", str(path), "--fast", "--json", "--no-log", timeout=60)
    assert result.returncode != 0
    assert "internal error" not in result.stderr
    assert "channels; livecue reads 1 to 64" in result.stderr
    assert result.stderr.count("\n") == 1


# --- item 4: NaN / Inf samples ------------------------------------------------------------


def test_nan_and_inf_samples_never_reach_the_vad(tmp_path):
    call = load_call(SAMPLE_CALL)
    speech = call.sides["prospect"].copy()
    spoiled = speech.copy()
    spoiled[::997] = np.nan
    spoiled[3 * RATE] = np.inf
    spoiled[3 * RATE + 5] = -np.inf
    path = write_float_wav(tmp_path / "nan.wav", np.stack([np.zeros_like(spoiled), spoiled]))
    with np.errstate(all="raise"):  # a RuntimeWarning's cause would raise here
        got = load_call(path)
    prospect = got.sides["prospect"]
    assert np.isfinite(prospect).all() and np.abs(prospect).max() <= 1.0
    events, _ = _gate(prospect)
    clean, _ = _gate(speech)
    assert len([e for e in clean if isinstance(e, SpeechStarted)]) >= 1
    # the speech around the bad samples is still heard, turn for turn
    assert len([e for e in events if isinstance(e, SpeechStarted)]) == len(
        [e for e in clean if isinstance(e, SpeechStarted)])


def _gate(audio):
    gate = SpeechGate("prospect", VadSettings(), SileroStream())
    events, kept = [], []
    for c in chunks("prospect", audio):
        out = gate.feed(c)
        events += out.events
        kept += out.audio
    out = gate.flush()
    return events + out.events, kept


# --- item 6: memory stays flat on long recordings ---------------------------------------------


def test_a_long_recording_is_decoded_as_it_plays_not_all_at_once(tmp_path):
    minutes = 10
    path = tmp_path / "long.wav"
    block = np.stack([tone(300, 60, amp=0.1), tone(1200, 60, amp=0.1)])
    pcm = (block * 32767).astype("<i2").T.tobytes()
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(RATE)
        for _ in range(minutes):
            w.writeframes(pcm)
    tracemalloc.start()
    try:
        source = FileSource(open_call(path), fast=True)
        source.start(AudioClock())
        samples = 0
        while not source.exhausted:
            samples += sum(len(c.samples) for c in source.read().audio if c.speaker == "rep")
        source.close()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert samples == minutes * 60 * RATE
    # the whole call as float32 would be 77 MB (and twice that while joined); a few blocks are < 8 MB
    assert peak < 8e6, f"peak {peak / 1e6:.0f} MB"


def test_seeking_back_in_a_streamed_recording_replays_the_same_audio(tmp_path):
    path = write_wav(tmp_path / "c.wav", np.stack([tone(300, 5), tone(1200, 5)]))
    clock = AudioClock()
    source = FileSource(open_call(path), fast=True)
    source.start(clock)
    first = list(source.read().audio)
    source.read()
    source.seek(-2.0)
    again = list(source.read().audio)
    assert again[0].t == first[0].t == 0.0
    assert np.array_equal(again[0].samples, first[0].samples)


# --- item 11: devices, cut-off files -------------------------------------------------------------


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null"])
def test_a_device_is_not_an_empty_file(device):
    with pytest.raises(LivecueError, match="is a device, not an audio file"):
        load_call(device)


def test_a_fifo_is_refused_without_hanging(tmp_path):
    import os

    fifo = tmp_path / "pipe.wav"
    os.mkfifo(fifo)
    result = run_cli("replay", str(fifo), "--fast", "--json", "--no-log", timeout=30)
    assert result.returncode != 0 and "is a pipe, not an audio file" in result.stderr


def test_a_cut_off_wav_plays_with_a_notice(tmp_path):
    whole = write_wav(tmp_path / "whole.wav", np.stack([tone(300, 6), tone(1200, 6)]))
    cut = tmp_path / "cut.wav"
    cut.write_bytes(whole.read_bytes()[: 44 + 2 * 2 * RATE * 2])  # the header still says 6 s; 2 s are there
    call = load_call(cut)
    assert call.duration == pytest.approx(2.0, abs=0.01)
    assert any("cut off" in n and "00:06.0" in n for n in call.notices)
    source = FileSource(open_call(cut), fast=True)
    source.start(AudioClock())
    events = []
    while not source.exhausted:
        events += source.read().events
    assert any(isinstance(e, Notice) and "cut off" in e.message for e in events)
    assert not any("cut off" in n for n in load_call(whole).notices)


def test_a_cut_off_flac_plays_with_a_notice(tmp_path):
    from audio_formats import write_audio

    rng = np.random.default_rng(1)
    whole = write_audio(tmp_path / "whole.flac", 0.2 * rng.standard_normal((2, 6 * 48000)), 48000)
    cut = tmp_path / "cut.flac"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    call = load_call(cut)
    assert 1.0 < call.duration < 5.0
    assert any("cut off" in n or "damaged or missing" in n for n in call.notices), call.notices
    assert not load_call(whole).notices


def test_live_capture_sanitises_what_the_driver_delivers():
    from livecue.audio.capture import SideCapture

    side = SideCapture("rep", 16000)
    side.restarted(16000)
    block = np.full(1600, 0.1, np.float32)
    block[10], block[20], block[30] = np.nan, np.inf, -np.inf
    side.push(block, 0.0)
    with np.errstate(all="raise"):
        chunks, _ = side.drain(1.0)
    samples = np.concatenate([c.samples for c in chunks])
    assert len(samples) and np.isfinite(samples).all() and np.abs(samples).max() <= 1.0


def test_a_header_with_no_audio_after_it_is_an_error_before_the_session(tmp_path):
    path = write_wav(tmp_path / "hollow.wav", np.zeros((2, 0), np.float32))
    with pytest.raises(LivecueError, match="contains no audio"):
        open_call(path)
