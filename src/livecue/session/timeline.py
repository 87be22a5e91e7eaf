"""The call as one picture: an inline SVG (no scripts, no fonts, no links out).

Two lanes show when each side spoke, with long monologues outlined; numbered
markers show where cues fired (coloured by the rep's feedback, linking to the
cue's card); below, the rep's share of talk over a rolling window.
"""

from __future__ import annotations

import math

from html import escape

from ..audio_facts import CALL_SIDES
from .summary import NAMES, CallSummary, clock

WIDTH = 1000
LEFT = 84  # room for the lane labels
RIGHT = 16
PLOT = WIDTH - LEFT - RIGHT

COLOURS = {"rep": "#2563eb", "prospect": "#ea580c"}
LIGHT = {"rep": "#dbe7fd", "prospect": "#fde3d3"}
MARK_COLOURS = {"helpful": "#16a34a", "wrong": "#dc2626", "dismissed": "#6b7280", "snoozed": "#6b7280"}
NO_MARK = "#7c3aed"

BADGE_ROWS = (11, 31)  # y of the cue badge rows (a second row when badges would collide)
LANE_Y = {"rep": 46, "prospect": 80}
LANE_H = 26
AXIS_Y = 112
SHARE_TOP = 170
SHARE_H = 80
HEIGHT = SHARE_TOP + SHARE_H + 26


def mark_colour(marks: tuple[str, ...]) -> str:
    for mark in ("wrong", "helpful", "dismissed", "snoozed"):
        if mark in marks:
            return MARK_COLOURS[mark]
    return NO_MARK


def _tick_step(duration: float) -> float:
    """At most about ten ticks, however long the call claims to be."""
    for step in (5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600):
        if duration / step <= 10:
            return step
    return max(7200.0, math.ceil(duration / 10 / 3600) * 3600.0)


def _f(x: float) -> str:
    return f"{x:.1f}"


class _Scale:
    """Call seconds to x pixels."""

    def __init__(self, duration: float) -> None:
        self.duration = max(duration, 1.0)

    def __call__(self, t: float) -> float:
        return LEFT + min(max(t, 0.0), self.duration) / self.duration * PLOT


def _lanes(summary: CallSummary, x: _Scale) -> list[str]:
    out = []
    for side in CALL_SIDES:
        y = LANE_Y[side]
        out.append(f'<text x="{LEFT - 10}" y="{y + LANE_H / 2 + 4}" text-anchor="end" font-weight="600" '
                   f'fill="{COLOURS[side]}">{NAMES[side]}</text>')
        out.append(f'<rect x="{LEFT}" y="{y}" width="{PLOT}" height="{LANE_H}" rx="3" fill="#f3f4f6"/>')
        for s in summary.spans:
            if s.speaker != side:
                continue
            w = max(x(s.end) - x(s.start), 0.8)
            out.append(f'<rect x="{_f(x(s.start))}" y="{y + 3}" width="{_f(w)}" height="{LANE_H - 6}" rx="2" '
                       f'fill="{COLOURS[side]}"><title>{NAMES[side]} {clock(s.start)}–{clock(s.end)} '
                       f'({s.duration:.1f} s)</title></rect>')
        for turn in summary.turns:
            if turn.speaker == side and turn.duration >= summary.monologue_warn_s:
                out.append(f'<rect x="{_f(x(turn.start))}" y="{y}" width="{_f(x(turn.end) - x(turn.start))}" '
                           f'height="{LANE_H}" rx="3" fill="none" stroke="#d97706" stroke-width="2">'
                           f'<title>{NAMES[side]} monologue {clock(turn.start)}–{clock(turn.end)} '
                           f'({turn.duration:.0f} s)</title></rect>')
    return out


def _share(summary: CallSummary, x: _Scale) -> list[str]:
    top, h = SHARE_TOP, SHARE_H
    out = [f'<text x="{LEFT}" y="{top - 10}" fill="#374151" font-weight="600">Share of talk '
           f'<tspan font-weight="400" fill="#6b7280">(last {summary.share_window_s:.0f} s; '
           f'<tspan fill="{COLOURS["rep"]}">rep</tspan> below, '
           f'<tspan fill="{COLOURS["prospect"]}">prospect</tspan> above)</tspan></text>',
           f'<rect x="{LEFT}" y="{top}" width="{PLOT}" height="{h}" fill="#f9fafb" stroke="#e5e7eb"/>']
    runs: list[list] = [[]]
    for p in summary.share_curve:
        if p.rep_share is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append(p)
    for run in runs:
        if len(run) < 2:
            continue
        line = " ".join(f"{_f(x(p.t))},{_f(top + h - p.rep_share * h)}" for p in run)
        first, last = _f(x(run[0].t)), _f(x(run[-1].t))
        out.append(f'<polygon points="{first},{top} {line} {last},{top}" fill="{LIGHT["prospect"]}"/>')
        out.append(f'<polygon points="{first},{top + h} {line} {last},{top + h}" fill="{LIGHT["rep"]}"/>')
        out.append(f'<polyline points="{line}" fill="none" stroke="{COLOURS["rep"]}" stroke-width="2"/>')
    high = top + h - summary.rep_share_high * h
    out.append(f'<line x1="{LEFT}" y1="{top + h / 2}" x2="{LEFT + PLOT}" y2="{top + h / 2}" stroke="#6b7280" '
               f'stroke-dasharray="2 3"/>')
    out.append(f'<line x1="{LEFT}" y1="{_f(high)}" x2="{LEFT + PLOT}" y2="{_f(high)}" stroke="#d97706" '
               f'stroke-dasharray="6 4"><title>rep share above {summary.rep_share_high:.0%} is called out'
               f'</title></line>')
    for frac, label in ((1.0, "100%"), (0.5, "50%"), (0.0, "0%")):
        out.append(f'<text x="{LEFT - 8}" y="{_f(top + h - frac * h + 4)}" text-anchor="end" '
                   f'fill="#6b7280">{label}</text>')
    return out


def _cue_markers(summary: CallSummary, x: _Scale) -> list[str]:
    """A dashed line through lanes and chart, and a numbered badge linking to the cue's card."""
    out = []
    last_x = {row: -1e9 for row in BADGE_ROWS}
    for entry in summary.cues:
        cx = x(entry.cue.t)
        row = next((r for r in BADGE_ROWS if cx - last_x[r] >= 20), BADGE_ROWS[0])
        last_x[row] = cx
        colour = mark_colour(entry.marks)
        marks = f" — rep: {', '.join(entry.marks)}" if entry.marks else ""
        label = escape(f"{entry.number}. {clock(entry.cue.t)} {entry.cue.title or entry.cue.cue}{marks}")
        out.append(f'<a href="#cue-{entry.number}"><title>{label}</title>'
                   f'<line x1="{_f(cx)}" y1="{row + 9}" x2="{_f(cx)}" y2="{SHARE_TOP + SHARE_H}" '
                   f'stroke="{colour}" stroke-width="1.5" stroke-dasharray="4 3"/>'
                   f'<circle cx="{_f(cx)}" cy="{row}" r="9" fill="{colour}"/>'
                   f'<text x="{_f(cx)}" y="{row + 4}" text-anchor="middle" fill="#fff" font-size="11" '
                   f'font-weight="700">{entry.number}</text></a>')
    return out


def _axis(x: _Scale) -> list[str]:
    out = [f'<line x1="{LEFT}" y1="{AXIS_Y}" x2="{LEFT + PLOT}" y2="{AXIS_Y}" stroke="#9ca3af"/>']
    step = _tick_step(x.duration)
    t = 0.0
    while t <= x.duration + 1e-6:
        out.append(f'<line x1="{_f(x(t))}" y1="{AXIS_Y}" x2="{_f(x(t))}" y2="{AXIS_Y + 4}" stroke="#9ca3af"/>')
        out.append(f'<text x="{_f(x(t))}" y="{AXIS_Y + 16}" text-anchor="middle" fill="#6b7280" '
                   f'stroke="#fff" stroke-width="4" paint-order="stroke">{clock(t)}</text>')
        t += step
    return out


def timeline_svg(summary: CallSummary) -> str:
    x = _Scale(summary.duration)
    head = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" '
        f'role="img" aria-labelledby="tl-title" class="timeline" font-family="system-ui, sans-serif" font-size="12">',
        '<title id="tl-title">Call timeline: who spoke when, where cues fired, and the rep\'s share of talk</title>',
    ]
    # later layers paint over earlier ones: time labels stay readable over the cue lines
    body = _lanes(summary, x) + _share(summary, x) + _cue_markers(summary, x) + _axis(x)
    return "\n".join(head + body + ["</svg>"])
