"""Rule patterns cannot hang a session (issue 10, item 2)."""

import time
from pathlib import Path

import pytest

from livecue.cli import main
from livecue.clock import ManualClock
from livecue.cues import match
from livecue.cues.match import MatchTooSlow, PhraseSet, normalise_words
from livecue.cues.profile import Profile
from livecue.cues.rules import load_rule_dir
from livecue.cues.stage import CueStage
from livecue.cues.transcript import ReferenceLine, utterance_events
from livecue.events import Cue, Notice, SessionStarted

RULE = '''id = "x"
title = "X"
listen = "prospect"
[triggers.t]
kind = "phrases"
phrases = [PHRASE]
[card]
title = "Card"
script = ["Say it"]
[[examples]]
name = "fires"
expect = "fire"
lines = ["0.0-2.0 rep: Hello there?", "2.5-9.0 prospect: LINE"]
[[examples]]
name = "silent"
expect = "silent"
lines = ["0.0-2.0 rep: Hello there?", "2.5-4.0 prospect: Tell me more."]
'''
LONG_LINE = " ".join(["well we looked at this kind of thing before and it was not for us"] * 3)  # 45 words


def rule_dir(tmp_path: Path, phrase: str, line: str = LONG_LINE + " not interested") -> Path:
    (tmp_path / "x.toml").write_text(RULE.replace("PHRASE", '"' + phrase.replace("\\", "\\\\") + '"')
                                     .replace("LINE", line))
    return tmp_path


def test_rules_check_refuses_a_catastrophic_regex_with_file_and_line(tmp_path, capsys):
    path = rule_dir(tmp_path, "re:([a-z]+ ?)+qqzx")
    assert main(["rules", "check", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"{path / 'x.toml'}:6: phrase 're:([a-z]+ ?)+qqzx'" in out and "nested repetition" in out


@pytest.mark.parametrize("pattern,why", [("(a|ab)*c", "repeated alternation"),
                                         ("[a-z ]*[a-z ]*[a-z ]*q", "open-ended repetitions")])
def test_other_costly_regex_shapes_are_refused(pattern, why):
    ps = PhraseSet(["re:" + pattern])
    assert ps.errors and why in ps.errors[0][1]


def test_nested_wildcards_match_in_bounded_time(tmp_path, capsys):
    phrase = "not " + " ".join(["..."] * 12) + " qqzx"
    start = time.perf_counter()
    ps = PhraseSet([phrase])
    toks = normalise_words((LONG_LINE + " not") .split())
    assert ps.search(toks) == []
    assert time.perf_counter() - start < 2.0  # was over 60 s
    # twelve wildcards in a row still mean "up to 36 words"
    assert PhraseSet(["not " + " ".join(["..."] * 12) + " interested"]).search(
        normalise_words("not really at all in any way interested".split()))
    path = rule_dir(tmp_path, phrase.replace("qqzx", "interested"))
    start = time.perf_counter()
    assert main(["rules", "test", str(path)]) == 0
    assert time.perf_counter() - start < 20.0


def test_a_pattern_past_the_time_budget_switches_its_rule_off_and_the_call_goes_on(tmp_path, monkeypatch):
    # two open-ended loops pass the static check but still take seconds on a long turn:
    # the time budget is the net (made tiny here so the test is quick)
    monkeypatch.setattr(match, "MATCH_BUDGET_S", 0.02)
    slow = PhraseSet([r"re:[a-z ]*[a-z ]*\d"])
    assert not slow.errors
    toks = normalise_words(("word " * 1500).split())
    with pytest.raises(MatchTooSlow):
        slow.search(toks)
    with pytest.raises(MatchTooSlow):  # and at once the next time
        slow.search(normalise_words(["hi"]))

    (tmp_path / "slow.toml").write_text(RULE.replace("PHRASE", '"re:[a-z ]*[a-z ]*\\\\d"').replace("LINE", "x"))
    (tmp_path / "ok.toml").write_text(RULE.replace('id = "x"', 'id = "y"').replace("PHRASE", '"not interested"')
                                      .replace("LINE", "x"))
    load = load_rule_dir(tmp_path)
    assert not load.problems
    clock = ManualClock()
    stage = CueStage(load, Profile(), clock, None, signals_per_s=0)
    events = stage.feed(SessionStarted(0.0))
    utts = [ReferenceLine("prospect", 0.0, 60.0, " ".join(["word"] * 1500)),
            ReferenceLine("prospect", 61.0, 63.0, "We are not interested.")]
    start = time.perf_counter()
    for at, event in utterance_events(utts):
        clock.set(max(clock.now(), at))
        events += stage.feed(event)
    events += stage.close(70.0)
    assert time.perf_counter() - start < 30.0
    notices = [e.message for e in events if isinstance(e, Notice)]
    assert any("cue rule 'x'" in m and "switched off" in m for m in notices), notices
    assert len([m for m in notices if "switched off" in m]) == 1
    assert [e.cue for e in events if isinstance(e, Cue)] == ["y"]  # the other rules keep coaching


# --- issue 10, item 11: a rule dropped with the one it depends on is named ------------------------


def test_an_unknown_key_in_second_effort_names_plant_seed_in_the_notice(tmp_path):
    import shutil

    from livecue.cues.rules import shipped_rules_dir
    from livecue.cues.stage import build_cue_stage

    rules = tmp_path / "rules"
    shutil.copytree(shipped_rules_dir(), rules)
    path = rules / "second_effort.toml"
    path.write_text(path.read_text().replace('\ntitle = ', '\nbogus_key = 1\ntitle = ', 1))
    load = load_rule_dir(rules)
    ids = {c.rule.id for c in load.ruleset.rules}
    assert "second_effort" not in ids and "plant_seed" not in ids
    dependent = [p for p in load.problems if p.file.endswith("plant_seed.toml")]
    assert dependent and all("names unknown cue" not in str(p) for p in dependent)
    assert all("which was left out" in str(p) and "second_effort.toml:" in str(p) for p in dependent)
    stage = build_cue_stage(rules, None, ManualClock(), watch=False)
    notices = [e.message for e in stage.feed(SessionStarted(0.0)) if isinstance(e, Notice)]
    assert any("second_effort" in m and "plant_seed (it needs second_effort)" in m for m in notices), notices


def test_nan_and_inf_rule_numbers_are_problems(tmp_path):
    (tmp_path / "x.toml").write_text(RULE.replace('title = "X"', 'title = "X"\ncooldown_s = nan')
                                     .replace("PHRASE", '"not interested"').replace("LINE", "x"))
    load = load_rule_dir(tmp_path)
    assert any(str(p).endswith("'cooldown_s' must be a finite number (got nan)") for p in load.problems)


def test_a_phrase_of_many_ways_runs_under_the_time_budget(monkeypatch):
    # livecue-syntax phrases go to the quick, unbudgeted engine only when few ways can match from one start;
    # ambiguous alternatives or gaps between optional words can be tried in exponentially many (a review found
    # "(so|so so)" x22 took seconds, "... [so]" x8 over three minutes, on the unbudgeted engine)
    monkeypatch.setattr(match, "MATCH_BUDGET_S", 0.05)
    ambiguous = PhraseSet([" ".join(["(so|so so)"] * 22) + " done"])
    gaps = PhraseSet([" ".join(["... [so]"] * 8) + " ... done"])
    assert [timed for _, timed in ambiguous._patterns] == [True]
    assert [timed for _, timed in gaps._patterns] == [True]
    start = time.perf_counter()
    with pytest.raises(MatchTooSlow):
        ambiguous.search(normalise_words(("so " * 60 + "done").split()))
    assert gaps.search(normalise_words(("so " * 60).split())) == []
    assert time.perf_counter() - start < 5.0
    # distinct words in alternatives, and one run of gaps, stay on the quick engine
    plain = PhraseSet(["(not|never) (interested|looking) ... (right now|at the moment)", "we are all set"])
    assert [timed for _, timed in plain._patterns] == [False]
