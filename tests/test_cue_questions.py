"""Questions judged from wording, not only from a question mark."""

from __future__ import annotations

from livecue.cues.questions import question_kind


def kind(text: str) -> str:
    return question_kind(text.split())


def test_unpunctuated_and_comma_joined_questions():
    assert kind("Got it, and what happens when the driver is late") == "open"
    assert kind("whats your process for that") == "open"
    assert kind("okay great so how many trucks") == "open"
    assert kind("do you run installs on weekends") == "closed"
    assert kind("Perfect, can you send it over") == "closed"
    # British and casual acknowledgements lead in too (fresh tuned call I i1rs02, recogniser style)
    assert kind("cheers so how do folk book the hall just now") == "open"
    assert kind("lovely and do you run the bookings yourself") == "closed"
    assert kind("yeah what we do is send it by post") == ""  # still a statement


def test_requests_are_open_questions():
    assert kind("Tell me about the rollout.") == "open"
    assert kind("Walk me through how you schedule crews.") == "open"
    assert kind("I'm curious how you handle returns.") == "open"


def test_a_walk_me_through_request_run_on_after_a_greeting_asks():
    # issue 11r: the recogniser ran the request on after the greeting, without punctuation
    assert kind("hi olivia this is sam thanks for grabbing the call walk me through how couples book a tour") == "open"
    assert kind("they walk me through it every time") == ""  # someone else walks: a statement
    # an invitation to pitch run on is no question the rep's answer serves ("go ahead and tell me what you've got")
    assert kind("yeah it went up again so go ahead and tell me what you have got") == ""


def test_a_bare_condition_after_a_connective_asks():
    # issue 11r: "and if we don't see that?" asks what happens then (the recogniser dropped the "?")
    assert kind("and if we dont see that") == "open"
    assert kind("what if it breaks") == "open"
    assert kind("If it ain't broke.") == ""  # no connective: a saying, not a question
    assert kind("and if you need anything just call me") == ""  # a condition with its main clause
    # ... with the recogniser's full stop too: "And if we don't see that." fired a lukewarm reset on t03 (live)
    assert kind("And if we don't see that.") == "open"
    assert kind("And if we don't see that return, what happens?") == "open"


def test_statements_that_open_with_a_question_word_are_not_questions():
    assert kind("What we need is a better tool.") == ""
    assert kind("When I get back, I'll call you.") == ""
    assert kind("We tried one, which did not work.") == ""
    assert kind("Will do.") == ""
    assert kind("It's a great fit for teams like yours.") == ""
    assert kind("What we need is a better tool?") == "open"  # a question mark still counts


def test_clipped_negative_answers_are_not_questions():
    # an auxiliary without a subject after it is a statement: "Don't know offhand." answers, it does not ask
    assert kind("Don't know offhand.") == ""
    assert kind("haven't decided") == ""
    assert kind("Can't recall.") == ""
    assert kind("Is that about right") == "closed"


def test_any_and_anything_open_a_question_only_when_they_ask():
    assert kind("Anything over ten grand goes through procurement.") == ""
    assert kind("anything over ten grand goes through procurement they want three quotes") == ""
    assert kind("anything else i can help you with") == "closed"
    assert kind("Any questions") == "closed"


def test_a_question_after_no_problem_is_still_a_question():
    assert kind("no problem at all when is a better time to reach you") == "closed"  # a datum: see below
    assert kind("No worries, what works for you") == "open"


def test_a_question_run_on_after_a_greeting_or_an_acknowledgement():
    assert kind("hi megan thanks for your time how does your team plan field service visits today") == "open"
    assert kind("yeah i bet what are you paying on a typical summer month") == "open"
    assert kind("no problem whats your plan for the roof once the lease renews") == "open"
    assert kind("and do customers ever complain about missed windows") == "closed"
    # after "so", "do" asks whatever its subject (fresh tuned set Q: the streak's first answer was lost); other
    # auxiliaries there open statements as often (a review's cases)
    assert kind("i saw youre hiring two more people in aarhus so how do invoices come in to you at the moment") \
        == "open"
    assert kind("we were so busy last week") == ""
    assert kind("we sync with your accounting package so what is approved shows up in xero") == ""
    assert kind("we do approvals for warehouses so what would happen is every order lands in one inbox") == ""
    assert kind("the big distributors were first so what has changed is that smaller ones can afford it") == ""
    # statements stay statements
    assert kind("i know how you feel") == ""
    assert kind("thanks i think we are good") == ""
    assert kind("dont know offhand") == ""
    assert kind("did some digging") == ""


def test_a_question_for_a_datum_is_answered_in_full_by_a_word_or_two():
    """"What day works?" "Tuesday." is no curt answer (a bank's scheduling call fired a clipped reset)."""
    for q in ("And what time would you like to come in?", "what day would you like to come in first",
              "What is your account number?", "Which account is it for?", "When would you like to come by?",
              "whats your zip code"):
        assert kind(q) == "closed", q
    for q in ("What's been the biggest headache with that process?", "what is the best way to reach you",
              "How many machines are we talking about?", "which part of that eats the most of your week",
              "What's your plan for the roof once the lease renews?"):
        assert kind(q) == "open", q


def test_a_question_asked_without_inversion_ends_a_run_on_turn():
    # fresh tuned call e3rs01 (tests/generalisation/E, e3rs01): the rep asks as many speakers of Indian English do,
    # and the recogniser printed no punctuation; the three curt answers were not counted as answers
    assert kind("good morning this is arjun from paynest we do payroll software how you are managing the payroll "
                "currently sir") == "open"
    assert kind("i see if you could change one thing in that process next year what it would be") == "open"
    # ... but not where the word before governs the question word: statements
    assert kind("yeah i know what you mean") == ""
    assert kind("let me show you how it would look on your screen") == ""
    assert kind("we track what you spend and what it costs") == ""
    assert kind("hard to say how it would go") == ""
    assert kind("sounds good let me know what you think") == ""
    # the review's statements: a verb or an adjective before the question word governs it, and "can", "need",
    # "want" after "you" are no sign of a question
    assert kind("its amazing how you can cut the admin in half") == ""
    assert kind("we should discuss what you need for the launch") == ""
    assert kind("its funny how it is always the same customers") == ""
    assert kind("because what you want is one screen") == ""
    assert kind("yeah we will review what it would cost us") == ""
    assert kind("thats the reason why it is cheaper") == ""
    # ... nor in the middle of a long turn
    assert kind("we do payroll how you are managing it is up to you but most teams our size pay by the hour") == ""
    # ... nor in written text, whose questions carry their "?" (the rule example "a second no in one short word
    # after a contrast" in cue_rules/plant_seed.toml: "Yeah, I get what you're saying, but nah.")
    assert kind("Yeah, I get what you're saying, but nah.") == ""
    assert kind("yeah i get what you are saying") == ""


def test_a_question_tag_is_known_but_is_no_question():
    # "I'm the cover, aren't I." (fresh tuned set S): the intents skip the tag (triggers.py); elsewhere it is no
    # question, so "depends, doesn't it" still counts as a clipped answer (a review's case)
    from livecue.cues.questions import is_tag

    assert is_tag(("are", "not", "i")) and is_tag(("is", "not", "it"))
    assert not is_tag(("we", "are", "not")) and not is_tag(("is", "not", "it", "great"))
    assert kind("depends, doesn't it.") == ""


def test_after_so_do_asks_whatever_its_subject_and_an_acknowledgement_may_lead():
    # fresh tuned set S: rep questions the streak missed, so the third clipped answer fired nothing
    assert kind("okay glad that works so what does scheduling look like on a busy friday") == "open"
    assert kind("gotcha and what happens when a call comes in while youre out on a job") == "open"
    # ... but "do" without "so" does not ask in a run-on statement (a review's cases)
    assert kind("the dashboard tracks who did what on every job") == ""
    assert kind("most shops figure out pretty quick what does and doesnt work for them") == ""
    assert kind("we sync with your accounting package so what is approved shows up in xero") == ""


def test_do_inverted_before_a_noun_subject_asks_anywhere_in_a_run_on_turn():
    # fresh tuned set S: two of three curt answers followed questions like these, and no card came
    assert kind("ha well glad it worked what does attribution look like on your side at the moment") == "open"
    assert kind("sorry to hear that quick one how do new customers book you at the minute") == "open"
    assert kind("morning gareth thanks for booking in what made you grab time on the calendar this week") == "open"
    # ... but not where "do" has no subject after it, nor "what made you" reported
    assert kind("most shops figure out pretty quick what does and doesnt work for them") == ""
    assert kind("the dashboard tracks who did what on every job") == ""
    assert kind("i know what made you sign with the last provider") == ""
    assert kind("that is exactly what made you pick us") == ""
    # ... nor a stressed verb, a relative clause or a subject clause (a review's cases)
    assert kind("yeah i dunno what does bother me is we tried something like it before and nobody used it") == ""
    assert kind("ill tell you what does annoy me the invoices always go out late") == ""
    assert kind("we have a plan which does include weekend delivery is that something you need") != "open"
    assert kind("it was good honestly what made you stand out was how quick the setup was") == ""


def test_a_filler_tag_asks_nothing():
    # "..., you know?" asks nobody anything (fresh tuned set AM: the no before it was read as shopping)
    assert question_kind("we're pretty happy with how it is, you know?".split()) == ""
    assert question_kind("it's the same stuff, know what I mean?".split()) == ""
    assert question_kind("you know what we pay now?".split()) != ""   # a real question with those words
    assert question_kind("we're happy, you know? what's the price?".split()) == "open"


def test_what_happens_run_on_after_a_connective_asks():
    # recogniser style, no "?": "okay clipboards the classic and what happens to all those sheets" (fresh tuned set AM)
    assert kind("okay clipboards the classic and what happens to all those sheets once the day's done") == "open"
    assert kind("so what happens when a driver calls in sick") == "open"
    assert kind("that is what happens every single month") == ""
    assert kind("i know what happens to them they go in a box") == ""
    assert kind("no were fine with paper and what happens is the drivers hand them in") == ""
