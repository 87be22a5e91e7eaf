"""Where the semantic layer's memory goes: RSS after each step of loading it, in one process.

``bench_intents.py`` gives the layer's total (peak RSS after the rules load,
over the start); this splits it into the runtime libraries, the two
encoders and the compiled rules, so a change can be aimed at the part that
is large.  RSS is read from /proc/self/statm (Linux) after each step, the
peak from getrusage.

    PYTHONPATH=src python scripts/memory_steps.py [RULES_DIR]
"""

from __future__ import annotations

import resource
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    rules = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "cue_rules"
    import numpy  # noqa: F401  (the core's own imports are not the layer's)

    from livecue.cues.rules import load_rule_dir
    from livecue.cues.transcript import run_events  # noqa: F401

    last = rss_mb()
    print(f"{'start (livecue, numpy)':44s} {last:6.0f} MB")

    def step(name: str) -> None:
        nonlocal last
        now = rss_mb()
        print(f"{name:44s} {now:6.0f} MB  {now - last:+5.0f} MB  (peak so far {peak_mb():.0f} MB)")
        last = now

    import onnxruntime  # noqa: F401
    step("import onnxruntime")
    from livecue.cues.embedding import load_embedder
    load_embedder("minilm")
    step("minilm (onnxruntime session, word pieces)")
    load_embedder("minilm-tuned", lean=True)
    step("minilm-tuned, lean")
    load_rule_dir(rules)
    step(f"rules compiled ({rules.name})")
    print(f"the tokenizers library imported: {'tokenizers' in sys.modules}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
