"""The streaming transcriber with scripted hypotheses, a fake VAD and a manual clock."""

import numpy as np

from livecue.asr.streaming import StreamingTranscriber, find_loop
from livecue.clock import ManualClock
from livecue.config import AsrSettings, VadSettings
from livecue.events import Committed, SpeechEnded, SpeechStarted, Tentative, Word

from fakes import EnergyVoice, ScriptedEngine, call_audio, chunks

WORDS = [("we", 1.0, 1.3), ("already", 1.4, 1.9), ("have", 2.0, 2.3), ("someone", 2.4, 2.9),
         ("for", 3.0, 3.2), ("that", 3.3, 3.7)]


def run(engine, audio_by_side, asr=None, fast=False):
    clock = ManualClock()
    tr = StreamingTranscriber(engine, tuple(audio_by_side), asr or AsrSettings(min_update_s=0.5), VadSettings(),
                              clock, EnergyVoice, fast=fast)
    events = []
    streams = {side: list(chunks(side, audio)) for side, audio in audio_by_side.items()}
    for i in range(max(len(s) for s in streams.values())):
        for side, s in streams.items():
            if i < len(s):
                clock.set(s[i].t + s[i].duration)
                events += tr.feed(s[i])
        while tr.pending():
            events += tr.step()
    events += tr.finish()
    return events, tr


def committed_words(events, speaker):
    return [w.word for e in events if isinstance(e, Committed) and e.speaker == speaker for w in e.words]


def test_words_commit_in_order_once_and_tail_is_tentative_first():
    engine = ScriptedEngine(WORDS)
    events, _ = run(engine, {"prospect": call_audio(6.0, [(0.9, 3.8)])})
    assert committed_words(events, "prospect") == [w for w, _, _ in WORDS]
    assert any(isinstance(e, Tentative) and e.words for e in events)
    # several decodes while speaking, not just one at the end
    assert len(engine.calls) >= 4
    starts = [e for e in events if isinstance(e, SpeechStarted)]
    ends = [e for e in events if isinstance(e, SpeechEnded)]
    assert len(starts) == 1 and len(ends) == 1
    assert abs(starts[0].t - 0.9) < 0.1 and abs(ends[0].t - 3.8) < 0.1
    # garbled tails were never committed
    assert not any("garbled" in w for w in committed_words(events, "prospect"))


def test_utterance_end_commits_the_rest_with_a_final_decode():
    engine = ScriptedEngine(WORDS)
    events, _ = run(engine, {"rep": call_audio(6.0, [(0.9, 3.8)])})
    finals = [e for e in events if isinstance(e, Committed) and e.final]
    assert finals and finals[-1].words[-1].word == "that"
    # the tentative tail is cleared once everything is committed
    last_tentative = [e for e in events if isinstance(e, Tentative)][-1]
    assert last_tentative.words == ()


def test_silent_side_costs_no_decode():
    engine = ScriptedEngine(WORDS)
    events, _ = run(engine, {"rep": call_audio(6.0, []), "prospect": call_audio(6.0, [(0.9, 3.8)])})
    assert committed_words(events, "rep") == []
    assert all(t0 >= 0.5 for t0, _ in engine.calls)  # only the prospect's speech was decoded


def test_long_monologue_buffer_stays_bounded():
    words = []
    t = 0.5
    i = 0
    while t < 40:
        text = f"w{i}." if i % 6 == 5 else f"w{i}"
        words.append((text, t, t + 0.3))
        t += 0.4
        i += 1
    engine = ScriptedEngine(words)
    asr = AsrSettings(min_update_s=0.5, trim_after_s=5.0, max_buffer_s=8.0)
    events, _ = run(engine, {"rep": call_audio(42.0, [(0.4, 40.2)])}, asr)
    longest = max(t1 - t0 for t0, t1 in engine.calls)
    assert longest <= 8.0 + 0.6  # never grows past the cap
    got = committed_words(events, "rep")
    assert got == [w for w, _, _ in words]  # nothing lost or doubled across trims


def test_fast_final_only_decodes_only_at_utterance_ends():
    engine = ScriptedEngine(WORDS, unstable_tail=False)
    events, _ = run(engine, {"prospect": call_audio(6.0, [(0.9, 3.8)])},
                    AsrSettings(min_update_s=0.5, fast_final_only=True), fast=True)
    assert len(engine.calls) == 1
    assert committed_words(events, "prospect") == [w for w, _, _ in WORDS]


def test_repetition_loop_is_cut_not_committed():
    engine = ScriptedEngine(WORDS, unstable_tail=False, extra=["thank", "you", "thank", "you", "thank", "you"])
    events, _ = run(engine, {"prospect": call_audio(6.0, [(0.9, 3.8)])})
    got = committed_words(events, "prospect")
    assert got.count("thank") <= 1
    assert got[:6] == [w for w, _, _ in WORDS]


def test_find_loop_spots_phrases_said_again_and_again():
    def ws(text):
        return [Word(w, i, i + 0.5) for i, w in enumerate(text.split())]

    assert find_loop(ws("not really interested and we are not really interested and we are")) == 6
    assert find_loop(ws("no no no no")) == 1
    assert find_loop(ws("no no thanks")) is None
    assert find_loop(ws("we already have someone for that")) is None


def test_far_side_bleed_is_dropped_from_the_rep_channel():
    prospect = call_audio(6.0, [(0.9, 3.8)])
    rep = call_audio(6.0, [(0.9, 3.8)])  # the prospect leaking into the rep's microphone, same moment
    engine = ScriptedEngine(WORDS, unstable_tail=False)
    events, _ = run(engine, {"prospect": prospect, "rep": rep})
    assert committed_words(events, "prospect") == [w for w, _, _ in WORDS]
    assert committed_words(events, "rep") == []


def test_scheduler_takes_the_oldest_uncommitted_speech_first():
    engine = ScriptedEngine(WORDS + [("sure", 1.2, 1.6)], unstable_tail=False)
    clock = ManualClock()
    tr = StreamingTranscriber(engine, ("rep", "prospect"), AsrSettings(min_update_s=0.5), VadSettings(), clock,
                              EnergyVoice)
    rep = call_audio(3.0, [(1.1, 3.0)])
    prospect = call_audio(3.0, [(0.9, 3.0)])
    for c_rep, c_pro in zip(chunks("rep", rep), chunks("prospect", prospect)):
        tr.feed(c_rep)
        tr.feed(c_pro)
    ch, utt = tr.next_job()
    assert ch.speaker == "prospect"  # its speech began first


class PromptRecorder(ScriptedEngine):
    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.prompts = []

    def transcribe(self, audio, prompt="", beam_size=None, **options):
        self.prompts.append(prompt)
        return super().transcribe(audio, prompt, beam_size, **options)


def test_prompt_holds_earlier_committed_text_and_the_vocabulary_only():
    words = WORDS + [("Northwind", 5.0, 5.5), ("is", 5.6, 5.8), ("fine", 5.9, 6.3)]
    engine = PromptRecorder(words, unstable_tail=False)
    asr = AsrSettings(min_update_s=0.5, vocab=("Acme", "Northwind"), prompt_chars=40)
    run(engine, {"prospect": call_audio(8.0, [(0.9, 3.8), (4.9, 6.4)])}, asr)
    assert all(p.startswith("Glossary: Acme, Northwind.") for p in engine.prompts)
    first_utt = [p for p, (t0, _) in zip(engine.prompts, engine.calls) if t0 < 4.0]
    second_utt = [p for p, (t0, _) in zip(engine.prompts, engine.calls) if t0 > 4.0]
    # words still in the buffer are never in the prompt (Whisper would skip them)
    assert all("already" not in p for p in first_utt)
    assert second_utt and all("someone for that" in p for p in second_utt)
    assert all(len(p) <= len("Glossary: Acme, Northwind. ") + 40 for p in engine.prompts)


def test_a_word_is_not_committed_again_by_the_next_utterance():
    """Whisper sometimes restates the previous utterance's last words at the start of the next."""
    engine = ScriptedEngine([("absolutely.", 1.0, 1.6), ("absolutely.", 2.25, 2.3), ("great", 2.4, 2.8)],
                            unstable_tail=False)
    events, _ = run(engine, {"prospect": call_audio(4.0, [(0.9, 1.7), (2.2, 2.9)])},
                    AsrSettings(min_update_s=0.5), fast=True)
    assert committed_words(events, "prospect") == ["absolutely.", "great"]


def test_one_block_that_ends_an_utterance_and_starts_the_next_keeps_them_apart():
    engine = ScriptedEngine(WORDS + [("yes", 4.5, 4.9)], unstable_tail=False)
    clock = ManualClock()
    tr = StreamingTranscriber(engine, ("prospect",), AsrSettings(fast_final_only=True), VadSettings(), clock,
                              EnergyVoice, fast=True)
    audio = call_audio(6.0, [(0.9, 3.8), (4.4, 5.0)])
    events = []
    for c in chunks("prospect", audio, block_s=2.0):  # big blocks, as --fast reads
        events += tr.feed(c)
        while tr.pending():
            events += tr.step()
    events += tr.finish()
    assert committed_words(events, "prospect") == [w for w, _, _ in WORDS] + ["yes"]
    assert len(engine.calls) == 2


def run_blocks(engine, audio_by_side, fast, block_s, asr=None):
    """Feed like a FileSource: --fast reads 1 s blocks on audio time, paced 0.1 s blocks."""
    clock = ManualClock()
    tr = StreamingTranscriber(engine, tuple(audio_by_side), asr or AsrSettings(), VadSettings(), clock,
                              EnergyVoice, fast=fast)
    events = []
    streams = {side: list(chunks(side, audio, block_s)) for side, audio in audio_by_side.items()}
    for i in range(max(len(s) for s in streams.values())):
        for side, s in streams.items():
            clock.set(s[i].t + s[i].duration)
            events += tr.feed(s[i])
        while tr.pending():
            events += tr.step()
    return events + tr.finish(), tr


def test_fast_with_the_live_schedule_commits_the_same_words_as_paced():
    script = WORDS + [("yes", 4.5, 4.9), ("of", 6.0, 6.2), ("course", 6.3, 6.8)]
    audio = {"prospect": call_audio(8.0, [(0.9, 3.8), (4.4, 5.0), (5.9, 6.9)]),
             "rep": call_audio(8.0, [(4.0, 4.3)])}
    fast_engine, paced_engine = ScriptedEngine(script), ScriptedEngine(script)
    live_schedule = AsrSettings(fast_final_only=False)  # [asr] fast_final_only = false in a config file
    fast_events, _ = run_blocks(fast_engine, audio, fast=True, block_s=1.0, asr=live_schedule)
    paced_events, _ = run_blocks(paced_engine, audio, fast=False, block_s=0.1, asr=live_schedule)
    # the same buffers decoded (grid points on audio time), so the same words
    assert sorted(fast_engine.calls) == sorted(paced_engine.calls)
    assert len(fast_engine.calls) > 3  # not just one decode per utterance
    for side in audio:
        assert committed_words(fast_events, side) == committed_words(paced_events, side)
    assert committed_words(fast_events, "prospect") == [w for w, _, _ in script]


class SlowEngine(ScriptedEngine):
    """Every decode takes ``cost`` seconds of the (manual) wall clock."""

    def __init__(self, clock, cost, *a, **k):
        super().__init__(*a, **k)
        self.clock, self.cost = clock, cost

    def transcribe(self, audio, prompt="", beam_size=None, **options):
        self.clock.advance(self.cost)
        return super().transcribe(audio, prompt, beam_size, **options)


def test_a_slow_live_decoder_skips_grid_points_but_stays_on_the_grid():
    clock = ManualClock()
    engine = SlowEngine(clock, 1.0, WORDS, unstable_tail=False)
    asr = AsrSettings(min_update_s=0.4)
    tr = StreamingTranscriber(engine, ("prospect",), asr, VadSettings(), clock, EnergyVoice)
    for _ in range(5):
        tr.decode_s_ema = 1.0
    assert abs(tr.update_interval_s - 1.2) < 1e-9  # 6 grid steps cover 1.2 x the decode cost
    events = []
    for c in chunks("prospect", call_audio(6.0, [(0.9, 3.8)])):
        events += tr.feed(c)
        while tr.pending():
            events += tr.step()
    events += tr.finish()
    assert committed_words(events, "prospect") == [w for w, _, _ in WORDS]
    t0 = engine.calls[0][0]
    lengths = [round(t1 - t0, 3) for _, t1 in engine.calls[:-1]]
    assert all(abs(x / 0.2 - round(x / 0.2)) < 1e-3 for x in lengths)  # whole grid steps
    assert len(engine.calls) <= 5


def test_a_loop_in_interim_decodes_is_never_committed_by_agreement():
    """Two interim decodes that loop alike agree on the loop's first phrase: it still waits for the final decode."""
    for min_decode_s in (0.4, 0.6, 1.0):
        engine = ScriptedEngine(WORDS, unstable_tail=False, extra=["thank", "you", "thank", "you", "thank", "you"])
        events, _ = run(engine, {"prospect": call_audio(6.0, [(0.9, 3.8)])},
                        AsrSettings(min_update_s=0.5, min_decode_s=min_decode_s))
        interim = [w.word for e in events if isinstance(e, Committed) and not e.final for w in e.words]
        assert "thank" not in interim, min_decode_s
        got = committed_words(events, "prospect")
        assert got.count("thank") <= 1
        assert got[:6] == [w for w, _, _ in WORDS]


def test_agreement_holds_words_from_where_either_hypothesis_looped():
    from livecue.asr.agreement import HypothesisBuffer

    def ws(text, t0=0.0):
        return [Word(w, t0 + i * 0.5, t0 + i * 0.5 + 0.4) for i, w in enumerate(text.split())]

    buf = HypothesisBuffer()
    buf.insert(ws("we already thank you"), loop_from=1.0)  # looped at "thank"
    assert buf.flush() == []
    buf.insert(ws("we already thank you"))  # the next decode agrees, without a loop
    assert [w.word for w in buf.flush()] == ["we", "already"]  # "thank you" waits
    buf.insert(ws("we already thank you"))
    assert [w.word for w in buf.flush()] == ["thank", "you"]  # two clean decodes agree: committed


class BeamRecorder(ScriptedEngine):
    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.beams = []

    def transcribe(self, audio, prompt="", beam_size=None, **options):
        self.beams.append(beam_size)
        return super().transcribe(audio, prompt, beam_size, **options)


def test_the_final_decode_of_an_utterance_uses_the_wider_beam():
    engine = BeamRecorder(WORDS, unstable_tail=False)
    events, _ = run(engine, {"prospect": call_audio(6.0, [(0.9, 3.8)])},
                    AsrSettings(min_update_s=0.5, beam_size=1, final_beam_size=5))
    finals = [e for e in events if isinstance(e, Committed) and e.final]
    assert finals and len(engine.beams) >= 3
    assert engine.beams[-1] == 5  # the decode at the pause
    assert set(engine.beams[:-1]) == {1}  # every interim decode stays cheap


def test_the_block_size_of_a_fast_replay_does_not_move_the_decode_points():
    """--fast reads 1 s blocks, paced 0.1 s: with the live schedule both decode the same grid points."""
    script = WORDS + [("yes", 4.5, 4.9), ("of", 6.0, 6.2), ("course", 6.3, 6.8)]
    audio = {"prospect": call_audio(8.0, [(0.9, 3.8), (4.4, 5.0), (5.9, 6.9)]), "rep": call_audio(8.0, [(4.0, 4.3)])}
    live_schedule = AsrSettings(fast_final_only=False)
    paced = ScriptedEngine(script)
    paced_events, _ = run_blocks(paced, audio, fast=False, block_s=0.1, asr=live_schedule)
    for block_s in (0.1, 0.5, 1.0, 2.0):
        fast = ScriptedEngine(script)
        fast_events, _ = run_blocks(fast, audio, fast=True, block_s=block_s, asr=live_schedule)
        assert sorted(fast.calls) == sorted(paced.calls), block_s
        for side in audio:
            assert committed_words(fast_events, side) == committed_words(paced_events, side), block_s


class OptionRecorder(ScriptedEngine):
    """Records the prompt and the keyword options of every decode."""

    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.prompts, self.options = [], []

    def transcribe(self, audio, prompt="", beam_size=None, **options):
        self.prompts.append(prompt)
        self.options.append(options)
        return super().transcribe(audio, prompt, beam_size, **options)


ANSWERS = [("savings.", 1.0, 1.6), ("checking.", 3.1, 3.7)]


def test_the_final_decode_hears_the_previous_utterance_first_and_commits_only_the_new_words():
    engine = OptionRecorder(ANSWERS, unstable_tail=False)
    events, _ = run(engine, {"prospect": call_audio(5.0, [(0.9, 1.7), (3.0, 3.8)])},
                    AsrSettings(fast_final_only=True, final_context_s=4.0), fast=True)
    assert len(engine.calls) == 2  # one final decode per utterance
    assert engine.contexts[0] is None  # nothing said before the first one
    context = engine.contexts[1]
    assert context is not None and context.text == "savings."  # forced as the decoder's prefix
    # the buffer holds the first utterance (with the gate's pre-roll and trailing silence) and the gap
    assert 0.8 + 0.3 <= context.seconds <= 2.0 + 0.3
    assert "savings" not in engine.prompts[1]  # not said twice: the prompt ends where the context starts
    # each word once, at its own time
    words = [w for e in events if isinstance(e, Committed) for w in e.words]
    assert [w.word for w in words] == ["savings.", "checking."]
    assert abs(words[1].start - 3.1) < 0.01 and abs(words[1].end - 3.7) < 0.01


def test_the_left_context_is_off_by_default_and_cut_between_words():
    engine = OptionRecorder(ANSWERS, unstable_tail=False)
    run(engine, {"prospect": call_audio(5.0, [(0.9, 1.7), (3.0, 3.8)])}, AsrSettings(fast_final_only=True),
        fast=True)
    assert engine.contexts == [None, None]
    # a limit shorter than the previous utterance starts the context at a word, never inside one
    script = [("we", 1.0, 1.3), ("use", 1.4, 1.7), ("paper", 1.8, 2.3), ("mostly.", 4.1, 4.6)]
    engine = OptionRecorder(script, unstable_tail=False)
    events, _ = run(engine, {"prospect": call_audio(6.0, [(0.9, 2.4), (4.0, 4.7)])},
                    AsrSettings(fast_final_only=True, final_context_s=0.8), fast=True)
    assert engine.contexts[1].text == "paper"
    assert 0.6 + 0.3 <= engine.contexts[1].seconds <= 1.6 + 0.3  # from the end of "use" on
    assert committed_words(events, "prospect") == ["we", "use", "paper", "mostly."]


def test_only_final_decodes_ask_for_the_wide_encoder_window():
    engine = OptionRecorder(WORDS, unstable_tail=False)
    run(engine, {"prospect": call_audio(6.0, [(0.9, 3.8)])}, AsrSettings(min_update_s=0.5, final_window_s=24.0))
    assert len(engine.options) >= 3
    assert engine.options[-1].get("min_window_s") == 24.0  # the decode at the pause
    assert all("min_window_s" not in o for o in engine.options[:-1])  # interim decodes stay short and cheap


def test_the_adapter_keeps_only_the_words_after_the_forced_prefix():
    from livecue.asr.whisper import words_after_prefix

    def w(text, n):
        return {"word": text, "tokens": list(range(n)), "start": 0.0, "end": 0.1, "probability": 0.9}

    aligned = [w(" savings", 2), w(".", 1), w(" checking", 2), w(".", 1)]
    assert [x["word"] for x in words_after_prefix(aligned, 3)] == [" checking", "."]
    assert words_after_prefix(aligned, 6) == []
    # a word holding the last forced token belongs to the prefix
    glued = [w(" sav", 1), w("ings.", 2), w(" yes", 1)]
    assert [x["word"] for x in words_after_prefix(glued, 2)] == [" yes"]


def test_the_encoder_window_is_the_buffer_plus_silence_at_least_the_final_window():
    from livecue.asr.whisper import encoder_window_s

    assert encoder_window_s(1.5, 8.0) == 10  # an interim decode: sized to the buffer
    assert encoder_window_s(1.5, 8.0, 20.0) == 20  # a final decode of a short answer: wider
    assert encoder_window_s(14.0, 8.0, 20.0) == 22  # a long utterance keeps its own size
    assert encoder_window_s(29.0, 8.0, 20.0) == 30  # never past Whisper's 30 s
