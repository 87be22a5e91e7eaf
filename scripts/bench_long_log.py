"""How the time to report a session log grows with its length (``livecue report``, ``livecue summary``).

Builds logs of one to sixteen hours by repeating the committed 33-second
fixture log (each copy shifted in time, two cues per copy), then times
reading the log, summarising it and rendering the Markdown report, in this
process.  Report time should grow in proportion to the log; the ratio column
shows seconds per hour of call.  ``--src`` runs another checkout's code
(before/after).

    python scripts/bench_long_log.py
    python scripts/bench_long_log.py --src /tmp/before/src --hours 2 4 8
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "session_d04.jsonl"
SHIFTED = ("t", "start", "end", "anchor", "cue_t")


def write_log(path: Path, copies: int) -> float:
    """The fixture's body ``copies`` times over, each copy later by the fixture's length; returns its length in s."""
    records = [json.loads(line) for line in FIXTURE.read_text().splitlines()]
    head, body, end = records[:2], records[2:-1], records[-1]
    span_s = max(r["t"] for r in records) + 0.5
    with path.open("w") as out:
        for record in head:
            out.write(json.dumps(record) + "\n")
        for k in range(copies):
            for record in body:
                record = {key: (value + k * span_s if key in SHIFTED and isinstance(value, (int, float)) else value)
                          for key, value in record.items()}
                if "words" in record:
                    record["words"] = [dict(w, start=w["start"] + k * span_s, end=w["end"] + k * span_s)
                                       for w in record["words"]]
                out.write(json.dumps(record) + "\n")
        out.write(json.dumps(dict(end, t=copies * span_s)) + "\n")
    return copies * span_s


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", default=str(ROOT / "src"), help="the livecue source tree to run")
    ap.add_argument("--hours", type=float, nargs="+", default=[1, 2, 4, 8, 16], help="log lengths to time")
    args = ap.parse_args()
    sys.path.insert(0, args.src)
    from livecue.session.log import read_session
    from livecue.session.report import to_markdown
    from livecue.session.summary import summarise

    print(f"{'call':>6} {'log MB':>7} {'cues':>6} {'read s':>7} {'summary s':>9} {'report s':>8} {'total s':>7} {'s/hour':>6}")
    with tempfile.TemporaryDirectory() as tmp:
        for hours in args.hours:
            path = Path(tmp) / "long.jsonl"
            call_s = write_log(path, max(1, round(hours * 3600 / 33.9)))
            t0 = time.perf_counter()
            data = read_session(path)
            t1 = time.perf_counter()
            summary = summarise(data)
            t2 = time.perf_counter()
            to_markdown(summary)
            t3 = time.perf_counter()
            print(f"{call_s / 3600:>5.1f}h {path.stat().st_size / 1e6:>7.1f} {len(data.cues):>6} {t1 - t0:>7.2f} "
                  f"{t2 - t1:>9.2f} {t3 - t2:>8.2f} {t3 - t0:>7.2f} {(t3 - t0) / (call_s / 3600):>6.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
