"""Rule evaluation: turns the tracker's updates into cue cards.

The plays are stateful, and that state lives here: which cues fired when
(so plant_seed can require a second effort first), which evidence each cue
has already used (a cue never fires twice on the same words or answers, even
when the recogniser revises a tentative hypothesis into a committed one),
cooldowns, snoozes, rules disarmed until the prospect engages again, and
cues that wait for the speaker to finish.  Rules come from ``rules.py``;
the detector keeps its state across a hot reload.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..audio_facts import CALL_SIDES
from ..config import DetectorSettings
from ..events import Cue, Feedback
from .match import MatchTooSlow, Tokens, count_words, normalise_words
from .profile import Profile
from .clauses import Clause, split_clauses, unfinished
from .rules import CompiledRule, CompiledTrigger, RuleSet
from .signals import Segment, Tracker, Update
from .triggers import REGISTRY, SPAN_TOLERANCE_S, Evidence, Hit, turn_before  # noqa: F401  (some re-exported)

if TYPE_CHECKING:  # pragma: no cover
    from .intents import Score

_NOT = Hit("", "", (), 0.0)  # "not x" held: true, but no evidence of its own


@dataclass
class _Turn:
    words: list
    tentative: list[bool]
    key: int
    speech_ended: bool
    toks: Tokens
    count: int


def _settled(words: list) -> _Turn:
    """The other side's words as one turn that a gate reads (none tentative, no turn key of its own)."""
    texts = [w.word for w in words]
    return _Turn(words, [False] * len(words), -1, True, normalise_words(texts), count_words(texts))


@dataclass
class _Pending:
    due: float
    crule: CompiledRule
    hit: Hit
    held_by: Segment | None = None  # the speaker started again: wait for what this speech brings


@dataclass
class _Fired:
    t: float
    anchor: float
    turn: int | None


class _Context:
    """One evaluation: the update that caused it and per-update caches."""

    def __init__(self, reason: str, now: float, update: Update | None, tracker: Tracker,
                 matches: dict, settings: DetectorSettings = DetectorSettings()) -> None:
        self.s = settings
        self.reason = reason  # text | ended | final | tick
        self.now = now
        self.update = update
        self.speaker = update.speaker if update else ""
        self.tracker = tracker
        self._turn: _Turn | None = None
        self._recent: dict[tuple, _Turn] = {}
        self._clauses: dict[int, list[Clause]] = {}
        self._scores: dict[tuple, list["Score"]] = {}
        self.matches = matches

    @property
    def turn_over(self) -> bool:
        """The speaker's turn is over: its segment closed (``final``), or its speech ended with the
        words heard reaching the end (``ended``: judged now, not after the final decode)."""
        return self.reason in ("final", "ended")

    def clauses(self, turn: _Turn) -> list[Clause]:
        """The turn's clauses (see clauses.py), once per evaluation."""
        found = self._clauses.get(id(turn))
        if found is None:
            found = self._clauses[id(turn)] = split_clauses([w.word for w in turn.words])
        return found

    def intent_scores(self, ct: CompiledTrigger, texts: list[str], second: bool = False) -> list["Score"]:
        """The trigger's intent's scores of ``texts`` (``second``: its second opinion's), once per evaluation."""
        intent = ct.second if second else ct.intent
        key = (id(intent), tuple(texts))
        found = self._scores.get(key)
        if found is None:
            found = self._scores[key] = intent.score(texts)
        return found

    def turn(self) -> _Turn:
        if self._turn is None:
            assert self.update is not None
            run = self.tracker.turn_of(self.update.segment)
            words: list = []
            flags: list[bool] = []
            for seg in run:
                words += seg.committed
                flags += [False] * len(seg.committed)
                words += seg.tentative
                flags += [True] * len(seg.tentative)
            texts = [w.word for w in words]
            self._turn = _Turn(words, flags, run[0].id, run[-1].speech_ended or run[-1].final,
                               normalise_words(texts), count_words(texts))
        return self._turn

    def recent(self, speaker: str, within_s: float) -> _Turn:
        """What ``speaker`` said over the last ``within_s`` seconds, as one turn.

        Counted back from now: a gate's window must cover a long answer and a live call's late
        final decode (reset's logistics and closing questions use 20 s for that).
        """
        key = (speaker, within_s)
        if key not in self._recent:
            since = self.now - within_s
            words: list = []
            for seg in self.tracker.timeline[-self.s.recent_segments:]:
                if seg.speaker == speaker and seg.last_end >= since:
                    words += seg.words
            self._recent[key] = _settled(words)
        return self._recent[key]

    def turn_before(self, within_s: float) -> _Turn:
        """The last ``within_s`` seconds of the other side's last real turn before the judged one
        (``triggers.turn_before``): the question a long answer answers, however long the answer has
        run, and not an opener the rep went on from into a pitch in the same turn."""
        key = ("turn before", within_s)
        if key not in self._recent:
            assert self.update is not None
            words = [w for seg in turn_before(self.tracker, self.update.segment) for w in seg.words]
            if words:
                since = words[-1].end - within_s
                words = [w for w in words if w.end >= since]
            self._recent[key] = _settled(words)
        return self._recent[key]

    def search(self, ct: CompiledTrigger, turn: _Turn) -> list:
        """Phrase matches, remembered by text: a turn is read again when it closes."""
        key = (id(ct.phrases), ct.trigger.fuzzy, turn.toks.text)
        found = self.matches.get(key)
        if found is None:
            assert ct.phrases is not None
            found = ct.phrases.search(turn.toks, fuzzy=ct.trigger.fuzzy)
            if len(self.matches) > self.s.match_cache_size:
                self.matches.clear()
            self.matches[key] = found
        return found


class Detector:
    def __init__(self, ruleset: RuleSet, profile: Profile | None = None, tracker: Tracker | None = None,
                 settings: DetectorSettings | None = None) -> None:
        self.ruleset = ruleset
        self.profile_values = (profile or Profile()).values()
        self.tracker = tracker or Tracker()
        self.s = settings or DetectorSettings()
        self.tick_interval_s = self.s.tick_interval_s
        self.too_slow: set[str] = set()  # rules switched off because their phrases took too long
        self.notices: list[str] = []  # said once by the stage, then cleared
        self.reset()

    def reset(self) -> None:
        self.fired: dict[str, list[_Fired]] = {}
        self.consumed: dict[str, list[Evidence]] = {}
        self.disarmed: set[str] = set()
        self.snoozed_until: dict[str, float] = {}
        self.turn_priority: dict[int, int] = {}
        self.pending: dict[str, _Pending] = {}
        self._last_tick = -1e9

    def set_rules(self, ruleset: RuleSet) -> None:
        """Hot reload: new rules, same history (ids that went away are forgotten)."""
        self.ruleset = ruleset
        self.too_slow = set()  # freshly compiled phrases get a fresh chance
        ids = set(ruleset.ids)
        self.pending = {k: v for k, v in self.pending.items() if k in ids}
        for rule_id, pending in list(self.pending.items()):
            crule = ruleset.get(rule_id)
            if crule is not None:
                pending.crule = crule

    # --- input ---------------------------------------------------------------------------

    def feedback(self, event: Feedback) -> None:
        if event.mark == "snoozed" and event.snooze_s > 0:
            self.snoozed_until[event.cue or "*"] = event.t + event.snooze_s

    def on_update(self, update: Update, now: float) -> list[Cue]:
        if update.kind == "speech" or (update.kind == "text" and not update.segment.announced):
            # words of a segment already judged as over (``ended``) are the same words committed, not more
            self._cancel_pending(update)
            if update.kind == "speech":
                return []
        return self._evaluate(_Context(update.kind, now, update, self.tracker, self.ruleset.matches, self.s))

    def tick(self, now: float) -> list[Cue]:
        cues: list[Cue] = []
        for rule_id, pending in list(self.pending.items()):
            held = pending.held_by
            if held is not None and (held.words or not held.final):
                if held.words:  # (its words normally cancel it at once: _cancel_pending)
                    del self.pending[rule_id]
                continue  # the new speech is still to be heard out
            if now >= pending.due:
                del self.pending[rule_id]
                if self._gate(pending.crule, pending.due) and self._turn_free(pending.crule, pending.hit):
                    t = now if held is not None else max(pending.due, pending.hit.anchor)
                    cues.append(self._fire(pending.crule, pending.hit, t))
        if now - self._last_tick >= self.tick_interval_s:
            self._last_tick = now
            cues += self._evaluate(_Context("tick", now, None, self.tracker, self.ruleset.matches, self.s))
        return cues

    def close(self, now: float) -> list[Cue]:
        """End of the call: cues waiting for their speaker to go on fire now."""
        cues: list[Cue] = []
        for rule_id, pending in sorted(self.pending.items(), key=lambda kv: -kv[1].crule.rule.priority):
            if self._gate(pending.crule, now) and self._turn_free(pending.crule, pending.hit):
                cues.append(self._fire(pending.crule, pending.hit, max(min(pending.due, now), pending.hit.anchor)))
        self.pending.clear()
        return cues

    # --- evaluation --------------------------------------------------------------------------

    def _evaluate(self, ctx: _Context) -> list[Cue]:
        hits: list[tuple[CompiledRule, Hit]] = []
        was_disarmed = set(self.disarmed)
        for crule in self.ruleset.rules:
            rule = crule.rule
            if not self._gate(crule, ctx.now):
                continue
            if rule.fire == "turn_end" and not (ctx.turn_over and ctx.speaker == rule.listen):
                continue
            if rule.id in self.too_slow:
                continue
            try:
                hit = self._when(crule, crule.when, ctx, False)
            except MatchTooSlow as exc:  # a user's pattern must not stall the call: this rule stops
                self.too_slow.add(rule.id)
                self.notices.append(f"cue rule '{rule.id}' ({rule.file}) switched off: {exc}")
                continue
            if hit is None or not hit.keys:
                continue
            wait = rule.settle_s if rule.fire == "turn_end" else 0.0
            if ctx.turn_over and ctx.speaker == rule.listen and unfinished(ctx.turn().toks.tokens):
                wait = max(wait, self.s.unfinished_wait_s)  # "..., but" and a pause: they are likely to go on
            if wait > 0:
                pending = self.pending.get(rule.id)
                if pending is None or not _same_keys(pending.hit.keys, hit.keys):
                    self.pending[rule.id] = _Pending(ctx.now + wait, crule, hit)
                continue
            hits.append((crule, hit))
        cues: list[Cue] = []
        fired_turns: dict[str, int | None] = {}
        for crule, hit in hits:  # already in priority order
            if not self._turn_free(crule, hit) or not self._gate(crule, ctx.now):
                continue
            cues.append(self._fire(crule, hit, ctx.now))
            fired_turns[crule.rule.id] = hit.turn
        if ctx.reason == "final" and ctx.speaker == "prospect" and was_disarmed:
            self._maybe_rearm(ctx, was_disarmed, fired_turns)
        return cues

    def _gate(self, crule: CompiledRule, now: float) -> bool:
        rule = crule.rule
        if not rule.enabled or rule.id in self.disarmed:
            return False
        history = self.fired.get(rule.id)
        if history:
            if rule.once_per_call:
                return False
            if now - history[-1].t < rule.cooldown_s:
                return False
        for key in (rule.id, "*"):
            if now < self.snoozed_until.get(key, -1.0):
                return False
        return self._after_ok(rule.after) and not any(self.fired.get(x) for x in rule.not_after)

    def _after_ok(self, ids: tuple[str, ...]) -> bool:
        """Each cue fired, and the rep has spoken since (the play was tried)."""
        for cue_id in ids:
            history = self.fired.get(cue_id)
            if not history:
                return False
            anchor = history[-1].anchor
            recent = self.tracker.timeline[-self.s.rep_spoke_segments:]
            if not any(seg.speaker == "rep" and seg.start > anchor for seg in reversed(recent)):
                return False
        return True

    def _turn_free(self, crule: CompiledRule, hit: Hit) -> bool:
        """One card per turn: a turn that already gave a cue this important gives no other.

        A more important cue still settling on the same turn (``settle_s``) holds it too:
        a brush-off waiting 0.3 s in case the prospect goes on must not be beaten to the
        card by a lesser cue read from the same words.
        """
        if hit.turn is None:
            return True
        if self.turn_priority.get(hit.turn, -10**9) >= crule.rule.priority:
            return False
        return not any(p.hit.turn == hit.turn and p.crule.rule.priority > crule.rule.priority
                       and p.crule.rule.id != crule.rule.id for p in self.pending.values())

    def _consumed(self, rule_id: str, ev: Evidence) -> bool:
        return any(ev.same_as(c) for c in self.consumed.get(rule_id, ()))

    def _when(self, crule: CompiledRule, node: Any, ctx: _Context, negated: bool) -> Hit | None:
        op = node[0]
        if op == "t":
            return self._trigger(crule, crule.triggers[node[1]], ctx, negated)
        if op == "not":
            return _NOT if self._when(crule, node[1], ctx, True) is None else None
        left = self._when(crule, node[1], ctx, negated)
        if op == "or":
            return left if left is not None and (left.keys or left is _NOT) else self._when(crule, node[2], ctx, negated)
        if left is None:
            return None
        right = self._when(crule, node[2], ctx, negated)
        if right is None:
            return None
        if left is _NOT:
            return right
        if right is _NOT:
            return left
        return Hit(left.trigger, left.speaker, left.keys + right.keys, max(left.anchor, right.anchor),
                   {**right.values, **left.values}, left.variant or right.variant, left.why or right.why,
                   left.turn if left.turn is not None else right.turn, left.tentative or right.tentative)

    # --- triggers ---------------------------------------------------------------------------

    def _trigger(self, crule: CompiledRule, ct: CompiledTrigger, ctx: _Context, ignore_used: bool) -> Hit | None:
        trig = ct.trigger
        if trig.after and not self._after_ok(trig.after):
            return None
        if trig.not_after and any(self.fired.get(x) for x in trig.not_after):
            return None
        kind = REGISTRY[trig.kind]
        hit = kind.evaluate(self, crule, ct, ctx, ignore_used)
        if hit is not None and trig.after and hit.turn is not None and any(
                f.turn == hit.turn for cue_id in trig.after for f in self.fired.get(cue_id, ())):
            # "after X" means a later turn than the one X answered: when X fired late (the rep
            # already talking), the same turn judged again must not count as the next no
            return None
        if hit is not None:
            hit.variant = trig.variant
            hit.why = trig.why or kind.default_why
        return hit

    # --- firing ----------------------------------------------------------------------------------

    def _fire(self, crule: CompiledRule, hit: Hit, t: float) -> Cue:
        rule = crule.rule
        self.fired.setdefault(rule.id, []).append(_Fired(t, hit.anchor, hit.turn))
        self.consumed.setdefault(rule.id, []).extend(hit.keys)
        if hit.turn is not None:
            self.turn_priority[hit.turn] = max(self.turn_priority.get(hit.turn, -10**9), rule.priority)
        if rule.rearm == "engaged":
            self.disarmed.add(rule.id)
        card = rule.variants.get(hit.variant, rule.card) if hit.variant else rule.card
        values = {**self.profile_values, **hit.values}
        title = _fill(card.title or rule.card.title or rule.title, values)
        why = _fill(hit.why or card.why or rule.card.why, values)
        script = tuple(_fill(line, values) for line in (card.script or rule.card.script))
        return Cue(t=t, cue=rule.id, title=title, why=why, script=script, priority=rule.priority,
                   variant=hit.variant, speaker=hit.speaker if hit.speaker in CALL_SIDES else rule.listen,
                   anchor=hit.anchor)

    def _cancel_pending(self, update: Update) -> None:
        """The speaker went on: a turn-end cue waits for the new end instead.

        Speech that starts is held, not yet cancelled: a cough or a breath the
        recogniser finds no words in closes with none, and the card then comes
        (else nothing would judge the turn again: a card lost).
        """
        for rule_id, pending in list(self.pending.items()):
            if pending.crule.rule.listen == update.speaker and _after(update.segment, pending.hit.anchor, self.s.after_tolerance_s):
                if update.kind == "speech":
                    pending.held_by = update.segment
                else:
                    del self.pending[rule_id]

    def _maybe_rearm(self, ctx: _Context, was_disarmed: set[str], fired_turns: dict[str, int | None]) -> None:
        answer = self.tracker.answers[-1] if self.tracker.answers else None
        if answer is None or answer.words < 1:
            return
        for rule_id in was_disarmed:
            crule = self.ruleset.get(rule_id)
            if crule is None:
                self.disarmed.discard(rule_id)
                continue
            if answer.words < crule.rule.engaged_min_words or rule_id in fired_turns:
                continue
            last = self.fired.get(rule_id)
            if last and last[-1].turn == answer.key:
                continue
            if self._when(crule, crule.when, ctx, True) is None:
                self.disarmed.discard(rule_id)


def _same_keys(a: tuple, b: tuple) -> bool:
    """The same evidence: a turn judged when its speech ended and again when its final words came."""
    return len(a) == len(b) and all(x.same_as(y) for x, y in zip(a, b))


def _after(segment: Segment, t: float, tolerance_s: float) -> bool:
    words = segment.words
    start = words[-1].start if words else segment.start
    return start > t + tolerance_s


class _Default(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _fill(template: str, values: dict) -> str:
    try:
        return template.format_map(_Default(values))
    except (ValueError, KeyError, IndexError, AttributeError, TypeError):
        return template
