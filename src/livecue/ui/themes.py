"""The overlay's two colour themes and how one is picked (``LIVECUE_THEME``, else the terminal's hint).

Each theme has the overlay's own colour roles; text colours are picked to
stay readable on each theme's background (the overlay paints its own).
"""

from __future__ import annotations

import os

from textual.theme import Theme

from ..errors import LivecueError

THEMES = {
    "livecue-dark": Theme(
        name="livecue-dark",
        primary="#0178D4",
        secondary="#004578",
        accent="#d17bff",
        warning="#ffb74d",
        error="#ff6b81",
        success="#6fd08c",
        foreground="#e6e6e6",
        background="#121212",
        surface="#1c1c1c",
        panel="#262626",
        dark=True,
        variables={
            "muted": "#9e9e9e",
            "rep": "#6cb6ff",
            "prospect": "#7ee0b0",
            "warn": "#ffb74d",
            "alert": "#ff6b81",
            "ok": "#8fd19e",
            "card-accent": "#d17bff",
            "card-flash": "#3a2a4a",
            "footer-key-foreground": "#d17bff",
        },
    ),
    "livecue-light": Theme(
        name="livecue-light",
        primary="#004578",
        secondary="#0178D4",
        accent="#7a1fa2",
        warning="#8a4b00",
        error="#b00020",
        success="#1b6e3a",
        foreground="#1a1a1a",
        background="#f4f4f4",
        surface="#ffffff",
        panel="#e2e2e2",
        dark=False,
        variables={
            "muted": "#5c5c5c",
            "rep": "#0b4f9c",
            "prospect": "#136c43",
            "warn": "#8a4b00",
            "alert": "#b00020",
            "ok": "#1b6e3a",
            "card-accent": "#7a1fa2",
            "card-flash": "#f1e0f8",
            "footer-key-foreground": "#7a1fa2",
        },
    ),
}


def pick_theme(environ: dict[str, str] | None = None) -> str:
    """Light or dark: ``LIVECUE_THEME`` if set, else the terminal's COLORFGBG hint.

    Any other value is refused rather than ignored: a typo would otherwise
    leave the user wondering why the setting does nothing."""
    env = os.environ if environ is None else environ
    wanted = env.get("LIVECUE_THEME", "").strip().lower()
    if wanted in ("light", "dark"):
        return f"livecue-{wanted}"
    if wanted:
        from ..terminal_text import printable

        raise LivecueError(f"LIVECUE_THEME={printable(env['LIVECUE_THEME'][:40])!r} is not a theme: "
                           "use dark or light, or unset it")
    background = env.get("COLORFGBG", "").split(";")[-1]
    return "livecue-light" if background in ("7", "15") else "livecue-dark"
