"""A stage's slow work off the loop: live and paced, a stage job (the cue stage's reload of an edited
rule file, which can refit the classifiers for minutes) runs on the pipeline's job thread while words
and cards keep coming; on audio time it runs on the loop, in order.  The end of a session calls a
job off and waits only for it to stop."""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import numpy as np

from livecue import progress
from livecue.clock import ManualClock
from livecue.cues import stage as stage_module
from livecue.cues.stage import build_cue_stage
from livecue.events import AudioChunk, Committed, Notice, SessionEnded, Word
from livecue.pipeline import ListSink, Pipeline
from livecue.sources import FAST_REPLAY, REPLAY, SourceRead
from livecue.stages import StageCapabilities
from livecue.transcribers import TranscriberCapabilities

WAIT_S = 5.0  # the longest a fake job waits for what the test expects; failing beats hanging
RULES = Path(__file__).resolve().parents[1] / "cue_rules"


class Blocks:
    """One 0.1 s block of the prospect's audio per read, ``n`` of them; paced unless ``capabilities`` says so."""

    speakers = ("prospect",)
    description = "blocks"
    duration = None
    end_reason = "end of input"

    def __init__(self, n: int, capabilities=REPLAY, clock: ManualClock | None = None,
                 until: threading.Event | None = None) -> None:
        self.n, self.pos, self.capabilities, self.clock = n, 0, capabilities, clock
        self.until, self.deadline = until, time.monotonic() + WAIT_S  # ``until``: the input ends once it is set

    @property
    def exhausted(self) -> bool:
        return self.pos >= self.n and (self.until is None or self.until.is_set() or time.monotonic() > self.deadline)

    def start(self, clock) -> None:
        pass

    def read(self, timeout_s=0.1, stop=None) -> SourceRead:
        if self.pos >= self.n:
            time.sleep(0.005)
            return SourceRead()
        t = self.pos * 0.1
        self.pos += 1
        if self.clock is not None:
            self.clock.set(t)
        if not self.capabilities.audio_time:
            time.sleep(0.002)  # paced: the job thread gets its turn
        return SourceRead([], [AudioChunk("prospect", t, np.zeros(1600, np.float32))], [])

    def close(self) -> None:
        pass


class Words:
    """A transcriber that commits one word per block (no decodes, no jobs)."""

    capabilities = TranscriberCapabilities()

    def feed(self, chunk):
        return [Committed(chunk.t, "prospect", f"w{round(chunk.t * 10)}", (Word("w", chunk.t, chunk.t + 0.1),),
                          True)]

    def pending(self):
        return False

    def step(self):
        return []

    def finish(self):
        return []


class Slow:
    """Hands out one job at its first event; the job runs model passes of 10 ms until ``release``
    (or gives up after WAIT_S), checking between passes whether it is still wanted."""

    capabilities = StageCapabilities(background_jobs=True)

    def __init__(self, fail: Exception | None = None) -> None:
        self.fail = fail
        self.release = threading.Event()
        self.due = True
        self.gave_up = False
        self.called_off = False
        self.ran_on: str | None = None
        self.closed = False

    def feed(self, event):
        return []

    def next_job(self):
        if not self.due:
            return None
        self.due = False
        return "job"

    def run_job(self, job):
        self.ran_on = threading.current_thread().name
        if self.fail is not None:
            raise self.fail
        give_up = time.monotonic() + WAIT_S
        while not self.release.wait(0.01):
            try:
                progress.checkpoint()
            except progress.Abandoned:
                self.called_off = True
                raise
            if time.monotonic() > give_up:
                self.gave_up = True
                break
        return "loaded"

    def apply_job(self, job, result):
        return [Notice(0.0, "info", f"applied {result}")]

    def close(self, t):
        self.closed = True
        return []


class Tag:
    """A later stage: marks the notices that pass it (events a job produced go through the stages after it)."""

    capabilities = StageCapabilities()

    def __init__(self, prefix: str = "applied") -> None:
        self.prefix = prefix

    def feed(self, event):
        return [Notice(event.t, "info", f"tagged {event.message}")] if isinstance(event, Notice) \
            and event.message.startswith(self.prefix) else []

    def close(self, t):
        return []


class ReleaseAfter:
    """A sink that lets the job finish once ``n`` committed words have reached it."""

    def __init__(self, n: int, release: threading.Event) -> None:
        self.n, self.release, self.events = n, release, []

    def handle(self, event) -> None:
        self.events.append(event)
        if sum(isinstance(e, Committed) for e in self.events) >= self.n:
            self.release.set()

    def close(self) -> None:
        pass


def messages(events) -> list[str]:
    return [e.message for e in events if isinstance(e, Notice)]


def test_paced_a_job_runs_on_the_job_thread_while_the_words_keep_coming():
    slow = Slow()
    sink = ReleaseAfter(20, slow.release)  # released only by words that arrive while the job runs
    Pipeline(Blocks(60), Words(), [slow, Tag()], [sink], ManualClock()).run()
    assert slow.ran_on == "livecue-jobs" and not slow.gave_up
    order = [("word" if isinstance(e, Committed) else e.message) for e in sink.events
             if isinstance(e, Committed) or isinstance(e, Notice)]
    applied = order.index("applied loaded")
    assert order[applied + 1] == "tagged applied loaded"  # through the later stages, like feed's events
    assert order[:20] == ["word"] * 20 and order.count("word") == 60
    assert isinstance(sink.events[-1], SessionEnded) and sink.events[-1].reason == "end of input"


def test_on_audio_time_a_job_runs_on_the_loop_in_order():
    slow = Slow()
    slow.release.set()
    sink = ListSink()
    Pipeline(Blocks(5, FAST_REPLAY), Words(), [slow], [sink], ManualClock()).run()
    assert slow.ran_on == threading.current_thread().name
    order = [type(e).__name__ if not isinstance(e, Notice) else e.message for e in sink.events]
    assert order[:3] == ["SessionStarted", "applied loaded", "Committed"]  # before the first read's words


def test_the_end_of_a_session_calls_a_job_off_and_waits_only_for_it_to_stop():
    """A reload still running when the call ends is not wanted: it is called off at its next pass and
    its thread has ended before ``run`` returns.  A process that exits while another thread is inside
    onnxruntime can abort (exit status 134, "terminate called without an active exception")."""
    slow = Slow()
    sink = ListSink()
    p = Pipeline(Blocks(5), Words(), [slow], [sink], ManualClock())
    started = time.monotonic()
    try:
        p.run()
        took = time.monotonic() - started
    finally:
        slow.release.set()
    assert took < WAIT_S / 2, f"the session's end waited {took:.1f} s for a job"
    assert slow.called_off and not p._job_worker.alive
    assert slow.closed and isinstance(sink.events[-1], SessionEnded)
    assert "applied loaded" not in messages(sink.events)


def test_a_job_that_raises_switches_its_stage_off_and_the_session_goes_on():
    slow = Slow(fail=RuntimeError("disk on fire"))
    sink = ListSink()
    p = Pipeline(Blocks(30), Words(), [slow, Tag("Slow")], [sink], ManualClock())
    p.run()
    assert slow not in p.stages
    assert messages(sink.events) == ["Slow stopped: disk on fire", "tagged Slow stopped: disk on fire"]
    assert sum(isinstance(e, Committed) for e in sink.events) == 30


def test_a_slow_rule_reload_in_a_paced_session_stops_neither_words_nor_cards(tmp_path, monkeypatch):
    """The cue stage's reload is its job: while an edit loads (here held until 50 words have arrived,
    40 after the edit is noticed; an intent example edit refits for a minute or two), the words keep
    coming and the previous rules stay in force."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    release = threading.Event()
    real_load = stage_module.load_rule_dir
    loads: list[str] = []

    def slow_load(directory, previous=None):
        loads.append(threading.current_thread().name)
        release.wait(WAIT_S)
        return real_load(directory, previous=previous)

    clock = ManualClock()
    cue_stage = build_cue_stage(rules, None, clock)
    monkeypatch.setattr(stage_module, "load_rule_dir", slow_load)
    plant = rules / "plant_seed.toml"
    before = plant.stat().st_mtime_ns
    plant.write_text(plant.read_text().replace('why = "They want to wrap up', 'why = "Edited: wrap up', 1))
    os.utime(plant, ns=(before + 2_000_000_000, before + 2_000_000_000))

    reloaded = threading.Event()

    class Edits(ReleaseAfter):
        def handle(self, event) -> None:
            super().handle(event)
            if isinstance(event, Notice) and event.message.startswith("cue rules changed"):
                self.told = sum(isinstance(e, Committed) for e in self.events)
            if isinstance(event, Notice) and event.message.startswith("cue rules reloaded"):
                reloaded.set()

    sink = Edits(50, release)
    started = time.monotonic()
    Pipeline(Blocks(80, clock=clock, until=reloaded), Words(), [cue_stage], [sink], clock).run()
    assert time.monotonic() - started < WAIT_S, "the loop waited for the reload"
    assert loads == ["livecue-jobs"]
    said = messages(sink.events)
    assert said[-1].startswith("cue rules reloaded (") and "loaded in" in said[-1], said
    assert said[0].startswith("cue rules changed: still loading the edit"), said  # after 3 s of the call
    assert 40 <= sink.told <= 42  # noticed at 1 s, told 3 s later: the words kept coming meanwhile
    whys = [ct.trigger.why for ct in cue_stage.ruleset.get("plant_seed").triggers.values()]
    assert any(w.startswith("Edited: wrap up") for w in whys), whys

