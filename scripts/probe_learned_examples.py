"""An experiment, not shipped: the learned positives as nearest examples too (issue 11, sixth stop).

A ``classifier`` intent with ``learn_from`` reads its file's rows only
through the classifier's veto.  Here the rows with the trigger's labels
also count as ``sounds_like`` examples, their similarity lowered by DELTA
(0: as the rule's own), and the veto stays; then the generalisation bench
runs (its arguments follow DELTA).  Figures: docs/benchmarks.md,
"issue-11v: the learned veto".

    python scripts/probe_learned_examples.py 0.05 [--per-cue]
"""

import runpy
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import numpy as np  # noqa: E402

import livecue.cues.intents as intents  # noqa: E402
from livecue.cues.embedding import encode_examples  # noqa: E402

DELTA: list[float | None] = [0.0]  # how far the rows' similarity is lowered; None: the shipped scoring
shipped_init, shipped_score = intents.Intent.__init__, intents.Intent.score


def init(self, sounds_like, not_like, model, scoring="nearest", top_k=3, background=(), learned=((), ())):
    shipped_init(self, sounds_like, not_like, model, scoring, top_k, background, learned)
    self.extra_texts = tuple(t for t in learned[0] if t not in set(sounds_like))
    self.extra = (encode_examples(self.embedder, [intents.example_text(t) for t in self.extra_texts])
                  if self.extra_texts else None)


def score(self, texts):
    base = shipped_score(self, texts)
    if DELTA[0] is None or not texts or self.extra is None:
        return base
    sims = self.embedder.encode([intents.without_asides(t) for t in texts]) @ self.extra.T - DELTA[0]
    out = []
    for i, s in enumerate(base):
        j = int(np.argmax(sims[i]))
        if sims[i, j] > s.similarity:
            s = intents.Score(float(sims[i, j]), self.extra_texts[j], s.near_miss, s.confidence)
        out.append(s)
    return out


def install() -> None:
    """Every Intent made from now on also keeps its learned positives as examples."""
    intents.Intent.__init__, intents.Intent.score = init, score


if __name__ == "__main__":
    DELTA[0] = float(sys.argv[1])
    install()
    sys.argv = ["bench_generalisation.py"] + sys.argv[2:]
    runpy.run_path(str(ROOT / "scripts" / "bench_generalisation.py"), run_name="__main__")
