"""``livecue devices``: the audio inputs livecue can capture, to pick --rep-input etc."""

from __future__ import annotations

import argparse

from ..audio.devices import list_input_devices
from ..docs import see
from ..terminal_text import json_line, printable


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="a JSON list instead of a table")


def format_table(devices) -> str:
    if not devices:
        return f"no audio inputs found ({see('capture.md')})"
    rows = [("", "index", "name", "host API", "inputs", "default rate")]
    for d in devices:
        rows.append(("*" if d.is_default else "", str(d.index), printable(d.name), printable(d.hostapi),
                     str(d.channels),
                     f"{d.default_rate:g} Hz"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.append("* = default input.  Pick inputs with --rep-input/--prospect-input "
                 "(index or part of the name).")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    devices = list_input_devices()
    if args.json:
        print(json_line([d.to_json() for d in devices]))
    else:
        print(format_table(devices))
    return 0
