"""``replay --play``: the player follows the session clock (pause, seek, resampling)."""

import numpy as np

from livecue.audio.playback import CallPlayer
from livecue.clock import ManualClock

from fake_sounddevice import FakeSoundDevice, device


def ramp_call(seconds=3.0):
    n = int(16000 * seconds)
    return {"rep": np.linspace(0, 1, n, dtype=np.float32), "prospect": -np.linspace(0, 1, n, dtype=np.float32)}


def make_player(rates=(16000.0, 48000.0), **kwargs):
    sd = FakeSoundDevice([device(0, "Speakers", 0, 48000.0)])
    sd.output_rates = rates
    sd.query_devices = lambda dev=None, kind=None: {"default_samplerate": 48000.0}
    clock = ManualClock()
    return CallPlayer(ramp_call(), clock, sd=sd, **kwargs), clock


def test_rep_left_prospect_right_at_the_clocks_position():
    player, clock = make_player()
    clock.set(1.0)
    out = player.stream.pull(1600)
    assert abs(out[0, 0] - 1.0 / 3.0) < 1e-3 and abs(out[0, 1] + 1.0 / 3.0) < 1e-3
    clock.advance(0.1)
    nxt = player.stream.pull(1600)
    assert np.allclose(nxt[0], out[-1] + [1 / 48000, -1 / 48000], atol=1e-4)  # continuous


def test_silent_before_the_clock_starts_and_while_it_is_paused():
    player, clock = make_player()
    assert not player.stream.pull(1600).any()  # clock at 0: not started
    clock.set(1.0)
    player.stream.pull(1600)
    assert not player.stream.pull(1600).any()  # clock did not move: paused
    clock.advance(0.1)
    assert player.stream.pull(1600).any()


def test_a_seek_jumps_the_audio_with_the_clock():
    player, clock = make_player()
    clock.set(0.5)
    player.stream.pull(1600)
    clock.set(2.5)  # seek forward 2 s
    out = player.stream.pull(1600)
    assert abs(out[0, 0] - 2.5 / 3.0) < 1e-3


def test_an_output_that_refuses_16k_gets_the_call_resampled():
    player, clock = make_player(rates=(48000.0,))
    assert player.rate == 48000
    clock.set(1.0)
    out = np.concatenate([player.stream.pull(4800) for _ in range(3) if not clock.advance(0.1)])
    left = out[200:, 0]
    # a rising ramp, continuous across buffers: 1 s of the call per 48000 output samples
    steps = np.diff(left)
    assert np.all(steps > 0) and abs(np.median(steps) - 1 / (3 * 48000)) < 1e-6
