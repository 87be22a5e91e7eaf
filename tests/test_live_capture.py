"""One side of live capture: clock-stamped timeline, bounded buffer, status events."""

import numpy as np

from livecue.audio.capture import CaptureSettings, SideCapture
from livecue.events import AudioChunk, ChannelStatus, Notice

RATE = 48000


def tone_block(seconds, value=0.5):
    return np.full(int(RATE * seconds), value, dtype=np.float32)


def audio_of(items):
    chunks = [x for x in items if isinstance(x, AudioChunk)]
    for a, b in zip(chunks, chunks[1:]):
        assert abs(b.t - (a.t + a.duration)) < 1e-9, "chunks must be contiguous"
    return np.concatenate([c.samples for c in chunks]) if chunks else np.zeros(0, np.float32)


def drain_all(side, now, until=None):
    chunks, events = side.drain(now, until)
    return list(chunks) + list(events)


def test_contiguous_blocks_come_out_as_16k_audio_from_zero():
    side = SideCapture("rep", RATE)
    for i in range(10):
        side.push(tone_block(0.1), i * 0.1)
    items = drain_all(side, 1.05)
    items += side.fill_to(1.0) + side.flush()
    audio = audio_of(items)
    first = next(x for x in items if isinstance(x, AudioChunk))
    assert first.t == 0.0 and first.speaker == "rep"
    assert abs(len(audio) - 16000) <= 2
    assert np.allclose(audio[100:15900], 0.5, atol=1e-3)
    assert side.filled_s == 0 and side.trimmed_s == 0


def test_silence_delivered_as_nothing_does_not_shift_later_speech():
    """A loopback that sends nothing between utterances: the next one lands at its stamp."""
    side = SideCapture("prospect", RATE)
    side.push(tone_block(0.5), 0.0)
    items = drain_all(side, 0.6)
    # nothing arrives from 0.5 s to 3.0 s, then speech stamped at 3.0 s
    side.push(tone_block(0.5, 0.8), 3.0)
    items += drain_all(side, 3.6)
    items += side.flush()
    audio = audio_of(items)
    onset = np.flatnonzero(audio > 0.7)[0] / 16000
    assert abs(onset - 3.0) < 0.005
    assert np.all(np.abs(audio[int(0.6 * 16000):int(2.9 * 16000)]) < 1e-6)
    assert abs(side.filled_s - 2.5) < 0.01


def test_a_stalled_side_is_extended_with_silence_up_to_now_minus_the_margin():
    settings = CaptureSettings(stall_fill_s=0.5)
    side = SideCapture("prospect", RATE, settings)
    side.push(tone_block(0.2), 0.0)
    drain_all(side, 0.3)
    drain_all(side, 4.0)  # no new audio for a long time
    assert abs(side.t - 3.5) < 0.01  # time kept moving, short of now by the margin
    # audio that then arrives stamped after that point is placed exactly
    side.push(tone_block(0.1, 0.9), 3.8)
    audio = audio_of(drain_all(side, 4.0) + side.flush())
    assert abs(side.t - 3.9) < 0.01
    assert audio[-100] > 0.85


def test_stamps_with_small_jitter_keep_the_sample_count():
    side = SideCapture("rep", RATE, CaptureSettings(gap_tolerance_s=0.2, overlap_tolerance_s=0.2))
    rng = np.random.default_rng(1)
    n = 100
    for i in range(n):
        side.push(tone_block(0.01), i * 0.01 + rng.uniform(-0.04, 0.04))
    audio = audio_of(drain_all(side, 1.2) + side.flush())
    assert side.filled_s == 0 and side.trimmed_s == 0
    assert abs(len(audio) - 16000) <= 2


def test_audio_overlapping_what_was_emitted_is_trimmed_not_shifted():
    side = SideCapture("rep", RATE)
    side.push(tone_block(1.0), 0.0)
    drain_all(side, 1.0)
    side.push(tone_block(1.0, 0.9), 0.5)  # claims to start half a second back
    drain_all(side, 2.0)
    assert abs(side.trimmed_s - 0.5) < 0.001
    assert abs(side._native_next_t - 1.5) < 0.001


def test_a_reader_that_falls_behind_drops_old_audio_with_a_notice_and_keeps_time():
    side = SideCapture("rep", RATE, CaptureSettings(max_backlog_s=2.0))
    for i in range(50):  # 5 s of audio, never read
        side.push(tone_block(0.1, 0.3 if i < 40 else 0.9), i * 0.1)
    assert side.pending_s <= 2.0 + 1e-9
    chunks, events = side.drain(5.0)
    statuses = [e for e in events if isinstance(e, ChannelStatus)]
    notices = [e for e in events if isinstance(e, Notice)]
    assert statuses and statuses[0].state == "dropped" and statuses[0].speaker == "rep"
    assert "3.0 s" in statuses[0].detail
    assert notices and notices[0].level == "warning" and "dropped 3.0 s" in notices[0].message
    audio = audio_of(list(chunks) + side.flush())
    # the kept audio sits at its own time (3..5 s); the dropped span became silence
    assert np.all(np.abs(audio[: int(2.9 * 16000)]) < 1e-6)
    assert abs(np.flatnonzero(audio > 0.85)[0] / 16000 - 4.0) < 0.005


def test_overflows_are_counted_and_reported_at_a_bounded_rate():
    side = SideCapture("prospect", RATE, CaptureSettings(overflow_report_interval_s=5.0))
    side.note_overflow()
    side.note_overflow()
    _, events = side.drain(1.0)
    status = [e for e in events if isinstance(e, ChannelStatus)]
    assert [(e.state, e.overflows) for e in status] == [("overflow", 2)]
    assert any(isinstance(e, Notice) for e in events)
    side.note_overflow()
    assert not side.drain(2.0)[1]  # within the interval: counted, not reported yet
    _, events = side.drain(6.5)
    assert [(e.state, e.overflows) for e in events if isinstance(e, ChannelStatus)] == [("overflow", 3)]
    assert not any(isinstance(e, Notice) for e in events)  # the notice is said once


def test_duration_caps_the_timeline_exactly():
    side = SideCapture("rep", RATE)
    side.push(tone_block(3.0), 0.0)
    items = drain_all(side, 3.0, until=2.0)
    items += side.fill_to(5.0, until=2.0) + side.flush(until=2.0)
    assert len(audio_of(items)) == 32000
    assert side.t == 2.0


def test_a_reopened_device_at_another_rate_continues_the_timeline():
    side = SideCapture("rep", 48000)
    side.push(tone_block(1.0), 0.0)
    items = drain_all(side, 1.0)
    side.restarted(44100)
    side.push(np.full(44100, 0.9, np.float32), 2.0)
    audio = audio_of(items + drain_all(side, 3.0) + side.flush())
    assert side.native_rate == 44100
    assert abs(np.flatnonzero(audio > 0.85)[0] / 16000 - 2.0) < 0.005
    assert abs(len(audio) / 16000 - 3.0) < 0.005


def test_a_streams_first_block_is_placed_exactly_by_its_stamp():
    side = SideCapture("rep", RATE)
    side.push(tone_block(0.5), 0.15)  # a small start offset, under the gap tolerance
    audio = audio_of(drain_all(side, 0.7) + side.flush())
    assert abs(np.flatnonzero(audio > 0.4)[0] / 16000 - 0.15) < 0.002


def test_alternating_jitter_is_absorbed_but_a_steady_offset_is_corrected():
    settings = CaptureSettings(drift_window_s=1.0, drift_tolerance_s=0.03)
    side = SideCapture("rep", RATE, settings)
    block = 0.01
    for i in range(300):  # 3 s with stamps alternating +-35 ms: no correction
        side.push(tone_block(block, 0.3), i * block + (0.035 if i % 2 else -0.035))
    drain_all(side, 3.0)
    assert side.filled_s < 0.04 and side.trimmed_s < 0.04
    filled = side.filled_s
    # the device clock now runs 80 ms late, steadily: corrected within about a second
    for i in range(300, 500):
        side.push(tone_block(block, 0.3), i * block + 0.08)
    drain_all(side, 5.0)
    assert 0.06 < side.filled_s - filled < 0.1
    assert abs(side._native_next_t - (5.0 + 0.08)) < 0.03


def test_a_first_stamp_that_was_off_is_settled_within_a_second():
    """Start-up: the first block's stamp is 40 ms late, the rest are right (seen with PulseAudio)."""
    side = SideCapture("rep", RATE)  # default settings
    side.push(tone_block(0.025, 0.3), 0.04 + 0.0)
    for i in range(1, 60):  # 1.5 s of 25 ms blocks with +-12 ms alternating jitter
        side.push(tone_block(0.025, 0.3), i * 0.025 + (0.012 if i % 2 else -0.012))
    drain_all(side, 1.6)
    assert abs(side._native_next_t - 1.5) < 0.012
