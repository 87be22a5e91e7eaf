"""``livecue doctor``'s advice from measured speed (the measuring runs in test_live_pulse.py)."""

from livecue.commands.doctor import load_sample, recommend_model, thread_counts, verdict
from livecue.config import Settings

SETTINGS = Settings()  # min_update_s 0.4, cost_factor 1.2, max_update_s 2.0


def test_thread_counts_tried_cover_few_to_all_cores():
    assert thread_counts(1) == [1]
    assert thread_counts(2) == [1, 2]
    assert thread_counts(8) == [2, 4, 8]
    assert thread_counts(16) == [4, 8, 16]


def test_verdict_follows_how_often_the_transcript_can_update():
    assert verdict(0.2, SETTINGS).startswith("fast: live text can update every 0.4 s")
    assert verdict(0.6, SETTINGS).startswith("ok for live: text updates about every 0.7 s")
    assert verdict(1.5, SETTINGS).startswith("usable, but the text trails speech (updates every 1.8 s)")
    assert verdict(2.5, SETTINGS).startswith("too slow for live")


def test_a_larger_model_is_suggested_only_when_the_estimate_fits():
    assert recommend_model("tiny.en (bundled)", 0.3, SETTINGS).startswith("base.en should also keep up")
    assert recommend_model("tiny.en (bundled)", 0.1, SETTINGS).startswith("small.en should also keep up")
    assert recommend_model("tiny.en (bundled)", 0.6, SETTINGS) == "tiny.en suits this machine"
    assert recommend_model("base.en (models/)", 2.0, SETTINGS).startswith("even tiny.en is too slow")
    assert recommend_model("/some/dir/custom", 0.3, SETTINGS) is None


def test_the_bundled_speech_sample_is_11_s_of_16k_audio():
    audio = load_sample()
    assert abs(len(audio) / 16000 - 11.0) < 0.01
    assert 0.1 < abs(audio).max() <= 1.0
