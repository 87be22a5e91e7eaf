"""Sample hygiene at the source boundary: the VAD and the model only ever see finite audio in [-1, 1].

One NaN inside Silero's recurrent state silences a side until it resets, and
Inf makes numpy warn; a float WAV or a misbehaving driver can deliver both.
"""

from __future__ import annotations

import numpy as np


def finite_audio(samples: np.ndarray) -> np.ndarray:
    """NaN -> 0, +-Inf -> +-1, then clip to [-1, 1] (float32; in place when the array allows)."""
    samples = np.asarray(samples, dtype=np.float32)
    if not np.isfinite(samples).all():
        samples = np.nan_to_num(samples, nan=0.0, posinf=1.0, neginf=-1.0)
    return np.clip(samples, -1.0, 1.0, out=samples if samples.flags.writeable else None)
