"""One of two modules that import onnxruntime (cues/embedding.py is the other): Silero VAD as a stream.

faster-whisper ships the Silero model (v6) as an ONNX file but only runs it
over whole files.  Here the LSTM state (``h``, ``c``) and the 64-sample
context are kept between calls, so each 32 ms frame costs one small
inference and the model is loaded once per channel.
"""

from __future__ import annotations

import os

import numpy as np

from ..errors import LivecueError, import_problem

FRAME = 512  # samples per frame at 16 kHz (32 ms)
CONTEXT = 64


def silero_model_path() -> str:
    try:
        from faster_whisper.utils import get_assets_path
    except ImportError as exc:
        raise LivecueError(import_problem("faster_whisper", "faster-whisper", exc), 3) from None
    path = os.path.join(get_assets_path(), "silero_vad_v6.onnx")
    if not os.path.isfile(path):
        raise LivecueError(f"{path}: the Silero v6 VAD model is missing; it ships with faster-whisper 1.2.1 "
                           "and later: pip install -U 'faster-whisper>=1.2.1'", 3)
    return path



_SESSION = None


def _session():
    """One InferenceSession shared by every stream (the state lives in the stream)."""
    global _SESSION
    if _SESSION is None:
        try:
            import onnxruntime
        except ImportError as exc:
            raise LivecueError(import_problem("onnxruntime", "onnxruntime", exc), 3) from None
        opts = onnxruntime.SessionOptions()
        opts.inter_op_num_threads = 1
        opts.intra_op_num_threads = 1
        opts.log_severity_level = 4
        _SESSION = onnxruntime.InferenceSession(
            silero_model_path(), providers=["CPUExecutionProvider"], sess_options=opts)
    return _SESSION


class SileroStream:
    """Speech probability per 512-sample frame, with state across calls."""

    frame_samples = FRAME

    def __init__(self) -> None:
        self.session = _session()
        self.reset()

    def reset(self) -> None:
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(CONTEXT, dtype=np.float32)
        self._pending = np.zeros(0, dtype=np.float32)

    def feed(self, samples: np.ndarray) -> list[float]:
        """Probabilities for every complete frame now available."""
        data = np.concatenate([self._pending, np.asarray(samples, dtype=np.float32)])
        n = len(data) // FRAME
        self._pending = data[n * FRAME:]
        if n == 0:
            return []
        frames = data[: n * FRAME].reshape(n, FRAME)
        # each row is a frame with the previous frame's last 64 samples in front;
        # the model runs the rows in order, carrying its LSTM state through them
        contexts = np.concatenate([self._context[None, :], frames[:-1, -CONTEXT:]], axis=0)
        batch = np.concatenate([contexts, frames], axis=1)
        out, self._h, self._c = self.session.run(None, {"input": batch, "h": self._h, "c": self._c})
        self._context = frames[-1, -CONTEXT:].copy()
        return [float(p) for p in np.asarray(out).reshape(n, -1)[:, 0]]
