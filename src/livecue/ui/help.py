"""The overlay's help screen: its keys and what the meters mean."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from .state import OverlaySettings

HELP_TEXT = """\
[b]livecue keys[/b]  (↑ ↓ scroll this help; escape, ? or q closes it)

[b]q[/b]  quit: stops capture and closes the session log
[b]d[/b]  dismiss the card (recorded as [i]dismissed[/i])
[b]s[/b]  snooze this play for {snooze} min (recorded as [i]snoozed[/i])
[b]h[/b]  the card helped (recorded as [i]helpful[/i]; the card stays)
[b]w[/b]  the card was wrong (recorded as [i]wrong[/i]; the card goes)
[b]space[/b]  pause / resume a replay (main layout)
[b]← →[/b]  seek a replay by {seek} s (main layout)
[b]↑ ↓ PgUp PgDn[/b]  scroll the transcript; [b]End[/b] follows again
[b]c[/b]  compact layout on / off
[b]t[/b]  light / dark colours
[b]?[/b]  this help

[b]Meters[/b]  talk share over the signals window; the monologue timer turns amber and red at the rules' thresholds; engagement is the prospect's words per answer and response latency with their trend (↑ ↓ →); input shows each side's level and ● while it speaks; lag is how far the text is behind the audio."""


class HelpScreen(ModalScreen):
    BINDINGS = [
        Binding("escape,question_mark,q", "app.pop_screen", "Close", show=False),
    ]

    def __init__(self, settings: OverlaySettings) -> None:
        super().__init__()
        self.settings = settings

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):  # scrolls in a small terminal
            yield Static(HELP_TEXT.format(snooze=round(self.settings.snooze_s / 60),
                                          seek=round(self.settings.seek_step_s)))

    def on_mount(self) -> None:
        self.query_one("#help").focus()
