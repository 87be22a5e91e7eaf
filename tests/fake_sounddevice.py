"""A stand-in for the sounddevice module, driven by hand (device faults on demand).

The real-server tests (test_live_pulse.py) check the real PortAudio; this one
lets the source's bookkeeping (loss, reopen, duration, recording) be tested
deterministically with a ManualClock.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np


class PortAudioError(Exception):
    pass


class FakeStream:
    def __init__(self, sd, device, channels, samplerate, dtype, callback, finished_callback=None, latency=None):
        if device in sd.fail_open:
            raise PortAudioError(sd.fail_open[device])
        self.sd = sd
        self.device = device
        self.channels = channels
        self.samplerate = samplerate
        self.latency = 0.01
        self.callback = callback
        self.finished_callback = finished_callback
        self.active = False
        self.closed = False
        sd.streams.append(self)

    def start(self):
        self.active = True

    def abort(self, ignore_errors=True):
        if self.active and self.finished_callback:
            self.active = False
            self.finished_callback()
        self.active = False

    def close(self, ignore_errors=True):
        self.abort()
        self.closed = True

    def deliver(self, now_t: float, seconds: float, values, overflow: bool = False, adc_error_s: float = 0.0,
                times: bool = True):
        """Call back with ``seconds`` of audio whose first sample was captured at now_t - seconds.

        ``adc_error_s`` makes the reported capture time (``inputBufferAdcTime``)
        that much earlier than the truth, as the ALSA PulseAudio plugin does;
        ``times=False`` reports no times at all (zeros), as some host APIs do.
        """
        frames = int(round(seconds * self.samplerate))
        data = np.zeros((frames, self.channels), np.float32)
        for ch, v in enumerate(values):
            data[:, ch] = v
        info = SimpleNamespace(currentTime=100.0 + now_t, inputBufferAdcTime=100.0 + now_t - seconds - adc_error_s)
        if not times:
            info = SimpleNamespace(currentTime=0.0, inputBufferAdcTime=0.0)
        self.callback(data, frames, info, SimpleNamespace(input_overflow=overflow))

    def die(self):
        """The device went away: PortAudio stops the stream."""
        self.active = False
        if self.finished_callback:
            self.finished_callback()


class FakeSoundDevice:
    PortAudioError = PortAudioError

    def __init__(self, devices):
        self._devices = devices  # list of dicts like query_devices() returns
        self.default = SimpleNamespace(device=[d["index"] for d in devices if d.get("default")][:1] * 2 or [-1, -1])
        self.streams: list[FakeStream] = []
        self.fail_open: dict[int, str] = {}

    def query_devices(self, device=None, kind=None):
        if device is None:
            return list(self._devices)
        return self._devices[device]

    def query_hostapis(self):
        return [{"name": "FakeAPI"}]

    def InputStream(self, **kwargs):  # noqa: N802 - mirrors sounddevice
        return FakeStream(self, **kwargs)

    def live(self, device):
        return [s for s in self.streams if s.device == device and not s.closed][-1]


def device(index, name, channels=2, rate=48000.0, default=False):
    return {"index": index, "name": name, "hostapi": 0, "max_input_channels": channels,
            "max_output_channels": 0, "default_samplerate": rate, "default": default}


class FakeOutputStream:
    def __init__(self, sd, device=None, channels=2, samplerate=48000, dtype="float32", callback=None, **kwargs):
        if samplerate not in sd.output_rates:
            raise PortAudioError("Invalid sample rate")
        self.samplerate = samplerate
        self.callback = callback
        self.started = self.closed = False

    def start(self):
        self.started = True

    def abort(self, ignore_errors=True):
        pass

    def close(self, ignore_errors=True):
        self.closed = True

    def pull(self, frames: int, lead_s: float = 0.0) -> np.ndarray:
        out = np.zeros((frames, 2), np.float32)
        self.callback(out, frames, SimpleNamespace(currentTime=1.0, outputBufferDacTime=1.0 + lead_s), None)
        return out


def _output_stream(self, **kwargs):
    return FakeOutputStream(self, **kwargs)


FakeSoundDevice.output_rates = (16000.0, 48000.0)
FakeSoundDevice.OutputStream = _output_stream
