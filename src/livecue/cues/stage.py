"""The cue stage: signals + detector + hot reload, as one pipeline stage.

``feed(event)`` takes every event the core produces and returns only new
ones: throttled ``Signals`` snapshots for the overlay's meters, ``Cue``
cards, and a ``Notice`` when a rule file could not be (re)loaded.  The stage
reads time only from the clock it is given, and it never raises because of
a rule file: a broken file is reported and the rules that were working stay
active.

A reload is a background job (``Stage.next_job``): an edited intent example
or utterance row refits the classifiers, a minute or two, and the cards of
the rules in force must not stop for it.  The stage notices the edit in
``feed``, hands the load out as a job, and swaps the new rules in when the
pipeline brings the result back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..clock import Clock
from ..config import DetectorSettings, Problem, Settings
from ..errors import LivecueError
from ..events import Event, Feedback, Notice, SessionStarted, Signals
from ..stages import StageCapabilities
from .detector import Detector
from .profile import Profile, default_profile_path, load_profile
from .rules import LoadResult, RuleSet, default_rule_dirs, load_rule_dir, rule_dirs, snapshot
from .signals import SignalSettings, Tracker
from .triggers import REGISTRY

DEFAULT_WARN_S = 45.0
DEFAULT_ALERT_S = 90.0
SLOW_RELOAD_S = 3.0  # a reload still loading after this long is announced (an edit that refits the classifiers)


def meter_thresholds(ruleset: RuleSet) -> tuple[float, float]:
    """Monologue meter colours from the rules: amber where a silent reply
    would already count against the rep, red where a monologue alone fires."""
    by_meter: dict[str, list[float]] = {"warn": [], "alert": []}
    for c in ruleset.rules:
        if not c.rule.enabled:
            continue
        for ct in c.triggers.values():
            meter = REGISTRY[ct.trigger.kind].meter
            if meter:
                by_meter[meter].append(ct.trigger.min_monologue_s)
    reply, alone = by_meter["warn"], by_meter["alert"]
    warn = min(reply) if reply else DEFAULT_WARN_S
    alert = min(alone) if alone else max(DEFAULT_ALERT_S, warn * 2)
    return warn, max(alert, warn)


def _describe(problems: list[Problem], limit: int = 3) -> str:
    shown = "; ".join(str(p) for p in problems[:limit])
    more = f" (and {len(problems) - limit} more)" if len(problems) > limit else ""
    return shown + more


_NEEDS = re.compile(r"(?:names cue|needs rule) '([^']+)', which was left out")


def left_out_files(load: LoadResult) -> list[str]:
    """Rule files with no rule in the session: those that failed, and those that read but did not
    compile (a bad row in the utterance file they learn from is reported at that file, not theirs)."""
    loaded = {crule.rule.file for crule in load.ruleset.rules}
    files = [p.file for p in load.problems if p.file.endswith(".toml")] + list(load.rules)
    return [f for f in dict.fromkeys(files) if f not in loaded]


def _left_out(load: LoadResult) -> str:
    """Which rules are missing from this session and why, naming rules dropped with another one."""
    names = []
    for file in left_out_files(load):
        needs = [m.group(1) for p in load.problems if p.file == file
                 for m in [_NEEDS.search(p.message)] if m]
        name = Path(file).stem
        names.append(f"{name} (it needs {', '.join(dict.fromkeys(needs))})" if needs else name)
    head = f"cue rules left out: {', '.join(names)}; " if names else "cue rules with problems were left out: "
    return head + _describe(load.problems)


@dataclass(frozen=True)
class ReloadJob:
    """Load the rule files again: everything ``run_job`` reads (the previous load keeps what did not change)."""

    rules_dir: Path
    previous: LoadResult
    wall_s: float  # when the edit was noticed, the clock's wall reading (a replay's speed or seek must not count)


class CueStage:
    """A ``Stage`` (``stages.py``): ``feed(event)`` and ``close(t)``, reloads as jobs; see the module docstring."""

    capabilities = StageCapabilities(background_jobs=True)

    def __init__(self, load: LoadResult, profile: Profile, clock: Clock, rules_dir: Path | None = None, *,
                 signals_per_s: float = 4.0, reload_interval_s: float = 1.0,
                 settings: SignalSettings | None = None, notices: list[Notice] | None = None,
                 detector: DetectorSettings | None = None) -> None:
        self.clock = clock
        self.rules_dir = rules_dir
        self.load = load
        self.tracker = Tracker(settings)
        self.detector = Detector(load.ruleset, profile, self.tracker, detector)
        self.signal_interval_s = 1.0 / signals_per_s if signals_per_s > 0 else float("inf")
        self.reload_interval_s = reload_interval_s
        self._warn_s, self._alert_s = meter_thresholds(load.ruleset)
        self._last_signals_t = -1e9
        self._last_signals: Signals | None = None
        self._last_check = 0.0
        self._seen = dict(load.ruleset.files)
        self._reload: ReloadJob | None = None  # noticed and not yet applied
        self._handed_out = False  # ... and given to the pipeline to run
        self._told_slow = False
        self._notices = list(notices or [])
        if load.problems:
            self._notices.append(Notice(0.0, "error", _left_out(load)))

    @property
    def ruleset(self) -> RuleSet:
        return self.detector.ruleset

    def _now(self, event: Event | None = None) -> float:
        now = self.clock.now()
        if event is not None and event.t > now and not isinstance(event, Feedback):
            now = event.t
        return now

    def feed(self, event: Event) -> list[Event]:
        now = self._now(event)
        out: list[Event] = []
        if self._notices:
            out += [Notice(now, n.level, n.message) for n in self._notices]
            self._notices.clear()
        if isinstance(event, SessionStarted):
            self.tracker.reset()
            self.detector.reset()
            self._last_signals_t = -1e9
            self._last_signals = None
        out += self._maybe_reload(now)
        if isinstance(event, Feedback):
            self.detector.feedback(event)
            return out
        updates = self.tracker.tick(now) + self.tracker.feed(event, now)
        changed = bool(updates)
        out += self.detector.tick(now)
        for update in updates:
            out += self.detector.on_update(update, now)
        out += self._slow_rules(now)
        out += self._signals(now, changed)
        return out

    def _slow_rules(self, now: float) -> list[Event]:
        notices = [Notice(now, "error", m) for m in self.detector.notices]
        self.detector.notices.clear()
        return notices

    def close(self, t: float) -> list[Event]:
        """End of the call: segments still open are closed, waiting cues fire, a last snapshot."""
        now = max(t, self.clock.now())
        out: list[Event] = []
        if self._reload is not None:
            out.append(Notice(now, "warning", "a cue rule edit was still loading when the call ended; "
                                              "this call used the previous rules"))
            self._reload = None
        for update in self.tracker.tick(now + 3600.0):  # nothing more will be heard
            out += self.detector.on_update(update, now)
        out += self.detector.tick(now)
        out += self.detector.close(now)
        out += self._slow_rules(now)
        out += self._signals(now, True, force=True)
        return out

    # --- signals for the meters ---------------------------------------------------------------

    def _signals(self, now: float, changed: bool, force: bool = False) -> list[Event]:
        if self.signal_interval_s == float("inf"):
            return []
        if not force and now - self._last_signals_t < self.signal_interval_s:
            return []
        snap = self.tracker.snapshot(now, self._warn_s, self._alert_s)
        last = self._last_signals
        if last is not None and not force:
            same = (snap.talk_s == last.talk_s and snap.monologue_s == last.monologue_s
                    and snap.clipped_streak == last.clipped_streak and snap.questions == last.questions
                    and snap.backchannels == last.backchannels and snap.overlap_s == last.overlap_s)
            if same and not changed:
                return []
        self._last_signals_t = now
        self._last_signals = snap
        return [snap]

    # --- hot reload ------------------------------------------------------------------------------

    def _maybe_reload(self, now: float) -> list[Event]:
        """Notice an edit (at most once per ``reload_interval_s``): the reload becomes the next job."""
        if self._reload is not None:
            if self._handed_out and not self._told_slow and self.clock.wall() - self._reload.wall_s >= SLOW_RELOAD_S:
                self._told_slow = True
                return [Notice(now, "info", "cue rules changed: still loading the edit (an edited example or "
                                            "row refits the classifiers: a minute or two); the cards follow "
                                            "the previous rules until then")]
            return []
        if self.rules_dir is None or now - self._last_check < self.reload_interval_s:
            return []
        self._last_check = now
        current = snapshot(self.rules_dir)
        if current == self._seen:
            return []
        self._seen = current  # an edit made while this one loads is noticed after it is applied
        self._reload = ReloadJob(self.rules_dir, self.load, self.clock.wall())
        self._handed_out = self._told_slow = False
        return []

    def next_job(self) -> ReloadJob | None:
        if self._reload is None or self._handed_out:
            return None
        self._handed_out = True
        return self._reload

    @staticmethod
    def run_job(job: ReloadJob) -> LoadResult | Exception:
        """The load; an exception comes back as the result (a rule file must never end a session).

        Its matrix products (a refit's) stay on the job's own thread: OpenBLAS's helper threads would
        compete with the recogniser at full priority."""
        from .embedding import one_blas_thread  # here: numpy only where a reload runs

        try:
            with one_blas_thread():
                return load_rule_dir(job.rules_dir, previous=job.previous)
        except Exception as exc:  # noqa: BLE001
            return exc

    def apply_job(self, job: ReloadJob, result: LoadResult | Exception) -> list[Event]:
        if job is not self._reload:  # the call ended while it loaded
            return []
        self._reload = None
        now = self._now()
        if isinstance(result, Exception):
            return [Notice(now, "error", f"cue rules not reloaded ({type(result).__name__}: {result}); "
                                         "keeping the previous rules")]
        took_s = self.clock.wall() - job.wall_s
        took = f", loaded in {took_s:.0f} s" if took_s >= SLOW_RELOAD_S else ""
        if result.problems:
            kept = [c.rule.id for c in result.ruleset.rules]
            if not result.ruleset.rules and self.load.ruleset.rules:
                return [Notice(now, "error", "cue rules not reloaded: " + _describe(result.problems)
                               + "; keeping the previous rules")]
            self._swap(result)
            return [Notice(now, "error", "cue rule edit not applied: " + _describe(result.problems)
                           + f"; keeping the previous version (active: {', '.join(kept)})")]
        self._swap(result)
        return [Notice(now, "info", f"cue rules reloaded ({len(result.ruleset.rules)} rules{took})")]

    def _swap(self, result: LoadResult) -> None:
        self.load = result
        self.detector.set_rules(result.ruleset)
        self._warn_s, self._alert_s = meter_thresholds(result.ruleset)


def build_cue_stage(rules_dir: Path | None, profile_path: Path | None, clock: Clock, *,
                    watch: bool = True, settings: Settings | None = None) -> CueStage:
    """The stage ``live`` and ``replay`` put after the transcriber.

    ``rules_dir`` None: the shipped rules, shadowed by the user rules directory.  ``profile_path`` None: the user's
    ``profile.toml`` if there is one.  A missing rules directory or a bad
    ``--profile`` file is a one-line error; a broken rule file is not (it is
    reported in the session and left out).
    """
    directory = Path(rules_dir) if rules_dir is not None else default_rule_dirs()
    if not rule_dirs(directory)[0].is_dir():
        raise LivecueError(f"{rule_dirs(directory)[0]}: no such rules directory")
    notices: list[Notice] = []
    if profile_path is not None:
        profile = load_profile(Path(profile_path))
    else:
        try:
            profile = load_profile(None)
        except LivecueError as exc:
            notices.append(Notice(0.0, "warning", f"profile {default_profile_path()} ignored: {exc}"))
            profile = Profile()
    load = load_rule_dir(directory)
    settings = settings or Settings()
    return CueStage(load, profile, clock, directory if watch else None, notices=notices,
                    signals_per_s=settings.cues.signals_per_s, reload_interval_s=settings.cues.reload_interval_s,
                    settings=settings.signals, detector=settings.cues)
