"""Transcript exports with speaker labels: plain text, SRT, WebVTT and JSON.

Subtitle times are the logged word times (to the millisecond), cues are in
start order, and long lines are split at word boundaries so a subtitle stays
readable.  The JSON export uses the labelled-call ``utterances`` format, so a
logged call can be labelled and replayed for evaluation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from ..config import SubtitleSettings  # the [subtitles] section of the settings file
from ..events import Word, words_text
from .summary import NAMES, CallSummary, TranscriptLine, clock


@dataclass(frozen=True)
class Subtitle:
    speaker: str
    start: float
    end: float
    text: str


def _stamp(t: float, sep: str) -> str:
    ms = int(round(max(t, 0.0) * 1000))
    hours, ms = divmod(ms, 3_600_000)
    minutes, ms = divmod(ms, 60_000)
    seconds, ms = divmod(ms, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{sep}{ms:03d}"


def _ends_clause(word: Word, marks: str = ".?!,;:") -> bool:
    return word.word.rstrip().endswith(tuple(marks))


def subtitles(utterances: tuple[TranscriptLine, ...] | list[TranscriptLine],
              settings: SubtitleSettings = SubtitleSettings()) -> list[Subtitle]:
    """Each line split into readable subtitles, at sentence or clause ends where it can be."""
    out: list[Subtitle] = []

    def emit(speaker: str, chunk: list[Word]) -> None:
        out.append(Subtitle(speaker, chunk[0].start, chunk[-1].end, words_text(chunk)))

    for u in utterances:
        if not u.words:
            out.append(Subtitle(u.speaker, u.start, u.end, u.text))
            continue
        chunk: list[Word] = []
        for w in u.words:
            if chunk and (w.end - chunk[0].start > settings.max_s
                          or len(words_text(chunk + [w])) > settings.max_chars):
                cut = next((i for i in range(len(chunk) - 1, 0, -1) if _ends_clause(chunk[i - 1])
                            and len(words_text(chunk[:i])) >= settings.max_chars / 3), 0)
                emit(u.speaker, chunk[:cut] if cut else chunk)
                chunk = chunk[cut:] if cut else []
            chunk.append(w)
            if _ends_clause(w, ".?!") and len(words_text(chunk)) >= settings.max_chars / 2:
                emit(u.speaker, chunk)
                chunk = []
        if chunk:
            emit(u.speaker, chunk)
    out.sort(key=lambda s: (s.start, s.end))
    return [s for s in out if s.text.strip()]


_NO_TAGS = str.maketrans({"<": "‹", ">": "›"})


def _plain(text: str) -> str:
    """Log text for SRT/TXT, which players and viewers may render as markup: no tag survives."""
    return str(text).translate(_NO_TAGS).replace("\r", " ").replace("\n", " ")


def to_srt(summary: CallSummary, settings: SubtitleSettings = SubtitleSettings()) -> str:
    blocks = []
    for n, s in enumerate(subtitles(summary.utterances, settings), 1):
        blocks.append(f"{n}\n{_stamp(s.start, ',')} --> {_stamp(max(s.end, s.start), ',')}\n"
                      f"{_plain(NAMES.get(s.speaker, s.speaker))}: {_plain(s.text)}\n")
    return "\n".join(blocks)


def _one_line(text: str) -> str:
    return str(text).replace("\r", " ").replace("\n", " ")


def _vtt_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_vtt(summary: CallSummary, settings: SubtitleSettings = SubtitleSettings()) -> str:
    blocks = ["WEBVTT\n"]
    for s in subtitles(summary.utterances, settings):
        blocks.append(f"{_stamp(s.start, '.')} --> {_stamp(max(s.end, s.start), '.')}\n"
                      f"<v {_vtt_text(NAMES.get(s.speaker, s.speaker))}>{_vtt_text(_one_line(s.text))}\n")
    return "\n".join(blocks)


def to_txt(summary: CallSummary) -> str:
    head = f"# {_plain(summary.source or summary.path.name)}"
    if summary.started_at:
        head += f" ({_plain(summary.started_at)})"
    lines = [head, ""]
    width = max(len(NAMES.get(u.speaker, u.speaker)) for u in summary.utterances) if summary.utterances else 0
    for u in summary.utterances:
        lines.append(f"[{clock(u.start)}] {_plain(NAMES.get(u.speaker, u.speaker)) + ':':<{width + 1}} {_plain(u.text)}")
    return "\n".join(lines) + "\n"


def to_json(summary: CallSummary) -> str:
    doc = {
        "version": 1,
        "source": summary.source,
        "started_at": summary.started_at,
        "duration": round(summary.duration, 3),
        "channels": {"rep": 0, "prospect": 1},
        "utterances": [
            {
                "speaker": u.speaker,
                "start": round(u.start, 3),
                "end": round(u.end, 3),
                "text": u.text,
                "words": [w.to_json() for w in u.words],
            }
            for u in summary.utterances
        ],
        "cues": [
            {
                "cue": e.cue.cue,
                "t": round(e.cue.t, 3),
                "anchor": e.cue.anchor,
                "title": e.cue.title,
                "why": e.cue.why,
                "feedback": list(e.marks),
            }
            for e in summary.cues
        ],
    }
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


EXPORTS = {"txt": to_txt, "srt": to_srt, "vtt": to_vtt, "json": to_json}
