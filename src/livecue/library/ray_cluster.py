"""Batch work on a Ray cluster: the only module that imports ``ray``.

One actor per worker slot holds a loaded model (``CallWorker``) and coaches
calls one at a time.  A task carries the driver's path and file sizes; an
actor that cannot see the same file answers ``need_bytes`` and the driver
sends the audio through the object store.  A lost worker is restarted by Ray
(``max_restarts``) and its call retried (``max_task_retries``); if a call
still fails with a Ray error it is resubmitted, up to ``MAX_ATTEMPTS``.
Results come back to the driver, which alone writes the output directory.
"""

from __future__ import annotations

import os
from collections import deque
from pathlib import Path
from typing import Callable, Iterable

from ..errors import LivecueError
from ..termination import keeping_termination_handlers
from .work import CallResult, CallTask, CallWorker, WorkConfig

INSTALL_HINT = "--ray needs Ray, which is not installed: pip install 'livecue[ray]'"
MAX_ATTEMPTS = 3


def _ray():
    try:
        import ray
    except ImportError:
        raise LivecueError(INSTALL_HINT) from None
    return ray


class _CallActor:
    def __init__(self, config: WorkConfig) -> None:
        self.worker = CallWorker(config)

    def pid(self) -> int:
        return os.getpid()

    def process(self, task: CallTask, data: tuple[bytes, ...] | None = None) -> CallResult:
        return self.worker.process(task, data)


def _reachable(address: str, timeout_s: float = 5.0) -> None:
    """A HOST:PORT that answers nothing is one line now (Ray itself retries for minutes)."""
    import socket

    if address == "auto" or "://" in address:
        return
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise LivecueError(f"--ray wants HOST:PORT of the cluster's head (or 'auto'), not {address!r}")
    try:
        socket.create_connection((host, int(port)), timeout=timeout_s).close()
    except OSError as exc:
        raise LivecueError(f"cannot connect to the Ray cluster at {address}: {exc.strerror or exc}") from None


def connect(address: str) -> None:
    ray = _ray()
    _reachable(address)
    try:
        with keeping_termination_handlers():  # livecue's stop the batch as Ctrl-C does and say so
            ray.init(address=address, log_to_driver=False, logging_level="ERROR",
                     include_dashboard=False, ignore_reinit_error=True)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise LivecueError(f"cannot connect to the Ray cluster at {address}: "
                           f"{str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}") from None


def cluster_cpus() -> int:
    return int(_ray().cluster_resources().get("CPU", 1))


def run_ray(config: WorkConfig, tasks: Iterable[CallTask], workers: int, threads: int,
            on_result: Callable[[CallResult], None]) -> None:
    """Coach ``tasks`` on ``workers`` actors of ``threads`` CPUs each; results to ``on_result``."""
    ray = _ray()
    from ray.exceptions import RayError

    queue = deque((t, None, 1) for t in tasks)
    if not queue:
        return
    actor_cls = ray.remote(_CallActor).options(num_cpus=threads, max_restarts=-1, max_task_retries=2)
    actors = [actor_cls.remote(config) for _ in range(max(1, min(workers, len(queue))))]
    inflight: dict = {}  # ref -> (actor, task, data ref, attempt)

    def submit(actor) -> None:
        task, data, attempt = queue.popleft()
        inflight[actor.process.remote(task, data)] = (actor, task, data, attempt)

    try:
        for actor in actors:
            if queue:
                submit(actor)
        while inflight:
            ready, _ = ray.wait(list(inflight), num_returns=1)
            ref = ready[0]
            actor, task, data, attempt = inflight.pop(ref)
            try:
                result = ray.get(ref)
            except RayError as exc:
                if attempt < MAX_ATTEMPTS:
                    queue.appendleft((task, data, attempt + 1))
                else:
                    line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                    on_result(CallResult(task.key, False, reason=f"lost on the cluster: {line}"))
            else:
                if result.need_bytes and data is None:
                    try:
                        blobs = tuple(Path(p).read_bytes() for p in task.call.files)
                    except OSError as exc:
                        on_result(CallResult(task.key, False, reason=f"cannot read: {exc.strerror or exc}"))
                    else:
                        queue.appendleft((task, ray.put(blobs), attempt))
                else:
                    on_result(result)
            if queue:
                submit(actor)
    finally:
        for actor in actors:
            ray.kill(actor)

