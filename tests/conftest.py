"""Shared fixtures: paths, the real model (loaded once), small audio writers."""

from __future__ import annotations

import os
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SAMPLE_CALL = ROOT / "samples" / "sample_call.flac"

needs_shared = pytest.mark.skipif(not (SHARED / "calls").is_dir(), reason="../shared is not beside the project")


def write_wav(path: Path, channels: np.ndarray, rate: int = 16000) -> Path:
    """channels: (n_channels, samples) float in -1..1."""
    data = np.atleast_2d(channels)
    pcm = (np.clip(data, -1, 1) * 32767).astype("<i2").T.copy()
    with wave.open(str(path), "wb") as w:
        w.setnchannels(data.shape[0])
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return path


def run_cli(*args: str, timeout: float = 300, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + full_env.get("PYTHONPATH", "")
    full_env.pop("LIVECUE_DEBUG", None)
    full_env.pop("LIVECUE_CONFIG", None)
    if env:
        full_env.update(env)
    return subprocess.run([sys.executable, "-m", "livecue", *args], capture_output=True, text=True,
                          timeout=timeout, env=full_env, stdin=subprocess.DEVNULL, cwd=str(ROOT))


@pytest.fixture(autouse=True, scope="session")
def _private_data_dir(tmp_path_factory):
    """Session logs written by tests go to a temporary data directory, never the user's."""
    os.environ["XDG_DATA_HOME"] = str(tmp_path_factory.mktemp("data"))
    os.environ["XDG_CONFIG_HOME"] = str(tmp_path_factory.mktemp("config"))


@pytest.fixture(scope="session")
def engine():
    from livecue.asr.whisper import load_engine
    from livecue.config import AsrSettings

    return load_engine(AsrSettings())
