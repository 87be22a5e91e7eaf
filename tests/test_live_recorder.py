"""``--record``: a stereo WAV written as the call goes, valid even if livecue dies."""

import wave

import numpy as np

from livecue.audio.recorder import CallRecorder
from livecue.events import AudioChunk


def frames_of(path):
    with wave.open(str(path)) as w:
        assert (w.getnchannels(), w.getframerate(), w.getsampwidth()) == (2, 16000, 2)
        return np.frombuffer(w.readframes(w.getnframes()), "<i2").reshape(-1, 2) / 32767.0


def test_sides_are_interleaved_as_both_arrive_rep_left_prospect_right(tmp_path):
    path = tmp_path / "call.wav"
    rec = CallRecorder(path)
    rec.write(AudioChunk("rep", 0.0, np.full(1600, 0.25, np.float32)))
    assert rec.frames == 0  # the prospect side has not covered that time yet
    rec.write(AudioChunk("prospect", 0.0, np.full(800, -0.5, np.float32)))
    rec.write(AudioChunk("prospect", 0.05, np.full(1600, -0.5, np.float32)))
    assert rec.frames == 1600
    # not closed: what is on disk is already a valid WAV with every frame written
    data = frames_of(path)
    assert data.shape == (1600, 2)
    assert np.allclose(data[:, 0], 0.25, atol=1e-4) and np.allclose(data[:, 1], -0.5, atol=1e-4)
    rec.close()
    data = frames_of(path)
    assert data.shape == (2400, 2)  # the rep side padded with silence to the longer side
    assert np.allclose(data[1600:, 0], 0.0) and np.allclose(data[1600:, 1], -0.5, atol=1e-4)


def test_an_empty_recording_is_still_a_valid_wav(tmp_path):
    rec = CallRecorder(tmp_path / "empty.wav")
    assert frames_of(tmp_path / "empty.wav").shape == (0, 2)
    rec.close()
    assert frames_of(tmp_path / "empty.wav").shape == (0, 2)


def test_loud_audio_is_clipped_not_wrapped(tmp_path):
    rec = CallRecorder(tmp_path / "loud.wav")
    rec.write(AudioChunk("rep", 0.0, np.array([1.5, -1.5], np.float32)))
    rec.write(AudioChunk("prospect", 0.0, np.array([0.0, 0.0], np.float32)))
    rec.close()
    data = frames_of(tmp_path / "loud.wav")
    assert data[0, 0] > 0.99 and data[1, 0] < -0.99


# --- issue 10, item 3: private, no links, no overwrite, a full disk stops only the recording ---------

import errno
import os
import stat

import pytest

from livecue.errors import LivecueError


def test_the_recording_is_created_0600_whatever_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        rec = CallRecorder(tmp_path / "call.wav")
        rec.close()
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "call.wav").stat().st_mode) == 0o600


def test_a_symlink_at_the_recording_path_is_refused_and_its_target_kept(tmp_path):
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    (tmp_path / "call.wav").symlink_to(target)
    with pytest.raises(LivecueError, match="is a symbolic link"):
        CallRecorder(tmp_path / "call.wav")
    assert target.read_text() == "keep me"


@pytest.mark.parametrize("content", [b"notes about the customer", b"RIFF\x00\x00\x00\x00WAVE"])
def test_an_existing_file_is_never_replaced_by_a_recording(tmp_path, content):
    path = tmp_path / "call.wav"
    path.write_bytes(content)
    with pytest.raises(LivecueError, match="exists; not overwriting it with the recording"):
        CallRecorder(path)
    assert path.read_bytes() == content


class FullDisk:
    """A file object whose writes fail like a full disk once ``budget`` bytes are written."""

    def __init__(self, real, budget):
        self.real, self.budget = real, budget

    def write(self, data):
        if len(data) > self.budget:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.budget -= len(data)
        return self.real.write(data)

    def __getattr__(self, name):
        return getattr(self.real, name)


def test_a_full_disk_stops_the_recording_but_not_the_live_source(tmp_path):
    from fake_sounddevice import FakeSoundDevice, device

    from livecue.audio.devices import DeviceSource, list_input_devices, plan_capture
    from livecue.clock import ManualClock
    from livecue.events import Notice

    sd = FakeSoundDevice([device(0, "Mic", 1, 48000.0, default=True), device(1, "Loop", 2, 44100.0)])
    plans = plan_capture(list_input_devices(sd), rep_device="mic", prospect_device="loop")
    source = DeviceSource(plans, sd=sd, record_path=tmp_path / "call.wav")
    rec = source.recorder
    rec._wav._file = FullDisk(rec._wav._file, 16000 * 4)  # room for about one second of stereo frames
    clock = ManualClock()
    source.start(clock)
    items = []
    for _ in range(60):  # three seconds of both sides
        clock.advance(0.05)
        for dev, value in ((0, 0.2), (1, 0.4)):
            stream = sd.live(dev)
            if stream is not None and stream.active:
                stream.deliver(clock.now(), 0.05, [value])
        read = source.read(0.0)
        items += [*read.events, *read.audio]
    notices = [x.message for x in items if isinstance(x, Notice)]
    assert any("No space left on device" in m and "recording stopped" in m and "coaching goes on" in m
               for m in notices), notices
    assert not source.exhausted
    later = [x for x in items if isinstance(x, AudioChunk) and x.t > 2.0]
    assert later  # audio keeps flowing to the coach after the disk filled up
    source.close()
    assert frames_of(tmp_path / "call.wav").shape[0] > 0  # what was written before the failure is a valid WAV
