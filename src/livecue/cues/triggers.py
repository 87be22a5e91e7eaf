"""Trigger kinds: one class per kind of evidence a rule can look for.

Each kind owns its keys and their defaults, checks its own settings (every
problem with the file line of the key), compiles what it needs (phrase
sets, embedded intent examples) and evaluates itself against the
conversation.  The rule loader, the detector, the overlay's meters and
``livecue tune`` all read this registry, so a new kind is added here, in
one place, plus a line in docs/cue_rules.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..audio_facts import CALL_SIDES
from .clauses import Clause, clause_of, clause_text, in_scope, is_preface, split_clauses, statements, unnamed
from .match import PhraseSet, normalise_words, phrase_errors
from .questions import is_question, is_tag
from .signals import clipped_streak

if TYPE_CHECKING:  # pragma: no cover
    from .detector import Detector, _Context
    from .rules import CompiledRule, CompiledTrigger, Rule, Trigger

# Evidence spans closer than this are the same words heard twice (tentative, then committed).
SPAN_TOLERANCE_S = 0.3
_PUNCT = ".,?!;:\u2026"
SPEAKERS = CALL_SIDES


@dataclass(frozen=True)
class Evidence:
    """What a cue fired on: words (span), answers, a reply, a monologue, a window."""

    kind: str
    start: float
    end: float

    def same_as(self, other: "Evidence") -> bool:
        if self.kind != other.kind:
            return False
        if self.kind in ("span", "share"):
            return self.start < other.end + SPAN_TOLERANCE_S and other.start < self.end + SPAN_TOLERANCE_S
        return abs(self.start - other.start) < 1e-6


@dataclass
class Hit:
    trigger: str
    speaker: str
    keys: tuple[Evidence, ...]
    anchor: float
    values: dict = field(default_factory=dict)
    variant: str = ""
    why: str = ""
    turn: int | None = None  # the turn the evidence ends in
    tentative: bool = False


class Problems(Protocol):
    """Where a kind reports a problem in its trigger's table (the loader adds file and line)."""

    def key(self, key: str, message: str) -> None: ...

    def item(self, key: str, value: str, message: str) -> None: ...

    def table(self, message: str) -> None: ...

    def other_file(self, file: str, line: int, message: str) -> None:
        """A problem in a file the trigger reads (an utterance file): reported once at that file's line,
        however many triggers read it."""


_COMPILED: dict[tuple, PhraseSet] = {}


def phrase_set(phrases: tuple[str, ...], classes: dict, fuzzy: bool, allow_common: bool) -> PhraseSet:
    """Compile once per distinct phrase list (rules share lists via phrases_from; tune recompiles)."""
    key = (tuple(phrases), tuple(sorted(classes.items())), fuzzy, allow_common)
    found = _COMPILED.get(key)
    if found is None:
        if len(_COMPILED) > 256:
            _COMPILED.clear()
        found = _COMPILED[key] = PhraseSet(phrases, classes, fuzzy=fuzzy, allow_common=allow_common)
    return found


_REF = re.compile(r"[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+")


BORROWS = {"phrases_from": "phrases", "unless_from": "phrases", "sounds_like_from": "intent"}  # a borrowing key -> the kind it names


def _check_ref(trig: "Trigger", key: str, at: Problems) -> None:
    """``phrases_from`` / ``unless_from`` / ``sounds_like_from`` name another trigger as 'rule_id.trigger_name'."""
    value = getattr(trig, key)
    if value and not _REF.fullmatch(value):
        at.key(key, f"'{key}' must look like 'rule_id.trigger_name'")


def _borrowed(trig: "Trigger", key: str, rules: dict[str, "Rule"], at: Problems) -> "tuple[Rule, Trigger] | None":
    """The rule and trigger that ``key`` borrows from: same kind, and not borrowing in turn."""
    ref = getattr(trig, key)
    kind = BORROWS[key]
    src_id, _, src_trig = ref.partition(".")
    src_rule = rules.get(src_id)
    source = src_rule.trigger(src_trig) if src_rule else None
    if src_rule is None or source is None:
        at.key(key, f"{key} '{ref}' names no trigger")
    elif source.kind != kind:
        at.key(key, f"{key} '{ref}' is not {'an' if kind[0] in 'aeiou' else 'a'} {kind} trigger")
    elif getattr(source, key):  # one step only: a chain (or a trigger naming itself) would have no end
        at.key(key, f"{key} '{ref}' borrows in turn ({key} '{getattr(source, key)}'): name that trigger instead")
    else:
        return src_rule, source
    return None


def _with_borrowed(trig: "Trigger", rule: "Rule", rules: dict[str, "Rule"], key: str, field: str,
                   at: Problems) -> "tuple[tuple[str, ...], dict] | None":
    """The trigger's ``field`` list with what ``key`` borrows added, and the classes to read both with."""
    own = tuple(getattr(trig, field))
    if not getattr(trig, key):
        return own, rule.classes
    found = _borrowed(trig, key, rules, at)
    if found is None:
        return None
    src_rule, source = found
    return own + tuple(getattr(source, field)), {**src_rule.classes, **rule.classes}


def _check_phrase_list(trig: "Trigger", key: str, classes: dict, allow_common: bool, at: Problems) -> None:
    """Each pattern of a phrase list compiles (errors name the pattern)."""
    items = getattr(trig, key)
    for index, message in phrase_errors(items, classes, allow_common=allow_common):
        at.item(key, items[index], message)


class TriggerKind:
    """Base class: a kind's keys (with defaults), checks, compilation and evaluation."""

    name = ""
    keys: dict[str, Any] = {}  # key -> default; the default's type is the key's type
    lists: frozenset[str] = frozenset()  # keys that hold lists of strings
    positive: tuple[str, ...] = ()  # numeric keys that must be more than 0
    tunable: tuple[str, ...] = ()  # numeric keys `livecue tune --set` may sweep
    meter = ""  # "warn" | "alert": this kind's min_monologue_s colours the monologue meter
    default_why = ""  # the card's why when neither the trigger nor the card has one

    def check(self, trig: "Trigger", data: dict, at: Problems) -> None:
        for key in self.positive:
            if key in data and getattr(trig, key) <= 0:
                at.key(key, f"'{key}' must be more than 0")

    def check_phrases(self, trig: "Trigger", classes: dict, at: Problems) -> None:
        """Compile-check the kind's phrase lists (with the rule's classes); kinds without phrases have none."""

    def compile(self, ct: "CompiledTrigger", rule: "Rule", rules: dict[str, "Rule"], at: Problems) -> bool:
        return True

    def evaluate(self, det: "Detector", crule: "CompiledRule", ct: "CompiledTrigger", ctx: "_Context",
                 ignore_used: bool) -> Hit | None:
        raise NotImplementedError


# --- words --------------------------------------------------------------------------------


class Phrases(TriggerKind):
    """A phrase said in the listened side's current turn (or the other side's last seconds)."""

    name = "phrases"
    keys = {"phrases": (), "phrases_from": "", "unless": (), "unless_from": "", "max_turn_words": 0, "fuzzy": True, "speaker": "",
            "within_s": 30.0, "last_turn": False, "clause_scope": False, "skip_past": False, "questions_overrule": False}
    lists = frozenset({"phrases", "unless"})
    positive = ("within_s",)
    tunable = ("max_turn_words", "within_s")

    def check(self, trig: "Trigger", data: dict, at: Problems) -> None:
        super().check(trig, data, at)
        if not trig.phrases and not trig.phrases_from:
            at.table(f"trigger '{trig.name}' needs phrases or phrases_from")
        _check_ref(trig, "phrases_from", at)
        _check_ref(trig, "unless_from", at)
        if trig.speaker and trig.speaker not in SPEAKERS:
            at.key("speaker", f"'speaker' must be one of {', '.join(SPEAKERS)}, not {trig.speaker!r}")
        if trig.last_turn and not trig.speaker:
            at.key("last_turn", "'last_turn' reads the other side's last turn: it needs speaker")
        if trig.questions_overrule and not trig.clause_scope:
            at.key("questions_overrule",
                   "'questions_overrule' reads the clauses after a match: it needs clause_scope = true")

    def check_phrases(self, trig: "Trigger", classes: dict, at: Problems) -> None:
        for key in ("phrases", "unless"):
            _check_phrase_list(trig, key, classes, trig.max_turn_words > 0, at)

    def compile(self, ct: "CompiledTrigger", rule: "Rule", rules: dict[str, "Rule"], at: Problems) -> bool:
        trig = ct.trigger
        if trig.last_turn and trig.speaker == rule.listen:
            at.key("speaker", f"'last_turn' reads the other side's last turn: speaker must be the side "
                              f"this rule does not listen to, not {trig.speaker!r}")
            return False
        borrowed = _with_borrowed(trig, rule, rules, "phrases_from", "phrases", at)
        exceptions = _with_borrowed(trig, rule, rules, "unless_from", "unless", at)  # "all set with the POS, it's..."
        if borrowed is None or exceptions is None:
            return False
        phrases, classes = borrowed
        ct.phrases = phrase_set(phrases, classes, True, trig.max_turn_words > 0)
        unless, unless_classes = exceptions
        ct.unless = phrase_set(unless, unless_classes, False, False) if unless else None
        return True

    def evaluate(self, det, crule, ct, ctx, ignore_used):
        rule, trig = crule.rule, ct.trigger
        if ctx.reason not in ("text", "ended", "final") or ctx.speaker != rule.listen or not ct.phrases:
            return None
        # with `speaker`, read that side's last within_s seconds (the other side's, or the listened side's
        # own recent turns: "a next step said half a minute ago still stands")
        other = bool(trig.speaker)
        if trig.clause_scope and not other and not ctx.turn_over:
            return None  # what a clause means depends on the clauses after it
        if not other:
            turn = ctx.turn()
        elif trig.last_turn:
            turn = ctx.turn_before(trig.within_s)
        else:
            turn = ctx.recent(trig.speaker, trig.within_s)
        if not turn.words:
            return None
        if trig.max_turn_words and (turn.count > trig.max_turn_words or (not ctx.turn_over and not other)):
            return None  # a turn's length is known only when it ends
        if ct.unless is not None and ct.unless.search(turn.toks, fuzzy=False):
            return None
        last_index = len(turn.words) - 1
        matches = ctx.search(ct, turn)
        clauses = ctx.clauses(turn) if trig.clause_scope and not other else None
        for match in matches:
            first = turn.toks.origin[match.start]
            last = turn.toks.origin[match.end - 1]
            clause_text_ = ""
            if clauses is not None:
                k = clause_of(clauses, first)
                owners = {clause_of(clauses, turn.toks.origin[m.start]) for m in matches}
                if not in_scope(clauses, k, lambda j: j in owners, skip_past=trig.skip_past,
                                questions_overrule=trig.questions_overrule):
                    continue
                clause_text_ = clauses[k].text
            ev = Evidence("span", turn.words[first].start, turn.words[last].end)
            if not ignore_used and det._consumed(rule.id, ev):
                continue
            tentative = any(turn.tentative[first:last + 1])
            if tentative and not ignore_used:
                # act on words that may still change only when they are clearly there
                if not rule.tentative or match.edits or (last == last_index and not turn.speech_ended):
                    continue
            evidence = " ".join(w.word.strip() for w in turn.words[first:last + 1]).strip(" ,.;:")
            return Hit(trig.name, trig.speaker or ctx.speaker, (ev,), turn.words[last].end,
                       {"evidence": evidence, "clause": (clause_text_ or evidence).strip(" ,.;:")},
                       turn=None if other else turn.key, tentative=tentative)
        return None


def utterance_file(rule: "Rule", name: str) -> Path | None:
    """A trigger's ``learn_from`` file: next to its rule file, else next to the shipped rules (a
    user's copy of a shipped rule file still learns from the shipped utterances)."""
    from .rules import shipped_rules_dir

    for folder in (Path(rule.file).parent, shipped_rules_dir()):
        if (folder / name).is_file():
            return folder / name
    return None


def _learned_rows(rule: "Rule", trig: "Trigger", at: Problems
                  ) -> "tuple[tuple[tuple[str, ...], tuple[str, ...]], tuple[str, ...]] | None":
    """The texts of the trigger's utterance file: the rows with its labels, and the rest but those with
    its ``ignore_labels`` (a second no is worded like a first brush-off; only the turn before tells them
    apart, so as a counter-example it would teach the brush-off classifier to doubt plain brush-offs);
    and every row's text, in file order (the one table of row vectors that ``neighbours`` reads)."""
    from ..user_files import did_you_mean
    from .intents import read_utterances

    path = utterance_file(rule, trig.learn_from)
    if path is None:
        at.key("learn_from", f"no utterance file '{trig.learn_from}' next to {Path(rule.file).name} "
                             "or the shipped rules")
        return None
    rows, problems = read_utterances(path)
    for line, message in problems[:3]:
        at.other_file(str(path), line, message)
    known = sorted({r.label for r in rows})
    unknown = [(key, label) for key in ("labels", "ignore_labels") for label in getattr(trig, key)
               if label not in known]
    for key, label in unknown:
        at.item(key, label, f"no row of {path.name} has the label '{label}'{did_you_mean(label, known)}")
    if problems or unknown:
        return None
    wanted, ignored = set(trig.labels), set(trig.ignore_labels)
    return ((tuple(r.text for r in rows if r.label in wanted),
             tuple(r.text for r in rows if r.label not in wanted and r.label not in ignored)),
            tuple(r.text for r in rows))


def _sure_at(trig: "Trigger") -> float:
    """The confidence from which the classifier alone decides (``confident_at``; 0: never).  Only a
    classifier's confidence is below 1, so without one nothing is decided this way."""
    return trig.confident_at if trig.scoring == "classifier" else 0.0


_CLOSE_NEAR_MISS = 0.6  # cosine: a near miss this close is a paraphrase the rule's author ruled out


def _trusted(score, trig: "Trigger", text: str):
    """A clause the classifier is at least ``confident_at`` sure of means the intent even with no
    example near: wording the examples never saw but the learned rows taught ("we're sorted for that at
    the moment": 0.46 from the nearest brush-off example, the classifier 0.99 sure).  It then counts as a
    perfect match (its nearest example still shows in the why).  Not a text shorter than
    ``confident_min_words``: "that's right" says too little for the classifier alone.
    The rule's own near misses still win where they are close: a clause as near one of them as a clause
    must be to an example (``threshold``) stays out when it is nearer that near miss than any example, or
    when the near miss is a paraphrase (``_CLOSE_NEAR_MISS``) and no example is ``margin`` nearer.  One
    that merely shares a topic does not veto a sure classifier ("looks much like what they already give
    us", 0.995 lukewarm, and "that would be a big saving for us" at 0.52)."""
    sure = _sure_at(trig)
    if not sure or score.confidence < sure or len(text.split()) < trig.confident_min_words \
            or score.means(trig.threshold, trig.margin, trig.min_confidence) \
            or (score.near_miss >= trig.threshold and (score.near_miss >= score.similarity or (
                score.near_miss >= _CLOSE_NEAR_MISS and score.similarity - score.near_miss < trig.margin))):
        return score
    return replace(score, similarity=max(score.similarity, 1.0), near_miss=-1.0)


def _voted(score, trig: "Trigger", text: str):
    """The utterance rows' vote (``neighbours``): a clause whose nearest rows all mean the intent counts
    as near as the nearest of them, where that is at least ``neighbour_similarity``.  Wording the
    examples never saw but other writers used ("so it's basically a spreadsheet with your logo slapped
    on", after a pitch: its five nearest rows are lukewarm).  Not a
    text shorter than ``confident_min_words`` ("I don't know" answering a question), nor one close to
    one of the rule's own near misses (``_CLOSE_NEAR_MISS``): the rule's author ruled that wording out."""
    if score.row_similarity <= score.similarity or score.row_similarity < trig.neighbour_similarity \
            or len(text.split()) < trig.confident_min_words or score.near_miss >= _CLOSE_NEAR_MISS:
        return score
    return replace(score, similarity=score.row_similarity, example=score.row)


def _judged(score, trig: "Trigger", text: str):
    """A score as the trigger reads it: the rows' vote first, then a sure classifier."""
    return _trusted(_voted(score, trig, text), trig, text)


def _whole_turn(clauses: list[Clause], texts: list[str], trig: "Trigger") -> str:
    """The turn as one text, where it is several short statements that nothing sets against each other:
    "Mm. Maybe. Hard to say." means more than any of its sentences ("hard to say" alone is no
    verdict).  Not where a clause turns on a contrast or "so", looks back, quotes, or asks; but a last
    clause too short to judge alone after a contrast or "so" ("i hear you, but nah", "so no need") is
    the stance itself, and the turn is read with it."""
    def short_tail(k: int) -> bool:
        return k == len(clauses) - 1 and len(texts[k].split()) < trig.min_words
    if len(clauses) < 2 or any(c.marker not in (".", ",") and not short_tail(k)
                               for k, c in enumerate(clauses) if k):
        return ""
    if any(c.past or c.quoted or (not trig.judge_questions and is_question(c.text.split())) for c in clauses):
        return ""
    whole = " ".join(t for t in texts if t)
    return whole if trig.min_words <= len(whole.split()) <= trig.max_words else ""


def _tail(text: str, n: int) -> str:
    return " ".join(text.split()[-n:])


class IntentKind(TriggerKind):
    """A clause of the listened side's finished turn means what the examples mean.

    Judged when the turn is over: when its segment closes, or already when
    the speech ended and the words heard reach its end (``ended``; words
    still tentative then count only where the rule allows ``tentative``).
    """

    name = "intent"
    keys = {"sounds_like": (), "not_like": (), "sounds_like_from": "", "threshold": 0.6, "margin": 0.0,
            "unless": (), "skip_past": True, "model": "minilm", "min_words": 3, "max_words": 24, "questions_overrule": False,
            "last_clauses": 0, "judge_questions": False, "min_other_turns": 0, "scoring": "nearest", "top_k": 3,
            "min_confidence": 0.3, "confident_at": 0.0, "confident_min_words": 0, "learn_from": "", "labels": (),
            "ignore_labels": (), "neighbours": 0, "neighbour_similarity": 0.7, "whole_turn": True, "tail_words": 16,
            "classifier_model": "", "second_opinion": "", "second_opinion_below": 0.5}
    lists = frozenset({"sounds_like", "not_like", "unless", "labels", "ignore_labels"})
    positive = ("threshold", "min_words", "max_words", "top_k")
    tunable = ("threshold", "margin", "min_confidence", "confident_at", "confident_min_words", "top_k",
               "neighbours", "neighbour_similarity", "tail_words", "second_opinion_below")
    default_why = "Sounds like \"{example}\": \"{clause}\""

    def check(self, trig: "Trigger", data: dict, at: Problems) -> None:
        super().check(trig, data, at)
        if not trig.sounds_like and not trig.sounds_like_from:
            at.table(f"trigger '{trig.name}' needs sounds_like (examples that mean the intent) or sounds_like_from")
        _check_ref(trig, "sounds_like_from", at)
        if "threshold" in data and not 0 < trig.threshold <= 1:
            at.key("threshold", "'threshold' must be more than 0 and at most 1")
        if "margin" in data and not -1 <= trig.margin <= 1:
            at.key("margin", "'margin' must be between -1 and 1")
        if "min_confidence" in data and not 0 <= trig.min_confidence <= 1:
            at.key("min_confidence", "'min_confidence' must be between 0 and 1")
        if "confident_at" in data and not 0 <= trig.confident_at <= 1:
            at.key("confident_at", "'confident_at' must be between 0 and 1 (0: off)")
        elif trig.confident_at and trig.scoring != "classifier":
            at.key("confident_at", "'confident_at' trusts the classifier alone: it needs scoring = \"classifier\"")
        if "tail_words" in data and not (trig.tail_words == 0 or trig.min_words <= trig.tail_words <= trig.max_words):
            at.key("tail_words", "'tail_words' must be 0 (off) or from min_words to max_words")
        if "confident_min_words" in data and trig.confident_min_words < 0:
            at.key("confident_min_words", "'confident_min_words' must be 0 or more")
        elif trig.confident_min_words and trig.scoring != "classifier":  # confident_at = 0 only switches both off
            at.key("confident_min_words", "'confident_min_words' limits confident_at, which trusts the "
                                          "classifier alone: it needs scoring = \"classifier\"")
        if data.get("whole_turn") is True and not _sure_at(trig):
            at.key("whole_turn", "'whole_turn' judges a whole turn through the classifier alone: it needs "
                                 "scoring = \"classifier\" and confident_at")
        from .embedding import MODELS  # numpy only where a rule uses intents
        from .intents import SCORINGS

        if trig.scoring not in SCORINGS:
            at.key("scoring", f"'scoring' must be one of {', '.join(SCORINGS)}, not {trig.scoring!r}")
        if trig.model not in MODELS:
            at.key("model", f"'model' must be one of {', '.join(MODELS)}, not {trig.model!r}")
        for key, what in (("classifier_model", "is the embedding the classifier reads"),
                          ("second_opinion", "is a second fit of the classifier")):
            name = getattr(trig, key)
            if name and name not in MODELS:
                at.key(key, f"'{key}' must be one of {', '.join(MODELS)}, not {name!r}")
            elif name and trig.scoring != "classifier":
                at.key(key, f"'{key}' {what}: it needs scoring = \"classifier\"")
        if trig.scoring == "classifier" and trig.second_opinion in MODELS \
                and trig.second_opinion == (trig.classifier_model or trig.model):
            at.key("second_opinion", f"'second_opinion' must be another embedding than the one the classifier "
                                     f"reads ({trig.second_opinion!r}): the same fit would only veto itself")
        if "second_opinion_below" in data and not 0 <= trig.second_opinion_below <= 1:
            at.key("second_opinion_below", "'second_opinion_below' must be between 0 and 1")
        elif "second_opinion_below" in data and not trig.second_opinion:
            at.key("second_opinion_below", "'second_opinion_below' is the bar of the second opinion: it needs "
                                           "second_opinion")
        for key in ("sounds_like", "not_like"):
            for text in getattr(trig, key):
                if len(text.split()) < 1:
                    at.item(key, text, f"an empty example in '{key}'")
        if (trig.learn_from or trig.labels) and trig.scoring != "classifier":
            at.key("learn_from" if trig.learn_from else "labels",
                   "'learn_from' and 'labels' teach the classifier: they need scoring = \"classifier\"")
        if bool(trig.learn_from) != bool(trig.labels):
            at.key("learn_from" if trig.learn_from else "labels",
                   "'learn_from' (the utterance file) and 'labels' (its rows that mean the intent) go together")
        if "neighbours" in data and not 0 <= trig.neighbours <= 50:  # a whole number: the rule file's type check
            at.key("neighbours", "'neighbours' must be a whole number between 0 (off) and 50")
        elif trig.neighbours and not trig.learn_from:
            at.key("neighbours", "'neighbours' asks the rows of the utterance file: it needs learn_from and labels")
        if "neighbour_similarity" in data and not 0 <= trig.neighbour_similarity <= 1:
            at.key("neighbour_similarity", "'neighbour_similarity' must be between 0 and 1")
        elif "neighbour_similarity" in data and not trig.neighbours:
            at.key("neighbour_similarity", "'neighbour_similarity' is the bar of the rows' vote: it needs neighbours")
        if trig.ignore_labels and not trig.learn_from:
            at.key("ignore_labels", "'ignore_labels' leaves rows of the utterance file out of the fit: it needs "
                                    "learn_from and labels")
        for label in sorted(set(trig.ignore_labels) & set(trig.labels)):
            at.item("ignore_labels", label, f"'{label}' is in both 'labels' and 'ignore_labels'")

    def check_phrases(self, trig: "Trigger", classes: dict, at: Problems) -> None:
        _check_phrase_list(trig, "unless", classes, False, at)

    def compile(self, ct: "CompiledTrigger", rule: "Rule", rules: dict[str, "Rule"], at: Problems) -> bool:
        trig = ct.trigger
        positives, negatives = tuple(trig.sounds_like), tuple(trig.not_like)
        if trig.sounds_like_from:
            found = _borrowed(trig, "sounds_like_from", rules, at)
            if found is None:
                return False
            source = found[1]
            positives += tuple(source.sounds_like)
            negatives += tuple(source.not_like)
        from .embedding import EmbeddingUnavailable
        from .intents import Neighbours, intent_for

        learned: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())
        table: tuple[str, ...] = ()
        if trig.learn_from and trig.scoring == "classifier":
            found_rows = _learned_rows(rule, trig, at)
            if found_rows is None:
                return False
            learned, table = found_rows
        from .embedding import load_embedder  # numpy only where a rule uses intents

        # the trigger's own model first: onnxruntime's load needs about 28 MB more than the session keeps, a
        # peak that stays under the rules' settled memory only while the process is still small
        for key in ("model", "classifier_model", "second_opinion"):
            if getattr(trig, key) and (key == "model" or trig.scoring == "classifier"):
                try:
                    load_embedder(getattr(trig, key), lean=key == "second_opinion")
                except EmbeddingUnavailable as exc:
                    at.key(key, f"trigger '{trig.name}': {exc}")
                    return False
        try:
            # a classifier is fit against every other intent's examples too (sorted: the fit is the same
            # whatever order the files load in)
            # (not those of intents that share a label with this one, or one it ignores: "we're all set" is a
            # brush-off and, the second time, a repeated no)
            near = set(trig.labels) | set(trig.ignore_labels)
            background = () if trig.scoring != "classifier" else tuple(sorted({
                t for r in rules.values() for other in r.triggers if other.kind == "intent"
                and not set(other.labels) & near for t in other.sounds_like} - set(positives)))
            vote = Neighbours(trig.neighbours, table) if trig.neighbours and table else None
            ct.intent = intent_for(positives, negatives, trig.model, trig.scoring, trig.top_k, background,
                                   learned, vote, trig.classifier_model, rows=table)
            # the same fit on another embedding, asked only in a turn where the first found the meaning (no
            # rows' vote: only its confidence is read)
            ct.second = intent_for(positives, negatives, trig.model, trig.scoring, trig.top_k, background,
                                   learned, None, trig.second_opinion, lean=True, rows=table) \
                if trig.second_opinion and trig.scoring == "classifier" else None
        except EmbeddingUnavailable as exc:
            at.key("model", f"trigger '{trig.name}': {exc}")
            return False
        ct.unless = phrase_set(trig.unless, rule.classes, False, False) if trig.unless else None
        return True

    def evaluate(self, det, crule, ct, ctx, ignore_used):
        rule, trig = crule.rule, ct.trigger
        if not ctx.turn_over or ctx.speaker != rule.listen or ct.intent is None:
            return None
        turn = ctx.turn()
        if not turn.words:
            return None
        if trig.min_other_turns and _turns_before(det.tracker, ctx.update.segment, trig.min_other_turns) \
                < trig.min_other_turns:
            return None  # e.g. a sign-off needs a conversation to close: not the rep's greeting
        if ct.unless is not None and ct.unless.search(turn.toks, fuzzy=False):
            return None
        clauses = ctx.clauses(turn)
        knows = ct.intent.embedder.knows
        texts = [unnamed(clause_text(c.tokens), c.names, knows) for c in clauses]
        first = max(0, len(clauses) - trig.last_clauses) if trig.last_clauses else 0  # a turn may have fewer
        # a clause the recogniser ran together from several statements ("were all set thanks weve got a guy
        # for that") is also judged statement by statement; only clauses and statements of min_words to
        # max_words words go through the model: not "thanks", not a whole pitch
        # (a turn with any punctuation has its statements split already)
        run_on = not any(ch in w.word for w in turn.words for ch in _PUNCT)
        parts: dict[int, list[str]] = {}
        # "I'm going to stop you there, ..." says neither brush-off nor exit alone: it is read with the clause it
        # leads into ("..., we're not interested" is a brush-off, "..., the vet's just called my name" an exit)
        # (where that clause is judged at all: "..., is this a sales call?" leaves the preface to be judged alone)
        def unjudged(c: Clause) -> bool:  # (a question tag says no "no": "I'm the cover, aren't I.")
            return c.courtesy or is_tag(c.tokens) or (not trig.judge_questions and is_question(c.text.split()))

        led = {k + 1: k for k, c in enumerate(clauses[:-1]) if k >= first and is_preface(c.tokens)
               and clauses[k + 1].substantive and not unjudged(clauses[k + 1])}
        for k, c in enumerate(clauses):
            if k < first or k + 1 in led or unjudged(c):
                continue
            options = [texts[k]] + (statements(texts[k], trig.min_words) if run_on else [])
            if k in led:  # (the reason right after it, where the two are too long to read whole)
                lead = texts[led[k]].split()
                options.insert(0, " ".join(lead + texts[k].split()[:max(0, trig.max_words - len(lead))]))
            # a text too long to judge whole, by its last tail_words words: where a rambling answer comes to
            # its point ("...he knows where the loading bay is and we just don't want to change that")
            if trig.tail_words > 0:
                options += [_tail(t, min(trig.tail_words, trig.max_words)) for t in options
                            if len(t.split()) > trig.max_words]
            options = [t for t in options if trig.min_words <= len(t.split()) <= trig.max_words]
            if options:
                parts[k] = options
        judged = list(parts)
        # the whole turn counts only where the classifier alone is sure of it (a longer text lands near
        # more examples: "our current tool is awful, this looks better" is 0.61 from a lukewarm one)
        # ... and so does a turn of short clauses none of which is judged alone ("Not bad, I suppose."):
        # together they may say enough
        # ... but not one with a courtesy: "No, thank you." to "anything else?" (real service calls), and "Nope,
        # all set, thanks." there, or "Email's fine, thanks." to "email or a call?", answer the rep's question
        whole = _whole_turn(clauses[first:], texts[first:], trig) \
            if trig.whole_turn and _sure_at(trig) and (judged or not any(c.courtesy for c in clauses[first:])) else ""
        flat = [t for k in judged for t in parts[k]] + ([whole] if whole else [])
        found = iter(ctx.intent_scores(ct, flat))
        need = trig.min_confidence  # a score's confidence is 1 unless a classifier gave it
        scores = {}
        for k in judged:
            options = [_judged(next(found), trig, t) for t in parts[k]]
            scores[k] = max(options, key=lambda s: (s.means(trig.threshold, trig.margin, need), s.similarity))
        span = {k: (clauses[led.get(k, k)].start, clauses[k].end) for k in judged}  # the words each judgement quotes
        if whole:  # judged in the place of the last judged clause (or the last clause), whose stance stands
            as_one, last = _judged(next(found), trig, whole), (judged[-1] if judged else len(clauses) - 1)
            if as_one.confidence >= trig.confident_at and as_one.means(trig.threshold, trig.margin, need) \
                    and not (judged and scores[last].means(trig.threshold, trig.margin, need)):
                judged = judged or [last]
                scores[last], span[last] = as_one, (clauses[first].start, clauses[-1].end)
        meaning = {k: s.means(trig.threshold, trig.margin, need) for k, s in scores.items()}
        # a later clause that says nearly the same agrees with it rather than overruling it
        close = {k: s.means(trig.threshold - 0.1, trig.margin, need) for k, s in scores.items()}
        best = None
        for k in judged:
            if not meaning[k] or not in_scope(clauses, k, lambda j: close.get(j, False), skip_past=trig.skip_past,
                                              questions_overrule=trig.questions_overrule):
                continue
            if best is None or scores[k].similarity > scores[best].similarity:
                best = k
        if best is None:
            return None
        clause = clauses[best]
        lo, hi = span[best]
        ev = Evidence("span", turn.words[lo].start, turn.words[hi - 1].end)
        if not ignore_used and det._consumed(rule.id, ev):
            return None
        tentative = any(turn.tentative[lo:hi])
        if tentative and not ignore_used and not rule.tentative:
            return None  # the rule waits for words the recogniser will not revise
        # last, the dearest check: a second opinion vetoes the turn where it finds the meaning in none of the
        # texts judged above (each clause and statement, and the whole turn where it was read, whichever the
        # quote comes from) ("my husband would probably like it": the plain fit's 0.48 is a deferral; the
        # fine-tuned encoder's fit says 0.09)
        if ct.second is not None and max(s.confidence for s in ctx.intent_scores(ct, flat, second=True)) \
                < trig.second_opinion_below:
            return None
        text = clause.text.strip(" ,.;:") if (lo, hi) == (clause.start, clause.end) else \
            " ".join(w.word.strip() for w in turn.words[lo:hi]).strip(" ,.;:")
        return Hit(trig.name, ctx.speaker, (ev,), turn.words[hi - 1].end,
                   {"evidence": text, "clause": text, "example": scores[best].example,
                    "score": scores[best].similarity}, turn=turn.key, tentative=tentative)


# --- conversation signals ------------------------------------------------------------------


class ClippedStreak(TriggerKind):
    """The prospect gave min_streak short answers in a row to the rep's questions.

    Closing courtesies are not answers that show disengagement: a short reply
    to a rep turn holding one of ``closing_questions`` ("anything else I can
    help you with?") and a reply of nothing but ``closing_answers`` ("no
    thank you", "bye") are left out of the streak; they neither count nor
    break it.  So is the reply to a greeting: a rep turn that ends with one of
    ``greetings`` ("how are you doing today?" -> "good, thanks"; not "how are
    you handling returns?").  A question back as short as a clipped answer
    ("Like what?", or a curt answer the recogniser heard as a question) is
    left out the same way (``signals.is_short_question``).
    """

    name = "clipped_streak"
    keys = {"min_streak": 3, "max_words": 3, "max_answer_s": 1.0, "min_open": 0,
            "closing_questions": (), "closing_answers": (), "greetings": ()}
    lists = frozenset({"closing_questions", "closing_answers", "greetings"})
    positive = ("min_streak", "max_words")
    tunable = ("min_streak", "max_words", "max_answer_s", "min_open")

    @staticmethod
    def is_closing(answer, trig) -> bool:
        """A courtesy at the close of the call, not a clipped answer."""
        if trig.closing_questions and _has_phrase(answer.asked, trig.closing_questions):
            return True
        if trig.greetings and _ends_with_phrase(answer.asked, trig.greetings):
            return True
        return bool(trig.closing_answers) and _only_phrases(answer.text, trig.closing_answers)

    def evaluate(self, det, crule, ct, ctx, ignore_used):
        trig = ct.trigger
        if ctx.reason != "final" or ctx.speaker != "prospect":
            return None
        streak = clipped_streak(det.tracker.answers, trig.max_words, trig.max_answer_s,
                                skip=lambda answer: self.is_closing(answer, trig))
        fresh = [a for a in streak
                 if ignore_used or not det._consumed(crule.rule.id, Evidence("answer", a.start, a.start))]
        if len(fresh) < trig.min_streak or sum(a.after_open_question for a in fresh) < trig.min_open:
            return None
        last = streak[0]
        return Hit(trig.name, "prospect", tuple(Evidence("answer", a.start, a.start) for a in fresh), last.end,
                   {"streak": len(streak), "max_words": trig.max_words,
                    "evidence": " / ".join(a.text for a in reversed(streak))}, turn=last.key)


class MonologueReply(TriggerKind):
    """After min_monologue_s of rep talk, the prospect's reply is only a backchannel.

    When the rep took the floor after a real turn of the prospect's (the rep
    is answering them, not pitching cold): with ``unless_asked`` a reply to
    the answer of their own question does not count, and a reply made of
    nothing but ``acknowledgements`` ("Okay.") accepts what was offered.
    After a cold pitch both still count ("Okay." after a pitch is the classic
    silent reply in the labelled calls), and so does a reply to a second
    long turn the rep went on with after the prospect heard the answer out
    with a backchannel for ``min_monologue_s`` more (``_pitched_on``), or
    ``min_pitched_on_s`` more where their turn ended on asking what the call
    is about (``purpose_questions``).
    """

    name = "monologue_reply"
    keys = {"min_monologue_s": 20.0, "min_pitched_on_s": 20.0, "unless_asked": False, "acknowledgements": (),
            "purpose_questions": ()}
    lists = frozenset({"acknowledgements", "purpose_questions"})
    positive = ("min_monologue_s", "min_pitched_on_s")
    tunable = ("min_monologue_s", "min_pitched_on_s")
    meter = "warn"

    def evaluate(self, det, crule, ct, ctx, ignore_used):
        trig = ct.trigger
        if ctx.reason != "final" or ctx.speaker != "prospect" or ctx.update is None:
            return None
        tracker = det.tracker
        run = tracker.run_of(ctx.update.segment)
        if not all(seg.backchannel for seg in run):
            return None
        before = tracker.run_before(run)
        if not before or before[-1].speaker != "rep" or run[0].start < before[-1].last_end - 0.3:
            return None  # no rep turn before, or said over the rep: listening, not replying
        if _speaking_through(tracker, "rep", run[0].start, 0.3):
            return None  # the rep had gone on before it (words not decoded yet): listening, not replying
        index = tracker.position(run[0])
        span = tracker.monologue_before(index, "rep")
        if span is None or span[1] - span[0] < trig.min_monologue_s:
            return None
        reply = " ".join(t for seg in run for t in seg.texts).strip()
        led = _turn_before(tracker, index)  # the rep took the floor after the prospect said this
        if led is not None:
            # "what's this about?" asks for the pitch: a second long turn after the "mm-hmm" is more of it sooner
            # than the rest of an answer to "how do I reset the router?"
            asked_purpose = _ends_with_phrase(" ".join(led), trig.purpose_questions)
            more_s = trig.min_pitched_on_s if asked_purpose else trig.min_monologue_s
            if trig.unless_asked and is_question(led) and not _pitched_on(tracker, index, span, more_s):
                return None
            if trig.acknowledgements and _only_phrases(reply, trig.acknowledgements):
                return None
        ev = Evidence("reply", run[0].start, run[0].start)
        if not ignore_used and det._consumed(crule.rule.id, ev):
            return None
        return Hit(trig.name, "prospect", (ev,), run[-1].last_end,
                   {"monologue_s": span[1] - span[0], "reply": reply, "evidence": reply}, turn=run[0].id)


def _pitched_on(tracker, index: int, floor: tuple[float, float], min_s: float) -> bool:
    """Did the rep, after a backchannel of the prospect's inside ``floor`` (the rep's floor before
    timeline[index]), talk for ``min_s`` more?  The answer to their question was heard out ("mm-hmm"); a
    second long turn is a pitch of its own (fresh tuned call G g1rs03: "remind me what you do?", a 16 s
    answer, "mm-hmm", 27 s more, "yeah")."""
    since = tracker.monologue_before(index, "rep", through_backchannels=False)
    return since is not None and since[0] > floor[0] and since[1] - since[0] >= min_s


def _only_phrases(text: str, phrases: tuple[str, ...]) -> bool:
    """Is ``text`` nothing but these phrases (repeated or mixed: "okay, okay")?"""
    rest = f" {normalise_words([text]).text} "
    if not rest.strip():
        return False
    for phrase in sorted((normalise_words([p]).text for p in phrases), key=len, reverse=True):
        if phrase:
            rest = rest.replace(f" {phrase} ", " ").replace(f" {phrase} ", " ")
    return not rest.strip()


def _turns_before(tracker, segment, enough: int) -> int:
    """How often the other side spoke (segments that are not only a backchannel) before ``segment``'s
    turn began; counting stops at ``enough``."""
    start = tracker.run_of(segment)[0].start
    count = 0
    for seg in tracker.timeline:
        if seg.start >= start:
            break
        if seg.speaker != segment.speaker and not seg.backchannel:
            count += 1
            if count >= enough:
                break
    return count


def _speaking_through(tracker, speaker: str, t: float, margin: float) -> bool:
    """Had ``speaker`` started speaking (VAD) before ``t`` and not stopped by ``t + margin``?

    Speech whose words are not decoded yet is in no segment, but it is in
    the tracker's speech intervals.
    """
    for iv in reversed(tracker.intervals[speaker]):
        if iv.start < t:
            return iv.end is None or iv.end > t + margin
    return False


def _has_phrase(text: str, phrases: tuple[str, ...]) -> bool:
    """Does ``text`` hold one of these phrases, on word boundaries (normalised: "what's" = "what is")?"""
    padded = f" {normalise_words([text]).text} "
    return any(f" {p} " in padded for p in (normalise_words([q]).text for q in phrases) if p)


def _ends_with_phrase(text: str, phrases: tuple[str, ...]) -> bool:
    """Does ``text`` end with one of these phrases, on a word boundary (normalised)?"""
    padded = f" {normalise_words([text]).text}"
    return any(padded.endswith(f" {p}") for p in (normalise_words([q]).text for q in phrases) if p)


def _turn_before(tracker, index: int) -> list[str] | None:
    """The prospect's last real (not backchannel) turn before timeline[index], or None."""
    for seg in reversed(tracker.timeline[:index]):
        if seg.speaker == "prospect" and not seg.backchannel:
            return [t for s in tracker.run_of(seg) for t in s.texts]
    return None


CONTINUER_GAP_S = 1.5  # a backchannel this close to the words on both sides of it continues the turn


def _asks(segs, last: int) -> bool:
    """Does one of the last ``last`` clauses of these segments ask a question?"""
    clauses = split_clauses([t for s in segs for t in s.texts])
    return any(is_question(c.text.split()) for c in clauses[-last:])


def _over_continuers(tracker, run: list, judged: str) -> list:
    """``run`` (the other side's last real turn) with the same side's earlier pieces that only the
    judged side's continuers split off: "...for a month." / "Mm-hmm." / "And you can see..." is one
    pitch.  A continuer comes within CONTINUER_GAP_S after their words and before they go on, and
    does not answer a question ("Are you the owner?" / "Yes." is an answer)."""
    while True:
        j = tracker.position(tracker.run_of(run[0])[0]) - 1
        if j < 1:
            return run
        nod, before = tracker.timeline[j], tracker.timeline[j - 1]
        if nod.speaker != judged or not nod.backchannel or before.speaker == judged:
            return run
        earlier = [s for s in tracker.run_of(before) if not s.backchannel]
        if not earlier or nod.start - earlier[-1].last_end > CONTINUER_GAP_S \
                or run[0].start - nod.last_end > CONTINUER_GAP_S or _asks(earlier, last=1):
            return run
        run = earlier + run


def turn_before(tracker, segment) -> list:
    """The other side's last real turn before the turn ``segment`` is in ([] where they have not spoken).

    Walking back it skips backchannels of either side and the judged side's own earlier pieces of
    this turn (a rep's "okay" said over the prospect splits their turn in two).  The floor held runs
    back over the judged side's continuers too: "Mm-hmm" in the middle of a pitch does not end it.
    """
    judged = segment.speaker
    index = tracker.position(tracker.run_of(segment)[0])
    for seg in reversed(tracker.timeline[:index]):
        if seg.speaker != judged and not seg.backchannel:
            break
    else:
        return []
    run = [s for s in tracker.run_of(seg) if not s.backchannel] or [seg]
    return _over_continuers(tracker, run, judged)


class TurnBefore(TriggerKind):
    """The other side's last real turn before the judged one held the floor for ``min_turn_s`` or more,
    or (with ``or_question``) ended on a question.

    A verdict needs something to judge: a pitch, or "what do you think?" after one.  "No problem,
    no problem" said in passing is neither, and a real call's small talk is full of such turns.
    The turn is ``turn_before``'s.
    """

    name = "turn_before"
    keys = {"min_turn_s": 4.0, "or_question": True}
    positive = ("min_turn_s",)
    tunable = ("min_turn_s",)

    def evaluate(self, det, crule, ct, ctx, ignore_used):
        rule, trig = crule.rule, ct.trigger
        if ctx.reason not in ("text", "ended", "final") or ctx.speaker != rule.listen or ctx.update is None:
            return None
        run = turn_before(det.tracker, ctx.update.segment)
        if not run:
            return None
        held_s = run[-1].last_end - run[0].start
        if held_s < trig.min_turn_s and not (trig.or_question and _asks(run, last=2)):
            return None
        return Hit(trig.name, run[0].speaker, (), 0.0, {"held_s": held_s}, turn=None)


class Monologue(TriggerKind):
    """The rep has held the floor for min_monologue_s."""

    name = "monologue"
    keys = {"min_monologue_s": 20.0}
    positive = ("min_monologue_s",)
    tunable = ("min_monologue_s",)
    meter = "alert"

    def evaluate(self, det, crule, ct, ctx, ignore_used):
        trig = ct.trigger
        if ctx.reason != "tick":
            return None
        tracker = det.tracker
        span = tracker.monologue_before(len(tracker.timeline), "rep")
        if span is None or not tracker.timeline or tracker.timeline[-1].speaker != "rep":
            return None
        start, end = span
        if tracker.speaking["rep"]:
            end = max(end, ctx.now)
        if end - start < trig.min_monologue_s or ctx.now - end > 2.0:
            return None
        ev = Evidence("monologue", start, start)
        if not ignore_used and det._consumed(crule.rule.id, ev):
            return None
        return Hit(trig.name, "rep", (ev,), ctx.now, {"monologue_s": end - start}, turn=None)


class TalkShare(TriggerKind):
    """The prospect's share of the talk over window_s is below max_share."""

    name = "talk_share"
    keys = {"max_share": 0.15, "window_s": 120.0, "min_talk_s": 60.0}
    positive = ("window_s",)
    tunable = ("max_share", "window_s", "min_talk_s")

    def check(self, trig: "Trigger", data: dict, at: Problems) -> None:
        super().check(trig, data, at)
        if "max_share" in data and not 0 < trig.max_share < 1:
            at.key("max_share", "'max_share' must be between 0 and 1")

    def evaluate(self, det, crule, ct, ctx, ignore_used):
        trig = ct.trigger
        if ctx.reason != "tick" or ctx.now < trig.window_s:
            return None
        rep = det.tracker.talk("rep", ctx.now, trig.window_s)
        prospect = det.tracker.talk("prospect", ctx.now, trig.window_s)
        total = rep + prospect
        if total < trig.min_talk_s or prospect / total >= trig.max_share:
            return None
        ev = Evidence("share", ctx.now - trig.window_s, ctx.now)
        if not ignore_used and det._consumed(crule.rule.id, ev):
            return None
        return Hit(trig.name, "call", (ev,), ctx.now,
                   {"share": 100.0 * prospect / total, "talk_s": total}, turn=None)


class ResponseLatency(TriggerKind):
    """The prospect's last min_count answers came min_latency_s or more after the rep's question."""

    name = "response_latency"
    keys = {"min_latency_s": 2.5, "min_count": 2}
    positive = ("min_count",)
    tunable = ("min_latency_s", "min_count")

    def evaluate(self, det, crule, ct, ctx, ignore_used):
        trig = ct.trigger
        if ctx.reason != "final" or ctx.speaker != "prospect":
            return None
        answered = [a for a in det.tracker.answers if a.after_question and a.latency is not None]
        recent = answered[-trig.min_count:]
        if len(recent) < trig.min_count or any(a.latency < trig.min_latency_s for a in recent):
            return None
        keys = tuple(Evidence("latency", a.start, a.start) for a in recent)
        if not ignore_used and any(det._consumed(crule.rule.id, k) for k in keys):
            return None
        mean = sum(a.latency for a in recent) / len(recent)
        return Hit(trig.name, "prospect", keys, recent[-1].end,
                   {"latency_s": mean, "count": len(recent)}, turn=recent[-1].key)


REGISTRY: dict[str, TriggerKind] = {k.name: k for k in (
    Phrases(), IntentKind(), ClippedStreak(), MonologueReply(), TurnBefore(), Monologue(), TalkShare(), ResponseLatency())}
KINDS = tuple(REGISTRY)


def kind_of(name: str) -> TriggerKind:
    return REGISTRY[name]
