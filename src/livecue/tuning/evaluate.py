"""Scoring fired cues against labelled windows: precision, recall, latency.

Matching follows ``../shared/calls/README.md``: a fired cue matches the
first unmatched expected window of the same cue that contains its time; a
cue fired inside a ``required: false`` window counts neither way; every
other fired cue is a false positive; required windows nobody matched are
misses.  Latency is measured from the window's anchor (the end of the
triggering turn), so it is negative when a cue fires before the speaker is
done.
"""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from ..cues.profile import Profile
from ..cues.rules import LoadResult
from ..cues.transcript import CommitSchedule, run_events, utterance_events
from ..errors import LivecueError
from ..events import Cue, Event
from ..terminal_text import printable
from .labels import LabelledCall, Window


@dataclass(frozen=True)
class Fired:
    cue: str
    t: float
    outcome: str = ""  # hit | neutral | false
    latency: float | None = None


@dataclass
class CallResult:
    file: str
    fired: list[Fired] = field(default_factory=list)
    missed: list[Window] = field(default_factory=list)

    @property
    def false(self) -> list[Fired]:
        return [f for f in self.fired if f.outcome == "false"]

    @property
    def hits(self) -> list[Fired]:
        return [f for f in self.fired if f.outcome == "hit"]


def match_call(file: str, fired: list[tuple[str, float]], expected: tuple[Window, ...] | list[Window]) -> CallResult:
    result = CallResult(file)
    used = [False] * len(expected)
    for cue, t in sorted(fired, key=lambda x: x[1]):
        index = next((i for i, w in enumerate(expected) if not used[i] and w.cue == cue and w.contains(t)), None)
        if index is not None:
            used[index] = True
            window = expected[index]
            if window.required:
                result.fired.append(Fired(cue, t, "hit", t - window.anchor))
            else:
                result.fired.append(Fired(cue, t, "neutral"))
        elif any(w.cue == cue and not w.required and w.contains(t) for w in expected):
            result.fired.append(Fired(cue, t, "neutral"))
        else:
            result.fired.append(Fired(cue, t, "false"))
    result.missed = [w for i, w in enumerate(expected) if w.required and not used[i]]
    return result


@dataclass
class CueScore:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    latencies: list[float] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_json(self, latency: bool = True) -> dict:
        out = {"tp": self.tp, "fp": self.fp, "fn": self.fn,
               "precision": round(self.precision, 4), "recall": round(self.recall, 4)}
        if latency:
            out["latency_median_s"] = round(statistics.median(self.latencies), 3) if self.latencies else None
            out["latency_worst_s"] = round(max(self.latencies), 3) if self.latencies else None
        return out


@dataclass
class Report:
    calls: list[CallResult]
    cues: dict[str, CueScore]
    overall: CueScore
    seconds: float = 0.0
    mode: str = "transcript"

    def as_json(self) -> dict:
        """The issue's shape: overall, cues, calls (nothing else at the top)."""
        return {
            "overall": self.overall.as_json(latency=False),
            "cues": {cue: score.as_json() for cue, score in sorted(self.cues.items())},
            "calls": [
                {"file": c.file,
                 "fired": [{"cue": f.cue, "t": round(f.t, 3), "outcome": f.outcome,
                            "latency_s": None if f.latency is None else round(f.latency, 3)} for f in c.fired],
                 "missed": [{"cue": w.cue, "from": w.start, "anchor": w.anchor, "to": w.end} for w in c.missed],
                 "false": [{"cue": f.cue, "t": round(f.t, 3)} for f in c.false]}
                for c in self.calls],
        }


def score(results: list[CallResult], cue_ids: list[str] | tuple[str, ...] = ()) -> tuple[dict[str, CueScore], CueScore]:
    cues: dict[str, CueScore] = {c: CueScore() for c in cue_ids}
    overall = CueScore()
    for result in results:
        for f in result.fired:
            s = cues.setdefault(f.cue, CueScore())
            if f.outcome == "hit":
                s.tp += 1
                overall.tp += 1
                s.latencies.append(f.latency or 0.0)
                overall.latencies.append(f.latency or 0.0)
            elif f.outcome == "false":
                s.fp += 1
                overall.fp += 1
        for w in result.missed:
            cues.setdefault(w.cue, CueScore()).fn += 1
            overall.fn += 1
    return cues, overall


# --- running calls ----------------------------------------------------------------------------


class _EventCache:
    """Transcript events per call, built once (tune runs each call many times)."""

    def __init__(self) -> None:
        self._events: dict[tuple, list[tuple[float, Event]]] = {}

    def get(self, call: LabelledCall, streamed: CommitSchedule | None = None) -> list[tuple[float, Event]]:
        key = (str(call.path), streamed)
        if key not in self._events:
            self._events[key] = utterance_events(call.utterances, streamed)
        return self._events[key]


EVENTS = _EventCache()


def transcript_cues(call: LabelledCall, load: LoadResult, profile: Profile | None = None,
                    streamed: CommitSchedule | None = None) -> list[Cue]:
    return run_events(EVENTS.get(call, streamed), load, profile, call.duration)


def transcript_runner(calls: list[LabelledCall], load: LoadResult, profile: Profile | None = None,
                      chunk: int = 200, max_clauses: int = 2000, streamed: CommitSchedule | None = None
                      ) -> Callable[[LabelledCall], list[Cue]]:
    """``transcript_cues`` for a known list of calls, their intent clauses encoded ahead.

    A turn's two or three clauses make a small, inefficient pass through the
    embedding model; most of an evaluation's time went there.  When a call
    not yet prepared is asked for, it and the calls after it (up to
    ``chunk`` calls, or until ``max_clauses`` clauses are noted: the
    embedders' caches hold 4096) are dry-run with every loaded embedder
    noting the clauses it is asked about (zero vectors come back, so no
    intent fires); each embedder then encodes its notes at once in
    length-sorted batches.  The real run reads those from the embedder's
    cache; a clause the dry run did not foresee (say, after a cue the dry
    run could not fire) is encoded when asked, so the cues are the same.
    """
    from contextlib import ExitStack

    from ..cues.embedding import loaded_embedders

    index = {str(c.path): i for i, c in enumerate(calls)}
    ready = [0]  # calls[:ready[0]] have been prepared

    def run(call: LabelledCall) -> list[Cue]:
        i = index.get(str(call.path))
        embedders = loaded_embedders()
        if i is not None and i >= ready[0] and embedders:
            with ExitStack() as stack:
                notes = [(e, stack.enter_context(e.noting())) for e in embedders]
                j = i
                while j < min(len(calls), i + chunk) and max(len(set(n)) for _, n in notes) < max_clauses:
                    transcript_cues(calls[j], load, profile, streamed)
                    j += 1
            ready[0] = j
            for embedder, noted in notes:
                embedder.encode(list(dict.fromkeys(noted)))
        return transcript_cues(call, load, profile, streamed)

    return run


def audio_cues_runner(load: LoadResult, profile: Profile | None, settings=None, paced: bool = False,
                      final_only: bool = False) -> Callable:
    """A function call -> cues that runs the full audio pipeline (model loaded once).

    Fast (audio time) runs decode every grid point by default, as a live call
    on a machine that keeps up (``eval``'s default); ``final_only=True``
    decodes once per utterance, as ``replay --fast`` does (``eval
    --final-only``: 3-8x quicker, but its words and cues can differ, see
    docs/architecture.md "Update schedule").
    """
    try:
        from ..asr.whisper import load_engine
        from ..pipeline import replay_file_events
    except ImportError as exc:
        raise LivecueError(f"the audio pipeline is not available in this build ({exc}); use --transcript") from None
    from ..config import Settings
    from ..cues.stage import CueStage

    settings = settings or Settings()
    if not paced:
        settings = replace(settings, asr=replace(settings.asr, fast_final_only=final_only))
    engine = load_engine(settings.asr)

    def run(call: LabelledCall) -> list[Cue]:
        if not call.audio.is_file():
            raise LivecueError(f"{call.path}: audio {call.audio} not found")
        kwargs = {"fast": not paced}
        if paced:
            kwargs["speed"] = 1.0
        events = replay_file_events(
            call.audio, rep_channel=call.channels["rep"], prospect_channel=call.channels["prospect"],
            settings=settings, stages=lambda clock: [CueStage(load, profile or Profile(), clock, None,
                                                              signals_per_s=0, settings=settings.signals,
                                                              detector=settings.cues)],
            engine=engine, **kwargs)
        return [e for e in events if isinstance(e, Cue)]

    return run


def evaluate(calls: list[LabelledCall], runner: Callable[[LabelledCall], list[Cue]], cue_ids=(),
             progress: Callable[[int, int, LabelledCall, float], None] | None = None,
             mode: str = "transcript") -> Report:
    started = time.perf_counter()
    results: list[CallResult] = []
    for index, call in enumerate(calls):
        t0 = time.perf_counter()
        cues = runner(call)
        results.append(match_call(str(call.path), [(c.cue, c.t) for c in cues], call.expected))
        if progress is not None:
            progress(index + 1, len(calls), call, time.perf_counter() - t0)
    per_cue, overall = score(results, cue_ids)
    return Report(results, per_cue, overall, time.perf_counter() - started, mode)


# --- printing ------------------------------------------------------------------------------------


def _lat(values: list[float], worst: bool = False) -> str:
    if not values:
        return "-"
    return f"{(max(values) if worst else statistics.median(values)):+.1f} s"


def format_table(report: Report) -> str:
    head = f"{'cue':<16}{'TP':>4}{'FP':>4}{'FN':>4}{'precision':>11}{'recall':>8}{'latency median':>16}{'worst':>9}"
    lines = [head, "-" * len(head)]
    for cue, s in sorted(report.cues.items()):
        lines.append(f"{cue:<16}{s.tp:>4}{s.fp:>4}{s.fn:>4}{s.precision:>11.2f}{s.recall:>8.2f}"
                     f"{_lat(s.latencies):>16}{_lat(s.latencies, True):>9}")
    o = report.overall
    lines.append("-" * len(head))
    lines.append(f"{'overall':<16}{o.tp:>4}{o.fp:>4}{o.fn:>4}{o.precision:>11.2f}{o.recall:>8.2f}"
                 f"{_lat(o.latencies):>16}{_lat(o.latencies, True):>9}")
    return "\n".join(lines)


def format_calls(report: Report, verbose: bool = False) -> str:
    lines = []
    for c in report.calls:
        name = Path(c.file).name
        if not c.missed and not c.false and not verbose:
            continue
        parts = []
        if verbose:
            parts.append("fired " + (", ".join(f"{f.cue}@{f.t:.1f}({f.outcome})" for f in c.fired) or "nothing"))
        if c.missed:
            parts.append("missed " + ", ".join(f"{w.cue} [{w.start:.1f}-{w.end:.1f}]" for w in c.missed))
        if c.false:
            parts.append("false " + ", ".join(f"{f.cue}@{f.t:.1f}" for f in c.false))
        lines.append(f"{name}: " + "; ".join(parts))
    return "\n".join(lines) if lines else "every call as expected"


def stderr_progress(every: int = 1) -> Callable[[int, int, LabelledCall, float], None]:
    tty = sys.stderr.isatty()
    spent = [0.0]  # seconds of the calls so far, for the ETA

    def show(done: int, total: int, call: LabelledCall, seconds: float) -> None:
        spent[0] += seconds
        if every > 1 and done % every and done != total:
            return
        width = 24
        filled = int(width * done / total)
        bar = "#" * filled + "." * (width - filled)
        eta = spent[0] / done * (total - done)
        text = printable(f"[{bar}] {done}/{total} {call.name} ({seconds:.1f} s, "
                         f"ETA {int(eta) // 60}:{int(eta) % 60:02d})")
        if tty:
            end = "\n" if done == total else ""
            sys.stderr.write("\r" + text[:100].ljust(100) + end)
        else:
            sys.stderr.write(text + "\n")
        sys.stderr.flush()

    return show
