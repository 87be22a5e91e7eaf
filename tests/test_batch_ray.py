"""``livecue batch --ray`` against a real local Ray cluster this module starts (and stops)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from batch_fixtures import csv_rows, cues_of, log_for, make_calls
from conftest import ROOT, run_cli

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.slow

PIECES = (("brushoff", 0.0, 16.0), ("wrapup", 16.0, 30.0), ("opening", 4.0, 11.0), ("middle", 8.0, 20.0),
          ("late", 20.0, 28.0))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _session_processes(sid: int) -> list[tuple[int, str]]:
    """Processes in the session the cluster was started in (all of them started by this module)."""
    out = subprocess.run(["ps", "-ww", "-eo", "pid=,sid=,args="], capture_output=True, text=True).stdout
    procs = []
    for line in out.splitlines():
        pid, s, args = line.split(None, 2) if len(line.split(None, 2)) == 3 else (*line.split(None, 1), "")
        if int(s) == sid:
            procs.append((int(pid), args))
    return procs


@pytest.fixture(scope="module")
def cluster():
    """``ray start --head --block`` on a free port, with this tree's livecue importable by its workers."""
    port = _free_port()
    temp = Path(tempfile.mkdtemp(prefix="lcray"))  # short: Ray's socket paths have a length limit
    ray_cli = Path(sys.executable).with_name("ray")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")])),
               RAY_USAGE_STATS_ENABLED="0")
    log = open(temp / "head.log", "w")
    head = subprocess.Popen([str(ray_cli) if ray_cli.exists() else "ray", "start", "--head", f"--port={port}",
                             "--num-cpus=2", "--include-dashboard=false", f"--temp-dir={temp}", "--block"],
                            env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True)
    address = f"127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while "--block" not in (temp / "head.log").read_text():
        assert head.poll() is None and time.monotonic() < deadline, (temp / "head.log").read_text()[-2000:]
        time.sleep(0.5)
    try:
        yield address, head.pid
    finally:
        if ray.is_initialized():
            ray.shutdown()
        head.send_signal(signal.SIGTERM)  # ray start --block stops its raylet and workers
        try:
            head.wait(60)
        except subprocess.TimeoutExpired:
            head.kill()
            head.wait()
        for pid, _ in _session_processes(head.pid):  # anything the cluster left behind
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        log.close()
        shutil.rmtree(temp, ignore_errors=True)


@pytest.fixture(scope="module")
def calls(tmp_path_factory) -> list[Path]:
    return make_calls(tmp_path_factory.mktemp("calls"), PIECES)


def test_ray_batch_survives_a_killed_worker_and_matches_the_local_pool(cluster, calls, tmp_path):
    address, head_pid = cluster
    out = tmp_path / "ray"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")])),
               RAY_USAGE_STATS_ENABLED="0")
    batch = subprocess.Popen([sys.executable, "-m", "livecue", "batch", *map(str, calls), "--out", str(out),
                              "--ray", address, "--workers", "2", "--no-progress"], cwd=str(ROOT), env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    killed = None
    deadline = time.monotonic() + 300
    while killed is None and time.monotonic() < deadline and batch.poll() is None:
        done = list((out / "logs").glob("*.jsonl")) if (out / "logs").is_dir() else []
        actors = [pid for pid, args in _session_processes(head_pid) if args.startswith("ray::_CallActor.process")]
        if done and actors and len(done) < len(calls):
            os.kill(actors[0], signal.SIGKILL)  # a worker lost mid-batch, its call in flight
            killed = (actors[0], len(done))
        time.sleep(0.05)
    stdout, stderr = batch.communicate(timeout=300)
    assert killed is not None, f"the batch ended before a worker could be killed: {stderr}"
    assert batch.returncode == 0, stderr
    assert f"{len(calls)} coached, 0 already done, 0 failed" in stderr
    assert [r["status"] for r in csv_rows(out)] == ["ok"] * len(calls)

    local = tmp_path / "local"
    result = run_cli("batch", *map(str, calls), "--out", str(local), "--no-progress")
    assert result.returncode == 0, result.stderr
    for call in calls:
        assert cues_of(log_for(out, call.stem)) == cues_of(log_for(local, call.stem)), call.name
    strip = lambda rows: [{k: v for k, v in r.items() if k not in ("log", "report")} for r in rows]  # noqa: E731
    assert strip(csv_rows(out)) == strip(csv_rows(local))
    assert sum(len(cues_of(log_for(local, c.stem))) for c in calls) >= 2


def test_audio_goes_as_bytes_when_workers_cannot_see_the_path(cluster, calls):
    from livecue.commands.common import cue_options, settings_from_args
    from livecue.library.inputs import CallInput
    from livecue.library.ray_cluster import connect, run_ray
    from livecue.library.runner import work_config
    from livecue.library.work import CallTask
    import argparse

    address, _ = cluster
    connect(address)
    args = argparse.Namespace(rules=None, profile=None, no_cues=False, model=None)
    config = work_config(cue_options(args), settings_from_args(args), threads=1)
    call = CallInput(path=calls[0])
    real = os.path.getsize(calls[0])
    # The sizes the driver saw differ from what the worker sees: as if the path named another machine's file.
    tasks = [CallTask(call, "bytes", (real + 1,)), CallTask(call, "path", (real,))]
    results = {}
    run_ray(config, tasks, workers=2, threads=1, on_result=lambda r: results.setdefault(r.key, r))
    assert results["bytes"].ok and results["path"].ok, results
    cues = lambda log: [line for line in log.decode().splitlines() if '"type": "cue"' in line]  # noqa: E731
    strip = lambda lines: [line.split('"t":')[1].split(",")[0] + line.split('"cue":')[1].split(",")[0] for line in lines]  # noqa: E731
    assert strip(cues(results["bytes"].log)) == strip(cues(results["path"].log))
    assert f'"source": "{calls[0]}"' in results["bytes"].log.decode()  # named as the driver knows it
