"""Decodes off the loop (issue 11l): live and paced, the engine call runs on the pipeline's decode
thread while the loop keeps reading audio and dispatching the gate's events; on audio time nothing
changes.  Errors and shutdown must never hang the session."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np

from livecue import pipeline as pipeline_module
from livecue.asr.streaming import StreamingTranscriber
from livecue.audio.files import CallAudio, FileSource
from livecue.clock import AudioClock, ManualClock, WallClock
from livecue.config import AsrSettings, VadSettings
from livecue.events import AudioChunk, Committed, Notice, SessionEnded, SpeechEnded, Word
from livecue.pipeline import ListSink, Pipeline
from livecue.sources import REPLAY, SourceRead
from livecue.transcribers import TranscriberCapabilities

from fakes import EnergyVoice, ScriptedEngine, call_audio, chunks

FIXTURE = Path(__file__).parent / "fixtures" / "fast_replay_events.jsonl"
WAIT_S = 5.0  # the longest a fake decode waits for what the test expects; failing beats hanging


# --- a fake source and transcriber with declared decode jobs ---------------------------------------------


class Blocks:
    """A paced-like source (not on audio time): one 0.1 s block per read, then exhausted."""

    capabilities = REPLAY
    speakers = ("prospect",)
    description = "blocks"
    duration = None
    end_reason = "end of input"

    def __init__(self, n: int) -> None:
        self.n, self.pos = n, 0

    @property
    def exhausted(self) -> bool:
        return self.pos >= self.n

    def start(self, clock) -> None:
        pass

    def read(self, timeout_s=0.1, stop=None) -> SourceRead:
        if self.exhausted:
            return SourceRead()
        t = self.pos * 0.1
        self.pos += 1
        return SourceRead([], [AudioChunk("prospect", t, np.zeros(1600, np.float32))], [])

    def close(self) -> None:
        pass


class Jobs:
    """One decode is due after the first block; the gate ends the speech with block ``end_at``.

    ``run_decode`` waits for ``release`` (set by the test) or gives up after WAIT_S, noting it did.
    """

    capabilities = TranscriberCapabilities(interim_results=True, resettable=True, decode_jobs=True)

    def __init__(self, end_at: int = 3, fail: Exception | None = None) -> None:
        self.end_at, self.fail = end_at, fail
        self.fed = 0
        self.due = 0
        self.release = threading.Event()
        self.gave_up = False
        self.running = threading.Event()
        self.log: list[str] = []

    def feed(self, chunk):
        self.fed += 1
        if self.fed == 1:
            self.due = 1
        if self.fed == self.end_at:
            return [SpeechEnded(chunk.t + 0.1, "prospect", 0.0)]
        return []

    def pending(self):
        return self.due > 0

    def step(self):
        job = self.next_decode()
        return self.apply_decode(job, self.run_decode(job))

    def next_decode(self):
        return "job" if self.due else None

    def run_decode(self, job):
        self.running.set()
        self.log.append("run")
        if self.fail is not None:
            raise self.fail
        if not self.release.wait(WAIT_S):
            self.gave_up = True
        self.log.append("ran")
        return "result"

    def apply_decode(self, job, result):
        self.due = 0
        self.log.append("apply")
        return [Committed(0.3, "prospect", "hello", (Word("hello", 0.0, 0.3),), False)]

    def finish(self):
        self.log.append("finish")
        return []

    def reset(self):
        return []


class ReleaseOn:
    """A sink that lets the fake decode finish once it has seen an event of ``kind``."""

    def __init__(self, kind, release: threading.Event) -> None:
        self.kind, self.release, self.events = kind, release, []

    def handle(self, event) -> None:
        self.events.append(event)
        if isinstance(event, self.kind):
            self.release.set()

    def close(self) -> None:
        pass


def kinds(events):
    return [type(e).__name__ for e in events]


# --- the end of speech does not wait behind a decode ----------------------------------------------------


def test_the_end_of_speech_is_dispatched_while_a_slow_decode_is_still_running():
    transcriber = Jobs(end_at=3)
    sink = ReleaseOn(SpeechEnded, transcriber.release)
    Pipeline(Blocks(6), transcriber, [], [sink], ManualClock()).run()
    assert not transcriber.gave_up  # the decode was released by the end of speech reaching the sink
    names = kinds(sink.events)
    assert names.index("SpeechEnded") < names.index("Committed")
    assert transcriber.log == ["run", "ran", "apply", "finish"]  # final decodes only after the last one settled
    assert names[-1] == "SessionEnded" and sink.events[-1].reason == "end of input"


def test_with_the_decode_thread_off_the_same_fake_waits_behind_its_decode():
    """The loop above, one thread: the end of speech reaches the sink only after the decode (the old loop)."""
    transcriber = Jobs(end_at=3)
    transcriber.release.set()  # or the test would wait WAIT_S
    sink = ReleaseOn(SpeechEnded, transcriber.release)
    Pipeline(Blocks(6), transcriber, [], [sink], ManualClock(), decode_thread=False).run()
    names = kinds(sink.events)
    assert names.index("Committed") < names.index("SpeechEnded")


class GatedEngine(ScriptedEngine):
    """A scripted engine whose first decode waits until the side's end of speech was dispatched."""

    def __init__(self, seen_end: threading.Event, *a, **k) -> None:
        super().__init__(*a, **k)
        self.seen_end, self.waited, self.gave_up = seen_end, 0, False

    def transcribe(self, audio, prompt="", beam_size=None, context=None, min_window_s=0.0):
        if not self.waited:
            self.waited = 1
            if not self.seen_end.wait(WAIT_S):
                self.gave_up = True
        return super().transcribe(audio, prompt, beam_size)


def test_paced_replay_with_the_streaming_transcriber_sends_the_end_of_speech_during_a_decode():
    words = [("we", 0.3, 0.5), ("are", 0.6, 0.8), ("set", 0.9, 1.1)]
    seen_end = threading.Event()
    engine = GatedEngine(seen_end, words, unstable_tail=False)
    clock = WallClock(speed=4.0)
    call = CallAudio({"prospect": call_audio(2.4, [(0.25, 1.2)])}, "x")
    tr = StreamingTranscriber(engine, ("prospect",), AsrSettings(), VadSettings(), clock, EnergyVoice)
    sink = ReleaseOn(SpeechEnded, seen_end)
    Pipeline(FileSource(call), tr, [], [sink], clock).run()
    assert not engine.gave_up
    names = kinds(sink.events)
    assert names.index("SpeechEnded") < names.index("Committed")
    got = [w.word for e in sink.events if isinstance(e, Committed) for w in e.words]
    assert got == ["we", "are", "set"]


def test_a_job_decodes_the_audio_it_was_cut_with_whatever_is_fed_meanwhile():
    words = [("we", 1.0, 1.3), ("already", 1.4, 1.9), ("have", 2.0, 2.3)]
    engine = ScriptedEngine(words, unstable_tail=False)
    clock = ManualClock()
    tr = StreamingTranscriber(engine, ("prospect",), AsrSettings(), VadSettings(), clock, EnergyVoice)
    blocks = list(chunks("prospect", call_audio(4.0, [(0.9, 2.5)])))
    job = None
    for i, c in enumerate(blocks):
        clock.set(c.t + c.duration)
        tr.feed(c)
        if job is None:
            job = tr.next_decode()
            if job is not None:
                cut_at, audio = i, job.audio.copy()
    assert job is not None and cut_at < len(blocks) - 5  # audio kept coming after the job was cut
    result = tr.run_decode(job)
    assert np.array_equal(job.audio, audio)
    assert abs(engine.calls[-1][1] - engine.calls[-1][0] - len(audio) / 16000) < 1e-3  # not the audio fed since
    events = tr.apply_decode(job, result) + tr.finish()
    assert [w.word for e in events if isinstance(e, Committed) for w in e.words] == ["we", "already", "have"]


# --- on audio time: the same events as before -----------------------------------------------------------


def fast_replay_events(final_only: bool):
    """The fixture call (tests/fixtures/make_fast_replay_events.py) replayed --fast through the pipeline."""
    from fixtures.make_fast_replay_events import replay

    return replay(final_only)


def comparable(record: dict) -> dict:
    """An event's JSON record, less a Lag's wall-clock figures (which no two runs share)."""
    if record["type"] == "lag":
        return {k: record[k] for k in ("type", "t", "speaker")}
    return record


def test_fast_replays_give_the_events_main_gave_before_the_decode_thread():
    expected = [json.loads(line) for line in FIXTURE.read_text().splitlines()]
    for final_only in (True, False):
        want = [comparable(d["event"]) for d in expected if d["final_only"] == final_only]
        got = [comparable(json.loads(json.dumps(e.to_json()))) for e in fast_replay_events(final_only)]
        assert sum(r["type"] == "committed" for r in want) >= 5
        assert got == want


def test_on_audio_time_no_decode_thread_is_started():
    call = CallAudio({"prospect": call_audio(3.0, [(0.5, 2.0)])}, "x")
    engine = ScriptedEngine([("yes", 0.6, 1.0)], unstable_tail=False)
    clock = AudioClock()
    tr = StreamingTranscriber(engine, ("prospect",), AsrSettings(), VadSettings(), clock, EnergyVoice, fast=True)
    class Threads(ListSink):
        """Notes the threads alive whenever an event arrives."""

        names: set = set()

        def handle(self, event):
            super().handle(event)
            self.names |= {t.name for t in threading.enumerate()}

    sink = Threads()
    p = Pipeline(FileSource(call, fast=True), tr, [], [sink], clock)
    p.run()
    assert p._worker is None and "livecue-decode" not in sink.names
    assert any(isinstance(e, Committed) for e in sink.events)


# --- errors and shutdown ----------------------------------------------------------------------------------


def test_an_error_in_the_decode_thread_is_reported_raised_on_the_loop_and_the_session_closes():
    transcriber = Jobs(fail=RuntimeError("engine crashed"))
    sink = ListSink()
    p = Pipeline(Blocks(50), transcriber, [], [sink], ManualClock())
    try:
        p.run()
    except RuntimeError as exc:
        assert str(exc) == "engine crashed"
    else:
        raise AssertionError("the worker's error was swallowed")
    notices = [e.message for e in sink.events if isinstance(e, Notice)]
    assert notices == ["decoding stopped: RuntimeError: engine crashed"]
    assert isinstance(sink.events[-1], SessionEnded) and sink.events[-1].reason == "error"
    assert "finish" not in transcriber.log  # no more decodes with an engine that failed
    p._worker._thread.join(1.0)
    assert not p._worker.alive


def test_a_stop_while_a_decode_runs_waits_for_it_then_decodes_the_rest_once():
    transcriber = Jobs(end_at=100)
    stop = threading.Event()

    sink = ListSink()
    source = Blocks(1000)
    p = Pipeline(source, transcriber, [], [sink], ManualClock())
    runner = threading.Thread(target=p.run, args=(stop,))
    runner.start()
    assert transcriber.running.wait(WAIT_S)
    stop.set()  # what SIGTERM does (termination.stop_on_signals)
    threading.Timer(0.2, transcriber.release.set).start()
    runner.join(WAIT_S)
    assert not runner.is_alive()
    assert transcriber.log == ["run", "ran", "apply", "finish"]  # settled, taken back, then the final decodes
    assert kinds(sink.events)[-2:] == ["Committed", "SessionEnded"]
    assert sink.events[-1].reason == "stopped"
    assert not p._worker.alive or p._worker._thread.join(1.0) is None


def test_a_decode_that_never_returns_ends_a_stopped_session_with_an_error_not_a_hang(monkeypatch):
    monkeypatch.setattr(pipeline_module, "DECODE_WAIT_S", 0.2)
    transcriber = Jobs(end_at=100)
    sink, stop = ListSink(), threading.Event()
    p = Pipeline(Blocks(3), transcriber, [], [sink], ManualClock())
    runner = threading.Thread(target=p.run, args=(stop,))
    runner.start()
    assert transcriber.running.wait(WAIT_S)
    stop.set()
    runner.join(2.0)
    hung = runner.is_alive()
    transcriber.release.set()
    assert not hung
    assert isinstance(sink.events[-1], SessionEnded) and sink.events[-1].reason == "error"
    assert [e.message for e in sink.events if isinstance(e, Notice)] == [
        "decoding stopped: a decode did not finish within 0.2 s"]
    assert "finish" not in transcriber.log and "apply" not in transcriber.log


def test_a_seek_takes_the_decode_in_flight_back_before_the_buffers_are_reset():
    transcriber = Jobs(end_at=100)
    order = []
    transcriber.reset = lambda: order.append(list(transcriber.log)) or []
    source = Blocks(5)
    source.seek = lambda delta: None
    p = Pipeline(source, transcriber, [], [ListSink()], ManualClock())
    p._worker = pipeline_module.Worker(transcriber.run_decode)
    transcriber.due = 1
    p._start_decode()
    assert transcriber.running.wait(WAIT_S)
    threading.Timer(0.1, transcriber.release.set).start()
    p.control("seek", 5.0)
    p._apply_controls()
    assert order == [["run", "ran", "apply"]]
    p._worker.close()


def test_an_engine_error_while_a_stopped_session_settles_is_reported_once_and_the_session_closes():
    transcriber = Jobs(end_at=100)
    failing = transcriber.run_decode

    def run_then_fail(job):
        failing(job)
        raise RuntimeError("engine crashed")

    transcriber.run_decode = run_then_fail
    sink, stop = ListSink(), threading.Event()
    p = Pipeline(Blocks(1000), transcriber, [], [sink], ManualClock())
    runner = threading.Thread(target=p.run, args=(stop,))
    runner.start()
    assert transcriber.running.wait(WAIT_S)
    stop.set()
    threading.Timer(0.2, transcriber.release.set).start()
    runner.join(WAIT_S)
    assert not runner.is_alive()
    assert [e.message for e in sink.events if isinstance(e, Notice)] == [
        "decoding stopped: RuntimeError: engine crashed"]
    assert isinstance(sink.events[-1], SessionEnded) and sink.events[-1].reason == "error"
    assert "finish" not in transcriber.log
