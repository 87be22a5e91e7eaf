"""The streaming resampler: block-size independence, accuracy, anti-aliasing."""

import numpy as np
import pytest

from livecue.audio.resample import StreamResampler


def sine(freq, rate, seconds, amp=0.5):
    t = np.arange(int(rate * seconds)) / rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def run_blocks(resampler, x, sizes):
    out, i, k = [], 0, 0
    while i < len(x):
        n = sizes[k % len(sizes)]
        out.append(resampler.process(x[i:i + n]))
        i += n
        k += 1
    out.append(resampler.flush())
    return np.concatenate(out)


@pytest.mark.parametrize("rate", [48000, 44100, 32000, 22050, 8000, 96000])
def test_any_block_sizes_give_the_same_output_as_one_block(rate):
    x = sine(440, rate, 1.0) + sine(3100, rate, 1.0, 0.2)
    r = StreamResampler(rate)
    whole = np.concatenate([r.process(x), r.flush()])
    blocks = run_blocks(StreamResampler(rate), x, [1, 7, 441, 1024, 3, 4800])
    assert len(blocks) == len(whole) == round(len(x) * 16000 / rate)
    assert np.array_equal(blocks, whole)


@pytest.mark.parametrize("rate", [48000, 44100, 8000])
def test_a_tone_keeps_its_amplitude_and_phase(rate):
    y = run_blocks(StreamResampler(rate), sine(440, rate, 2.0), [960])
    expected = sine(440, 16000, 2.0)
    middle = slice(1600, len(y) - 1600)  # away from the zero-padded edges
    assert np.max(np.abs(y[middle] - expected[middle])) < 1e-3


def test_frequencies_above_the_new_nyquist_are_removed():
    y = run_blocks(StreamResampler(48000), sine(10000, 48000, 1.0), [480])
    assert np.sqrt(np.mean(y[800:-800] ** 2)) < 0.005  # vs 0.35 rms going in


def test_16k_input_passes_through_unchanged():
    x = sine(440, 16000, 0.5)
    r = StreamResampler(16000)
    assert np.array_equal(np.concatenate([r.process(x[:100]), r.process(x[100:]), r.flush()]), x)


def test_output_waits_only_for_the_filter_look_ahead():
    r = StreamResampler(48000)
    first = r.process(np.zeros(4800, np.float32))  # 100 ms in
    assert abs(len(first) - (4800 - r.half_width) / 3) <= 1
    assert r.delay_s < 0.005


def test_bad_rates_are_refused():
    with pytest.raises(ValueError):
        StreamResampler(0)


def test_upsampling_a_constant_gives_a_constant():
    r = StreamResampler(16000, 48000)
    y = np.concatenate([r.process(np.full(1600, 0.5, np.float32)) for _ in range(5)])
    assert len(y) > 20000
    assert np.max(np.abs(y[200:] - 0.5)) < 1e-5
