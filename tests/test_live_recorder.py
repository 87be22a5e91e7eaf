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
