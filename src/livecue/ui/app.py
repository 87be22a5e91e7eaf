"""The Textual overlay: live transcript, cue card, meters and keys.

The pipeline runs in a Textual thread worker; the overlay sees it only
through ``UiSink`` (``bridge.py``), which queues events and wakes the UI with
one message per batch.  The UI applies a batch at most ``max_redraws_per_s``
times a second, so a ``--fast`` replay cannot flood it, and nothing on the UI
thread ever waits for transcription.  The rep's reactions to cards go back
into the pipeline as ``Feedback`` events (``Pipeline.inject``), so they reach
the JSON stream and the session log like everything else.  Themes, the help
screen and the no-terminal fallback are modules of their own.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer

from ..config import discover_config, load_settings
from ..events import Feedback
from ..options import CueOptions, SessionOptions
from ..sources import SourceCapabilities
from .bridge import EventsReady, PipelineDone, UiSink
from .help import HELP_TEXT, HelpScreen
from .plain_fallback import run_plain
from .state import OverlaySettings, OverlayState
from .themes import THEMES, pick_theme
from .widgets.cue_card import CueCard
from .widgets.meters import CompactMeters, MetersPanel
from .widgets.status import StatusLine
from .widgets.transcript import TranscriptView

# how often the overlay looks at the stop event a signal may have set (seconds)
STOP_WATCH_S = 0.1
# once the session is closed, how long the overlay has to leave before the process leaves without it
LEAVE_GRACE_S = 3.0

__all__ = ["HELP_TEXT", "THEMES", "EventsReady", "HelpScreen", "OverlayApp", "PipelineDone", "UiSink",
           "pick_theme", "run_overlay"]


class OverlayApp(App):
    """The overlay; ``pipeline`` is anything with ``run(stop)``, ``inject(event)``,
    ``control(action, value)`` and ``capabilities`` (a ``SourceCapabilities``)."""

    CSS_PATH = "livecue.tcss"
    TITLE = "livecue"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [
        Binding("d", "dismiss_card", "Dismiss"),
        Binding("s", "snooze_card", "Snooze"),
        Binding("h", "mark('helpful')", "Helpful"),
        Binding("w", "mark('wrong')", "Wrong"),
        Binding("space", "toggle_pause", "Pause"),
        Binding("left", "seek(-1)", "-10s", key_display="←"),
        Binding("right", "seek(1)", "+10s", key_display="→"),
        Binding("c", "toggle_compact", "Compact"),
        Binding("t", "toggle_theme", "Theme", show=False),
        Binding("question_mark,f1", "help", "Help", key_display="?"),
        Binding("q", "quit", "Quit"),
        Binding("ctrl+c,ctrl+q", "quit", "Quit", show=False, priority=True),
        # the transcript scrolls from the keyboard; nothing needs a mouse
        Binding("up", "scroll('up')", show=False),
        Binding("down", "scroll('down')", show=False),
        Binding("pageup", "scroll('page_up')", show=False),
        Binding("pagedown", "scroll('page_down')", show=False),
        Binding("home", "scroll('home')", show=False),
        Binding("end", "scroll('end')", show=False),
    ]

    def __init__(
        self,
        pipeline: Any,
        sink: UiSink,
        stop: threading.Event,
        *,
        compact: bool = False,
        bell: bool = False,
        model: str = "",
        rules: str = "",
        log_path: str = "",
        settings: OverlaySettings | None = None,
        theme: str | None = None,
    ) -> None:
        super().__init__()
        self.pipeline = pipeline
        self.sink = sink
        self.stop = stop
        self.compact = compact
        self.bell_on_card = bell
        self.settings = settings or OverlaySettings()
        self.state = OverlayState(self.settings)
        self.error: BaseException | None = None
        self.pipeline_done = threading.Event()
        self.pipeline_started = False  # an overlay that fails before mounting never starts it
        self.flushes = 0  # batches applied to the screen (coalescing check)
        self._model, self._rules, self._log_path = model, rules, log_path
        self._theme_name = theme or pick_theme()
        self._flush_timer = None
        self._flash_timer = None
        self._last_flush = 0.0
        self._cards_seen = 0
        self._quitting = False
        for theme in THEMES.values():
            self.register_theme(theme)
        self.theme = self._theme_name

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(THEMES["livecue-dark"].variables)

    # --- layout ---

    def compose(self) -> ComposeResult:
        yield StatusLine(model=self._model, rules=self._rules, log_path=self._log_path, id="status")
        with Horizontal(id="body"):
            with Vertical(id="main"):
                yield CueCard(id="card")
                yield TranscriptView(self.state.transcript, id="transcript")
            yield MetersPanel(id="meters")
        yield CompactMeters(id="compact-meters")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self._apply_layout()
        self.sink.attach(lambda: self.post_message(EventsReady()))
        if self.pipeline is not None:
            self.pipeline_started = True
            self.run_worker(self._run_pipeline, name="pipeline", thread=True, exit_on_error=False)
        else:
            self.pipeline_done.set()
        self.set_interval(STOP_WATCH_S, self._watch_stop)
        self._flush()

    def _run_pipeline(self) -> None:
        try:
            self.pipeline.run(self.stop)
        except BaseException as exc:  # reported after the UI has closed
            self.error = exc
        finally:
            self.pipeline_done.set()
            self.post_message(PipelineDone())

    # --- applying events (coalesced) ---

    def on_events_ready(self, _: EventsReady) -> None:
        if self._flush_timer is not None:
            return
        wait = self._last_flush + 1.0 / self.settings.max_redraws_per_s - time.monotonic()
        if wait <= 0:
            self._flush()
        else:
            self._flush_timer = self.set_timer(wait, self._flush)

    def _flush(self) -> None:
        self._flush_timer = None
        self._last_flush = time.monotonic()
        dirty: set[str] = set()
        for event in self.sink.drain():
            dirty |= self.state.feed(event)
        self.flushes += 1
        self._redraw(dirty)

    def _redraw(self, dirty: set[str]) -> None:
        state = self.state
        if "transcript" in dirty:
            self.query_one(TranscriptView).sync()
        card = self.query_one(CueCard)
        if dirty & {"card", "clock"} or not dirty:
            had_card = card.display
            card.show(state.deck, state.now, self.compact)
            if had_card != card.display:
                self.refresh_bindings()
        if state.cards_shown > self._cards_seen:
            self._cards_seen = state.cards_shown
            self._announce_card()
        if dirty & {"meters", "status"} or not dirty:
            self.query_one(MetersPanel).refresh_meters(state)
            self.query_one(CompactMeters).refresh_meters(state)
        self.query_one(StatusLine).refresh_status(state, self.compact)

    def _announce_card(self) -> None:
        """A short highlight (and the bell with --bell), noticeable but not garish."""
        if self.bell_on_card:
            self.bell()
        if self.settings.card_flash_s <= 0:
            return
        card = self.query_one(CueCard)
        card.add_class("-fresh")
        if self._flash_timer is not None:
            self._flash_timer.stop()
        self._flash_timer = self.set_timer(self.settings.card_flash_s, lambda: card.remove_class("-fresh"))

    def on_pipeline_done(self, _: PipelineDone) -> None:
        self._flush()
        if not self.state.status.ended:
            self.state.status.ended = "error" if self.error else "stopped"
        self.state.status.stopping = False
        self._redraw({"status"})
        self.refresh_bindings()
        if self.error is not None or self._quitting:
            self.exit()

    def on_unmount(self) -> None:
        self.stop.set()  # however the app ends, the pipeline thread must too

    # --- keys ---

    @property
    def capabilities(self) -> SourceCapabilities:
        """The replay controls the source declares (none without a pipeline)."""
        return self.pipeline.capabilities if self.pipeline is not None else SourceCapabilities()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "dismiss_card":
            return True if self.state.deck.current is not None else None
        if action in ("snooze_card", "mark"):
            # after the session has closed, a mark could no longer reach the log
            return True if self.state.deck.current is not None and not self.pipeline_done.is_set() else None
        # replay controls belong to the main layout (a live call has none); the
        # compact footer keeps room for the card keys and quit
        if action == "toggle_pause":
            return self.capabilities.pausable and not self.compact
        if action == "seek":
            return self.capabilities.seekable and not self.compact
        return True

    def _feedback(self, card, mark: str, snooze_s: float = 0.0) -> None:
        event = Feedback(t=self.state.now, cue=card.cue.cue, mark=mark, cue_t=card.cue.t, snooze_s=snooze_s)
        if self.pipeline is not None and not self.pipeline_done.is_set():
            self.pipeline.inject(event)
        self._redraw({"card"})
        self.refresh_bindings()

    def action_dismiss_card(self) -> None:
        card = self.state.deck.dismiss()
        if card is not None:
            self._feedback(card, "dismissed")

    def action_snooze_card(self) -> None:
        card = self.state.deck.snooze(self.state.now)
        if card is not None:
            self._feedback(card, "snoozed", self.settings.snooze_s)
            self.notify(f"'{card.cue.title or card.cue.cue}' snoozed for {round(self.settings.snooze_s / 60)} min", timeout=3)

    def action_mark(self, mark: str) -> None:
        deck = self.state.deck
        card = deck.mark_helpful() if mark == "helpful" else deck.mark_wrong()
        if card is not None:
            self._feedback(card, mark)

    def _control(self, action: str, value: float = 0.0) -> None:
        """Replay controls go only through the pipeline's thread-safe queue (never to the source)."""
        if self.pipeline is not None:
            self.pipeline.control(action, value)

    def action_toggle_pause(self) -> None:
        if not self.capabilities.pausable or self.state.status.ended:
            return
        self._control("resume" if self.state.status.paused else "pause")
        self.state.status.paused = not self.state.status.paused
        self._redraw({"status"})

    def action_seek(self, direction: int) -> None:
        if not self.capabilities.seekable or self.state.status.ended:
            return
        delta = float(direction) * self.settings.seek_step_s
        self._control("seek", delta)
        self.state.note_seek()
        self._redraw({"transcript"})

    def action_scroll(self, how: str) -> None:
        view = self.query_one(TranscriptView)
        {
            "up": view.scroll_up,
            "down": view.scroll_down,
            "page_up": view.scroll_page_up,
            "page_down": view.scroll_page_down,
            "home": view.scroll_home,
            "end": view.scroll_end,
        }[how](animate=False)

    def action_toggle_compact(self) -> None:
        self.compact = not self.compact
        self._apply_layout()
        self.call_after_refresh(self.query_one(TranscriptView).sync)
        self._redraw({"card", "meters", "status"})
        self.refresh_bindings()

    def _apply_layout(self) -> None:
        self.screen.set_class(self.compact, "-compact")
        self.query_one(TranscriptView).show_time = not self.compact
        self.query_one(Footer).compact = self.compact

    def action_toggle_theme(self) -> None:
        self.theme = "livecue-light" if self.theme == "livecue-dark" else "livecue-dark"
        self.call_after_refresh(self.query_one(TranscriptView).sync_restyled)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.settings))

    def _watch_stop(self) -> None:
        """A signal (SIGTERM, SIGHUP) sets the stop event from outside: leave as 'q' does."""
        if self.stop.is_set() and not self._quitting:
            self._quit()

    async def action_quit(self) -> None:
        self._quit()

    def _quit(self) -> None:
        """Stop capture and let the pipeline close the session; leave when it has."""
        if self.pipeline_done.is_set():
            self.exit()
            return
        if self._quitting:  # asked twice: leave now, the pipeline stops in the background
            self.exit()
            return
        self._quitting = True
        self.stop.set()
        if self.state.status.paused:
            self._control("resume")
        self.state.status.stopping = True
        self._redraw({"status"})
        self.set_timer(self.settings.stop_timeout_s, self.exit)


def _leave_if_stuck(app: OverlayApp, stop: threading.Event, left: threading.Event, signalled: list[str]) -> None:
    """The last resort after a signal: a UI loop that cannot leave (after SIGHUP Textual can wait for
    ever to write to a terminal that is gone, and never sees the stop event) must not keep the
    process alive.  It waits for the pipeline to close the session (the log then has ``ended``), or
    for the same signal again, and gives the overlay ``LEAVE_GRACE_S`` to leave by itself; 'q' alone
    never gets here.  The process then exits with the signal's status."""
    from ..termination import exit_status

    stop.wait()
    if not signalled:  # stopped by 'q' or by the overlay's own end: the overlay leaves by itself
        return
    while not app.pipeline_done.wait(STOP_WATCH_S):
        if len(signalled) > 1:  # the same signal again: leave now
            break
    if left.wait(LEAVE_GRACE_S):
        return
    closed = app.pipeline_done.is_set()
    line = ("the session was closed" if closed else "the session log may lack its end")
    try:
        os.write(2, f"livecue: stopped by {signalled[-1]}; the overlay could not close; {line}\n".encode())
    except OSError:
        pass
    os._exit(exit_status(signalled))


def _log_path(sinks: list) -> str:
    """Where the session log is written (shown on the status line), or "" without one."""
    from ..session.log import SessionLog

    return next((str(s.path) for s in sinks if isinstance(s, SessionLog) and s.path), "")


def _rules_text(cues: CueOptions) -> str:
    """``rules`` on the status line: which rule files are loaded (problems arrive as notices)."""
    if not cues.enabled:
        return "off (--no-cues)"
    rules = cues.rules
    label = str(rules) if rules else "shipped"
    try:
        from ..cues.rules import default_rule_dirs, rule_dirs, rule_files
    except ImportError:
        return label
    location = Path(rules) if rules else default_rule_dirs()
    if not rule_dirs(location)[0].is_dir():
        return label
    files = rule_files(location)
    if not rules and any(f.parent == rule_dirs(location)[-1] for f in files):
        label = "shipped + yours"
    count = len(files)
    return f"{label} ({count} file{'s' if count != 1 else ''})"


def run_overlay(options: SessionOptions, pipeline_factory: Callable[[list], Any], sinks: list,
                stop: threading.Event, signalled: list[str] | None = None) -> int:
    """Run a session under the overlay; returns the exit status.

    The UI sink is appended to ``sinks`` before the pipeline is built, so the
    pipeline's own problems (a bad file, a missing model) are reported as
    one-line errors before any screen is drawn.
    """
    # Textual draws on stderr and reads stdin; a redirected stdout asks for text
    if not (sys.stdout.isatty() and sys.stdin.isatty() and sys.__stderr__ is not None and sys.__stderr__.isatty()):
        return run_plain(pipeline_factory, sinks, stop)

    theme = pick_theme()  # a bad LIVECUE_THEME is a one-line error before the model loads
    sink = UiSink()
    sinks.append(sink)
    pipeline = pipeline_factory(sinks)
    if stop.is_set():  # a signal came while the session was built: close it without drawing
        pipeline.run(stop)
        return 0
    settings = load_settings(discover_config(options.model.config)).overlay  # checked by the factory
    app = OverlayApp(
        pipeline,
        sink,
        stop,
        compact=options.compact,
        bell=options.bell,
        model=options.model.model or "",
        rules=_rules_text(options.cues),
        log_path=_log_path(sinks),
        settings=settings,
        theme=theme,
    )
    left = threading.Event()
    threading.Thread(target=_leave_if_stuck, args=(app, stop, left, signalled if signalled is not None else []),
                     name="livecue-leave-guard", daemon=True).start()
    try:
        app.run()
    except KeyboardInterrupt:
        pass
    finally:
        left.set()
        stop.set()
    if app.pipeline_started and not app.pipeline_done.wait(settings.stop_timeout_s):
        print(f"livecue: the pipeline did not stop within {settings.stop_timeout_s:.0f} s", file=sys.stderr)
        return 1
    if app.error is not None:
        raise app.error
    if app.return_code:  # the overlay itself failed (Textual printed why); never exit 0 after that
        print("livecue: the overlay stopped on an error; the session log keeps what was coached",
              file=sys.stderr)
        return 1
    return 0
