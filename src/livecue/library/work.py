"""The per-call work of a batch: exactly ``livecue replay --fast``, model loaded once.

A worker (a local process or a Ray actor) builds one ``CallWorker``; each
call goes through ``commands.common.pipeline_factory_for`` -- the pipeline,
stages and settings ``replay --fast`` uses -- into a ``SessionLog`` in a
private temporary file, whose bytes go back to the driver.  Workers write
nothing in the output directory; only the driver does.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from ..config import Settings
from ..errors import LivecueError
from .inputs import CallInput


@dataclass(frozen=True)
class WorkConfig:
    """What every worker needs to coach calls like ``replay --fast`` would (picklable)."""

    settings: Settings
    rules: str | None = None
    profile: str | None = None
    no_cues: bool = False
    model_arg: str = ""  # --model as given, for the log's settings record
    argv: tuple[str, ...] = ()


@dataclass(frozen=True)
class CallTask:
    call: CallInput
    key: str
    sizes: tuple[int, ...]  # of call.files: a worker that sees other sizes asks for the bytes


@dataclass(frozen=True)
class CallResult:
    key: str
    ok: bool
    log: bytes = b""  # the session log, JSON lines
    reason: str = ""  # one line, when not ok
    audio_s: float = 0.0
    wall_s: float = 0.0
    cues: int = 0
    need_bytes: bool = False  # the worker cannot read the driver's paths: send the audio
    worker: str = ""


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def visible(task: CallTask) -> bool:
    """Whether this machine sees the driver's files (same path, same size)."""
    try:
        return all(os.path.getsize(p) == n for p, n in zip(task.call.files, task.sizes))
    except OSError:
        return False


class CallWorker:
    """Holds a loaded model; ``process`` runs one call to its session log bytes."""

    def __init__(self, config: WorkConfig) -> None:
        from ..asr.whisper import load_engine

        self.config = config
        self.engine = load_engine(config.settings.asr)
        self.name = f"{os.uname().nodename}:{os.getpid()}"

    def process(self, task: CallTask, data: tuple[bytes, ...] | None = None) -> CallResult:
        started = time.monotonic()
        if data is None and not visible(task):
            return CallResult(task.key, False, need_bytes=True, worker=self.name)
        scratch = Path(tempfile.mkdtemp(prefix="livecue-batch-"))
        files = task.call.files
        try:
            if data is not None:  # the driver's bytes, under the original names' suffixes
                files = tuple(self._spill(scratch, i, f, b) for i, (f, b) in enumerate(zip(files, data)))
            log_bytes, audio_s, cues = self._coach(task, files, scratch)
            return CallResult(task.key, True, log_bytes, audio_s=audio_s, cues=cues,
                              wall_s=time.monotonic() - started, worker=self.name)
        except LivecueError as exc:
            reason = _one_line(exc)
            for spilled, original in zip(files, task.call.files):  # name the driver's file, not the scratch copy
                reason = reason.replace(str(spilled), str(original))
            return CallResult(task.key, False, reason=reason, wall_s=time.monotonic() - started,
                              worker=self.name)
        except Exception as exc:  # noqa: BLE001 - one bad call must not end the batch
            return CallResult(task.key, False, reason=f"internal error: {type(exc).__name__}: {_one_line(exc)}",
                              wall_s=time.monotonic() - started, worker=self.name)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    @staticmethod
    def _spill(scratch: Path, i: int, original: Path, data: bytes) -> Path:
        path = scratch / f"audio{i}{Path(original).suffix}"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        return path

    def _coach(self, task: CallTask, files: tuple[Path, ...], scratch: Path) -> tuple[bytes, float, int]:
        from ..audio.files import FileSource, load_call, replay_block_s
        from ..clock import AudioClock
        from ..commands import common
        from ..events import Cue
        from ..options import CueOptions
        from ..session.log import SessionLog, SessionSettings

        call, cfg = task.call, self.config
        if call.path is not None:
            audio = load_call(files[0], rep_channel=call.rep_channel, prospect_channel=call.prospect_channel)
        else:
            audio = load_call(rep=files[0], prospect=files[1])
        audio = replace(audio, description=call.label)  # bytes spilled to scratch keep the driver's name
        cues = CueOptions(rules=Path(cfg.rules) if cfg.rules else None,
                          profile=Path(cfg.profile) if cfg.profile else None, enabled=not cfg.no_cues)
        clock = AudioClock()
        source = FileSource(audio, fast=True, block_s=replay_block_s(True, not cfg.settings.asr.fast_final_only))
        factory = common.pipeline_factory_for(cues, source, clock, mode="replay", fast=True,
                                              settings=cfg.settings, engine=self.engine)
        now = datetime.now().astimezone()
        record = SessionSettings(started_at=now.isoformat(timespec="seconds"), mode="replay", source=call.label,
                                 model=cfg.model_arg, rules=cfg.rules or "", profile=cfg.profile or "",
                                 cues=not cfg.no_cues, argv=cfg.argv, call_rep=call.rep, call_date=call.date,
                                 tags=call.tags, call_key=task.key)
        log_path = scratch / "session.jsonl"
        cues = 0

        class CueCount:
            def handle(self, event) -> None:
                nonlocal cues
                cues += isinstance(event, Cue)

            def close(self) -> None:
                pass

        log = SessionLog(record, now, path=log_path, announce=lambda line: None, log_settings=cfg.settings.log)
        factory([log, CueCount()]).run()
        return log_path.read_bytes(), audio.duration, cues
