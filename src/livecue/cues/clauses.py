"""Clause scope: which part of a turn states the speaker's stance.

People hedge, correct themselves and talk about other things in one breath:
"we're all set on hardware, but the software side is what I need", "last
year we had no budget, but it got approved", "I was about to say not
interested, but...".  A brush-off word there is not a brush-off.  The turn
is split into clauses at sentence ends, commas and scope markers (but,
though, however, actually, so, except, "was about to say"); evidence found
in one clause is overruled when a later clause turns against it, and
clauses about the past or quoting what the speaker nearly said can be left
out.  Works on the recogniser's words (punctuation helps, but lowercase
unpunctuated text splits too) and keeps word indices, so evidence keeps its
audio times.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .match import FILLERS, HEDGES, resolve_bare_were, word_tokens
from .questions import is_question

CONTRAST = frozenset({"but", "however", "though", "although", "except", "yet", "actually"})
_ALWAYS_SPLIT = frozenset({"but", "however", "although", "except"})
# a word a clause cannot end on: a comma after it is the recogniser marking a hesitation
# ("it's not, really a big deal"), and splitting there would cut the negation off its clause
_DANGLING = frozenset({"not", "a", "an", "the", "is", "are", "was", "am", "be", "to", "of", "for", "with",
                       "my", "our", "your", "their", "this", "very", "too", "uh", "um", "umm", "er"})
# a turn that stops on one of these has not said its piece: "we're all set on the phones, but ..."
_UNFINISHED = frozenset({"but", "and", "or", "so", "because", "cause", "except", "unless", "if", "although",
                         "a", "an", "the", "to", "of", "for", "with", "my", "our", "your", "their"})


def unfinished(tokens: tuple[str, ...] | list[str]) -> bool:
    """Does a turn stop mid-sentence (its last normalised word opens what should follow)?"""
    return bool(tokens) and tokens[-1] in _UNFINISHED


# "so" starts a clause when a new subject or a request follows it ("so we have twenty minutes")
_SO_NEXT = frozenset({"we", "i", "you", "let", "lets", "that", "it", "they", "if", "what", "how", "there", "can",
                      "could", "please", "go", "anyway", "about", "just", "maybe", "yeah", "yes", "whats", "tell",
                      "walk", "the", "our", "my", "your", "this", "unless", "honestly", "right", "no"})
# "it's not that we're happy, it's that nobody had time to look": the stance named only to be denied
# (with a subject after "that": "it's not that important to us" is a no)
_NOT_THAT = (("it", "is", "not", "that"),)
_DENIED_SUBJECT = frozenset({"we", "i", "they", "it", "you", "he", "she", "there", "our", "my", "the", "this",
                             "were"})  # "its not that were happy": the recogniser's "we're"
# ... and where what they do mean starts, when no comma marks it ("its not that im not interested its just...")
_RATHER = frozenset({("it", "is", "just"), ("it", "is", "that"), ("it", "is", "more"), ("it", "is", "only"),
                     ("it", "is", "because"), ("we", "just"), ("i", "just")})
_RETRACT = _NOT_THAT + (("i", "was", "about", "to", "say"), ("i", "was", "going", "to", "say"), ("i", "almost", "said"),
            ("was", "about", "to", "say"), ("was", "going", "to", "say"))
# a state that held in the past ("last year we had no budget"), not a recent act ("we signed last month")
_PAST_TIME = re.compile(
    r"\b(last (year|month|week|quarter|time|spring|summer|fall|autumn|winter|round|budget cycle)|"
    r"(a|one|two|three|few|couple( of)?|\d+) (years?|months?) ago|back then|at the time|in the past|"
    r"previously|before (that|this|we)|in (20\d\d|19\d\d)|in (twenty|nineteen) \w+|the old days)\b")
_PAST_STATE = re.compile(r"\b(had|was|were|did not|could not|would not|used to|would have)\b")  # "a year ago I'd have said no"
_PAST_ALWAYS = re.compile(r"\b(used to|back then|at the time|in the old days)\b")
# ... or a clause with a past time and no verb at all ("last year no money"), but not one that says it still
# holds ("no budget since last year", "last year's budget is gone") or tells of a recent act ("we signed last month")
_TELLS_WHEN = re.compile(r"\b(is|are|am|be|have|has|do|does|will|would|can|could|since|still|now|until|till|need|want|"
                      r"went|got|gotten|bought|chose|chosen|took|taken|made|put|brought|spent|paid|built|found|gave|sold|"
                      r"left|began|done|did|said|told)\b")


def _verbless(tokens: tuple[str, ...]) -> bool:
    """A clause that opens on the time or on "no" and has no verb to say when (no subject, no present-tense
    or common past-tense word, nothing ending in -ed): "last year no money", "no budget last year".  "We
    signed last month" is a recent act, not a past state; so is "just set one up last month"."""
    flat = " ".join(tokens)
    return (bool(_PAST_TIME.match(flat)) or tokens[:1] == ("no",)) \
        and not _TELLS_WHEN.search(flat) and not any(t.endswith("ed") for t in tokens) \
        and not any(t in _SUBJECT for t in tokens)  # "we decide already last month": a verb the list lacks


_COURTESY = frozenset({"thank", "thanks", "you", "for", "calling", "call", "the", "appreciate", "it", "i", "we",
                       "do", "really", "bye", "goodbye", "have", "a", "good", "great", "nice", "day", "one", "take",
                       "care", "sorry", "anyway", "though", "but", "so", "yes", "yeah", "okay", "well", "all",
                       "right", "sir", "maam", "man", "buddy", "time", "your", "luck", "cheers", "talk", "soon",
                       "later", "and", "again", "reaching", "out", "offer", "there", "mhm", "oh", "hey", "look"})
# thanks for something said ("yes, thanks for that. I've been through it": fresh tuned set M, where the brush-off
# classifier was 0.998 sure of it); not "that" or "this" as courtesy words: "we're all set, but this is great"
# must stay a contrast of substance, and "we do that" a statement
_THANKS_FOR = re.compile(r"^((yes|okay|oh|right|great|lovely|cheers|all right|well) )*(thank you|thanks|cheers)"
                         r"( very much| so much| again)? for (that|this|ringing|the info|the information|the chat)$")
# a "so" clause that turns to what they do want ("so training is at the top now"), or grants the rep's
# question ("we just hired two people in Oregon, so that's actually a good question")
_ENGAGED = re.compile(r"\b(need|want|interested|looking|top|focus|important|problem|priority|approved|works|"
                      r"talk|show|hear|hearing|see|start|open to|perfect|right time|good time|good timing|"
                      r"(good|fair|great|decent) (question|point))\b")
# a later clause of any kind that says what they do want ("it's the routing I want to fix")
_WANTS = re.compile(r"\b((i|we) (want|need|would like|am looking|are looking) to (fix|solve|sort|improve|change|find|get)|"
                    r"(is|are) what (i|we) (want|need|am after|are after)|(i|we) (want|need) (help|something|a better))\b")
_NOT_WANTS = re.compile(r"\b(not|never|no longer)\b")
# ... or that puts the focus on another part of the business and what is wrong with it: "we're all set on
# the vans, it's the tracking side that's a nightmare" (a cleft after the evidence, no "but" needed), "we're
# fine on customers, we're drowning in admin"
_FOCUS = re.compile(r"^(it is|that is) (the|our|my) (?!(price|pricing|cost|costs|budget|money|timing|time|contract)\b)"
                    r"(\w+ ){1,4}(that|which|where|i|we) (\w+ ){0,4}"
                    r"(nightmare|mess|headache|killing|head in|problem|pain|issue|struggle|shambles|disaster|"
                    r"need help|need looking at|need fixing|need sorting|short on|interested in)\b|"
                    r"^(we are|i am) (drowning|struggling|swamped|buried|snowed under|stretched thin) (in|with|on)\b")
# ... or that names the trouble in another part: "the internet side is okay, we are all set there. The problem is
# the phones" (fresh tuned call E e3en01); not the price or the timing ("the problem is the cost": still a no)
_PROBLEM_IS = re.compile(r"^(the|our|my) (only |real |big |biggest |main )?(problem|issue|headache|trouble|struggle|"
                         r"nightmare|challenge|pain point) (is|are|has been) (the|our|my) "
                         r"(?!.*\b(price|pricing|cost|costs|budget|money|timing|time|contract|fee|fees|rate|rates|"
                         r"bill|bills|spend|landlord|owner|boss)\b)")
# ... or that goes ahead ("it's okay, I mean we could try it"; "let's do it", "send me the paperwork")
_GOES_AHEAD = re.compile(r"\b(let us (try|do|go|start|book|set)|(we|i) (could|can|will|would) (try|give it a|start|do it|go ahead)|"
                         r"^(keep going|go on|go ahead|carry on|tell me more)|"
                         r"(sign|count) (me|us) (up|in)|send (me|us|over) the (contract|paperwork|agreement|invite)|"
                         r"i am in|(i am|we are) game)\b")
# ... but not "go on" that picks the call up again after an aside: "we're sorted for that. Hang on, that's two large
# steak, eight pound forty. Sorry, go on" (fresh tuned set AC: a customer served mid-call); not "anyway, go ahead,
# I've got five minutes", which gives the time (a review's case)
_RESUMES = re.compile(r"^(sorry|sorry about that|apologies|my apologies|excuse me|where was i|"
                      r"where were we)( (mate|love|pal|man|hun|darling|dear|bud|buddy|sir|madam))?$")
# ... or, as the turn's last words, that they will hear the rep out ("if it's software for the lab, I'll listen")
# (not "I'd listen" after a condition the offer does not meet, nor "ring me next week, I'll listen")
_LISTENS = re.compile(r"\b(i|we) (will|am|are) (listen|listening|all ears|hear you out)$")
# the speaker takes back what they just said: "we don't really need... well, no, hold on, that ain't true", "we've
# got no money for that. Well, no, that's not true anymore" (fresh tuned set W, two engaged calls)
_TAKEN_BACK = re.compile(r"^((well|no|oh|wait|hold on|hang on|sorry) )?((well|no|oh|wait|hold on|hang on|sorry) )?"
                         r"((that|this|it) (is|was) not (true|right|so|the case)( any ?more| now)?|scratch that|"
                         r"strike that|(i|let me) take (that|it) back)$")
# ... but "that's not true" alone may answer the rep ("we're happy with who we've got, and that bit about overpaying,
# that's not true": a review's case): only with the speaker catching themselves ("well", "hold on", "wait") in it or
# just before it, or with "anymore"
_CATCH = re.compile(r"\b(well|wait|hold on|hang on|sorry|scratch|strike|take (that|it) back|any ?more)\b")
# ... but asking who is calling is no interest: "we already do all that through Workday. Who is this?"
# ... nor why they should switch, or whether this is a sales call (a review's cases)
_WHO_CALLS = re.compile(r"^((and|so|sorry|wait|sorry but|but|look) )?(who (is|was) (this|that|calling|it)|who are you|"
                        r"who did you say|(what|which) company (is this|are you|is it|did you say)|"
                        r"how did you get (this|my|our) (number|name|details)|where (are you|is this) (calling )?from|"
                        r"what is (this|it|that) (about|regarding|for)|is (this|it) a sales call|"
                        r"why (would|should) (i|we) (switch|change|bother|move|need))\b")
_LATER = re.compile(r"\b(next (week|month|year|time)|later|tomorrow|another time|(call|ring|email|text) (me|us))\b")
# an exit that gives the time left ("I have to leave in fifteen minutes"), and a later clause that goes on ("let's
# get straight to pricing", "go ahead"): time to talk, not goodbye (fresh tuned set Q); not "in two minutes"
_TIME_LEFT = re.compile(r"\b(in|within) (about |around |like |maybe |roughly )?(\d\d|five|ten|fifteen|twenty|"
                        r"twenty five|thirty|forty|forty five|half an hour|an hour)( minutes?| mins?)?\b")
_AVAILABLE = re.compile(r"\b(\d+|half an?|an|a few|a couple( of)?|some|ten|fifteen|twenty|thirty) ?"
                        r"(minutes?|mins?|hours?)\b|\b(go ahead|let us|lets|walk me|tell me|show me|fire away|"
                        r"shoot|go for it)\b")


@dataclass(frozen=True)
class Clause:
    """Words ``start``..``end`` (exclusive) of a turn, and how the clause was opened."""

    start: int
    end: int
    text: str  # the words as heard, joined
    tokens: tuple[str, ...]  # normalised (lower case, contractions expanded)
    marker: str  # what opened it: "" (turn start), "." (sentence), "," or a scope word (but, so...)
    past: bool = False  # about the past ("last year we had no budget")
    quoted: bool = False  # what the speaker nearly said ("I was about to say not interested")
    names: frozenset[str] = frozenset()  # tokens of words capitalised mid-sentence ("we're on HubSpot"): names

    @property
    def contrast(self) -> bool:
        return self.marker in CONTRAST

    @property
    def courtesy(self) -> bool:
        """Only thanks, goodbyes and acknowledgements ("all right", "thank you", "thanks for that")."""
        return is_courtesy(self.tokens)

    @property
    def substantive(self) -> bool:
        """Says something beyond thanks and goodbyes."""
        return _substantive(self.tokens)


def _substantive(tokens) -> bool:
    return len(tokens) >= 3 and sum(t not in _COURTESY for t in tokens) >= 2


def is_courtesy(tokens: tuple[str, ...] | list[str]) -> bool:
    """Only thanks, goodbyes and acknowledgements ("all right", "thank you", "no thanks", "thanks for that")."""
    if len(tokens) <= 3 and all(t in _COURTESY or t == "no" for t in tokens):
        return True  # "no thank you" to "anything else?" is manners, not a brush-off
    return all(t in _COURTESY for t in tokens) or bool(_THANKS_FOR.match(" ".join(tokens)))


# "I'm going to stop you there", "sorry to cut you off": a preface that announces what comes next, a brush-off
# ("..., we're not interested in intent data": fresh tuned set S) as often as an exit ("..., my two o'clock is
# here"); where more follows in the turn, that decides
_PREFACE = re.compile(r"^((okay|ok|yes|yeah|sorry|listen|look|well|no|hang on|hold on|actually|so) )*"
                      r"((i am|i) (going to|will|must|have to|need to|got to|have got to) (have to )?|let me |can i |"
                      r"(i am )?sorry (but i|to|i) (have to |got to |must |need to )?)?"
                      r"(stop|cut|interrupt) you( off)?( right)?( there)?( for a second| for a sec| a second)?$")


def is_preface(tokens: tuple[str, ...] | list[str]) -> bool:
    """A clause that only stops the other speaker ("let me stop you there", "sorry to cut you off")."""
    return bool(_PREFACE.match(" ".join(tokens)))


# "so" as an intensifier or an object ("so much", "are so busy", "i think so") does not open a clause
_SO_INTENSIFIES = frozenset("much many far long good well bad glad happy busy sorry nice great cool fast quickly easy "
                            "hard cheap expensive big small little few what yes".split())
_SO_AFTER_VERB = frozenset("is are was were am be been not feel feels looks sounds seems really just and or do did "
                           "does think hope guess said say i very".split())


def _so_joins(toks: list[tuple[str, ...]], i: int) -> bool:
    """Unpunctuated "X so Y" with a new statement after it ("it got pushed so training is at the top"):
    at least three words before, and "so" neither an intensifier nor an object."""
    before = [t for j in range(i) for t in toks[j]]
    return (len(before) >= 3 and before[-1] not in _SO_AFTER_VERB
            and toks[i + 1][0] not in _SO_INTENSIFIES)


# capitalised mid-sentence for other reasons than being a name; and the acronyms of everyday business
# talk, which mean what they say ("we already have a CRM")
_NOT_NAMES = frozenset("i i'm i'd i'll i've ok okay mr mrs ms dr crm erp pos hr it cfo ceo coo cto cio vp gm hoa "
                       "rfp api sms seo ppc pdf ai tv usa uk us".split())


def _names(words, toks: list[tuple[str, ...]]) -> set[str]:
    """Tokens of words written capitalised where a sentence does not start: product, company and
    people's names ("we're on HubSpot", "check with Dave")."""
    out: set[str] = set()
    for i in range(1, len(words)):
        word = words[i].strip().strip("\"'(")
        prev = words[i - 1].rstrip()
        if word[:1].isupper() and prev[-1:] not in ".!?:;\u2026\"" and word.lower().strip(".,!?;:") not in _NOT_NAMES:
            out.update(toks[i])
    return out


def _norm(word: str) -> tuple[str, ...]:
    return word_tokens(word)


# words that open a question: "we're good thanks though what does it cost for two vans" still asks on; small talk
# ("nah we're right mate thanks though hows the weather up there") does not (a review's cases)
_ASKS = frozenset("what how why when where who which do does did can could would will is are any".split())
_THANKS_ENDS = (("appreciate", "it"), ("appreciate", "that"), ("thank", "you"), ("thanks",), ("cheers",),
                ("nice", "try"))


def _thanks_before(toks: list[tuple[str, ...]], i: int) -> bool:
    """The words before ``toks[i]`` end on thanks ("appreciate it", "thanks", "cheers")."""
    before = tuple(t for j in range(max(0, i - 3), i) for t in toks[j])
    return any(before[-len(p):] == p for p in _THANKS_ENDS)


def split_clauses(words: list[str] | tuple[str, ...]) -> list[Clause]:
    """The turn's clauses, in order; every word belongs to exactly one."""
    return list(_split(tuple(words)))


@lru_cache(maxsize=1024)  # about 1.5 MB when full
def _split(words: tuple[str, ...]) -> tuple[Clause, ...]:
    """``split_clauses`` (cached: a turn is split again when it closes, and an evaluation runs each call twice)."""
    toks = [_norm(w) for w in words]
    if any(t == ("were",) for t in toks):
        toks = resolve_bare_were(words, toks)
    bounds: list[tuple[int, str]] = [(0, "")]
    denying = False  # in an "it's not that..." clause
    after_thanks = False  # the word before was a sentence-final "though" after thanks
    n = len(words)
    names = _names(words, toks)
    for i in range(n):
        word = words[i].strip()
        first = toks[i][0] if toks[i] else ""
        prev_end = words[i - 1].rstrip()[-1:] if i > 0 and words[i - 1].rstrip() else ""
        marker = ""
        if i > 0 and prev_end in ".!?;:\u2026" and not (prev_end == "." and word[:1].islower()):
            marker = "."  # not "back just. to finalize": a full stop before a lower-case word is where two decodes met
        if after_thanks:
            marker, after_thanks = ".", False  # what followed "appreciate it though" starts afresh
        if first == "though" and i > 0 and _thanks_before(toks, i) and not (
                i + 1 < n and toks[i + 1][:1] and toks[i + 1][0] in _ASKS and toks[i + 1][:2] != ("how", "is")):
            after_thanks = True  # "not interested man appreciate it though hey you a boxer": the thanks ends a
            # sentence (fresh tuned set AM, recogniser style); no contrast for the small talk after it to win
        elif first in _ALWAYS_SPLIT or (first in ("though", "yet") and i > 0):
            marker = first
        elif first == "actually" and (i == 0 or prev_end in ",.!?;:" or word.endswith(",")):
            marker = "actually"
        elif first == "so" and i > 0 and (prev_end in ",.!?;:" or (i + 1 < n and toks[i + 1][:1] and
                                                                    (toks[i + 1][0] in _SO_NEXT or
                                                                     _so_joins(toks, i)))):
            marker = "so"
        elif i > 0 and prev_end == "," and not marker and not (toks[i - 1] and toks[i - 1][-1] in _DANGLING):
            marker = ","
        if first == "that" and i > 0 and prev_end in ",.!?;:" and i + 1 < n and toks[i + 1][:1] == ("said",):
            marker = "however"  # "I'm not looking to switch. That said, I'd take a second opinion"
        ahead = tuple(t for j in range(i, min(n, i + 5)) for t in toks[j])
        denial = any(ahead[:len(p)] == p and ahead[len(p):len(p) + 1] and ahead[len(p)] in _DENIED_SUBJECT
                     for p in _NOT_THAT)
        for pattern in _RETRACT:
            if ahead[:len(pattern)] == pattern and (i == 0 or toks[i - 1][:1] != ("i",)) \
                    and (pattern not in _NOT_THAT or denial):
                marker = "retract"
                break
        if denying and (marker in (",", ".") or (not marker and (ahead[:3] in _RATHER or ahead[:2] in _RATHER)
                                                  and sum(len(toks[j]) for j in range(bounds[-1][0], i)) >= 6)):
            marker = "but"  # what they mean (6 tokens in: past "it is not that X"), not more of the denied clause
        if marker:
            denying = marker == "retract" and denial
        if marker == "retract" and i == 0:
            bounds[0] = (0, "retract")
        elif marker and i > 0:
            if bounds[-1][0] == i:
                bounds[-1] = (i, marker if marker not in (".", ",") or bounds[-1][1] in ("", ".", ",") else
                              bounds[-1][1])
            else:
                bounds.append((i, marker))
    clauses: list[Clause] = []
    for k, (start, marker) in enumerate(bounds):
        end = bounds[k + 1][0] if k + 1 < len(bounds) else n
        if end <= start:
            continue
        tokens = tuple(t for j in range(start, end) for t in toks[j] if t not in ("uh", "um", "umm", "er"))
        text = " ".join(words[start:end]).strip()
        flat = " ".join(tokens)
        past = bool(_PAST_ALWAYS.search(flat) or (_PAST_TIME.search(flat) and (_PAST_STATE.search(flat) or
                                                                            _verbless(tokens))))
        clauses.append(Clause(start, end, text, tokens, marker, past=past,
                              quoted=marker == "retract", names=frozenset(names.intersection(tokens))))
    return tuple(clauses)


def clause_of(clauses: list[Clause], word_index: int) -> int:
    for k, clause in enumerate(clauses):
        if clause.start <= word_index < clause.end:
            return k
    return len(clauses) - 1


def overruled(clauses: list[Clause], k: int, same_stance, questions: bool = False) -> bool:
    """Does a later clause turn against clause ``k``'s stance?

    ``same_stance(j)`` says whether clause ``j`` carries the same evidence
    (then it agrees, it does not overrule).  A later contrast clause (but,
    however, actually...) that says something of substance overrules; so
    does a "so" clause that makes time or asks to go on ("so we have twenty
    minutes, walk me through it"), any clause that asks to go on after
    one that gives the time left ("I have to leave in fifteen minutes. Let's
    get straight to pricing"), and one that takes it back ("well, no, that's
    not true").
    """
    time_left = bool(_TIME_LEFT.search(" ".join(clauses[k].tokens)))
    for j in range(k + 1, len(clauses)):
        later = clauses[j]
        if questions and is_question(later.text.split()) and len(later.tokens) >= 3 \
                and not _WHO_CALLS.match(" ".join(later.tokens)):
            return True  # asking on: engaged, whatever came before
        if later.contrast and _substantive_on(clauses, j) and not later.quoted and not same_stance(j):
            return True
        if _TAKEN_BACK.match(" ".join(later.tokens)) and any(
                _CATCH.search(" ".join(clauses[i].tokens[-3:] if i < j else clauses[i].tokens))
                for i in range(max(k, j - 2), j + 1)):
            return True  # "we don't really need... well, no, hold on, that ain't true"
        flat = " ".join(later.tokens)
        if ((later.substantive and (_WANTS.search(flat) or ((_FOCUS.search(flat) or _PROBLEM_IS.search(flat))
                                                            and _about_one_thing(clauses, k))))
                or (_GOES_AHEAD.search(flat) and not _resumes(clauses, j))
                or (j == len(clauses) - 1 and _LISTENS.search(flat)
                    and not any(_LATER.search(" ".join(c.tokens)) for c in clauses))) \
                and not _NOT_WANTS.search(flat) \
                and not same_stance(j):
            return True  # "we're covered on insurance, it's the routing I want to fix": what they want wins
        if time_left and _AVAILABLE.search(" ".join(later.tokens)) and not same_stance(j):
            return True  # "I have to leave in fifteen minutes. Let's get straight to pricing."
        if later.marker == "so" or (j > k + 1 and clauses[j - 1].marker == "so"):
            flat = " ".join(later.tokens)
            if (_AVAILABLE.search(flat) or (later.substantive and _ENGAGED.search(flat))) and not same_stance(j):
                return True
    return False


def _resumes(clauses: list[Clause], j: int) -> bool:
    """Clause ``j`` ("go on") follows an apology for an aside ("sorry, go on"): the call picks up again."""
    before = clauses[j].tokens[:-2] if clauses[j].tokens[-2:] in (("go", "on"), ("go", "ahead")) else ()
    return bool(_RESUMES.match(" ".join(before))) or (
        not before and j > 0 and bool(_RESUMES.match(" ".join(clauses[j - 1].tokens))))


# what "set for ..." can be about without naming a part of the business ("covered for now", "happy with it")
_NOT_A_THING = frozenset({"now", "this", "that", "it", "today", "us", "me", "them", "right", "at", "thank", "you",
                          "year", "month", "months", "ages", "moment", "time", "price", "money", "budget", "cost"})


# a clause that names a part of the business: "the internet side is okay" (not "no thanks")
_NAMES_A_PART = re.compile(r"\b(the|our|my) (\w+ )?(side|part|end|bit|piece|system|setup|stuff|line|lines|"
                           r"account|accounts|software|hardware|internet|phones|payroll|billing|insurance)\b")


def _about_one_thing(clauses: list[Clause], k: int) -> bool:
    """Clause ``k`` ends on what it is about ("we're all set on the vans", "sorted for the hardware"), or
    on "there" after a clause that named it ("the internet side is okay, we are all set there"): a later
    cleft about another part ("it's the tracking side that's a nightmare") then sets it against that.  A
    bare "we're all set" followed by "it's the timing that's the problem" keeps its no."""
    clause = clauses[k]
    if k > 0 and clause.tokens[-1:] == ("there",) and _NAMES_A_PART.search(" ".join(clauses[k - 1].tokens)):
        return True
    tail = clause.tokens[-4:]
    for j, t in enumerate(tail[:-1]):
        rest = [w for w in tail[j + 1:] if w not in ("the", "our", "my", "a", "an")]
        if t in ("on", "for", "with") and rest and rest[0] not in _NOT_A_THING:
            return True
    return False


# what a bare contrast may hold without naming a topic: "But listen.", "But look.", "Though."
_NO_TOPIC = frozenset({"listen", "see", "mate", "yeah", "well", "now", "again", "hmm", "um", "uh", "still"})


def _substantive_on(clauses: list[Clause], j: int) -> bool:
    """Clause ``j`` says something of substance, read on through the clauses a comma joins to it:
    "but servicing, that's been a shambles" is one contrast, however the comma cut it.  Where that
    only names a topic, the next sentence says what of it: "But the phones, man. That's a mess." """
    tokens = list(clauses[j].tokens)
    i = j + 1
    while i < len(clauses) and clauses[i].marker == ",":
        tokens += clauses[i].tokens
        i += 1
    if not _substantive(tokens) and i < len(clauses) and clauses[i].marker == "." \
            and any(t not in _COURTESY and t not in _NO_TOPIC and t not in CONTRAST for t in tokens):
        tokens += clauses[i].tokens
    return _substantive(tokens)


def in_scope(clauses: list[Clause], k: int, same_stance, *, skip_past: bool = True,
             questions_overrule: bool = False) -> bool:
    """Evidence in clause ``k`` stands: not quoted, not about the past, not overruled later."""
    clause = clauses[k]
    if clause.quoted or (k > 0 and clauses[k - 1].quoted and clause.marker in (",", "")):
        return False
    if skip_past and clause.past:
        return False
    return not overruled(clauses, k, same_stance, questions_overrule)


# connectives and bare sounds that open a clause without adding to it ("hm I mean it's alright": the
# recogniser runs the "hm" on; "mhm" is how "mm-hmm" normalises)
_LEAD = frozenset({"but", "so", "and", "though", "however", "although", "actually", "well", "oh", "look",
                   "yet", "except", "listen", "hm", "hmm", "mm", "mhm", "ah", "huh"})


def unnamed(text: str, names: frozenset[str], knows) -> str:
    """The clause with the names the model cannot read put as "them": "we are on hubspot already"
    reads as "we are on them already".  A name that is one word of the model's vocabulary ("Dave",
    "Toast") stays."""
    if not names:
        return text
    out: list[str] = []
    for w in text.split():
        if w in names and not knows(w):
            if out and out[-1] == "them":
                continue  # "Google Ads" is one name
            out.append("them")
        else:
            out.append(w)
    return " ".join(out)


def clause_text(tokens: tuple[str, ...] | list[str]) -> str:
    """What the model reads: normalised words, without fillers, hedges and the leading connective."""
    toks = [t for i, t in enumerate(tokens) if t not in FILLERS and t not in HEDGES
            and not (t == "much" and i > 0 and tokens[i - 1] == "pretty")]  # "pretty much" hedges as a whole
    while len(toks) > 2 and toks[0] in _LEAD:
        toks = toks[1:]
    return " ".join(toks)


# Unpunctuated speech runs several statements into one clause ("were all set thanks weve got a guy who
# handles our computers").  A subject pronoun followed by a verb starts a new statement unless the word
# before it governs it ("tell me what we need", "i think we are fine", "for you to").
_SUBJECT = frozenset({"i", "we", "they", "he", "she", "it", "you", "that", "there"})
_VERBISH = frozenset({"am", "are", "is", "was", "were", "have", "has", "had", "will", "would", "can", "could", "do",
                      "does", "did", "just", "already", "need", "needs", "want", "wants", "got", "use", "make",
                      "makes", "decide", "decides", "sign", "signs", "handle", "handles", "take", "takes", "go",
                      "goes", "should", "might", "must", "may", "only", "never", "still", "also", "tried", "looked",
                      "signed", "renewed", "switched", "went", "like", "love", "work", "works", "run", "runs",
                      "vote", "votes", "approve", "approves", "own", "owns", "pick", "picks", "call", "calls"})
_GOVERNS = frozenset({"to", "for", "with", "at", "of", "than", "that", "if", "when", "what", "how", "who", "where",
                      "why", "which", "tell", "let", "ask", "asked", "see", "know", "think", "mean", "guess", "hope",
                      "say", "said", "feel", "believe", "sure", "about", "like", "because", "and", "but", "or", "as",
                      "once", "until", "unless", "since", "whether", "make", "help", "give", "show", "get", "thought",
                      "suppose", "bet", "wish", "whatever", "whenever", "before", "after", "while", "so", "by",
                      "from", "on", "in", "is", "are", "was", "were", "do", "does", "did", "can", "could", "would",
                      "will", "should", "have", "has", "had", "not", "then", "even", "also", "just", "me", "us",
                      "him", "her", "them",
                      # a noun that takes a relative clause: "it's fine the way it is", "the stuff we use"
                      "way", "thing", "things", "stuff", "everything", "anything", "something", "nothing"})


# an object pronoun governs what follows ("convinced me we need", "told us they would") unless a
# preposition before it closes the phrase: "the right time for us we are mid migration" is two statements
_OBJECTS = frozenset({"me", "us", "him", "her", "them"})
_PREPOSITIONS = frozenset({"for", "to", "with", "at", "of", "from", "by", "about", "on", "in", "without"})


def _governs(toks: list[str], i: int) -> bool:
    """Does the word before ``toks[i]`` govern the subject-verb pair that starts there?"""
    before = toks[i - 1]
    if before in _OBJECTS and i >= 2 and toks[i - 2] in _PREPOSITIONS:
        return False
    return before in _GOVERNS


# a request to the listener also starts a statement in run-on speech ("i will let you get back to it
# keep us on your radar", "i like it let me check with my boss")
_REQUESTS = frozenset({("keep", "us"), ("keep", "me"), ("call", "me"), ("call", "us"), ("feel", "free"),
                       ("give", "me"), ("give", "us"), ("reach", "out"), ("let", "me"), ("let", "us"),
                       ("shoot", "me"), ("drop", "me"), ("drop", "us"), ("ping", "me"), ("text", "me"),
                       ("email", "me"), ("send", "me"), ("take", "me"), ("try", "me"), ("try", "us"),
                       ("ring", "me"), ("ring", "us"), ("phone", "me"), ("phone", "us"),
                       # and so does an acknowledgement of what was just said ("... tell us sounds good then")
                       ("sounds", "good"), ("no", "problem"), ("no", "worries"), ("of", "course"), ("fair", "enough")})


_DETERMINERS = frozenset({"the", "our", "my", "their", "his", "her"})
# ... unless it is governed by what comes before ("i want you to call me", "that sounds good")
_REQUEST_GOVERNED = frozenset({"to", "will", "would", "can", "could", "should", "must", "might", "not"})
_ACK_GOVERNED = frozenset({"that", "it", "this", "which", "what", "everything", "all", "really", "not"})
_ACK_PAIRS = frozenset({("sounds", "good"), ("no", "problem"), ("no", "worries"), ("of", "course"), ("fair", "enough")})


# an impression with no subject after a verdict word ("it is okay looks like what they already give us",
# fresh tuned call E e1rs04): the recogniser ran two statements together
_IMPRESSION = frozenset({"looks", "seems", "sounds", "feels"})
_IMPRESSION_NEXT = frozenset({"like", "kind", "a", "just", "the", "exactly", "similar", "same", "basically", "much",
                              "pretty", "more", "about", "to"})
_VERDICT_WORDS = frozenset({"okay", "fine", "good", "nice", "alright", "cool", "great", "interesting", "neat",
                            "decent", "whatever"})


def statements(text: str, min_words: int = 3) -> list[str]:
    """The statements inside one model-ready clause text (see ``clause_text``) that the recogniser ran
    together without punctuation, less thanks and goodbyes; empty when there is only one."""
    toks = text.split()
    cuts = [0]
    for i in range(2, len(toks) - 1):
        if toks[i] in _SUBJECT and toks[i + 1] in _VERBISH:
            starts = not _governs(toks, i)
        elif toks[i] in _DETERMINERS and i + 2 < len(toks) and toks[i + 2] in _VERBISH \
                and toks[i + 1] not in _VERBISH and toks[i + 1] not in _SUBJECT:
            starts = not _governs(toks, i)  # a noun subject: "i just run the office the elders vote on it"
        elif toks[i] in _IMPRESSION and toks[i + 1] in _IMPRESSION_NEXT and toks[i - 1] in _VERDICT_WORDS:
            starts = True
        else:
            pair = (toks[i], toks[i + 1])
            starts = pair in _REQUESTS and toks[i - 1] not in (_ACK_GOVERNED if pair in _ACK_PAIRS
                                                                 else _REQUEST_GOVERNED)
        if starts and i - cuts[-1] >= 2:
            cuts.append(i)
    if len(cuts) == 1:
        return []
    cuts.append(len(toks))
    pieces = [" ".join(toks[a:b]) for a, b in zip(cuts, cuts[1:])]
    return [p for p in pieces if len(p.split()) >= min_words and not is_courtesy(p.split())]

