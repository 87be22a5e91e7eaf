"""Audio from files: formats, resampling, channel mapping, pacing."""

import numpy as np
import pytest

from livecue.audio.files import FileSource, decode_file, load_call
from livecue.clock import AudioClock, ManualClock
from livecue.errors import LivecueError
from livecue.events import Notice, Progress

from audio_formats import write_audio
from conftest import write_wav


def tone(freq, seconds, rate):
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def peak_hz(x, rate=16000):
    spectrum = np.abs(np.fft.rfft(x))
    return np.argmax(spectrum) * rate / len(x)


@pytest.mark.parametrize("ext,rate", [("wav", 44100), ("flac", 48000), ("mp3", 22050), ("m4a", 44100),
                                      ("ogg", 48000), ("wav", 8000)])
def test_any_format_and_rate_is_resampled_to_16k_with_channels_kept(tmp_path, ext, rate):
    path = write_audio(tmp_path / f"call.{ext}", np.stack([tone(440, 2.0, rate), tone(1000, 2.0, rate)]), rate)
    audio = decode_file(path)
    assert audio.shape[0] == 2
    assert abs(audio.shape[1] / 16000 - 2.0) < 0.1
    mid = audio[:, 4000:28000]
    assert abs(peak_hz(mid[0]) - 440) < 10
    assert abs(peak_hz(mid[1]) - 1000) < 10


def test_stereo_maps_channel_0_to_rep_and_1_to_prospect_by_default(tmp_path):
    path = write_wav(tmp_path / "c.wav", np.stack([tone(300, 1, 16000), tone(1200, 1, 16000)]))
    call = load_call(path)
    assert call.speakers == ("rep", "prospect")
    assert abs(peak_hz(call.sides["rep"]) - 300) < 10
    assert abs(peak_hz(call.sides["prospect"]) - 1200) < 10
    swapped = load_call(path, rep_channel=1, prospect_channel=0)
    assert abs(peak_hz(swapped.sides["rep"]) - 1200) < 10


def test_four_channel_file_picks_the_named_channels(tmp_path):
    path = write_wav(tmp_path / "c.wav", np.stack([tone(f, 1, 16000) for f in (200, 400, 800, 1600)]))
    call = load_call(path, rep_channel=3, prospect_channel=1)
    assert abs(peak_hz(call.sides["rep"]) - 1600) < 10
    assert abs(peak_hz(call.sides["prospect"]) - 400) < 10


def test_mono_is_one_call_side_with_a_notice(tmp_path):
    call = load_call(write_wav(tmp_path / "m.wav", tone(500, 1, 16000)[None, :]))
    assert call.speakers == ("call",)
    assert call.notices and "limited" in call.notices[0]


def test_two_mono_files_make_two_sides_padded_to_the_longer(tmp_path):
    rep = write_wav(tmp_path / "r.wav", tone(300, 1.0, 16000)[None, :])
    pro = write_audio(tmp_path / "p.flac", tone(900, 1.5, 44100)[None, :], 44100)
    call = load_call(rep=rep, prospect=pro)
    assert call.speakers == ("rep", "prospect")
    assert len(call.sides["rep"]) == len(call.sides["prospect"])
    assert abs(call.duration - 1.5) < 0.05


BAD_FILES = {
    "missing.wav": (None, "no such file"),
    "empty.wav": (b"", "empty file"),
    "junk.wav": (b"RIFF\x00\x00garbage" * 50, "not a readable audio"),
    "notes.txt": (b"hello there\n" * 100, "no audio stream"),
}


@pytest.mark.parametrize("name", BAD_FILES)
def test_bad_files_raise_one_line_errors(tmp_path, name):
    content, message = BAD_FILES[name]
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(LivecueError) as err:
        load_call(path)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_a_channel_the_file_does_not_have_is_an_error(tmp_path):
    path = write_wav(tmp_path / "c.wav", np.stack([tone(300, 1, 16000), tone(1200, 1, 16000)]))
    with pytest.raises(LivecueError, match="has 2 channels; --prospect-channel 5 is out of range"):
        load_call(path, prospect_channel=5)
    mono = write_wav(tmp_path / "m.wav", tone(300, 1, 16000)[None, :])
    with pytest.raises(LivecueError, match="has 1 channel"):
        load_call(mono, prospect_channel=1)


def test_fast_source_runs_on_audio_time(tmp_path):
    path = write_wav(tmp_path / "c.wav", np.stack([tone(300, 3.5, 16000), tone(1200, 3.5, 16000)]))
    clock = AudioClock()
    src = FileSource(load_call(path), fast=True)
    src.start(clock)
    audio, events = [], []
    while not src.exhausted:
        read = src.read()
        audio += read.audio
        events += read.events
    assert sum(len(c.samples) for c in audio if c.speaker == "rep") == int(3.5 * 16000)
    assert clock.now() == pytest.approx(3.5)
    assert [c.t for c in audio if c.speaker == "rep"] == sorted(c.t for c in audio if c.speaker == "rep")
    assert isinstance(events[-1], Progress)


def test_paced_source_hands_out_only_what_the_clock_allows(tmp_path):
    path = write_wav(tmp_path / "c.wav", np.stack([tone(300, 3, 16000), tone(1200, 3, 16000)]))
    clock = ManualClock()
    src = FileSource(load_call(path), fast=False)
    src.start(clock)
    clock.set(1.0)
    first = list(src.read(0.0).audio)
    assert sum(len(c.samples) for c in first if c.speaker == "rep") <= 16000 + 1600
    clock.set(1.0)
    assert list(src.read(0.0).audio) == []
    src.seek(1.0)
    assert clock.now() == pytest.approx(2.0, abs=0.11)
    assert any(isinstance(e, Notice) for e in src.read(0.0).events)
