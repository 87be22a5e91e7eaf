"""Reading crafted session logs (issue 10, item 5): bounded work, one-line errors with file:line."""

import json
import time
from pathlib import Path

import pytest

from livecue.cli import main
from livecue.session.timeline import AXIS_Y, _tick_step

FIXTURE = Path(__file__).parent / "fixtures" / "session_d04.jsonl"


def crafted(tmp_path: Path, edit) -> tuple[Path, int]:
    """The fixture with one record changed by ``edit(record) -> record``; returns the path and its line."""
    lines = FIXTURE.read_text().splitlines()
    for number, line in enumerate(lines, 1):
        rec = json.loads(line)
        new = edit(dict(rec))
        if new is not None and new != rec:
            lines[number - 1] = json.dumps(new)
            path = tmp_path / "crafted.jsonl"
            path.write_text("\n".join(lines) + "\n")
            return path, number
    raise AssertionError("nothing edited")


def ended_at(t):
    return lambda r: {**r, "t": t} if r["type"] == "ended" else None


def first_committed(**fields):
    def edit(r):
        if r["type"] != "committed":
            return None
        return {**r, **fields}
    return edit


def first_word(**fields):
    def edit(r):
        if r["type"] != "committed":
            return None
        words = [dict(w) for w in r["words"]]
        words[0].update(fields)
        return {**r, "words": words}
    return edit


def test_a_claimed_call_of_almost_a_week_renders_quickly_with_few_ticks(tmp_path):
    path, _ = crafted(tmp_path, ended_at(6.0e5))
    start = time.perf_counter()
    assert main(["report", str(path), "--html", str(tmp_path / "r.html")]) == 0
    assert time.perf_counter() - start < 20
    html = (tmp_path / "r.html").read_text()
    assert html.count(f'y2="{AXIS_Y + 4}"') <= 12  # axis ticks (was one per hour of claimed time)
    assert _tick_step(6.0e5) * 12 >= 6.0e5 and _tick_step(1e12) * 12 >= 1e12


@pytest.mark.parametrize("edit, message", [
    (ended_at(1e12), "'t' must be between 0 and 604800 s (got 1e+12)"),
    (ended_at(-5), "'t' must be between 0 and 604800 s (got -5)"),
    (first_committed(text=None), "'text' must be text (got null)"),
    (first_committed(speaker=7), "'speaker' must be text (got 7)"),
    (first_word(start=float("nan")), "has a word time that must be a finite number (got nan)"),
    (first_word(end=float("inf")), "has a word time that must be a finite number (got inf)"),
    (ended_at(10 ** 400), "'t' must be a finite number (got 1000000"),  # past floats: isfinite raised OverflowError
    (first_word(start=10 ** 400), "has a word time that must be a finite number"),
], ids=["late", "negative", "null-text", "number-speaker", "nan-word", "inf-word", "huge-int-t", "huge-int-word"])
def test_bad_values_are_one_line_input_errors_with_file_and_line(tmp_path, capsys, edit, message):
    path, number = crafted(tmp_path, edit)
    for argv in (["report", str(path), "--html", str(tmp_path / "r.html")], ["report", str(path), "--md", "-"]):
        code = main(argv)
        err = capsys.readouterr().err
        assert code != 0
        assert "internal error" not in err
        assert f"{path}:{number}: " in err and message in err, err
        assert err.count("\n") == 1
    assert not (tmp_path / "r.html").exists()
