"""The toolkit for user-edited files (issue 13): one regular-file check, one line map, one set of type
checks, and rule keys derived from the rule dataclasses."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from livecue.cues import rule_file, rule_schema
from livecue.cues.rules import load_rule_dir
from livecue.cues.triggers import REGISTRY
from livecue.errors import LivecueError
from livecue.user_files import TomlLines, file_kind, read_user_text, regular_file, type_problem

GOOD = '''id = "x"
title = "X"
after = ["y"]
[triggers.t]
kind = "phrases"
phrases = ["not interested"]
[card]
title = "Card"
[[examples]]
name = "fires"
expect = "fire"
lines = ["0.0-2.0 rep: Hello there?", "2.5-4.0 prospect: Not interested."]
[[examples]]
name = "silent"
expect = "silent"
lines = ["0.0-2.0 rep: Hello there?", "2.5-4.0 prospect: Tell me more."]
'''


def test_the_regular_file_check_names_what_the_path_is(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    cases = {tmp_path: "is a directory, not a rule file", fifo: "is a pipe, not a rule file",
             Path("/dev/null"): "is a device, not a rule file", tmp_path / "gone": "no such file"}
    for path, message in cases.items():
        with pytest.raises(LivecueError) as err:
            regular_file(path, "a rule file")
        assert str(err.value) == f"{path}: {message}"
    with pytest.raises(LivecueError) as err:
        read_user_text(fifo, "profile")
    assert str(err.value) == f"{fifo}: is a pipe, not a profile"
    assert file_kind(os.stat(tmp_path).st_mode) == "a directory"
    (tmp_path / "f").write_text("x")
    assert file_kind(os.stat(tmp_path / "f").st_mode) is None


def test_audio_files_use_the_same_check(tmp_path):
    from livecue.audio.files import _check_path

    fifo = tmp_path / "call.wav"
    os.mkfifo(fifo)
    with pytest.raises(LivecueError) as err:
        _check_path(fifo)
    assert str(err.value) == f"{fifo}: is a pipe, not an audio file (livecue reads recordings from regular files)"


def test_type_words_are_shared_and_overridable():
    assert type_problem(True, int) == "an integer" and type_problem(1.5, int) == "an integer"
    assert type_problem(1.5, int, {int: "a whole number"}) == "a whole number"
    assert type_problem(2, float) is None and type_problem("2", float) == "a number"
    assert type_problem("x", list) == "a list" and type_problem(["x"], list) is None


def test_line_map_finds_keys_tables_and_array_items():
    lines = TomlLines('a = 1\n[vad]\nthreshold = 0.5\n[[examples]]\nlines = [\n  "one",\n  "two",\n]\n')
    assert lines.key((), "a") == 1
    assert lines.key(("vad",), "threshold") == 3
    assert lines.key(("vad",), "missing") == 2  # the table's line
    assert lines.key((), "vad") == 2
    assert lines.item(("examples", 0), "lines", "two") == 7


def test_rule_keys_and_types_come_from_the_dataclasses():
    fields = {f.name for f in dataclasses.fields(rule_schema.Rule)}
    assert set(rule_schema.RULE_KEYS) == fields - {"file"}
    assert set(rule_schema.EXAMPLE_KEYS) == {f.name for f in dataclasses.fields(rule_schema.Example)} - {"line"}
    assert rule_schema.CARD_KEYS == ("title", "why", "script")
    assert rule_schema.COMMON_TRIGGER_KEYS == ("kind", "variant", "why", "after", "not_after")
    assert rule_schema.RULE_TYPES["priority"] is int and rule_schema.RULE_TYPES["cooldown_s"] is float
    assert rule_schema.RULE_TYPES["after"] is list and rule_schema.EXAMPLE_TYPES["count"] is int


def test_every_trigger_kind_key_is_a_trigger_field_of_the_type_of_its_default():
    for name, kind in REGISTRY.items():
        for key, default in kind.keys.items():
            expected = list if key in kind.lists else type(default)
            assert rule_schema.trigger_key_type(key) is expected, f"{name}.{key}"


def test_a_new_rule_field_is_a_key_without_declaring_it_again():
    @dataclasses.dataclass(frozen=True)
    class Wider(rule_schema.Rule):
        mood: str = ""

    assert "mood" in rule_schema.keys_of(Wider) and "file" not in rule_schema.keys_of(Wider)


def test_compilation_reads_no_file_again(tmp_path, monkeypatch):
    """Each rule file is read once; cross-file problems still get their line."""
    (tmp_path / "x.toml").write_text(GOOD)
    reads: list[Path] = []
    real = rule_file.read_user_text

    def counting(path, what, *a, **k):
        reads.append(Path(path))
        return real(path, what, *a, **k)

    monkeypatch.setattr(rule_file, "read_user_text", counting)
    monkeypatch.setattr(Path, "read_text", lambda *a, **k: pytest.fail("a file was read again"))
    load = load_rule_dir(tmp_path)
    assert reads == [tmp_path / "x.toml"]
    assert [str(p) for p in load.problems] == [f"{tmp_path / 'x.toml'}:3: 'after' names unknown cue 'y'"]
