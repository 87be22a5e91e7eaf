"""Drop new writer rows that match an evaluation line or an existing row (after lower-casing and
dropping punctuation), and repeats; check the format.  Writes cNk.tsv next to each cN.tsv."""
import json, re, sys
from pathlib import Path
ROOT = Path(__file__).resolve().parents[3]  # the project root
LABELS = {"brush_off": {"opener", "pitch"}, "repeat_no": {"second"}, "exit": {"opener", "pitch", "question"},
          "deferral": {"pitch", "question"}, "lukewarm": {"pitch"}, "throwaway": {"close"},
          "concrete_close": {"close"}, "engaged": {"opener", "pitch", "question", "second", "close"}}
def norm(t): return " ".join(re.sub(r"[^a-z0-9' ]+", " ", t.lower()).replace("'", "").split())
evals = set()
for p in list((ROOT / "tests/generalisation").rglob("*.json")) + list((ROOT.parent / "shared" / "calls-text").rglob("*.json")):
    try: d = json.loads(p.read_text())
    except Exception: continue
    for u in d.get("utterances", []): evals.add(norm(u.get("text", "")))
for line in (ROOT / "tests/generalisation/bank/check.tsv").read_text().splitlines():
    if line.strip() and not line.startswith("#"): evals.add(norm(line.split("\t")[-1]))
have = {norm(l.split("\t")[-1]) for f in [ROOT / "cue_rules/utterances.tsv"] + sorted(Path(__file__).parent.glob("unlearnt_*.tsv"))
        for l in f.read_text().splitlines() if l.strip() and not l.startswith("#")}  # the unlearnt writers' rows too (35 is held out)
seen = set()
for f in sys.argv[1:]:
    f = Path(f); kept = []; drop = {"eval": 0, "have": 0, "repeat": 0, "format": 0}
    for raw in f.read_text(encoding="utf-8").splitlines():
        if not raw.strip(): continue
        parts = raw.split("\t")
        if len(parts) != 3 or parts[0] not in LABELS or parts[1] not in LABELS[parts[0]] or not parts[2].strip():
            drop["format"] += 1; continue
        n = norm(parts[2])
        if n in evals: drop["eval"] += 1; continue
        if n in have: drop["have"] += 1; continue
        if n in seen: drop["repeat"] += 1; continue
        seen.add(n); kept.append("\t".join(p.strip() for p in parts))
    out = f.with_name(f.stem + "k.tsv"); out.write_text("".join(k + "\n" for k in kept), encoding="utf-8")
    print(f.name, len(kept), "kept", drop)
