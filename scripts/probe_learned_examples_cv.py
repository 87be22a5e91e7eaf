"""Two-fold cross-validation of the learned rows (issue 11, sixth stop): inside the tuned data only.

``cue_rules/utterances.tsv`` is split by the crc32 of each row; the rules
learn from one half (a temporary copy of the rule directory), and the
other half is scored as the generalisation bench scores a bank.  For each
fold: the shipped veto alone, then the rows also as nearest examples with
their similarity lowered by 0.1, 0.05 and 0 (``probe_learned_examples.py``);
the first fold also scores the calls-text tune half, A, C and vA.
Figures: docs/benchmarks.md, "issue-11v: the learned veto".

    python scripts/probe_learned_examples_cv.py
"""

import importlib.util
import shutil
import sys
import tempfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

from livecue.cues.rules import load_rule_dir  # noqa: E402

spec = importlib.util.spec_from_file_location("bench_generalisation", ROOT / "scripts" / "bench_generalisation.py")
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)
sys.path.insert(0, str(ROOT / "scripts"))
import probe_learned_examples as probe  # noqa: E402


def main() -> int:
    probe.install()
    work = Path(tempfile.mkdtemp())
    rows = [r for r in (ROOT / "cue_rules" / "utterances.tsv").read_text(encoding="utf-8").splitlines()
            if r.strip() and not r.startswith("#")]
    halves = [[r for r in rows if zlib.crc32(r.encode()) % 2 == k] for k in (0, 1)]
    tune, _ = bench.calls_text_halves()
    for fold in (0, 1):
        rules = work / f"rules{fold}"
        shutil.copytree(ROOT / "cue_rules", rules)
        (rules / "utterances.tsv").write_text("\n".join(halves[fold]) + "\n", encoding="utf-8")
        test = work / f"test{fold}.tsv"
        test.write_text("\n".join(halves[1 - fold]) + "\n", encoding="utf-8")
        load = load_rule_dir(rules)
        if load.problems:
            print(load.problems[0], file=sys.stderr)
            return 1
        for delta in (None, 0.1, 0.05, 0.0):
            probe.DELTA[0] = delta
            o = bench.bank_scores(load, test)["overall"]
            row = [f"fold {fold} ({len(halves[fold])} rows learnt), delta {delta}", f"unseen half {o['tp']}/{o['fp']}/{o['fn']}"]
            if fold == 0:
                for name, paths in (("ct tune", tune), ("A", [bench.GEN / "A"]), ("C", [bench.GEN / "C"]),
                                    ("vA", [bench.GEN / "vA"])):
                    o = bench.call_scores(rules, paths)["overall"]
                    row.append(f"{name} {o['tp']}/{o['fp']}/{o['fn']}")
            print("  ".join(row), flush=True)
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
