"""An experiment (issue 11, seventh stop): do utterances from more writers teach the intents new wording?

Each ``--rows`` file holds labelled utterances (``LABEL<TAB>CONTEXT<TAB>TEXT``)
from one writer.  The rules (a temporary copy of the rule directory) learn
from the rows of ``cue_rules/utterances.tsv`` that are in no ``--rows``
file, plus the chosen files, in one of these modes:

- ``veto``: as the rule files say (``--no-confident``: without their
  ``confident_at``, so the classifier only vetoes; ``--confident X``: with
  every ``confident_at`` set to X);
- ``examples:DELTA``: the rows with a trigger's labels are also nearest
  examples, their similarity lowered by DELTA (``probe_learned_examples.py``);
- ``or:P0``: as shipped, or the classifier at least P0 sure (a rescue);
- ``boost:P0:B``: where the classifier is at least P0 sure, the clause's
  similarity to the nearest example counts B more (a rescue that still
  needs the examples to be near).

``--lowo`` leaves one writer out at a time: the rules learn from the others,
and the left-out file is scored as the generalisation bench scores a bank
(each row after a fixed opener, pitch, second effort, question or close).
This measures what a new writer's wording gets, inside the tuned data.
``--unlearnt`` scores the files learning none of them (the first writer's rows only: the baseline).
``--bench`` runs ``bench_generalisation.py`` with all the files learnt.
``--mistakes`` (with ``--lowo``) prints each left-out row that missed its cue or fired another, then a
tally by what was expected and what fired: where the misses are.

    python scripts/probe_writers.py --mode veto --lowo --rows w1.tsv w2.tsv ...
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "scripts"))

import livecue.cues.intents as intents  # noqa: E402
from livecue.cues.rules import load_rule_dir  # noqa: E402

spec = importlib.util.spec_from_file_location("bench_generalisation", ROOT / "scripts" / "bench_generalisation.py")
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)


def rows_of(path: Path) -> list[str]:
    return [r for r in path.read_text(encoding="utf-8").splitlines() if r.strip() and not r.startswith("#")]


ALL: list[Path] = []  # every --rows file: none of their rows is learnt unless chosen
ONLY: list = ["*"]  # the rule files --confident / --no-confident change (--only: one cue's)
CONFIDENT: list = [True]  # True: as the rule files say; False: no confident_at (the classifier only vetoes); a number


def rules_with(files: list[Path], work: Path, name: str) -> Path:
    """A copy of the shipped rules that learns from the shipped rows outside every ``--rows`` file,
    and from these files' rows."""
    rules = work / name
    shutil.copytree(ROOT / "cue_rules", rules, ignore=shutil.ignore_patterns("fits"))
    if CONFIDENT[0] is not True:
        for toml in rules.glob(f"{ONLY[0]}.toml"):
            toml.write_text("".join(l if not l.startswith("confident_at") else
                                    f"confident_at = {CONFIDENT[0]}\n" if CONFIDENT[0] else ""
                                    for l in toml.read_text(encoding="utf-8").splitlines(keepends=True)),
                            encoding="utf-8")
    held = {r for f in ALL for r in rows_of(f)}
    base = [r for r in rows_of(rules / "utterances.tsv") if r not in held]
    extra = [r for f in files for r in rows_of(f)]
    (rules / "utterances.tsv").write_text("".join(r + "\n" for r in base + extra), encoding="utf-8")
    return rules


_SEEN: dict[tuple[str, str], object] = {}


def encode_each(embedder, texts):
    """encode_examples without the disk cache: each left-out run's row list would otherwise leave a
    5 MB entry in the user cache (the probe only; the embedder itself remembers recent texts).
    Kept per model: a classifier that reads another model (classifier_model) gets that model's vectors."""
    import numpy as np
    todo = [t for t in dict.fromkeys(texts) if (embedder.cache_id, t) not in _SEEN]
    if todo:
        _SEEN.update(((embedder.cache_id, t), v) for t, v in zip(todo, embedder.encode(todo)))
    return (np.stack([_SEEN[(embedder.cache_id, t)] for t in texts]) if texts
            else np.zeros((0, embedder.dim), dtype=np.float32))


def install(mode: str) -> None:
    intents.encode_examples = encode_each
    intents.encode_rows = encode_each  # each left-out run's utterance table is the same rows less one writer's
    if mode == "veto":
        return
    kind, _, value = mode.partition(":")
    if kind == "examples":
        import probe_learned_examples as probe
        probe.install()
        probe.DELTA[0] = float(value)
    elif kind == "or":
        p0, shipped = float(value), intents.Intent.score

        def score(self, texts):
            out = shipped(self, texts)
            if self._w is None:
                return out
            return [intents.Score(max(s.similarity, 1.0), s.example, -1.0, s.confidence) if s.confidence >= p0 else s
                    for s in out]
        intents.Intent.score = score
    elif kind == "boost":
        p0, bonus = map(float, value.split(":"))
        shipped = intents.Intent.score

        def score(self, texts):
            out = shipped(self, texts)
            if self._w is None:
                return out
            return [intents.Score(s.similarity + bonus, s.example, s.near_miss, s.confidence) if s.confidence >= p0 else s
                    for s in out]
        intents.Intent.score = score
    else:
        raise SystemExit(f"unknown mode {mode!r}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=Path, nargs="*", default=[])
    parser.add_argument("--mode", default="veto")
    parser.add_argument("--lowo", action="store_true")
    parser.add_argument("--unlearnt", action="store_true", help="with --lowo: learn none of the files (the baseline)")
    parser.add_argument("--bench", action="store_true")
    parser.add_argument("--per-cue", action="store_true")
    parser.add_argument("--calls", action="store_true", help="score the tuned call sets (calls-text tune, A, C, vA)")
    parser.add_argument("--mistakes", action="store_true",
                        help="with --lowo: print each left-out row that missed its cue or fired another, and a tally")
    parser.add_argument("--no-confident", action="store_true", help="leave confident_at out of the rules")
    parser.add_argument("--confident", type=float, help="set every confident_at in the rules to this")
    parser.add_argument("--only", default="*", help="with --confident or --no-confident: change only this cue's "
                                                    "rule file (e.g. reset)")
    parser.add_argument("--l2", type=float, help="the classifier's L2 penalty (intents.L2) instead of the shipped one")
    args = parser.parse_args()
    if args.l2 is not None:
        intents.L2 = args.l2  # read at fit time; it is part of the fit's cache key
    ALL[:] = args.rows
    ONLY[0] = args.only
    if not list((ROOT / "cue_rules").glob(f"{args.only}.toml")):
        parser.error(f"--only {args.only}: no cue_rules/{args.only}.toml")
    CONFIDENT[0] = False if args.no_confident else args.confident if args.confident is not None else True
    install(args.mode)
    work = Path(tempfile.mkdtemp())
    if args.lowo:
        total = [0, 0, 0]
        per_cue: dict[str, list[int]] = {}
        tally: dict[str, int] = {}
        for i, left in enumerate(args.rows):
            rules = rules_with([] if args.unlearnt else [f for f in args.rows if f != left], work, f"lowo{i}")
            load = load_rule_dir(rules)
            if load.problems:
                print(load.problems[0], file=sys.stderr)
                return 1
            mistakes: list | None = [] if args.mistakes else None
            found = bench.bank_scores(load, left, mistakes)
            for label, ctx, text, want, got in mistakes or ():
                kind = f"expected {want or 'nothing'}, fired {', '.join(got) or 'nothing'} ({label}/{ctx})"
                tally[kind] = tally.get(kind, 0) + 1
                print(f"    {left.stem}: {kind}: {text}")
            o = found["overall"]
            total = [a + b for a, b in zip(total, (o["tp"], o["fp"], o["fn"]))]
            for cue, c in found["cues"].items():
                per_cue[cue] = [a + b for a, b in zip(per_cue.get(cue, [0, 0, 0]), (c["tp"], c["fp"], c["fn"]))]
            print(f"{args.mode:14s} left out {left.name:12s} {o['tp']:4d}/{o['fp']:3d}/{o['fn']:4d}"
                  f"  P {o['precision']:.2f} R {o['recall']:.2f}", flush=True)
        tp, fp, fn = total
        print(f"{args.mode:14s} all left-out    {tp:4d}/{fp:3d}/{fn:4d}  P {tp / max(1, tp + fp):.2f} R {tp / max(1, tp + fn):.2f}")
        if args.per_cue:
            for cue, (tp, fp, fn) in sorted(per_cue.items()):
                print(f"    {cue:16s}            {tp:4d}/{fp:3d}/{fn:4d}")
        for kind, n in sorted(tally.items(), key=lambda kv: -kv[1]):
            print(f"    {n:5d}  {kind}")
    if args.calls:
        rules = rules_with(args.rows, work, "calls")
        tune, _ = bench.calls_text_halves()
        row = []
        for name, paths in (("ct tune", tune), ("A", [bench.GEN / "A"]), ("C", [bench.GEN / "C"]), ("vA", [bench.GEN / "vA"])):
            o = bench.call_scores(rules, paths)["overall"]
            row.append(f"{name} {o['tp']}/{o['fp']}/{o['fn']}")
        print(f"{args.mode:14s} tuned calls     " + "  ".join(row), flush=True)
    if args.bench:
        rules = rules_with(args.rows, work, "all")
        sys.argv = ["bench_generalisation.py", "--rules", str(rules)] + (["--per-cue"] if args.per_cue else [])
        bench.main()
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
