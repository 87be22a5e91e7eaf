"""The rep's profile: what the cards fill in (hot buttons, benefit, name).

A card that says "mention {hot_buttons}" is only useful with the rep's own
problems in it, so they come from a small TOML file (``--profile FILE``, or
``profile.toml`` in the user config directory).  Without one the cards still
read as sentences, with neutral wording in place of the rep's specifics.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..user_files import Problem, ProblemsError, load_dataclass

DEFAULT_HOT_BUTTONS = "the three problems you solve best"
DEFAULT_BENEFIT = "the one result your customers value most"


@dataclass(frozen=True)
class Profile:
    name: str = ""  # the rep's name
    company: str = ""  # the rep's company
    hot_buttons: tuple[str, ...] = ()  # three problems the product solves, in the prospect's words
    benefit: str = ""  # one line: what customers get

    def values(self) -> dict[str, str]:
        """Placeholder values for card texts."""
        buttons = [b.strip() for b in self.hot_buttons if b.strip()]
        if not buttons:
            joined = DEFAULT_HOT_BUTTONS
        elif len(buttons) == 1:
            joined = buttons[0]
        else:
            joined = ", ".join(buttons[:-1]) + " and " + buttons[-1]
        generic = ["your strongest problem to solve", "your second problem to solve", "your third problem to solve"]
        out = {
            "rep_name": self.name or "you",
            "company": self.company or "your company",
            "hot_buttons": joined,
            "benefit": self.benefit or DEFAULT_BENEFIT,
        }
        for i in range(3):
            out[f"hot_button_{i + 1}"] = buttons[i] if i < len(buttons) else generic[i]
        return out


def default_profile_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir("livecue")) / "profile.toml"


def load_profile(path: Path | None) -> Profile:
    """Read a profile; ``None`` means the user's default file, or none at all."""
    if path is None:
        path = default_profile_path()
        if not path.is_file():
            return Profile()
    profile, problems, lines = load_dataclass(Profile, Path(path), "profile")
    if len(profile.hot_buttons) > 5:
        problems.append(Problem(str(path), lines.key((), "hot_buttons"), "'hot_buttons' takes at most 5 entries"))
    if problems:
        raise ProblemsError(problems)
    return profile
