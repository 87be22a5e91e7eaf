"""The post-call report: figures, Markdown, self-contained HTML with the SVG timeline."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from livecue.cli import main
from livecue.session.log import read_session
from livecue.session.report import to_html, to_markdown
from livecue.session.measures import replay_measures
from livecue.session.summary import summarise

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE = FIXTURES / "session_d04.jsonl"
SRC = Path(__file__).resolve().parents[1] / "src"


@pytest.fixture(scope="module")
def summary():
    return summarise(read_session(FIXTURE))


def spans_from_log(path: Path) -> dict[str, float]:
    """Talk per side straight from the log's speech_end records."""
    talk = {"rep": 0.0, "prospect": 0.0}
    for line in path.read_text().splitlines():
        r = json.loads(line)
        if r["type"] == "speech_end":
            talk[r["speaker"]] += r["t"] - r["start"]
    return talk


def test_talk_share_comes_from_the_speech_spans(summary):
    talk = spans_from_log(FIXTURE)
    assert summary.sides["rep"].talk_s == pytest.approx(talk["rep"])
    assert summary.sides["prospect"].talk_s == pytest.approx(talk["prospect"])
    assert summary.sides["rep"].share == pytest.approx(talk["rep"] / sum(talk.values()))
    assert summary.duration == pytest.approx(33.442)


def test_backchannel_inside_the_rep_turn_does_not_take_the_floor(summary):
    # the fixture has a 0.45 s prospect "mm-hm" at 18.0 inside the rep's 13.6-24.2 turn
    assert [t.speaker for t in summary.turns] == ["rep", "prospect", "rep", "prospect"]
    rep_long = summary.sides["rep"].longest_turn
    assert rep_long.start == pytest.approx(13.573) and rep_long.end == pytest.approx(24.151)
    assert summary.sides["prospect"].longest_turn.start == pytest.approx(24.351)


def test_questions_and_prospect_latency(summary):
    assert summary.sides["rep"].questions == 2  # "Got a minute?" and "... on time?"
    assert summary.sides["prospect"].questions == 0
    assert [r.after_question for r in summary.replies] == [True, True]
    # prospect speech starts 0.2 s after the rep's speech ends, both times
    assert [round(r.latency_s, 3) for r in summary.replies] == [0.2, 0.2]


def test_cues_carry_trigger_feedback_and_what_the_rep_said_next(summary):
    first, second = summary.cues
    assert first.cue.cue == "second_effort" and first.marks == ("helpful",)
    assert first.trigger.speaker == "prospect" and first.trigger.text.startswith("Not really interested")
    assert first.rep_next.text.startswith("I get it")
    assert second.cue.cue == "plant_seed" and second.marks == ("wrong",)
    assert second.trigger.text.startswith("We'll figure it out")
    assert second.rep_next is None


def said(speaker: str, t0: float, t1: float, text: str) -> list:
    """One side saying ``text`` from t0 to t1: speech start, the words committed, speech end."""
    from livecue.events import Committed, SpeechEnded, SpeechStarted, Word

    tokens = text.split()
    step = (t1 - t0) / len(tokens)
    words = tuple(Word(" " + w, t0 + i * step, t0 + (i + 1) * step) for i, w in enumerate(tokens))
    return [SpeechStarted(t0, speaker=speaker), SpeechEnded(t1, speaker=speaker, start=t0),
            Committed(t1, speaker=speaker, text=text, final=True, words=words)]


def turns_of(*lines: list) -> list[tuple[str, float, float]]:
    events = sorted((e for line in lines for e in line), key=lambda e: e.t)
    return [(t.speaker, t.start, t.end) for t in replay_measures(events, 20.0).turns()]


def test_turns_short_answer_is_a_turn_but_mm_hm_is_not():
    # rep asks; prospect answers "No." (0.5 s) after the rep stopped; rep resumes 2 s later
    answer = turns_of(said("rep", 0, 5, "Do you have a budget?"), said("prospect", 5.5, 6.0, "No."),
                      said("rep", 8.0, 12, "Fair enough, most teams don't."))
    assert [speaker for speaker, _, _ in answer] == ["rep", "prospect", "rep"]
    # a backchannel ("right") in a short pause the rep talks straight through
    mm_hm = turns_of(said("rep", 0, 5, "We help clinics cut no-shows"), said("prospect", 5.1, 5.5, "Right."),
                     said("rep", 5.7, 12, "with reminders that patients answer."))
    assert mm_hm == [("rep", 0, 12)]
    # a long interruption takes the floor even though it overlaps
    cut_in = turns_of(said("rep", 0, 10, "Let me walk you through the three plans we offer"),
                      said("prospect", 8, 14, "Sorry, we already have a vendor for that."))
    assert [speaker for speaker, _, _ in cut_in] == ["rep", "prospect"]


def test_markdown_has_both_speakers_cues_and_figures(summary):
    md = to_markdown(summary)
    assert "**[00:01] Rep:** Hi Tom" in md
    assert "**[00:07] Prospect:** Not really interested" in md
    assert "### 1. 00:12 Second effort (`second_effort`) — rep marked it **helpful**" in md
    assert "### 2. 00:30 Plant a seed and exit (`plant_seed`) — rep marked it **wrong**" in md
    talk = spans_from_log(FIXTURE)
    share = round(100 * talk["rep"] / sum(talk.values()))
    assert f"| Talk time | 00:17 ({share}%)" in md
    assert "| Questions asked | 2 | 0 |" in md
    # the cue sits in the transcript after the line that triggered it
    assert md.index("Not really interested") < md.index("> **Cue 1 at 00:12") < md.index("**[00:13] Rep:**")


class Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.stack: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def test_html_parses_holds_the_svg_and_loads_nothing(summary):
    page = to_html(summary)
    parser = Collector()
    parser.feed(page)
    parser.close()
    tags = [t for t, _ in parser.tags]
    assert tags.count("svg") == 1
    assert {"rect", "circle", "polyline", "polygon"} <= set(tags)
    assert "script" not in tags and "link" not in tags and "img" not in tags and "iframe" not in tags
    for _, attrs in parser.tags:
        for name in ("src", "href"):
            value = attrs.get(name)
            assert value is None or value.startswith("#"), f"external reference {name}={value}"
    assert not re.search(r"url\(|@import|https?://(?!www\.w3\.org/2000/svg)", page)
    # cue markers link to cue cards that exist
    ids = {attrs.get("id") for _, attrs in parser.tags}
    links = [attrs["href"] for tag, attrs in parser.tags if tag == "a"]
    assert links and all(link[1:] in ids for link in links)
    text = " ".join(parser.text)
    assert "Second effort" in text and "Plant a seed and exit" in text
    assert "Rep" in text and "Prospect" in text and "Not really interested" in text


def test_html_escapes_transcript_text(tmp_path):
    raw = FIXTURE.read_text().replace("Got a minute?", "Got a <script>alert(1)</script> minute?")
    path = tmp_path / "evil.jsonl"
    path.write_text(raw)
    page = to_html(summarise(read_session(path)))
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_svg_spans_bars_match_the_turns(summary):
    svg = to_html(summary).split("<svg", 1)[1].split("</svg>", 1)[0]
    bars = re.findall(r'<rect x="[\d.]+" y="\d+" width="[\d.]+" height="\d+" rx="2" fill="(#[0-9a-f]+)">', svg)
    assert len(bars) == len(summary.spans)
    assert svg.count('<circle') == len(summary.cues)


def run_cli(*argv: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(SRC))
    return subprocess.run([sys.executable, "-m", "livecue", *argv], capture_output=True, text=True, env=env,
                          timeout=60)


def test_report_command_prints_markdown_by_default(capsys):
    assert main(["report", str(FIXTURE)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Call report: d04_not_interested_twice.wav")


def test_report_command_writes_every_output_privately(tmp_path, capsys):
    outs = {fmt: tmp_path / f"r.{fmt}" for fmt in ("html", "md", "txt", "srt", "vtt", "json")}
    argv = ["report", str(FIXTURE)] + [a for fmt, p in outs.items() for a in (f"--{fmt}", str(p))]
    assert main(argv) == 0
    for fmt, p in outs.items():
        assert p.stat().st_size > 100, fmt
        assert stat.S_IMODE(p.stat().st_mode) == 0o600
    assert capsys.readouterr().out == ""  # nothing on stdout when outputs are named


def test_report_command_on_a_cut_log_reports_with_a_notice(tmp_path, capsys):
    raw = FIXTURE.read_bytes()
    path = tmp_path / "cut.jsonl"
    path.write_bytes(raw[: len(raw) * 2 // 3])
    assert main(["report", str(path), "--html", str(tmp_path / "r.html")]) == 0
    assert "middle of a record" in capsys.readouterr().err
    assert "cut off" in (tmp_path / "r.html").read_text()


def test_report_command_on_a_non_log_is_one_line_and_nonzero(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("call notes\nmore\n")
    result = run_cli("report", str(path))
    assert result.returncode != 0
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "not a livecue session log" in result.stderr
    assert "Traceback" not in result.stderr


def test_report_command_unwritable_output_is_one_line(tmp_path):
    result = run_cli("report", str(FIXTURE), "--html", str(tmp_path / "no" / "such" / "dir" / "r.html"))
    assert result.returncode != 0 and result.stderr.count("\n") == 1 and "cannot write" in result.stderr


def write_log(path: Path, events) -> Path:
    from datetime import datetime, timezone

    from livecue.session.log import SessionLog, SessionSettings

    log = SessionLog(SessionSettings(source="x.wav"), datetime(2025, 1, 1, tzinfo=timezone.utc), path=path,
                     announce=lambda s: None)
    for e in events:
        log.handle(e)
    log.close()
    return path


def test_a_session_with_no_speech_still_reports(tmp_path):
    from livecue.events import SessionEnded, SessionStarted

    path = write_log(tmp_path / "quiet.jsonl", [SessionStarted(source="x.wav"), SessionEnded(12.0)])
    summary = summarise(read_session(path))
    md, page = to_markdown(summary), to_html(summary)
    assert "No cues fired." in md and "00:12 call" in md
    assert "<svg" in page and "Nothing was transcribed." in page


def test_a_log_killed_before_start_reports_what_it_can(tmp_path):
    path = write_log(tmp_path / "early.jsonl", [])
    data = read_session(path)
    assert data.settings.source == "x.wav" and data.events == ()
    assert any("no end record" in n for n in data.notices)
    assert "x.wav" in to_markdown(summarise(data))


def test_a_log_cut_inside_its_first_record_is_a_one_line_error(tmp_path):
    from livecue.errors import LivecueError

    path = tmp_path / "cut.jsonl"
    path.write_bytes(FIXTURE.read_bytes()[:40])
    with pytest.raises(LivecueError, match="cut off before anything was recorded"):
        read_session(path)


def test_lost_audio_during_the_session_is_noted_in_the_report(tmp_path):
    from livecue.events import ChannelStatus, SessionEnded, SessionStarted

    path = write_log(tmp_path / "lost.jsonl", [
        SessionStarted(source="x.wav", mode="live"),
        ChannelStatus(61.0, speaker="prospect", state="lost", detail="device unplugged"),
        ChannelStatus(75.0, speaker="prospect", state="reopened"),
        ChannelStatus(80.0, speaker="rep", state="overflow"),
        ChannelStatus(81.0, speaker="rep", state="overflow"),
        ChannelStatus(90.0, speaker="rep", state="ok"),
        SessionEnded(120.0),
    ])
    notes = summarise(read_session(path)).notices
    assert "at 01:01: Prospect audio lost: device unplugged" in notes
    assert "at 01:20: Rep audio overflow (2 times)" in notes
    assert not any("audio ok" in n for n in notes)


def test_what_the_rep_said_after_a_cue_runs_until_the_prospect_speaks(tmp_path):
    from livecue.events import Committed, Cue, SessionEnded, SessionStarted, Word

    def line(t0, t1, speaker, text):
        return Committed(t1, speaker=speaker, text=text, final=True, words=(Word(" " + text, t0, t1),))

    path = write_log(tmp_path / "reply.jsonl", [
        SessionStarted(source="x.wav"),
        line(1.0, 4.0, "prospect", "not interested"),
        Cue(4.6, cue="second_effort", title="Second effort", speaker="prospect", anchor=4.0),
        line(5.0, 7.0, "rep", "I hear you."),
        line(9.0, 11.0, "rep", "Quick question?"),
        line(12.0, 13.0, "prospect", "go on"),
        line(14.0, 15.0, "rep", "later line"),
        SessionEnded(16.0),
    ])
    (entry,) = summarise(read_session(path)).cues
    assert entry.trigger.text == "not interested"
    assert entry.rep_next.text == "I hear you. Quick question?"
    assert (entry.rep_next.start, entry.rep_next.end) == (5.0, 11.0)


def test_each_cue_finds_its_lines_by_time_as_a_scan_of_the_call_would():
    # cue_entries looks lines up by start time (a scan per cue made a day-long log's report quadratic);
    # on a shuffled-in-time call it must pick what a plain scan picks.
    import random

    from livecue.session.summary import TranscriptLine, _Lines

    rng = random.Random(7)
    lines = sorted((TranscriptLine(rng.choice(["rep", "prospect"]), start, start + rng.uniform(0.2, 3.0),
                                   f"line {i}") for i, start in enumerate(rng.uniform(0, 200) for _ in range(300))),
                   key=lambda u: (u.start, u.end))
    index = _Lines(lines)
    for t in [rng.uniform(-5, 210) for _ in range(400)] + [u.start for u in lines[::7]]:
        for side in ("rep", "prospect"):
            scanned = [u for u in lines if u.speaker == side and u.start <= t]
            assert index.nearest_before(side, t) == (scanned[-1] if scanned else None)
        after = [u for u in lines if u.start >= t]
        first_rep = next((k for k, u in enumerate(after) if u.speaker == "rep"), None)
        run = []
        if first_rep is not None:
            for u in after[first_rep:]:
                if u.speaker != "rep":
                    break
                run.append(u)
        reply = index.rep_reply(t)
        assert (reply.text if reply else None) == (" ".join(u.text for u in run) if run else None)
        if reply:
            assert (reply.start, reply.end) == (run[0].start, run[-1].end)


@pytest.mark.parametrize("flag", ["--json", "--md", "--txt"])
def test_report_never_writes_over_the_log_it_reads_even_with_force(tmp_path, capsys, flag):
    log = tmp_path / "call.jsonl"
    log.write_bytes(FIXTURE.read_bytes())
    assert main(["report", str(log), flag, str(tmp_path / "." / "call.jsonl"), "--force"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is the session log this report reads" in err
    assert log.read_bytes() == FIXTURE.read_bytes()


def test_a_report_that_cannot_be_written_whole_leaves_the_old_one_as_it_was(tmp_path, monkeypatch, capsys):
    import errno

    import livecue.private_files as private_files

    out = tmp_path / "report.md"
    assert main(["report", str(FIXTURE), "--md", str(out)]) == 0
    old = out.read_bytes()
    real_fdopen = private_files.os.fdopen

    class FullDisk:
        def __init__(self, fd, mode):
            self.f = real_fdopen(fd, mode)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

        def write(self, data):
            self.f.write(data[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(private_files.os, "fdopen", FullDisk)
    capsys.readouterr()
    assert main(["report", str(FIXTURE), "--md", str(out)]) == 2
    assert capsys.readouterr().err.strip().endswith("No space left on device")
    assert out.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.md"]  # no temporary file left
