"""Transcript exports: speaker labels, and subtitle times that are the logged word times."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from livecue.events import Committed, SessionEnded, SessionStarted, Word
from livecue.session.exports import SubtitleSettings, subtitles, to_json, to_srt, to_txt, to_vtt
from livecue.session.log import read_session
from livecue.session.summary import summarise

FIXTURE = Path(__file__).parent / "fixtures" / "session_d04.jsonl"
STAMP = r"(\d\d):(\d\d):(\d\d)[,.](\d\d\d)"


def seconds(match: tuple[str, ...]) -> float:
    h, m, s, ms = (int(x) for x in match)
    return h * 3600 + m * 60 + s + ms / 1000


def logged_words(path: Path) -> dict[str, list[tuple[float, float]]]:
    words: dict[str, list[tuple[float, float]]] = {"rep": [], "prospect": []}
    for line in path.read_text().splitlines():
        r = json.loads(line)
        if r["type"] == "committed":
            words[r["speaker"]] += [(w["start"], w["end"]) for w in r["words"]]
    return words


def parse_cues(text: str) -> list[tuple[float, float, str]]:
    cues = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = re.fullmatch(STAMP + " --> " + STAMP, line)
        if m:
            groups = m.groups()
            cues.append((seconds(groups[:4]), seconds(groups[4:]), lines[i + 1]))
    return cues


@pytest.fixture(scope="module")
def summary():
    return summarise(read_session(FIXTURE))


@pytest.mark.parametrize("render", [to_srt, to_vtt])
def test_subtitle_times_are_monotonic_and_are_the_logged_word_times(summary, render):
    text = render(summary)
    cues = parse_cues(text)
    assert len(cues) >= 4
    starts = [c[0] for c in cues]
    assert starts == sorted(starts)
    words = logged_words(FIXTURE)
    for start, end, line in cues:
        assert end >= start
        speaker = "rep" if re.match(r"(<v )?Rep[:>]", line) else "prospect"
        assert re.match(r"(<v )?(Rep|Prospect)[:>]", line)
        # a subtitle starts on a logged word start and ends on a logged word end of that speaker
        assert any(abs(start - s) < 0.0015 for s, _ in words[speaker]), (start, line)
        assert any(abs(end - e) < 0.0015 for _, e in words[speaker]), (end, line)


def test_subtitles_cover_every_word_once_in_order(summary):
    text = " ".join(s.text for s in subtitles(summary.utterances))
    logged = []
    for line in FIXTURE.read_text().splitlines():
        r = json.loads(line)
        if r["type"] == "committed":
            logged.append((r["words"][0]["start"], [w["word"].strip() for w in r["words"]]))
    expected = " ".join(w for _, ws in sorted(logged) for w in ws)
    assert text == expected


def test_srt_numbering_and_vtt_header(summary):
    srt = to_srt(summary)
    numbers = [int(line) for line in srt.splitlines() if line.isdigit()]
    assert numbers == list(range(1, len(numbers) + 1))
    vtt = to_vtt(summary)
    assert vtt.startswith("WEBVTT\n\n")
    assert "<v Prospect>Not really interested, thanks." in vtt


def test_long_lines_split_at_sentence_ends_within_limits(summary):
    settings = SubtitleSettings(max_s=6.0, max_chars=84)
    subs = subtitles(summary.utterances, settings)
    assert all(len(s.text) <= settings.max_chars for s in subs)
    assert all(s.end - s.start <= settings.max_s + 1e-6 for s in subs)
    assert "Hi Tom, it's Ana from Ridgeway. We help property managers collect rent on time." in [s.text for s in subs]


def test_overlapping_speakers_stay_in_start_order(tmp_path):
    from livecue.session.log import SessionLog, SessionSettings
    from datetime import datetime, timezone

    log = SessionLog(SessionSettings(), datetime(2025, 1, 1, tzinfo=timezone.utc), path=tmp_path / "o.jsonl",
                     announce=lambda s: None)
    log.handle(SessionStarted())
    # the prospect's words are committed after the rep's but start earlier
    log.handle(Committed(4.0, speaker="rep", text="so as I said", final=True,
                         words=(Word(" so", 2.0, 2.3), Word(" as", 2.4, 2.6), Word(" I", 2.7, 2.8),
                                Word(" said", 3.0, 4.0))))
    log.handle(Committed(3.5, speaker="prospect", text="wait", final=True, words=(Word(" wait", 1.5, 3.5),)))
    log.handle(SessionEnded(5.0))
    log.close()
    cues = parse_cues(to_srt(summarise(read_session(log.path))))
    assert [c[0] for c in cues] == [1.5, 2.0]
    assert cues[0][2] == "Prospect: wait"


def test_txt_has_speaker_labels_and_times(summary):
    lines = to_txt(summary).splitlines()
    assert lines[2].startswith("[00:01] Rep:") and "Got a minute?" in lines[2]
    assert lines[3].startswith("[00:07] Prospect: Not really interested")


def test_json_export_uses_the_labelled_call_utterance_format(summary):
    doc = json.loads(to_json(summary))
    assert doc["channels"] == {"rep": 0, "prospect": 1}
    assert [u["speaker"] for u in doc["utterances"]] == ["rep", "prospect", "rep", "prospect"]
    first = doc["utterances"][0]
    assert first["start"] == first["words"][0]["start"] and first["end"] == first["words"][-1]["end"]
    assert [(c["cue"], c["feedback"]) for c in doc["cues"]] == [("second_effort", ["helpful"]), ("plant_seed", ["wrong"])]
