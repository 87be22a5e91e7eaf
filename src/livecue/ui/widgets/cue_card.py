"""The cue card: the play's title, why it fired, the lines to say, and its age.

Most prominent thing on screen while present, hidden otherwise.  Its age is
counted in audio time, so a paused replay keeps the card's age still.
Script lines wrap under their own text (hanging indent) so each line to say
reads as one block at a glance.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from ..state import CardDeck


COMPACT_ROWS = 7  # card text rows in the compact layout (its CSS max-height less the border)


def age_text(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s ago"
    return f"{seconds // 60} min {seconds % 60:02d} s ago"


def hanging(prefix: Content, body: Content, width: int) -> list[Content]:
    """``prefix`` then ``body`` wrapped to ``width``, continuation lines indented under the body."""
    indent = prefix.cell_length
    if width <= indent + 8:
        return [prefix + body]
    lines = body.wrap(width - indent) or [Content("")]
    pad = Content(" " * indent)
    return [prefix + lines[0], *(pad + line for line in lines[1:])]


class CueCard(Static):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._shown: tuple[CardDeck, float, bool] | None = None

    def show(self, deck: CardDeck, now: float, compact: bool = False) -> None:
        self._shown = (deck, now, compact)
        card = deck.current
        self.display = card is not None
        if card is None:
            self.update("")
            return
        cue = card.cue
        # from the parent: a card that was hidden has no size of its own yet
        parent = self.parent.size.width if self.parent is not None else 0
        width = self.content_region.width or max(0, parent - self.styles.gutter.width)
        self.border_title = Content.assemble(("▶ ", "$card-accent"), (cue.title or cue.cue, "bold"))
        queued = f" · {len(deck.queue)} more queued" if deck.queue else ""
        self.border_subtitle = Content(f"{age_text(now - cue.t)}{queued}")
        lines: list[Content] = []
        if cue.why:
            why = hanging(Content.styled("Why ", "$muted bold"), Content.styled(cue.why, "$muted"), width)
            if compact and len(why) > 1 and width > 8:  # one line of why; the lines to say matter more
                why = [why[0].truncate(width - 1) + Content("…")]
            lines += why
        script = [hanging(Content.styled("› ", "$card-accent bold"), Content.styled(line, "bold"), width)
                  for line in cue.script]
        room = COMPACT_ROWS - len(lines) - (1 if card.mark else 0) if compact else None
        for index, block in enumerate(script):
            if room is not None and len(block) > room - (1 if index < len(script) - 1 else 0):
                rest = len(script) - index
                lines.append(Content.styled(f"… {rest} more line{'s' if rest > 1 else ''} (c: full layout)", "$muted"))
                break
            lines += block
            if room is not None:
                room -= len(block)
        if not cue.script and not cue.why:
            lines.append(Content(cue.cue))
        if card.mark == "helpful":
            lines.append(Content.styled("✓ marked helpful", "$ok"))
        self.update(Content("\n").join(lines))

    def on_resize(self) -> None:
        if self._shown is not None:
            self.show(*self._shown)
