"""The detector's state: play order, episodes, cooldowns, evidence, revisions."""

from __future__ import annotations

from pathlib import Path

from cue_events import Feeder, committed, tentative, utterance

from livecue.clock import ManualClock
from livecue.cues.profile import Profile
from livecue.cues.rules import load_rule_dir
from livecue.cues.stage import CueStage
from livecue.events import Feedback, Level, SessionStarted, SpeechEnded, SpeechStarted

RULES = Path(__file__).resolve().parents[1] / "cue_rules"
LOAD = load_rule_dir(RULES)


def feeder(profile: Profile | None = None) -> Feeder:
    clock = ManualClock()
    f = Feeder(CueStage(LOAD, profile or Profile(), clock, None), clock)
    f.feed(SessionStarted(0.0))
    return f


def test_second_effort_then_plant_seed_not_a_second_second_effort():
    f = feeder(Profile(hot_buttons=("late rent", "tenant churn", "slow repairs")))
    f.feed(*utterance("rep", 0.5, 4.0, "Hi, it's Ana from Ridgeway. Got a minute?"))
    f.feed(*utterance("prospect", 4.6, 7.0, "We're all set, thanks."))
    f.feed(*utterance("rep", 7.6, 14.0, "Fair enough. With late fees capped from January, how will you keep rent on time?"))
    f.feed(*utterance("prospect", 14.6, 17.0, "Still not interested."))
    # second_effort waits settle_s (0.3 s) after the turn in case the prospect goes on
    assert [(c.cue, round(c.t, 1)) for c in f.cues()] == [("second_effort", 7.3), ("plant_seed", 17.0)]
    plant = f.cues("plant_seed")[0]
    assert "late rent, tenant churn and slow repairs" in " ".join(plant.script)
    assert "second effort" in plant.why


def test_a_second_no_without_the_reps_second_effort_is_not_plant_seed():
    f = feeder()
    f.feed(*utterance("rep", 0.5, 4.0, "Hi, got a minute?"))
    f.feed(*utterance("prospect", 4.6, 6.0, "Not interested."))
    f.feed(*utterance("prospect", 7.0, 8.5, "Not interested."))  # no rep turn in between
    assert [c.cue for c in f.cues()] == ["second_effort"]


def test_a_brush_off_followed_after_a_pause_by_exit_intent_is_plant_seed_only():
    f = feeder()
    f.feed(*utterance("rep", 0.5, 4.0, "Is now a good time?"))
    f.feed(*utterance("prospect", 4.6, 6.0, "Not interested."))
    f.feed(*utterance("prospect", 6.2, 8.0, "I have to go."))  # went on before second_effort settled
    assert [c.cue for c in f.cues()] == ["plant_seed"]


def test_exit_intent_goes_straight_to_plant_seed():
    f = feeder()
    f.feed(*utterance("rep", 0.5, 4.0, "Is now a good time?"))
    f.feed(*utterance("prospect", 4.6, 9.0, "Not really interested, and I have to jump on another call."))
    assert [c.cue for c in f.cues()] == ["plant_seed"]


def clipped_round(f: Feeder, t: float, answer: str) -> float:
    f.feed(*utterance("rep", t, t + 2.0, "And how does that work for you today?"))
    f.feed(*utterance("prospect", t + 3.0, t + 3.6, answer))
    return t + 4.5


def test_reset_once_per_episode_and_again_after_engagement():
    f = feeder()
    t = 0.5
    for answer in ["Fine.", "Manually.", "Not sure.", "Maybe.", "Whatever."]:
        t = clipped_round(f, t, answer)
    assert len(f.cues("reset")) == 1  # five clipped answers, one episode, one card
    first = f.cues("reset")[0]
    assert first.why.startswith("3 answers in a row")
    # the prospect engages, then checks out again, well after the cooldown
    f.feed(*utterance("rep", t, t + 2.0, "What would make this worth your time?"))
    f.feed(*utterance("prospect", t + 3.0, t + 9.0,
                      "Honestly the thing that hurts is invoicing, we lose two days a month to it."))
    t += 60.0
    for answer in ["Sure.", "Okay.", "Maybe."]:
        t = clipped_round(f, t, answer)
    assert len(f.cues("reset")) == 2


def test_reset_without_engagement_stays_quiet_even_after_the_cooldown():
    f = feeder()
    t = 0.5
    for answer in ["Fine.", "Manually.", "Not sure."]:
        t = clipped_round(f, t, answer)
    t += 120.0
    for answer in ["Sure.", "Okay.", "Maybe."]:
        t = clipped_round(f, t, answer)
    assert len(f.cues("reset")) == 1


def test_cooldown_holds_a_rule_back():
    f = feeder()
    f.feed(*utterance("rep", 0.5, 3.0, "Can I ask about your routes?"))
    f.feed(*utterance("prospect", 3.5, 6.0, "I have to go, sorry."))
    f.feed(*utterance("rep", 6.5, 8.0, "Sure, one quick thing?"))
    f.feed(*utterance("prospect", 8.5, 10.0, "Please take me off your list."))
    assert len(f.cues("plant_seed")) == 1  # 60 s cooldown
    f.feed(*utterance("rep", 80.0, 82.0, "Hello again, did you get my email?"))
    f.feed(*utterance("prospect", 82.5, 84.0, "I have to run."))
    assert len(f.cues("plant_seed")) == 2


def test_a_turn_end_rule_waits_for_the_turn_and_fires_once_when_its_words_are_committed():
    """decision_maker judges the whole turn (a later clause may take the decision back), and the
    same evidence, tentative and then committed, gives one card."""
    f = feeder()
    f.feed(*utterance("rep", 0.5, 3.0, "Shall we book the install?"))
    f.feed(SpeechStarted(3.5, "prospect"))
    f.feed(tentative("prospect", 3.5, 4.6, "I need to run it by my boss"), lag_s=0.3)
    f.feed(tentative("prospect", 3.5, 5.8, "I need to run it by my boss first okay"), lag_s=0.3)
    assert f.cues() == []  # the turn goes on
    f.feed(SpeechEnded(6.0, "prospect", 3.5))
    # the words heard reach the speech's end: judged now, before the final decode
    assert [(c.cue, round(c.t, 1)) for c in f.cues()] == [("decision_maker", 6.1)]  # the final words come at 6.3
    f.feed(committed("prospect", 3.5, 5.8, "I need to run it by my boss first okay", final=True), lag_s=0.5)
    f.feed(SpeechStarted(7.5, "rep"))
    assert [c.cue for c in f.cues()] == ["decision_maker"]


def test_fires_on_tentative_words_once_they_are_clear_and_not_again_when_committed(tmp_path):
    """A rule that fires on a match acts on tentative words once they are clearly there."""
    (tmp_path / "boss.toml").write_text(
        'id = "boss"\ntitle = "Boss"\nlisten = "prospect"\nfire = "match"\nwhen = "boss"\n'
        '[card]\ntitle = "Boss"\nwhy = "boss"\nscript = ["Ask who."]\n'
        '[triggers.boss]\nkind = "phrases"\nphrases = ["run it by my boss"]\n'
        '[[examples]]\nname = "f"\nexpect = "fire"\nlines = ["0.5-3.0 prospect: I need to run it by my boss."]\n'
        '[[examples]]\nname = "s"\nexpect = "silent"\nlines = ["0.5-3.0 prospect: I decide."]\n')
    load = load_rule_dir(tmp_path)
    assert not load.problems
    clock = ManualClock()
    f = Feeder(CueStage(load, Profile(), clock, None), clock)
    f.feed(SessionStarted(0.0))
    f.feed(*utterance("rep", 0.5, 3.0, "Shall we book the install?"))
    f.feed(SpeechStarted(3.5, "prospect"))
    f.feed(tentative("prospect", 3.5, 4.6, "I need to run it by my boss"), lag_s=0.3)
    assert f.cues() == []  # "boss" is the hypothesis's last word: it may still change
    f.feed(tentative("prospect", 3.5, 5.6, "I need to run it by my boss first okay"), lag_s=0.3)
    assert [c.cue for c in f.cues()] == ["boss"]
    assert f.cues()[0].t < 6.0  # before the speaker finished
    f.feed(SpeechEnded(6.0, "prospect", 3.5))
    f.feed(committed("prospect", 3.5, 5.6, "I need to run it by my boss first okay", final=True), lag_s=0.5)
    assert len(f.cues()) == 1  # same evidence, committed: no second card


def test_an_exit_waits_for_the_turn_to_end_because_a_later_clause_may_overrule_it():
    f = feeder()
    f.feed(*utterance("rep", 0.5, 3.0, "Do you have a minute?"))
    f.feed(SpeechStarted(3.5, "prospect"))
    f.feed(tentative("prospect", 3.5, 5.6, "I have to leave at two so"), lag_s=0.3)
    assert f.cues() == []
    f.feed(SpeechEnded(8.0, "prospect", 3.5))
    f.feed(committed("prospect", 3.5, 7.8, "I have to leave at two, so we have twenty minutes. Go ahead.", final=True),
           lag_s=0.3)
    assert f.cues() == []
    f.feed(*utterance("rep", 9.0, 10.0, "Great, thanks."))
    f.feed(SpeechStarted(11.0, "prospect"))
    f.feed(committed("prospect", 11.0, 12.5, "Sorry, I have to go now.", final=True), lag_s=0.3)
    assert [c.cue for c in f.cues()] == ["plant_seed"] and f.cues()[0].t < 13.5


def test_a_revised_hypothesis_does_not_fire():
    f = feeder()
    f.feed(*utterance("rep", 0.5, 3.0, "What do you think so far?"))
    f.feed(SpeechStarted(3.5, "prospect"))
    f.feed(tentative("prospect", 3.5, 4.6, "I have to go"), lag_s=0.3)
    f.feed(tentative("prospect", 3.5, 6.0, "I have to say this looks great"), lag_s=0.3)
    f.feed(SpeechEnded(6.2, "prospect", 3.5))
    f.feed(committed("prospect", 3.5, 6.0, "I have to say this looks great", final=True), lag_s=0.5)
    assert f.cues() == []


def test_never_twice_on_the_same_words_even_when_committed_in_pieces():
    f = feeder()
    f.feed(*utterance("rep", 0.5, 3.0, "So what's the next step?"))
    f.feed(SpeechStarted(3.5, "prospect"))
    f.feed(committed("prospect", 3.5, 6.0, "I'd have to run it by my boss"), lag_s=0.4)
    f.feed(committed("prospect", 6.1, 8.0, "before we sign anything"), lag_s=0.4)
    f.feed(SpeechEnded(8.2, "prospect", 3.5))
    f.feed(committed("prospect", 8.1, 8.2, "okay", final=True), lag_s=0.4)
    assert [c.cue for c in f.cues()] == ["decision_maker"]


def test_snooze_feedback_silences_a_cue_for_a_while():
    f = feeder()
    f.feed(Feedback(1.0, "plant_seed", "snoozed", 0.0, 30.0))
    f.feed(*utterance("rep", 1.5, 3.0, "Got a minute?"))
    f.feed(*utterance("prospect", 3.5, 5.0, "I have to go."))
    assert f.cues() == []
    f.feed(*utterance("rep", 40.0, 42.0, "Hi, calling back as promised."))
    f.feed(*utterance("prospect", 42.5, 44.0, "I have to go."))
    assert [c.cue for c in f.cues()] == ["plant_seed"]


def test_cue_event_json_shape():
    f = feeder()
    f.feed(*utterance("rep", 0.5, 3.0, "Got a minute?"))
    f.feed(*utterance("prospect", 3.5, 5.0, "I have to go."))
    (cue,) = f.cues()
    data = cue.to_json()
    assert data["type"] == "cue" and data["cue"] == "plant_seed" and data["t"] == 5.0
    assert data["title"] and data["why"] == 'They want to wrap up: "I have to go"'
    assert isinstance(data["script"], list) and len(data["script"]) == 4
    assert data["anchor"] <= data["t"]


def test_missing_profile_reads_as_sentences():
    f = feeder()
    f.feed(*utterance("rep", 0.5, 3.0, "Got a minute?"))
    f.feed(*utterance("prospect", 3.5, 5.0, "I have to go."))
    script = " ".join(f.cues()[0].script)
    assert "{" not in script and "the three problems you solve best" in script


def test_a_short_no_is_judged_on_the_whole_turn_not_its_first_words():
    f = feeder()
    f.feed(*utterance("rep", 0.5, 4.0, "Hi, got a minute?"))
    f.feed(*utterance("prospect", 4.6, 6.0, "We're all set, thanks."))
    f.feed(*utterance("rep", 7.0, 12.0, "Sure. How are you covering the new lanes out of Reno?"))
    f.feed(SpeechStarted(12.5, "prospect"))
    f.feed(tentative("prospect", 12.5, 13.5, "Actually, no thanks. Scenery."), lag_s=0.3)  # an early, noisy hypothesis
    f.feed(SpeechEnded(18.0, "prospect", 12.5))
    f.feed(committed("prospect", 12.5, 17.8,
                     "Actually, no thanks to our carrier that lane has been a real headache every week.", final=True))
    assert [c.cue for c in f.cues()] == ["second_effort"]


def test_curt_answers_to_yes_no_questions_are_not_a_reset():
    f = feeder()
    t = 0.5
    for question, answer in [("You have twelve stores?", "Yes."), ("All on the same tills?", "Correct."),
                             ("Is March the deadline?", "Yes."), ("Are weekends okay for installs?", "Sure.")]:
        f.feed(*utterance("rep", t, t + 2.0, question))
        f.feed(*utterance("prospect", t + 2.5, t + 3.0, answer))
        t += 4.0
    assert f.cues() == []


def test_an_intent_cue_fires_when_speech_ends_not_after_the_final_decode():
    f = feeder()
    f.feed(*utterance("rep", 0.5, 4.0, "So could we get the order in before the end of the month?"))
    f.feed(SpeechStarted(4.5, "prospect"))
    said = "I'd love to. But that one is really up to the owner, he signs everything here."
    f.feed(tentative("prospect", 4.5, 8.5, said), lag_s=0.3)
    assert f.cues() == []  # still speaking: a later clause may overrule it
    f.feed(SpeechEnded(8.6, "prospect", 4.5), lag_s=0.45)  # the VAD's silence; the final decode is still to run
    assert [(c.cue, round(c.t, 2)) for c in f.cues()] == [("decision_maker", 9.05)]
    assert "up to the owner" in f.cues()[0].why
    f.feed(committed("prospect", 4.5, 8.5, said, final=True), lag_s=1.0)
    assert len(f.cues()) == 1  # the final words are the same evidence: no second card


def test_an_intent_waits_for_the_final_decode_when_the_words_heard_stop_short():
    f = feeder()
    f.feed(*utterance("rep", 0.5, 4.0, "So could we get the order in before the end of the month?"))
    f.feed(SpeechStarted(4.5, "prospect"))
    f.feed(tentative("prospect", 4.5, 6.0, "I'd love to. But that one is"), lag_s=0.3)
    f.feed(SpeechEnded(8.6, "prospect", 4.5), lag_s=0.45)
    assert f.cues() == []  # two seconds of speech not decoded yet
    f.feed(committed("prospect", 4.5, 8.5, "I'd love to. But that one is really up to the owner, he signs everything here.",
                     final=True), lag_s=1.0)
    assert [(c.cue, round(c.t, 1)) for c in f.cues()] == [("decision_maker", 9.5)]


def test_judged_at_speech_end_a_later_clause_still_overrules_a_brush_off():
    f = feeder()
    f.feed(*utterance("rep", 0.5, 4.0, "Is now a good time to talk about your systems?"))
    f.feed(SpeechStarted(4.5, "prospect"))
    f.feed(tentative("prospect", 4.5, 8.5, "We're all set on hardware, but the software side is what I need."),
           lag_s=0.3)
    f.feed(SpeechEnded(8.6, "prospect", 4.5), lag_s=0.45)
    f.clock.set(10.0)
    f.feed(committed("prospect", 4.5, 8.5, "We're all set on hardware, but the software side is what I need.",
                     final=True), lag_s=1.5)
    assert f.cues() == []


def test_a_turn_end_cue_judged_at_speech_end_keeps_its_time_when_the_same_words_are_committed():
    from livecue.events import Committed

    f = feeder()
    f.feed(*utterance("rep", 0.5, 4.0, "Hi, it's Ana from Ridgeway. Got a minute?"))
    f.feed(SpeechStarted(4.6, "prospect"))
    f.feed(tentative("prospect", 4.6, 6.0, "Not interested, thanks for calling me today."), lag_s=0.3)
    f.feed(SpeechEnded(6.1, "prospect", 4.6), lag_s=0.45)  # judged now: due after the 0.3 s settle
    f.feed(committed("prospect", 4.6, 6.0, "Not interested, thanks for calling me today."), lag_s=0.7)  # not new speech
    f.feed(Committed(6.1, "prospect", "", (), True), lag_s=0.9)  # the final decode: nothing more
    f.feed(*utterance("rep", 8.0, 9.0, "Sure, one thing."))
    assert [(c.cue, round(c.t, 2)) for c in f.cues()] == [("second_effort", 6.85)]


def _two_rules(tmp_path: Path) -> Path:
    """A settling brush-off rule and a lesser rule that reads the same words."""
    for rule_id, priority, settle in (("brush", 70, 0.3), ("lesser", 40, 0.0)):
        (tmp_path / f"{rule_id}.toml").write_text(
            f'id = "{rule_id}"\ntitle = "{rule_id}"\nlisten = "prospect"\npriority = {priority}\n'
            f'fire = "turn_end"\nsettle_s = {settle}\nwhen = "words"\n\n'
            '[triggers.words]\nkind = "phrases"\nphrases = ["not for us"]\n\n'
            f'[card]\ntitle = "{rule_id}"\n\n'
            '[[examples]]\nname = "fires"\nexpect = "fire"\nlines = ["0.5-2.0 prospect: It is not for us."]\n\n'
            '[[examples]]\nname = "silent"\nexpect = "silent"\nlines = ["0.5-2.0 prospect: Tell me more."]\n',
            encoding="utf-8")
    return tmp_path


def test_a_lesser_cue_waits_behind_a_more_important_one_settling_on_the_same_turn(tmp_path):
    clock = ManualClock()
    f = Feeder(CueStage(load_rule_dir(_two_rules(tmp_path)), Profile(), clock, None), clock)
    f.feed(SessionStarted(0.0))
    f.feed(*utterance("rep", 0.5, 4.0, "Could this help your team?"))
    f.feed(*utterance("prospect", 4.6, 6.0, "Honestly, it's not for us."))
    f.feed(*utterance("rep", 7.0, 9.0, "Understood."))
    # before: "lesser" took the turn at 6.0 while "brush" settled, and both cards showed
    assert [c.cue for c in f.cues()] == ["brush"]



def test_a_second_no_must_come_from_a_later_turn_than_the_one_second_effort_answered():
    """Live, the rep can start talking before second_effort fires; the same prospect turn, committed
    again with more words, is not the next no (on d04 it fired plant_seed 0.08 s after second_effort)."""
    f = feeder()
    f.feed(*utterance("rep", 0.5, 4.0, "Hi, it's Ana from Ridgeway. Got a minute?"))
    f.feed(*utterance("prospect", 4.6, 6.0, "Not really interested, thanks."))
    f.feed(SpeechStarted(6.1, "rep"))
    f.feed(committed("rep", 6.1, 6.6, "I get it."), lag_s=0.1)
    assert [(c.cue, round(c.t, 1)) for c in f.cues()] == [("second_effort", 6.3)]
    f.feed(committed("prospect", 4.6, 6.0, "Not really interested, thanks. We already have someone that does that.",
                     final=True), lag_s=1.2)
    assert [c.cue for c in f.cues()] == ["second_effort"]


def test_a_context_gate_still_sees_the_question_when_the_answer_is_decoded_late():
    """A live call may decode the answer seconds after it was said; "the rep just asked where they
    are" must hold all the same (paced lca_auto_repairs_49: a lukewarm reset on a logistics answer)."""
    question = "We can reset it for you. Are you close enough to turn around, or would you rather come in tomorrow?"
    answer = "I'm home already, so it's not really a big deal."
    pitch = "So that's the plan: the sensor reset, a free check of all four tyres, and a rental if it takes longer."
    for lag_s in (0.0, 9.0):
        f = feeder()
        f.feed(*utterance("rep", 0.5, 6.0, pitch))
        f.feed(SpeechStarted(6.5, "prospect"), SpeechEnded(9.0, "prospect", 6.5))
        f.feed(committed("prospect", 6.5, 9.0, answer, final=True), lag_s=lag_s)
        assert [c.cue for c in f.cues()] == ["reset"], lag_s  # the same words about an offer: lukewarm
        f = feeder()
        f.feed(*utterance("rep", 0.5, 6.0, question))
        f.feed(SpeechStarted(6.5, "prospect"), SpeechEnded(9.0, "prospect", 6.5))
        f.feed(committed("prospect", 6.5, 9.0, answer, final=True), lag_s=lag_s)
        f.feed(*utterance("rep", 9.6, 11.0, "Okay, no problem."), lag_s=lag_s)
        assert f.cues() == [], lag_s


def test_a_gate_on_the_reps_last_turn_holds_however_long_the_answer():
    """plant_seed's call back answers the rep's opener: the opener ends the rep's last turn, however long
    ago that turn ended, not the last 8 s before now (tuned call C c_ps04: a call back asked for at the end
    of a ten-second answer was missed)."""
    opener = "Hey Jerome, it's Kim from Yardview, we help trucking yards track trailers. Caught you at a bad time?"
    answer = ("Yeah, kind of, I'm on the floor at a trade show in Vegas and it's loud as anything, "
              "people everywhere. Try me the week after next.")
    f = feeder()
    f.feed(*utterance("rep", 1.0, 8.5, opener))
    f.feed(*utterance("prospect", 9.5, 21.0, answer))
    assert [c.cue for c in f.cues()] == ["plant_seed"]
    f = feeder()  # the rep spoke again in between: the call back no longer answers the opener
    f.feed(*utterance("rep", 1.0, 8.5, opener))
    f.feed(*utterance("prospect", 9.0, 10.0, "Sure, go on."))
    f.feed(*utterance("rep", 10.5, 14.0, "When do your drivers pick up their trailers?"))
    f.feed(*utterance("prospect", 14.5, 17.0, "Try me the week after next."))
    assert f.cues() == []


def test_a_verdict_split_by_the_reps_okay_still_judges_the_pitch_before_it():
    """A rep's "okay" said over the prospect splits their turn; the lukewarm gate looks past it to the pitch."""
    pitch = "The app tracks every delivery window and texts your customers when the driver is ten minutes out."
    f = feeder()
    f.feed(*utterance("rep", 0.5, 9.0, pitch))
    f.feed(*utterance("prospect", 9.6, 11.0, "Honestly, I mean,"))
    f.feed(*utterance("rep", 10.8, 11.2, "Okay."))
    f.feed(*utterance("prospect", 11.4, 13.5, "it's fine, nothing special."))
    assert [c.cue for c in f.cues()] == ["reset"]
    f = feeder()
    f.feed(*utterance("rep", 0.5, 2.0, "No problem, no problem."))
    f.feed(*utterance("prospect", 2.6, 4.0, "Honestly, I mean,"))
    f.feed(*utterance("rep", 3.8, 4.2, "Okay."))
    f.feed(*utterance("prospect", 4.4, 6.5, "it's fine, nothing special."))
    assert f.cues() == []  # nothing was put forward to judge


def test_a_turn_split_by_the_reps_backchannel_is_judged_whole():
    f = feeder()
    f.feed(*utterance("rep", 0.5, 6.0, "We help dispatch teams route their techs and keep customers posted on arrival times."))
    f.feed(*utterance("prospect", 6.5, 8.0, "Honestly we're not"))
    f.feed(*utterance("rep", 7.6, 8.0, "Okay."))
    f.feed(*utterance("prospect", 8.2, 10.0, "interested, we just signed with someone."))
    f.clock.set(12.0)
    f.out += f.stage.close(12.0)
    assert [c.cue for c in f.cues()] == ["second_effort"]
    assert "not interested" in f.cues()[0].why  # the clause across the split, not "just signed with" alone


def test_a_turn_that_stops_on_but_waits_for_the_rest_before_a_cue():
    """A pause after "..., but" is not the end of the turn: the clause after it may overrule the brush-off."""
    pitch = "We help dispatch teams route their techs and keep customers posted on arrival times."
    f = feeder()
    f.feed(*utterance("rep", 0.5, 6.0, pitch))
    f.feed(*utterance("prospect", 6.5, 9.0, "Yeah, we're all set on the phone side, but"))
    f.feed(*utterance("rep", 8.6, 9.0, "Mm-hmm."))  # said over them
    f.feed(*utterance("prospect", 9.6, 12.0, "dispatching is where we're really hurting."))
    f.clock.set(15.0)
    f.out += f.stage.close(15.0)
    assert f.cues() == []
    f = feeder()  # nothing follows: a brush-off fires, only later
    f.feed(*utterance("rep", 0.5, 6.0, "Hi Dana, it's Sam from RouteWise, did I catch you at a good time?"))
    f.feed(*utterance("prospect", 6.5, 9.0, "Honestly we're all set with our current vendor, so"))
    for t in (9.3, 9.6, 9.9, 10.2, 10.5):  # the meters' level events keep the stage's clock going
        f.feed(Level(t, "prospect"))
    assert [(c.cue, round(c.t, 1)) for c in f.cues()] == [("second_effort", 10.0)]


def test_detectors_on_the_same_rules_share_phrase_matches(monkeypatch):
    """An evaluation runs each call twice (a dry run notes the clauses to embed): the second reads the first's
    phrase matches, which depend only on the rules and the text."""
    from livecue.cues import match
    from livecue.cues.transcript import ReferenceLine, run_events, utterance_events

    load = load_rule_dir(RULES)
    searched: list[str] = []
    real = match.PhraseSet.search

    def counting(self, toks, *, fuzzy=True):
        if fuzzy:
            searched.append(toks.text)
        return real(self, toks, fuzzy=fuzzy)

    monkeypatch.setattr(match.PhraseSet, "search", counting)
    events = utterance_events([ReferenceLine("rep", 0.0, 3.0, "Got a minute to hear about routing?"),
                               ReferenceLine("prospect", 3.5, 5.0, "We're all set, thanks.")])
    first = run_events(events, load, None, 5.0)
    first_searches = len(searched)
    assert first_searches and load.ruleset.matches
    assert run_events(events, load, None, 5.0) == first  # the same cues from the shared matches
    assert len(searched) == first_searches  # and no phrase set searched a text again
    fresh = load_rule_dir(RULES)
    assert not fresh.ruleset.matches  # freshly loaded rules start empty (a hot reload re-reads everything)


def test_a_turn_end_card_waits_out_speech_that_brings_no_words_and_then_comes():
    """A cough after "..., so" (speech the recogniser finds no words in) used to cancel the waiting
    card for good: nothing judged the turn again (a review's case)."""
    from livecue.events import UtteranceEnded

    def turn(f):
        f.feed(*utterance("rep", 0.5, 6.0, "Shall we go ahead with the starter plan for the shop?"))
        f.feed(*utterance("prospect", 6.5, 10.0, "I'd need to run it by my boss first, so"))
        f.feed(SpeechStarted(10.5, "prospect"))

    f = feeder()
    turn(f)
    f.feed(SpeechEnded(10.8, "prospect", 10.5))
    f.feed(UtteranceEnded(10.8, "prospect"), lag_s=0.3)
    f.feed(SpeechStarted(14.0, "rep"))
    assert [c.cue for c in f.cues()] == ["decision_maker"]
    assert 11.0 <= f.cues()[0].t <= 14.0  # when the cough was heard out, not back at the turn's end
    f = feeder()
    turn(f)  # ... and where the speech brings words, the turn goes on: judged at its new end
    f.feed(committed("prospect", 10.5, 12.0, "but really I make that call myself", final=False), lag_s=0.5)
    f.feed(SpeechStarted(12.6, "rep"))
    assert [c.cue for c in f.cues()] == []
