"""The speech gate with the real Silero model (streaming, state kept) and a fake one."""

import numpy as np
import pytest

from livecue.audio.files import load_call
from livecue.config import VadSettings
from livecue.events import AudioChunk, Level, SpeechEnded, SpeechStarted
from livecue.vad.gate import SpeechGate
from livecue.vad.silero import SileroStream

from conftest import SAMPLE_CALL
from fakes import EnergyVoice, call_audio, chunks

RATE = 16000


def gate_events(gate, audio, speaker="rep"):
    events, kept = [], []
    for c in chunks(speaker, audio):
        out = gate.feed(c)
        events += out.events
        kept += out.audio
    out = gate.flush()
    return events + out.events, kept


@pytest.mark.parametrize("kind", ["silence", "tone", "noise", "hum"])
def test_silero_hears_no_speech_in_synthetic_sounds(kind):
    t = np.arange(5 * RATE) / RATE
    rng = np.random.default_rng(0)
    audio = {
        "silence": np.zeros_like(t),
        "tone": 0.3 * np.sin(2 * np.pi * 440 * t),
        "noise": 0.05 * rng.standard_normal(len(t)),
        "hum": 0.2 * np.sin(2 * np.pi * 50 * t) + 0.01 * rng.standard_normal(len(t)),
    }[kind].astype(np.float32)
    events, kept = gate_events(SpeechGate("rep", VadSettings(), SileroStream()), audio)
    assert not any(isinstance(e, SpeechStarted) for e in events)
    assert kept == []
    assert any(isinstance(e, Level) for e in events)


def test_silero_finds_speech_turns_on_each_side_of_a_real_call():
    call = load_call(SAMPLE_CALL)
    for side, expected_turns in (("rep", 2), ("prospect", 2)):
        events, kept = gate_events(SpeechGate(side, VadSettings(), SileroStream()), call.sides[side], side)
        starts = [e for e in events if isinstance(e, SpeechStarted)]
        ends = [e for e in events if isinstance(e, SpeechEnded)]
        assert len(starts) == len(ends) >= expected_turns
        assert all(e.t > s.t for s, e in zip(starts, ends))
        kept_s = sum(len(c.samples) for c in kept) / RATE
        assert kept_s < 0.8 * call.duration  # silence is not passed on


def test_stream_state_matches_one_pass():
    """Feeding in odd-sized pieces gives the same probabilities as one call."""
    call = load_call(SAMPLE_CALL)
    x = call.sides["prospect"][: 8 * RATE]
    whole = SileroStream().feed(x)
    s = SileroStream()
    pieces = []
    for i in range(0, len(x), 700):
        pieces += s.feed(x[i:i + 700])
    assert len(pieces) == len(whole)
    assert np.allclose(pieces, whole, atol=1e-5)


def test_gate_pads_speech_and_ignores_clicks():
    settings = VadSettings(min_speech_ms=160, speech_pad_ms=200, min_silence_ms=400)
    audio = call_audio(5.0, [(1.0, 1.05), (2.0, 3.0)])  # a 50 ms click, then a second of speech
    events, kept = gate_events(SpeechGate("rep", settings, EnergyVoice()), audio)
    starts = [e for e in events if isinstance(e, SpeechStarted)]
    assert len(starts) == 1 and abs(starts[0].t - 2.0) < 0.05
    assert abs(kept[0].t - (2.0 - 0.2)) < 0.05  # pre-roll kept
    end = [e for e in events if isinstance(e, SpeechEnded)][0]
    assert abs(end.t - 3.0) < 0.05 and abs(end.start - starts[0].t) < 1e-9
