"""The clipped-answer streak leaves closing courtesies out (cue_rules/reset.toml, ``clipped``)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from livecue.cues.rules import load_rule_dir
from livecue.cues.transcript import check_example
from livecue.cues.triggers import REGISTRY

RULES = Path(__file__).resolve().parents[1] / "cue_rules"
CLOSING = "(clipped: closing)"


def closing_failures(rules_dir: Path) -> list[str]:
    load = load_rule_dir(rules_dir)
    assert load.problems == []
    reset = load.ruleset.get("reset")
    return [ex.name for ex in reset.rule.examples if CLOSING in ex.name and check_example(load, "reset", ex)]


def test_the_closing_examples_pass_with_the_shipped_lists():
    assert closing_failures(RULES) == []


def test_without_the_closing_lists_the_courtesies_count_as_clipped_answers(tmp_path):
    """The examples really test the lists: take them out and both closings fire a reset."""
    for f in RULES.glob("*.toml"):
        shutil.copy(f, tmp_path)
    path = tmp_path / "reset.toml"
    text = re.sub(r"closing_(questions|answers) = \[.*?\]\n", "", path.read_text(), flags=re.S)
    assert "closing_questions" not in text.split("[[examples]]")[0]
    path.write_text(text)
    failures = closing_failures(tmp_path)
    assert len(failures) == 2 and all("form answers" in name for name in failures)


def test_is_closing_reads_the_question_and_the_answer():
    from livecue.cues.rule_schema import Trigger
    from livecue.cues.signals import Answer

    kind = REGISTRY["clipped_streak"]
    trig = Trigger(name="clipped", kind="clipped_streak", closing_questions=("anything else i can help",),
                   closing_answers=("no thank you", "bye"))

    def answer(text, asked):
        return Answer(1, 0.0, 1.0, len(text.split()), False, False, True, False, 0.5, text, asked)

    assert kind.is_closing(answer("No.", "Is there anything else I can help you with?"), trig)
    assert kind.is_closing(answer("No thank you, bye.", "Can I do more for you?"), trig)
    assert not kind.is_closing(answer("No.", "Is there anything else you use for it?"), trig)
    assert not kind.is_closing(answer("Thank you, the time.", "What's the hardest part?"), trig)
    empty = Trigger(name="clipped", kind="clipped_streak")
    assert not kind.is_closing(answer("No thank you.", "Anything else I can help you with?"), empty)


def test_a_reply_to_a_greeting_is_manners_but_not_to_a_question_that_starts_like_one():
    from livecue.cues.rule_schema import Trigger
    from livecue.cues.signals import Answer

    kind = REGISTRY["clipped_streak"]
    trig = Trigger(name="clipped", kind="clipped_streak", greetings=("how are you", "how are you doing today"))

    def answer(text, asked):
        return Answer(1, 0.0, 1.0, len(text.split()), False, False, True, False, 0.5, text, asked)

    assert kind.is_closing(answer("Good, thanks.", "Hi Pat, it's Sam from Routeway. How are you doing today?"), trig)
    assert kind.is_closing(answer("Fine.", "hi pat its sam how are you"), trig)
    assert not kind.is_closing(answer("Manually.", "How are you handling restocking right now?"), trig)
