"""Real telephone speech (../shared/real-calls): short answers, quiet lines, clean tokens, order."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from livecue.asr.streaming import StreamingTranscriber
from livecue.asr.whisper import token_loop_start
from livecue.clock import ManualClock
from livecue.config import AsrSettings, VadSettings
from livecue.events import AudioChunk, Committed, Word, join_split_words, join_text, words_text
from livecue.session.summary import utterances_from

from conftest import SHARED
from fakes import EnergyVoice, ScriptedEngine, call_audio, chunks

RATE = 16000
HVB = SHARED / "real-calls" / "hvb"
needs_real_calls = pytest.mark.skipif(not HVB.is_dir(), reason="../shared/real-calls is not beside the project")


def clip(name: str, side: str, t0: float, t1: float) -> np.ndarray:
    from livecue.audio.files import load_call

    call = load_call(HVB / name)
    return call.sides[side][int(t0 * RATE):int(t1 * RATE)]


def transcribe_clip(engine, audio: np.ndarray, side: str = "prospect", fast: bool = True) -> list[Word]:
    from livecue.vad.silero import SileroStream

    clock = ManualClock()
    tr = StreamingTranscriber(engine, (side,), AsrSettings(), VadSettings(), clock, SileroStream, fast=fast)
    events = []
    block = RATE // (1 if fast else 10)
    for i in range(0, len(audio), block):
        piece = audio[i:i + block]
        clock.set((i + len(piece)) / RATE)
        events += tr.feed(AudioChunk(side, i / RATE, piece))
        while tr.pending():
            events += tr.step()
    events += tr.finish()
    return [w for e in events if isinstance(e, Committed) for w in e.words]


@needs_real_calls
def test_a_one_word_answer_is_kept(engine):
    # the caller's lone "savings" (hvb_00d676d7, 25.8 s): tiny.en decodes it as
    # "Savings. Savings. Savings. ..." and the whole answer used to be dropped as a loop
    words = transcribe_clip(engine, clip("hvb_00d676d7058c49bb_stereo.flac", "prospect", 24.5, 28.5))
    assert [w.word.strip(".").lower() for w in words] == ["savings"]
    assert 1.0 <= words[0].start <= 2.0


@needs_real_calls
def test_a_word_cut_off_by_the_end_of_the_recording_is_kept(engine):
    # the agent's "bye" at 52.2 s is the last 0.2 s of hvb_00d676d7: the speech gate
    # never reached its 160 ms of speech before the input ended
    words = transcribe_clip(engine, clip("hvb_00d676d7058c49bb_stereo.flac", "rep", 45.0, 53.0), side="rep")
    assert [w.word.strip(".!").lower() for w in words][-1:] == ["bye"]


@needs_real_calls
def test_a_quiet_line_stays_silent(engine):
    # hvb_03a17cc3's caller line during the agent's greeting: low noise that Silero
    # scores up to 0.59 and tiny.en used to hear as "Thank you." twice
    words = transcribe_clip(engine, clip("hvb_03a17cc36d474151_stereo.flac", "prospect", 0.0, 8.5))
    assert words == []


def test_tokens_that_continue_a_word_are_joined():
    ws = [Word(w, i, i + 0.5) for i, w in enumerate(["at", "9", ".30", "am,", "M", "-A", "-I", "-N.", "ma", "'am"])]
    joined = join_split_words(ws)
    assert [w.word for w in joined] == ["at", "9.30", "am,", "M-A-I-N.", "ma'am"]
    assert (joined[1].start, joined[1].end) == (1, 2.5)
    assert words_text(ws) == "at 9.30 am, M-A-I-N. ma'am"
    # text already split across two committed events is glued where it is shown
    assert join_text(["it is $135", ".0. Thanks"]) == "it is $135.0. Thanks"
    assert join_text(["Harper", "(the bank)"]) == "Harper (the bank)"


def test_the_transcriber_commits_joined_tokens():
    engine = ScriptedEngine([("Harper", 1.0, 1.3), ("-velli", 1.3, 1.6), ("at", 1.7, 1.9), ("9", 2.0, 2.2),
                             (".30", 2.2, 2.6)], unstable_tail=False)
    clock = ManualClock()
    tr = StreamingTranscriber(engine, ("rep",), AsrSettings(), VadSettings(), clock, EnergyVoice, fast=True)
    events = []
    for c in chunks("rep", call_audio(4.0, [(0.9, 2.7)]), 1.0):
        clock.set(c.t + c.duration)
        events += tr.feed(c)
        while tr.pending():
            events += tr.step()
    events += tr.finish()
    committed = [e for e in events if isinstance(e, Committed)]
    assert [w.word for e in committed for w in e.words] == ["Harper-velli", "at", "9.30"]
    assert " ".join(e.text for e in committed) == "Harper-velli at 9.30"


def test_a_looping_decode_keeps_the_words_before_the_loop():
    savings, dot = 40947, 13
    assert token_loop_start([savings, dot] * 5) == 2
    assert token_loop_start([savings, dot] * 2, repeats=2) == 2
    assert token_loop_start([1, 2, 3, 4, 5]) is None
    assert token_loop_start([7, 7]) is None  # "no, no" is speech
    assert token_loop_start([7, 7, 7, 7]) == 1


def test_the_report_does_not_depend_on_the_order_the_sides_arrive_in():
    def c(speaker, words, final=True):
        ws = tuple(Word(w, a, b) for w, a, b in words)
        return Committed(ws[-1].end, speaker, words_text(ws), ws, final)

    events = [
        c("prospect", [("So", 16.9, 17.1), ("what", 17.2, 17.4), ("happens", 17.5, 18.0)], final=False),
        c("prospect", [("next?", 18.1, 18.6)]),
        c("rep", [("Mm-hmm.", 19.5, 19.9)]),
        c("rep", [("Good", 21.0, 21.3), ("question.", 21.4, 22.0)]),
        c("prospect", [("Okay.", 22.5, 22.9)]),
    ]
    expected = utterances_from(events, 1.5)
    arrived = [events[2], events[0], events[3], events[1], events[4]]  # rep first, as lca_auto_repairs_49
    assert utterances_from(arrived, 1.5) == expected
    # each side's own order is the contract; the interleaving is free: all of one side first
    grouped = [e for e in events if e.speaker == "rep"] + [e for e in events if e.speaker == "prospect"]
    assert utterances_from(grouped, 1.5) == expected
    assert [u.speaker for u in expected] == ["prospect", "rep", "rep", "prospect"]


def test_the_cue_tracker_orders_turns_by_call_time_not_arrival():
    from livecue.cues.signals import Tracker

    def c(speaker, words):
        ws = tuple(Word(w, a, b) for w, a, b in words)
        return Committed(ws[-1].end, speaker, words_text(ws), ws, True)

    caller = c("prospect", [("So", 16.9, 17.1), ("what", 17.2, 17.4), ("happens", 17.5, 18.0), ("next?", 18.1, 18.6)])
    rep_bc = c("rep", [("Mm-hmm.", 19.5, 19.9)])
    rep = c("rep", [("Good", 21.0, 21.3), ("question.", 21.4, 22.0)])
    tracker = Tracker()
    for now, event in ((20.0, rep_bc), (21.0, caller), (22.5, rep)):  # the rep's "Mm-hmm" arrives first
        tracker.feed(event, now)
    assert [(s.speaker, s.start) for s in tracker.timeline] == [("prospect", 16.9), ("rep", 19.5), ("rep", 21.0)]


def test_the_eval_runner_scores_fast_runs_on_the_live_schedule_unless_asked_for_final_only(monkeypatch, tmp_path):
    """The audio runner decodes every grid point by default; final_only=True decodes once per utterance."""
    import livecue.asr.whisper as whisper
    import livecue.pipeline as pipeline
    from livecue.config import Settings
    from livecue.cues.rules import default_rule_dirs, load_rule_dir
    from livecue.tuning.evaluate import audio_cues_runner
    from livecue.tuning.labels import LabelledCall

    seen = []
    monkeypatch.setattr(whisper, "load_engine", lambda asr: ScriptedEngine([]))
    monkeypatch.setattr(pipeline, "replay_file_events", lambda path, **kw: seen.append(kw) or [])
    audio = tmp_path / "a.wav"
    audio.write_bytes(b"RIFF")
    call = LabelledCall(tmp_path / "a.json", audio, {"rep": 0, "prospect": 1}, "a", 1.0, (), ())
    load = load_rule_dir(default_rule_dirs())
    for final_only, paced in ((False, False), (True, False), (False, True)):
        audio_cues_runner(load, None, Settings(), paced=paced, final_only=final_only)(call)
    audio_cues_runner(load, None, Settings())(call)
    fast_live, fast_final, paced_run, default = seen
    assert default["fast"] and default["settings"].asr.fast_final_only is False
    assert fast_live["fast"] and fast_live["settings"].asr.fast_final_only is False
    assert fast_final["fast"] and fast_final["settings"].asr.fast_final_only is True
    assert not paced_run["fast"]


@pytest.mark.parametrize("flags, final_only, mode", [
    ([], False, "fast, live schedule"),
    (["--live-schedule"], False, "fast, live schedule"),
    (["--final-only"], True, "fast, final decodes only"),
])
def test_livecue_eval_in_audio_mode_scores_with_the_live_schedule_by_default(monkeypatch, capsys, flags, final_only,
                                                                             mode):
    """issue 12: `livecue eval` scores what a live call would show; --final-only is the quick path."""
    import livecue.commands.eval as eval_command
    from livecue.cli import main

    asked = []
    monkeypatch.setattr(eval_command, "audio_cues_runner",
                        lambda load, profile, settings, paced, final_only: asked.append((paced, final_only))
                        or (lambda call: []))
    calls = Path(__file__).resolve().parent / "calls"
    assert main(["eval", str(calls), "-q", *flags]) == 0
    assert asked == [(False, final_only)]
    assert f"{mode} mode" in capsys.readouterr().out


def test_livecue_eval_refuses_a_schedule_flag_with_paced(capsys):
    from livecue.cli import main

    assert main(["eval", str(Path(__file__).resolve().parent / "calls"), "--paced", "--final-only"]) == 2
    assert "--paced" in capsys.readouterr().err


def test_the_adapter_says_where_a_cut_loop_began():
    from livecue.asr.whisper import token_loop_span

    # " we" " already" " thank" " you" " thank" " you" " thank" " you"
    tokens = [10, 11, 20, 21, 20, 21, 20, 21]
    assert token_loop_span(tokens) == (2, 4)  # the loop's first occurrence: kept, but only a final decode commits it
    assert token_loop_start(tokens) == 4
    assert token_loop_span([10, 11, 12]) is None
