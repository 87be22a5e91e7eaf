"""Streaming resampling of a device's native rate to livecue's 16 kHz.

Microphones often refuse to open at 16 kHz, so live capture opens them at
their native rate and converts here, block by block as the audio arrives.
A polyphase windowed-sinc filter (numpy only) keeps its input history between
blocks, so feeding a signal in any block sizes gives the same samples as
feeding it whole: no clicks or phase jumps at block edges.  Output sample
``k`` is the signal at input time ``k / out_rate``: the filter adds latency
(it waits for ``half_width`` input samples of look-ahead) but no time shift.
"""

from __future__ import annotations

from math import gcd

import numpy as np

from ..audio_facts import SAMPLE_RATE_HZ



class StreamResampler:
    """Converts float32 mono blocks from ``in_rate`` to ``out_rate``, keeping state."""

    def __init__(self, in_rate: int, out_rate: int = SAMPLE_RATE_HZ, zero_crossings: int = 16,
                 rolloff: float = 0.94) -> None:
        in_rate, out_rate = int(round(in_rate)), int(round(out_rate))
        if in_rate <= 0 or out_rate <= 0:
            raise ValueError("sample rates must be positive")
        self.in_rate = in_rate
        self.out_rate = out_rate
        g = gcd(in_rate, out_rate)
        self.up = out_rate // g  # L: output phases per input step
        self.down = in_rate // g  # M: input samples per L outputs
        self.passthrough = in_rate == out_rate
        # cutoff as a fraction of the input Nyquist: below the lower Nyquist
        ratio = min(1.0, out_rate / in_rate)
        cutoff = ratio * rolloff
        # kernel half width in input samples
        self.half_width = int(np.ceil(zero_crossings / cutoff))
        self._bank = self._make_bank(cutoff, zero_crossings)
        self._history = np.zeros(self.half_width, dtype=np.float32)  # past input kept for the taps
        self._base = -self.half_width  # input index of _history[0]
        self._next_out = 0  # index of the next output sample
        self._flushed = False

    def _make_bank(self, cutoff: float, zero_crossings: int) -> np.ndarray:
        """Filter taps for each of the ``up`` output phases: bank[phase, tap]."""
        taps = np.arange(-self.half_width + 1, self.half_width + 1)  # input offsets around floor(x)
        phases = np.arange(self.up) / self.up  # fractional input position of each phase
        x = taps[None, :] - phases[:, None]  # distance (input samples) from the output position
        window_x = np.clip(x * cutoff / zero_crossings, -1.0, 1.0)
        window = 0.5 * (1.0 + np.cos(np.pi * window_x))  # Hann over +-zero_crossings
        bank = cutoff * np.sinc(cutoff * x) * window
        bank /= bank.sum(axis=1, keepdims=True)  # every phase passes DC at gain 1: no ripple at the output rate
        return bank.astype(np.float32)

    def process(self, block: np.ndarray) -> np.ndarray:
        """Feed input samples; return every output sample whose look-ahead is now available."""
        block = np.asarray(block, dtype=np.float32).reshape(-1)
        if self.passthrough:
            self._next_out += len(block)
            return block.copy()
        if self._flushed:
            raise RuntimeError("resampler already flushed")
        buf = np.concatenate([self._history, block]) if len(block) else self._history
        available_end = self._base + len(buf)  # one past the last input index we hold
        # output k sits at input position k*down/up; it needs inputs up to floor(pos)+half_width
        last_k = ((available_end - self.half_width) * self.up - 1) // self.down
        out = self._compute(buf, self._next_out, last_k + 1)
        self._next_out = max(self._next_out, last_k + 1)
        # keep what the next outputs still need
        first_needed = (self._next_out * self.down) // self.up - self.half_width + 1
        drop = max(0, first_needed - self._base)
        drop = min(drop, len(buf))
        self._history = buf[drop:]
        self._base += drop
        return out

    def flush(self) -> np.ndarray:
        """End of stream: pad with silence and return the remaining outputs."""
        if self.passthrough:
            return np.zeros(0, dtype=np.float32)
        consumed_in = self._base + len(self._history)
        total_out = -(-consumed_in * self.up // self.down)  # ceil: outputs inside the input span
        pad = np.zeros(self.half_width, dtype=np.float32)
        out = self.process(pad)
        self._flushed = True
        keep = max(0, total_out - (self._next_out - len(out)))
        return out[:keep]

    def _compute(self, buf: np.ndarray, k0: int, k1: int) -> np.ndarray:
        if k1 <= k0:
            return np.zeros(0, dtype=np.float32)
        k = np.arange(k0, k1, dtype=np.int64)
        num = k * self.down
        base_idx = num // self.up  # floor of the input position
        phase = num % self.up
        offsets = np.arange(-self.half_width + 1, self.half_width + 1, dtype=np.int64)
        idx = (base_idx - self._base)[:, None] + offsets[None, :]
        frames = buf[idx]
        return np.einsum("ij,ij->i", frames, self._bank[phase]).astype(np.float32)

    @property
    def delay_s(self) -> float:
        """How much input the filter waits for before an output sample is ready."""
        return 0.0 if self.passthrough else self.half_width / self.in_rate
