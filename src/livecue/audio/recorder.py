"""``--record``: a stereo WAV of a live call (rep left, prospect right).

It records exactly the 16 kHz audio the coach heard, so ``livecue replay``
of the file reproduces the session.  The file is written as audio arrives
and its header is rewritten after every write (and flushed), so a crash or a
killed process leaves a valid WAV holding everything recorded so far.
The file is created 0600 and never through a symlink or over an existing
file (see ``private_files``); a write that fails (a full disk) stops the
recording, not the coaching: the source turns the error into a notice.
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from ..audio_facts import CALL_SIDES, SAMPLE_RATE_HZ
from ..errors import LivecueError
from ..events import AudioChunk
from ..private_files import create_private


class CallRecorder:
    """Interleaves two sides' chunks into a 16-bit stereo WAV as both become available."""

    def __init__(self, path: Path | str, speakers: tuple[str, str] = CALL_SIDES,
                 rate: int = SAMPLE_RATE_HZ) -> None:
        self.path = Path(path)
        self.speakers = speakers
        self.rate = rate
        # an existing file is never replaced: a recording of an earlier call is as private as this one
        fd = create_private(self.path, "the recording", None, "remove it or give --record a new name")
        self._file = open(fd, "wb")
        self._wav = wave.open(self._file, "wb")
        self._wav.setnchannels(2)
        self._wav.setsampwidth(2)
        self._wav.setframerate(rate)
        self._wav.writeframes(b"")  # header now, so even an empty recording is a valid file
        self._file.flush()
        self._pending: dict[str, list[np.ndarray]] = {s: [] for s in speakers}
        self._pending_len = {s: 0 for s in speakers}
        self.frames = 0
        self.closed = False

    def write(self, chunk: AudioChunk) -> None:
        """Queue a side's chunk; writes the frames both sides now cover.

        Chunks of a side must be contiguous (the capture timeline guarantees it).
        """
        if self.closed or chunk.speaker not in self._pending:
            return
        self._pending[chunk.speaker].append(np.asarray(chunk.samples, dtype=np.float32))
        self._pending_len[chunk.speaker] += len(chunk.samples)
        ready = min(self._pending_len.values())
        if ready:
            self._write_frames(ready)

    def close(self) -> None:
        """Write what is left, padding the shorter side with silence."""
        if self.closed:
            return
        longest = max(self._pending_len.values())
        for speaker in self.speakers:
            short = longest - self._pending_len[speaker]
            if short:
                self._pending[speaker].append(np.zeros(short, dtype=np.float32))
                self._pending_len[speaker] += short
        if longest:
            try:
                self._write_frames(longest)
            except LivecueError:
                return  # already closed; the file holds what was written before the failure
        self.closed = True
        try:
            self._wav.close()
        finally:
            self._file.close()

    @property
    def duration_s(self) -> float:
        return self.frames / self.rate

    def _take(self, speaker: str, n: int) -> np.ndarray:
        joined = np.concatenate(self._pending[speaker]) if self._pending[speaker] else np.zeros(0, np.float32)
        head, rest = joined[:n], joined[n:]
        self._pending[speaker] = [rest] if len(rest) else []
        self._pending_len[speaker] = len(rest)
        return head

    def _write_frames(self, n: int) -> None:
        left, right = (self._take(s, n) for s in self.speakers)
        stereo = np.stack([left, right], axis=1)
        pcm = (np.clip(stereo, -1.0, 1.0) * 32767.0).round().astype("<i2")
        try:
            self._wav.writeframes(pcm.tobytes())  # also patches the header's lengths
            self._file.flush()
        except OSError as exc:
            self.closed = True
            self._pending = {s: [] for s in self.speakers}
            for close in (self._wav.close, self._file.close):  # the header keeps the frames written so far
                try:
                    close()
                except (OSError, ValueError):
                    pass
            raise LivecueError(f"cannot write the recording {self.path}: {exc.strerror or exc}") from None
        self.frames += n
