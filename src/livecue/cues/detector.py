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

from dataclasses import dataclass, field
from typing import Any

from ..events import Cue, Feedback
from .match import MatchTooSlow, Tokens, count_words, normalise_words
from .profile import Profile
from .rules import CompiledRule, CompiledTrigger, RuleSet
from .signals import Segment, Tracker, Update, is_clipped

# Evidence spans closer than this are the same words heard twice (tentative, then committed).
SPAN_TOLERANCE_S = 0.3


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


_NOT = Hit("", "", (), 0.0)  # "not x" held: true, but no evidence of its own


@dataclass
class _Turn:
    words: list
    tentative: list[bool]
    key: int
    speech_ended: bool
    toks: Tokens
    count: int


@dataclass
class _Pending:
    due: float
    crule: CompiledRule
    hit: Hit


@dataclass
class _Fired:
    t: float
    anchor: float
    turn: int | None


class _Context:
    """One evaluation: the update that caused it and per-update caches."""

    def __init__(self, reason: str, now: float, update: Update | None, tracker: Tracker,
                 matches: dict) -> None:
        self.reason = reason  # text | final | tick
        self.now = now
        self.update = update
        self.speaker = update.speaker if update else ""
        self.tracker = tracker
        self._turn: _Turn | None = None
        self._recent: dict[tuple, _Turn] = {}
        self.matches = matches

    def turn(self) -> _Turn:
        if self._turn is None:
            assert self.update is not None
            run = self.tracker.run_of(self.update.segment)
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
        """What ``speaker`` said over the last ``within_s`` seconds, as one turn."""
        key = (speaker, within_s)
        if key not in self._recent:
            words: list = []
            for seg in self.tracker.timeline[-30:]:
                if seg.speaker == speaker and seg.last_end >= self.now - within_s:
                    words += seg.words
            texts = [w.word for w in words]
            self._recent[key] = _Turn(words, [False] * len(words), -1, True, normalise_words(texts),
                                      count_words(texts))
        return self._recent[key]

    def search(self, ct: CompiledTrigger, turn: _Turn) -> list:
        """Phrase matches, remembered by text: a turn is read again when it closes."""
        key = (id(ct.phrases), ct.trigger.fuzzy, turn.toks.text)
        found = self.matches.get(key)
        if found is None:
            assert ct.phrases is not None
            found = ct.phrases.search(turn.toks, fuzzy=ct.trigger.fuzzy)
            if len(self.matches) > 4000:
                self.matches.clear()
            self.matches[key] = found
        return found


class Detector:
    def __init__(self, ruleset: RuleSet, profile: Profile | None = None, tracker: Tracker | None = None,
                 tick_interval_s: float = 0.25) -> None:
        self.ruleset = ruleset
        self.profile_values = (profile or Profile()).values()
        self.tracker = tracker or Tracker()
        self.tick_interval_s = tick_interval_s
        self._matches: dict[tuple, list] = {}
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
        self._matches = {}
        self.too_slow = set()  # freshly compiled phrases get a fresh chance
        ids = set(ruleset.ids)
        self.pending = {k: v for k, v in self.pending.items() if k in ids}
        for rule_id, pending in list(self.pending.items()):
            crule = ruleset.get(rule_id)
            if crule is not None:
                pending.crule = crule

    def set_profile(self, profile: Profile) -> None:
        self.profile_values = profile.values()

    # --- input ---------------------------------------------------------------------------

    def feedback(self, event: Feedback) -> None:
        if event.mark == "snoozed" and event.snooze_s > 0:
            self.snoozed_until[event.cue or "*"] = event.t + event.snooze_s

    def on_update(self, update: Update, now: float) -> list[Cue]:
        if update.kind == "speech" or update.kind == "text":
            self._cancel_pending(update)
            if update.kind == "speech":
                return []
        return self._evaluate(_Context(update.kind, now, update, self.tracker, self._matches))

    def tick(self, now: float) -> list[Cue]:
        cues: list[Cue] = []
        for rule_id, pending in list(self.pending.items()):
            if now >= pending.due:
                del self.pending[rule_id]
                if self._gate(pending.crule, pending.due) and self._turn_free(pending.crule, pending.hit):
                    cues.append(self._fire(pending.crule, pending.hit, max(pending.due, pending.hit.anchor)))
        if now - self._last_tick >= self.tick_interval_s:
            self._last_tick = now
            cues += self._evaluate(_Context("tick", now, None, self.tracker, self._matches))
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
            if rule.fire == "turn_end" and not (ctx.reason == "final" and ctx.speaker == rule.listen):
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
            if rule.fire == "turn_end" and rule.settle_s > 0:
                pending = self.pending.get(rule.id)
                if pending is None or pending.hit.keys != hit.keys:
                    self.pending[rule.id] = _Pending(ctx.now + rule.settle_s, crule, hit)
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
            if not any(seg.speaker == "rep" and seg.start > anchor for seg in reversed(self.tracker.timeline[-40:])):
                return False
        return True

    def _turn_free(self, crule: CompiledRule, hit: Hit) -> bool:
        """One card per turn: a turn that already gave a cue this important gives no other."""
        if hit.turn is None:
            return True
        return self.turn_priority.get(hit.turn, -10**9) < crule.rule.priority

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
        kind = trig.kind
        if kind == "phrases":
            hit = self._phrases(crule, ct, ctx, ignore_used)
        elif kind == "clipped_streak":
            hit = self._clipped(crule, ct, ctx, ignore_used)
        elif kind == "monologue_reply":
            hit = self._monologue_reply(crule, ct, ctx, ignore_used)
        elif kind == "monologue":
            hit = self._monologue(crule, ct, ctx, ignore_used)
        elif kind == "talk_share":
            hit = self._talk_share(crule, ct, ctx, ignore_used)
        else:
            hit = self._latency(crule, ct, ctx, ignore_used)
        if hit is not None:
            hit.variant = trig.variant
            hit.why = trig.why
        return hit

    def _phrases(self, crule: CompiledRule, ct: CompiledTrigger, ctx: _Context, ignore_used: bool) -> Hit | None:
        rule, trig = crule.rule, ct.trigger
        if ctx.reason not in ("text", "final") or ctx.speaker != rule.listen or not ct.phrases:
            return None
        other = trig.speaker and trig.speaker != rule.listen
        turn = ctx.recent(trig.speaker, trig.within_s) if other else ctx.turn()
        if not turn.words:
            return None
        if trig.max_turn_words and (turn.count > trig.max_turn_words or (ctx.reason != "final" and not other)):
            return None  # a turn's length is known only when it ends
        if ct.unless is not None and ct.unless.search(turn.toks, fuzzy=False):
            return None
        last_index = len(turn.words) - 1
        for match in ctx.search(ct, turn):
            first = turn.toks.origin[match.start]
            last = turn.toks.origin[match.end - 1]
            ev = Evidence("span", turn.words[first].start, turn.words[last].end)
            if not ignore_used and self._consumed(rule.id, ev):
                continue
            tentative = any(turn.tentative[first:last + 1])
            if tentative and not ignore_used:
                # act on words that may still change only when they are clearly there
                if not rule.tentative or match.edits or (last == last_index and not turn.speech_ended):
                    continue
            evidence = " ".join(w.word.strip() for w in turn.words[first:last + 1]).strip(" ,.;:")
            return Hit(trig.name, trig.speaker or ctx.speaker, (ev,), turn.words[last].end, {"evidence": evidence},
                       turn=None if other else turn.key, tentative=tentative)
        return None

    def _clipped(self, crule: CompiledRule, ct: CompiledTrigger, ctx: _Context, ignore_used: bool) -> Hit | None:
        trig = ct.trigger
        if ctx.reason != "final" or ctx.speaker != "prospect":
            return None
        streak = []
        for answer in reversed(self.tracker.answers):
            if not is_clipped(answer, trig.max_words, trig.max_answer_s):
                break
            if answer.after_question and answer.words:
                streak.append(answer)
        fresh = [a for a in streak
                 if ignore_used or not self._consumed(crule.rule.id, Evidence("answer", a.start, a.start))]
        if len(fresh) < trig.min_streak or sum(a.after_open_question for a in fresh) < trig.min_open:
            return None
        last = streak[0]
        return Hit(trig.name, "prospect", tuple(Evidence("answer", a.start, a.start) for a in fresh), last.end,
                   {"streak": len(streak), "max_words": trig.max_words,
                    "evidence": " / ".join(a.text for a in reversed(streak))}, turn=last.key)

    def _monologue_reply(self, crule: CompiledRule, ct: CompiledTrigger, ctx: _Context,
                         ignore_used: bool) -> Hit | None:
        trig = ct.trigger
        if ctx.reason != "final" or ctx.speaker != "prospect" or ctx.update is None:
            return None
        tracker = self.tracker
        run = tracker.run_of(ctx.update.segment)
        if not all(seg.backchannel for seg in run):
            return None
        before = tracker.run_before(run)
        if not before or before[-1].speaker != "rep" or run[0].start < before[-1].last_end - 0.3:
            return None  # no rep turn before, or said over the rep: listening, not replying
        span = tracker.monologue_before(tracker._index(run[0]), "rep")
        if span is None or span[1] - span[0] < trig.min_monologue_s:
            return None
        ev = Evidence("reply", run[0].start, run[0].start)
        if not ignore_used and self._consumed(crule.rule.id, ev):
            return None
        reply = " ".join(t for seg in run for t in seg.texts).strip()
        return Hit(trig.name, "prospect", (ev,), run[-1].last_end,
                   {"monologue_s": span[1] - span[0], "reply": reply, "evidence": reply}, turn=run[0].id)

    def _monologue(self, crule: CompiledRule, ct: CompiledTrigger, ctx: _Context, ignore_used: bool) -> Hit | None:
        trig = ct.trigger
        if ctx.reason != "tick":
            return None
        tracker = self.tracker
        span = tracker.monologue_before(len(tracker.timeline), "rep")
        if span is None or not tracker.timeline or tracker.timeline[-1].speaker != "rep":
            return None
        start, end = span
        if tracker.speaking["rep"]:
            end = max(end, ctx.now)
        if end - start < trig.min_monologue_s or ctx.now - end > 2.0:
            return None
        ev = Evidence("monologue", start, start)
        if not ignore_used and self._consumed(crule.rule.id, ev):
            return None
        return Hit(trig.name, "rep", (ev,), ctx.now, {"monologue_s": end - start}, turn=None)

    def _talk_share(self, crule: CompiledRule, ct: CompiledTrigger, ctx: _Context, ignore_used: bool) -> Hit | None:
        trig = ct.trigger
        if ctx.reason != "tick" or ctx.now < trig.window_s:
            return None
        rep = self.tracker.talk("rep", ctx.now, trig.window_s)
        prospect = self.tracker.talk("prospect", ctx.now, trig.window_s)
        total = rep + prospect
        if total < trig.min_talk_s or prospect / total >= trig.max_share:
            return None
        ev = Evidence("share", ctx.now - trig.window_s, ctx.now)
        if not ignore_used and self._consumed(crule.rule.id, ev):
            return None
        return Hit(trig.name, "call", (ev,), ctx.now,
                   {"share": 100.0 * prospect / total, "talk_s": total}, turn=None)

    def _latency(self, crule: CompiledRule, ct: CompiledTrigger, ctx: _Context, ignore_used: bool) -> Hit | None:
        trig = ct.trigger
        if ctx.reason != "final" or ctx.speaker != "prospect":
            return None
        answered = [a for a in self.tracker.answers if a.after_question and a.latency is not None]
        recent = answered[-trig.min_count:]
        if len(recent) < trig.min_count or any(a.latency < trig.min_latency_s for a in recent):
            return None
        keys = tuple(Evidence("latency", a.start, a.start) for a in recent)
        if not ignore_used and any(self._consumed(crule.rule.id, k) for k in keys):
            return None
        mean = sum(a.latency for a in recent) / len(recent)
        return Hit(trig.name, "prospect", keys, recent[-1].end,
                   {"latency_s": mean, "count": len(recent)}, turn=recent[-1].key)

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
                   variant=hit.variant, speaker=hit.speaker if hit.speaker in ("rep", "prospect") else rule.listen,
                   anchor=hit.anchor)

    def _cancel_pending(self, update: Update) -> None:
        """The speaker went on: a turn-end cue waits for the new end instead."""
        for rule_id, pending in list(self.pending.items()):
            if pending.crule.rule.listen == update.speaker and _after(update.segment, pending.hit.anchor):
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


def _after(segment: Segment, t: float) -> bool:
    words = segment.words
    start = words[-1].start if words else segment.start
    return start > t + 0.05


class _Default(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _fill(template: str, values: dict) -> str:
    try:
        return template.format_map(_Default(values))
    except (ValueError, KeyError, IndexError, AttributeError, TypeError):
        return template
