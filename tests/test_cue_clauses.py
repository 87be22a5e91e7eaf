"""Clause scope: which part of a turn states the speaker's stance."""

from __future__ import annotations

from livecue.cues.clauses import clause_text, in_scope, split_clauses


def clauses(text: str):
    return split_clauses(text.split())


def test_split_at_sentences_commas_and_scope_markers():
    found = [(c.marker, c.text) for c in clauses("We're all set on hardware, but the software side is what I need.")]
    assert found == [("", "We're all set on hardware,"), ("but", "but the software side is what I need.")]
    assert [c.marker for c in clauses("i have to leave at two so we have twenty minutes walk me through it")] == ["", "so"]
    assert [c.marker for c in clauses("Fine. Actually, what does it cost? However we are busy.")] == ["", "actually", ",", "however"]
    # "so" as an intensifier does not split; every word belongs to one clause
    one = clauses("we are so far behind on this")
    assert len(one) == 1 and (one[0].start, one[0].end) == (0, 7)


def test_retraction_and_past_state_are_marked():
    retract = clauses("I was about to say not interested, but what does it cost?")
    assert retract[0].quoted and not retract[1].quoted
    past = clauses("last year we had no budget for it but it got approved in january")
    assert past[0].past and not past[1].past
    assert not clauses("we signed with another firm last spring")[0].past  # a recent act, not a past state
    assert clauses("last year no money, this year better")[0].past  # no verb: the time word says when
    assert not clauses("no budget since last year")[0].past  # ... but "since" says it still holds
    assert not clauses("just went with a new company last week")[0].past  # an irregular past is a recent act
    assert not clauses("just set one up last month")[0].past  # a verb the list lacks: not verbless unless it opens on the time
    assert clauses("no budget last year")[0].past
    # an earlier no told again is a no now: "I told you we weren't interested" (a review of a reading that took it
    # for the past, forty-first stop)
    assert not clauses("I told you we weren't interested")[0].past
    assert not clauses("I said we were happy with our current provider")[0].past


def test_a_later_contrast_clause_overrules_unless_it_agrees():
    cl = clauses("We're all set on hardware, but the software side is what I need.")
    assert not in_scope(cl, 0, lambda j: False)
    assert in_scope(cl, 0, lambda j: True)  # the later clause says the same thing: it stands
    polite = clauses("Not interested, but thanks for calling.")
    assert in_scope(polite, 0, lambda j: False)  # thanks are not a change of mind


def test_a_so_clause_that_makes_time_overrules_an_exit():
    cl = clauses("Yeah, I have to run a site walk at eleven, so we've got half an hour. Go ahead.")
    k = next(i for i, c in enumerate(cl) if "site walk" in c.text)
    assert not in_scope(cl, k, lambda j: False)
    keep = clauses("We already have a consultant, so we're probably good.")
    assert in_scope(keep, 0, lambda j: j == 1)


def test_a_so_clause_that_grants_the_question_overrules_a_no():
    cl = clauses("Hm. We're on a contract with them till June, so that's actually a fair question.")
    k = next(i for i, c in enumerate(cl) if "contract" in c.text)
    assert not in_scope(cl, k, lambda j: False)
    keep = clauses("We're on a contract with them till June, so no.")  # a "so" that only concludes the no
    assert in_scope(keep, 0, lambda j: False)


def test_quoted_and_past_clauses_are_out_of_scope():
    cl = clauses("I was about to say not interested, but go on")
    assert not in_scope(cl, 0, lambda j: True)
    past = clauses("Last year we had zero budget for this.")
    assert not in_scope(past, 0, lambda j: True)
    assert in_scope(past, 0, lambda j: True, skip_past=False)


def test_questions_can_overrule_when_asked_to():
    cl = clauses("We tried one and nobody used it. What makes yours different?")
    assert in_scope(cl, 0, lambda j: False)
    assert not in_scope(cl, 0, lambda j: False, questions_overrule=True)


def test_clause_text_drops_connectives_fillers_and_hedges():
    assert clause_text(clauses("but um honestly we're all set")[0].tokens) == "we are all set"
    # "pretty much" hedges as a whole: not "we much handle that" (issue 11r)
    assert clause_text(clauses("we pretty much handle that already")[0].tokens) == "we handle that already"


def test_run_on_statements_are_split_at_a_new_subject():
    from livecue.cues.clauses import statements

    assert statements("we are all set thank you we have got a guy who handles our computers") == [
        "we are all set thank you", "we have got a guy who handles our computers"]
    # a subject governed by the word before it does not start a statement
    assert statements("i think we are fine with what we have") == []
    assert statements("that is what convinced me we need to do something") == []
    assert statements("tell me what we need to do") == []
    # pieces shorter than min_words are left out
    assert statements("no we are good they do") == ["no we are good"]


def test_an_object_pronoun_after_a_preposition_ends_the_phrase():
    from livecue.cues.clauses import statements

    # "for us" closes its phrase: "we are ..." after it is a new statement (issue 11r)
    assert statements("it is not the right time for us we are mid migration and can not look at new tools") == [
        "it is not the right time for us", "we are mid migration and can not look at new tools"]
    # an object of a verb still governs: "convinced me we need" is one statement
    assert statements("that is what convinced me we need to do something") == []
    assert statements("they told us we would get a discount") == []


def test_clause_text_drops_a_leading_hm_the_recogniser_ran_on():
    from livecue.cues.intents import without_asides

    text = clause_text(clauses("hm i mean its alright")[0].tokens)
    assert text == "i mean it is all right"
    assert without_asides(text) == "it is all right"  # the model reads what a punctuated turn would give
    assert clause_text(clauses("hm okay")[0].tokens) == "hm okay"  # nothing but the sound and a word: kept


def test_a_request_or_an_acknowledgement_run_on_starts_a_statement():
    from livecue.cues.clauses import statements

    # issue 11r: a sign-off run on after a statement is judged on its own
    assert statements("all right i will let you get back to it keep us on your radar") == [
        "i will let you get back to it", "keep us on your radar"]
    assert statements("right that is what clubs tell us sounds good then i will check in with you at some point") == [
        "right that is what clubs tell us", "sounds good then i will check in with you at some point"]
    # governed by the words before it, it does not
    assert statements("i want you to call me next week") == []
    assert statements("that sounds good to me") == []


def test_an_impression_with_no_subject_after_a_verdict_word_starts_a_statement():
    from livecue.cues.clauses import statements

    # fresh tuned call E e1rs04 (recogniser style): "it's okay" is the verdict, run together with the next one
    assert statements("yes i mean it is okay looks like what they already have") == [
        "yes i mean it is okay", "looks like what they already have"]
    assert statements("that is fine sounds like what we have now") == ["that is fine", "sounds like what we have now"]
    # not where the impression has its subject or follows no verdict word
    assert statements("the app looks like what we have now") == []
    assert statements("the new screen looks like the old one") == []


def test_the_model_reads_a_clause_without_the_acknowledgement_it_opens_with():
    from livecue.cues.intents import without_asides

    assert without_asides("okay no worries at all if anything ever changes i am around") == \
        "if anything ever changes i am around"
    assert without_asides("sounds good then i will check in with you at some point") == \
        "i will check in with you at some point"
    assert without_asides("okay i guess") == "okay i guess"  # too little left: "it's okay, I guess" stays lukewarm


def test_a_later_clause_saying_what_they_want_overrules():
    # issue 11r: no contrast word, but the turn ends on what they want
    cl = clauses("We're covered on insurance, it's the routing I want to fix.")
    assert not in_scope(cl, 0, lambda j: False)
    cl = clauses("We're all set, we don't want to change anything.")
    assert in_scope(cl, 0, lambda j: False)  # a negated want is no change of mind
    cl = clauses("It's okay, I mean we could try it.")
    assert not in_scope(cl, 0, lambda j: False)  # going ahead after faint praise
    cl = clauses("I'm in the car, but parked, go ahead.")
    assert not in_scope(cl, 0, lambda j: False)  # "go ahead" overrules however short it is


def test_a_later_cleft_about_another_part_overrules_a_scoped_no():
    # "all set on X, it's the Y side that's a nightmare": the no is about X; the turn is about Y
    cl = clauses("We're all set on the vans, it's the tracking side that's a nightmare.")
    assert not in_scope(cl, 0, lambda j: False)
    cl = clauses("We're sorted for the hardware, it's the software I need help with.")
    assert not in_scope(cl, 0, lambda j: False)
    # a bare no keeps its stance: the cleft gives a reason, not another subject
    cl = clauses("We're all set, honestly, it's the timing that's the problem.")
    assert in_scope(cl, 0, lambda j: False)
    # ... and so does a no "for now" or "with it", and a cleft about the money
    assert in_scope(clauses("We're covered for now, it's the money that's the problem."), 0, lambda j: False)
    assert in_scope(clauses("We're all set on the vans, it's the price that's the issue."), 0, lambda j: False)
    # and a cleft with no trouble in it ("it's the kids I need to pick up") is no change of mind
    cl = clauses("I have to run for the school, it's the kids I need to pick up.")
    assert in_scope(cl, 0, lambda j: False)


def test_a_stance_named_only_to_be_denied_is_quoted():
    # "it's not that we're happy, it's that...": the happiness is what they are not saying
    cl = clauses("It's not that we're happy, it's that nobody has had time to look.")
    assert cl[0].quoted and not cl[1].quoted and cl[1].contrast
    assert not in_scope(cl, 0, lambda j: False) and in_scope(cl, 1, lambda j: False)
    # run on without a comma, what they do mean still starts a clause: a no there stands
    cl = clauses("its not that its bad we just dont need it")
    assert [c.quoted for c in cl] == [True, False] and cl[1].tokens == ("we", "just", "do", "not", "need", "it")
    assert in_scope(cl, 1, lambda j: False)
    # a comma or full stop after the denial also starts what they mean
    cl = clauses("It's not that it's expensive, there's no budget for it.")
    assert cl[0].quoted and not cl[1].quoted and in_scope(cl, 1, lambda j: False)
    # "not that" with no subject after it denies nothing: "not that important" is a no
    assert not any(c.quoted for c in clauses("It's not that important to us right now."))
    # "that said" turns like "however", after a full stop or a comma
    cl = clauses("I'm not looking to switch. That said, I'd take a second opinion on our fees.")
    assert not in_scope(cl, 0, lambda j: False)
    assert not in_scope(clauses("I'm not looking to switch, that said I'd take a second opinion."), 0, lambda j: False)
    # and "fine on customers, drowning in admin" sets one part against another
    assert not in_scope(clauses("We're fine on customers, we're drowning in admin."), 0, lambda j: False)
    assert in_scope(clauses("We're fine, we're drowning in work as it is."), 0, lambda j: False)


def test_ending_on_hearing_the_rep_out_overrules():
    cl = clauses("We're all set on hardware. If you're selling software for the lab, I'll listen.")
    assert not in_scope(cl, 0, lambda j: False)
    # not where the turn goes on past it, and not where they will not listen
    cl = clauses("We're all set, I'll listen, but nothing is changing.")
    assert in_scope(cl, 0, lambda j: j == 2)
    cl = clauses("We're all set, I won't listen to another pitch.")
    assert in_scope(cl, 0, lambda j: False)
    # nor after a condition the offer does not meet, nor when they put the rep off till later
    assert in_scope(clauses("Not interested. Maybe if you were cheaper, I'd listen."), 0, lambda j: False)
    assert in_scope(clauses("I'm driving right now. Ring me next week, I'll listen."), 0, lambda j: False)


def test_thanks_run_together_with_a_statement_are_not_a_statement_of_their_own():
    from livecue.cues.clauses import statements

    assert statements("no thank you that was all for today") == ["that was all for today"]


def test_an_unpunctuated_so_opens_a_clause_unless_it_intensifies():
    assert [c.marker for c in clauses("the new roof is not a priority this year it got moved so the gutters come first")] \
        == ["", "so"]
    assert [c.marker for c in clauses("we are so busy right now")] == [""]
    assert [c.marker for c in clauses("thanks so much")] == [""]
    assert [c.marker for c in clauses("yes i think so")] == [""]


def test_a_hesitation_comma_after_a_word_a_clause_cannot_end_on_does_not_split():
    # the recogniser's comma after "not" would cut the negation off: "really a big deal" alone reads the other way
    assert [c.text for c in clauses("So it's not, really a big deal.")] == ["So it's not, really a big deal."]
    assert [c.text for c in clauses("It goes to the, uh, owner.")] == ["It goes to the, uh, owner."]
    # a comma after a word that can end a clause still splits
    assert [c.marker for c in clauses("No, we're good.")] == ["", ","]


def test_a_full_stop_before_a_lower_case_word_is_where_two_decodes_met_not_a_sentence_end():
    """Paced lca_auto_repairs_40: "I might have to call you back just." then "to finalize the
    appointments": read apart, the first half sounded like a brush-off."""
    from livecue.cues.clauses import split_clauses

    texts = [c.text for c in split_clauses("I might have to call you back just. to finalize the appointments.".split())]
    assert texts == ["I might have to call you back just. to finalize the appointments."]
    texts = [c.text for c in split_clauses("We're all set. Thanks anyway.".split())]
    assert texts == ["We're all set.", "Thanks anyway."]


def test_a_contrast_cut_by_a_comma_is_read_on_through_it():
    # "But servicing," alone says nothing; with the clause the comma cut off it is a need
    found = clauses("We're all set on mowers. But servicing, that's been a shambles.")
    assert [c.marker for c in found] == ["", "but", ","]
    assert not in_scope(found, 0, lambda j: False)
    # a bare "but" aside with nothing after it still does not overrule
    bare = clauses("We're all set on mowers. But yeah.")
    assert in_scope(bare, 0, lambda j: False)


def test_a_contrast_that_only_names_a_topic_is_read_on_into_the_next_sentence():
    # "But the phones, man." names the topic; "That's a mess." says what of it (fresh tuned set K, k1en01)
    found = clauses("Booking we're sorted, I wouldn't touch that. But the phones, man. That's a mess.")
    assert [c.marker for c in found] == ["", ",", "but", ",", "."]
    assert not in_scope(found, 0, lambda j: False)
    # courtesy after a bare contrast still says nothing: the no stands
    polite = clauses("We're all set. But thanks. Bye now.")
    assert in_scope(polite, 0, lambda j: False)


def test_would_have_said_in_the_past_is_past():
    past = clauses("A year ago I'd have said no thanks")
    assert past[0].past
    assert not clauses("I'd have said no thanks")[0].past  # no time in the past named: as it was


def test_names_are_words_capitalised_mid_sentence():
    found = clauses("We're on HubSpot already, and Dave likes it. Okay, I think so.")
    names = set().union(*(c.names for c in found))
    assert names == {"hubspot", "dave"}  # not the sentence starts, not "I", not "Okay"
    assert clauses("we're on hubspot already")[0].names == frozenset()  # lower case: nothing to go by


def test_unnamed_puts_the_names_the_model_cannot_read_as_them():
    from livecue.cues.clauses import unnamed

    vocab = {"we", "are", "on", "already", "dave", "with", "check"}
    knows = vocab.__contains__
    assert unnamed("we are on hubspot already", frozenset({"hubspot"}), knows) == "we are on them already"
    assert unnamed("check with dave", frozenset({"dave"}), knows) == "check with dave"  # a name it reads stays
    assert unnamed("we are on google ads", frozenset({"google", "ads"}), knows) == "we are on them"  # one name, one "them"
    assert unnamed("we are on hubspot", frozenset(), knows) == "we are on hubspot"


def test_thanks_for_that_is_a_courtesy_clause():
    # "Yes, thanks for that. I've been through it." (fresh tuned set M): the thanks is judged by no intent
    from livecue.cues.clauses import is_courtesy

    assert is_courtesy(("thank", "you", "for", "that"))
    assert is_courtesy(("thank", "you", "for", "ringing"))
    assert not is_courtesy(("that", "is", "not", "for", "us"))
    found = clauses("Yes, thanks for that. I've been through it.")
    assert [c.courtesy for c in found] == [True, True, False]


def test_an_exit_that_gives_the_time_left_is_overruled_by_a_clause_that_goes_on():
    # "I have to leave in about fifteen minutes. Let's get straight to pricing." (fresh tuned set Q): time to talk
    from livecue.cues.clauses import in_scope

    def stands(text: str, word: str) -> bool:
        found = clauses(text)
        k = next(i for i, c in enumerate(found) if word in c.tokens)
        return in_scope(found, k, lambda j: False)

    assert not stands("Heads up, so I have to leave in about fifteen minutes. Let's get straight to pricing.", "leave")
    assert stands("I have to leave in two minutes, honestly. Let's get straight to the pricing.", "leave")
    assert stands("Like I said, we're not interested. Let's jump straight to the price.", "interested")

def test_that_and_this_are_no_courtesy_words_and_a_bare_contrast_says_nothing():
    # review of the twenty-seventh stop: "we do that" is a statement, "but this is great" a contrast of substance
    from livecue.cues.clauses import is_courtesy

    assert not is_courtesy(("we", "do", "that"))
    assert not in_scope(clauses("We're all set, but this is great."), 0, lambda j: False)
    # "But look." / "But listen." / "Though." name no topic: the next sentence is not read into them
    for text in ("We're covered, thanks. But look. We're really busy this week.",
                 "We're not interested. But listen. The boss decides all that.",
                 "We're all set. Though. We've been burned before."):
        assert in_scope(clauses(text), 0, lambda j: False), text


def test_a_question_tag_does_not_overrule_as_a_question_would():
    # "It's another dashboard, isn't it." (bank train rows): the tag asks for agreement, the verdict stands
    from livecue.cues.clauses import in_scope

    tagged = clauses("It's a bit like the app we stopped using, isn't it.")
    assert in_scope(tagged, 0, lambda j: False, questions_overrule=True)
    asked = clauses("It's a bit like the app we stopped using. What does yours do differently?")
    assert not in_scope(asked, 0, lambda j: False, questions_overrule=True)


def test_a_clause_that_only_stops_the_speaker_is_a_preface():
    # "I'm going to stop you there, we're not interested ..." (fresh tuned set S): the intents judge what follows
    from livecue.cues.clauses import is_preface

    for text in ("I'm gonna stop you there", "Let me stop you right there", "Sorry to cut you off",
                 "Yeah, listen, I'm going to have to cut you off", "Can I stop you for a second",
                 "I'm sorry, but I have to stop you"):
        assert is_preface([t for c in split_clauses(text.split()) for t in c.tokens]), text
    for text in ("please stop calling me", "we stop you from losing stock", "I'll stop you there and call back",
                 "stop you there, my boss is here"):
        assert not is_preface([t for c in split_clauses(text.split()) for t in c.tokens]), text


def test_a_later_clause_that_takes_it_back_overrules():
    """"well, no, hold on, that ain't true" withdraws what came before it (fresh tuned set W); a no said after
    it stands, and "that's not true" about something else is no taking back."""
    cl = clauses("Honestly, we don't really need... well, no, hold on, that ain't true. We lose folks every Saturday.")
    k = next(i for i, c in enumerate(cl) if "need" in c.text)
    assert not in_scope(cl, k, lambda j: False)
    grant = clauses("Oh, we've got no money for anything like that. Well, no, that's not true anymore, the grant came.")
    assert not in_scope(grant, next(i for i, c in enumerate(grant) if "money" in c.text), lambda j: False)
    after = clauses("No, that's not true. We just don't need it.")
    assert in_scope(after, len(after) - 1, lambda j: False)
    other = clauses("We've got no money for that, and what your colleague said is not true either.")
    assert in_scope(other, next(i for i, c in enumerate(other) if "money" in c.text), lambda j: False)


def test_that_is_not_true_about_the_reps_words_takes_nothing_back():
    """Without the speaker catching themselves ("well", "hold on", "anymore"), "that's not true" answers the rep."""
    cl = clauses("We're happy with who we've got. That bit about overpaying, that's not true.")
    assert in_scope(cl, 0, lambda j: False)
    rebut = clauses("I'm not looking to trade in, that's not right.")
    assert in_scope(rebut, 0, lambda j: False)


def test_go_on_after_an_apology_for_an_aside_picks_the_call_up_and_overrules_nothing():
    """"we're sorted for that. Hang on, that's two pasties. Sorry, go on" (fresh tuned set AC): the no stands;
    "go on, then" straight after it still asks to hear more."""
    aside = clauses("We've got a card machine, we're sorted for that. Hang on, that's two pasties. Sorry, go on.")
    k = next(i for i, c in enumerate(aside) if "sorted" in c.text)
    assert in_scope(aside, k, lambda j: False)
    joined = clauses("We're sorted for that. Sorry go on.")
    assert in_scope(joined, 0, lambda j: False)
    mate = clauses("We're sorted for that. Sorry mate, go on.")  # (a review's case)
    assert in_scope(mate, 0, lambda j: False)
    time = clauses("We've got a guy for that. Anyway, go ahead, I've got five minutes.")  # gives the time
    assert not in_scope(time, 0, lambda j: False)
    listens = clauses("We've got a card machine. Go on, then.")
    assert not in_scope(listens, 0, lambda j: False)


def test_a_later_question_overrules_where_asked_but_not_who_is_calling():
    """"we already use one. What would yours do better?" asks on; "... Who is this?" asks who calls, not about it."""
    asks = clauses("We already use TicketPro. What would yours do better?")
    assert not in_scope(asks, 0, lambda j: False, questions_overrule=True)
    assert in_scope(asks, 0, lambda j: False)  # only where the trigger asks for it
    who = clauses("We already use TicketPro. Sorry, who is this?")
    assert in_scope(who, 0, lambda j: False, questions_overrule=True)


def test_a_sentence_final_though_after_thanks_is_no_contrast():
    # "not interested man appreciate it though hey you a boxer" (recogniser style, fresh tuned set AM): the thanks
    # ends a sentence; the small talk after it starts afresh and overrules nothing
    parts = clauses("ha not interested man appreciate it though hey you a boxer you sound like a boxer")
    assert [c.marker for c in parts] == ["", "."]
    assert not parts[1].contrast
    # ... while "though" elsewhere still contrasts
    assert clauses("we are all set though the software side is what i need")[1].contrast
    # ... but a question after "thanks though" is still the contrast that asks on (a review's case)
    asks = clauses("were good thanks though what does it cost for like two vans")
    assert asks[1].marker == "though"
