"""``livecue replay --play``: hear the call while it is coached.

Plays the call's sides as stereo (rep left, prospect right; a mono call on
both) through an output device, following the session clock rather than
counting samples: when the clock pauses the player goes quiet, when it seeks
or drifts by more than ``resync_s`` the player jumps to it, so what a coach
hears stays in step with the transcript and the cards.

sounddevice comes from ``devices.import_sounddevice`` (the one adapter).
"""

from __future__ import annotations

import sys

import numpy as np

from ..audio_facts import SAMPLE_RATE_HZ
from ..errors import LivecueError
from .devices import DEVICE_EXIT, import_sounddevice
from .resample import StreamResampler


class CallPlayer:
    def __init__(self, sides: dict, clock, *, device=None, resync_s: float = 0.15, latency_s: float = 0.2,
                 sd=None) -> None:
        self.sd = sd or import_sounddevice()
        self.clock = clock
        self.resync_s = resync_s
        # generous buffering: smaller buffers through PulseAudio's ALSA plugin fell behind real
        # time on a busy machine without reporting underflows
        self.latency_s = latency_s
        left = sides.get("rep", sides.get("call"))
        right = sides.get("prospect", sides.get("call"))
        if left is None or right is None:
            raise LivecueError("--play needs a call with rep and prospect sides")
        n = max(len(left), len(right))
        self._audio = np.zeros((n, 2), dtype=np.float32)
        self._audio[: len(left), 0] = left
        self._audio[: len(right), 1] = right
        self._pos = 0  # next 16 kHz frame to play
        self._last_clock: float | None = None
        self.stream = None
        self._open(device)

    def _open(self, device) -> None:
        sd = self.sd
        extra = {}
        if sys.platform == "win32":
            try:
                extra["extra_settings"] = sd.WasapiSettings(auto_convert=True)
            except (AttributeError, TypeError):
                pass
        rates = [float(SAMPLE_RATE_HZ)]
        try:
            rates.append(float(sd.query_devices(device, "output")["default_samplerate"]))
        except (ValueError, sd.PortAudioError) as exc:
            raise LivecueError(f"--play: no output device: {exc}", DEVICE_EXIT) from None
        last: Exception | None = None
        for rate in rates:
            try:
                stream = sd.OutputStream(device=device, channels=2, samplerate=rate, dtype="float32",
                                         latency=self.latency_s, callback=self._callback,
                                         **(extra if rate == SAMPLE_RATE_HZ else {}))
            except (sd.PortAudioError, ValueError) as exc:
                last = exc
                continue
            self.stream = stream
            self.rate = int(round(stream.samplerate))
            self._resamplers = None if self.rate == SAMPLE_RATE_HZ else self._new_resamplers()
            return
        raise LivecueError(f"--play: cannot open the output device: {last}", DEVICE_EXIT)

    def _new_resamplers(self):
        self._fifo = np.zeros((0, 2), dtype=np.float32)  # converted audio not played yet
        return [StreamResampler(SAMPLE_RATE_HZ, self.rate), StreamResampler(SAMPLE_RATE_HZ, self.rate)]

    def start(self) -> None:
        self.stream.start()

    def _callback(self, outdata, frames, time_info, status) -> None:
        """PortAudio's thread: copy the slice of the call that the clock says is due."""
        now = self.clock.now()
        paused = self._last_clock is not None and now - self._last_clock < 0.1 * frames / self.rate
        self._last_clock = now
        if paused or now <= 0.0:
            outdata.fill(0.0)
            return
        # the audio due now, heard one output latency later: a little behind the transcript is
        # harmless (the text trails speech anyway), skipping the call's first words is not
        target = int(now * SAMPLE_RATE_HZ)
        if abs(target - self._pos) > self.resync_s * SAMPLE_RATE_HZ:
            self._pos = target
            if self._resamplers is not None:
                self._resamplers = self._new_resamplers()
        outdata[:] = self._next(frames)

    def _next(self, frames: int) -> np.ndarray:
        if self._resamplers is None:
            block = self._slice(frames)
            self._pos += frames
            return block
        while len(self._fifo) < frames:  # convert just enough of the call to fill this buffer
            n = max(64, int(np.ceil((frames - len(self._fifo)) * SAMPLE_RATE_HZ / self.rate)))
            block = self._slice(n)
            self._pos += n
            converted = np.stack([r.process(block[:, ch]) for ch, r in enumerate(self._resamplers)], axis=1)
            self._fifo = np.concatenate([self._fifo, converted])
        out, self._fifo = self._fifo[:frames], self._fifo[frames:]
        return out

    def _slice(self, n: int) -> np.ndarray:
        piece = self._audio[self._pos:self._pos + n]
        if len(piece) < n:
            piece = np.concatenate([piece, np.zeros((n - len(piece), 2), dtype=np.float32)])
        return piece

    def close(self) -> None:
        stream, self.stream = self.stream, None
        if stream is not None:
            try:
                stream.abort(ignore_errors=True)
                stream.close(ignore_errors=True)
            except Exception:
                pass
