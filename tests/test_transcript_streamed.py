"""A reference transcript fed as a live recogniser commits it (``eval --transcript --streamed``)."""

from __future__ import annotations

import json
from pathlib import Path

from livecue.cli import main
from livecue.cues.transcript import CommitSchedule, ReferenceLine, utterance_events
from livecue.events import Committed, SpeechEnded, SpeechStarted

HERE = Path(__file__).resolve().parent
LINES = [ReferenceLine("rep", 0.5, 4.0, "Hi, it's Sam from Routely. Got a minute?"),
         ReferenceLine("prospect", 4.5, 9.5, "Sure, we plan routes on a whiteboard every morning and it takes an hour.")]


def commits(events):
    return [(at, e) for at, e in events if isinstance(e, Committed)]


def test_by_default_each_utterance_arrives_whole_when_it_ends():
    events = utterance_events(LINES)
    got = commits(events)
    assert [(at, e.speaker, e.final, e.text) for at, e in got] == [(u.end, u.speaker, True, u.text) for u in LINES]
    assert [type(e) for _, e in events][:2] == [SpeechStarted, SpeechEnded]


def test_streamed_words_arrive_on_the_grid_after_the_lag_and_the_rest_when_it_ends():
    schedule = CommitSchedule(grid_s=0.4, lag_s=0.9)
    events = utterance_events(LINES, schedule)
    arrivals = [at for at, _ in events]
    assert arrivals == sorted(arrivals)
    for u in LINES:
        mine = [(at, e) for at, e in commits(events) if e.speaker == u.speaker]
        assert len(mine) > 2  # several partial commits, then the final one
        assert [e.final for _, e in mine] == [False] * (len(mine) - 1) + [True]
        assert mine[-1][0] == u.end
        words = [w.word for _, e in mine for w in e.words]
        assert words == u.text.split()  # every word once, in order
        for at, e in mine[:-1]:
            steps = (at - u.start) / schedule.grid_s
            assert abs(steps - round(steps)) < 1e-6 and at < u.end
            assert all(w.end <= at - schedule.lag_s + 1e-9 for w in e.words)
            assert e.t == e.words[-1].end  # the event's own time: its last word's end, as the recogniser's


def test_eval_streamed_scores_the_committed_fixtures(tmp_path, capsys):
    out = tmp_path / "scores.json"
    assert main(["eval", "--transcript", "--streamed", str(HERE / "calls"), "--json", str(out), "-q"]) == 0
    data = json.loads(out.read_text())
    assert data["overall"]["fp"] == 0 and data["overall"]["fn"] == 0
    assert "transcript, streamed" in capsys.readouterr().out


def test_streamed_needs_transcript_mode(capsys):
    assert main(["eval", "--streamed", str(HERE / "calls")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("livecue: ") and "--streamed" in err and "--transcript" in err and "Traceback" not in err
