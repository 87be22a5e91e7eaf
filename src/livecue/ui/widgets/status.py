"""The status line: where the call is, what is listening, and where it is logged."""

from __future__ import annotations

from pathlib import Path

from textual.content import Content
from textual.widgets import Static

from ..state import OverlayState, clock_text
from .meters import bar


def input_text(source: str) -> str:
    """A file's name (its folder rarely matters at a glance); device descriptions as they are."""
    if not source:
        return "…"
    parts = [p.strip() for p in source.split("+")]
    if all(Path(p).suffix and ("/" in p or "\\" in p) for p in parts):
        return " + ".join(Path(p).name for p in parts)
    return source


def short_path(path: str) -> str:
    """``~/...`` for paths under the home directory."""
    try:
        return "~/" + str(Path(path).expanduser().resolve().relative_to(Path.home()))
    except (ValueError, OSError, RuntimeError):
        return str(path)


class StatusLine(Static):
    def __init__(self, *, model: str = "", rules: str = "", log_path: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.model = model
        self.rules = rules
        self.log_path = log_path

    def _position(self, state: OverlayState) -> list:
        st = state.status
        if st.ended:
            head = (f"■ ENDED ({st.ended})", "$muted bold")
        elif st.stopping:
            head = ("■ STOPPING…", "$warn bold")
        elif st.paused:
            head = ("⏸ PAUSED", "$warn bold")
        elif st.mode == "live":
            head = ("● LIVE", "$alert bold")
        elif st.mode:
            head = ("▶ REPLAY", "$ok bold")
        else:
            head = ("… starting", "$muted")
        parts = [head, " ", (clock_text(state.now), "bold")]
        if st.duration:
            parts.append(f" / {clock_text(st.duration)}")
        return parts

    def _progress(self, state: OverlayState, width: int) -> list:
        st = state.status
        if not st.duration:
            return []
        frac = st.progress if st.progress is not None else state.now / st.duration
        return ["  ", (bar(frac, width), "$ok"), f" {round(min(1.0, frac) * 100):3d}%"]

    def refresh_status(self, state: OverlayState, compact: bool = False) -> None:
        st = state.status
        model = st.model or self.model or "–"
        source = input_text(st.source)
        if compact:
            line = Content.assemble(*self._position(state), *self._progress(state, 8), ("  ", ""), (source, "$muted"))
            if st.ended:
                line = line + Content.assemble(("  q quits", "$muted"))
            self.update(line)
            return
        first = Content.assemble(
            *self._position(state),
            *self._progress(state, 16),
            ("  │ ", "$muted"), ("model ", "$muted"), model,
            ("  │ ", "$muted"), ("input ", "$muted"), source,
        )
        second_parts: list = [("rules ", "$muted"), self.rules or "shipped"]
        if st.warnings:  # before the log path: a problem matters more than where the log is
            noun = "warning" if st.warnings == 1 else "warnings"
            second_parts += [("  │ ", "$muted"), (f"⚠ {st.warnings} {noun}: {st.last_warning}", "$warn")]
        if self.log_path:
            second_parts += [("  │ ", "$muted"), ("log ", "$muted"), short_path(self.log_path)]
        if st.ended:
            second_parts += [("  │ ", "$muted"), ("q quits", "$muted")]
        self.update(Content("\n").join([first, Content.assemble(*second_parts)]))
