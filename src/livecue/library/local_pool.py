"""Batch work on this machine: N spawned worker processes, each loading the model once.

``spawn`` (not fork): a worker starts clean, without the driver's threads or
a half-initialised CTranslate2.  A worker that dies takes the pool with it
(``BrokenProcessPool``); the calls still pending are resubmitted to a new
pool, and after ``MAX_POOL_RESTARTS`` they are recorded as failed.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Callable, Iterable

from .work import CallResult, CallTask, CallWorker, WorkConfig

MAX_POOL_RESTARTS = 3

_worker: CallWorker | None = None
_init_error: str = ""


def _init(config: WorkConfig) -> None:
    global _worker, _init_error
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the driver's: it stops the workers itself
    # One decode's threads per worker: keep numpy/onnx from each grabbing every core.
    threads = str(config.settings.asr.threads or 1)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = threads
    try:
        _worker = CallWorker(config)
    except Exception as exc:  # noqa: BLE001 - reported per call, the driver decides
        _init_error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _process(task: CallTask) -> CallResult:
    if _worker is None:
        return CallResult(task.key, False, reason=f"the worker could not load the model: {_init_error}")
    return _worker.process(task)


def run_local(config: WorkConfig, tasks: Iterable[CallTask], workers: int,
              on_result: Callable[[CallResult], None]) -> None:
    pending = {t.key: t for t in tasks}
    restarts = 0
    while pending:
        broken = False
        ex = ProcessPoolExecutor(max_workers=max(1, min(workers, len(pending))),
                                 mp_context=multiprocessing.get_context("spawn"),
                                 initializer=_init, initargs=(config,))
        try:
            futures = {ex.submit(_process, t): t for t in pending.values()}
            waiting = set(futures)
            while waiting and not broken:
                done, waiting = wait(waiting, return_when=FIRST_COMPLETED)
                for fut in done:
                    try:
                        result = fut.result()
                    except BrokenProcessPool:
                        broken = True
                        continue
                    pending.pop(futures[fut].key, None)
                    on_result(result)
        except KeyboardInterrupt:
            for child in multiprocessing.active_children():  # this pool's workers: their calls are lost anyway
                child.terminate()
            raise
        finally:
            ex.shutdown(wait=True, cancel_futures=True)
        if broken:
            restarts += 1
            if restarts >= MAX_POOL_RESTARTS:
                for t in pending.values():
                    on_result(CallResult(t.key, False, reason="the worker process died while coaching it"))
                return
