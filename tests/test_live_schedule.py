"""--fast with the live schedule against a paced replay, through the whole pipeline (issue 12)."""

import numpy as np

from livecue.asr.streaming import StreamingTranscriber
from livecue.audio.files import CallAudio, FileSource, replay_block_s
from livecue.clock import AudioClock, ManualClock
from livecue.config import AsrSettings, VadSettings
from livecue.events import Committed, SpeechEnded, Tentative
from livecue.pipeline import ListSink, Pipeline

from fakes import EnergyVoice, ScriptedEngine, call_audio

SCRIPT = [("not", 1.0, 1.3), ("really", 1.4, 1.9), ("interested", 2.0, 2.6), ("thanks", 2.7, 3.1)]
LIVE = AsrSettings(fast_final_only=False)


def side_events(fast: bool, block_s: float) -> list[tuple]:
    audio = CallAudio({"prospect": call_audio(5.0, [(0.9, 3.2)])}, "fixture")
    clock = AudioClock() if fast else ManualClock()  # ManualClock: a paced run on a machine that keeps up
    transcriber = StreamingTranscriber(ScriptedEngine(SCRIPT), ("prospect",), LIVE, VadSettings(), clock,
                                       EnergyVoice, fast=fast)
    sink = ListSink()
    # decodes that take no time (a machine that keeps up): the decode thread would only add
    # thread scheduling to the order, so the paced run decodes on the loop
    Pipeline(FileSource(audio, fast=fast, block_s=block_s), transcriber, [], [sink], clock,
             decode_thread=False).run()
    return [(type(e).__name__, round(e.t, 2), getattr(e, "text", "")) for e in sink.events
            if isinstance(e, (SpeechEnded, Tentative, Committed))]


def test_fast_reads_paced_blocks_with_the_live_schedule_and_large_ones_without():
    assert replay_block_s(fast=True, interim_decodes=True) == replay_block_s(fast=False)
    assert replay_block_s(fast=True, interim_decodes=False) > replay_block_s(fast=False)


def test_fast_with_the_live_schedule_sees_a_speech_end_after_the_decodes_a_live_call_runs_first():
    """The cue engine judges a turn at its speech end on the words heard by then: the same words as paced."""
    paced = side_events(fast=False, block_s=replay_block_s(fast=False))
    fast = side_events(fast=True, block_s=replay_block_s(fast=True, interim_decodes=True))
    assert fast == paced
    end = paced.index(next(e for e in paced if e[0] == "SpeechEnded"))
    assert any(e[0] == "Committed" for e in paced[:end])  # interim commits came before the speech end
    # 1 s reads forwarded the speech end before decodes that were due earlier: what fired d04's false reset
    assert side_events(fast=True, block_s=1.0) != paced


class GrowingEdgeEngine(ScriptedEngine):
    """Like Whisper on a growing buffer: a word being spoken at the buffer's end is already guessed, ending there."""

    def transcribe(self, audio, prompt="", beam_size=None, context=None, min_window_s=0.0):
        from livecue.asr.whisper import Hypothesis, RawWord

        speech = np.nonzero(np.abs(audio) > 0.01)[0]
        if len(speech) == 0:
            return Hypothesis(())
        t0 = (float(audio[speech[0]]) - 0.1) * 1000.0 - speech[0] / 16000
        t1 = t0 + len(audio) / 16000
        self.calls.append((round(t0, 3), round(t1, 3)))
        return Hypothesis(tuple(RawWord(" " + w, a - t0, min(b, t1) - t0, 0.9)
                                for w, a, b in self.words if a < t1 - 0.05))


def commit_points(agreement):
    """(word, end of the decoded audio when it was committed, final?) for every committed word."""
    from fakes import chunks

    clock = ManualClock()
    engine = GrowingEdgeEngine([("we", 1.0, 1.3), ("already", 1.4, 1.9), ("thanks", 2.0, 3.0), ("bye", 3.3, 3.7)])
    tr = StreamingTranscriber(engine, ("prospect",), LIVE, VadSettings(), clock, EnergyVoice, fast=True,
                              agreement=agreement)
    out = []
    for c in list(chunks("prospect", call_audio(6.0, [(0.9, 3.8)]))) + [None]:
        if c is not None:
            clock.set(c.t + c.duration)
            tr.feed(c)
        while tr.pending() or c is None:
            events = tr.step() if c is not None else tr.finish()
            out += [(w.word, engine.calls[-1][1], e.final) for e in events if isinstance(e, Committed) for w in e.words]
            if c is None:
                break
    return out


def test_a_word_still_being_spoken_at_the_edge_of_the_decoded_audio_is_not_committed_by_that_decode():
    from livecue.config import AgreementSettings

    default = AgreementSettings()
    assert default.edge_margin_s > 0
    plain = commit_points(AgreementSettings(edge_margin_s=0.0))
    held = commit_points(default)
    assert [w for w, _, _ in plain] == [w for w, _, _ in held] == ["we", "already", "thanks", "bye"]
    # LocalAgreement-2 alone commits "thanks" (2.0-3.0 s) when two decodes that end inside it agree
    plain_at = dict((w, at) for w, at, _ in plain)
    held_at = dict((w, at) for w, at, _ in held)
    assert plain_at["thanks"] < 3.0
    assert held_at["thanks"] > plain_at["thanks"]  # the margin waits for a decode past its end
    assert held_at["we"] == plain_at["we"]  # words well inside the audio commit as before
