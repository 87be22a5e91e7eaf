"""Audio devices through PortAudio: the only module that imports sounddevice.

sounddevice is imported lazily (``import_sounddevice``) so replay and eval
work on a machine without PortAudio, and ``live``/``devices``/``doctor`` say
in one line how to install it.

``DeviceSource`` is the live counterpart of the file source: it opens each
input at a rate the device supports (its default), lets the PortAudio
callback do nothing but copy into a bounded per-side buffer (``SideCapture``),
and turns that into 16 kHz chunks on a clock-stamped timeline.  A device that
disappears is reported and retried while the other side keeps running.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
import threading
from dataclasses import dataclass
from typing import Any

from ..audio_facts import CALL_SIDES, SAMPLE_RATE_HZ
from ..errors import LivecueError
from ..events import AudioChunk, ChannelStatus, Event, Notice
from ..sources import LIVE, SourceCapabilities, SourceRead
from .capture import CaptureSettings, SideCapture
from .recorder import CallRecorder

DEVICE_EXIT = 4

_INSTALL_HINTS = {
    "linux": "sudo apt-get install libportaudio2 (Debian/Ubuntu) or sudo dnf install portaudio (Fedora)",
    "darwin": "brew install portaudio",
    "win32": "pip install --force-reinstall sounddevice (its wheel bundles PortAudio)",
}


def install_hint() -> str:
    return _INSTALL_HINTS.get(sys.platform, "install the PortAudio library for your system")


_ALSA_QUIET: Any = None


def _quiet_alsa() -> None:
    """Stop ALSA printing probe noise ("ALSA lib pcm.c: Unknown PCM ...") over the overlay."""
    global _ALSA_QUIET
    if _ALSA_QUIET is not None or not sys.platform.startswith("linux"):
        return
    try:
        libasound = ctypes.CDLL(ctypes.util.find_library("asound") or "libasound.so.2")
        handler_type = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                                        ctypes.c_int, ctypes.c_char_p)
        _ALSA_QUIET = handler_type(lambda *args: None)
        libasound.snd_lib_error_set_handler(_ALSA_QUIET)
    except (OSError, AttributeError):
        _ALSA_QUIET = False


def import_sounddevice():
    """Import sounddevice, or raise a one-line LivecueError saying how to get PortAudio."""
    _quiet_alsa()
    try:
        import sounddevice
    except ModuleNotFoundError:
        raise LivecueError(
            "live audio needs the sounddevice package: pip install sounddevice", DEVICE_EXIT
        ) from None
    except OSError:
        raise LivecueError(
            f"live audio needs the PortAudio library, which is not installed: {install_hint()}",
            DEVICE_EXIT,
        ) from None
    return sounddevice


# --- listing and choosing devices ------------------------------------------------


@dataclass(frozen=True)
class InputDevice:
    index: int
    name: str
    hostapi: str
    channels: int
    default_rate: float
    is_default: bool = False

    def label(self) -> str:
        return f"{self.index} {self.name!r}"

    def to_json(self) -> dict[str, Any]:
        return {"index": self.index, "name": self.name, "hostapi": self.hostapi, "channels": self.channels,
                "default_rate": self.default_rate, "default": self.is_default}


def _default_input_index(sd) -> int:
    try:
        default = sd.default.device[0]
    except (TypeError, IndexError):
        default = sd.default.device
    if isinstance(default, str):
        try:
            default = sd.query_devices(default, "input")["index"]
        except (ValueError, sd.PortAudioError):
            return -1
    return int(default) if default is not None else -1


def list_input_devices(sd=None) -> list[InputDevice]:
    """Every device with at least one input channel, PortAudio's default marked."""
    sd = sd or import_sounddevice()
    try:
        raw = sd.query_devices()
        hostapis = sd.query_hostapis()
    except sd.PortAudioError as exc:
        raise LivecueError(f"cannot list audio devices: {exc}", DEVICE_EXIT) from None
    default = _default_input_index(sd)
    devices = []
    for info in raw:
        if info["max_input_channels"] <= 0:
            continue
        devices.append(InputDevice(
            index=int(info["index"]),
            name=str(info["name"]),
            hostapi=str(hostapis[info["hostapi"]]["name"]),
            channels=int(info["max_input_channels"]),
            default_rate=float(info["default_samplerate"]),
            is_default=int(info["index"]) == default,
        ))
    return devices


def describe_inputs(devices: list[InputDevice]) -> str:
    if not devices:
        return "no audio inputs found"
    return "inputs: " + ", ".join(d.label() for d in devices)


def find_input_device(spec: str | int, devices: list[InputDevice]) -> InputDevice:
    """A device by index or by a case-insensitive part of its name; one-line errors otherwise."""
    text = str(spec).strip()
    if text.isdigit():
        for device in devices:
            if device.index == int(text):
                return device
        raise LivecueError(f"no input device with index {text}; {describe_inputs(devices)}", DEVICE_EXIT)
    wanted = text.lower()
    exact = [d for d in devices if d.name.lower() == wanted]
    if len(exact) == 1:
        return exact[0]
    matches = exact or [d for d in devices if wanted in d.name.lower()]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise LivecueError(f"no input device matches {text!r}; {describe_inputs(devices)}", DEVICE_EXIT)
    # the same device seen through several host APIs: prefer the first (PortAudio's order)
    names = {d.name for d in matches}
    if len(names) == 1:
        return matches[0]
    listed = ", ".join(d.label() for d in matches)
    raise LivecueError(f"{text!r} matches several inputs: {listed}; use the index", DEVICE_EXIT)


@dataclass(frozen=True)
class StreamPlan:
    """One device to open and which of its channels (0-based) feed which speaker."""

    device: InputDevice
    channels: dict  # speaker -> 0-based channel

    @property
    def open_channels(self) -> int:
        return max(self.channels.values()) + 1


def plan_capture(devices: list[InputDevice], *, rep_device: str | None = None,
                 prospect_device: str | None = None, device: str | None = None,
                 rep_channel: int | None = None, prospect_channel: int | None = None) -> list[StreamPlan]:
    """Turn the command-line choice into streams to open.

    Channels count from 0, as in ``livecue replay`` (a stereo loopback or a
    ``--record`` file: 0 = left = rep).  Either two devices (``rep_device`` +
    ``prospect_device``, each side its device's channel 0 unless told
    otherwise) or one multichannel ``device`` (rep 0, prospect 1 by default).
    """
    if device is not None and (rep_device is not None or prospect_device is not None):
        raise LivecueError("use either --input with --rep-channel/--prospect-channel, "
                           "or --rep-input and --prospect-input")
    if device is None and (rep_device is None or prospect_device is None):
        missing = "--prospect-input" if rep_device is not None else "--rep-input"
        if rep_device is None and prospect_device is None:
            raise LivecueError("say where each side comes from: --rep-input DEV --prospect-input DEV, "
                               "or --input DEV with --rep-channel N --prospect-channel N "
                               "(see `livecue devices`)")
        raise LivecueError(f"{missing} is missing: both sides of the call are needed")
    for name, value in (("--rep-channel", rep_channel), ("--prospect-channel", prospect_channel)):
        if value is not None and value < 0:
            raise LivecueError(f"{name} counts from 0 (the device's first input)")
    if device is not None:
        dev = find_input_device(device, devices)
        rep_ch = 0 if rep_channel is None else rep_channel
        pro_ch = 1 if prospect_channel is None else prospect_channel
        if rep_ch == pro_ch:
            raise LivecueError("--rep-channel and --prospect-channel are the same channel: "
                               "each side needs its own")
        plans = [StreamPlan(dev, {"rep": rep_ch, "prospect": pro_ch})]
    else:
        rep = find_input_device(rep_device, devices)
        pro = find_input_device(prospect_device, devices)
        rep_ch = 0 if rep_channel is None else rep_channel
        pro_ch = 0 if prospect_channel is None else prospect_channel
        if rep.index == pro.index:
            if rep_ch == pro_ch:
                raise LivecueError(f"both sides would capture the same input ({rep.label()}); "
                                   "pick two devices, or one device with two channels")
            plans = [StreamPlan(rep, {"rep": rep_ch, "prospect": pro_ch})]
        else:
            plans = [StreamPlan(rep, {"rep": rep_ch}), StreamPlan(pro, {"prospect": pro_ch})]
    for plan in plans:
        if plan.open_channels > plan.device.channels:
            raise LivecueError(
                f"{plan.device.label()} has {plan.device.channels} input channel(s) (0 to "
                f"{plan.device.channels - 1}); channel {plan.open_channels - 1} was asked for", DEVICE_EXIT)
    return plans


# --- the live source ------------------------------------------------------------


def _open_error(device: InputDevice, exc: Exception) -> LivecueError:
    text = str(exc)
    lowered = text.lower()
    if "busy" in lowered or "unavailable" in lowered:
        hint = " (busy: is another program using it exclusively?)"
    else:
        hint = ""
    return LivecueError(f"cannot open input {device.label()}: {text}{hint}", DEVICE_EXIT)


class _Stream:
    """One open PortAudio input stream feeding one or two sides."""

    def __init__(self, plan: StreamPlan, sides: dict, sd, clock_ref: list, latency_s: float = 0.1) -> None:
        self.plan = plan
        self.latency_s = latency_s
        self.sides = sides  # speaker -> SideCapture
        self.sd = sd
        self.clock_ref = clock_ref  # [clock] once started; the callback reads it
        self.stream = None
        self.ended = False  # PortAudio stopped calling back (error, device gone)
        self.closing = False
        self.rate = 0
        self._offset: float | None = None  # capture clock minus PortAudio stream time
        self._latency = latency_s  # the open stream's input latency as PortAudio reported it (seconds)

    def open(self) -> None:
        sd, dev = self.sd, self.plan.device
        last_exc: Exception | None = None
        for rate in dict.fromkeys([dev.default_rate, 48000.0, 44100.0, float(SAMPLE_RATE_HZ)]):
            try:
                stream = sd.InputStream(device=dev.index, channels=self.plan.open_channels,
                                        samplerate=rate, dtype="float32", latency=self.latency_s,
                                        callback=self._callback, finished_callback=self._finished)
            except (sd.PortAudioError, ValueError) as exc:
                last_exc = exc
                if "sample rate" in str(exc).lower():
                    continue
                raise _open_error(dev, exc) from None
            self.stream, self.rate, self.ended, self.closing = stream, int(round(stream.samplerate)), False, False
            self._offset = None
            try:  # read once: the callback must not touch self.stream, which close() clears from another thread
                self._latency = float(stream.latency)
            except (TypeError, ValueError):
                self._latency = self.latency_s
            return
        raise _open_error(dev, last_exc or RuntimeError("no supported sample rate"))

    def start(self) -> None:
        try:
            self.stream.start()
        except self.sd.PortAudioError as exc:
            raise _open_error(self.plan.device, exc) from None

    def _callback(self, indata, frames, time_info, status) -> None:
        """PortAudio's thread: stamp and copy, nothing else."""
        clock = self.clock_ref[0] if self.clock_ref else None
        if clock is None:
            return
        start_t = self._stamp(clock.now(), time_info, frames / self.rate)
        for speaker, channel in self.plan.channels.items():
            side = self.sides[speaker]
            if status.input_overflow:
                side.note_overflow()
            side.push(indata[:, channel], start_t)

    def _stamp(self, now: float, time_info, block_s: float) -> float:
        """Call time of the block's first sample.

        The block ended one input latency before PortAudio called back
        (``currentTime``, read on PortAudio's thread, so a callback that then
        waited for the GIL on a busy machine does not make its audio look
        late).  PortAudio's clock is mapped onto the capture clock by the
        smallest offset seen (slowly relaxed to follow drift).  The latency is
        the stream's own, fixed when it opened: the per-block capture time
        (``inputBufferAdcTime``) is not used, because through the ALSA
        PulseAudio plugin (most Linux desktops) its implied latency wanders
        from 0.2 s to 0 over the first seconds, and the timeline then chased
        it with silence (docs/benchmarks.md, "live capture stamps").  Without
        PortAudio's time: now minus the block and the latency.
        """
        latency = self._latency
        pa_now = float(getattr(time_info, "currentTime", 0.0) or 0.0)
        if not pa_now:
            return now - block_s - latency
        offset = now - pa_now
        if self._offset is None:
            self._offset = offset
        else:
            self._offset = min(offset, self._offset + block_s * 1e-3)
        return pa_now + self._offset - block_s - latency

    def _finished(self) -> None:
        if not self.closing:
            self.ended = True

    @property
    def alive(self) -> bool:
        if self.stream is None or self.ended:
            return False
        try:
            return bool(self.stream.active)
        except Exception:
            return False

    def close(self) -> None:
        self.closing = True
        stream, self.stream = self.stream, None
        if stream is None:
            return
        try:
            stream.abort(ignore_errors=True)
            stream.close(ignore_errors=True)
        except Exception:
            pass


class DeviceSource:
    """Live capture of both sides; same interface as the file source."""

    capabilities: SourceCapabilities = LIVE  # no pause, no seek
    speakers = CALL_SIDES
    duration = None  # unknown for a live call

    def __init__(self, plans: list[StreamPlan], *, duration_s: float | None = None,
                 record_path=None, settings: CaptureSettings | None = None, sd=None) -> None:
        self.sd = sd or import_sounddevice()
        self.settings = settings or CaptureSettings()
        self.duration_s = duration_s
        self.plans = plans
        self._clock_ref: list = []
        self._stop = threading.Event()
        self.exhausted = False
        self.end_reason = ""
        self._lost: dict[int, float] = {}  # stream number -> call time of the next reopen try
        self._streams: list[_Stream] = []
        self.recorder: CallRecorder | None = None
        self.sides: dict[str, SideCapture] = {}
        for plan in plans:
            rate = int(round(plan.device.default_rate)) or 48000
            sides = {s: SideCapture(s, rate, self.settings) for s in plan.channels}
            self.sides.update(sides)
            self._streams.append(_Stream(plan, sides, self.sd, self._clock_ref, self.settings.device_latency_s))
        missing = [s for s in CALL_SIDES if s not in self.sides]
        if missing:
            raise LivecueError(f"no input chosen for {', '.join(missing)}")
        self.recorder = CallRecorder(record_path, CALL_SIDES) if record_path else None
        try:
            for stream in self._streams:  # open now: a busy or wrong device fails before the model loads
                stream.open()
                for side in stream.sides.values():
                    side.restarted(stream.rate)
        except LivecueError:
            self.close()
            raise
        self.description = self._describe()

    def _describe(self) -> str:
        parts = []
        for stream in self._streams:
            chans = ", ".join(f"{s} ch{c}" for s, c in stream.plan.channels.items())
            parts.append(f"{stream.plan.device.name} ({chans}, {stream.rate} Hz)")
        return "; ".join(parts)

    def start(self, clock) -> None:
        """Start capturing; call time 0 is ``clock``'s start."""
        self._clock_ref[:] = [clock]
        self.clock = clock
        for stream in self._streams:
            stream.start()

    def read(self, timeout_s: float = 0.1, stop: threading.Event | None = None) -> SourceRead:
        """New audio of both sides (16 kHz, contiguous from 0) and status events.

        Status (lost, reopened, overflow) comes ``before`` the audio; a
        recording that stopped on a full disk is said ``after`` it.  The wait
        ends early on ``stop()``; a ``stop`` event already set skips it.
        """
        if self.exhausted or not self._clock_ref:
            return SourceRead()
        clock = self._clock_ref[0]
        wait = timeout_s > 0 and not (stop is not None and stop.is_set())
        if wait and max(s.pending_s for s in self.sides.values()) < self.settings.read_interval_s:
            self._stop.wait(min(timeout_s, self.settings.read_interval_s))
        now = clock.now()
        if self._stop.is_set():
            audio, events = self._finish(now, "stopped")
            return SourceRead(events, audio, self._record(audio))
        events: list[Event] = self._check_streams(now)
        audio: list[AudioChunk] = []
        until = self.duration_s
        for side in self.sides.values():
            side_chunks, side_events = side.drain(now, until)
            events += side_events
            audio += side_chunks
        for number, stream in enumerate(self._streams):
            if number in self._lost:  # keep the lost side's timeline moving with silence
                for side in stream.sides.values():
                    audio += side.fill_to(now - self.settings.stall_fill_s, until)
        if until is not None and now >= until + self.settings.end_grace_s:
            end_audio, end_events = self._finish(now, "duration")
            audio += end_audio
            events += end_events
        return SourceRead(events, audio, self._record(audio))

    def _check_streams(self, now: float) -> list[Event]:
        events: list[Event] = []
        for number, stream in enumerate(self._streams):
            name = stream.plan.device.name
            speakers = "/".join(stream.plan.channels)
            if number not in self._lost and not stream.alive:
                stream.close()
                self._lost[number] = now + self.settings.reopen_interval_s
                for speaker in stream.plan.channels:
                    events.append(ChannelStatus(t=now, speaker=speaker, state="lost",
                                                detail=f"input {name!r} stopped; retrying",
                                                overflows=self.sides[speaker].overflows))
                events.append(Notice(t=now, level="warning",
                                     message=f"{speakers}: lost input {name!r}; the other side keeps "
                                             "running and livecue retries every "
                                             f"{self.settings.reopen_interval_s:g} s"))
            elif number in self._lost and now >= self._lost[number]:
                self._lost[number] = now + self.settings.reopen_interval_s
                try:
                    stream.open()
                    for side in stream.sides.values():
                        side.restarted(stream.rate)
                    stream.start()
                except LivecueError:
                    stream.close()
                    continue
                del self._lost[number]
                for speaker in stream.plan.channels:
                    events.append(ChannelStatus(t=now, speaker=speaker, state="reopened",
                                                detail=f"input {name!r} is back",
                                                overflows=self.sides[speaker].overflows))
                events.append(Notice(t=now, level="info", message=f"{speakers}: input {name!r} is back"))
        return events

    def _finish(self, now: float, reason: str) -> tuple[list[AudioChunk], list[Event]]:
        """Close the streams and end both sides at the same time: the last audio, and status."""
        for stream in self._streams:
            stream.close()
        end = self.duration_s if reason == "duration" and self.duration_s is not None else None
        audio: list[AudioChunk] = []
        events: list[Event] = []
        for side in self.sides.values():
            chunks, side_events = side.drain(now, end)
            events += side_events
            audio += chunks
        end_t = end if end is not None else max(side.t for side in self.sides.values())
        for side in self.sides.values():
            audio += side.fill_to(end_t, end)
            audio += side.flush(end)
        self.exhausted = True
        self.end_reason = reason
        return audio, events

    def _record(self, audio: list[AudioChunk]) -> list[Event]:
        """Write ``audio`` to the ``--record`` file; a notice if the recording had to stop."""
        if self.recorder is None:
            return []
        for chunk in audio:
            try:
                self.recorder.write(chunk)
            except LivecueError as exc:  # a full disk ends the recording, never the coaching
                frames = self.recorder.duration_s
                self.recorder = None
                return [Notice(t=chunk.t, level="error",
                               message=f"{exc}; recording stopped after {frames:.1f} s "
                                       f"(the file keeps that much), coaching goes on")]
        return []

    # live capture declares neither pausable nor seekable: the pipeline never calls these
    def pause(self) -> None:
        raise NotImplementedError("live capture cannot pause")

    def resume(self) -> None:
        raise NotImplementedError("live capture cannot pause")

    def seek(self, delta_s: float) -> float:
        raise NotImplementedError("live capture cannot seek")

    def stop(self) -> None:
        """Thread-safe: the next read() ends the capture."""
        self._stop.set()

    def close(self) -> None:
        self._stop.set()
        for stream in self._streams:
            stream.close()
        self.exhausted = True
        if self.recorder is not None:
            self.recorder.close()
