"""Is this a question? Judged from the wording, not only from a "?".

The recogniser often prints no question mark, or a comma where a full stop
was ("Got it, and what happens when..."), and people ask by request ("tell
me about your process", "walk me through it").  A clause is a question when
it ends in "?", or when (after an acknowledgement such as "got it", "okay",
"and") it opens with a question word, an inverted auxiliary ("do you",
"can we") or a request to explain.  "What we need is..." or "when I get
back" open with a question word but are statements: a question word followed
straight by a subject is not counted unless a "?" says so.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .match import normalise_words

OPEN_STARTS = frozenset("how what why which where when who whose whats hows wheres whos whys".split())
AUXILIARIES = frozenset("do does did is are was were can could would will should have has shall may might "
                        "any anything anyone".split())
QUESTION_STARTS = OPEN_STARTS | AUXILIARIES
_REQUESTS = ("tell me", "walk me", "talk me", "describe", "explain", "show me", "help me understand",
             "give me a sense", "give me an idea", "i am curious", "curious how", "curious what",
             "i would love to hear", "i would love to know", "i wonder", "i am wondering", "take me through",
             "run me through", "fill me in", "what about", "how about")
_OPEN_PHRASES = frozenset({"tell me", "walk me", "talk me", "describe", "explain"})
# acknowledgements and connectives before the question proper ("got it, and what...")
_LEAD_INS = frozenset("and so but okay great now well then also sure perfect cool awesome right yes no "
                      "understood oh nice wow interesting mhm hmm anyway thanks cheers lovely gotcha".split())
_LEAD_PHRASES = ("got it", "i see", "fair enough", "makes sense", "thank you", "quick question", "one more thing",
                 "all right", "that makes sense", "good to know", "out of curiosity", "just curious", "by the way",
                 "let me ask", "can i ask", "may i ask", "i have to ask", "no problem at all", "no problem",
                 "no worries", "sure thing", "of course", "not a problem", "understood")
_SUBJECTS = frozenset("i we they he she it this that there our my".split())
# after an inverted auxiliary: "do YOU...", "is THAT...", "can ANYONE..."
_INVERTED = frozenset("you we i they he she it this that there your the these those anyone anybody someone "
                      "somebody everyone any our my his her their".split())
# a main clause after the condition ("and if you need anything, call me"): not a bare condition
_MAIN_AFTER_IF = frozenset("call reach ring text email shout know give let then".split())
_CLAUSES = re.compile(r"([^.!?…,;:]+)([.!?…,;:]*)")


def _strip_lead(toks: list[str]) -> list[str]:
    changed = True
    while toks and changed:
        changed = False
        for phrase in _LEAD_PHRASES:
            p = phrase.split()
            if toks[:len(p)] == p and len(toks) > len(p):
                toks = toks[len(p):]
                changed = True
        while toks and toks[0] in _LEAD_INS and len(toks) > 1:
            toks = toks[1:]
            changed = True
    return toks


# a question tag standing as its own clause ("I'm the cover, aren't I.", "isn't it"): it asks for agreement and
# says no "no" (fresh tuned set S: "are not i" was read as a sure second no); the intents do not judge it
# (triggers.py), but it is no question elsewhere: a clipped "depends, doesn't it" still counts in a streak
_TAG_AUX = frozenset("is are was were do does did have has had will would can could should am".split())
_TAG_SUBJECTS = frozenset("i you we they he she it that there".split())


def is_tag(tokens: list[str] | tuple[str, ...]) -> bool:
    """A question tag as a whole clause ("is not it", "are not i"), in normalised tokens."""
    return len(tokens) == 3 and tokens[0] in _TAG_AUX and tokens[1] == "not" and tokens[2] in _TAG_SUBJECTS


# a filler tag asked of nobody ("we're pretty happy with how it is, you know?"): the "?" asks nothing (fresh tuned
# set AM: the no before it was taken for shopping)
_FILLER_TAGS = frozenset({("you", "know"), ("you", "know", "what", "i", "mean"), ("know", "what", "i", "mean"),
                          ("you", "see"), ("innit",), ("you", "get", "me")})


def clause_question_kind(text: str, mark: str, after_comma: bool = False) -> str:
    """"open", "closed" or "" for one clause with its closing punctuation."""
    raw = list(normalise_words(text.split()).tokens)
    toks = _strip_lead(raw)
    if not toks or tuple(toks) in _FILLER_TAGS:
        return ""
    if len(raw) >= 3 and (raw[0] in ("and", "but", "so") and raw[1] == "if" or raw[:2] == ["what", "if"]) \
            and len(raw) <= 8 and mark in ("", "?", ".", "...", "\u2026") and not _MAIN_AFTER_IF & set(raw):
        # a bare condition asks what then: "and if we don't see that?", "what if it breaks"; the recogniser
        # often ends it with a full stop ("And if we don't see that." fired a lukewarm reset on t03, live)
        return "open"
    asked = "?" in mark
    cut_off = mark in ("", "...", "\u2026", ",")
    start2 = " ".join(toks[:2])
    if any(" ".join(toks).startswith(r) for r in _REQUESTS) and len(toks) >= 2:
        return "open"
    opener = toks[0] in QUESTION_STARTS and len(toks) >= (2 if cut_off else 3)
    if opener and toks[0] in OPEN_STARTS and len(toks) > 1 and toks[1] in _SUBJECTS and not asked:
        opener = False  # "what we need is...", "when i get back..."
    if opener and toks[0] in AUXILIARIES and toks[0] not in ("any", "anything", "anyone") and not asked \
            and (len(toks) < 2 or toks[1] not in _INVERTED) \
            and not (toks[0] in ("do", "does", "did") and len(toks) >= 4 and toks[1] not in ("not", "some", "a")):
        opener = False  # "don't know offhand", "haven't decided", "will do": statements, no inversion
    if opener and toks[0] in ("any", "anything", "anyone") and not asked and len(toks) > 3 \
            and toks[1] not in ("else", "other", "questions", "thoughts", "chance", "idea", "luck"):
        opener = False  # "anything over ten grand goes through procurement": a statement; "anything else?" asks
    if opener and after_comma and toks[0] in ("which", "where", "when", "who", "whose") and not asked:
        opener = False  # a relative clause: "we tried one, which did not work"
    if not asked and not opener:
        return _run_on_question(toks, plain=mark == "") if mark in ("", ",") else ""
    if (toks[0] in OPEN_STARTS and not _asks_datum(toks)) or start2 in _OPEN_PHRASES:
        return "open"
    return "closed"


# what a few words answer in full: "what day works?" "Tuesday." is not a curt answer
_DATUM_NOUNS = frozenset("day days time times date dates year month week hour account accounts number address "
                         "email name zip code branch model make colour color size amount balance card phone".split())
_DATUM_WHEN = frozenset("would do does did can could will is are was were should".split())


def _asks_datum(toks: list[str]) -> bool:
    """A question word that asks for a datum (a day, a time, a number, a name), not for an account of
    something: "what time would you like to come in", "which account", "what is your zip code",
    "when would you like".  Answered in a word or two by an engaged caller.  "How many machines?"
    stays open: the labelled calls count "Forty." to it among curt answers."""
    first, rest = toks[0], toks[1:]
    if first in ("what", "which") and rest:
        if rest[0] in _DATUM_NOUNS:
            return True
        if rest[0] in ("is", "was", "are") and len(rest) > 2 and rest[1] in ("your", "the", "a"):
            return any(t in _DATUM_NOUNS for t in rest[2:4])
    return first == "when" and bool(rest) and rest[0] in _DATUM_WHEN


_TURNS = frozenset("so and okay now well but then yes no bet sure great thank you perfect cool right".split())
_ASKING_AUX = frozenset("do does did are is was were can could would will have has should".split())
_HOW_MUCH = frozenset("much many long often soon far big".split())
_BROUGHT = frozenset("made makes brought brings prompted prompts led leads drew got".split())
_KNOWS = frozenset("know knew knows see saw seen understand understood remember forget forgot about of is was "
                   "that exactly".split())
# the word after "what does X" when X is a verb stressed, not a subject: "what does bother me is", "what did help was"
_EMPHATIC_NEXT = frozenset("me us him her them is was are were".split())
# words after an inverted "do" that are no subject of their own ("what does and doesn't work", "what did not")
_NOT_DO_SUBJECTS = frozenset("not and or but nor what who which whom so too to with for about in on at of from by if as "
                             "well all more most less any nothing anything everything something really just "
                             "exactly already also still even only".split())
_NOT_ASKING = frozenset("that which who than as if whether nor".split())
# (not "tell me" run on: "so go ahead and tell me what you've got" invites a pitch, it asks no question)
_RUN_ON_REQUESTS = {"walk": {"through"}, "take": {"through"}, "run": {"through"}, "talk": {"through"}}
_NOT_REQUESTING = frozenset("i we they he she you it people customers clients to can could will would should "
                            "did do does always never often usually sometimes".split())


# a question asked without inversion, as many speakers of other Englishes ask it ("how you are managing the
# payroll currently sir", "what it would be"): only at the end of a turn the recogniser ran on with no
# punctuation at all (written text has its "?"; "I get what you're saying, but nah" is no question), and not where the word
# before governs the question word ("i know what you mean", "that is how it works", "show you how it
# would look", "and what you need": a list of statements)
_PLAIN_ASKERS = frozenset("how what why".split())
_PLAIN_SUBJECTS = frozenset("you it".split())
_PLAIN_VERBS = frozenset("are is would will were".split())
_GOVERNS = frozenset(
    "know knows knew known see sees saw seen mean means meant tell tells told show shows showed shown understand "
    "understands understood is was are were be been being am that this like about matter matters wonder wondering "
    "ask asked asking decide decides decided figure figured explain explains explained on of in for to with from at "
    "by into depends depend depending remember forget forgot care cares hear heard learn learned check choose watch "
    "look looks guess sure idea and or but just only also exactly me you us him them her i we they he she it "
    "change changes determine determines shape basically kind sort even regardless say says said saying "
    "dunno unsure certain clue question hard easy tricky tough imagine picture believe doubt get got gets getting "
    "love likes liked hate want wants need needs needed do does did doing done make makes made take takes took "
    "give gives gave think thinks thought feel felt find found pay pays spend spent charge charges cover covers "
    "handle handles offer offers sell sells fix fixes run runs use uses used keep keeps hears read amazing funny "
    "discuss review reason because great interesting strange crazy wonderful incredible important surprising "
    "explore estimate calculate compare".split())
_PLAIN_TAIL = 9


def _plain_question(toks: list[str], i: int) -> bool:
    """``toks[i]`` opens a question without inversion that ends the run-on text."""
    return (toks[i] in _PLAIN_ASKERS and i + 2 < len(toks) and len(toks) - i <= _PLAIN_TAIL
            and toks[i + 1] in _PLAIN_SUBJECTS and toks[i + 2] in _PLAIN_VERBS
            and toks[i - 1] not in _GOVERNS and toks[i - 1] not in OPEN_STARTS)


def _run_on_question(toks: list[str], plain: bool = False) -> str:
    """A question the recogniser ran on after a greeting or an acknowledgement without any punctuation
    ("hi megan thanks for your time how does your team plan visits", "yeah i bet what are you paying"):
    a question word and an inverted auxiliary ("how does your", "what are you", "how many do you"),
    or an auxiliary and "you" ("and do you ever"); "whats your plan" only after a word that ends what
    came before.  A request run on after a greeting ("thanks for grabbing the call walk me through how
    couples book a tour") asks too, unless someone else is its subject ("they walk me through it")."""
    for i in range(1, len(toks) - 2):
        if toks[i] in _RUN_ON_REQUESTS and toks[i + 1] == "me" and toks[i + 2] in _RUN_ON_REQUESTS[toks[i]] \
                and toks[i - 1] not in _NOT_REQUESTING:
            return "open"
        prev, word, nxt, after = toks[i - 1], toks[i], toks[i + 1], toks[i + 2]
        if word in OPEN_STARTS:
            k = i + 2 if nxt in _HOW_MUCH and i + 3 < len(toks) else i + 1
            if toks[k] in _ASKING_AUX and toks[k + 1] in _INVERTED:
                return "open"
            if toks[k] in ("do", "does", "did") and (prev == "so" or (
                    word not in ("who", "which") and k + 3 < len(toks)
                    and toks[k + 1] not in _NOT_DO_SUBJECTS and toks[k + 2] not in _EMPHATIC_NEXT)):
                return "open"  # "do" inverted before a noun subject and its verb asks: after "so" whatever follows
                # ("...so how do invoices come in"), elsewhere where a subject and a verb follow ("...glad it worked
                # what does attribution look like"); "what does and doesn't work", "who did what" have no subject
                # after it, "what does bother me is", "what did help was" stress a verb, and "a plan which does
                # include" is a relative clause (the reviews' cases; "so what is approved shows up" is a statement)
            if word == "what" and nxt in _BROUGHT and after in ("you", "your") and prev not in _KNOWS \
                    and not {"is", "was"} & set(toks[i + 3:i + 7]):
                return "open"  # "thanks for booking in what made you grab time": why they came ("I know what
                # made you switch" reports it, "what made you stand out was the setup" is a subject)
            if nxt == "is" and after in ("your", "the", "that", "it") and prev in _TURNS:
                return "open"  # "no problem whats your plan"
            if word == "what" and nxt in ("happens", "happened") and prev in _TURNS and after not in ("is", "was"):
                return "open"  # "okay clipboards the classic and what happens to all those sheets" (fresh tuned set
                # AM); not "that is what happens", "i know what happens" nor "and what happens is the drivers..."
            if plain and _plain_question(toks, i):
                return "open"
        if word in _ASKING_AUX and word not in ("was", "were") and nxt in ("you", "your") \
                and prev not in _NOT_ASKING and prev not in OPEN_STARTS:
            return "closed"
    return ""


def question_kind(words: list[str] | tuple[str, ...]) -> str:
    """"open" (how, what, tell me...), "closed" (yes/no, or a datum: "what day works?"), or "" for no question."""
    return _text_question_kind(" ".join(words))


@lru_cache(maxsize=2048)  # about 1 MB when full
def _text_question_kind(text: str) -> str:
    """``question_kind`` of the joined words (cached: every rule that looks back asks about the same turns)."""
    kind = ""
    after_comma = False
    for m in _CLAUSES.finditer(text):
        if not m.group(1).strip():
            continue
        found = clause_question_kind(m.group(1), m.group(2), after_comma)
        after_comma = m.group(2).startswith(",")
        if found == "open":
            return "open"
        kind = kind or found
    return kind


def is_question(words: list[str] | tuple[str, ...]) -> bool:
    return question_kind(words) != ""
