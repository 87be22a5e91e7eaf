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
        width = self.content_region.width
        self.border_title = Content.assemble(("▶ ", "$card-accent"), (cue.title or cue.cue, "bold"))
        queued = f" · {len(deck.queue)} more queued" if deck.queue else ""
        self.border_subtitle = Content(f"{age_text(now - cue.t)}{queued}")
        lines: list[Content] = []
        if cue.why:
            lines += hanging(Content.styled("Why ", "$muted bold"), Content.styled(cue.why, "$muted"), width)
        script = cue.script[:3] if compact else cue.script
        for line in script:
            lines += hanging(Content.styled("› ", "$card-accent bold"), Content.styled(line, "bold"), width)
        if not cue.script and not cue.why:
            lines.append(Content(cue.cue))
        if card.mark == "helpful":
            lines.append(Content.styled("✓ marked helpful", "$ok"))
        self.update(Content("\n").join(lines))

    def on_resize(self) -> None:
        if self._shown is not None:
            self.show(*self._shown)
