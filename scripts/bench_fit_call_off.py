"""How soon a logistic fit of the shipped size stops once its session ends (``progress.stoppable``).

A live session's rule reload refits the classifiers on the job thread; the
session's end calls it off and waits for it (``pipeline.JOB_STOP_WAIT_S``).
This fits random rows of the utterance file's shape (8,300 x 1,280, one
BLAS thread as on the job thread), calls the fit off 0.5-2.5 s in, and
prints how long after each call-off it stopped.  ``--src`` runs another
checkout's code (before/after).

    python scripts/bench_fit_call_off.py
    python scripts/bench_fit_call_off.py --src /tmp/before/src
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", default=str(ROOT / "src"), help="the livecue source tree to run")
    args = ap.parse_args()
    sys.path.insert(0, args.src)
    from livecue import progress
    from livecue.cues.embedding import one_blas_thread
    from livecue.cues.intents import fit_logistic

    rng = np.random.default_rng(0)
    pos = (rng.normal(size=(1200, 1280)) * 0.05 + 0.01).astype(np.float32)
    neg = (rng.normal(size=(7100, 1280)) * 0.05).astype(np.float32)
    waits, whole = [], []
    for delay_s in (0.5, 1.0, 1.5, 2.0, 2.5):
        stop, out = threading.Event(), {}

        def fit() -> None:
            began = time.perf_counter()
            try:
                with progress.stoppable(stop.is_set), one_blas_thread():
                    fit_logistic(pos, neg, np.ones(len(neg)))
                out["whole"] = time.perf_counter() - began
            except progress.Abandoned:
                pass
            out["end"] = time.perf_counter()

        thread = threading.Thread(target=fit)
        thread.start()
        time.sleep(delay_s)
        asked = time.perf_counter()
        stop.set()
        thread.join()
        waits.append(max(0.0, out["end"] - asked))
        if "whole" in out:
            whole.append(out["whole"])
    print(f"{args.src}: stopped {', '.join(f'{w:.2f}' for w in waits)} s after the call-off "
          f"(0.5, 1.0, 1.5, 2.0, 2.5 s in)" + (f"; ran to its end, {min(whole):.1f}-{max(whole):.1f} s, "
                                                f"{len(whole)} of 5 times" if whole else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
