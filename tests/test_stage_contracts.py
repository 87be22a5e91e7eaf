"""Declared contracts between the pipeline's parts (issue 13a): audio and events apart,
the transcriber's end-of-utterance event, the tracker's public timeline position,
one call-time formatter."""

import re
from pathlib import Path

import numpy as np
import pytest

from livecue.asr.streaming import StreamingTranscriber
from livecue.audio.files import CallAudio, FileSource
from livecue.audio_facts import CALL_SIDES, SPEAKERS, call_clock, clock_hms, clock_mmss, clock_tenths
from livecue.clock import AudioClock, ManualClock
from livecue.config import AsrSettings, VadSettings
from livecue.cues.signals import Tracker
from livecue.events import (AudioChunk, Committed, Event, Lag, SpeechEnded, SpeechStarted, UtteranceEnded,
                            event_from_json)
from livecue.pipeline import ListSink, Pipeline
from livecue.sources import REPLAY
from livecue.transcribers import TranscriberCapabilities

from cue_events import committed, utterance
from fakes import EnergyVoice, ScriptedEngine, call_audio, chunks

SRC = Path(__file__).resolve().parents[1] / "src" / "livecue"


def transcribe(engine, audio, fast=False):
    clock = ManualClock()
    tr = StreamingTranscriber(engine, ("prospect",), AsrSettings(min_update_s=0.5), VadSettings(), clock,
                              EnergyVoice, fast=fast)
    events = []
    for c in chunks("prospect", audio):
        clock.set(c.t + c.duration)
        events += tr.feed(c)
        while tr.pending():
            events += tr.step()
    return events + tr.finish(), tr


@pytest.mark.parametrize("fast", [False, True])
def test_every_final_decode_says_the_utterance_ended_also_when_it_heard_no_words(fast):
    speech = [(0.9, 2.0), (3.5, 4.6)]
    events, _ = transcribe(ScriptedEngine([]), call_audio(6.0, speech), fast=fast)  # hears nothing
    ended = [e for e in events if isinstance(e, UtteranceEnded)]
    assert not any(isinstance(e, Committed) for e in events)
    assert [e.speaker for e in ended] == ["prospect", "prospect"]
    gate_ends = [e.t for e in events if isinstance(e, SpeechEnded)]
    assert len(gate_ends) == 2
    for e, end in zip(ended, gate_ends):  # audio time: the utterance's end (the gate pads a little)
        assert abs(e.t - end) < 0.5


def test_the_end_of_utterance_comes_before_the_final_words_it_closes():
    words = [("hello", 1.0, 1.4), ("there", 1.5, 1.9)]
    events, _ = transcribe(ScriptedEngine(words, unstable_tail=False), call_audio(4.0, [(0.9, 2.0)]), fast=True)
    kinds = [type(e).__name__ for e in events if isinstance(e, (UtteranceEnded, Committed))]
    assert kinds == ["UtteranceEnded", "Committed"]
    final = [e for e in events if isinstance(e, Committed)][0]
    assert final.final and [w.word for w in final.words] == ["hello", "there"]


def test_the_end_of_utterance_event_round_trips_through_json():
    e = UtteranceEnded(3.25, "rep")
    assert e.to_json() == {"type": "utterance_end", "t": 3.25, "speaker": "rep"}
    assert event_from_json(e.to_json()) == e


def test_the_tracker_closes_a_segment_on_the_end_of_utterance_not_on_a_lag_reading():
    for closer, closes in ((Lag(2.6, "rep", 0.2, 0.1), False), (UtteranceEnded(2.4, "rep"), True)):
        tr = Tracker()
        for e in [SpeechStarted(1.0, "rep"), committed("rep", 1.0, 2.0, "hello there"), SpeechEnded(2.4, "rep", 1.0)]:
            tr.feed(e, e.t)
        assert tr.feed(closer, 2.6) == []
        updates = tr.tick(2.8)  # well before final_wait_s (1.5 s) after the speech ended
        assert [u.kind for u in updates] == (["final"] if closes else [])


def test_the_tracker_says_where_a_segment_sits_in_its_timeline():
    tr = Tracker()
    for e in utterance("rep", 0.0, 2.0, "Hi there.") + utterance("prospect", 2.5, 3.0, "Hello.") \
            + utterance("rep", 3.5, 5.0, "Got a minute?"):
        tr.feed(e, e.t)
    assert [tr.position(seg) for seg in tr.timeline] == [0, 1, 2]
    assert not hasattr(Tracker, "_index")  # the detector and triggers use the public accessor


def test_a_source_read_keeps_audio_and_events_apart():
    call = CallAudio({"rep": np.zeros(40000, np.float32), "prospect": np.zeros(40000, np.float32)}, "x",
                     notices=("three channels",))
    source = FileSource(call, fast=True)
    source.start(AudioClock())
    reads = []
    while not source.exhausted:
        reads.append(source.read())
    assert all(isinstance(c, AudioChunk) for r in reads for c in r.audio)
    assert all(isinstance(e, Event) for r in reads for e in (*r.before, *r.after))
    assert [e.message for e in reads[0].before] == ["three channels"]  # said before the first audio
    assert sum(len(c.samples) for r in reads for c in r.audio if c.speaker == "rep") == 40000
    assert reads[-1].after[-1].type == "progress"


class _Fixed:
    """A transcriber that cannot forget its buffers."""

    capabilities = TranscriberCapabilities(resettable=False)


class _Source:
    capabilities = REPLAY


def test_a_replay_is_seekable_only_where_the_transcriber_can_reset():
    p = Pipeline(_Source(), _Fixed(), [], [ListSink()], AudioClock())
    assert p.capabilities.pausable and not p.capabilities.seekable


def test_a_stage_without_close_is_not_a_stage():
    class FeedOnly:
        def feed(self, event):
            return []

    p = Pipeline(_Source(), _Fixed(), [FeedOnly()], [ListSink()], AudioClock())
    p.source.close = lambda: None
    p.transcriber.finish = lambda: []
    p.finish("end of input")  # close() is part of the contract: its absence is reported, not probed around
    (last_notice,) = [e for e in p.sinks[0].events if e.type == "notice"]
    assert "FeedOnly stopped" in last_notice.message


def test_no_part_is_probed_with_hasattr_or_getattr():
    for name in ("pipeline.py", "sources.py", "stages.py", "transcribers.py", "cues/signals.py",
                 "cues/detector.py", "cues/stage.py"):
        text = (SRC / name).read_text()
        assert not re.search(r"\b(hasattr|getattr)\(", text), name
    # the sources ask their clock nothing either (an exception's or PortAudio's fields are not parts)
    for name in ("audio/files.py", "audio/devices.py"):
        text = (SRC / name).read_text()
        assert not re.search(r"\b(hasattr|getattr)\((self|self\._clock|clock|source|stage|sink)\b", text), name


def test_one_call_time_formatter_in_three_styles():
    assert (call_clock(65.3, "tenths"), call_clock(3725.4, "hms"), call_clock(3725.4, "mmss")) == \
        ("01:05.3", "1:02:05", "62:05")
    assert call_clock(-3.0) == "00:00" and call_clock(59.99) == "00:59"
    for t in (0.0, 9.95, 61.0, 3599.9, 3600.0, 7322.2):
        assert clock_hms(t) == call_clock(t, "hms")
        assert clock_mmss(t) == call_clock(t, "mmss")
        assert clock_tenths(t) == call_clock(t, "tenths")


def test_one_speaker_vocabulary():
    from typing import get_args

    from livecue.audio_facts import Speaker

    assert SPEAKERS == get_args(Speaker) == ("rep", "prospect", "call")
    assert CALL_SIDES == ("rep", "prospect")


def members(protocol) -> set[str]:
    """The names a Protocol declares (methods, properties, annotated fields)."""
    names = {n for n in vars(protocol) if not n.startswith("_")} | set(getattr(protocol, "__annotations__", {}))
    return names


def test_the_real_parts_have_every_member_their_contract_declares():
    from livecue.audio.devices import DeviceSource, list_input_devices, plan_capture
    from livecue.cues.stage import build_cue_stage
    from livecue.sources import Source
    from livecue.stages import Stage
    from livecue.transcribers import Transcriber

    from fake_sounddevice import FakeSoundDevice, device

    sd = FakeSoundDevice([device(0, "Mic", 1, 48000.0, default=True), device(1, "Loop", 2, 44100.0)])
    live = DeviceSource(plan_capture(list_input_devices(sd), rep_device="mic", prospect_device="loop"), sd=sd)
    replay = FileSource(CallAudio({"rep": np.zeros(160, np.float32), "prospect": np.zeros(160, np.float32)}, "x"))
    transcriber = StreamingTranscriber(ScriptedEngine([]), CALL_SIDES, AsrSettings(), VadSettings(), ManualClock(),
                                       EnergyVoice)
    stage = build_cue_stage(None, None, ManualClock(), watch=False)
    assert members(Source) >= {"capabilities", "read", "pause", "seek", "exhausted"}
    for part, contract in ((live, Source), (replay, Source), (transcriber, Transcriber), (stage, Stage)):
        missing = [n for n in members(contract) if not hasattr(part, n)]
        assert missing == [], (type(part).__name__, missing)
    live.close()
