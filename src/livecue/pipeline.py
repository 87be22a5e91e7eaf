"""Wires a session: source -> transcriber -> stages -> sinks.

This is the one place that knows about threads: ``run`` is a single loop
(read the source, feed its audio to the transcriber, run the scheduled
decodes, pass every event through the stages to the sinks).  Live and paced,
the engine call of a decode runs on the pipeline's one decode thread while
the loop keeps reading audio, running the VAD and dispatching events (a
decode takes 0.1-0.3 s, and the end of a side's speech must not wait behind
it); the decode's result is taken back and dispatched on the loop.  A
stage's slow work (the cue stage reloading an edited rule file, which can
refit its classifiers for a minute or two) runs the same way on a second
thread, the job thread, so the words and the cards of the rules in force
keep coming meanwhile.  On audio time (``--fast``) every decode and every
stage job runs on the loop, in order, as before.  The
parts are typed by their declared contracts (``Source``, ``Transcriber``,
``Stage``, ``Sink``, ``Clock``) and what they can do beyond them is read
from their capabilities records, never probed.  Audio and events travel
apart: chunks go only to the transcriber, events only to stages and sinks.
``inject`` lets another thread (the overlay) add events such as the rep's
feedback, which the loop delivers in order.  A failing stage or sink is
reported and switched off; it never takes the session, or what the log
already holds, down with it.
"""

from __future__ import annotations

import os
import queue
import sys
import threading
from concurrent.futures import Future
from concurrent.futures import wait as futures_wait
from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterable, Literal

from . import progress
from .clock import AudioClock, Clock
from .config import Settings
from .events import Event, Notice, SessionEnded, SessionStarted
from .sinks import Sink
from .sources import Source, SourceCapabilities
from .stages import Stage
from .transcribers import Transcriber

Control = Literal["pause", "resume", "seek"]

DECODE_POLL_S = 0.1  # the longest the loop waits for audio while a decode runs (a finished decode wakes it)
DECODE_WAIT_S = 60.0  # the longest the session's end waits for a decode in flight
JOB_NICE = 10  # the job thread's niceness where it can be set per thread (Linux): a refit yields the cores
JOB_STOP_WAIT_S = 5.0  # the longest the session's end waits for a called-off stage job to stop


_BUSY: set[Worker] = set()  # workers inside a job now, in any pipeline (guarded by _BUSY_LOCK)
_BUSY_LOCK = threading.Lock()


def workers_busy() -> int:
    """How many of the pipelines' threads are inside a job now.

    The process must not run the interpreter's teardown while one is: the
    engine it is inside is destroyed under it (a segfault in 5 of 6 runs that
    exited during a CTranslate2 decode; onnxruntime aborts).  A second Ctrl-C
    ends a session without waiting for its decode, so ``cli.entry`` asks this
    before it exits.
    """
    with _BUSY_LOCK:
        return len(_BUSY)


class Worker:
    """One of the pipeline's threads (decodes, stage jobs): runs jobs one at a time, off the loop.

    A daemon thread, so a wedged engine call cannot keep the process alive;
    an exception in the call comes back in its ``Future``.  ``nice``: the
    thread runs at that niceness where Linux lets one thread have its own.
    """

    def __init__(self, run: Callable[[object], object], name: str = "livecue-decode", nice: int = 0) -> None:
        self._run = run
        self._nice = nice
        self._jobs: queue.SimpleQueue[tuple[object, Future] | None] = queue.SimpleQueue()
        self.done = threading.Event()  # set when a job ends; cleared by the loop before it submits one
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def submit(self, job: object) -> Future:
        future: Future = Future()
        self._jobs.put((job, future))
        return future

    def _loop(self) -> None:
        if self._nice and sys.platform.startswith("linux"):
            try:  # Linux keeps a niceness per thread; elsewhere it would slow the whole process
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), self._nice)
            except OSError:
                pass
        while True:
            item = self._jobs.get()
            if item is None:
                return
            job, future = item
            if not future.set_running_or_notify_cancel():
                continue
            with _BUSY_LOCK:
                _BUSY.add(self)
            try:
                future.set_result(self._run(job))
            except BaseException as exc:  # noqa: BLE001 - handed to the loop, which raises it
                future.set_exception(exc)
            finally:
                with _BUSY_LOCK:
                    _BUSY.discard(self)
            self.done.set()

    def close(self, timeout_s: float = 0.0) -> None:
        """No more jobs; wait up to ``timeout_s`` for the thread to end."""
        self._jobs.put(None)
        if timeout_s > 0:
            self._thread.join(timeout_s)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()


class ListSink:
    """Collects events in memory (eval, tests)."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def handle(self, event: Event) -> None:
        self.events.append(event)

    def close(self) -> None:
        pass


class Pipeline:
    """One call: ``source`` -> ``transcriber`` -> ``stages`` -> ``sinks``, on ``clock``."""

    def __init__(self, source: Source, transcriber: Transcriber, stages: Iterable[Stage], sinks: Iterable[Sink],
                 clock: Clock, *, model_label: str = "", mode: str = "replay", finish_on_stop: bool = True,
                 decode_thread: bool = True) -> None:
        self.source = source
        self.transcriber = transcriber
        self.stages = list(stages)
        self.sinks = list(sinks)
        self.clock = clock
        self.model_label = model_label
        self.mode = mode
        self.finish_on_stop = finish_on_stop
        self._inbox: queue.SimpleQueue[Event] = queue.SimpleQueue()
        self._controls: queue.SimpleQueue[tuple[Control, float]] = queue.SimpleQueue()
        self._finished = False
        self._lock = threading.Lock()
        # decodes on the decode thread: where the transcriber offers decode jobs and the
        # source runs on the wall clock (on audio time every decode runs on the loop)
        self.decode_thread = decode_thread
        self._worker: Worker | None = None
        self._in_flight: tuple[object, Future] | None = None
        self._decode_failed = False
        # stage jobs (``Stage.next_job``) on the job thread, one in flight per stage, by id(stage)
        self._job_worker: Worker | None = None
        self._jobs_out: dict[int, tuple[Stage, object, Future]] = {}
        self._jobs_stop = threading.Event()  # set at the end of the session: a job still running is called off

    @property
    def capabilities(self) -> SourceCapabilities:
        """The replay controls ``control`` will act on: the source's, seeking only
        where the transcriber can forget its buffers too."""
        caps = self.source.capabilities
        if caps.seekable and not self.transcriber.capabilities.resettable:
            caps = replace(caps, seekable=False)
        return caps

    # --- called from other threads --------------------------------------------

    def inject(self, event: Event) -> None:
        """Thread-safe: deliver ``event`` to the stages and sinks from the loop."""
        self._inbox.put(event)

    def control(self, action: Control, value: float = 0.0) -> None:
        """Thread-safe replay controls: pause, resume, seek (seconds).

        The one route for them: the loop applies each where ``capabilities``
        allows and ignores the rest.
        """
        self._controls.put((action, value))

    # --- the loop -----------------------------------------------------------------

    def dispatch(self, events: Iterable[Event]) -> None:
        """Pass each event through every stage, then everything to the sinks."""
        self._dispatch(events, after=None)

    def dispatch_after(self, stage: Stage, events: Iterable[Event]) -> None:
        """Events a stage made on close go through the stages after it only."""
        self._dispatch(events, after=stage)

    def _dispatch(self, events: Iterable[Event], *, after: Stage | None) -> None:
        """The one stage loop: a stage that raises is reported and switched off."""
        for event in events:
            if after is None:
                chain = list(self.stages)
            else:
                chain = self.stages[self.stages.index(after) + 1:] if after in self.stages else []
            batch = [event]
            for stage in chain:
                derived: list[Event] = []
                for e in batch:
                    try:
                        derived.extend(stage.feed(e))
                    except Exception as exc:  # noqa: BLE001 - a stage must not end the session
                        self.stages.remove(stage)
                        derived.append(Notice(e.t, "error", f"{type(stage).__name__} stopped: {exc}"))
                        break
                batch.extend(derived)
            for e in batch:
                self._deliver(e)

    def _deliver(self, event: Event) -> None:
        for sink in list(self.sinks):
            try:
                sink.handle(event)
            except Exception as exc:  # noqa: BLE001
                self.sinks.remove(sink)
                print(f"livecue: output {type(sink).__name__} stopped: {exc}", file=sys.stderr)

    def _drain_inbox(self) -> None:
        while True:
            try:
                event = self._inbox.get_nowait()
            except queue.Empty:
                return
            self.dispatch([event])

    def _apply_controls(self) -> None:
        while True:
            try:
                action, value = self._controls.get_nowait()
            except queue.Empty:
                return
            caps = self.capabilities
            if action == "pause" and caps.pausable:
                self.source.pause()
            elif action == "resume" and caps.pausable:
                self.source.resume()
            elif action == "seek" and caps.seekable:
                self._settle_decode()  # its buffers are about to go
                self.dispatch(self.transcriber.reset())
                self.source.seek(value)

    def _threaded(self) -> bool:
        return (self.decode_thread and not self.source.capabilities.audio_time
                and self.transcriber.capabilities.decode_jobs)

    def run(self, stop: threading.Event | None = None) -> None:
        stop = stop or threading.Event()
        self.clock.start()
        self.source.start(self.clock)
        self.dispatch([SessionStarted(0.0, self.source.description, self.model_label,
                                      tuple(self.source.speakers), self.mode, self.source.duration)])
        reason = "end of input"
        try:
            if self._threaded():
                self._worker = Worker(self.transcriber.run_decode)
            while True:
                if stop.is_set():
                    reason = "stopped"
                    break
                self._drain_inbox()
                self._apply_controls()
                self._stage_jobs()
                if self._worker is not None:
                    if not self._decode_in_background():
                        reason = self.source.end_reason
                        break
                    continue
                busy = self.transcriber.pending()
                read = self.source.read(0.0 if busy else 0.05)
                self._take(read)
                if self.transcriber.pending():
                    # on audio time every decode due runs before more audio is read, as on a
                    # machine that keeps up; otherwise one decode and back to the audio
                    self.dispatch(self.transcriber.step())
                    while self.source.capabilities.audio_time and self.transcriber.pending():
                        self.dispatch(self.transcriber.step())
                elif self.source.exhausted:
                    reason = self.source.end_reason
                    break
        except KeyboardInterrupt:
            reason = "stopped"
            raise
        except Exception:  # the log must not claim the call ran to its end
            reason = "error"
            raise
        finally:
            self.finish(reason)

    def _stage_jobs(self, hand_out: bool = True) -> None:
        """The stages' slow work: a finished job taken back, the next one handed out (``hand_out``).

        On the wall clock a job runs on the job thread while the loop goes on
        (a stage works as before until its result is applied); on audio time
        it runs here, in order, like everything else.  A stage whose job
        fails is reported and switched off, as in ``_dispatch``.
        """
        for stage in list(self.stages):
            try:
                if not stage.capabilities.background_jobs:
                    continue
                out = self._jobs_out.get(id(stage))
                if out is not None:
                    if not out[2].done():
                        continue
                    del self._jobs_out[id(stage)]
                    self.dispatch_after(stage, stage.apply_job(out[1], out[2].result()))
                job = stage.next_job() if hand_out and stage in self.stages else None
                if job is None:
                    continue
                if self.source.capabilities.audio_time:
                    self.dispatch_after(stage, stage.apply_job(job, stage.run_job(job)))
                    continue
                if self._job_worker is None:
                    self._job_worker = Worker(self._run_stage_job, "livecue-jobs", nice=JOB_NICE)
                self._jobs_out[id(stage)] = (stage, job, self._job_worker.submit((stage, job)))
            except Exception as exc:  # noqa: BLE001 - a stage must not end the session
                self._jobs_out.pop(id(stage), None)
                notice = Notice(self.clock.now(), "error", f"{type(stage).__name__} stopped: {exc}")
                if stage in self.stages:
                    self.dispatch_after(stage, [notice])  # through the later stages, as in _dispatch
                    self.stages.remove(stage)
                else:
                    self._deliver(notice)

    def _run_stage_job(self, item: object) -> object:
        stage, job = item  # type: ignore[misc]
        with progress.stoppable(self._jobs_stop.is_set):
            return stage.run_job(job)

    def _take(self, read) -> None:
        """One read: status events, the audio to the transcriber (its gate events), then the rest."""
        self.dispatch(read.before)
        for chunk in read.audio:
            self.dispatch(self.transcriber.feed(chunk))
        self.dispatch(read.after)

    def _decode_in_background(self) -> bool:
        """One turn of the loop with the decode thread; False once the input is over and decoded.

        A finished decode is taken back and its events dispatched, the next
        due decode is handed to the thread, and audio is read meanwhile: the
        gate's events (the end of a side's speech) go out while a decode runs.
        """
        self._collect_decode()
        self._start_decode()
        if self._in_flight is not None:  # wait for audio, or less: until the decode ends
            read = self.source.read(DECODE_POLL_S, stop=self._worker.done)
        else:
            read = self.source.read(0.05)
        self._take(read)
        self._collect_decode()
        self._start_decode()
        if self._in_flight is None:
            return not self.source.exhausted
        if self.source.exhausted and not read.audio:  # nothing left to read: wait for the decode
            futures_wait([self._in_flight[1]], 0.05)
        return True

    def _start_decode(self) -> None:
        if self._in_flight is None and self._worker is not None:
            job = self.transcriber.next_decode()
            if job is not None:
                self._worker.done.clear()
                self._in_flight = (job, self._worker.submit(job))

    def _collect_decode(self, timeout_s: float = 0.0) -> None:
        """Take back the decode in flight if it is done, waiting up to ``timeout_s`` for it.

        An exception from the engine call is reported and raised here, on the loop.
        """
        if self._in_flight is None:
            return
        job, future = self._in_flight
        if timeout_s > 0:
            futures_wait([future], timeout_s)  # a Ctrl-C here leaves the job in flight
        if not future.done():
            return
        self._in_flight = None
        exc = future.exception()
        if exc is not None:
            self._decode_failed = True
            self._deliver(Notice(self.clock.now(), "error", f"decoding stopped: {type(exc).__name__}: {exc}"))
            raise exc
        self.dispatch(self.transcriber.apply_decode(job, future.result()))

    def _settle_decode(self) -> None:
        """Wait for the decode in flight and take it back (before a seek or the final decodes)."""
        if self._in_flight is None:
            return
        try:
            self._collect_decode(DECODE_WAIT_S)
        except KeyboardInterrupt:
            self._decode_failed = True  # the engine may still be busy: no more decodes here
            raise
        if self._in_flight is not None:
            self._in_flight = None
            self._decode_failed = True
            message = f"a decode did not finish within {DECODE_WAIT_S:g} s"
            self._deliver(Notice(self.clock.now(), "error", f"decoding stopped: {message}"))
            raise RuntimeError(message)

    def finish(self, reason: str = "end of input") -> None:
        """Close the session once: final decodes (unless stopped), stages, sinks."""
        with self._lock:
            if self._finished:
                return
            self._finished = True
        try:
            try:
                self._settle_decode()  # the decode in flight is taken back, whatever the reason
            except KeyboardInterrupt:
                reason = "stopped"
            except Exception:  # noqa: BLE001 - reported as a notice already; the session still closes
                reason = "error"
            finally:
                if self._job_worker is not None:
                    self._stage_jobs(hand_out=False)  # a job that is done is applied
                    self._jobs_stop.set()  # one still running is called off: it stops at its next model pass
                # the decode thread is joined unless a decode is stuck in it (a thread that has run the engine
                # and is still alive when the interpreter exits can abort it: CTranslate2), the job thread
                # until its job has stopped (onnxruntime aborts a process that exits while a thread is inside)
                for worker, wait_s in ((self._worker, 0.0 if self._decode_failed else DECODE_WAIT_S),
                                       (self._job_worker, JOB_STOP_WAIT_S)):
                    try:
                        if worker is not None:
                            worker.close(wait_s)
                    except KeyboardInterrupt:  # asked twice: close now, still with the end record
                        reason = "stopped"
                self._jobs_out.clear()
            if (reason != "stopped" or self.finish_on_stop) and not self._decode_failed:
                try:  # the utterance in progress is decoded and kept, on a stop too
                    self.dispatch(self.transcriber.finish())
                except KeyboardInterrupt:  # asked twice: close now, still with the end record
                    reason = "stopped"
            if self.source.capabilities.audio_time:
                self._stage_jobs()  # an edit noticed in the last events is loaded, as any other on audio time
            self._drain_inbox()
            t = self.clock.now()
            for stage in list(self.stages):
                try:
                    self.dispatch_after(stage, stage.close(t))
                except Exception as exc:  # noqa: BLE001
                    self._deliver(Notice(t, "error", f"{type(stage).__name__} stopped: {exc}"))
            self._deliver(SessionEnded(t, reason))
        finally:
            try:
                self.source.close()
            finally:
                for sink in self.sinks:
                    try:
                        sink.close()
                    except Exception:  # noqa: BLE001
                        pass


def build_transcriber(engine, speakers, settings: Settings, clock: Clock, fast: bool) -> Transcriber:
    from .asr.streaming import StreamingTranscriber
    from .vad.silero import SileroStream

    return StreamingTranscriber(engine, tuple(speakers), settings.asr, settings.vad, clock, SileroStream, fast=fast,
                                agreement=settings.agreement)


def replay_file_events(path: Path, *, rep_channel: int | None = None, prospect_channel: int | None = None,
                       settings: Settings | None = None,
                       stages: Iterable[Stage] | Callable[[Clock], Iterable[Stage]] = (), fast: bool = True,
                       engine=None, speed: float = 1.0) -> list[Event]:
    """Replay a recording and return every event (eval, benchmarks, tests).

    ``stages`` is a list of stages or a callable ``clock -> stages``.
    """
    from .asr.whisper import load_engine
    from .audio.files import FileSource, open_call, replay_block_s
    from .clock import WallClock

    settings = settings or Settings()
    engine = engine or load_engine(settings.asr)
    call = open_call(Path(path), rep_channel=rep_channel, prospect_channel=prospect_channel)
    clock = AudioClock() if fast else WallClock(speed)
    source = FileSource(call, fast=fast, block_s=replay_block_s(fast, not settings.asr.fast_final_only))
    sink = ListSink()
    transcriber = build_transcriber(engine, call.speakers, settings, clock, fast)
    if callable(stages):  # a factory that needs the session's clock
        stages = stages(clock)
    Pipeline(source, transcriber, stages, [sink], clock, model_label=engine.label).run()
    return sink.events
