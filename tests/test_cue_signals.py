"""Conversation signals from the core's events."""

from __future__ import annotations

from cue_events import committed, tentative, utterance

from livecue.cues.signals import Tracker, is_backchannel, is_question, question_kind
from livecue.events import SpeechEnded, SpeechStarted


def feed(tracker: Tracker, events) -> list:
    updates = []
    for e in events:
        updates += tracker.feed(e, e.t)
    return updates


def test_backchannels_and_questions():
    assert is_backchannel("Mm-hmm.".split()) and is_backchannel("Okay, I see.".split())
    assert is_backchannel("Right.".split()) and not is_backchannel("Right, and the price?".split())
    assert not is_backchannel("Interesting, tell me more.".split())
    assert is_backchannel("mm hm".split()) and is_backchannel("Hm.".split())  # the recogniser splits mm-hmm
    assert is_backchannel("Amen, amen.".split())  # how the recogniser often writes a closed-mouth "mm"
    assert not is_backchannel("Amen to that, how much is it?".split())
    assert is_question("How many technicians do you have?".split())
    assert is_question("how many technicians do you have".split())  # unpunctuated
    assert not is_question("Will do.".split())
    assert not is_question("It's a great fit for teams like yours.".split())


def test_open_and_closed_questions():
    assert question_kind("Thanks for your time. How does your team plan visits today?".split()) == "open"
    assert question_kind("Hi Megan, thanks. How does...".split()) == "open"  # cut off by a pause
    assert question_kind("And which channel brings in the most?".split()) == "open"
    assert question_kind("Tell me about your process?".split()) == "open"
    assert question_kind("Is that about right?".split()) == "closed"
    assert question_kind("Perfect. Do you run installs on weekends?".split()) == "closed"
    assert question_kind("We cut costs by half.".split()) == ""


def test_talk_time_share_monologue_and_overlap():
    tr = Tracker()
    feed(tr, utterance("rep", 0.0, 30.0, "word " * 60))
    feed(tr, utterance("prospect", 29.0, 31.0, "Mm-hmm."))  # a backchannel over the rep's last second
    feed(tr, utterance("rep", 31.5, 40.0, "word " * 20))
    snap = tr.snapshot(40.0, 45.0, 90.0)
    assert snap.talk_s == {"rep": 38.5, "prospect": 2.0}
    assert abs(snap.rep_share - 38.5 / 40.5) < 1e-3
    assert snap.monologue_speaker == "rep" and snap.monologue_s == 40.0  # the backchannel did not stop it
    assert snap.overlap_s == 1.0 and snap.backchannels == 1
    assert (snap.monologue_warn_s, snap.monologue_alert_s) == (45.0, 90.0)


def test_window_drops_old_talk():
    tr = Tracker()
    feed(tr, utterance("rep", 0.0, 60.0, "word " * 100))
    feed(tr, utterance("prospect", 150.0, 160.0, "word " * 20))
    assert tr.snapshot(160.0, 45, 90).talk_s == {"rep": 20.0, "prospect": 10.0}


def test_clipped_streak_latency_and_answer_trend():
    tr = Tracker()
    t = 0.0
    for answer in ["We use a big whiteboard in the office for all of it.", "Whiteboard.", "Twenty or so.", "Sometimes."]:
        feed(tr, utterance("rep", t, t + 2.0, "How do you plan visits?"))
        feed(tr, utterance("prospect", t + 3.5, t + 4.5, answer))
        t += 6.0
    snap = tr.snapshot(t, 45, 90)
    assert snap.clipped_streak == 3
    assert snap.response_latency_s == 1.5
    assert snap.questions == {"rep": 4, "prospect": 0}
    # answers shrank from twelve words to under two
    assert snap.prospect_answer_words == round(5 / 3, 2)
    assert snap.prospect_answer_trend == round(5 / 3 - 12, 2)


def test_a_question_or_a_long_answer_breaks_the_streak():
    tr = Tracker()
    for i, answer in enumerate(["Fine.", "Okay.", "What does it cost?"]):
        feed(tr, utterance("rep", i * 6.0, i * 6.0 + 2, "Does that make sense?"))
        feed(tr, utterance("prospect", i * 6.0 + 3, i * 6.0 + 4, answer))
    assert tr.snapshot(20.0, 45, 90).clipped_streak == 0


def test_a_question_back_as_short_as_a_clipped_answer_neither_counts_nor_breaks_the_streak():
    """The recogniser hears a curt answer as a question ("uh, we notice" -> "Are we naughty?")."""
    tr = Tracker()
    for i, answer in enumerate(["Spreadsheet mostly.", "Techs.", "Are we naughty?", "Not sure."]):
        feed(tr, utterance("rep", i * 6.0, i * 6.0 + 2, "And how do you handle that?"))
        feed(tr, utterance("prospect", i * 6.0 + 3, i * 6.0 + 4, answer))
    snap = tr.snapshot(30.0, 45, 90)
    assert snap.clipped_streak == 3 and snap.questions["prospect"] == 1


def test_segments_follow_tentative_then_committed_words():
    tr = Tracker()
    updates = feed(tr, [SpeechStarted(1.0, "prospect"), tentative("prospect", 1.0, 2.0, "we are all")])
    assert [u.kind for u in updates] == ["speech", "text"]
    seg = updates[-1].segment
    assert seg.texts == ["we", "are", "all"]
    updates = feed(tr, [tentative("prospect", 1.0, 2.5, "we're all set")])
    assert seg.texts == ["we're", "all", "set"]
    updates = feed(tr, [SpeechEnded(2.6, "prospect", 1.0), committed("prospect", 1.0, 2.5, "We're all set.", True)])
    # the speech ended with its words heard ("ended": judged now), then the final words close it
    assert [u.kind for u in updates] == ["ended", "text", "final"] and seg.final and seg.texts == ["We're", "all", "set."]
    assert tr.answers[-1].words == 3


def test_a_segment_without_final_words_closes_after_a_wait():
    tr = Tracker()
    feed(tr, [SpeechStarted(1.0, "rep"), committed("rep", 1.0, 2.0, "hello there"), SpeechEnded(2.2, "rep", 1.0)])
    assert tr.tick(3.0) == []
    (update,) = tr.tick(2.2 + tr.s.final_wait_s)
    assert update.kind == "final" and update.segment.texts == ["hello", "there"]


def test_turns_group_a_sides_segments():
    tr = Tracker()
    feed(tr, utterance("rep", 0.0, 2.0, "Hi there."))
    feed(tr, utterance("rep", 2.6, 4.0, "Got a minute?"))
    feed(tr, utterance("prospect", 4.5, 5.0, "Sure."))
    last = tr.timeline[-1]
    assert [s.texts for s in tr.run_before(tr.run_of(last))] == [["Hi", "there."], ["Got", "a", "minute?"]]
    assert tr.answers[-1].after_question and tr.answers[-1].latency == 0.5


def test_a_final_decode_without_new_words_closes_the_segment_soon():
    from livecue.events import UtteranceEnded

    tr = Tracker()
    feed(tr, [SpeechStarted(1.0, "rep"), committed("rep", 1.0, 2.0, "hello there"), SpeechEnded(2.4, "rep", 1.0)])
    assert tr.feed(UtteranceEnded(2.6, "rep"), 2.6) == []  # the final decode ran: it may still bring words ...
    assert tr.tick(2.65) == []
    (update,) = tr.tick(2.8)  # ... it did not: closed well before final_wait_s
    assert update.kind == "final"


def test_speech_end_with_the_words_heard_reaching_it_announces_the_turn_before_the_final_decode():
    tr = Tracker()
    feed(tr, [SpeechStarted(1.0, "prospect"), tentative("prospect", 1.0, 2.5, "we're all set")])
    updates = feed(tr, [SpeechEnded(2.6, "prospect", 1.0)])
    assert [u.kind for u in updates] == ["ended"]  # judged now, on the tentative words
    seg = updates[0].segment
    assert not seg.final and seg.texts == ["we're", "all", "set"]
    updates = feed(tr, [committed("prospect", 1.0, 2.5, "We're all set.", True)])
    assert [u.kind for u in updates] == ["text", "final"]  # once only: the final words close it as before


def test_no_early_turn_end_while_the_words_heard_stop_short_of_the_speech():
    tr = Tracker()
    feed(tr, [SpeechStarted(1.0, "prospect"), tentative("prospect", 1.0, 1.8, "we're all")])
    assert feed(tr, [SpeechEnded(2.6, "prospect", 1.0)]) == []  # 0.8 s of speech not decoded yet
    updates = feed(tr, [tentative("prospect", 1.0, 2.5, "we're all set")])  # a decode that covers it
    assert [u.kind for u in updates] == ["ended"]
    assert [u.kind for u in feed(tr, [tentative("prospect", 1.0, 2.55, "we are all set")])] == ["text"]  # once


def test_early_turn_end_can_be_switched_off():
    from livecue.config import SignalSettings

    tr = Tracker(SignalSettings(ended_cover_s=0.0))
    feed(tr, [SpeechStarted(1.0, "prospect"), tentative("prospect", 1.0, 2.5, "we're all set")])
    assert feed(tr, [SpeechEnded(2.6, "prospect", 1.0)]) == []


def test_a_backchannel_said_over_a_turn_does_not_split_it_but_a_reply_does():
    tr = Tracker()
    feed(tr, utterance("prospect", 0.0, 1.5, "So it's not"))
    feed(tr, utterance("rep", 1.2, 1.5, "Okay."))  # said over them
    feed(tr, utterance("prospect", 1.7, 3.0, "really a big deal."))
    assert [t for s in tr.turn_of(tr.timeline[-1]) for t in s.texts] == "So it's not really a big deal.".split()
    assert len(tr.run_of(tr.timeline[-1])) == 1  # the runs themselves stay as they were
    tr = Tracker()
    feed(tr, utterance("prospect", 0.0, 1.5, "It's fine."))
    feed(tr, utterance("rep", 2.2, 2.6, "Okay."))  # after they stopped: a reply
    feed(tr, utterance("prospect", 3.0, 4.0, "Nothing special."))
    assert [t for s in tr.turn_of(tr.timeline[-1]) for t in s.texts] == ["Nothing", "special."]


def test_a_backchannel_that_ends_the_other_sides_own_turn_joins_nothing():
    tr = Tracker()
    feed(tr, utterance("rep", 0.0, 5.0, "So that's the plan for your fleet."))
    feed(tr, utterance("rep", 5.1, 5.4, "Okay."))
    feed(tr, utterance("prospect", 5.5, 6.5, "It's fine."))
    assert [t for s in tr.turn_of(tr.timeline[-1]) for t in s.texts] == ["It's", "fine."]
