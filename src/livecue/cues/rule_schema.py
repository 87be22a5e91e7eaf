"""The schema of a cue rule file: one frozen dataclass per table, the keys derived from their fields.

``Rule`` (the file), ``Trigger`` (a ``[triggers.NAME]`` table), ``Card``
(``[card]`` and ``[variants.NAME]``) and ``Example`` (``[[examples]]``) are
the only declaration of which keys a rule file may hold and of what type:
``RULE_KEYS``, ``RULE_TYPES`` ... are read off the fields (``INTERNAL``
fields are filled by the loader, never written in a file).  A trigger
kind's own keys and defaults live with the kind in ``triggers.py``; their
types are the ``Trigger`` fields' types.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

from ..audio_facts import CALL_SIDES
from ..user_files import field_types

RULE_ID = re.compile(r"[a-z][a-z0-9_]*")  # a rule's id, and so a cue's name (labels and logs name cues by it)

SPEAKERS = CALL_SIDES  # the sides a rule may listen to (re-exported from audio_facts)

# Values a card's why and script lines may use, e.g. "{streak} short answers".
PLACEHOLDERS = frozenset({
    "evidence", "reply", "streak", "max_words", "monologue_s", "share", "talk_s", "latency_s",
    "count", "rep_name", "company", "hot_buttons", "hot_button_1", "hot_button_2",
    "hot_button_3", "benefit", "clause", "example", "score",
})


INTERNAL = {"internal": True}  # a field the loader fills (not a key of the file)
COMMON = {"common": True}  # a trigger key every kind accepts


@dataclass(frozen=True)
class Trigger:
    """One piece of evidence a rule looks for.

    ``kind`` picks which of the other fields apply: the kind's class in
    ``triggers.py`` owns its keys and their defaults (the loader fills every
    key of the kind from there; the defaults here only mirror them).
    """

    name: str = field(metadata=INTERNAL)  # the table name, [triggers.NAME]
    kind: str = field(metadata=COMMON)
    variant: str = field(default="", metadata=COMMON)  # which card variant this evidence selects ("" = the main card)
    why: str = field(default="", metadata=COMMON)  # the card's why line for this evidence (falls back to card.why)
    after: tuple[str, ...] = field(default=(), metadata=COMMON)  # only after these cues fired and the rep spoke since
    not_after: tuple[str, ...] = field(default=(), metadata=COMMON)  # never once any of these cues fired
    # kind = "phrases": words of the listened speaker's current turn
    phrases: tuple[str, ...] = ()
    phrases_from: str = ""  # "rule_id.trigger": reuse another trigger's phrases
    unless: tuple[str, ...] = ()  # phrases in the same turn that cancel the match
    unless_from: str = ""  # "rule_id.trigger": also cancel on another phrases trigger's unless list
    max_turn_words: int = 0  # only turns of at most this many words (0 = any length)
    fuzzy: bool = True  # allow one misheard, missing or extra word in long phrases
    speaker: str = ""  # read this side's recent words (the other side, or the listened side's last turns) ...
    within_s: float = 30.0  # ... in what it said over the last within_s seconds ...
    last_turn: bool = False  # ... counted back from the end of its last real turn before the judged one, not from now
    clause_scope: bool = False  # a later clause can overrule the match ("..., but the software side is")
    skip_past: bool = False  # ignore clauses about the past ("last year we had no budget")
    # kind = "intent": a clause means what these examples mean
    sounds_like: tuple[str, ...] = ()
    not_like: tuple[str, ...] = ()  # near misses: closer to one of these means no
    sounds_like_from: str = ""  # "rule_id.trigger": reuse another intent's examples
    threshold: float = 0.6  # similarity to the nearest example needed (cosine; top_k: the mean of the k nearest)
    margin: float = 0.0  # and by this much more than to the nearest near miss
    model: str = "minilm"  # the sentence embedding model (see cues/embedding.py)
    min_words: int = 3  # shorter clauses are not judged ...
    max_words: int = 24  # ... nor longer ones (a pitch, not a reaction)
    questions_overrule: bool = False  # a question later in the turn means they are engaged after all
    last_clauses: int = 0  # only the turn's last N clauses (0 = all): where a sign-off comes
    judge_questions: bool = False  # questions ("who's calling?") state no stance: not judged unless set
    min_other_turns: int = 0  # the other side spoke (not only "mm-hmm") at least this often before the turn
    scoring: str = "nearest"  # how a clause is scored on the examples: nearest | top_k | classifier (intents.py)
    top_k: int = 3  # top_k: the mean similarity of this many nearest examples (and near misses)
    min_confidence: float = 0.3  # classifier: the fit's probability needed as well (0..1)
    classifier_model: str = ""  # classifier: the fit reads this model's embedding ("" = model's): minilm-tuned
    second_opinion: str = ""  # classifier: a second fit, on this model's embedding, can veto the turn ("" = off) ...
    second_opinion_below: float = 0.5  # ... where none of the turn's judged texts reaches this confidence in it
    confident_at: float = 0.0  # classifier: this sure, a clause means the intent with no example near (0 = off)
    confident_min_words: int = 0  # ... where the text has at least this many words (shorter ones need an example near)
    learn_from: str = ""  # classifier: also fit on this labelled utterance file (next to the rule file) ...
    labels: tuple[str, ...] = ()  # ... whose rows with these labels mean the intent (every other row does not) ...
    ignore_labels: tuple[str, ...] = ()  # ... except rows with these labels, which teach it nothing either way
    neighbours: int = 0  # learn_from: a clause whose this many nearest rows all have the labels means it too (0 = off) ...
    neighbour_similarity: float = 0.7  # ... where the nearest of them is at least this similar (cosine)
    whole_turn: bool = True  # also judge a turn of short statements as one text ("Mm. Maybe. Hard to say.")
    tail_words: int = 16  # a clause longer than max_words is judged by its last this many words (0 = not at all)
    # kind = "clipped_streak": answers of at most max_words words to the rep's questions
    min_streak: int = 3
    max_words: int = 3
    max_answer_s: float = 1.0  # an answer this short in time is clipped even if a few more words were heard
    min_open: int = 0  # at least this many of them answer open questions (how, what, why...)
    closing_questions: tuple[str, ...] = ()  # a reply to a rep turn holding one of these ("anything else") is a courtesy
    closing_answers: tuple[str, ...] = ()  # so is a reply of only these ("no thank you", "bye"): not counted
    greetings: tuple[str, ...] = ()  # and a reply to a rep turn ending with one of these ("how are you doing today")
    # kind = "monologue_reply" / "monologue": rep talk without a substantive reply
    min_monologue_s: float = 20.0
    unless_asked: bool = False  # monologue_reply: not after the prospect's own question (the answer they asked for)
    min_pitched_on_s: float = 20.0  # monologue_reply: ... or this long where they asked what the call is about
    purpose_questions: tuple[str, ...] = ()  # monologue_reply: such questions ("what's this about?")
    acknowledgements: tuple[str, ...] = ()  # monologue_reply: replies of only these ("okay") accept, not disengage
    # kind = "turn_before": the other side's last real turn before the judged one
    min_turn_s: float = 4.0  # held the floor this long ...
    or_question: bool = True  # ... or ended on a question
    # kind = "talk_share": the prospect's share of the talk over a window
    max_share: float = 0.15
    window_s: float = 120.0
    min_talk_s: float = 60.0
    # kind = "response_latency": slow answers to the rep's questions
    min_latency_s: float = 2.5
    min_count: int = 2


@dataclass(frozen=True)
class Card:
    title: str = ""
    why: str = ""
    script: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExampleLine:
    start: float
    end: float
    speaker: str
    text: str


@dataclass(frozen=True)
class Example:
    """A timed conversation the rule must (or must not) fire on."""

    name: str
    expect: str  # fire | silent
    lines: tuple[ExampleLine, ...]
    between: tuple[float, float] | None = None  # the cue's time must fall in here
    count: int | None = None  # exactly this many cues of the rule
    line: int = field(default=0, metadata=INTERNAL)  # where the example starts in its file


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    listen: str = "prospect"  # whose words the phrase triggers read
    priority: int = 50  # higher wins when two cues want the same turn
    cooldown_s: float = 30.0
    once_per_call: bool = False
    fire: str = "match"  # match: as soon as the evidence is clear; turn_end: when the turn ends
    settle_s: float = 0.0  # turn_end: also wait this long for the speaker to go on
    tentative: bool = True  # may fire on words the recogniser may still revise
    when: str = ""  # how triggers combine, e.g. "brush_off and not exit"; default: any
    after: tuple[str, ...] = ()
    not_after: tuple[str, ...] = ()
    rearm: str = "cooldown"  # cooldown | engaged (again only after an engaged answer)
    engaged_min_words: int = 6  # rearm = engaged: an answer this long re-arms the rule
    enabled: bool = True
    description: str = ""
    triggers: tuple[Trigger, ...] = ()
    classes: dict = field(default_factory=dict)  # name -> tuple of phrases, for "@name"
    card: Card = Card()
    variants: dict = field(default_factory=dict)  # name -> Card
    examples: tuple[Example, ...] = ()
    file: str = field(default="", metadata=INTERNAL)  # the file it was read from

    def trigger(self, name: str) -> Trigger | None:
        return next((t for t in self.triggers if t.name == name), None)


def keys_of(cls: type) -> tuple[str, ...]:
    """The keys a file may use for ``cls``: its fields, in order, less the internal ones."""
    return tuple(f.name for f in dataclasses.fields(cls) if not f.metadata.get("internal"))


RULE_KEYS = keys_of(Rule)
CARD_KEYS = keys_of(Card)
EXAMPLE_KEYS = keys_of(Example)
COMMON_TRIGGER_KEYS = tuple(f.name for f in dataclasses.fields(Trigger) if f.metadata.get("common"))

# key -> TOML shape (float, int, bool, str, list, dict or a dataclass), from the type hints
RULE_TYPES: dict[str, Any] = field_types(Rule)
TRIGGER_TYPES: dict[str, Any] = field_types(Trigger)
CARD_TYPES: dict[str, Any] = field_types(Card)
EXAMPLE_TYPES: dict[str, Any] = field_types(Example)


def trigger_key_type(key: str) -> Any:
    """The TOML shape of a trigger key (a kind's keys are ``Trigger`` fields)."""
    return TRIGGER_TYPES[key]


def trigger_keys(kind: Any) -> tuple[str, ...]:
    """Every key a trigger of ``kind`` (a ``triggers.TriggerKind``) accepts."""
    return COMMON_TRIGGER_KEYS + tuple(kind.keys)
