"""``livecue sessions``: the past session logs in a directory."""

from __future__ import annotations

from pathlib import Path

from livecue.cli import main

FIXTURE = Path(__file__).parent / "fixtures" / "session_d04.jsonl"


def test_lists_sessions_with_date_source_length_and_cues(tmp_path, capsys):
    (tmp_path / "2025-03-04_10-30-00_d04.jsonl").write_bytes(FIXTURE.read_bytes())
    cut = FIXTURE.read_bytes()[:2500]
    (tmp_path / "2025-03-05_09-00-00_cut.jsonl").write_bytes(cut)
    (tmp_path / "random.jsonl").write_text("not a log\n")
    assert main(["sessions", "--dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["DATE", "SOURCE", "LENGTH", "CUES", "LOG"]
    full = next(line for line in out if "2025-03-04_10-30-00_d04.jsonl" in line)
    assert full.split()[:6] == ["2025-03-04", "10:30", "d04_not_interested_twice.wav", "00:33", "2",
                                "2025-03-04_10-30-00_d04.jsonl"]
    assert "(cut)" in next(line for line in out if "_cut.jsonl" in line)
    assert not any("random.jsonl" in line for line in out)
    assert "2 in" in out[-1]


def test_empty_directory_says_so(tmp_path, capsys):
    assert main(["sessions", "--dir", str(tmp_path)]) == 0
    assert "no sessions in" in capsys.readouterr().out


def test_missing_directory_is_a_one_line_error(tmp_path, capsys):
    assert main(["sessions", "--dir", str(tmp_path / "nope")]) != 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such directory" in err


def test_default_directory_follows_the_user_data_dir(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    sessions = tmp_path / "livecue" / "sessions"
    sessions.mkdir(parents=True)
    (sessions / "2025-03-04_10-30-00_d04.jsonl").write_bytes(FIXTURE.read_bytes())
    assert main(["sessions"]) == 0
    assert "d04_not_interested_twice.wav" in capsys.readouterr().out
    # and `livecue report` with no log picks the newest there
    assert main(["report"]) == 0
    assert "# Call report: d04_not_interested_twice.wav" in capsys.readouterr().out


def test_report_passes_over_a_newest_entry_that_is_not_a_readable_file(tmp_path, capsys):
    (tmp_path / "2025-03-04_10-30-00_d04.jsonl").write_bytes(FIXTURE.read_bytes())
    (tmp_path / "2025-03-09_00-00-00_loop.jsonl").symlink_to("2025-03-09_00-00-00_loop.jsonl")
    (tmp_path / "2025-03-10_00-00-00_dir.jsonl").mkdir()
    assert main(["report", "--dir", str(tmp_path)]) == 0
    assert "# Call report: d04_not_interested_twice.wav" in capsys.readouterr().out
