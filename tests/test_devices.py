"""Choosing inputs, one-line device errors, and the device source's fault handling."""

import json
import os
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from livecue.audio.devices import DeviceSource, InputDevice, find_input_device, list_input_devices, plan_capture
from livecue.clock import ManualClock
from livecue.errors import LivecueError
from livecue.events import AudioChunk, ChannelStatus, Notice

from fake_sounddevice import FakeSoundDevice, device

ROOT = Path(__file__).resolve().parents[1]

INPUTS = [
    InputDevice(0, "Built-in Microphone", "Core Audio", 1, 48000.0, True),
    InputDevice(1, "BlackHole 2ch", "Core Audio", 2, 48000.0),
    InputDevice(2, "Scarlett 2i2 USB", "Core Audio", 2, 44100.0),
    InputDevice(3, "USB Headset Microphone", "Core Audio", 1, 16000.0),
]


def test_a_device_is_found_by_index_or_any_case_of_part_of_its_name():
    assert find_input_device("2", INPUTS).name == "Scarlett 2i2 USB"
    assert find_input_device("blackhole", INPUTS).index == 1
    assert find_input_device("HEADSET", INPUTS).index == 3


def test_device_not_found_is_one_line_listing_the_inputs():
    with pytest.raises(LivecueError) as err:
        find_input_device("zoom", INPUTS)
    message = str(err.value)
    assert "\n" not in message and err.value.exit_code == 4
    assert "no input device matches 'zoom'" in message
    for d in INPUTS:
        assert repr(d.name) in message
    with pytest.raises(LivecueError, match="no input device with index 9"):
        find_input_device("9", INPUTS)


def test_an_ambiguous_name_asks_for_the_index():
    with pytest.raises(LivecueError, match=r"'usb' matches several inputs: 2 'Scarlett 2i2 USB', 3 "):
        find_input_device("usb", INPUTS)


def test_two_devices_or_one_device_with_two_channels():
    two = plan_capture(INPUTS, rep_device="headset", prospect_device="blackhole")
    assert [(p.device.index, p.channels) for p in two] == [(3, {"rep": 0}), (1, {"prospect": 0})]
    one = plan_capture(INPUTS, device="scarlett")
    assert [(p.device.index, p.channels, p.open_channels) for p in one] == [(2, {"rep": 0, "prospect": 1}, 2)]
    swapped = plan_capture(INPUTS, device="blackhole", rep_channel=1, prospect_channel=0)
    assert swapped[0].channels == {"rep": 1, "prospect": 0}
    # the same device named twice with different channels is opened once
    same = plan_capture(INPUTS, rep_device="2", prospect_device="scarlett", prospect_channel=1)
    assert len(same) == 1 and same[0].channels == {"rep": 0, "prospect": 1}


@pytest.mark.parametrize("kwargs, message", [
    ({}, "say where each side comes from"),
    ({"rep_device": "headset"}, "--prospect-input is missing"),
    ({"device": "scarlett", "rep_device": "headset"}, "use either --input"),
    ({"device": "scarlett", "rep_channel": 1, "prospect_channel": 1}, "same channel"),
    ({"device": "blackhole", "prospect_channel": 2}, r"has 2 input channel\(s\) \(0 to 1\); channel 2"),
    ({"rep_device": "headset", "prospect_device": "3"}, "both sides would capture the same input"),
    ({"device": "scarlett", "rep_channel": -1}, "counts from 0"),
])
def test_bad_choices_are_one_line_errors(kwargs, message):
    with pytest.raises(LivecueError, match=message) as err:
        plan_capture(INPUTS, **kwargs)
    assert "\n" not in str(err.value)


def test_listing_marks_the_default_input_and_skips_outputs():
    sd = FakeSoundDevice([device(0, "Mic", 1, default=True), device(1, "Speakers", 0), device(2, "Loop", 2, 44100.0)])
    listed = list_input_devices(sd)
    assert [(d.index, d.name, d.is_default, d.channels, d.default_rate) for d in listed] == [
        (0, "Mic", True, 1, 48000.0), (2, "Loop", False, 2, 44100.0)]


# --- the source with a hand-driven PortAudio ----------------------------------------


def make_source(tmp_path=None, **kwargs):
    sd = FakeSoundDevice([device(0, "Mic", 1, 48000.0, default=True), device(1, "Loop", 2, 44100.0)])
    plans = plan_capture(list_input_devices(sd), rep_device="mic", prospect_device="loop")
    source = DeviceSource(plans, sd=sd, **kwargs)
    clock = ManualClock()
    source.start(clock)
    return sd, source, clock


def run_for(sd, source, clock, seconds, step=0.05, rep=0.2, prospect=0.4, skip=()):
    items = []
    for _ in range(int(round(seconds / step))):
        clock.advance(step)
        for dev, value in ((0, rep), (1, prospect)):
            stream = sd.live(dev) if any(s.device == dev and not s.closed for s in sd.streams) else None
            if stream is not None and stream.active and dev not in skip:
                stream.deliver(clock.now(), step, [value])
        read = source.read(0.0)
        items += [*read.events, *read.audio]  # these tests look at both, filtered by type
    return items


def side_audio(items, speaker):
    chunks = [x for x in items if isinstance(x, AudioChunk) and x.speaker == speaker]
    for a, b in zip(chunks, chunks[1:]):
        assert abs(b.t - (a.t + a.duration)) < 1e-9
    return np.concatenate([c.samples for c in chunks])


def test_each_device_feeds_its_own_side_at_its_native_rate():
    sd, source, clock = make_source()
    assert [(s.device, s.samplerate, s.channels) for s in sd.streams] == [(0, 48000.0, 1), (1, 44100.0, 1)]
    assert "Mic (rep ch0, 48000 Hz)" in source.description and "Loop (prospect ch0, 44100 Hz)" in source.description
    items = run_for(sd, source, clock, 1.0)
    rep, prospect = side_audio(items, "rep"), side_audio(items, "prospect")
    assert np.allclose(rep[200:-200], 0.2, atol=1e-3) and np.allclose(prospect[200:-200], 0.4, atol=1e-3)
    source.close()
    assert all(s.closed for s in sd.streams)


def test_a_wandering_reported_capture_time_does_not_put_silence_into_speech():
    """The ALSA PulseAudio plugin's capture time claims a latency that shrinks from 0.2 s to 0 over
    the first seconds (measured: docs/benchmarks.md, "live capture stamps"); the audio itself is
    continuous, so neither side may get silence inserted into it, and both stay in step."""
    sd, source, clock = make_source()
    step, items = 0.025, []
    for i in range(200):  # 5 s
        clock.advance(step)
        error = max(0.0, 0.2 - 0.05 * i) if i < 8 else max(0.0, 0.025 - 0.001 * (i - 8))
        sd.live(0).deliver(clock.now(), step, [0.2], adc_error_s=error)
        sd.live(1).deliver(clock.now(), step, [0.4])
        read = source.read(0.0)
        items += [*read.events, *read.audio]
    rep, prospect = side_audio(items, "rep"), side_audio(items, "prospect")
    start = {s: np.flatnonzero(a > 0.1)[0] for s, a in (("rep", rep), ("prospect", prospect))}
    assert abs(start["rep"] - start["prospect"]) <= 16  # within 1 ms at 16 kHz
    assert np.all(rep[start["rep"] + 200:-200] > 0.19)  # no silence after speech began
    source.close()


def test_without_portaudio_times_a_block_is_stamped_by_the_capture_clock():
    """A host API that reports no times: the block ended one stream latency before the callback ran."""
    sd, source, clock = make_source()
    clock.advance(1.0)
    sd.live(0).deliver(clock.now(), 0.5, [0.2], times=False)
    sd.live(1).deliver(clock.now(), 0.5, [0.4], times=False)
    read = source.read(0.0)
    for speaker in ("rep", "prospect"):
        audio = side_audio(read.audio, speaker)
        first = np.flatnonzero(audio > 0.1)[0] / 16000
        assert abs(first - (1.0 - 0.5 - 0.01)) < 0.002  # the fake stream's latency is 0.01 s
    source.close()


def test_a_lost_device_is_reported_the_other_side_keeps_going_and_it_is_reopened(tmp_path):
    sd, source, clock = make_source()
    items = run_for(sd, source, clock, 1.0)
    sd.fail_open[1] = "Device unavailable"
    sd.live(1).die()
    items += run_for(sd, source, clock, 2.0)
    lost = [e for e in items if isinstance(e, ChannelStatus) and e.state == "lost"]
    assert [(e.speaker, round(e.t, 2)) for e in lost] == [("prospect", 1.05)]
    assert any(isinstance(e, Notice) and "lost input 'Loop'" in e.message for e in items)
    del sd.fail_open[1]
    items += run_for(sd, source, clock, 2.0)
    back = [e for e in items if isinstance(e, ChannelStatus) and e.state == "reopened"]
    assert len(back) == 1 and back[0].speaker == "prospect" and 3.0 < back[0].t < 4.2
    audio, events = source._finish(clock.now(), "stopped")
    items += events + audio
    rep, prospect = side_audio(items, "rep"), side_audio(items, "prospect")
    assert abs(len(rep) - 5 * 16000) < 200  # the rep side never stopped
    # the prospect side: audio until the loss, silence while lost, audio again after the reopen
    assert np.allclose(prospect[1600:14400], 0.4, atol=1e-3)
    assert np.all(np.abs(prospect[int(1.2 * 16000):int(3.0 * 16000)]) < 1e-6)
    t_back = back[0].t
    assert np.allclose(prospect[int((t_back + 0.2) * 16000):int(4.8 * 16000)], 0.4, atol=1e-3)
    assert abs(len(prospect) - len(rep)) < 200


def test_duration_ends_both_sides_at_exactly_that_time():
    sd, source, clock = make_source(duration_s=1.5)
    items = []
    while not source.exhausted:
        items += run_for(sd, source, clock, 0.05)
        assert clock.now() < 5, "never a hang"
    assert source.end_reason == "duration"
    assert len(side_audio(items, "rep")) == len(side_audio(items, "prospect")) == 24000
    assert all(s.closed for s in sd.streams)


def test_overflows_become_status_events():
    sd, source, clock = make_source()
    clock.advance(0.1)
    sd.live(0).deliver(clock.now(), 0.1, [0.1], overflow=True)
    items = source.read(0.0).events
    status = [e for e in items if isinstance(e, ChannelStatus)]
    assert [(e.speaker, e.state, e.overflows) for e in status] == [("rep", "overflow", 1)]


def test_record_writes_a_stereo_wav_rep_left_prospect_right(tmp_path):
    path = tmp_path / "call.wav"
    sd, source, clock = make_source(record_path=path, duration_s=1.0)
    while not source.exhausted:
        run_for(sd, source, clock, 0.05)
    source.close()
    with wave.open(str(path)) as w:
        assert (w.getnchannels(), w.getframerate(), w.getsampwidth(), w.getnframes()) == (2, 16000, 2, 16000)
        pcm = np.frombuffer(w.readframes(16000), "<i2").reshape(-1, 2) / 32767.0
    assert np.allclose(pcm[400:-400, 0], 0.2, atol=2e-3) and np.allclose(pcm[400:-400, 1], 0.4, atol=2e-3)


def test_a_busy_device_fails_at_open_in_one_line_and_closes_what_it_opened():
    sd = FakeSoundDevice([device(0, "Mic", 1), device(1, "Loop", 2)])
    sd.fail_open[1] = "Device unavailable [PaErrorCode -9985]"
    plans = plan_capture(list_input_devices(sd), rep_device="0", prospect_device="1")
    with pytest.raises(LivecueError, match=r"cannot open input 1 'Loop': Device unavailable .*busy") as err:
        DeviceSource(plans, sd=sd)
    assert err.value.exit_code == 4
    assert all(s.closed for s in sd.streams)


# --- without PortAudio ----------------------------------------------------------


@pytest.fixture
def no_portaudio(tmp_path):
    """A sounddevice that fails to import the way it does when libportaudio is missing."""
    (tmp_path / "sounddevice.py").write_text("raise OSError('PortAudio library not found')\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(ROOT / "src")]))
    return env


@pytest.mark.parametrize("argv", [["devices"], ["live", "--rep-input", "0", "--prospect-input", "1"], ["doctor"]])
def test_without_portaudio_device_commands_say_how_to_install_it(no_portaudio, argv):
    proc = subprocess.run([sys.executable, "-m", "livecue", *argv], env=no_portaudio,
                          capture_output=True, text=True, timeout=120)
    if argv[0] == "doctor":  # doctor reports it and carries on with the rest
        assert "PortAudio" in proc.stdout and "apt-get install libportaudio2" in proc.stdout
        return
    assert proc.returncode == 4
    assert proc.stderr.count("\n") == 1
    assert "PortAudio library, which is not installed" in proc.stderr
    assert "apt-get install libportaudio2" in proc.stderr
    assert proc.stdout == ""


def test_without_portaudio_replay_never_imports_sounddevice(no_portaudio):
    code = ("import sys, livecue.cli as c; c.build_parser('replay'); "
            "import livecue.commands.live, livecue.commands.devices, livecue.audio.capture; "
            "print('sounddevice' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], env=no_portaudio, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"


def test_devices_json_lists_inputs(monkeypatch, capsys):
    import livecue.audio.devices as devices_module
    from livecue.commands import devices as command

    sd = FakeSoundDevice([device(0, "Mic", 1, default=True), device(1, "Speakers", 0), device(2, "Loop", 2)])
    monkeypatch.setattr(devices_module, "import_sounddevice", lambda: sd)
    assert command.run(type("A", (), {"json": True})()) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(d["index"], d["name"], d["default"]) for d in listed] == [(0, "Mic", True), (2, "Loop", False)]
    assert command.run(type("A", (), {"json": False})()) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[1].startswith("*") and "Mic" in table[1] and "Loop" in table[2] and "Speakers" not in "".join(table)


@pytest.mark.parametrize("argv, message", [
    (["--duration", "0"], "livecue: --duration must be a positive number of seconds\n"),
    (["--record", "call.mp3"], "livecue: --record writes a WAV file: name it .wav (got call.mp3)\n"),
])
def test_bad_live_options_are_one_line_errors_before_any_device_opens(no_portaudio, argv, message):
    proc = subprocess.run([sys.executable, "-m", "livecue", "live", "--rep-input", "0", "--prospect-input", "1",
                           *argv], env=no_portaudio, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stderr == message


def test_a_recording_that_cannot_be_written_fails_before_capture_starts(tmp_path):
    sd = FakeSoundDevice([device(0, "Mic", 1), device(1, "Loop", 2)])
    plans = plan_capture(list_input_devices(sd), rep_device="0", prospect_device="1")
    with pytest.raises(LivecueError, match=r"cannot write the recording .*missing/call.wav: No such file"):
        DeviceSource(plans, sd=sd, record_path=tmp_path / "missing" / "call.wav")
    assert sd.streams == []
