"""Per-side speech gate: VAD probabilities -> speech start/end and gated audio.

Only audio inside speech (plus padding) goes on to the transcriber, so a
silent side costs one tiny VAD inference per 32 ms and no decoding.  The
state machine follows pipecat's quiet/starting/speaking/stopping analyser.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from ..config import VadSettings
from ..events import AudioChunk, Event, Level, SpeechEnded, SpeechStarted

RATE = 16000


class VoiceModel(Protocol):
    frame_samples: int

    def feed(self, samples: np.ndarray) -> list[float]: ...

    def reset(self) -> None: ...


@dataclass(frozen=True)
class SpeechEvidence:
    """How clearly the stretch being cut is speech (peaks so far); follows its audio."""

    peak_prob: float
    peak_db: float
    peak_snr_db: float
    clear: bool


@dataclass
class GateOutput:
    """What one chunk produced, in order: events and the audio to transcribe.

    Order matters: one block can end an utterance and start the next.
    """

    items: list = field(default_factory=list)  # Event | AudioChunk | SpeechEvidence

    def add(self, item) -> None:
        self.items.append(item)

    @property
    def events(self) -> list[Event]:
        return [i for i in self.items if isinstance(i, Event)]

    @property
    def audio(self) -> list[AudioChunk]:
        return [i for i in self.items if isinstance(i, AudioChunk)]


def rms_db(x: np.ndarray) -> float:
    if len(x) == 0:
        return -120.0
    rms = float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))
    return 20.0 * math.log10(rms) if rms > 1e-6 else -120.0


class SpeechGate:
    def __init__(self, speaker: str, settings: VadSettings, model: VoiceModel) -> None:
        self.speaker = speaker
        self.s = settings
        self.model = model
        self.frame = model.frame_samples
        self.frame_s = self.frame / RATE
        self._pad_frames = max(1, round(settings.speech_pad_ms / 1000 / self.frame_s))
        self._min_speech = max(1, round(settings.min_speech_ms / 1000 / self.frame_s))
        self._min_silence = max(1, round(settings.min_silence_ms / 1000 / self.frame_s))
        self._level_frames = max(1, round(settings.level_interval_ms / 1000 / self.frame_s))
        self.reset()

    def reset(self, t: float = 0.0) -> None:
        self.model.reset()
        self._next_t: float | None = None  # audio time of the next frame to classify
        self._pending = np.zeros(0, dtype=np.float32)
        self._history: list[np.ndarray] = []  # recent quiet frames, for the pre-roll
        self._candidate: list[np.ndarray] = []
        self._silence = 0
        self.speaking = False
        self._speech_start = 0.0
        self._last_speech_end = 0.0
        self._level_acc: list[np.ndarray] = []
        self._floor_db: float | None = None
        self.peak_prob = 0.0  # evidence of the utterance being cut now (or the last one)
        self.peak_db = -120.0
        self.peak_snr_db = 0.0

    @property
    def floor_db(self) -> float:
        """The side's noise floor: follows quiet frames down at once, rises slowly."""
        return -80.0 if self._floor_db is None else self._floor_db

    def _track_floor(self, db: float) -> None:
        if self._floor_db is None or db < self._floor_db:
            self._floor_db = max(db, -80.0)
        else:
            self._floor_db += 0.01  # about 0.3 dB a second

    def clear(self) -> bool:
        """Does the current (or last) stretch carry clear evidence of speech?"""
        s = self.s
        loud = self.peak_db >= s.clear_db or self.peak_snr_db >= s.clear_snr_db
        return self.peak_prob >= s.clear_prob or (self.peak_prob >= s.clear_min_prob and loud)

    def _evidence(self, p: float, db: float, reset: bool = False) -> None:
        if reset:
            self.peak_prob, self.peak_db, self.peak_snr_db = 0.0, -120.0, 0.0
        self.peak_prob = max(self.peak_prob, p)
        self.peak_db = max(self.peak_db, db)
        self.peak_snr_db = max(self.peak_snr_db, db - self.floor_db)

    def feed(self, chunk: AudioChunk) -> GateOutput:
        out = GateOutput()
        samples = np.asarray(chunk.samples, dtype=np.float32)
        if self._next_t is None or abs(chunk.t - (self._next_t + len(self._pending) / RATE)) > 0.05:
            # first chunk, or a jump (seek, dropped audio): restart cleanly
            if self.speaking:
                out.add(SpeechEnded(self._last_speech_end, self.speaker, self._speech_start))
            self.reset()
            self._next_t = chunk.t
        data = np.concatenate([self._pending, samples])
        probs = self.model.feed(samples)
        n = len(probs)
        self._pending = data[n * self.frame:]
        for i, p in enumerate(probs):
            frame = data[i * self.frame:(i + 1) * self.frame]
            t = self._next_t
            self._next_t = t + self.frame_s
            self._frame(frame, t, p, out)
        return out

    def _emit_audio(self, frames: list[np.ndarray], t: float, out: GateOutput) -> None:
        if frames:
            out.add(AudioChunk(self.speaker, t, np.concatenate(frames)))
            out.add(SpeechEvidence(self.peak_prob, self.peak_db, self.peak_snr_db, self.clear()))

    def _frame(self, frame: np.ndarray, t: float, p: float, out: GateOutput) -> None:
        s = self.s
        db = rms_db(frame)
        self._track_floor(db)
        loud = db >= s.loud_db and (p >= s.loud_threshold or db - self.floor_db >= s.loud_snr_db)
        self._level_acc.append(frame)
        if len(self._level_acc) >= self._level_frames:
            out.add(Level(t + self.frame_s, self.speaker, round(rms_db(np.concatenate(self._level_acc)), 1),
                                    self.speaking))
            self._level_acc = []
        if self.speaking:
            self._emit_audio([frame], t, out)
            if p < s.neg_threshold and not loud:
                self._silence += 1
                if self._silence >= self._min_silence:
                    self.speaking = False
                    out.add(SpeechEnded(self._last_speech_end, self.speaker, self._speech_start))
                    self._history = []
            else:
                self._silence = 0
                self._last_speech_end = t + self.frame_s
                self._evidence(p, db)
            return
        if p >= s.threshold or loud or (self._candidate and p >= s.neg_threshold):
            self._evidence(p, db, reset=not self._candidate)
            self._candidate.append(frame)
            if len(self._candidate) >= self._min_speech:
                self.speaking = True
                self._silence = 0
                start = t + self.frame_s - len(self._candidate) * self.frame_s
                pre = self._history[-self._pad_frames:]
                audio_t = start - len(pre) * self.frame_s
                self._speech_start = start
                self._last_speech_end = t + self.frame_s
                out.add(SpeechStarted(start, self.speaker))
                self._emit_audio(pre + self._candidate, audio_t, out)
                self._candidate = []
                self._history = []
            return
        if self._candidate:
            self._history.extend(self._candidate)
            self._candidate = []
        self._history.append(frame)
        if len(self._history) > self._pad_frames:
            del self._history[: len(self._history) - self._pad_frames]

    def flush(self) -> GateOutput:
        """End of input: close an open utterance."""
        out = GateOutput()
        if not self.speaking and len(self._candidate) >= 2:
            # the recording ends inside a word ("bye" cut off): keep it
            start = self._next_t - len(self._candidate) * self.frame_s
            self._speech_start, self._last_speech_end = start, self._next_t
            out.add(SpeechStarted(start, self.speaker))
            self._emit_audio(self._history[-self._pad_frames:] + self._candidate,
                             start - len(self._history[-self._pad_frames:]) * self.frame_s, out)
            self._candidate = []
            self.speaking = True
        if self.speaking:
            self.speaking = False
            out.add(SpeechEnded(self._last_speech_end, self.speaker, self._speech_start))
        return out
