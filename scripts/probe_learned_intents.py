"""An experiment: intent triggers judged by a learned classifier (issue 11, fifth and sixth stops).

Every intent trigger gets a logistic regression on [MiniLM embedding ; a
normalised bag of words and word pairs], fit on the rule's own examples and
near misses, the other intents' examples and (``--bank``) the labelled
utterances of ``cue_rules/utterances.tsv``.  ``--mode=only``: the classifier
alone decides (probability >= P0); ``--mode=or``: the shipped scoring, or a
classifier at least P0 sure; ``--mode=and``: the shipped scoring, and the
classifier can veto (probability below P0).  The veto now ships as
``scoring = "classifier"`` with ``learn_from`` (docs/cue_rules.md); this
probe refits at every start (about 25 s) and keeps the modes that did not
ship (docs/benchmarks.md, "Lead's merge checks (fifth stop)" and
"issue-11v: the learned veto").

    python scripts/probe_learned_intents.py TREE P0 L2 [--bank] [--mode=only|or|and] DIR...
"""
import sys, numpy as np
from collections import Counter
from pathlib import Path
tree = Path(sys.argv[1]); sys.path.insert(0, str(tree / "src"))
P0, L2 = float(sys.argv[2]), float(sys.argv[3])
use_bank = "--bank" in sys.argv
mode = "only"
for a in sys.argv:
    if a.startswith("--mode="): mode = a.split("=")[1]
dirs = [a for a in sys.argv[4:] if not a.startswith("--")]
from livecue.cues.intents import example_text, fit_logistic, without_asides, Score
from livecue.cues.embedding import load_embedder
import livecue.commands.eval as ev
from livecue.cli import main
E = load_embedder("minilm")
LABEL = {("second_effort", "sounds_like_brush_off"): "brush_off", ("plant_seed", "sounds_like_repeat_no"): "repeat_no",
         ("plant_seed", "sounds_like_exit"): "exit", ("second_effort", "sounds_like_exit"): "exit",
         ("decision_maker", "sounds_like_deferral"): "deferral", ("second_effort", "sounds_like_deferral"): "deferral",
         ("reset", "sounds_lukewarm"): "lukewarm", ("second_effort", "sounds_like_verdict"): "lukewarm",
         ("weak_ending", "sounds_like_throwaway"): "throwaway"}
bank = [l.rstrip("\n").split("\t") for l in open(str(Path(__file__).resolve().parents[1] / "cue_rules/utterances.tsv"), encoding="utf-8")] if use_bank else []
def grams(t):
    w = t.split(); return w + [a + "_" + b for a, b in zip(w, w[1:])]
def fit(X, y, l2):
    """The shipped classifier's fit (intents.fit_logistic), positives against every other row; w[-1] the bias."""
    w, b = fit_logistic(X[y == 1], X[y == 0], np.ones(int((y == 0).sum())), l2)
    return np.append(w.astype(np.float64), b)
class Learned:
    def __init__(self, orig, pos, neg, thr):
        self.orig, self.embedder, self.thr = orig, orig.embedder, thr
        pos = [example_text(t) for t in pos]; neg = [example_text(t) for t in neg]
        df = Counter(g for t in pos + neg for g in set(grams(t)))
        self.vocab = {g: i for i, g in enumerate(sorted(g for g, c in df.items() if c >= 2))}
        X = self.feats(pos + neg); y = np.array([1.0] * len(pos) + [0.0] * len(neg))
        self.w = fit(X, y, L2)
    def feats(self, texts):
        emb = self.embedder.encode(texts).astype(np.float64)
        B = np.zeros((len(texts), len(self.vocab)))
        for i, t in enumerate(texts):
            for g in grams(t):
                j = self.vocab.get(g)
                if j is not None: B[i, j] = 1
        B /= np.maximum(np.linalg.norm(B, axis=1, keepdims=True), 1e-9)
        return np.hstack([emb, B])
    def score(self, texts):
        base = self.orig.score(texts)
        if not texts: return base
        X = self.feats([without_asides(t) for t in texts])
        p = 1 / (1 + np.exp(-(np.hstack([X, np.ones((len(X), 1))]) @ self.w)))
        out = []
        for s, q in zip(base, p):
            if mode == "only":
                out.append(Score(self.thr + float(q) - P0, s.example, -1.0))
            elif mode == "or":  # nearest as shipped, or a confident classifier
                if float(q) >= P0 and not s.means(self.thr, 0.0):
                    out.append(Score(self.thr + 0.5, s.example, -1.0))
                else:
                    out.append(s)
            else:  # "and": nearest must mean it too, with the classifier's veto
                out.append(s if q >= P0 else Score(-1.0, s.example, s.near_miss))
        return out
def install(load):
    allpos = {}
    for cr in load.ruleset.rules:
        for name, ct in cr.triggers.items():
            if getattr(ct, "intent", None) is not None:
                allpos[(cr.rule.id, name)] = list(ct.intent.examples)
    for cr in load.ruleset.rules:
        for name, ct in cr.triggers.items():
            if getattr(ct, "intent", None) is None: continue
            lab = LABEL.get((cr.rule.id, name))
            labs = {lab} | ({"brush_off"} if lab == "repeat_no" else set())
            pos = list(ct.intent.examples) + [t for l, _, t in bank if l in labs]
            neg = list(ct.intent.near_misses) + [t for l, _, t in bank if l not in labs]
            for k, v in allpos.items():
                if LABEL.get(k) not in labs and k != (cr.rule.id, name):
                    neg += v
            neg = [t for t in dict.fromkeys(neg) if t not in set(pos)]
            ct.intent = Learned(ct.intent, pos, neg, ct.trigger.threshold)
    return load
orig = ev.load_rules_strict
ev.load_rules_strict = lambda d: install(orig(d))
import contextlib, io
for d in dirs:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
        try: main(["eval", "--transcript", "-q", d])
        except SystemExit: pass
    print(f"{Path(d).name:8s}", [l for l in buf.getvalue().splitlines() if l.startswith("overall")][0])
