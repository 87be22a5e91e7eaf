"""Small builders of core events for the cue engine's tests."""

from __future__ import annotations

from livecue.events import Committed, SpeechEnded, SpeechStarted, Tentative, Word


MINIMAL_RULE = '''id = "x"
title = "X"
[triggers.t]
kind = "phrases"
phrases = ["not interested"]
[card]
title = "Card"
script = ["Say {hot_buttons}"]
[[examples]]
name = "fires"
expect = "fire"
lines = ["0.0-2.0 rep: Hello there?", "2.5-4.0 prospect: Not interested."]
[[examples]]
name = "silent"
expect = "silent"
lines = ["0.0-2.0 rep: Hello there?", "2.5-4.0 prospect: Tell me more."]
'''


def words(text: str, start: float, end: float) -> tuple[Word, ...]:
    parts = text.split()
    step = (end - start) / max(len(parts), 1)
    return tuple(Word(p, start + i * step, start + (i + 1) * step - 0.01) for i, p in enumerate(parts))


def utterance(speaker: str, start: float, end: float, text: str) -> list:
    """What the core sends for one finished utterance: start, end, final words."""
    return [SpeechStarted(start, speaker), SpeechEnded(end, speaker, start),
            Committed(end, speaker, text, words(text, start, end), True)]


def tentative(speaker: str, start: float, end: float, text: str) -> Tentative:
    return Tentative(end, speaker, text, words(text, start, end))


def committed(speaker: str, start: float, end: float, text: str, final: bool = False) -> Committed:
    return Committed(end, speaker, text, words(text, start, end), final)


class Feeder:
    """Feeds events to a stage on a ManualClock that follows the events' times.

    A job the stage hands out (a rule reload) runs at once after the event,
    as the pipeline runs it on audio time.
    """

    def __init__(self, stage, clock) -> None:
        self.stage = stage
        self.clock = clock
        self.out: list = []

    def feed(self, *events, lag_s: float = 0.0) -> list:
        new = []
        for event in events:
            if event.t + lag_s > self.clock.now():
                self.clock.set(event.t + lag_s)
            new += self.stage.feed(event)
            job = self.stage.next_job() if self.stage.capabilities.background_jobs else None
            if job is not None:
                new += self.stage.apply_job(job, self.stage.run_job(job))
        self.out += new
        return new

    def cues(self, name: str | None = None) -> list:
        return [e for e in self.out if e.type == "cue" and (name is None or e.cue == name)]


def cue_names(load, lines, end_s: float) -> list[str]:
    """The cues a rule set fires on scripted lines ``(speaker, start, end, text)``, the call closed at ``end_s``."""
    from livecue.clock import ManualClock
    from livecue.cues.profile import Profile
    from livecue.cues.stage import CueStage
    from livecue.events import SessionStarted

    clock = ManualClock()
    f = Feeder(CueStage(load, Profile(), clock, None), clock)
    f.feed(SessionStarted(0.0))
    for speaker, start, end, text in lines:
        f.feed(*utterance(speaker, start, end, text))
    clock.set(end_s)
    f.out += f.stage.close(end_s)
    return [e.cue for e in f.out if e.type == "cue"]


def probe_command(argv: list[str], root) -> tuple:
    """The probe scripts' command line, ``[RULES_DIR] [--show]``: the loaded rules (they must load
    cleanly) and whether to show every line."""
    from pathlib import Path

    from livecue.cues.rules import load_rule_dir

    args = [a for a in argv if not a.startswith("--")]
    load = load_rule_dir(Path(args[0]) if args else Path(root) / "cue_rules")
    if load.problems:
        raise SystemExit("\n".join(map(str, load.problems)))
    return load, "--show" in argv
