"""Write a recogniser-style copy of labelled calls: lower case, no punctuation, no apostrophes.

About a quarter of ../shared/calls-text is printed this way already, and
real recogniser output often is; this renders any labelled calls (the tune
half, ../shared/calls, tests/calls) the same way, to check that the cue
engine reads the situation and not the punctuation (issue 11g).  Labels and
times are kept; hyphens and dashes become spaces ("buy-in" -> "buy in").

    python scripts/asr_style.py OUT_DIR CALLS...
    livecue eval --transcript OUT_DIR
"""
import json
import re
import sys
from pathlib import Path


def asr_text(text: str) -> str:
    text = text.lower().replace("-", " ").replace("\u2014", " ").replace("\u2013", " ")
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s']", "", text).replace("'", "")).strip()


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    n = 0
    for arg in sys.argv[2:]:
        path = Path(arg)
        for f in sorted(path.rglob("*.json") if path.is_dir() else [path]):
            data = json.loads(f.read_text())
            if "utterances" not in data:
                continue
            for u in data["utterances"]:
                u["text"] = asr_text(u["text"])
            (out / f.name).write_text(json.dumps(data))
            n += 1
    print(f"{n} calls written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
