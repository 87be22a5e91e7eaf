"""Fakes for the heavy stages: a VAD that hears energy, an engine that reads time.

The synthetic "speech" signal encodes its own audio time in its amplitude,
so the fake engine knows which scripted words a buffer covers without being
told where the buffer starts.
"""

from __future__ import annotations

import numpy as np

from livecue.asr.whisper import Hypothesis, RawWord
from livecue.events import AudioChunk

RATE = 16000


class EnergyVoice:
    frame_samples = 512

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._pending = np.zeros(0, dtype=np.float32)

    def feed(self, samples):
        data = np.concatenate([self._pending, np.asarray(samples, dtype=np.float32)])
        n = len(data) // 512
        self._pending = data[n * 512:]
        return [1.0 if np.abs(data[i * 512:(i + 1) * 512]).mean() > 0.01 else 0.0 for i in range(n)]


def speech_signal(t0: float, t1: float) -> np.ndarray:
    """'Speech' whose amplitude encodes absolute time: 0.1 + t/1000."""
    idx = np.arange(int(round(t0 * RATE)), int(round(t1 * RATE)))
    return (0.1 + idx / RATE / 1000.0).astype(np.float32)


def call_audio(duration: float, speech: list[tuple[float, float]]) -> np.ndarray:
    x = np.zeros(int(duration * RATE), dtype=np.float32)
    for a, b in speech:
        x[int(a * RATE):int(b * RATE)] = speech_signal(a, b)
    return x


def chunks(speaker: str, audio: np.ndarray, block_s: float = 0.1):
    n = int(block_s * RATE)
    for i in range(0, len(audio), n):
        yield AudioChunk(speaker, i / RATE, audio[i:i + n])


class ScriptedEngine:
    """Returns the scripted words that lie inside the decoded buffer.

    ``unstable_tail``: the last word of a hypothesis is misheard unless the
    buffer extends well past it, like a real streaming decoder.
    ``extra``: words appended to every hypothesis (a hallucinated loop).
    """

    label = "scripted"

    def __init__(self, words: list[tuple[str, float, float]], unstable_tail: bool = True, extra=()) -> None:
        self.words = words
        self.unstable_tail = unstable_tail
        self.extra = list(extra)
        self.calls: list[tuple[float, float]] = []  # call times each decode's new speech covered
        self.contexts: list = []  # the DecodeContext of each decode (None: no left context)

    def transcribe(self, audio, prompt="", beam_size=None, context=None, min_window_s=0.0):
        """``context``: the buffer's first ``context.seconds`` are earlier speech whose words are
        not returned again (as the adapter does with Whisper's forced prefix); times stay relative
        to the whole buffer."""
        skip = int(round(context.seconds * RATE)) if context is not None else 0
        self.contexts.append(context)
        speech = np.nonzero(np.abs(audio[skip:]) > 0.01)[0]
        if len(speech) == 0:
            return Hypothesis(())
        first = speech[0] + skip
        t0 = (float(audio[first]) - 0.1) * 1000.0 - first / RATE  # call time of the buffer's start
        t1 = t0 + len(audio) / RATE
        self.calls.append((round(t0 + skip / RATE, 3), round(t1, 3)))
        out = []
        for text, a, b in self.words:
            if a >= t0 + skip / RATE - 0.01 and b <= t1 + 0.01:
                word = text
                if self.unstable_tail and b > t1 - 0.3:
                    word = text + "?garbled"
                out.append(RawWord(" " + word, a - t0, b - t0, 0.9))
        for text in self.extra:
            last = out[-1].end if out else 0.0
            out.append(RawWord(" " + text, last, last + 0.1, 0.5))
        return Hypothesis(tuple(out))
