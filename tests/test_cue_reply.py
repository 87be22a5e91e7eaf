"""The reply trigger kind: the rep's own answer says a no was heard (issue-11az)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from livecue.cli import main
from livecue.cues.rules import load_rule_dir
from livecue.cues.transcript import CommitSchedule, ReferenceLine, run_events, utterance_events

RULE = textwrap.dedent('''\
    id = "first_no"
    title = "First no"
    listen = "prospect"
    priority = 70
    once_per_call = true
    fire = "turn_end"
    when = "heard_a_no"

    [card]
    title = "First no"
    script = ["Ask one question."]

    [triggers.heard_a_no]
    kind = "reply"
    why = "You answered a no: \\"{clause}\\" ({reply})"
    acknowledgements = ["fair (enough|play)", "i hear you"]
    pivots = ["out of interest", "what if"]
    unless = ["charged twice"]
    {extra}

    [[examples]]
    name = "fires"
    expect = "fire"
    lines = [
      "0.5-4.0 rep: Hi, it's Ross from VanStock. Got a minute?",
      "4.5-8.0 prospect: We've done it on a clipboard for twenty years.",
      "8.5-13.0 rep: Fair play. Out of interest, how often is a part missing?",
    ]

    [[examples]]
    name = "silent"
    expect = "silent"
    lines = ["0.5-4.0 rep: Hi, got a minute?", "4.5-6.0 prospect: Sure, go on."]
    ''')

OPENER = ReferenceLine("rep", 0.5, 4.0, "Hi, it's Ross from VanStock. Got a minute?")
STORY = ReferenceLine("prospect", 4.5, 8.0, "We've done it on a clipboard for twenty years.")


def rules(tmp_path: Path, extra: str = ""):
    (tmp_path / "first_no.toml").write_text(RULE.replace("{extra}", extra))
    load = load_rule_dir(tmp_path)
    assert not load.problems, load.problems
    return load


def cues(load, lines, streamed=None):
    return run_events(utterance_events(lines, streamed), load, None, max(u.end for u in lines) + 1.0)


def test_fires_on_the_reps_acknowledgement_and_question_naming_the_prospects_clause(tmp_path):
    load = rules(tmp_path)
    reply = ReferenceLine("rep", 8.5, 13.0, "Fair play. Out of interest, how often is a part missing?")
    (cue,) = cues(load, [OPENER, STORY, reply])
    assert cue.cue == "first_no" and cue.speaker == "prospect"
    assert cue.anchor == 8.0  # the no's end: latency is counted from it
    assert cue.t == 13.0  # the reply's words arrive whole at its end here
    assert cue.why == 'You answered a no: "We\'ve done it on a clipboard for twenty years" (Fair play. Out of interest)'


def test_streamed_it_fires_while_the_rep_is_still_speaking(tmp_path):
    load = rules(tmp_path)
    reply = ReferenceLine("rep", 8.5, 16.0, "Fair play. Out of interest, how often does a fitter get to a job and "
                                            "find the part he needs isn't in the van?")
    (cue,) = cues(load, [OPENER, STORY, reply], CommitSchedule())
    assert 9.5 < cue.t < 12.0  # "out of interest" committed, most of the reply still to come


def test_what_it_does_not_take_as_a_heard_no(tmp_path):
    load = rules(tmp_path)
    said = "Fair play. Out of interest, how often is a part missing?"
    cases = {
        "no question after the acknowledgement": [OPENER, STORY, ReferenceLine("rep", 8.5, 12.0, "Fair play, that's what we fix.")],
        "the acknowledgement not at the reply's start": [
            OPENER, STORY, ReferenceLine("rep", 8.5, 13.0, "Right so well you know, fair play. Out of interest, how often?")],
        "the question before the acknowledgement": [
            OPENER, STORY, ReferenceLine("rep", 8.5, 13.0, "What if, fair enough, we leave it there?")],
        "a turn too short to be a no": [OPENER, ReferenceLine("prospect", 4.5, 5.5, "Clipboard mostly."),
                                        ReferenceLine("rep", 6.0, 10.0, said)],
        "a question": [OPENER, ReferenceLine("prospect", 4.5, 8.0, "How is that different from a clipboard though?"),
                       ReferenceLine("rep", 8.5, 13.0, said)],
        "its unless": [OPENER, ReferenceLine("prospect", 4.5, 8.0, "I was charged twice for the same order."),
                       ReferenceLine("rep", 8.5, 13.0, said)],
        "the question past pivot_within_words": [
            OPENER, STORY, ReferenceLine("rep", 8.5, 17.0, "Fair play. " + "And so on. " * 10 + said)],
        "too late": [OPENER, STORY, ReferenceLine("rep", 18.5, 22.0, said)],
    }
    for name, lines in cases.items():
        assert cues(load, lines) == [], name


def test_not_on_a_turn_that_gave_a_card_already(tmp_path):
    """The prospect's no carded by another rule: the rep's reply to it adds no second card."""
    (tmp_path / "clipboard.toml").write_text(textwrap.dedent('''\
        id = "clipboard"
        title = "Clipboard"
        listen = "prospect"
        priority = 40
        when = "said"
        [card]
        title = "Clipboard"
        script = ["Ask."]
        [triggers.said]
        kind = "phrases"
        phrases = ["on a clipboard"]
        [[examples]]
        name = "f"
        expect = "fire"
        lines = ["0.5-3.0 prospect: We do it on a clipboard."]
        [[examples]]
        name = "s"
        expect = "silent"
        lines = ["0.5-3.0 prospect: We do it on paper."]
        '''))
    load = rules(tmp_path)
    reply = ReferenceLine("rep", 8.5, 13.0, "Fair play. Out of interest, how often is a part missing?")
    assert [c.cue for c in cues(load, [OPENER, STORY, reply])] == ["clipboard"]


def test_its_settings_are_checked_with_their_lines(tmp_path, capsys):
    (tmp_path / "first_no.toml").write_text(RULE.replace("{extra}", "max_late_s = 0\nacknowledgment = []")
                                            .replace('pivots = ["out of interest", "what if"]', ""))
    assert main(["rules", "check", str(tmp_path)]) != 0
    out = capsys.readouterr().out
    assert "trigger 'heard_a_no' needs pivots" in out
    text = (tmp_path / "first_no.toml").read_text().splitlines()
    assert f"first_no.toml:{text.index('max_late_s = 0') + 1}: 'max_late_s' must be more than 0" in out
    assert f"first_no.toml:{text.index('acknowledgment = []') + 1}:" in out and "acknowledgements" in out


def test_the_shipped_second_effort_hears_the_reps_reply():
    load = load_rule_dir(Path(__file__).resolve().parents[1] / "cue_rules")
    lines = [ReferenceLine("rep", 0.5, 6.0, "Hiya, is that Jim? I'm Ross from VanStock, we help merchants keep track of "
                                            "what's in the lads' vans."),
             ReferenceLine("prospect", 6.5, 11.0, "Och, we've kept the stock on a clipboard for twenty years and "
                                                  "nobody's died yet."),
             ReferenceLine("rep", 11.5, 19.0, "Ha, fair play. Out of interest, how often does a fitter get to a job "
                                              "and find the part isn't in the van?")]
    streamed = cues(load, lines, CommitSchedule())
    assert [c.cue for c in streamed] == ["second_effort"] and streamed[0].t < 15.0
    assert "you answered it" in streamed[0].why


def test_only_the_replys_committed_words_count(tmp_path):
    """Tentative words may still change: the card waits until the recogniser commits them."""
    from cue_events import Feeder, committed, tentative, utterance

    from livecue.clock import ManualClock
    from livecue.cues.profile import Profile
    from livecue.cues.stage import CueStage
    from livecue.events import SessionStarted, SpeechStarted

    clock = ManualClock()
    f = Feeder(CueStage(rules(tmp_path), Profile(), clock, None), clock)
    f.feed(SessionStarted(0.0))
    f.feed(*utterance("rep", 0.5, 4.0, "Hi, it's Ross from VanStock. Got a minute?"))
    f.feed(*utterance("prospect", 4.5, 8.0, "We've done it on a clipboard for twenty years."))
    f.feed(SpeechStarted(8.5, "rep"))
    f.feed(tentative("rep", 8.5, 10.5, "Fair play. Out of interest, how"), lag_s=0.3)
    assert f.cues() == []
    f.feed(committed("rep", 8.5, 10.5, "Fair play. Out of interest, how"), lag_s=0.8)
    assert [(c.cue, round(c.t, 1)) for c in f.cues()] == [("first_no", 11.3)]
