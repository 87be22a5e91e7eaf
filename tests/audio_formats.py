"""Write test recordings in several containers with PyAV."""

from __future__ import annotations

from pathlib import Path

import numpy as np

CODECS = {"wav": ("wav", "pcm_s16le", "s16"), "flac": ("flac", "flac", "s16"), "mp3": ("mp3", "libmp3lame", "fltp"),
          "m4a": ("mp4", "aac", "fltp"), "ogg": ("ogg", "libopus", "flt")}


def write_audio(path: Path, channels: np.ndarray, rate: int) -> Path:
    import av

    fmt, codec, sample_fmt = CODECS[path.suffix.lstrip(".")]
    data = np.atleast_2d(channels).astype(np.float32)
    layout = "mono" if data.shape[0] == 1 else "stereo"
    if codec == "libopus":
        rate = 48000 if rate not in (8000, 12000, 16000, 24000, 48000) else rate
    with av.open(str(path), "w", format=fmt) as out:
        stream = out.add_stream(codec, rate=rate)
        stream.layout = layout
        block = 1024
        for i in range(0, data.shape[1], block):
            piece = data[:, i:i + block]
            if sample_fmt == "s16":
                arr = (np.clip(piece, -1, 1) * 32767).astype(np.int16).T.reshape(1, -1)
            elif sample_fmt == "flt":
                arr = piece.T.reshape(1, -1).copy()
            else:
                arr = piece.copy()
            frame = av.AudioFrame.from_ndarray(arr, format=sample_fmt, layout=layout)
            frame.sample_rate = rate
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path
