#!/usr/bin/env python3
"""Build labelled text calls from a compact spec (a copy of ../shared/calls-text/_build/build.py that
takes the spec and the output folder as arguments).

    python3 build.py e1.txt ../E            # writes ../E/NAME.json for every call in e1.txt
    python3 build.py e1.txt ../E --check    # also prints rep talk before each reset label

Spec format (one call per block):

    == id | title | source keys (comma separated) | options
    R: rep line
    P [cue]: prospect line that completes the evidence for `cue`
    R +1.3 [weak_ending]: rep line, 1.3 s after the previous turn ends
    P [reset?]: a `required: false` window

Options: ``asr`` (lowercase, no punctuation) or ``asr-noapos`` (also no
apostrophes).  Times are synthetic: about 2.6 words per second with a little
jitter per turn, 0.4-1.5 s between speakers, 0.4-0.8 s between two turns of
the same speaker.  A window runs from the start of the tagged turn (``from``)
to 12 s after its end (``anchor`` is the end of the turn).
"""

from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE.parent
CUES = {"reset", "second_effort", "plant_seed", "weak_ending", "decision_maker"}
AFTER_S = 12.0

LINE = re.compile(r"^(R|P)((?:\s+\+[0-9.]+)?)((?:\s+\[[a-z_]+\??\])*)\s*:\s*(.+)$")


def asr(text: str, keep_apostrophes: bool) -> str:
    t = text.lower()
    t = re.sub(r"(?<=\w)-(?=\w)", " ", t)          # mm-hmm -> mm hmm, forty-two -> forty two
    t = re.sub(r"[.,!?;:\"()\u2014\u2013]|(?<!\w)-|-(?!\w)", " ", t)
    if not keep_apostrophes:
        t = t.replace("'", "").replace("\u2019", "")
    return re.sub(r"\s+", " ", t).strip()


def parse(spec: str) -> list[dict]:
    calls: list[dict] = []
    cur = None
    for n, raw in enumerate(spec.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("=="):
            parts = [p.strip() for p in line[2:].split("|")]
            while len(parts) < 4:
                parts.append("")
            cid, title, srcs, opts = parts[:4]
            cur = {"id": cid, "title": title, "sources": [s.strip() for s in srcs.split(",") if s.strip()],
                   "opts": set(opts.split()), "turns": [], "line": n}
            calls.append(cur)
            continue
        m = LINE.match(line)
        if not m or cur is None:
            raise SystemExit(f"spec:{n}: cannot parse: {raw!r}")
        speaker = "rep" if m.group(1) == "R" else "prospect"
        gap = float(m.group(2).strip()[1:]) if m.group(2).strip() else None
        tags = re.findall(r"\[([a-z_]+\??)\]", m.group(3))
        for tag in tags:
            if tag.rstrip("?") not in CUES:
                raise SystemExit(f"spec:{n}: unknown cue {tag!r}")
        cur["turns"].append({"speaker": speaker, "gap": gap, "tags": tags, "text": m.group(4).strip()})
    return calls


def build(call: dict) -> dict:
    rng = random.Random(call["id"])
    opts = call["opts"]
    t = round(rng.uniform(0.6, 1.4), 3)
    utts, expected = [], []
    prev = None
    for turn in call["turns"]:
        text = turn["text"]
        if "asr" in opts or "asr-noapos" in opts:
            text = asr(text, keep_apostrophes="asr-noapos" not in opts)
        if prev is not None:
            if turn["gap"] is not None:
                gap = turn["gap"]
            elif prev["speaker"] == turn["speaker"]:
                gap = rng.uniform(0.4, 0.8)
            else:
                gap = rng.uniform(0.4, 1.5)
            t = round(prev["end"] + gap, 3)
        words = len(text.split())
        rate = rng.uniform(2.4, 2.85)
        dur = max(0.45, words / rate) if words > 3 else 0.35 + 0.28 * words
        end = round(t + dur, 3)
        u = {"speaker": turn["speaker"], "start": t, "end": end, "text": text}
        utts.append(u)
        for tag in turn["tags"]:
            expected.append({"cue": tag.rstrip("?"), "from": t, "anchor": end,
                             "to": round(end + AFTER_S, 3), "required": not tag.endswith("?")})
        prev = u
    duration = round(utts[-1]["end"] + rng.uniform(1.5, 2.5), 3)
    return {
        "version": 1,
        "audio": f"{call['id']}.wav",
        "channels": {"rep": 0, "prospect": 1},
        "title": call["title"],
        "duration": duration,
        "utterances": utts,
        "expected": expected,
        "sources": call["sources"],
    }


def rep_talk_before(data: dict, cue: str) -> list[float]:
    """Seconds of rep speech since the prospect's last turn of more than 3 words, per `cue` label."""
    out = []
    for w in data["expected"]:
        if w["cue"] != cue:
            continue
        talk = 0.0
        for u in data["utterances"]:
            if u["start"] >= w["from"]:
                break
            if u["speaker"] == "prospect" and len(u["text"].split()) > 3:
                talk = 0.0
            elif u["speaker"] == "rep":
                talk += u["end"] - u["start"]
        out.append(round(talk, 1))
    return out


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    spec, out = Path(args[0]), Path(args[1])
    out.mkdir(parents=True, exist_ok=True)
    global OUT
    OUT = out
    calls = parse(spec.read_text(encoding="utf-8"))
    seen = set()
    for call in calls:
        if call["id"] in seen:
            raise SystemExit(f"duplicate id {call['id']}")
        seen.add(call["id"])
        if not 4 <= len(call["turns"]) <= 12:
            raise SystemExit(f"{call['id']}: {len(call['turns'])} turns (want 4-12)")
        data = build(call)
        (OUT / f"{call['id']}.json").write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        if "--check" in sys.argv:
            talk = rep_talk_before(data, "reset")
            cues = ",".join(w["cue"] + ("" if w["required"] else "?") for w in data["expected"]) or "-"
            print(f"{call['id']:6} {len(call['turns']):2} turns {data['duration']:6.1f}s  {cues:40} rep-talk-before-reset={talk}")
    print(f"{len(calls)} calls written to {OUT}")


if __name__ == "__main__":
    main()
