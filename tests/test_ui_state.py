"""The overlay's state, without Textual: transcript tails, the card deck, meters."""

from __future__ import annotations

from livecue.events import (
    Committed,
    Cue,
    Level,
    Notice,
    Progress,
    SessionEnded,
    SessionStarted,
    Signals,
    Tentative,
    Word,
)
from livecue.ui.state import CardDeck, OverlaySettings, OverlayState, Transcript, clock_text


def words(start: float, *tokens: str, step: float = 0.4) -> tuple[Word, ...]:
    return tuple(Word(tok, start + i * step, start + i * step + 0.3) for i, tok in enumerate(tokens))


def test_commit_replaces_the_tentative_tail_it_covers():
    tr = Transcript()
    tr.tentative(Tentative(t=1.5, speaker="rep", words=words(0.0, "hi", "tom", "its")))
    assert tr.text_of("rep") == "hi tom its"
    commit = words(0.0, "Hi", "Tom,")
    tr.commit(Committed(t=commit[-1].end, speaker="rep", text="Hi Tom,", words=commit))
    entry = tr.entries[0]
    # the two committed words replaced their tentative versions; the later one stays tentative
    assert entry.committed == "Hi Tom,"
    assert entry.tentative == "its"
    tr.tentative(Tentative(t=2.0, speaker="rep", words=words(0.8, "it's", "Ana")))
    assert tr.text_of("rep") == "Hi Tom, it's Ana"
    assert len(tr.entries) == 1


def test_empty_tentative_clears_the_tail_and_drops_a_turn_with_nothing_committed():
    tr = Transcript()
    tr.tentative(Tentative(t=1.0, speaker="prospect", words=words(0.5, "uh")))
    assert len(tr.entries) == 1
    tr.tentative(Tentative(t=1.2, speaker="prospect"))
    assert tr.entries == []


def test_sides_interleave_in_call_order():
    tr = Transcript()
    tr.commit(Committed(t=1.0, speaker="rep", text="Got a minute?", words=words(0.0, "Got", "a", "minute?"), final=True))
    tr.commit(Committed(t=3.0, speaker="prospect", text="Not really.", words=words(2.0, "Not", "really.")))
    # the rep talks over the prospect, then the prospect goes on after the rep
    tr.commit(Committed(t=3.6, speaker="rep", text="Sure", words=words(3.3, "Sure")))
    tr.commit(Committed(t=4.6, speaker="prospect", text="We're set.", words=words(4.0, "We're", "set.")))
    assert [(e.speaker, e.committed) for e in tr.entries] == [
        ("rep", "Got a minute?"),
        ("prospect", "Not really."),
        ("rep", "Sure"),
        ("prospect", "We're set."),
    ]


def test_words_that_started_before_the_other_side_join_the_open_turn():
    tr = Transcript()
    tr.commit(Committed(t=1.0, speaker="rep", text="So the", words=words(0.0, "So", "the")))
    tr.commit(Committed(t=2.2, speaker="prospect", text="mm-hm", words=words(2.0, "mm-hm")))
    tr.commit(Committed(t=1.9, speaker="rep", text="thing is", words=words(1.2, "thing", "is")))
    assert [(e.speaker, e.committed) for e in tr.entries] == [("rep", "So the thing is"), ("prospect", "mm-hm")]


def test_transcript_keeps_at_most_max_entries():
    tr = Transcript(max_entries=3)
    for i in range(5):
        tr.commit(Committed(t=i + 0.5, speaker="rep", text=f"line {i}", words=words(float(i), "line", str(i)), final=True))
    assert [e.committed for e in tr.entries] == ["line 2", "line 3", "line 4"]


def cue(name: str, t: float, priority: int = 1) -> Cue:
    return Cue(t=t, cue=name, title=name.replace("_", " ").title(), why="because", script=("say this",), priority=priority)


def test_deck_shows_highest_priority_and_queues_the_rest():
    deck = CardDeck(OverlaySettings())
    assert deck.add(cue("reset", 10.0, priority=1), now=10.0)
    assert deck.add(cue("weak_ending", 11.0, priority=3), now=11.0)  # higher: takes over
    assert not deck.add(cue("plant_seed", 12.0, priority=2), now=12.0)  # lower: waits
    assert deck.current.cue.cue == "weak_ending"
    assert [c.cue.cue for c in deck.queue] == ["plant_seed", "reset"]
    assert deck.dismiss().cue.cue == "weak_ending"
    assert deck.current.cue.cue == "plant_seed"


def test_deck_newest_wins_among_equals_and_a_refire_replaces_its_card():
    deck = CardDeck(OverlaySettings())
    deck.add(cue("second_effort", 13.0, priority=2), now=13.0)
    assert deck.add(cue("plant_seed", 30.0, priority=2), now=30.0)
    assert deck.current.cue.cue == "plant_seed"
    deck.add(cue("plant_seed", 31.0, priority=2), now=31.0)
    assert deck.current.cue.t == 31.0
    assert [c.cue.cue for c in deck.queue] == ["second_effort"]


def test_deck_snooze_drops_the_play_for_the_snooze_time():
    deck = CardDeck(OverlaySettings(snooze_s=60.0))
    deck.add(cue("reset", 10.0), now=10.0)
    assert deck.snooze(now=10.0).cue.cue == "reset"
    assert deck.current is None
    assert not deck.add(cue("reset", 40.0), now=40.0)
    assert deck.current is None
    assert deck.add(cue("reset", 71.0), now=71.0)


def test_deck_expires_stale_cards():
    deck = CardDeck(OverlaySettings(card_expire_s=60.0, queued_expire_s=15.0))
    deck.add(cue("reset", 10.0, priority=3), now=10.0)
    deck.add(cue("plant_seed", 12.0, priority=1), now=12.0)
    assert not deck.expire(now=20.0)
    assert not deck.expire(now=28.0)  # the queued card goes quietly
    assert deck.queue == []
    assert deck.expire(now=71.0)
    assert deck.current is None


def test_helpful_keeps_the_card_and_wrong_removes_it():
    deck = CardDeck(OverlaySettings())
    deck.add(cue("reset", 10.0), now=10.0)
    deck.mark_helpful()
    assert deck.current.mark == "helpful"
    deck.mark_wrong()
    assert deck.current is None


def test_state_follows_audio_time_and_marks_what_changed():
    state = OverlayState()
    assert state.feed(SessionStarted(source="call.wav", model="tiny.en", duration=30.0)) >= {"status"}
    assert "meters" in state.feed(Level(t=2.0, speaker="rep", rms_db=-20.0, speaking=True))
    assert state.now == 2.0
    assert "transcript" in state.feed(Committed(t=1.5, speaker="rep", text="hello", words=words(1.0, "hello")))
    assert state.now == 2.0  # a commit of older audio does not move the clock back
    assert "card" in state.feed(cue("reset", 2.5))
    assert state.cards_shown == 1
    state.feed(Progress(t=15.0, duration=30.0))
    assert state.status.progress == 0.5
    state.feed(Notice(t=16.0, level="warning", message="rules/reset.toml:3: unknown key"))
    assert state.status.warnings == 1 and state.transcript.entries[-1].is_notice
    state.feed(SessionEnded(t=30.0, reason="end of input"))
    assert state.status.ended == "end of input"


def test_seek_lets_the_clock_go_back_and_breaks_open_turns():
    state = OverlayState()
    state.feed(Level(t=20.0, speaker="rep", rms_db=-20.0, speaking=True))
    state.feed(Tentative(t=20.0, speaker="rep", words=words(19.0, "half", "a")))
    state.note_seek()
    assert state.transcript.text_of("rep") == ""
    state.feed(Level(t=10.0, speaker="rep", rms_db=-20.0, speaking=True))
    assert state.now == 10.0


def test_monologue_state_uses_the_rules_thresholds():
    state = OverlayState()
    base = dict(monologue_speaker="rep", monologue_warn_s=45.0, monologue_alert_s=90.0)
    state.feed(Signals(t=1.0, monologue_s=30.0, **base))
    assert state.monologue_state() == "ok"
    state.feed(Signals(t=2.0, monologue_s=50.0, **base))
    assert state.monologue_state() == "warn"
    state.feed(Signals(t=3.0, monologue_s=95.0, **base))
    assert state.monologue_state() == "alert"


def test_latency_trend_compares_the_last_answer_with_earlier_ones():
    state = OverlayState()
    for t, latency in ((1.0, 0.5), (2.0, 0.5), (3.0, 0.7), (4.0, 2.3)):
        state.feed(Signals(t=t, response_latency_s=latency))
    assert list(state.latencies) == [0.5, 0.7, 2.3]  # a repeated reading is the same answer
    assert abs(state.latency_trend() - 1.7) < 1e-9


def test_clock_text():
    assert clock_text(0) == "00:00"
    assert clock_text(75.9) == "01:15"
    assert clock_text(3725) == "1:02:05"
