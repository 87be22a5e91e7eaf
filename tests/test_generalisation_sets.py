"""The generalisation sets (tests/generalisation): well formed, and the tuned ones keep their scores.

The held-out sets (B, D, F, H, vB, bank check) are read here only for their form,
never for a score: their figures go to docs/benchmarks.md through
scripts/bench_generalisation.py, so that nobody tunes the rules to a test.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GEN = ROOT / "tests" / "generalisation"
LABELS = {"brush_off", "repeat_no", "exit", "deferral", "lukewarm", "throwaway", "engaged", "concrete_close"}
CONTEXTS = {"opener", "pitch", "second", "question", "close"}
CUES = {"reset", "second_effort", "plant_seed", "weak_ending", "decision_maker"}


@pytest.mark.parametrize("name, count", [("A", 64), ("B", 42), ("C", 80), ("D", 56), ("E", 50), ("F", 50), ("G", 50),
                                                 ("H", 50), ("I", 54), ("J", 53), ("K", 52), ("L", 53), ("M", 52), ("N", 53), ("O", 53), ("P", 53), ("Q", 52), ("R", 51), ("S", 53), ("T", 50), ("U", 40), ("W", 40),
                                                 ("X", 26), ("Y", 25), ("Z", 51), ("V", 50), ("AA", 50), ("AB", 50), ("AC", 50), ("AD", 50), ("AE", 50), ("AF", 50),
                                                 ("AG", 50), ("AH", 50), ("AI", 50), ("AJ", 50), ("AK", 50), ("AL", 50), ("AM", 50), ("AN", 50), ("AO", 50), ("AP", 50),
                                                 ("vA", 64), ("vB", 42)])
def test_every_call_is_a_labelled_call(name, count):
    files = sorted((GEN / name).glob("*.json"))
    assert len(files) == count
    for f in files:
        call = json.loads(f.read_text(encoding="utf-8"))
        assert call["version"] == 1 and call["utterances"], f.name
        ends = [u["end"] for u in call["utterances"]]
        assert all(u["speaker"] in ("rep", "prospect") and u["start"] <= u["end"] for u in call["utterances"]), f.name
        for window in call["expected"]:
            assert window["cue"] in CUES and window["from"] <= window["anchor"] <= window["to"], f.name
            assert window["anchor"] <= max(ends) + 0.01, f.name


@pytest.mark.parametrize("path", [ROOT / "cue_rules" / "utterances.tsv", GEN / "bank" / "check.tsv"],
                         ids=["train (the shipped utterances)", "check"])
def test_every_bank_line_has_a_known_label_and_context(path):
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    assert len(lines) > 400
    shipped = path.name == "utterances.tsv"  # training rows: also "I'm back" and the rep's neutral lines at a close
    for line in lines:
        label, context, text = line.split("\t")
        assert label in LABELS and context in CONTEXTS and (1 if shipped else 3) <= len(text.split()) <= 40, line
        if label in ("throwaway", "concrete_close"):
            assert context == "close", line
        elif context == "close":
            assert shipped and label == "engaged", line


def _scores(path: Path) -> dict:
    from livecue.cli import main

    out = path.parent / "scores.json"
    assert main(["eval", "--transcript", "--quiet", "--json", str(out), str(GEN / path.name)]) == 0
    return json.loads(out.read_text())["overall"]


@pytest.mark.parametrize("name, floor", [("A", 0.95), ("C", 0.9), ("E", 0.95), ("G", 0.95), ("S", 0.9), ("U", 0.9),
                                         ("X", 0.8)])
def test_the_tuned_sets_keep_their_scores(tmp_path, name, floor):
    if importlib.util.find_spec("all_minilm_l6_v2") is None:  # (find_spec: its __init__ prints)
        pytest.skip("the intents' model package is not installed")
    found = _scores(tmp_path / name)
    assert found["precision"] >= floor and found["recall"] >= floor, found


def test_the_bank_score_lists_the_rows_it_got_wrong(tmp_path):
    """``probe_writers.py --mistakes`` reads these: where a writer's misses are."""
    if importlib.util.find_spec("all_minilm_l6_v2") is None:
        pytest.skip("the intents' model package is not installed")
    from livecue.cues.rules import load_rule_dir

    spec = importlib.util.spec_from_file_location("bench_generalisation", ROOT / "scripts" / "bench_generalisation.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    bank = tmp_path / "bank.tsv"
    bank.write_text("brush_off\topener\tNo thanks, we're not interested.\n"
                    "engaged\tquestion\tWe run about forty vans out of two depots.\n"
                    "exit\tquestion\tWe run about forty vans out of two depots.\n", encoding="utf-8")  # mislabelled
    mistakes: list = []
    found = bench.bank_scores(load_rule_dir(ROOT / "cue_rules"), bank, mistakes)
    assert mistakes == [("exit", "question", "We run about forty vans out of two depots.", "plant_seed", [])]
    assert (found["overall"]["tp"], found["overall"]["fp"], found["overall"]["fn"]) == (1, 0, 1)


def test_e_to_af_rebuild_byte_for_byte_from_the_writers_scripts(tmp_path):
    """E-AP are built from the writers' own scripts (calls_src): the JSON is what the scripts say."""
    import subprocess
    import sys

    src = GEN / "calls_src"
    for writer, name in (("e1", "E"), ("e3", "E"), ("e2", "F"), ("e4", "F"), ("g1", "G"), ("g3", "G"), ("g2", "H"),
                         ("g4", "H"), ("i1", "I"), ("i3", "I"), ("i2", "J"), ("i4", "J"),
                         ("k1", "K"), ("k3", "K"), ("k2", "L"), ("k4", "L"), ("m1", "M"), ("m3", "M"), ("m2", "N"),
                         ("m4", "N"), ("o1", "O"), ("o3", "O"), ("o2", "P"), ("o4", "P"), ("q1", "Q"), ("q2", "Q"), ("r1", "R"), ("r2", "R"), ("s1", "S"), ("s2", "S"),
                         ("t1", "T"), ("t2", "T"), ("u1", "U"), ("u2", "U"), ("w1", "W"), ("w2", "W"),
                         ("x1", "X"), ("x2", "Y"), ("x3", "Z"), ("x5", "Z"), ("x4", "V"), ("x6", "V"),
                         ("y1", "AA"), ("y3", "AA"), ("y2", "AB"), ("y4", "AB"),
                         ("z1", "AC"), ("z3", "AC"), ("z2", "AD"), ("z4", "AD"),
                         ("z5", "AE"), ("z7", "AE"), ("z6", "AF"), ("z8", "AF"),
                         ("z9", "AG"), ("z11", "AG"), ("z10", "AH"), ("z12", "AH"),
                         ("z13", "AI"), ("z15", "AI"), ("z14", "AJ"), ("z16", "AJ"),
                         ("z17", "AK"), ("z19", "AK"), ("z18", "AL"), ("z20", "AL"),
                         ("z21", "AM"), ("z23", "AM"), ("z22", "AN"), ("z24", "AN"),
                         ("z25", "AO"), ("z27", "AO"), ("z26", "AP"), ("z28", "AP")):
        subprocess.run([sys.executable, str(src / "build.py"), str(src / f"{writer}.txt"), str(tmp_path / name)],
                       check=True, capture_output=True)
    for name in ("E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "O", "P", "Q", "R", "S", "T", "U", "W", "X", "Y", "Z", "V", "AA", "AB", "AC", "AD", "AE", "AF", "AG", "AH", "AI", "AJ", "AK", "AL", "AM", "AN", "AO", "AP"):
        built = sorted(p.name for p in (tmp_path / name).glob("*.json"))
        assert built == sorted(p.name for p in (GEN / name).glob("*.json"))
        for file in built:
            assert (tmp_path / name / file).read_bytes() == (GEN / name / file).read_bytes(), file
