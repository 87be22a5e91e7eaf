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
    Pipeline(FileSource(audio, fast=fast, block_s=block_s), transcriber, [], [sink], clock).run()
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
