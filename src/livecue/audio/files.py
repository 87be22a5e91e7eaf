"""Recorded calls as a source: decode, map channels to sides, pace.

Anything PyAV decodes (wav, flac, mp3, m4a, ogg, ...) at any rate is
resampled to 16 kHz.  A stereo file maps channel 0 to the rep and channel 1
to the prospect; two mono files can be given instead; a mono recording is one
``call`` side.  The source hands out audio only as far as the clock allows,
so replay behaves like a live call (or runs on audio time with ``--fast``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import LivecueError, import_problem
from ..events import AudioChunk, Event, Notice, Progress

RATE = 16000


def decode_file(path: Path) -> np.ndarray:
    """All channels of ``path`` as float32 (channels, samples) at 16 kHz."""
    path = Path(path)
    if not path.exists():
        raise LivecueError(f"{path}: no such file")
    if path.is_dir():
        raise LivecueError(f"{path}: is a directory, not an audio file")
    try:
        size = path.stat().st_size
        with open(path, "rb"):
            pass
    except OSError as exc:
        raise LivecueError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if size == 0:
        raise LivecueError(f"{path}: empty file")
    try:
        import av
    except ImportError as exc:
        raise LivecueError(import_problem("av", "av", exc)) from None
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except Exception as exc:  # noqa: BLE001 - PyAV raises many types for bad input
        raise LivecueError(f"{path}: not a readable audio file ({_first_line(exc)})") from None
    try:
        streams = container.streams.audio
        if not streams:
            raise LivecueError(f"{path}: no audio stream in this file")
        stream = streams[0]
        channels = stream.codec_context.channels or 1
        layout = stream.codec_context.layout.name if stream.codec_context.layout else None
        resampler = av.AudioResampler(format="fltp", layout=layout, rate=RATE)
        pieces: list[np.ndarray] = []
        try:
            for frame in container.decode(stream):
                frame.pts = None
                for out in resampler.resample(frame):
                    pieces.append(out.to_ndarray())
            for out in resampler.resample(None):
                pieces.append(out.to_ndarray())
        except LivecueError:
            raise
        except Exception as exc:  # noqa: BLE001
            if not pieces:
                raise LivecueError(f"{path}: cannot decode audio ({_first_line(exc)})") from None
            # a truncated file: keep what decoded
    finally:
        container.close()
    if not pieces:
        raise LivecueError(f"{path}: contains no audio")
    audio = np.concatenate(pieces, axis=1).astype(np.float32, copy=False)
    if audio.shape[0] != channels and audio.shape[0] == 1:
        channels = 1
    if audio.shape[1] == 0:
        raise LivecueError(f"{path}: contains no audio")
    return audio


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


@dataclass(frozen=True)
class CallAudio:
    """Decoded sides of a call: speaker -> 16 kHz mono samples."""

    sides: dict
    description: str
    notices: tuple[str, ...] = ()

    @property
    def speakers(self) -> tuple[str, ...]:
        return tuple(self.sides)

    @property
    def duration(self) -> float:
        return max(len(x) for x in self.sides.values()) / RATE


def _channel(audio: np.ndarray, index: int, path: Path, option: str) -> np.ndarray:
    n = audio.shape[0]
    if index < 0 or index >= n:
        raise LivecueError(f"{path}: has {n} channel{'s' if n != 1 else ''}; {option} {index} is out of range")
    return audio[index]


def load_call(path: Path | None = None, *, rep: Path | None = None, prospect: Path | None = None,
              rep_channel: int | None = None, prospect_channel: int | None = None) -> CallAudio:
    """Map a recording (or two) onto the call's sides."""
    if path is not None and (rep or prospect):
        raise LivecueError("give either one recording or --rep FILE --prospect FILE, not both")
    if path is None:
        if not (rep and prospect):
            raise LivecueError("two mono files need both --rep FILE and --prospect FILE")
        r, p = decode_file(rep), decode_file(prospect)
        notices = []
        if r.shape[0] > 1 or p.shape[0] > 1:
            notices.append("a --rep/--prospect file has several channels: they are mixed to mono")
        sides = {"rep": r.mean(axis=0), "prospect": p.mean(axis=0)}
        n = max(len(v) for v in sides.values())
        sides = {k: np.pad(v, (0, n - len(v))).astype(np.float32) for k, v in sides.items()}
        return CallAudio(sides, f"{rep} + {prospect}", tuple(notices))
    audio = decode_file(path)
    if audio.shape[0] == 1:
        if rep_channel not in (None, 0) or prospect_channel is not None:
            option = "--prospect-channel" if prospect_channel is not None else "--rep-channel"
            value = prospect_channel if prospect_channel is not None else rep_channel
            raise LivecueError(f"{path}: has 1 channel; {option} {value} is out of range")
        return CallAudio({"call": audio[0]}, str(path), (
            "mono recording: both sides are transcribed as one 'call' channel, so cues that need "
            "to know who spoke (reset, second effort, talk share) are limited",))
    rc = 0 if rep_channel is None else rep_channel
    pc = 1 if prospect_channel is None else prospect_channel
    if rc == pc:
        raise LivecueError("--rep-channel and --prospect-channel must differ")
    sides = {"rep": _channel(audio, rc, path, "--rep-channel"),
             "prospect": _channel(audio, pc, path, "--prospect-channel")}
    return CallAudio(sides, str(path))


class FileSource:
    """Hands out a recorded call in blocks as the clock allows."""

    def __init__(self, call: CallAudio, fast: bool = False, block_s: float | None = None) -> None:
        self.call = call
        self.fast = fast
        self.block = int(RATE * (block_s or (1.0 if fast else 0.1)))
        self.speakers = call.speakers
        self.description = call.description
        self.duration = call.duration
        self._n = max(len(x) for x in call.sides.values())
        self._pos = 0
        self._clock = None
        self._next_progress = 0.0
        self._pending: list[Event] = []

    @property
    def exhausted(self) -> bool:
        return self._pos >= self._n

    def start(self, clock) -> None:
        self._clock = clock
        self._pending = [Notice(0.0, "warning", n) for n in self.call.notices]

    def read(self, timeout_s: float = 0.1, stop=None) -> list[AudioChunk | Event]:
        out: list[AudioChunk | Event] = list(self._pending)
        self._pending = []
        if self.exhausted:
            return out
        clock = self._clock
        if self.fast:
            end = min(self._n, self._pos + self.block)
            clock.advance_to(end / RATE)
        else:
            target = min(self._n, self._pos + self.block)
            deadline = min(target / RATE, clock.now() + timeout_s)
            clock.sleep_until(deadline, stop)
            available = int(clock.now() * RATE)
            if available < target:
                return out
            end = min(self._n, max(target, available // self.block * self.block))
        t = self._pos / RATE
        for speaker, samples in self.call.sides.items():
            piece = samples[self._pos:end]
            if len(piece) < end - self._pos:
                piece = np.pad(piece, (0, end - self._pos - len(piece)))
            out.append(AudioChunk(speaker, t, piece))
        self._pos = end
        if end / RATE >= self._next_progress or self.exhausted:
            out.append(Progress(end / RATE, self.duration))
            self._next_progress = end / RATE + 1.0
        return out

    # --- replay controls (overlay keys) ----------------------------------------

    def pause(self) -> None:
        if hasattr(self._clock, "pause"):
            self._clock.pause()

    def resume(self) -> None:
        if hasattr(self._clock, "resume"):
            self._clock.resume()

    @property
    def paused(self) -> bool:
        return bool(getattr(self._clock, "paused", False))

    def seek(self, delta_s: float) -> float:
        """Jump by ``delta_s`` seconds of audio; returns the new position."""
        pos = min(max(0, self._pos + int(delta_s * RATE)), self._n)
        pos = pos // self.block * self.block
        self._pos = pos
        if self._clock is not None:
            self._clock.set_time(pos / RATE)
        self._pending.append(Notice(pos / RATE, "info", f"seek to {pos / RATE:.1f} s"))
        return pos / RATE

    def close(self) -> None:
        pass
