"""``livecue doctor``: can this machine coach a live call, and with which settings?

Checks PortAudio and the inputs, loads the model, times it on a bundled
speech clip, and turns the measured speed into advice: how often the
transcript can update live, which thread count to use, and whether a larger
model would still keep up.  Every check runs even when an earlier one fails.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import wave
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..audio_facts import SAMPLE_RATE_HZ
from .. import __version__
from ..docs import see
from ..errors import LivecueError
from . import common

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "speech_sample.wav"
BUFFER_S = 8.0  # a typical streaming buffer: the decoder re-reads up to this much per update
# decode cost relative to tiny.en (encoder-bound, CTranslate2 int8 on CPU; rough)
MODEL_COST = {"tiny.en": 1.0, "base.en": 2.2, "small.en": 7.0}


def add_arguments(p: argparse.ArgumentParser) -> None:
    common.add_model_arguments(p)
    p.add_argument("--no-model", action="store_true", help="check audio only: skip loading and timing the model")


def _line(label: str, text: str) -> None:
    print(f"  {label:<10} {text}", flush=True)


def load_sample() -> np.ndarray:
    with wave.open(str(SAMPLE)) as w:
        if (w.getframerate(), w.getnchannels(), w.getsampwidth()) != (SAMPLE_RATE_HZ, 1, 2):
            raise LivecueError(f"{SAMPLE}: expected 16 kHz mono 16-bit audio")
        return np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32768.0


def check_audio() -> bool:
    from ..audio.devices import import_sounddevice, list_input_devices
    from .devices import format_table

    try:
        sd = import_sounddevice()
    except LivecueError as exc:
        _line("PortAudio", f"MISSING: {exc}")
        _line("", "replay, eval and report still work; live capture needs it")
        return False
    _line("PortAudio", f"ok: {sd.get_portaudio_version()[1]} (sounddevice {sd.__version__})")
    try:
        devices = list_input_devices(sd)
    except LivecueError as exc:
        _line("inputs", f"FAILED: {exc}")
        return False
    if not devices:
        _line("inputs", f"NONE: no audio inputs; {see('capture.md')}")
        return False
    _line("inputs", f"{len(devices)} found")
    for row in format_table(devices).splitlines()[:-1]:
        print(f"    {row}")
    if len(devices) < 2:
        _line("", f"a live call needs two inputs (or one with two channels); {see('capture.md')}")
    return True


def time_decodes(engine, audio: np.ndarray, repeats: int = 2) -> tuple[float, str]:
    """Seconds to decode a BUFFER_S buffer (best of ``repeats``, after a warm-up) and the text."""
    from time import perf_counter

    buffer = audio[: int(BUFFER_S * SAMPLE_RATE_HZ)]
    engine.transcribe(audio[:SAMPLE_RATE_HZ * 2])  # warm-up: first call allocates
    best, text = float("inf"), ""
    for _ in range(repeats):
        start = perf_counter()
        hyp = engine.transcribe(buffer)
        best = min(best, perf_counter() - start)
        text = " ".join(w.word.strip() for w in hyp.words)
    return best, text


def thread_counts(cores: int) -> list[int]:
    counts = sorted({max(1, cores // 4), max(1, cores // 2), cores})
    return counts[-3:]


def verdict(decode_s: float, settings) -> str:
    asr = settings.asr
    interval = max(asr.min_update_s, asr.cost_factor * decode_s)
    if interval <= asr.min_update_s + 1e-9:
        return f"fast: live text can update every {asr.min_update_s:g} s"
    if interval <= asr.max_update_s / 2:
        return f"ok for live: text updates about every {interval:.1f} s while someone speaks"
    if interval <= asr.max_update_s:
        return (f"usable, but the text trails speech (updates every {interval:.1f} s); "
                "close other busy programs or use a smaller model")
    return ("too slow for live: one decode takes longer than livecue waits between updates "
            f"({decode_s:.1f} s > {asr.max_update_s:g} s); use a smaller model or replay --fast")


def recommend_model(current: str, decode_s: float, settings) -> str | None:
    base = next((name for name in MODEL_COST if name.split(".")[0] in current), None)
    if base is None:
        return None
    budget = settings.asr.max_update_s / 2 / settings.asr.cost_factor  # decode time that keeps "ok"
    fitting = [m for m, c in MODEL_COST.items() if decode_s / MODEL_COST[base] * c <= budget]
    if not fitting:
        return "even tiny.en is too slow here for comfortable live use"
    best = fitting[-1]
    if best == base:
        return f"{base} suits this machine"
    estimate = decode_s / MODEL_COST[base] * MODEL_COST[best]
    return (f"{best} should also keep up (estimated {estimate:.2f} s per {BUFFER_S:g} s buffer; "
            f"--model {best} downloads it once)")


def check_model(args: argparse.Namespace) -> bool:
    from time import perf_counter

    from ..asr.whisper import load_engine

    settings = common.settings_from_args(args)
    audio = load_sample()
    cores = os.cpu_count() or 1
    counts = [settings.asr.threads] if settings.asr.threads else thread_counts(cores)
    results: dict[int, float] = {}
    label = ""
    for n in counts:
        start = perf_counter()
        try:
            engine = load_engine(replace(settings.asr, threads=n))
        except LivecueError as exc:
            _line("model", f"FAILED: {exc}")
            return False
        load_s = perf_counter() - start
        if not label:
            label = engine.label
            device = settings.asr.device
            compute = settings.asr.compute_type or ("int8" if device == "cpu" else "default")
            _line("model", f"{label} loaded in {load_s:.1f} s ({device}/{compute})")
        decode_s, text = time_decodes(engine, audio)
        results[n] = decode_s
        _line("speed" if len(results) == 1 else "",
              f"{n} thread{'s' if n != 1 else ''}: {BUFFER_S:g} s of speech decoded in {decode_s:.2f} s "
              f"(real-time factor {decode_s / BUFFER_S:.3f})")
        del engine
    if not text.strip():
        _line("", "WARNING: the sample decoded to no words; the model may be broken")
    else:
        _line("heard", repr(text if len(text) <= 70 else text[:67] + "..."))
    fastest = min(results.values())
    chosen = min(n for n, d in results.items() if d <= fastest * 1.15)
    _line("verdict", verdict(results[chosen], settings))
    if len(results) > 1:
        _line("threads", f"--threads {chosen} (the fewest within 15% of the fastest; "
                         f"this machine has {cores} cores, which the call app and livecue's UI share)")
    advice = recommend_model(label, results[chosen], settings)
    if advice:
        _line("model", advice)
    return True


def run(args: argparse.Namespace) -> int:
    print(f"livecue doctor ({__version__}, Python {platform.python_version()}, {sys.platform})", flush=True)
    ok = check_audio()
    if not args.no_model:
        ok = check_model(args) and ok
    return 0 if ok else 1
