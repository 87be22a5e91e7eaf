"""A reference transcript fed as a live recogniser commits it (``eval --transcript --streamed``)."""

from __future__ import annotations

import json
from pathlib import Path

from livecue.cli import main
from livecue.cues.rules import load_rule_dir
from livecue.cues.transcript import CommitSchedule, ReferenceLine, run_events, utterance_events, utterance_words
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
    assert all(at >= e.t for at, e in commits(events))  # no word arrives before it was said
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


def test_a_word_that_ends_on_a_cut_off_is_committed_at_that_grid_point():
    """However the floating-point sums fall.  Twenty equal words over 8 s end every 0.4 s (0.02 s before
    each step), so with a 0.82 s lag each one ends exactly on a later grid point's cut-off."""
    schedule = CommitSchedule(grid_s=0.4, lag_s=0.82)
    for i in range(300):
        start = i / 100
        line = ReferenceLine("prospect", start, start + 8.0, " ".join(["word"] * 20))
        events = utterance_events([line], schedule)
        k = 1
        while start + k * schedule.grid_s < line.end:
            at = start + k * schedule.grid_s
            ready = [w for w in utterance_words(line) if w.end <= at - schedule.lag_s + 1e-6]
            arrived = [w for t, e in commits(events) if t <= at for w in e.words]
            assert len(arrived) >= len(ready), (start, k)
            k += 1


def test_eval_streamed_scores_the_committed_fixtures(tmp_path, capsys):
    """The committed fixtures score the same either way, cue for cue."""
    runs = {}
    for name, flags in (("whole", []), ("streamed", ["--streamed"])):
        out = tmp_path / f"{name}.json"
        assert main(["eval", "--transcript", *flags, str(HERE / "calls"), "--json", str(out), "-q"]) == 0
        runs[name] = json.loads(out.read_text())
    assert "transcript, streamed mode" in capsys.readouterr().out
    assert runs["streamed"]["overall"] == runs["whole"]["overall"]
    assert runs["streamed"]["overall"]["fp"] == 0 and runs["streamed"]["overall"]["fn"] == 0
    fired = {name: {(c["file"], f["cue"]) for c in run["calls"] for f in c["fired"]} for name, run in runs.items()}
    assert fired["whole"] == fired["streamed"]


def test_a_match_rule_acts_on_the_words_before_the_utterance_ends(tmp_path):
    (tmp_path / "boss.toml").write_text(
        'id = "boss"\ntitle = "Boss"\nlisten = "prospect"\nfire = "match"\nwhen = "boss"\n'
        '[card]\ntitle = "Boss"\nscript = ["Ask who."]\n'
        '[triggers.boss]\nkind = "phrases"\nphrases = ["run it by my boss"]\n'
        '[[examples]]\nname = "f"\nexpect = "fire"\nlines = ["0.5-3.0 prospect: I need to run it by my boss."]\n'
        '[[examples]]\nname = "s"\nexpect = "silent"\nlines = ["0.5-3.0 prospect: I decide."]\n')
    load = load_rule_dir(tmp_path)
    assert not load.problems
    line = ReferenceLine("prospect", 1.0, 9.0, "I need to run it by my boss, and then we will see about the rest of it.")
    (whole,) = run_events(utterance_events([line]), load, None, 10.0)
    (streamed,) = run_events(utterance_events([line], CommitSchedule()), load, None, 10.0)
    assert whole.t == 9.0  # whole: when the utterance ends
    assert streamed.anchor + 0.9 <= streamed.t <= streamed.anchor + 0.9 + 0.4  # the next grid point after the lag


def test_streamed_needs_transcript_mode_and_transcript_mode_takes_no_audio_schedule(capsys):
    assert main(["eval", "--streamed", str(HERE / "calls")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("livecue: ") and err.count("\n") == 1 and "--streamed" in err and "--transcript" in err
    for flag in ("--final-only", "--live-schedule", "--paced"):
        assert main(["eval", "--transcript", "--streamed", flag, str(HERE / "calls")]) == 2
        err = capsys.readouterr().err
        assert err.startswith("livecue: ") and err.count("\n") == 1 and "--transcript runs no audio" in err


def test_rule_examples_must_hold_with_the_words_streamed_too(tmp_path, capsys):
    """A silent example whose turn takes its first clause back holds whole; a match rule fails it streamed."""
    rule = ('id = "no"\ntitle = "No"\nlisten = "prospect"\nfire = "{fire}"\nwhen = "said_no"\n'
            '[card]\ntitle = "No"\nscript = ["Ask."]\n'
            '[triggers.said_no]\nkind = "phrases"\nphrases = ["still a no from me"]\nunless = ["talk to my partner"]\n'
            '[[examples]]\nname = "no"\nexpect = "fire"\nlines = ["0.5-3.0 prospect: It is still a no from me."]\n'
            '[[examples]]\nname = "the partner decides"\nexpect = "silent"\n'
            'lines = ["0.5-9.0 prospect: It is still a no from me, but honestly you should talk to my partner about it."]\n')
    (tmp_path / "no.toml").write_text(rule.replace("{fire}", "match"))
    assert main(["rules", "test", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "the partner decides: expected no no cue, fired at" in out
    assert "(with the words committed as a live call commits them)" in out and "1/2 examples pass" in out
    (tmp_path / "no.toml").write_text(rule.replace("{fire}", "turn_end"))
    assert main(["rules", "test", str(tmp_path)]) == 0
    assert "2/2 examples pass" in capsys.readouterr().out
