"""The pipeline's one stage loop and its declared replay controls (issue 13)."""

import numpy as np

from livecue.audio.files import CallAudio, FileSource
from livecue.clock import AudioClock
from livecue.events import Notice
from livecue.pipeline import ListSink, Pipeline
from livecue.sources import LIVE, REPLAY
from livecue.transcribers import TranscriberCapabilities


class Echo:
    """Turns every notice into one more notice (so a stage's output is visible)."""

    def __init__(self, tag):
        self.tag = tag

    def feed(self, event):
        if isinstance(event, Notice) and not event.message.startswith("echo"):
            return [Notice(event.t, "info", f"echo {self.tag}: {event.message}")]
        return []


class Broken:
    def feed(self, event):
        raise ValueError("bad stage")


def messages(sink):
    return [e.message for e in sink.events]


def test_a_failing_stage_is_reported_and_switched_off_in_dispatch():
    sink, broken = ListSink(), Broken()
    p = Pipeline(None, None, [Echo("a"), broken, Echo("b")], [sink], AudioClock())
    p.dispatch([Notice(1.0, "info", "one"), Notice(2.0, "info", "two")])
    assert broken not in p.stages
    # the failure notice still passes the stages after the broken one, like any event
    assert messages(sink) == ["one", "echo a: one", "Broken stopped: bad stage",
                              "echo b: one", "echo b: Broken stopped: bad stage",
                              "two", "echo a: two", "echo b: two"]


def test_events_made_at_close_pass_only_later_stages_and_a_failure_there_is_caught_the_same_way():
    sink, first, broken, last = ListSink(), Echo("a"), Broken(), Echo("b")
    p = Pipeline(None, None, [first, broken, last], [sink], AudioClock())
    p.dispatch_after(first, [Notice(3.0, "info", "closing")])  # raised out of the pipeline before
    assert broken not in p.stages and first in p.stages
    assert messages(sink) == ["closing", "Broken stopped: bad stage",
                              "echo b: closing", "echo b: Broken stopped: bad stage"]  # never "echo a"
    p.dispatch_after(first, [Notice(4.0, "info", "again")])
    assert messages(sink)[-2:] == ["again", "echo b: again"]


class Recording:
    """A source stand-in that records which controls reached it."""

    def __init__(self, capabilities):
        self.capabilities = capabilities
        self.calls = []

    def pause(self):
        self.calls.append("pause")

    def resume(self):
        self.calls.append("resume")

    def seek(self, delta_s):
        self.calls.append(("seek", delta_s))


class NoTranscript:
    capabilities = TranscriberCapabilities(resettable=True)

    def reset(self):
        return []


def test_controls_reach_the_source_only_where_its_capabilities_say_so():
    for caps, expected in ((REPLAY, ["pause", "resume", ("seek", 10.0)]), (LIVE, [])):
        source = Recording(caps)
        p = Pipeline(source, NoTranscript(), [], [ListSink()], AudioClock())
        assert p.capabilities == caps
        for action, value in (("pause", 0.0), ("resume", 0.0), ("seek", 10.0)):
            p.control(action, value)
        p._apply_controls()  # what the loop does each turn, on its own thread
        assert source.calls == expected


def test_both_sources_declare_their_capabilities_and_one_read_signature():
    call = CallAudio({"rep": np.zeros(1600, np.float32), "prospect": np.zeros(1600, np.float32)}, "x")
    source = FileSource(call, fast=True)
    assert source.capabilities.pausable and source.capabilities.seekable and not source.capabilities.live
    source.start(AudioClock())
    assert source.read(0.0, stop=None).audio  # the keyword the Source contract names
    from livecue.audio.devices import DeviceSource
    assert DeviceSource.capabilities.live and not DeviceSource.capabilities.seekable


class Backlog:
    """A transcriber with three decodes due after every chunk; records what was read when it decoded."""

    capabilities = TranscriberCapabilities(interim_results=True)

    def __init__(self):
        self.due, self.fed, self.log = 0, 0, []

    def feed(self, chunk):
        self.fed += 1
        self.due += 3
        return []

    def pending(self):
        return self.due > 0

    def step(self):
        self.due -= 1
        self.log.append(self.fed)
        return []

    def finish(self):
        self.log.append("finish")
        return []


def test_on_audio_time_every_due_decode_runs_before_more_audio_is_read():
    """--fast stands for a machine that keeps up: decodes never fall behind the audio read."""
    call = CallAudio({"rep": np.zeros(16000 * 3, np.float32)}, "x")
    source = FileSource(call, fast=True, block_s=1.0)
    assert source.capabilities.audio_time and not FileSource(call).capabilities.audio_time
    transcriber = Backlog()
    Pipeline(source, transcriber, [], [ListSink()], AudioClock()).run()
    # three decodes after each of the three one-second reads, none carried over to a later read
    assert [n for n in transcriber.log if n != "finish"] == [1, 1, 1, 2, 2, 2, 3, 3, 3]
