"""One side of a live capture: a bounded buffer and a timeline stamped by the clock.

The audio callback (PortAudio's thread) only copies a block into a bounded
buffer together with the call time its first sample was captured
(``push``).  The reader (``drain``) places blocks on the side's timeline by
those stamps, not by counting samples, so a loopback that delivers nothing
while the call is silent, a device that stalls, or a gap left by dropped
audio never shifts later speech: gaps are filled with silence, and audio that
would overlap what was already emitted is trimmed.  The output is contiguous
16 kHz audio from call time 0, like a file source.

No sounddevice here: this is plain numpy, tested without a sound card.
"""

from __future__ import annotations

import threading
from collections import deque

import numpy as np

from ..audio_facts import SAMPLE_RATE_HZ
from ..config import CaptureSettings
from ..events import AudioChunk, ChannelStatus, Event, Notice
from .resample import StreamResampler
from .samples import finite_audio


class SideCapture:
    """Bounded buffer plus clock-stamped timeline for one speaker."""

    def __init__(self, speaker: str, native_rate: int, settings: CaptureSettings | None = None) -> None:
        self.speaker = speaker
        self.settings = settings or CaptureSettings()
        self._lock = threading.Lock()
        self._blocks: deque[tuple[float, np.ndarray]] = deque()
        self._buffered = 0  # native frames in _blocks
        self._dropped_frames = 0  # dropped by push() since the last drain, native frames
        self._overflows = 0  # overflow flags seen (callback), total
        self._reported_overflows = 0
        self._last_overflow_report: float | None = None
        self.last_push_t: float | None = None  # call time of the newest block's end
        self._set_rate(native_rate, start_t=0.0)
        self._out_samples = 0  # 16 kHz samples emitted: the side's timeline
        self._drift: float | None = None  # running mean of (stamp - timeline), seconds
        self.trimmed_s = 0.0  # audio trimmed because it overlapped the timeline
        self.filled_s = 0.0  # silence inserted for gaps and stalls

    # --- callback side -------------------------------------------------------

    def push(self, samples: np.ndarray, start_t: float) -> None:
        """Keep a copy of a block whose first sample was captured at call time ``start_t``.

        Cheap and bounded: when the reader falls behind by more than
        ``max_backlog_s``, the oldest blocks are dropped and counted.
        """
        block = finite_audio(np.array(samples, dtype=np.float32, copy=True).reshape(-1))
        limit = int(self.settings.max_backlog_s * self.native_rate)
        with self._lock:
            self._blocks.append((start_t, block))
            self._buffered += len(block)
            while self._buffered > limit and len(self._blocks) > 1:
                _, old = self._blocks.popleft()
                self._buffered -= len(old)
                self._dropped_frames += len(old)
            self.last_push_t = start_t + len(block) / self.native_rate

    def note_overflow(self) -> None:
        self._overflows += 1

    @property
    def pending_s(self) -> float:
        return self._buffered / self.native_rate

    # --- reader side ------------------------------------------------------------

    @property
    def t(self) -> float:
        """Call time up to which this side's audio has been emitted."""
        return self._out_samples / SAMPLE_RATE_HZ

    def restarted(self, native_rate: int) -> None:
        """A (re)opened stream: place its first block by its stamp; it may run at another rate."""
        self._drift = None
        if native_rate != self.native_rate:
            with self._lock:
                self._blocks.clear()
                self._buffered = 0
            self._set_rate(native_rate, start_t=self.t)

    def _set_rate(self, native_rate: int, start_t: float) -> None:
        self.native_rate = int(round(native_rate))
        self._resampler = StreamResampler(self.native_rate, SAMPLE_RATE_HZ)
        self._native_t0 = start_t  # call time of the resampler's first input sample
        self._native_in = 0  # native samples fed to the resampler since _native_t0
        self._flushed = False

    @property
    def _native_next_t(self) -> float:
        return self._native_t0 + self._native_in / self.native_rate

    def drain(self, now: float, until: float | None = None) -> tuple[list[AudioChunk], list[Event]]:
        """Place buffered blocks on the timeline; return new 16 kHz audio and status events.

        ``now`` is the capture clock's time.  ``until`` caps the timeline (``--duration``).
        """
        with self._lock:
            blocks = list(self._blocks)
            self._blocks.clear()
            self._buffered = 0
            dropped = self._dropped_frames
            self._dropped_frames = 0
        events = self._drop_events(now, dropped)
        events += self._overflow_events(now)
        pieces: list[np.ndarray] = []
        for start_t, block in blocks:
            pieces += self._place(start_t, block)
        if not blocks:
            stall_to = now - self.settings.stall_fill_s
            if until is not None:
                stall_to = min(stall_to, until)
            pieces += self._silence_to(stall_to)
        return self._emit(pieces, until), events

    def fill_to(self, t: float, until: float | None = None) -> list[AudioChunk]:
        """Extend the side with silence up to call time ``t`` (lost device, end of capture)."""
        if until is not None:
            t = min(t, until)
        return self._emit(self._silence_to(t), until)

    def flush(self, until: float | None = None) -> list[AudioChunk]:
        """End of capture: whatever the resampler still holds."""
        return self._emit([], until, final=True)

    def _place(self, start_t: float, block: np.ndarray) -> list[np.ndarray]:
        """Append a block where its stamp says, absorbing stamp jitter.

        A large offset is a real gap (fill) or overlap (trim) and is corrected
        at once.  Small offsets are jitter: only their running mean counts,
        corrected when it passes ``drift_tolerance_s`` (a stream's first block,
        or the device clock drifting from the capture clock).
        """
        s = self.settings
        offset = start_t - self._native_next_t
        if self._drift is None:
            self._drift = offset
        else:
            weight = min(1.0, len(block) / self.native_rate / s.drift_window_s)
            self._drift += (offset - self._drift) * weight
        if offset > s.gap_tolerance_s or offset < -s.overlap_tolerance_s:
            correction = offset
        elif abs(self._drift) > s.drift_tolerance_s:
            correction = self._drift
        else:
            correction = 0.0
        out: list[np.ndarray] = []
        if correction:
            self._drift = 0.0
        if correction > 0:
            out += self._silence_to(self._native_next_t + correction)
        elif correction < 0:
            cut = min(len(block), int(round(-correction * self.native_rate)))
            self.trimmed_s += cut / self.native_rate
            block = block[cut:]
        if len(block):
            out.append(block)
            self._native_in += len(block)
        return out

    def _silence_to(self, t: float) -> list[np.ndarray]:
        missing = int(round((t - self._native_next_t) * self.native_rate))
        if missing <= 0:
            return []
        self._native_in += missing
        self.filled_s += missing / self.native_rate
        return [np.zeros(missing, dtype=np.float32)]

    def _emit(self, pieces: list[np.ndarray], until: float | None, final: bool = False) -> list[AudioChunk]:
        if self._flushed:
            return []
        outs = [self._resampler.process(p) for p in pieces if len(p)]
        if final and not self._flushed:
            outs.append(self._resampler.flush())
            self._flushed = True
        samples = np.concatenate(outs) if outs else np.zeros(0, dtype=np.float32)
        if until is not None:
            room = int(round(until * SAMPLE_RATE_HZ)) - self._out_samples
            samples = samples[: max(0, room)]
        if not len(samples):
            return []
        chunk = AudioChunk(self.speaker, self._out_samples / SAMPLE_RATE_HZ, samples.astype(np.float32, copy=False))
        self._out_samples += len(samples)
        return [chunk]

    def _drop_events(self, now: float, dropped_frames: int) -> list[Event]:
        if not dropped_frames:
            return []
        seconds = dropped_frames / self.native_rate
        return [
            ChannelStatus(t=now, speaker=self.speaker, state="dropped",
                          detail=f"dropped {seconds:.1f} s of unread audio", overflows=self._overflows),
            Notice(t=now, level="warning",
                   message=f"{self.speaker}: transcription fell behind; dropped {seconds:.1f} s of audio"),
        ]

    def _overflow_events(self, now: float) -> list[Event]:
        count = self._overflows
        if count == self._reported_overflows:
            return []
        last = self._last_overflow_report
        if last is not None and now - last < self.settings.overflow_report_interval_s:
            return []
        events: list[Event] = []
        if self._reported_overflows == 0:
            events.append(Notice(t=now, level="warning",
                                 message=f"{self.speaker}: input overflow (audio lost by the device; "
                                         "is the machine overloaded?)"))
        self._reported_overflows = count
        self._last_overflow_report = now
        events.insert(0, ChannelStatus(t=now, speaker=self.speaker, state="overflow",
                                       detail=f"{count} input overflows", overflows=count))
        return events

    @property
    def overflows(self) -> int:
        return self._overflows
