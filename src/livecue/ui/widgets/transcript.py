"""The two-sided transcript: a line-based scroll view that follows the call.

Entries are wrapped with a hanging indent under a time and a coloured side
label; the tentative tail is dimmed and replaced in place.  Rendering is by
line (Textual's line API), with each entry's wrapped lines cached by version,
so a long call costs only what changed.  It follows the newest line until
the user scrolls back, and follows again once they return to the end.
"""

from __future__ import annotations

from textual.content import Content
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ...audio_facts import CALL_SIDES
from ..state import Transcript, TranscriptEntry, clock_text

LABELS = {"rep": "REP", "prospect": "PROSPECT", "call": "CALL"}  # call: a mono recording
LABEL_W = 10
TIME_W = 6


class TranscriptView(ScrollView, can_focus=False):
    COMPONENT_CLASSES = {
        "transcript--rep",
        "transcript--prospect",
        "transcript--time",
        "transcript--tentative",
        "transcript--notice",
        "transcript--warning",
        "transcript--empty",
    }

    def __init__(self, transcript: Transcript, **kwargs) -> None:
        super().__init__(**kwargs)
        self.transcript = transcript
        self.show_time = True
        self.follow = True
        self.unseen = 0  # lines added while the user was scrolled back
        self._cache: dict[int, tuple[tuple, list[Strip]]] = {}
        self._lines: list[Strip] = []
        self._width = 0

    # --- building lines ---

    def _style(self, name: str):
        return self.get_visual_style(f"transcript--{name}", partial=True)

    def _entry_lines(self, entry: TranscriptEntry, width: int) -> list[Content]:
        indent = (TIME_W if self.show_time else 0) + LABEL_W
        stamp = (clock_text(entry.start) + " ", self._style("time")) if self.show_time else ""
        if entry.is_notice:
            style = self._style("warning" if entry.notice_level in ("warning", "error") else "notice")
            body = Content.assemble(("── " + entry.committed, style))
            first = Content.assemble(stamp, " " * LABEL_W) if self.show_time else Content("")
            lines = body.wrap(max(8, width - len(first.plain)))
            return [first + lines[0], *(Content(" " * len(first.plain)) + line for line in lines[1:])]
        label_style = self._style(entry.speaker if entry.speaker in CALL_SIDES else "notice")
        label = LABELS.get(entry.speaker, entry.speaker.upper())
        parts: list = []
        if entry.committed:
            parts.append(entry.committed)
        if entry.tentative:
            if parts:
                parts.append(" ")
            parts.append((entry.tentative, self._style("tentative")))
        body = Content.assemble(*parts)
        lines = body.wrap(max(8, width - indent)) or [Content("")]
        head = Content.assemble(stamp, (label.ljust(LABEL_W), label_style))
        pad = Content(" " * indent)
        return [head + lines[0], *(pad + line for line in lines[1:])]

    def _strips(self, entry: TranscriptEntry, width: int) -> list[Strip]:
        key = (entry.version, width, self.show_time, entry.committed, entry.tentative)
        cached = self._cache.get(entry.id)
        if cached is not None and cached[0] == key:
            return cached[1]
        base = self.visual_style
        strips = [Strip(line.render_segments(base)) for line in self._entry_lines(entry, width)]
        self._cache[entry.id] = (key, strips)
        return strips

    def sync(self) -> None:
        """Rebuild from the transcript (cheap for unchanged entries) and keep following."""
        width = self.scrollable_content_region.width or self.size.width
        if width <= 0:
            return
        self._width = width
        before = len(self._lines)
        lines: list[Strip] = []
        live_ids = set()
        for entry in self.transcript.entries:
            live_ids.add(entry.id)
            lines.extend(self._strips(entry, width))
        for stale in set(self._cache) - live_ids:
            del self._cache[stale]
        if not lines:
            lines = [Strip(Content.assemble(("Waiting for speech…", self._style("empty"))).render_segments(self.visual_style))]
        self._lines = lines
        self.virtual_size = Size(width, len(lines))
        if self.follow:
            self.unseen = 0
            self.scroll_end(animate=False, immediate=True, force=True, x_axis=False)
        else:
            self.unseen += max(0, len(lines) - before)
        self.border_subtitle = f"↓ {self.unseen} new lines · End to follow" if not self.follow and self.unseen else ""
        self.refresh()

    def sync_restyled(self) -> None:
        """After a theme change the cached lines carry old colours."""
        self._cache.clear()
        self.sync()

    # --- following and rendering ---

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        at_end = new_value >= self.max_scroll_y
        if at_end != self.follow:
            self.follow = at_end
            if at_end:
                self.unseen = 0
                self.border_subtitle = ""

    def on_resize(self) -> None:
        self.sync()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width or self.size.width
        index = self.scroll_offset.y + y
        if index >= len(self._lines):
            return Strip.blank(width, self.rich_style)
        return self._lines[index].crop_extend(0, width, self.rich_style)

    def plain_lines(self) -> list[str]:
        """The rendered text, for tests and checks."""
        return [strip.text for strip in self._lines]
