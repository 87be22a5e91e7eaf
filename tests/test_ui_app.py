"""Pilot tests of the overlay, driven by the scripted pipeline (no audio, no model)."""

from __future__ import annotations

import asyncio
import functools
import threading
import time
from pathlib import Path

import pytest

from livecue.errors import LivecueError
from livecue.events import ChannelStatus, Committed, Cue, Feedback, Lag, Level, Notice, Progress, Signals, Tentative, Word
from livecue.options import CueOptions, SessionOptions
from livecue.ui.app import THEMES, OverlayApp, UiSink, run_overlay
from livecue.ui.demo import DEMO_CUES, ScriptedPipeline, demo_events, screen_text, settle
from livecue.ui.state import OverlaySettings
from livecue.ui.widgets.cue_card import CueCard
from livecue.ui.widgets.meters import CompactMeters, MetersPanel
from livecue.ui.widgets.transcript import TranscriptView

SECOND_EFFORT, PLANT_SEED = DEMO_CUES


def sync(test):
    """Run an async Pilot test in its own event loop (no pytest async plugin needed)."""

    @functools.wraps(test)
    def run(*args, **kwargs):
        return asyncio.run(test(*args, **kwargs))

    return run


def make_app(events=(), *, compact=False, hold=True, speed=None, settings=None, **kw):
    stop = threading.Event()
    sink = UiSink()
    pipeline = ScriptedPipeline([sink], events, speed=speed, hold=hold, source_name="call.wav", **kw)
    app = OverlayApp(pipeline, sink, stop, compact=compact, model="tiny.en", rules="shipped",
                     settings=settings or OverlaySettings(card_flash_s=0), theme="livecue-dark")
    return app, pipeline, sink, stop


def events_until(t: float):
    """The demo call up to audio time ``t`` (emission order)."""
    out = []
    latest = 0.0
    for event in demo_events():
        latest = max(latest, event.t)
        if latest > t:
            break
        out.append(event)
    return out


def all_applied(app, pipeline):
    return lambda: app.state.events_seen >= pipeline.emitted and pipeline.emitted >= len(pipeline.events) + 1


@sync
async def test_a_cue_card_appears_with_its_why_and_script():
    app, pipeline, _, _ = make_app(events_until(14.0))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, all_applied(app, pipeline))
        card = app.query_one(CueCard)
        assert card.display
        text = screen_text(app)
        assert "Second effort" in text
        assert "Why First brush-off" in text
        assert "› I get it, you have a provider and you don't know me." in text
        assert "Quick question though" in text
        assert "0 s ago" in text  # fired at 13.1, now 14.0: age in audio time


@sync
async def test_no_card_before_the_cue_fires():
    app, pipeline, _, _ = make_app(events_until(12.0))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, all_applied(app, pipeline))
        assert not app.query_one(CueCard).display
        assert "Second effort" not in screen_text(app)
        assert "Not really interested" in screen_text(app)


@sync
async def test_dismiss_removes_the_card_and_records_feedback():
    app, pipeline, _, _ = make_app(events_until(14.0))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, all_applied(app, pipeline))
        await pilot.press("d")
        await pilot.pause()
        assert not app.query_one(CueCard).display
        assert "Second effort" not in screen_text(app)
        assert pipeline.injected == [Feedback(t=14.0, cue="second_effort", mark="dismissed", cue_t=13.1)]
        await pilot.press("d", "s", "h", "w")  # no card: nothing more is recorded
        await pilot.pause()
        assert len(pipeline.injected) == 1


@sync
async def test_snooze_records_feedback_and_silences_the_play():
    settings = OverlaySettings(card_flash_s=0, snooze_s=120.0)
    app, pipeline, sink, _ = make_app(events_until(14.0), settings=settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, all_applied(app, pipeline))
        await pilot.press("s")
        await pilot.pause()
        assert pipeline.injected[-1] == Feedback(t=14.0, cue="second_effort", mark="snoozed", cue_t=13.1, snooze_s=120.0)
        assert not app.query_one(CueCard).display
        # the same play again within the snooze: not shown; another play: shown
        sink.handle(Cue(t=20.0, cue="second_effort", title="Second effort", why="again"))
        await settle(pilot, lambda: app.state.now >= 20.0)
        assert not app.query_one(CueCard).display
        sink.handle(PLANT_SEED)
        await settle(pilot, lambda: app.state.deck.current is not None)
        assert "Plant the seed" in screen_text(app)
        # after the snooze the play can show again
        sink.handle(Level(t=140.0, speaker="rep", rms_db=-50.0))
        sink.handle(Cue(t=140.5, cue="second_effort", title="Second effort", why="later", priority=5))
        await settle(pilot, lambda: app.state.now >= 140.5)
        assert app.state.deck.current.cue.why == "later"


@sync
async def test_helpful_and_wrong_are_recorded():
    app, pipeline, sink, _ = make_app(events_until(14.0))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, all_applied(app, pipeline))
        await pilot.press("h")
        await pilot.pause()
        assert pipeline.injected[-1].mark == "helpful"
        assert app.query_one(CueCard).display  # a helpful card stays to be read
        assert "✓ marked helpful" in screen_text(app)
        await pilot.press("w")
        await pilot.pause()
        assert [f.mark for f in pipeline.injected] == ["helpful", "wrong"]
        assert all(f.cue == "second_effort" and f.cue_t == 13.1 for f in pipeline.injected)
        assert not app.query_one(CueCard).display
        # the feedback went through the pipeline to its sinks (the JSON stream, the log)
        await settle(pilot, lambda: app.state.events_seen >= pipeline.emitted)
        assert pipeline.emitted == len(pipeline.events) + 1 + 2


@sync
async def test_tentative_text_is_dimmed_and_replaced_on_commit():
    app, _, sink, _ = make_app([])
    async with app.run_test(size=(100, 30)) as pilot:
        tail = (Word("hi", 0.5, 0.7), Word("tom", 0.8, 1.0), Word("its", 1.1, 1.3))
        sink.handle(Tentative(t=1.4, speaker="rep", text="hi tom its", words=tail))
        await settle(pilot, lambda: app.state.now >= 1.4)
        view = app.query_one(TranscriptView)
        assert "REP       hi tom its" in screen_text(app)
        italic = [seg.text for strip in view._lines for seg in strip if seg.style and seg.style.italic]
        assert "hi tom its" in "".join(italic)

        done = (Word("Hi", 0.5, 0.7), Word("Tom,", 0.8, 1.0), Word("it's", 1.1, 1.3))
        sink.handle(Committed(t=1.3, speaker="rep", text="Hi Tom, it's", words=done))
        sink.handle(Tentative(t=1.9, speaker="rep", text="Ana", words=(Word("Ana", 1.4, 1.8),)))
        await settle(pilot, lambda: app.state.now >= 1.9)
        text = screen_text(app)
        assert "REP       Hi Tom, it's Ana" in text
        assert "hi tom its" not in text
        italic = "".join(seg.text for strip in view._lines for seg in strip if seg.style and seg.style.italic)
        assert italic.strip() == "Ana"


@sync
async def test_both_sides_are_labelled_in_the_transcript():
    app, pipeline, _, _ = make_app(events_until(29.0))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, all_applied(app, pipeline))
        lines = app.query_one(TranscriptView).plain_lines()
        rep = [line for line in lines if "REP" in line[:20]]
        prospect = [line for line in lines if "PROSPECT" in line[:20]]
        assert rep and prospect
        assert rep[0].startswith("00:01 REP       Hi Tom")
        assert prospect[0].startswith("00:07 PROSPECT  Not really interested")


@sync
async def test_meters_show_talk_share_monologue_engagement_levels_and_lag():
    app, pipeline, _, _ = make_app(events_until(21.0))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, all_applied(app, pipeline))
        panel = str(app.query_one(MetersPanel).render())
        share = app.state.signals.rep_share
        assert f"{round(share * 100)}%" in panel and f"{round((1 - share) * 100)}%" in panel
        assert "Rep      00:07" in panel  # the rep has held the floor since 13.6
        assert "Answers  11.0 words" in panel
        assert "Latency   0.6 s" in panel
        assert "●" in panel  # the rep is speaking
        assert "Lag      rep" in panel and "pro 0.5 s" in panel
        # at 21 s the monologue (7.4 s) is under the demo's amber threshold (8 s) ...
        assert "LONG" not in panel
    app, pipeline, sink, _ = make_app(events_until(23.0))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, all_applied(app, pipeline))
        # ... past amber by 23 s (9.4 s), said in words as well as colour ...
        panel = str(app.query_one(MetersPanel).render())
        assert "LONG amber 8 s · red 12 s" in panel and "TOO LONG" not in panel
        # ... and red past the alert threshold
        sink.handle(Signals(t=100.0, monologue_speaker="rep", monologue_s=95.0,
                            monologue_warn_s=45.0, monologue_alert_s=90.0))
        await settle(pilot, lambda: app.state.now >= 100.0)
        assert "TOO LONG amber 45 s · red 90 s" in str(app.query_one(MetersPanel).render())
        assert "Rep      01:35" in str(app.query_one(MetersPanel).render())


@sync
async def test_fast_replay_shows_a_progress_bar():
    app, _, sink, _ = make_app([])
    async with app.run_test(size=(100, 30)) as pilot:
        sink.handle(Progress(t=8.35, duration=33.4))
        await settle(pilot, lambda: app.state.status.progress is not None)
        assert "25%" in screen_text(app).splitlines()[0]
        assert "████" in screen_text(app).splitlines()[0]


@sync
async def test_compact_mode_shows_the_card_and_the_essentials():
    app, pipeline, _, _ = make_app(events_until(31.0), compact=True)
    async with app.run_test(size=(60, 14)) as pilot:
        await settle(pilot, all_applied(app, pipeline))
        text = screen_text(app)
        lines = text.splitlines()
        assert "Plant the seed" in text
        assert "Why Second no" in text
        assert "› No problem, Tom, I'll let you go." in text
        assert not app.query_one(MetersPanel).display
        compact = str(app.query_one(CompactMeters).render())
        assert compact.startswith("Talk R") and "Mono" in compact and "Lag" in compact
        assert "00:31" in lines[0]  # where the call is
        assert "PROSPECT" in text  # the latest transcript lines
        assert "q Quit" in lines[-1] and "d Dismiss" in lines[-1]


@sync
async def test_compact_toggles_with_a_key():
    app, pipeline, _, _ = make_app(events_until(14.0))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, all_applied(app, pipeline))
        assert app.query_one(MetersPanel).display
        await pilot.press("c")
        await pilot.pause()
        assert app.compact and app.screen.has_class("-compact")
        assert not app.query_one(MetersPanel).display
        assert app.query_one(CompactMeters).display
        assert "Second effort" in screen_text(app)
        await pilot.press("c")
        await pilot.pause()
        assert app.query_one(MetersPanel).display


@sync
async def test_replay_keys_pause_resume_and_seek():
    app, pipeline, _, _ = make_app(events_until(14.0))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, all_applied(app, pipeline))
        await pilot.press("space")
        await pilot.pause()
        assert "⏸ PAUSED" in screen_text(app).splitlines()[0]
        await pilot.press("space", "right", "left")
        await pilot.pause()
        assert pipeline.source.calls == [("pause",), ("resume",), ("seek", 10.0), ("seek", -10.0)]
        assert "▶ REPLAY" in screen_text(app).splitlines()[0]
        await settle(pilot, lambda: "seek to" in screen_text(app))  # where the source landed


@sync
async def test_live_sessions_hide_replay_keys():
    app, pipeline, _, _ = make_app([], controls=False, mode="live", duration=None)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        footer = screen_text(app).splitlines()[-1]
        assert "Pause" not in footer and "+10s" not in footer
        assert "Dismiss" in footer and "Quit" in footer
        await pilot.press("space", "left")  # harmless
        await pilot.pause()
        assert "● LIVE" in screen_text(app).splitlines()[0]
        assert app.error is None


@sync
async def test_help_lists_the_keys():
    app, _, _, _ = make_app([])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        text = screen_text(app)
        assert "snooze this play" in text and "quit: stops capture" in text
        assert "Meters" in text
        await pilot.press("escape")
        await pilot.pause()
        assert "snooze this play" not in screen_text(app)


@sync
async def test_quit_stops_the_pipeline_and_waits_for_it():
    app, pipeline, sink, stop = make_app(events_until(5.0))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, all_applied(app, pipeline))
        assert not stop.is_set()
        await pilot.press("q")
        await settle(pilot, lambda: app.pipeline_done.is_set())
    assert stop.is_set()
    assert sink.closed  # the pipeline closed its sinks (the session log among them)
    assert app.state.status.ended == "stopped"
    assert app.error is None


@sync
async def test_a_stop_set_from_outside_closes_the_overlay_as_q_does():
    # what SIGTERM or SIGHUP does under the overlay (termination.stop_on_signals): nothing is
    # raised into Textual's loop, the overlay sees the event, waits for the pipeline, and leaves
    app, pipeline, sink, stop = make_app(events_until(5.0))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, all_applied(app, pipeline))
        assert app.return_code is None
        stop.set()
        await settle(pilot, lambda: app.return_code is not None)
        assert app.pipeline_done.is_set()  # it left after the session was closed, not before
    assert sink.closed
    assert app.state.status.ended == "stopped"
    assert app.error is None


@sync
async def test_a_stop_after_the_replay_ended_leaves_the_finished_overlay():
    # a finished replay waits for 'q'; a signal then closes it too instead of being ignored
    app, pipeline, sink, stop = make_app(events_until(5.0), hold=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, lambda: app.pipeline_done.is_set() and app.state.status.ended)
        await pilot.pause(0.3)
        assert app.return_code is None  # ended, still showing the call
        stop.set()
        await settle(pilot, lambda: app.return_code is not None)
    assert app.state.status.ended == "end of input"


@sync
async def test_the_ui_applies_at_most_20_batches_a_second():
    app, _, sink, _ = make_app([])
    n = 3000
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        start_flushes = app.flushes

        def flood():
            for i in range(n):
                sink.handle(Level(t=i * 0.001, speaker="rep", rms_db=-30.0, speaking=True))
                if i % 100 == 0:
                    time.sleep(0.02)

        started = time.monotonic()
        worker = threading.Thread(target=flood)
        worker.start()
        await settle(pilot, lambda: app.state.events_seen >= n, timeout_s=30)
        elapsed = time.monotonic() - started
        worker.join()
        flushes = app.flushes - start_flushes
        assert flushes >= 2  # it kept up while the flood ran, not only at the end
        assert flushes <= elapsed * 20 + 2


@sync
async def test_a_pipeline_error_closes_the_overlay_and_is_reported():
    class Broken(ScriptedPipeline):
        def run(self, stop):
            raise LivecueError("no such model: huge.en")

    stop, sink = threading.Event(), UiSink()
    app = OverlayApp(Broken([sink], []), sink, stop, theme="livecue-dark")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, lambda: app.pipeline_done.is_set())
        await pilot.pause(0.1)
    assert isinstance(app.error, LivecueError)


@sync
async def test_theme_toggle_keeps_the_screen_drawn():
    app, pipeline, _, _ = make_app(events_until(14.0))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, all_applied(app, pipeline))
        await pilot.press("t")
        await pilot.pause()
        assert app.theme == "livecue-light"
        assert "Second effort" in screen_text(app) and "Not really interested" in screen_text(app)


def _luminance(hex_colour: str) -> float:
    rgb = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


@pytest.mark.parametrize("name", sorted(THEMES))
def test_theme_text_colours_are_readable_on_their_background(name):
    theme = THEMES[name]
    for background in (theme.background, theme.surface, theme.panel):
        for role in ("rep", "prospect", "muted", "warn", "alert", "ok", "card-accent"):
            fg, bg = _luminance(theme.variables[role]), _luminance(background)
            ratio = (max(fg, bg) + 0.05) / (min(fg, bg) + 0.05)
            assert ratio >= 4.5, f"{name}: ${role} on {background} has contrast {ratio:.1f}"


def test_run_overlay_without_a_terminal_prints_the_plain_transcript(capsys):
    built = []

    def factory(sinks):
        pipeline = ScriptedPipeline(sinks, events_until(14.0), speed=None, source_name="call.wav")
        built.append(pipeline)
        return pipeline

    sinks: list = []
    assert run_overlay(SessionOptions(), factory, sinks, threading.Event()) == 0
    out, err = capsys.readouterr()
    assert "not a terminal" in err
    assert "REP: Hi Tom, it's" in out
    assert "CUE second_effort" in out
    assert not any(isinstance(s, UiSink) for s in sinks)


@sync
async def test_transcript_follows_until_the_user_scrolls_back():
    app, _, sink, _ = make_app([])
    async with app.run_test(size=(100, 30)) as pilot:
        def say(i):
            side = "rep" if i % 2 == 0 else "prospect"
            return Committed(t=i + 0.8, speaker=side, text=f"line number {i}", words=(Word(f"line{i}", i + 0.0, i + 0.8),), final=True)

        for i in range(60):
            sink.handle(say(i))
        await settle(pilot, lambda: app.state.events_seen >= 60)
        view = app.query_one(TranscriptView)
        assert view.follow and view.scroll_y == view.max_scroll_y > 0
        assert "line number 59" in screen_text(app)

        await pilot.press("pageup")
        await pilot.pause()
        held = view.scroll_y
        assert not view.follow and held < view.max_scroll_y
        for i in range(60, 64):
            sink.handle(say(i))
        await settle(pilot, lambda: app.state.events_seen >= 64)
        assert view.scroll_y == held  # reading back is not interrupted
        assert "line number 63" not in screen_text(app)
        assert view.border_subtitle == "↓ 4 new lines · End to follow"

        await pilot.press("end")
        await pilot.pause()
        assert view.follow
        sink.handle(say(64))
        await settle(pilot, lambda: app.state.events_seen >= 65)
        assert "line number 64" in screen_text(app)


@sync
async def test_a_new_card_flashes_and_rings_the_bell_when_asked():
    stop, sink = threading.Event(), UiSink()
    pipeline = ScriptedPipeline([sink], [], speed=None, hold=True)
    app = OverlayApp(pipeline, sink, stop, bell=True, theme="livecue-dark",
                     settings=OverlaySettings(card_flash_s=2.0))
    rings = []
    app.bell = lambda: rings.append(app.state.now)
    async with app.run_test(size=(100, 30)) as pilot:
        sink.handle(SECOND_EFFORT)
        await settle(pilot, lambda: app.state.deck.current is not None)
        card = app.query_one(CueCard)
        assert card.has_class("-fresh") and rings == [13.1]
        await settle(pilot, lambda: not card.has_class("-fresh"), timeout_s=10)
        # a lower-priority card waits in the queue: no bell, no flash
        sink.handle(Cue(t=14.0, cue="reset", title="Reset", why="w", priority=0))
        await settle(pilot, lambda: app.state.now >= 14.0)
        assert rings == [13.1] and not card.has_class("-fresh")
        assert "1 more queued" in screen_text(app)


@sync
async def test_status_line_shows_model_input_rules_log_and_problems():
    stop, sink = threading.Event(), UiSink()
    pipeline = ScriptedPipeline([sink], [], speed=None, hold=True, source_name="calls/d04.wav", model="tiny.en")
    app = OverlayApp(pipeline, sink, stop, rules="cue_rules (5 files)", log_path="/var/tmp/session-1.jsonl",
                     theme="livecue-dark")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, lambda: app.state.status.source != "")
        first, second = screen_text(app).splitlines()[:2]
        assert "model tiny.en" in first and "input d04.wav" in first  # the file's name, not its folder
        assert "rules cue_rules (5 files)" in second and "log /var/tmp/session-1.jsonl" in second
        sink.handle(Notice(t=1.0, level="warning", message="reset.toml:4: unknown key 'treshold'"))
        await settle(pilot, lambda: app.state.status.warnings == 1)
        text = screen_text(app)
        assert "⚠ 1 warning: reset.toml:4: unknown key 'treshold'" in text.splitlines()[1]
        assert "── reset.toml:4: unknown key" in text  # and in the transcript, where it happened


@sync
async def test_a_lost_channel_shows_in_the_meters():
    app, _, sink, _ = make_app([])
    async with app.run_test(size=(100, 30)) as pilot:
        sink.handle(ChannelStatus(t=3.0, speaker="prospect", state="lost", detail="device gone"))
        await settle(pilot, lambda: app.state.now >= 3.0)
        assert "Prospect LOST device gone" in str(app.query_one(MetersPanel).render())
        await pilot.press("c")
        await pilot.pause()
        assert "P✕" in str(app.query_one(CompactMeters).render())


@sync
async def test_compact_card_says_when_lines_do_not_fit():
    long_card = Cue(t=13.0, cue="second_effort", title="Second effort", priority=70,
                    why='First brush-off: "not really interested" and more words to make this wrap twice over',
                    script=("Agree with them first; no rebuttal, no \"but\".",
                            "Ask one question they won't expect about what's pressing for them now: a shift "
                            "in their market, their company's news, or something they just told you.",
                            "Connect their answer to the one result your customers value most.",
                            "Ask for something small and concrete: thirty minutes on a named day and time."))
    app, _, sink, _ = make_app([], compact=True)
    async with app.run_test(size=(60, 14)) as pilot:
        sink.handle(long_card)
        await settle(pilot, lambda: app.state.deck.current is not None)
        text = screen_text(app)
        assert "Why First brush-off" in text and "…" in text.splitlines()[2]  # why kept to one line
        assert "› Agree with them first" in text
        assert "… 2 more lines (c: full layout)" in text
        assert "Connect their answer" not in text
        await pilot.press("c")
        await pilot.pause()
        card = str(app.query_one(CueCard).render())
        assert "Connect their answer" in card and "thirty minutes" in card and "more lines" not in card


@sync
async def test_after_the_session_ends_marks_are_not_offered():
    app, pipeline, _, _ = make_app(events_until(14.0), hold=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, lambda: app.pipeline_done.is_set() and app.state.status.ended != "")
        assert "ENDED (end of input)" in screen_text(app).splitlines()[0]
        await pilot.press("h", "s")
        await pilot.pause()
        assert pipeline.injected == []  # nothing would reach the closed session log
        assert app.query_one(CueCard).display
        await pilot.press("d")  # dismissing still clears the screen
        await pilot.pause()
        assert not app.query_one(CueCard).display and pipeline.injected == []


def test_rules_on_the_status_line(tmp_path):
    from livecue.ui.app import _rules_text

    (tmp_path / "reset.toml").write_text("")
    (tmp_path / "plant_seed.toml").write_text("")
    assert _rules_text(CueOptions(rules=tmp_path)) == f"{tmp_path} (2 files)"
    assert _rules_text(CueOptions(rules=tmp_path, enabled=False)) == "off (--no-cues)"


@sync
async def test_lag_turns_amber_and_red_at_the_settings_thresholds():
    app, _, sink, _ = make_app([])
    async with app.run_test(size=(100, 30)) as pilot:
        panel = app.query_one(MetersPanel)

        def lag_style(text):
            content = panel.render()
            start = content.plain.index(text)
            return [span.style for span in content.spans if span.start == start]

        sink.handle(Lag(t=1.0, speaker="rep", lag_s=0.8))
        sink.handle(Lag(t=1.0, speaker="prospect", lag_s=2.5))
        await settle(pilot, lambda: app.state.sides["prospect"].lag_s == 2.5)
        assert lag_style("0.8 s") == [] and lag_style("2.5 s") == ["$warn"]  # plain below amber
        sink.handle(Lag(t=2.0, speaker="rep", lag_s=6.0))
        await settle(pilot, lambda: app.state.sides["rep"].lag_s == 6.0)
        assert lag_style("6.0 s") == ["$alert bold"]


def test_an_overlay_that_fails_exits_non_zero(monkeypatch, capsys):
    """Textual prints its own traceback when a widget fails; livecue must not then exit 0."""
    import livecue.ui.app as app_module

    class FailingApp(OverlayApp):
        CSS_PATH = Path(app_module.__file__).with_name("livecue.tcss")

        def on_mount(self) -> None:
            super().on_mount()
            raise RuntimeError("a widget failed")

        def run(self, **kwargs):
            return super().run(headless=True, size=(100, 30))

    for stream in (app_module.sys.stdout, app_module.sys.stdin, app_module.sys.__stderr__):
        monkeypatch.setattr(stream, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(app_module, "OverlayApp", FailingApp)

    def factory(sinks):
        return ScriptedPipeline(sinks, events_until(3.0), speed=None, source_name="call.wav")

    assert run_overlay(SessionOptions(), factory, [], threading.Event()) == 1
    assert "overlay stopped on an error" in capsys.readouterr().err


def test_a_signal_while_the_model_loads_closes_the_session_without_drawing(monkeypatch):
    import livecue.ui.app as app_module
    from livecue.pipeline import ListSink

    for stream in (app_module.sys.stdout, app_module.sys.stdin, app_module.sys.__stderr__):
        monkeypatch.setattr(stream, "isatty", lambda: True, raising=False)

    def no_screen(*args, **kwargs):
        raise AssertionError("the overlay was drawn after the session was stopped")

    monkeypatch.setattr(app_module, "OverlayApp", no_screen)
    stop, log = threading.Event(), ListSink()

    def factory(sinks):
        stop.set()  # SIGTERM during the (slow) model load
        return ScriptedPipeline(sinks + [log], events_until(3.0), speed=None, hold=True, source_name="call.wav")

    assert run_overlay(SessionOptions(), factory, [], stop) == 0
    assert log.events and log.events[-1].reason == "stopped"


def test_the_leave_guard_acts_only_after_a_signal_and_only_if_the_overlay_cannot_leave(monkeypatch):
    import livecue.ui.app as app_module

    exits: list[int] = []
    monkeypatch.setattr(app_module.os, "_exit", exits.append)
    monkeypatch.setattr(app_module, "LEAVE_GRACE_S", 0.05)

    class App:
        def __init__(self, done: bool) -> None:
            self.pipeline_done = threading.Event()
            if done:
                self.pipeline_done.set()

    def guard(signalled, *, done=True, left=False):
        stop, gone = threading.Event(), threading.Event()
        stop.set()
        if left:
            gone.set()
        app_module._leave_if_stuck(App(done), stop, gone, signalled)

    guard([], done=False)  # 'q': the overlay leaves by itself, however long the pipeline takes
    guard(["SIGTERM"], left=True)  # the overlay left in time
    assert exits == []
    guard(["SIGHUP"])  # the session is closed but the overlay is stuck (the terminal is gone)
    assert exits == [129]
    guard(["SIGTERM", "SIGTERM"], done=False)  # the same signal again: leave without waiting for the pipeline
    assert exits == [129, 143]


def test_a_repeated_signal_under_the_overlay_raises_nothing():
    import signal as signals

    from livecue.termination import stop_on_signals

    stop = threading.Event()
    with stop_on_signals(stop, ("SIGUSR1",), repeat_interrupts=False) as received:
        signals.raise_signal(signals.SIGUSR1)
        signals.raise_signal(signals.SIGUSR1)
    assert received == ["SIGUSR1", "SIGUSR1"] and stop.is_set()
    with pytest.raises(KeyboardInterrupt):
        with stop_on_signals(threading.Event(), ("SIGUSR1",)):
            signals.raise_signal(signals.SIGUSR1)
            signals.raise_signal(signals.SIGUSR1)


def test_an_unknown_livecue_theme_is_refused_not_ignored():
    from livecue.errors import LivecueError
    from livecue.ui.themes import pick_theme

    assert pick_theme({"LIVECUE_THEME": " Light "}) == "livecue-light"
    assert pick_theme({"LIVECUE_THEME": "", "COLORFGBG": "0;15"}) == "livecue-light"
    with pytest.raises(LivecueError, match=r"LIVECUE_THEME='purple' is not a theme: use dark or light"):
        pick_theme({"LIVECUE_THEME": "purple"})


def test_a_bad_livecue_theme_stops_the_overlay_before_the_model_loads(monkeypatch):
    import livecue.ui.app as app_module
    from livecue.errors import LivecueError

    for stream in (app_module.sys.stdout, app_module.sys.stdin, app_module.sys.__stderr__):
        monkeypatch.setattr(stream, "isatty", lambda: True, raising=False)
    monkeypatch.setenv("LIVECUE_THEME", "purple")
    built = []

    def no_screen(*args, **kwargs):
        raise AssertionError("the overlay was drawn with a bad theme")

    monkeypatch.setattr(app_module, "OverlayApp", no_screen)

    def factory(sinks):
        built.append(sinks)
        return ScriptedPipeline(sinks, events_until(3.0), speed=None, source_name="call.wav")

    with pytest.raises(LivecueError, match="LIVECUE_THEME"):
        run_overlay(SessionOptions(), factory, [], threading.Event())
    assert not built


def test_a_bad_livecue_theme_leaves_no_session_log_behind(monkeypatch, tmp_path):
    # The session opens its log before the overlay starts: the theme must be refused before that,
    # or the refused session leaves a header-only log that `livecue report` then picks as the newest.
    import livecue.ui.app as app_module
    from livecue.commands.common import run_session
    from livecue.errors import LivecueError

    for stream in (app_module.sys.stdout, app_module.sys.stdin, app_module.sys.__stderr__):
        monkeypatch.setattr(stream, "isatty", lambda: True, raising=False)
    monkeypatch.setenv("LIVECUE_THEME", "purple")

    def factory(sinks):
        raise AssertionError("the session was built with a bad theme")

    with pytest.raises(LivecueError, match="LIVECUE_THEME"):
        run_session(SessionOptions(command="replay", log=tmp_path), factory)
    assert list(tmp_path.iterdir()) == []
