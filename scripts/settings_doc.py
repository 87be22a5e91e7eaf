"""Write docs/settings.md, the table of every setting, from the classes in src/livecue/config.py.

    python scripts/settings_doc.py           # rewrite the doc
    python scripts/settings_doc.py --check   # exit 1 if the committed doc is out of date

tests/test_settings_doc.py fails when the doc and the classes disagree.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "settings.md"
sys.path.insert(0, str(ROOT / "src"))

from livecue.config import settings_table  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true", help="only check that the doc is up to date")
    args = p.parse_args()
    text = settings_table()
    current = DOC.read_text(encoding="utf-8") if DOC.is_file() else ""
    if args.check:
        if current != text:
            print(f"{DOC} is out of date: run python scripts/settings_doc.py", file=sys.stderr)
            return 1
        return 0
    if current != text:
        DOC.write_text(text, encoding="utf-8")
        print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
