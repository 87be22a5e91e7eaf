"""Snapshots of the two layouts on the scripted demo call at 31 s (after the second card).

Deterministic by construction: every time on screen is audio time from the
events, the card highlight is off, and the theme is fixed.  After a
deliberate change of the look, review and update with
``pytest tests/test_ui_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

import threading

from livecue.ui.app import OverlayApp, UiSink
from livecue.ui.demo import ScriptedPipeline, demo_events, settle
from livecue.ui.state import OverlaySettings


def demo_app(until_s: float, compact: bool) -> OverlayApp:
    events, latest = [], 0.0
    for event in demo_events():
        latest = max(latest, event.t)
        if latest > until_s:
            break
        events.append(event)
    sink = UiSink()
    pipeline = ScriptedPipeline([sink], events, speed=None, hold=True,
                                source_name="d04_not_interested_twice.wav")
    return OverlayApp(pipeline, sink, threading.Event(), compact=compact, model="tiny.en",
                      rules="shipped", settings=OverlaySettings(card_flash_s=0), theme="livecue-dark")


def all_applied(app: OverlayApp):
    pipeline = app.pipeline

    async def wait(pilot) -> None:
        await settle(pilot, lambda: pipeline.emitted == len(pipeline.events) + 1
                     and app.state.events_seen == pipeline.emitted)

    return wait


def test_main_layout(snap_compare):
    app = demo_app(31.0, compact=False)
    assert snap_compare(app, terminal_size=(100, 30), run_before=all_applied(app))


def test_compact_layout(snap_compare):
    app = demo_app(31.0, compact=True)
    assert snap_compare(app, terminal_size=(60, 14), run_before=all_applied(app))


def test_main_layout_mid_sentence(snap_compare):
    """The first card up while the rep answers, a tentative tail on screen."""
    app = demo_app(17.0, compact=False)
    assert snap_compare(app, terminal_size=(100, 30), run_before=all_applied(app))
