"""A scripted stand-in for the pipeline, to develop and test the overlay without audio.

``ScriptedPipeline`` has the real pipeline's surface (``run(stop)``,
``inject(event)``, ``control(action, value)``, ``capabilities``) and plays a fixed list
of events to its sinks.  ``demo_events()`` scripts a short call like
``../shared/calls/d04_not_interested_twice.wav``: the prospect brushes the
rep off twice and two cards fire.  ``python -m livecue.ui.demo`` shows it.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from typing import Iterable

from ..audio_facts import CALL_SIDES
from ..sources import LIVE, REPLAY, SourceCapabilities
from ..events import (
    Committed,
    Cue,
    Event,
    Lag,
    Level,
    Notice,
    Progress,
    SessionEnded,
    SessionStarted,
    Signals,
    SpeechEnded,
    SpeechStarted,
    Tentative,
    Word,
    words_text,
)

DEMO_TURNS = (
    ("rep", 1.2, 7.35, "Hi Tom, it's Ana from Ridgeway. We help property managers collect rent on time. Got a minute?"),
    ("prospect", 7.95, 12.37, "Not really interested, thanks. We already have someone that does that."),
    ("rep", 13.57, 23.75, "I get it, you have a provider and you don't know me. Quick question though: with late "
                          "fees capped in your state from January, how are you planning to keep collections on time?"),
    ("prospect", 24.35, 29.44, "We'll figure it out. Like I said, not interested, and I'm heading into a meeting."),
)
DEMO_DURATION_S = 33.4

DEMO_CUES = (
    Cue(
        t=13.1, cue="second_effort", title="Second effort",
        why='First brush-off ("not really interested"): one more honest try',
        script=("I get it, you have a provider and you don't know me.",
                "Quick question though: how will you keep collections on time once late fees are capped?"),
        priority=2, anchor=12.37,
    ),
    Cue(
        t=30.2, cue="plant_seed", title="Plant the seed",
        why="Second no and they're leaving: don't push, leave one thought behind",
        script=("No problem, Tom, I'll let you go.",
                "When the fee cap lands, on-time rent matters more: worth a look then.",
                "Mind if I send a two-line note for later?"),
        priority=2, anchor=29.44,
    ),
)


def _words(start: float, end: float, text: str) -> list[Word]:
    tokens = text.split()
    step = (end - start) / len(tokens)
    return [Word(tok, start + i * step, start + (i + 1) * step - 0.05) for i, tok in enumerate(tokens)]


def demo_events(level_step_s: float = 0.25, with_cues: bool = True) -> list[Event]:
    """A deterministic event script for DEMO_TURNS, in the order a pipeline would emit them.

    A commit's ``t`` is its last word's end, earlier than the moment it is
    emitted, so events are ordered by emission time, not by ``t``.
    """
    timed: list[tuple[float, Event]] = []

    class _Events:
        @staticmethod
        def append(event: Event, at: float | None = None) -> None:
            timed.append((event.t if at is None else at, event))

    events = _Events()
    turns = [(sp, s, e, _words(s, e, text)) for sp, s, e, text in DEMO_TURNS]

    def speaking(side: str, t: float) -> bool:
        return any(sp == side and s <= t <= e + 0.3 for sp, s, e, _ in turns)

    # levels for both sides, all call long
    n = int(DEMO_DURATION_S / level_step_s)
    for i in range(1, n + 1):
        t = round(i * level_step_s, 3)
        for side in CALL_SIDES:
            talking = speaking(side, t)
            db = -22.0 + 6.0 * ((i * 7 + (3 if side == "rep" else 0)) % 5) / 4 if talking else -58.0
            events.append(Level(t=t, speaker=side, rms_db=db, speaking=talking))

    # speech, tentative tails and commits, as a streaming transcriber would emit them
    for side, start, end, words in turns:
        events.append(SpeechStarted(t=start, speaker=side))
        committed = 0
        t = start + 0.6
        while t < end + 0.5:
            heard = [w for w in words if w.end <= t]
            settled = [w for w in heard if w.end <= t - 1.0]
            if len(settled) > committed + 2:
                chunk = tuple(settled[committed:])
                events.append(Committed(t=chunk[-1].end, speaker=side, text=words_text(chunk), words=chunk), at=t)
                events.append(Lag(t=t, speaker=side, lag_s=round(t - chunk[-1].end, 2), decode_s=0.3))
                committed = len(settled)
            tail = tuple(heard[committed:])
            events.append(Tentative(t=t, speaker=side, text=words_text(tail), words=tail))
            t = round(t + 0.5, 3)
        final_t = end + 0.45
        chunk = tuple(words[committed:])
        if chunk:
            events.append(Committed(t=final_t, speaker=side, text=words_text(chunk), words=chunk, final=True))
        events.append(Tentative(t=final_t, speaker=side))
        events.append(Lag(t=final_t, speaker=side, lag_s=0.45, decode_s=0.3))
        events.append(SpeechEnded(t=final_t, speaker=side, start=start))

    # conversation signals once a second
    for i in range(1, int(DEMO_DURATION_S) + 1):
        t = float(i)
        talk = {side: sum(max(0.0, min(e, t) - s) for sp, s, e, _ in turns if sp == side) for side in CALL_SIDES}
        total = sum(talk.values())
        current = [(sp, s) for sp, s, e, _ in turns if s <= t <= e]
        answers = [len(w) for sp, s, e, w in turns if sp == "prospect" and e <= t]
        latency = None
        for (sp1, _, e1, _), (sp2, s2, _, _) in zip(turns, turns[1:]):
            if sp1 == "rep" and sp2 == "prospect" and s2 <= t:
                latency = round(s2 - e1, 2)
        events.append(Signals(
            t=t,
            talk_s={k: round(v, 2) for k, v in talk.items()},
            rep_share=round(talk["rep"] / total, 3) if total else 0.5,
            monologue_speaker=current[0][0] if current else "",
            monologue_s=round(t - current[0][1], 2) if current else 0.0,
            prospect_answer_words=sum(answers) / len(answers) if answers else 0.0,
            prospect_answer_trend=(answers[-1] - answers[0]) if len(answers) > 1 else 0.0,
            response_latency_s=latency,
            monologue_warn_s=8.0,
            monologue_alert_s=12.0,
        ))
    if with_cues:
        for cue in DEMO_CUES:
            events.append(cue)
    timed.sort(key=lambda pair: pair[0])
    return [event for _, event in timed]


class FakeSource:
    """Records the replay controls the pipeline passes on; ScriptedPipeline obeys them."""

    def __init__(self, duration: float | None) -> None:
        self.duration = duration
        self.paused = threading.Event()
        self.calls: list[tuple] = []
        self.pending_seek = 0.0
        self._lock = threading.Lock()

    def pause(self) -> None:
        self.calls.append(("pause",))
        self.paused.set()

    def resume(self) -> None:
        self.calls.append(("resume",))
        self.paused.clear()

    def seek(self, delta_s: float) -> None:
        self.calls.append(("seek", delta_s))
        with self._lock:
            self.pending_seek += delta_s

    def take_seek(self) -> float:
        with self._lock:
            delta, self.pending_seek = self.pending_seek, 0.0
        return delta


class ScriptedPipeline:
    """Plays ``events`` to ``sinks`` in audio time scaled by ``speed`` (None: no waiting).

    ``hold``: after the last event, wait for ``stop`` before ending, as a live
    session would.  ``inject`` records and forwards like the real pipeline.
    """

    def __init__(self, sinks: list, events: Iterable[Event], *, speed: float | None = 1.0,
                 hold: bool = False, source_name: str = "demo.wav", model: str = "tiny.en",
                 duration: float | None = DEMO_DURATION_S, mode: str = "replay", fast: bool = False,
                 controls: bool = True) -> None:
        self.sinks = list(sinks)
        self.events = list(events)
        # pace by emission time: the running maximum of t (a commit's t lags its emission)
        self._times, latest = [], 0.0
        for event in self.events:
            latest = max(latest, event.t)
            self._times.append(latest)
        self.speed = speed
        self.hold = hold
        self.fast = fast
        # controls=False: a source like live capture's, with no pause or seek
        self.capabilities: SourceCapabilities = REPLAY if controls else LIVE
        self.source = FakeSource(duration if controls else None)
        self._controls = self.source
        self.started = SessionStarted(source=source_name, model=model, mode=mode, duration=duration)
        self.injected: list[Event] = []
        self.emitted = 0
        self._lock = threading.Lock()

    def _emit(self, event: Event) -> None:
        with self._lock:
            for sink in self.sinks:
                sink.handle(event)
            self.emitted += 1

    def inject(self, event: Event) -> None:
        with self._lock:
            self.injected.append(event)
        self._emit(event)

    def control(self, action: str, value: float = 0.0) -> None:
        """Replay controls, as the real pipeline takes them (thread-safe; ignored where not declared)."""
        if action == "seek" and self.capabilities.seekable:
            self._controls.seek(value)
        elif action == "pause" and self.capabilities.pausable:
            self._controls.pause()
        elif action == "resume" and self.capabilities.pausable:
            self._controls.resume()

    def run(self, stop: threading.Event) -> None:
        self._emit(self.started)
        index, position, last_wall = 0, 0.0, time.monotonic()
        while index < len(self.events) and not stop.is_set():
            if self._controls.paused.is_set():
                stop.wait(0.02)
                last_wall = time.monotonic()
                continue
            delta = self._controls.take_seek()
            if delta:
                position = max(0.0, position + delta)
                self._emit(Notice(t=position, level="info", message=f"seek to {position:.1f} s"))
                index = next((i for i, at in enumerate(self._times) if at >= position), len(self.events))
                continue
            if self.speed:
                now = time.monotonic()
                position += (now - last_wall) * self.speed
                last_wall = now
            else:
                position = self._times[index]
            while index < len(self.events) and self._times[index] <= position:
                self._emit(self.events[index])
                if self.fast and self.source.duration and index % 20 == 0:
                    self._emit(Progress(t=self.events[index].t, duration=self.source.duration))
                index += 1
            if self.speed:
                stop.wait(0.02)
        while self.hold and not stop.wait(0.02):
            delta = self._controls.take_seek()  # a held session still answers seeks
            if delta:
                position = max(0.0, position + delta)
                self._emit(Notice(t=position, level="info", message=f"seek to {position:.1f} s"))
        reason = "stopped" if stop.is_set() else "end of input"
        end_t = self.events[index - 1].t if index else 0.0
        self._emit(SessionEnded(t=end_t, reason=reason))
        for sink in self.sinks:
            sink.close()


# --- helpers for Pilot tests -----------------------------------------------------------


async def settle(pilot, predicate, timeout_s: float = 10.0) -> None:
    """Wait (in the app's loop) until ``predicate()`` holds, then for the redraw to land."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("the overlay did not reach the expected state in time")
        await pilot.pause(0.02)
    await pilot.pause()


def screen_text(app) -> str:
    """The screen as plain text, as a terminal would show it."""
    import io

    from rich.console import Console

    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      color_system="truecolor", record=True, legacy_windows=False, safe_box=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text(styles=False)


def main(argv: list[str] | None = None) -> int:
    """Show the overlay on the scripted demo call (no audio, no model)."""
    from ..errors import LivecueError
    from .app import OverlayApp, UiSink, pick_theme

    p = argparse.ArgumentParser(prog="python -m livecue.ui.demo", description=main.__doc__)
    p.add_argument("--compact", action="store_true")
    p.add_argument("--bell", action="store_true")
    p.add_argument("--speed", type=float, default=1.0, help="playback speed (default real time)")
    p.add_argument("--fast", action="store_true", help="like replay --fast: quick, with a progress bar")
    args = p.parse_args(argv)
    stop = threading.Event()
    sink = UiSink()
    speed = 6.0 if args.fast else args.speed
    pipeline = ScriptedPipeline([sink], demo_events(), speed=speed, source_name="demo: d04-like call", fast=args.fast)
    try:
        theme = pick_theme()
    except LivecueError as exc:
        print(f"livecue: {exc}", file=sys.stderr)
        return 2
    OverlayApp(pipeline, sink, stop, compact=args.compact, bell=args.bell, rules="demo", theme=theme).run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
