"""The overlay's meters and the report say the same thing about the same call.

A scripted call goes through the real cue stage the way the pipeline runs it
(each event, then what the stage made of it, to every sink, on a clock that
runs a little behind the decodes); the overlay's state and a session log are
the sinks.  The report made from that log must show the numbers the meters
showed: questions judged by their wording, backchannels by their words, talk
share over the meters' 120 s window, and the prospect's response latencies.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from livecue.clock import ManualClock
from livecue.cues.stage import build_cue_stage
from livecue.events import (Committed, Lag, Level, SessionEnded, SessionStarted, SpeechEnded, SpeechStarted,
                            Tentative, UtteranceEnded, Word)
from livecue.session.log import SessionLog, SessionSettings, read_session
from livecue.session.summary import summarise
from livecue.ui.state import OverlayState

END_S = 150.0
# (speaker, start, end, text): longer than the meters' window; a rep question without a "?";
# a prospect backchannel in a pause the rep talks through; short and long answers
CALL = [
    ("rep", 1.0, 18.0, "Thanks for taking the call. We help clinics cut no-shows with reminders patients answer"),
    ("prospect", 18.3, 18.8, "Right."),
    ("rep", 19.2, 40.0, "and most teams see fewer gaps within a month. So how do you handle reminders today"),
    ("prospect", 41.0, 50.0, "We call everyone the day before, which takes our front desk most of the afternoon."),
    ("rep", 51.0, 60.0, "That sounds like a lot of work. Do you have a budget for fixing it?"),
    ("prospect", 61.2, 62.0, "No."),
    ("rep", 63.0, 100.0, "Fair enough. Many of our clinics paid for it from the hours saved at the front desk, "
                         "because the calls stop and the no-shows drop, and the reminders run on their own."),
    ("prospect", 101.5, 130.0, "I see. We tried a texting tool last year and patients ignored it, so I would need "
                               "to see numbers from a clinic like ours before I take it to the partners."),
    ("rep", 131.0, 140.0, "Would you have time on Thursday for a short look at those numbers"),
    ("prospect", 140.8, 143.0, "Sure, send it over."),
]


def words(start: float, end: float, text: str) -> tuple[Word, ...]:
    tokens = text.split()
    step = (end - start) / len(tokens)
    return tuple(Word(" " + w, round(start + i * step, 3), round(start + (i + 1) * step - 0.05, 3))
                 for i, w in enumerate(tokens))


def timed_events() -> list[tuple[float, object]]:
    """(clock time when the pipeline handles it, event), as the VAD and the transcriber emit them."""
    out: list[tuple[float, object]] = []
    for speaker, start, end, text in CALL:
        ws = words(start, end, text)
        half = max(1, len(ws) // 2)
        out.append((start, SpeechStarted(start, speaker=speaker)))
        if len(ws) > 1:
            mid = ws[half - 1].end
            out.append((mid + 0.3, Tentative(mid + 0.3, speaker=speaker, text="", words=ws[:half])))
            out.append((mid + 0.8, Committed(mid, speaker=speaker, text=" ".join(w.word.strip() for w in ws[:half]),
                                             words=ws[:half])))
            rest = ws[half:]
        else:
            rest = ws
        out.append((end + 0.4, SpeechEnded(end + 0.4, speaker=speaker, start=start)))
        out.append((end + 0.9, Lag(end + 0.9, speaker=speaker, lag_s=0.9, decode_s=0.3)))
        out.append((end + 0.9, UtteranceEnded(end + 0.4, speaker=speaker)))
        out.append((end + 0.9, Committed(end, speaker=speaker, text=" ".join(w.word.strip() for w in rest),
                                         words=rest, final=True)))
    t = 0.0
    while t < END_S:  # the level meters: the stage's clock ticks on them between words
        out.append((t, Level(t, speaker="rep", rms_db=-40.0)))
        t += 0.5
    return sorted(out, key=lambda pair: pair[0])


@pytest.fixture(scope="module")
def call(tmp_path_factory):
    """Run the call as the pipeline does; return what the overlay showed and the report of its log."""
    path = tmp_path_factory.mktemp("agree") / "call.jsonl"
    clock = ManualClock()
    stage = build_cue_stage(None, None, clock, watch=False)
    overlay = OverlayState()
    log = SessionLog(SessionSettings(source="call.wav", mode="replay"), datetime(2026, 1, 1, tzinfo=timezone.utc),
                     path=path, announce=lambda line: None)

    def deliver(events) -> None:
        for e in events:
            overlay.feed(e)
            log.handle(e)

    deliver([SessionStarted(source="call.wav", mode="replay", duration=END_S)])
    for wall, event in timed_events():
        clock.set(wall)
        deliver([event] + stage.feed(event))
    clock.set(END_S)
    deliver(stage.close(END_S) + [SessionEnded(END_S, "end of input")])
    log.close()
    return overlay, summarise(read_session(path)), path


def test_the_report_counts_questions_and_backchannels_as_the_meters_did(call):
    overlay, summary, _ = call
    meters = overlay.signals
    # the wording counts: "So how do you handle reminders today" and "Would you have time ..." have no "?"
    assert meters.questions == {"rep": 3, "prospect": 0}
    assert {side: summary.sides[side].questions for side in ("rep", "prospect")} == meters.questions
    # "Right." in the rep's pitch is a backchannel by its words: it doesn't take the floor
    assert meters.backchannels == 1 and summary.backchannels == 1
    assert [t.speaker for t in summary.turns] == ["rep", "prospect"] * 4


def test_the_report_talk_share_curve_ends_where_the_meter_did(call):
    overlay, summary, _ = call
    meters = overlay.signals
    assert meters.window_s == summary.share_window_s == 120.0
    assert meters.t == pytest.approx(END_S) and summary.share_curve[-1].t == pytest.approx(END_S)
    assert summary.share_curve[-1].rep_share == pytest.approx(meters.rep_share, abs=5e-4)
    # over the last 120 s, not the whole call: the first minute's long pitch has left the window
    whole_call = summary.sides["rep"].share
    assert abs(meters.rep_share - whole_call) > 0.02


def test_the_report_latencies_are_the_ones_the_meter_showed(call):
    overlay, summary, _ = call
    shown = list(overlay.latencies)  # each new latency after a rep question, as the meter showed it
    reported = [round(r.latency_s, 2) for r in summary.question_replies]
    assert len(shown) == 3 and reported == pytest.approx(shown, abs=0.006)
    assert round(summary.question_replies[-1].latency_s, 2) == pytest.approx(overlay.signals.response_latency_s)


def test_a_log_from_before_utterance_end_records_gives_the_same_report(call, tmp_path):
    """Logs written before the transcriber emitted UtteranceEnded mark decodes with Lag only."""
    _, summary, path = call
    lines = path.read_text().splitlines(keepends=True)
    old = tmp_path / "old.jsonl"
    old.write_text("".join(line for line in lines if '"type": "utterance_end"' not in line))
    assert len(old.read_text()) < len(path.read_text())
    before = summarise(read_session(old))
    assert [(t.speaker, t.start, t.end) for t in before.turns] == [(t.speaker, t.start, t.end) for t in summary.turns]
    assert [r.latency_s for r in before.question_replies] == [r.latency_s for r in summary.question_replies]
    assert before.backchannels == summary.backchannels
