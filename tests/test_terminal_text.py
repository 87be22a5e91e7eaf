"""Control characters from outside (a file name, a device name, a profile, a log) never reach the terminal.

A second adversarial review planted "\\x1b]0;PWNED\\x07\\x1b[2J" (set the title, clear the screen) and an
OSC 8 link in a file name, a profile and a log: --plain, the overlay, sessions, devices, batch progress,
report to stdout and rules rejudge printed them raw.
"""

import json
from pathlib import Path

from livecue.cli import main
from livecue.events import Committed, Cue, Notice, SessionStarted, Word
from livecue.sinks import JsonSink, PlainSink
from livecue.terminal_text import json_line, printable

HOSTILE = "a\x1b]0;PWNED\x07\x1b[2Jb\rc\x08d\x00e\x9b31m\x7f"
FIXTURE = Path(__file__).parent / "fixtures" / "session_d04.jsonl"


def no_controls(text: str) -> bool:
    return not any((ord(c) < 0x20 and c not in "\t\n") or 0x7F <= ord(c) <= 0x9F for c in text)


def test_printable_shows_every_control_character_but_tab_and_newline():
    shown = printable(HOSTILE + "\tx\ny")
    assert no_controls(shown) and shown.endswith("\tx\ny")
    assert shown.startswith("a\u241b]0;PWNED\u2407\u241b[2Jb\u240dc\u2408d\u2400e\ufffd31m\u2421")
    assert printable("Hi Megan, ça va?") == "Hi Megan, ça va?"
    line = json_line({"text": HOSTILE})
    assert no_controls(line) and json.loads(line) == {"text": HOSTILE}  # JSON keeps the data, escaped


class Out:
    def __init__(self):
        self.text = ""

    def write(self, text):
        self.text += text

    def flush(self):
        pass


def test_the_plain_and_json_streams_print_no_control_character():
    events = [SessionStarted(0.0, source=f"{HOSTILE}.wav"),
              Committed(1.0, "prospect", HOSTILE, (Word(HOSTILE, 0.5, 1.0),), final=True),
              Cue(2.0, "reset", title=HOSTILE, why=HOSTILE, script=(HOSTILE,)),
              Notice(3.0, "warning", HOSTILE)]
    for sink in (PlainSink(Out()), JsonSink(Out())):
        for event in events:
            sink.handle(event)
        assert "PWNED" in sink.stream.text and no_controls(sink.stream.text), sink.stream.text


def test_the_overlay_gets_events_with_printable_text():
    from livecue.ui.bridge import UiSink

    sink = UiSink()
    sink.handle(Committed(1.0, "prospect", HOSTILE, (Word(HOSTILE, 0.5, 1.0),), final=True))
    sink.handle(Cue(2.0, "reset", title=HOSTILE, why="fine", script=(HOSTILE, "ok")))
    committed, cue = sink.drain()
    assert no_controls(committed.text) and no_controls(committed.words[0].word) and committed.final
    assert no_controls(cue.title) and all(no_controls(s) for s in cue.script) and cue.why == "fine"


def test_sessions_and_report_print_a_hostile_log_without_control_characters(tmp_path, capsys):
    lines = []
    for line in FIXTURE.read_text().splitlines():
        record = json.loads(line)
        if record["type"] in ("settings", "started"):
            record["source"] = f"{HOSTILE}.wav"
        if record["type"] == "committed":
            record["text"] = HOSTILE
        lines.append(json.dumps(record))
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "s.jsonl").write_text("\n".join(lines) + "\n")
    assert main(["sessions", "--dir", str(logs)]) == 0
    for fmt in ("md", "txt", "srt", "vtt"):
        assert main(["report", str(logs / "s.jsonl"), f"--{fmt}", "-"]) == 0
    out = capsys.readouterr().out
    assert out.count("PWNED") >= 5 and no_controls(out)


def test_summary_csv_cells_that_start_like_formulas_are_not_formulas(tmp_path):
    """A manifest's rep "=HYPERLINK(...)" or a file in "=1+2/" went into summary.csv as a formula."""
    import csv

    from livecue.library.summary import CallRow, to_csv

    rows = [CallRow(source="lib/=1+2/@SUM(9).flac", rep='=HYPERLINK("http://evil.example","open")', date="+1",
                    tags=("@SUM(1+1)", "-2+3"), status="ok"),
            CallRow(source="calls/plain.wav", rep="Ana", date="2025-01-02", status="ok")]
    table = list(csv.DictReader(to_csv(rows, tmp_path).splitlines()))
    assert [table[0][k] for k in ("path", "rep", "date", "tags")] == [
        "lib/=1+2/@SUM(9).flac", "'=HYPERLINK(\"http://evil.example\",\"open\")", "'+1", "'@SUM(1+1);-2+3"]
    assert [table[1][k] for k in ("path", "rep", "date")] == ["calls/plain.wav", "Ana", "2025-01-02"]


def test_summary_keeps_files_of_those_names_that_livecue_did_not_write(tmp_path, capsys):
    """`summary --out DIR` replaced a coach's own summary.md; report and eval --json already refused."""
    out = tmp_path / "out"
    assert main(["summary", str(FIXTURE), "--out", str(out)]) == 0
    assert main(["summary", str(FIXTURE), "--out", str(out)]) == 0  # its own files: replaced, as before
    (out / "summary.md").write_text("my notes\n")
    capsys.readouterr()
    assert main(["summary", str(FIXTURE), "--out", str(out)]) == 2
    assert "summary.md exists and is not a livecue summary; not overwriting it" in capsys.readouterr().err
    assert (out / "summary.md").read_text() == "my notes\n"


def test_user_files_with_a_control_character_in_their_text_are_refused_at_their_line(tmp_path, capsys):
    # TOML escapes can put ESC, BEL or C1 in a rule title, a profile or a setting: refused where they
    # are written, with file:line, rather than only made harmless where they are shown.
    rules = tmp_path / "rules"
    rules.mkdir()
    shipped = Path(__file__).resolve().parents[1] / "cue_rules"
    for path in shipped.iterdir():
        if path.is_file():
            (rules / path.name).write_bytes(path.read_bytes())
    text = (shipped / "reset.toml").read_text()
    (rules / "reset.toml").write_text(text.replace('title = "Reset"', 'title = "Reset\\u001b]0;PWNED\\u0007"', 1))
    assert main(["rules", "check", str(rules)]) != 0
    err = capsys.readouterr()
    assert "reset.toml:6: 'title' holds a control character (U+001B); remove it" in err.out + err.err

    profile = tmp_path / "profile.toml"
    profile.write_text('name = "Sam"\ncompany = "Bright\\u009bline"\n')
    call = Path(__file__).resolve().parents[1] / "samples" / "sample_call.flac"
    assert main(["replay", str(call), "--profile", str(profile), "--plain", "--no-log"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "profile.toml:2: 'company' holds a control character (U+009B)" in err

    config = tmp_path / "livecue.toml"
    config.write_text('[report]\nutterance_gap_s = 1.0\n\n[asr]\ndevice = "cpu\\u0000"\n')
    assert main(["replay", str(call), "--config", str(config), "--plain", "--no-log"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "livecue.toml:5: 'device' holds a control character (U+0000)" in err
    assert no_controls(err)


def test_a_control_character_in_a_key_is_refused_whatever_its_value():
    import pytest

    from livecue.user_files import ProblemsError, parse_toml

    for text in ('"k\\u0007" = 1\n', '[triggers."x\\u001b]0;PWNED"]\nkind = "phrases"\n', 'a = ["x", "y\\u009b"]\n'):
        with pytest.raises(ProblemsError, match=r"holds a control character \(U\+00(07|1B|9B)\)"):
            parse_toml(text, "f.toml")
    assert parse_toml('ok = "ça va\\u2028\\t é 🙂"\n', "f.toml") == {"ok": "ça va\u2028\t é 🙂"}


def test_eval_refuses_a_cue_name_that_is_not_a_rule_id_and_shows_file_names_escaped(tmp_path, capsys):
    root = Path(__file__).resolve().parents[1]
    call = json.loads((root / "tests" / "calls" / "x01_no_budget_then_run.json").read_text())
    call["expected"] = [{"cue": "\u001b[2Jevil", "from": 1.0, "to": 5.0}]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(call))
    assert main(["eval", str(bad), "--transcript", "-q"]) == 2
    err = capsys.readouterr().err
    assert "is not a rule id" in err and no_controls(err)

    call["expected"] = [{"cue": "reset", "from": 1.0, "to": 5.0}]  # a miss: the call's name is printed
    hostile = tmp_path / "a\x1b]0;PWNED\x07.json"
    hostile.write_text(json.dumps(call))
    main(["eval", str(hostile), "--transcript", "-q"])
    out = capsys.readouterr().out
    assert "PWNED" in out and no_controls(out)


def test_tune_and_eval_progress_show_call_names_escaped(tmp_path, capsys):
    from livecue.tuning.evaluate import stderr_progress
    from livecue.tuning.labels import load_call
    from livecue.tuning.evaluate import CallResult, CueScore, Fired
    from livecue.tuning.sweep import Point, changed_calls

    root = Path(__file__).resolve().parents[1]
    hostile = tmp_path / "x\x1b]0;PWNED\x07.json"
    hostile.write_bytes((root / "tests" / "calls" / "x01_no_budget_then_run.json").read_bytes())
    call = load_call(hostile)
    stderr_progress()(1, 1, call, 0.5)
    err = capsys.readouterr().err
    assert "PWNED" in err and no_controls(err)

    before = Point({}, [CallResult(str(hostile), [])], {}, CueScore(), 0)
    after = Point({}, [CallResult(str(hostile), [Fired("reset", 3.0, "false")])], {}, CueScore(), 1)
    lines = changed_calls(before, after)
    assert len(lines) == 1 and "PWNED" in lines[0] and no_controls(lines[0])


def test_a_control_character_in_a_quoted_key_is_reported_at_the_keys_own_line():
    import pytest

    from livecue.user_files import ProblemsError, parse_toml

    with pytest.raises(ProblemsError) as refused:
        parse_toml('[report]\nutterance_gap_s = 1.0\n\n"x\\u0007y" = 1\n', "f.toml")
    assert [str(p) for p in refused.value.problems] == [
        "f.toml:4: 'x?y' holds a control character (U+0007); remove it"]


def test_a_control_character_in_a_key_of_an_inline_table_is_reported_at_the_line_that_holds_it():
    """An inline table's keys have no line of their own: the line of the key that holds it (the array's "x = [",
    or "y = {"), not none at all ("f.toml: 'a?' holds ...")."""
    import pytest

    from livecue.user_files import ProblemsError, parse_toml

    text = 'id = "x"\n[weird]\nx = [\n  { inner = { "a\\u001b" = 1 } },\n]\ny = { deep = { "b\\u0007" = 2 } }\n'
    with pytest.raises(ProblemsError) as refused:
        parse_toml(text, "f.toml")
    assert [str(p) for p in refused.value.problems] == [
        "f.toml:3: 'a?' holds a control character (U+001B); remove it",
        "f.toml:6: 'b?' holds a control character (U+0007); remove it"]
