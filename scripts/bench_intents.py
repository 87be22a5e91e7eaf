"""Cost of the semantic layer (intent triggers), per embedding model.

For each model: start-up (loading the model and embedding every rule
example), the process's peak RSS after that, and the CPU time the intent
triggers take per finished turn while ``eval --transcript`` runs over the
given calls (median and p90 of the per-turn sums; CPU time of this process,
so other load on the machine inflates it less than wall time would).  The
shipped rules are used as they are for ``minilm``; for another model they
are copied with ``model = "<name>"`` set on every intent trigger and the
thresholds given by ``--threshold``.

    python scripts/bench_intents.py ../shared/calls-text --model minilm
    python scripts/bench_intents.py ../shared/calls-text --model static --threshold 0.8
    python scripts/bench_intents.py ../shared/calls-text --scoring classifier   (issue 11s)

MiniLM's encoder runs in onnxruntime by default; ``--runtime numpy`` times
the numpy pass instead (old and new in one session: run both, alternating).
For the one-core figure of the issue pin the process and its BLAS:

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 taskset -c 0 python scripts/bench_intents.py ../shared/calls-text
"""

from __future__ import annotations

import argparse
import re
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rules_for(model: str, threshold: float | None, out: Path, scoring: str = "") -> Path:
    src = Path(__file__).resolve().parents[1] / "cue_rules"
    for f in src.glob("*.toml"):
        text = f.read_text()
        extra = f'scoring = "{scoring}"\n' if scoring else ""
        text = text.replace('kind = "intent"\n', f'kind = "intent"\nmodel = "{model}"\n{extra}')
        if threshold is not None:
            text = re.sub(r"(?m)^threshold = [0-9.]+", f"threshold = {threshold}", text)
        (out / f.name).write_text(text)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("calls", nargs="+")
    ap.add_argument("--model", default="minilm")
    ap.add_argument("--threshold", type=float, default=None)
    ap.add_argument("--scoring", default="", help="set every intent trigger's scoring (nearest, top_k, classifier)")
    ap.add_argument("--runtime", choices=("onnxruntime", "numpy"), default="",
                    help="MiniLM only: where the encoder layers run (default: onnxruntime when importable)")
    args = ap.parse_args()
    if args.runtime:
        import os

        os.environ["LIVECUE_MINILM_RUNTIME"] = args.runtime
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    base_rss = None
    import numpy  # noqa: F401  (the core's own import cost is not the semantic layer's)

    from livecue.cues import triggers
    from livecue.cues.rules import load_rule_dir
    from livecue.cues.transcript import run_events
    from livecue.tuning.evaluate import EVENTS
    from livecue.tuning.labels import find_calls

    calls = find_calls([Path(p) for p in args.calls])
    with tempfile.TemporaryDirectory() as tmp:
        rules = rules_for(args.model, args.threshold, Path(tmp), args.scoring)
        base_rss = rss_mb()
        t0 = time.perf_counter()
        c0 = time.process_time()
        load = load_rule_dir(rules)
        start_s, start_cpu = time.perf_counter() - t0, time.process_time() - c0
        loaded_rss = rss_mb()
        assert not load.problems, load.problems
        shutil.rmtree(tmp, ignore_errors=True)

    per_turn: dict[int, float] = {}
    alive: list = []
    kind = triggers.REGISTRY["intent"]
    original = kind.evaluate

    def timed(det, crule, ct, ctx, ignore_used):
        c = time.process_time()
        try:
            return original(det, crule, ct, ctx, ignore_used)
        finally:
            if ctx.reason == "final":  # a finished segment: the only time intents are judged
                alive.append(ctx)  # held until the call is done, so that no two segments share an id
                per_turn[id(ctx)] = per_turn.get(id(ctx), 0.0) + time.process_time() - c

    from livecue.cues import embedding

    model = embedding.load_embedder(args.model)
    passes: list[float] = []
    inner = model.encode

    def counted(texts):
        before = len(model._cache)
        c = time.process_time()
        out = inner(texts)
        if len(model._cache) != before or len(model._cache) >= 4096:
            passes.append(time.process_time() - c)
        return out

    model.encode = counted  # type: ignore[method-assign]

    kind.evaluate = timed  # type: ignore[method-assign]
    contexts: list[float] = []
    t0 = time.perf_counter()
    for call in calls:
        per_turn.clear()
        alive.clear()
        run_events(EVENTS.get(call), load, None, call.duration)
        contexts += list(per_turn.values())
    total = time.perf_counter() - t0
    ms = sorted(1000 * v for v in contexts)
    p90 = ms[int(0.9 * (len(ms) - 1))] if ms else 0.0
    runtime = getattr(model, "runtime", "")
    print(f"model {args.model}{f' ({runtime})' if runtime else ''}: start-up +{start_s:.2f} s wall ({start_cpu:.2f} s CPU), "
          f"RSS {base_rss:.0f} -> {loaded_rss:.0f} MB after load, {rss_mb():.0f} MB after the run")
    run = sorted(1000 * v for v in passes)
    print(f"  finished segments: {len(ms)}; intent CPU per finished segment: median {statistics.median(ms) if ms else 0:.2f}"
          f" ms, p90 {p90:.1f} ms, mean {statistics.fmean(ms) if ms else 0:.1f} ms")
    if run:
        print(f"  model passes (a turn's new clauses, batched): {len(run)}; CPU per pass median "
              f"{statistics.median(run):.1f} ms, p90 {run[int(0.9 * (len(run) - 1))]:.1f} ms")
    print(f"  {len(calls)} calls in {total:.1f} s ({60 * len(calls) / total:,.0f} calls/minute)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
