"""Where an intent-fired cue's paced latency goes: end of speech, final decode, the cue.

For each labelled call (e.g. tests/intent_calls, whose cues only an intent
trigger can fire) the full pipeline replays the audio in real time with the
shipped rules, and for every expected cue this prints, relative to the
window's anchor (the end of the turn that carries the evidence): when the
recogniser's end-of-speech event for that turn reached the stages
(``speech_end``: the VAD's silence), when the turn's final words did
(``final``: after the final decode), and when the cue fired (``cue``), all
on the session's clock.  An intent is judged when the turn is over: at
the end of speech when the words already heard reach it (then ``cue`` can
come with ``speech_end``), else on the finished segment (with ``final``).

``vad_end`` is the end of speech's own time (the VAD's, on the call's
clock): ``speech_end - vad_end`` is how long the event waited to reach the
stages (behind a decode, in the one-thread loop).  ``--src`` runs another
checkout's code (before/after).

    python scripts/bench_intent_latency.py tests/intent_calls
    python scripts/bench_intent_latency.py --src /work/main/src tests/intent_calls
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("calls", nargs="+")
    ap.add_argument("--speed", type=float, default=1.0, help="replay speed (1.0 = real time)")
    ap.add_argument("--src", default=str(Path(__file__).resolve().parents[1] / "src"),
                    help="the livecue source tree to run (default: this checkout's)")
    ap.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                    help="override a setting (repeatable), e.g. vad.min_silence_ms=300")
    args = ap.parse_args()
    sys.path.insert(0, args.src)
    from livecue.asr.whisper import load_engine
    from livecue.config import Settings
    from livecue.cues.profile import Profile
    from livecue.cues.rules import default_rule_dirs, load_rule_dir
    from livecue.cues.stage import CueStage
    from livecue.events import Committed, Cue, SpeechEnded
    from livecue.pipeline import replay_file_events
    from livecue.stages import StageCapabilities
    from livecue.tuning.labels import find_calls

    settings = Settings()
    if args.set:
        from livecue.setting_overrides import apply_overrides

        settings = apply_overrides(settings, args.set)
    engine = load_engine(settings.asr)
    load = load_rule_dir(default_rule_dirs())

    class Arrivals:
        """First stage: notes when (on the session clock) each event arrived; passes nothing on."""

        capabilities = StageCapabilities()

        def __init__(self, clock) -> None:
            self.clock, self.seen = clock, []

        def feed(self, event):
            self.seen.append((self.clock.now(), event))
            return []

        def close(self, t):
            return []

    rows: dict[str, list[float]] = {"vad_end": [], "speech_end": [], "final": [], "cue": []}
    waits: list[float] = []  # every end of speech, either side: arrival - its time - the VAD's silence
    silence_s = settings.vad.min_silence_ms / 1000.0
    for call in find_calls([Path(p) for p in args.calls]):
        noted: list = []

        def stages(clock):
            arrivals = Arrivals(clock)
            noted.append(arrivals)
            return [arrivals, CueStage(load, Profile(), clock, None, signals_per_s=0)]

        events = replay_file_events(
            call.audio, rep_channel=call.channels["rep"], prospect_channel=call.channels["prospect"],
            settings=settings, stages=stages, engine=engine, fast=False, speed=args.speed)
        seen = noted[0].seen
        waits += [now - e.t - silence_s for now, e in seen if isinstance(e, SpeechEnded)]
        for window in call.expected:
            anchor = window.anchor
            side = "rep" if window.cue == "weak_ending" else "prospect"
            ended = [(now, e.t) for now, e in seen
                     if isinstance(e, SpeechEnded) and e.speaker == side and now >= anchor - 0.2]
            ends = [now for now, _ in ended]
            finals = [now for now, e in seen
                      if isinstance(e, Committed) and e.final and e.speaker == side and now >= anchor - 0.2]
            cues = [e.t for e in events if isinstance(e, Cue) and e.cue == window.cue and window.contains(e.t)]
            got = {"vad_end": min(ended)[1] - anchor if ended else None,
                   "speech_end": min(ends) - anchor if ends else None,
                   "final": min(finals) - anchor if finals else None,
                   "cue": cues[0] - anchor if cues else None}
            for key, value in got.items():
                if value is not None:
                    rows[key].append(value)
            shown = ", ".join(f"{k} {'-' if v is None else f'{v:+.2f} s'}" for k, v in got.items())
            print(f"{call.path.name}: {window.cue}: {shown}")
    for key, values in rows.items():
        if values:
            print(f"{key}: median {statistics.median(values):+.2f} s, worst {max(values):+.2f} s ({len(values)})")
    if waits:
        waits.sort()
        print(f"every end of speech, wait after the VAD's silence: median {statistics.median(waits):+.2f} s, "
              f"p90 {waits[int(0.9 * (len(waits) - 1))]:+.2f} s, worst {waits[-1]:+.2f} s ({len(waits)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
