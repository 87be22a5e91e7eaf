"""Meters: talk share, monologue timer, prospect engagement, input levels, lag.

Colours come from theme variables ($rep, $prospect, $warn, $alert, $ok) so
they read on the dark and the light theme alike; the state they show (amber,
red) is also written as a word, never colour alone.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from ...audio_facts import CALL_SIDES, SPEAKERS
from ..state import OverlayState, clock_text

SPARKS = "▁▂▃▄▅▆▇█"
SIDE_STYLE = {"rep": "$rep", "prospect": "$prospect", "call": ""}
SIDE_LABEL = {"rep": "Rep", "prospect": "Prospect", "call": "Call"}  # call: a mono recording


def bar(fraction: float, width: int) -> str:
    filled = round(max(0.0, min(1.0, fraction)) * width)
    return "█" * filled + "░" * (width - filled)


def sparkline(levels, floor_db: float) -> str:
    out = []
    for db in levels:
        frac = min(1.0, max(0.0, (db - floor_db) / -floor_db))
        out.append(SPARKS[min(len(SPARKS) - 1, int(frac * len(SPARKS)))])
    return "".join(out)


def trend_arrow(delta: float, dead_band: float) -> str:
    if delta > dead_band:
        return "↑"
    if delta < -dead_band:
        return "↓"
    return "→"


def monologue_style(state: str) -> str:
    return {"warn": "$warn bold", "alert": "$alert bold"}.get(state, "$ok")


def lag_style(lag: float | None, state: OverlayState) -> str:
    if lag is None:
        return "$muted"
    if lag >= state.settings.lag_alert_s:
        return "$alert bold"
    if lag >= state.settings.lag_warn_s:
        return "$warn"
    return ""


def talk_share(state: OverlayState) -> float | None:
    s = state.signals
    if s is None or not any(s.talk_s.get(k, 0) for k in CALL_SIDES):
        return None
    return s.rep_share


class MetersPanel(Static):
    """The side panel of the main layout."""

    _state: OverlayState | None = None

    def on_resize(self) -> None:
        if self._state is not None:
            self.refresh_meters(self._state)

    def refresh_meters(self, state: OverlayState) -> None:
        self._state = state
        width = max(20, (self.content_region.width or 30))
        bar_w = max(5, width - 15)
        s = state.signals
        out: list[Content] = []
        heading = "$muted bold"

        window = f" · last {int(s.window_s // 60)} min" if s and s.window_s >= 60 else ""
        out.append(Content.assemble(("Talk share" + window, heading)))
        share = talk_share(state)
        for side in CALL_SIDES:
            frac = None if share is None else (share if side == "rep" else 1 - share)
            pct = "  –" if frac is None else f"{round(frac * 100):3d}%"
            out.append(Content.assemble(
                (f"{SIDE_LABEL[side]:<9}", SIDE_STYLE[side]),
                (bar(frac or 0.0, bar_w), SIDE_STYLE[side]),
                f" {pct}",
            ))

        out.append(Content(""))
        out.append(Content.assemble(("Monologue", heading)))
        mono = state.monologue_state()
        if s and s.monologue_speaker:
            who = SIDE_LABEL.get(s.monologue_speaker, s.monologue_speaker)
            frac = s.monologue_s / s.monologue_alert_s if s.monologue_alert_s else 0.0
            word = {"warn": "long", "alert": "too long"}.get(mono, "")
            out.append(Content.assemble(
                (f"{who:<9}", SIDE_STYLE.get(s.monologue_speaker, "")),
                (clock_text(s.monologue_s), monologue_style(mono)),
                " ",
                (bar(frac, max(3, bar_w - 6)), monologue_style(mono)),
            ))
            limits = f"amber {int(s.monologue_warn_s)} s · red {int(s.monologue_alert_s)} s"
            out.append(Content.assemble((word.upper() + " " if word else "", monologue_style(mono)), (limits, "$muted")))
        else:
            out.append(Content.assemble(("nobody holding the floor", "$muted")))
            out.append(Content(""))

        out.append(Content(""))
        out.append(Content.assemble(("Prospect engagement", heading)))
        if s and s.prospect_answer_words:
            arrow = trend_arrow(s.prospect_answer_trend, 0.5)
            style = "$warn" if arrow == "↓" else ""
            out.append(Content.assemble(
                ("Answers  ", "$muted"),
                f"{s.prospect_answer_words:4.1f} words ",
                (f"{arrow}{abs(s.prospect_answer_trend):.1f}" if arrow != "→" else "→ steady", style),
            ))
        else:
            out.append(Content.assemble(("Answers  ", "$muted"), ("–", "$muted")))
        if state.latencies:
            delta = state.latency_trend()
            arrow = trend_arrow(delta, 0.3)
            style = "$warn" if arrow == "↑" else ""
            out.append(Content.assemble(
                ("Latency  ", "$muted"),
                f"{state.latencies[-1]:4.1f} s     ",
                (f"{arrow}{abs(delta):.1f}" if arrow != "→" else "→ steady", style),
            ))
        else:
            out.append(Content.assemble(("Latency  ", "$muted"), ("–", "$muted")))

        out.append(Content(""))
        out.append(Content.assemble(("Input", heading)))
        spark_w = state.settings.level_history
        for side in SPEAKERS if "call" in state.sides else CALL_SIDES:
            meter = state.sides.get(side)
            label = (f"{SIDE_LABEL[side]:<9}", SIDE_STYLE[side])
            if meter is None:
                out.append(Content.assemble(label, ("–", "$muted")))
                continue
            if meter.channel_state in ("lost",):
                out.append(Content.assemble(label, ("LOST " + meter.channel_detail, "$alert bold")))
                continue
            spark = sparkline(meter.levels, state.settings.level_floor_db).ljust(spark_w)
            db = f"{max(meter.levels[-1], -99.0):4.0f} dB" if meter.levels else "  – dB"
            dot = ("●", SIDE_STYLE[side]) if meter.speaking else ("○", "$muted")
            out.append(Content.assemble(label, (spark, SIDE_STYLE[side]), f" {db} ", dot))
        lag_parts: list = [("Lag      ", "$muted")]
        for side, short in (("rep", "rep"), ("prospect", "pro")):
            lag = state.sides[side].lag_s if side in state.sides else None
            text = "–" if lag is None else f"{lag:.1f} s"
            lag_parts += [(f"{short} ", "$muted"), (text, lag_style(lag, state)), "  "]
        out.append(Content.assemble(*lag_parts))
        self.update(Content("\n").join(out))


class CompactMeters(Static):
    """One line of essentials for the compact layout."""

    def refresh_meters(self, state: OverlayState) -> None:
        s = state.signals
        parts: list = []
        share = talk_share(state)
        if share is None:
            parts += [("Talk ", "$muted"), "–"]
        else:
            parts += [("Talk ", "$muted"), (f"R{round(share * 100)}%", "$rep"), " ",
                      (f"P{round((1 - share) * 100)}%", "$prospect")]
        parts.append((" │ ", "$muted"))
        mono = state.monologue_state()
        if s and s.monologue_speaker:
            who = "R" if s.monologue_speaker == "rep" else "P"
            parts += [("Mono ", "$muted"), (f"{who} {clock_text(s.monologue_s)}", monologue_style(mono))]
            if mono != "ok":
                parts.append(("!" if mono == "warn" else "!!", monologue_style(mono)))
        else:
            parts += [("Mono ", "$muted"), "–"]
        parts.append((" │ ", "$muted"))
        if s and s.prospect_answer_words:
            arrow = trend_arrow(s.prospect_answer_trend, 0.5)
            parts += [("Ans ", "$muted"), (f"{s.prospect_answer_words:.0f}w{arrow}", "$warn" if arrow == "↓" else "")]
        else:
            parts += [("Ans ", "$muted"), "–"]
        parts.append((" │ ", "$muted"))
        lags = [m.lag_s for m in state.sides.values() if m.lag_s is not None]
        lag = max(lags) if lags else None
        parts += [("Lag ", "$muted"), ("–" if lag is None else f"{lag:.1f}s", lag_style(lag, state))]
        parts.append((" │ ", "$muted"))
        for side, short in (("rep", "R"), ("prospect", "P")):
            meter = state.sides.get(side)
            if meter is not None and meter.channel_state == "lost":
                parts += [(f"{short}✕", "$alert bold")]
            elif meter is not None and meter.speaking:
                parts += [(f"{short}●", SIDE_STYLE[side])]
            else:
                parts += [(f"{short}○", "$muted")]
        self.update(Content.assemble(*parts))
