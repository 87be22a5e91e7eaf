"""Text from outside livecue (file and device names, transcripts, profiles, rules, logs), safe to print.

A terminal obeys control characters: ESC starts sequences that set the
window title, clear the screen or plant a link (OSC 8), and CR and
backspace overwrite what was shown.  Such a character in text livecue did
not write is shown as a visible stand-in: C0 controls and DEL as their
Unicode control pictures (ESC as "␛"), C1 controls (0x80-0x9f, which some
terminals also obey) as U+FFFD.  Tab and newline stay.  JSON output keeps
its data and escapes DEL and the C1 range the way JSON escapes C0
(``json_line``).
"""

from __future__ import annotations

import json
import re
from typing import Any

CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # what a terminal may obey: C0 but tab and newline, DEL, C1
_PICTURES = {c: 0x2400 + c for c in range(0x20) if c not in (0x09, 0x0A)}
_PICTURES[0x7F] = 0x2421
_PICTURES.update({c: 0xFFFD for c in range(0x80, 0xA0)})
_C1 = re.compile("[\x7f-\x9f]")  # DEL and C1: json.dumps escapes only C0


def printable(text: str) -> str:
    """``text`` with every control character but tab and newline replaced by a visible stand-in."""
    return text.translate(_PICTURES)


def json_line(obj: Any) -> str:
    """``json.dumps`` as livecue writes it (UTF-8 kept), with DEL and C1 controls escaped (``\\u007f``-``\\u009f``)."""
    return _C1.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(obj, ensure_ascii=False))
