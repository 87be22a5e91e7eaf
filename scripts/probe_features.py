"""An experiment (issue 11, thirteenth and sixteenth stops): which views of a clause let the classifier generalise?

Row level, no rules: for each label, an L2 logistic regression (the engine's
``fit_logistic``, its ``L2``) learns the label against every other row of
``cue_rules/utterances.tsv``'s writers but one, and scores the left-out
writer's rows; a row counts at probability >= ``--at`` (0.95: the rules'
``confident_at``).  Summed over the writers, per label and in all.  This
isolates the features from the nearest-example path, the clause split and
the context gates that ``probe_writers.py --lowo`` measures with them.

Views (``--views``, joined with "+"):
- ``minilm``: the sentence embedding (mean-pooled encoder output);
- ``hash``: ``word_features``, the hashed words and word pairs;
- ``lexical``: ``MiniLMEmbedder.lexical``, the mean of the input word-piece vectors;
- ``sif``: ``lexical`` with each piece weighted a / (a + p(piece)), p its share of
  all the rows' pieces and a = 1e-3 (smooth inverse frequency: "okay" and
  "the" weigh less than "contract");
- ``sif_fit``: ``sif`` with the frequencies counted on the training writers' rows only
  (the left-out writer's rows weigh with counts they did not make: what a fit can know);
- ``static``: the tokenlearn static model (needs ``tokenlearn-static-model``);
- ``minilm2``: the sentence embedding twice: as much more width as
  ``lexical`` adds, with no new information (a control for "more columns,
  less penalty");
- ``layer2``, ``layer3``, ``layer4``: the encoder's output after that many
  of its six layers, mean-pooled like the sentence embedding (``layer3``
  was tried in the rules and turned down: docs/benchmarks.md, issue-11af);
- ``maxpool``: the last layer max-pooled instead of averaged.

    python scripts/probe_features.py --views minilm+hash minilm+hash+lexical
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from livecue.cues import intents  # noqa: E402
from livecue.cues.embedding import encode_examples, load_embedder  # noqa: E402

VIEWS = ("minilm", "hash", "lexical", "sif", "sif_fit", "static", "minilm2", "layer2", "layer3", "layer4", "maxpool")
LABELS = ("lukewarm", "brush_off", "repeat_no", "exit", "deferral", "throwaway")


def writer_rows(path: Path) -> list[tuple[int, str, str]]:
    """(writer, label, normalised text) for the rows under a "# Writer N" heading; any other
    heading ("# First block", "# The lead") ends a writer's block."""
    out, writer = [], 0
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# Writer "):
            writer = int(line.split()[2])
        elif line.startswith(("# First block", "# The lead")):
            writer = 0
        elif line.strip() and not line.startswith("#") and writer:
            label, _context, text = line.split("\t")
            out.append((writer, label, intents.example_text(text)))
    return out


def sif(model, texts: list[str], a: float = 1e-3, counted_on: list[str] | None = None) -> np.ndarray:
    """The lexical view with smooth-inverse-frequency weights counted on ``counted_on`` (default: the
    texts themselves); a piece never counted weighs 1."""
    pieces = [model._tok.ids(t)[1:-1] for t in texts]
    counts: dict[int, int] = {}
    for ids in (pieces if counted_on is None else [model._tok.ids(t)[1:-1] for t in counted_on]):
        for i in ids:
            counts[i] = counts.get(i, 0) + 1
    total = max(sum(counts.values()), 1)
    out = np.zeros((len(texts), model.lexical_dim), dtype=np.float32)
    for row, ids in enumerate(pieces):
        if ids:
            w = np.array([a / (a + counts.get(i, 0) / total) for i in ids], dtype=np.float32)
            v = (model._word[ids].astype(np.float32) * w[:, None]).sum(axis=0)
            out[row] = v / max(float(np.linalg.norm(v)), 1e-9)
    return out


def hidden_views(texts: list[str]) -> dict[str, np.ndarray]:
    """Mean-pooled outputs of encoder layers 2, 3 and 4 and the last layer max-pooled: views the
    same forward pass already computes (numpy runtime, which exposes every layer)."""
    from livecue.cues.embedding import MiniLMEmbedder, _unit

    model = MiniLMEmbedder(runtime="numpy")
    out = {k: np.zeros((len(texts), model.dim), dtype=np.float32) for k in ("layer2", "layer3", "layer4", "maxpool")}
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    for lo in range(0, len(order), 32):
        idx = order[lo:lo + 32]
        seqs = [model._tok.ids(texts[i])[:model.MAX_TOKENS] for i in idx]
        b, n = len(seqs), max(len(s) for s in seqs)
        ids = np.zeros((b, n), dtype=np.int64)
        mask = np.zeros((b, n), dtype=np.float32)
        for j, seq in enumerate(seqs):
            ids[j, :len(seq)] = seq
            mask[j, :len(seq)] = 1.0
        x = model._word[ids.ravel()].astype(np.float32).reshape(b, n, model.dim) + model._pos[:n] + model._type0
        x = model._norm(x, model._ln0)
        bias = np.ascontiguousarray(((mask - 1.0) * 1e4)[:, None, None, :])
        layers = model._layers
        for depth, layer in enumerate(layers, start=1):
            model._layers = [layer]
            x = model._layers_numpy(x, bias)
            if depth in (2, 3, 4):
                pooled = (x * mask[:, :, None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
                for j, i in enumerate(idx):
                    out[f"layer{depth}"][i] = _unit(pooled[j])
        model._layers = layers
        mx = np.where(mask[:, :, None] > 0, x, -1e9).max(axis=1)
        for j, i in enumerate(idx):
            out["maxpool"][i] = _unit(mx[j])
    return out


def views(texts: list[str], names: set[str]) -> dict[str, np.ndarray]:
    minilm = load_embedder("minilm")
    out = {"minilm": encode_examples(minilm, texts), "hash": intents.word_features(texts)}
    out["minilm2"] = out["minilm"]
    if "lexical" in names:
        out["lexical"] = minilm.lexical(texts)
    if "sif" in names:
        out["sif"] = sif(minilm, texts)
    if names & {"layer2", "layer3", "layer4", "maxpool"}:
        out.update(hidden_views(texts))
    if "static" in names:
        out["static"] = encode_examples(load_embedder("static"), texts)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--views", nargs="+", default=["minilm+hash", "minilm+hash+lexical"])
    ap.add_argument("--at", type=float, default=0.95)
    ap.add_argument("--rows", type=Path, default=ROOT / "cue_rules" / "utterances.tsv")
    args = ap.parse_args()
    unknown = {v for combo in args.views for v in combo.split("+")} - set(VIEWS)
    if unknown:
        ap.error(f"unknown view {', '.join(sorted(unknown))} (one of {', '.join(VIEWS)})")
    rows = writer_rows(args.rows)
    texts = [t for _, _, t in rows]
    writers = np.array([w for w, _, _ in rows])
    labels = np.array([lab for _, lab, _ in rows])
    table = views(texts, {v for combo in args.views for v in combo.split("+")})
    print(f"{len(rows)} rows from {len(set(writers.tolist()))} writers, p >= {args.at}")
    by_writer: dict[int, np.ndarray] = {}  # sif_fit: the rows' view with the other writers' counts
    if any("sif_fit" in combo.split("+") for combo in args.views):
        minilm = load_embedder("minilm")
        for w in sorted(set(writers.tolist())):
            by_writer[w] = sif(minilm, texts, counted_on=[t for t, wr in zip(texts, writers) if wr != w])
    for combo in args.views:
        total = np.zeros(3, dtype=int)
        for label in LABELS:
            tp = fp = fn = 0
            for w in sorted(set(writers.tolist())):
                train, test = writers != w, writers == w
                if not (test & (labels == label)).any():
                    continue
                x = np.concatenate([by_writer[w] if v == "sif_fit" else table[v] for v in combo.split("+")], axis=1)
                neg = x[train & (labels != label)]
                weights, bias = intents.fit_logistic(x[train & (labels == label)], neg, np.ones(len(neg)), intents.L2)
                p = 1.0 / (1.0 + np.exp(-(x[test] @ weights + bias)))
                y = labels[test] == label
                tp += int(((p >= args.at) & y).sum())
                fp += int(((p >= args.at) & ~y).sum())
                fn += int(((p < args.at) & y).sum())
            total += (tp, fp, fn)
            print(f"{combo:28s} {label:10s} {tp:5d}/{fp:4d}/{fn:5d}  R {tp / max(tp + fn, 1):.3f}", flush=True)
        tp, fp, fn = total
        print(f"{combo:28s} {'all':10s} {tp:5d}/{fp:4d}/{fn:5d}  P {tp / max(tp + fp, 1):.3f} R {tp / max(tp + fn, 1):.3f}",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
