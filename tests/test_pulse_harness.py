"""The live-capture tests place labels by ``delay_of``; a wrong delay fails them for nothing."""

from __future__ import annotations

import numpy as np
import pytest

from pulse_harness import delay_of


@pytest.mark.parametrize("shift_s", [-0.1, 0.0, 0.5, 3.5])
def test_delay_of_finds_the_call_early_or_late_in_the_recording(shift_s):
    rate = 16000
    rng = np.random.default_rng(7)
    original = np.concatenate([np.zeros(rate), rng.normal(0, 0.2, 6 * rate)]).astype(np.float32)
    k = int(round(abs(shift_s) * rate))
    # early: the recording starts part-way into the call; late: silence first
    recorded = original[k:] if shift_s < 0 else np.concatenate([np.zeros(k, np.float32), original])
    recorded = recorded + rng.normal(0, 0.01, len(recorded)).astype(np.float32)
    assert delay_of(recorded, original, rate=rate) == pytest.approx(shift_s, abs=1e-3)
