"""A private PulseAudio server with two null sinks whose monitors are ALSA inputs.

Used by the real-server tests, scripts/bench_live_latency.py and
scripts/bench_live_alignment.py: audio played into ``rep_sink`` /
``prospect_sink`` (with paplay) comes out of the PortAudio inputs
``livecue_rep`` / ``livecue_prospect``, exactly as a softphone's output
reaches livecue through a monitor source on a desktop.

Everything lives in a temporary directory (runtime dir, HOME with the
``.asoundrc``, daemon.conf); nothing touches the user's own sound server.
Works as root (CI) with ``--system=false``.  ``rescue-streams = no`` makes a
removed sink end the capture stream instead of PulseAudio silently moving it
to another source (see docs/capture.md).
"""

from __future__ import annotations

import ctypes.util
import glob
import os
import shutil
import subprocess
import time
import wave
from pathlib import Path

import numpy as np

SINKS = ("rep_sink", "prospect_sink")
# ALSA input name -> PulseAudio source.  The first two are the monitors of the two null
# sinks (two independent devices); the others come from one stereo sink, "call_sink":
# its monitor as a two-channel input, and its left and right channels as two inputs
# that are exactly in step (for checking that capture keeps two devices in sync).
INPUTS = {
    "livecue_rep": "rep_sink.monitor",
    "livecue_prospect": "prospect_sink.monitor",
    "livecue_call": "call_sink.monitor",
    "livecue_left": "call_left",
    "livecue_right": "call_right",
}


def missing_requirements() -> str | None:
    """Why the server cannot run here, or None."""
    for tool in ("pulseaudio", "pactl", "paplay", "parecord"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (apt-get install pulseaudio pulseaudio-utils)"
    if not glob.glob("/usr/lib/*/alsa-lib/libasound_module_pcm_pulse.so") and not glob.glob(
            "/usr/lib*/alsa-lib/libasound_module_pcm_pulse.so"):
        return "the ALSA pulse plugin is not installed (apt-get install libasound2-plugins)"
    if ctypes.util.find_library("portaudio") is None:
        return "PortAudio is not installed (apt-get install libportaudio2)"
    return None


class PulseServer:
    def __init__(self, root: Path, sink_rates: dict | None = None) -> None:
        self.root = Path(root)
        self.runtime = self.root / "run"
        self.home = self.root / "home"
        self.socket = self.runtime / "native"
        self.log = self.root / "pulseaudio.log"
        self.sink_rates = sink_rates or {"rep_sink": 48000, "prospect_sink": 44100}
        self.process: subprocess.Popen | None = None
        self.modules: dict[str, str] = {}
        self.players: list[subprocess.Popen] = []

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update({
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.home / ".config"),
            "XDG_RUNTIME_DIR": str(self.runtime),
            "PULSE_RUNTIME_PATH": str(self.runtime),
            "PULSE_STATE_PATH": str(self.runtime / "state"),
            "PULSE_SERVER": f"unix:{self.socket}",
        })
        env.pop("ALSA_CONFIG_PATH", None)
        env.pop("PULSE_SINK", None)
        env.pop("PULSE_SOURCE", None)
        return env

    def start(self, timeout_s: float = 15.0) -> "PulseServer":
        self.runtime.mkdir(parents=True, exist_ok=True)
        self.runtime.chmod(0o700)
        (self.home / ".config" / "pulse").mkdir(parents=True, exist_ok=True)
        (self.home / ".config" / "pulse" / "daemon.conf").write_text(
            "rescue-streams = no\nexit-idle-time = -1\nflat-volumes = no\n")
        lines = []
        for name, source in INPUTS.items():
            lines.append(f'pcm.{name} {{ type pulse; device "{source}"; '
                         f'hint {{ show on; description "livecue test: {source}" }} }}')
        (self.home / ".asoundrc").write_text("\n".join(lines) + "\n")
        cmd = ["pulseaudio", "-n", "--daemonize=no", "--system=false", "--exit-idle-time=-1",
               "--disallow-exit", "--use-pid-file=no", "--log-target=stderr", "--log-level=notice",
               "-L", f"module-native-protocol-unix socket={self.socket} auth-anonymous=1"]
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(cmd, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"pulseaudio exited: {self.log.read_text(errors='replace')[-2000:]}")
            if subprocess.run(["pactl", "info"], env=self.env, capture_output=True).returncode == 0:
                break
            time.sleep(0.1)
        else:
            self.stop()
            raise RuntimeError("pulseaudio did not come up")
        for sink in SINKS:
            self.load_sink(sink)
        self.pactl("load-module", "module-null-sink", "sink_name=call_sink", "rate=48000", "channels=2",
                   "channel_map=front-left,front-right")
        for side, position in (("left", "front-left"), ("right", "front-right")):
            self.pactl("load-module", "module-remap-source", f"source_name=call_{side}",
                       "master=call_sink.monitor", f"master_channel_map={position}", "channel_map=mono",
                       "channels=1")
        return self

    def pactl(self, *args: str) -> str:
        proc = subprocess.run(["pactl", *args], env=self.env, capture_output=True, text=True, timeout=10)
        if proc.returncode != 0:
            raise RuntimeError(f"pactl {' '.join(args)}: {proc.stderr.strip()}")
        return proc.stdout.strip()

    def load_sink(self, sink: str) -> None:
        self.modules[sink] = self.pactl("load-module", "module-null-sink", f"sink_name={sink}",
                                        f"rate={self.sink_rates.get(sink, 48000)}", "channels=1")

    def unload_sink(self, sink: str) -> None:
        self.pactl("unload-module", self.modules.pop(sink))

    def play(self, path: Path | str, sink: str) -> subprocess.Popen:
        player = subprocess.Popen(["paplay", "-d", sink, str(path)], env=self.env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.players.append(player)
        return player

    def keep_running(self, sink: str) -> subprocess.Popen:
        """Play silence into ``sink`` so it (and its monitor) runs from now on, not from the next sound."""
        player = subprocess.Popen(["pacat", "--playback", "-d", sink, "--raw", "--format=s16le", "--rate=48000",
                                   "--channels=2", "/dev/zero"], env=self.env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.players.append(player)
        return player

    def quiet(self) -> None:
        """Stop every player still running."""
        for player in self.players:
            if player.poll() is None:
                player.terminate()
                try:
                    player.wait(5)
                except subprocess.TimeoutExpired:
                    player.kill()
        self.players = []

    def stop(self) -> None:
        self.quiet()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def __enter__(self) -> "PulseServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def split_channels(path: Path, out_dir: Path) -> dict[str, Path]:
    """Write a stereo call's channels as mono WAVs: {"rep": ..., "prospect": ...}."""
    with wave.open(str(path)) as w:
        rate, channels, width = w.getframerate(), w.getnchannels(), w.getsampwidth()
        frames = np.frombuffer(w.readframes(w.getnframes()), "<i2").reshape(-1, channels)
    if width != 2 or channels < 2:
        raise ValueError(f"{path}: expected 16-bit stereo")
    out_dir.mkdir(parents=True, exist_ok=True)
    result = {}
    for speaker, ch in (("rep", 0), ("prospect", 1)):
        target = out_dir / f"{path.stem}.{speaker}.wav"
        with wave.open(str(target), "wb") as o:
            o.setnchannels(1)
            o.setsampwidth(2)
            o.setframerate(rate)
            o.writeframes(np.ascontiguousarray(frames[:, ch]).tobytes())
        result[speaker] = target
    return result


def stereo_copy(mono_path: Path, target: Path) -> Path:
    """The same audio on both channels of a stereo WAV."""
    audio, rate = read_wav(mono_path)
    pcm = (np.repeat(audio[:, :1], 2, axis=1) * 32767).astype("<i2")
    with wave.open(str(target), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return target


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """(frames x channels float32, rate) of a 16-bit WAV."""
    with wave.open(str(path)) as w:
        rate, channels = w.getframerate(), w.getnchannels()
        data = np.frombuffer(w.readframes(w.getnframes()), "<i2").reshape(-1, channels)
    return data.astype(np.float32) / 32768.0, rate


def delay_of(recorded: np.ndarray, original: np.ndarray, max_s: float = 10.0, rate: int = 16000) -> float:
    """Seconds by which ``original`` appears later in ``recorded`` (FFT cross-correlation, either sign).

    Negative lags count too: the monitor of an idle null sink delivers nothing
    until a player starts, and the capture stamps of its first blocks can put
    the call a little before the moment the test started the player.  Searching
    only later lags then picks a spurious peak seconds away (CI saw 3.5 s for
    a side whose audio sat at -0.1 s).
    """
    size = 1 << int(np.ceil(np.log2(len(recorded) + len(original))))
    corr = np.fft.irfft(np.fft.rfft(recorded, size) * np.conj(np.fft.rfft(original, size)), size)
    m = min(int(max_s * rate), size // 2)
    lags = np.concatenate([np.arange(-m, 0), np.arange(m)])
    values = np.concatenate([corr[size - m:], corr[:m]])  # circular: lag -k sits at size - k
    return int(lags[int(np.argmax(values))]) / rate
