"""The batch driver: plans the calls, skips those done, dispatches the rest, writes DIR.

Only the driver writes the output directory, and only whole files: a session
log reaches ``logs/`` by rename once complete, so a batch killed at any point
leaves finished calls and nothing half-written that could count as done.
``DIR/logs/NAME-KEY.jsonl`` existing *is* the record that a call is done (see
``identity``); failures are not recorded as done, so a rerun tries them again.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from ..config import Settings
from ..errors import LivecueError
from ..options import CueOptions
from ..private_files import private_dirs, utf8
from ..terminal_text import printable
from .identity import HashCache, call_key, content_hash, settings_fingerprint
from .inputs import CallInput
from .summary import CallRow, failed_row, rows_from_logs, write_atomic, write_summary
from .work import CallResult, CallTask, WorkConfig


@dataclass(frozen=True)
class BatchPlan:
    """A call as planned: its key and log path, or why it cannot be coached."""

    call: CallInput
    key: str = ""
    sizes: tuple[int, ...] = ()
    log: Path | None = None
    error: str = ""


@dataclass(frozen=True)
class BatchOutcome:
    rows: tuple[CallRow, ...]
    coached: int
    skipped: int
    failed: int
    summary_files: tuple[Path, ...]
    audio_s: float  # coached in this run
    wall_s: float


def _slug(call: CallInput) -> str:
    stem = Path(call.files[0]).stem if call.files[0] else "call"
    return re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-._")[:40] or "call"


def as_copy(log: bytes, call: CallInput) -> bytes:
    """A log coached for another input of the same audio, told as ``call``'s: its settings and started
    records name this input, its rep, date and tags (the rows, reports and ``summary`` read them)."""
    from ..events import SessionStarted
    from ..session.reader import decode_record
    from ..session.run_record import SessionSettings

    lines = log.split(b"\n", 2)
    for n, line in enumerate(lines[:2]):
        record = decode_record(json.loads(line))
        if isinstance(record, SessionSettings):
            record = replace(record, source=call.label, call_rep=call.rep, call_date=call.date, tags=tuple(call.tags))
        elif isinstance(record, SessionStarted):
            record = replace(record, source=call.label)
        lines[n] = utf8(json.dumps(record.to_json(), ensure_ascii=False))
    return b"\n".join(lines)


def plan_calls(calls: list[CallInput], fingerprint: str, logs_dir: Path,
               hashes_of: Callable[[Path], str] = content_hash) -> list[BatchPlan]:
    plans = []
    for call in calls:
        try:
            hashes = tuple(hashes_of(p) for p in call.files)
            sizes = tuple(os.path.getsize(p) for p in call.files)
        except FileNotFoundError as exc:
            plans.append(BatchPlan(call, error=f"{exc.filename}: no such file"))
            continue
        except IsADirectoryError as exc:
            plans.append(BatchPlan(call, error=f"{exc.filename}: is a directory"))
            continue
        except OSError as exc:
            plans.append(BatchPlan(call, error=f"{exc.filename or call.label}: cannot read: {exc.strerror or exc}"))
            continue
        key = call_key(call, hashes, fingerprint)
        plans.append(BatchPlan(call, key, sizes, logs_dir / f"{_slug(call)}-{key[:12]}.jsonl"))
    return plans


TEMPORARY = re.compile(r"^\..+\.\d+\.tmp$")  # write_atomic's ".NAME.PID.tmp"


def _clean_temporaries(directory: Path) -> None:
    """Temporary files a killed batch left behind (never counted as done)."""
    for p in directory.glob(".*.tmp"):
        if TEMPORARY.match(p.name) and p.is_file():
            try:
                p.unlink()
            except OSError:
                pass


def _write_report(log: Path, report: Path) -> None:
    from ..session.log import read_session
    from ..session.report import to_html
    from ..session.summary import summarise

    write_atomic(report, utf8(to_html(summarise(read_session(log)))))


def _mkdir_private(path: Path) -> None:
    try:
        private_dirs(path)
    except OSError as exc:
        raise LivecueError(f"cannot create {path}: {exc.strerror or exc}") from None


def default_split(cores: int, pending: int, workers: int | None, threads: int | None) -> tuple[int, int]:
    """Workers and threads per decode: one thread each on every core unless told otherwise."""
    cores = max(1, cores)
    if threads:
        workers = workers or max(1, cores // threads)
    else:
        workers = workers or cores
        workers = max(1, min(workers, pending or 1))
        threads = max(1, cores // workers)
    return max(1, workers), threads


class Progress:
    """Calls done, audio hours per wall hour, ETA: a rich bar on a terminal, one line per call otherwise."""

    def __init__(self, total: int, *, enabled: bool, clock: Callable[[], float] = time.monotonic) -> None:
        self.total, self.done, self.audio_s, self.clock = total, 0, 0.0, clock
        self.started = clock()
        self._bar = None
        if enabled and total and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress as Bar, TextColumn, TimeRemainingColumn

            self._bar = Bar(TextColumn("coaching"), BarColumn(), MofNCompleteColumn(), TextColumn("calls"),
                            TextColumn("{task.fields[rate]}"), TextColumn("ETA"), TimeRemainingColumn(),
                            console=Console(stderr=True), transient=False)
            self._task = self._bar.add_task("batch", total=total, rate="")
            self._bar.start()

    def rate(self) -> float:
        """Audio hours coached per wall hour so far."""
        elapsed = self.clock() - self.started
        return self.audio_s / elapsed if elapsed > 0 else 0.0

    def update(self, result: CallResult, label: str) -> None:
        label = printable(label)  # a file name may hold control characters
        self.done += 1
        self.audio_s += result.audio_s
        rate = f"{self.rate():.1f} audio h/h"
        if self._bar is not None:
            self._bar.update(self._task, advance=1, rate=rate)
            if not result.ok:
                self._bar.console.print(f"livecue: failed: {label}: {result.reason}")
        else:
            what = f"done ({result.audio_s:.0f} s audio, {result.cues} cues)" if result.ok else f"failed: {result.reason}"
            print(f"livecue: [{self.done}/{self.total}] {label}: {what}; {rate}", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()


def work_config(cues: CueOptions, settings: Settings, threads: int, model_arg: str = "") -> WorkConfig:
    """What every worker needs: ``model_arg`` is ``--model`` as given (for the logs' record)."""
    return WorkConfig(settings=replace(settings, asr=replace(settings.asr, threads=threads)),
                      rules=str(cues.rules) if cues.rules else None,
                      profile=str(cues.profile) if cues.profile else None,
                      no_cues=not cues.enabled,
                      model_arg=model_arg,
                      argv=("batch",))


def run_batch(calls: list[CallInput], out_dir: Path, cues: CueOptions, settings: Settings, *, model_path: str,
              model_arg: str = "", workers: int | None = None, threads: int | None = None, reports: bool = False,
              ray_address: str | None = None, progress: bool = True) -> BatchOutcome:
    started = time.monotonic()
    fingerprint = settings_fingerprint(settings, model_path=model_path, rules_dir=cues.rules,
                                       profile=cues.profile, cues=cues.enabled)
    logs_dir, reports_dir = out_dir / "logs", out_dir / "reports"
    for d in (out_dir, logs_dir) + ((reports_dir,) if reports else ()):
        _mkdir_private(d)
    for d in (out_dir, logs_dir, reports_dir):
        if d.is_dir():
            _clean_temporaries(d)
    cache = HashCache(out_dir / ".hashes.json")
    plans = plan_calls(calls, fingerprint, logs_dir, cache.hash)
    cache.save(write_atomic)
    todo: dict[str, BatchPlan] = {}
    copies: dict[str, list[BatchPlan]] = {}  # the same audio under other names: coached once, logged for each
    skipped = 0
    for p in plans:
        if p.error:
            continue
        if p.log.is_file():
            skipped += 1
        elif p.key not in todo:
            todo[p.key] = p
        else:
            copies.setdefault(p.key, []).append(p)
    failures: dict[str, str] = {}
    coached_audio = 0.0

    if todo:
        if ray_address:
            from . import ray_cluster

            ray_cluster.connect(ray_address)
            cpus = ray_cluster.cluster_cpus()
            if threads and threads > cpus:
                raise LivecueError(f"--threads {threads} is more than the Ray cluster's {cpus} CPUs")
            workers, threads = default_split(cpus, len(todo), workers, threads)
            workers = min(workers, max(1, cpus // threads))  # an actor that cannot be placed would wait forever
        else:
            workers, threads = default_split(os.cpu_count() or 1, len(todo), workers, threads)
        config = work_config(cues, settings, threads, model_arg)
        tasks = [CallTask(p.call, p.key, p.sizes) for p in todo.values()]
        print(f"livecue: coaching {len(tasks)} calls ({skipped} already done) on {workers} worker(s) x "
              f"{threads} thread(s){' on Ray at ' + ray_address if ray_address else ''}", file=sys.stderr, flush=True)
        bar = Progress(len(tasks), enabled=progress)

        def on_result(result: CallResult) -> None:
            nonlocal coached_audio
            plan = todo[result.key]
            if result.ok:
                write_atomic(plan.log, result.log)
                for copy in copies.get(result.key, ()):
                    write_atomic(copy.log, as_copy(result.log, copy.call))
                coached_audio += result.audio_s
            else:
                failures[result.key] = result.reason
            bar.update(result, plan.call.label)

        try:
            if ray_address:
                ray_cluster.run_ray(config, tasks, workers, threads, on_result)
            else:
                from .local_pool import run_local

                run_local(config, tasks, workers, on_result)
        finally:
            bar.close()

    rows: list[CallRow | None] = []
    jobs: list[tuple] = []
    for p in plans:
        c = p.call
        reason = p.error or failures.get(p.key, "")
        if reason or p.log is None or not p.log.is_file():
            rows.append(failed_row(c.label, reason or "not coached", rep=c.rep, date=c.date, tags=c.tags))
            continue
        report = None
        if reports:
            report = reports_dir / (p.log.stem + ".html")
            if not report.is_file():
                try:
                    _write_report(p.log, report)
                except LivecueError as exc:
                    print(f"livecue: report for {c.label}: {exc}", file=sys.stderr)
                    report = None
        fallback = CallRow(source=c.label, rep=c.rep, date=c.date, tags=c.tags)
        rows.append(None)
        jobs.append((p.log, report, fallback))
    read = iter(rows_from_logs(jobs))
    rows = [r if r is not None else next(read) for r in rows]
    files = write_summary(rows, out_dir)
    failed = sum(not r.ok for r in rows)
    copied = sum(len(c) for key, c in copies.items() if key not in failures)  # logged from their twin's coaching
    return BatchOutcome(tuple(rows), len(todo) - len(failures) + copied, skipped, failed, tuple(files),
                        coached_audio, time.monotonic() - started)
