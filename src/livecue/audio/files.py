"""Recorded calls as a source: decode, map channels to sides, pace.

Anything PyAV decodes (wav, flac, mp3, m4a, ogg, ...) at any rate is
resampled to 16 kHz.  A stereo file maps channel 0 to the rep and channel 1
to the prospect; two mono files can be given instead; a mono recording is one
``call`` side.  The source hands out audio only as far as the clock allows,
so replay behaves like a live call (or runs on audio time with ``--fast``).
A replay decodes as it plays (``open_call``), so memory does not grow with
the length of the call; ``load_call`` decodes whole, for tests and ``--play``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..audio_facts import SAMPLE_RATE_HZ, clock_tenths
from ..errors import LivecueError, import_problem
from ..events import AudioChunk, Event, Notice, Progress
from ..sources import FAST_REPLAY, REPLAY, SourceCapabilities, SourceRead
from ..user_files import regular_file
from .samples import finite_audio

MAX_CHANNELS = 64  # FFmpeg's resampler limit; no call recording has more


def _check_path(path: Path) -> None:
    """One-line errors for paths that are not a readable regular file."""
    st = regular_file(path, "an audio file", " (livecue reads recordings from regular files)")
    try:
        with open(path, "rb"):
            pass
    except OSError as exc:
        raise LivecueError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if st.st_size == 0:
        raise LivecueError(f"{path}: empty file")


class AudioDecoder:
    """One recording decoded as it is read: float32 (channels, n) blocks at 16 kHz.

    Memory stays bounded by a block however long the file is.  Frames are
    resampled to packed float (one plane), which sidesteps PyAV's planar
    ``to_ndarray`` that crashes beyond eight channels.  A file that ends
    before its header says (a cut-off WAV/FLAC) is noticed in ``notices``.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        _check_path(self.path)
        try:
            import av
        except ImportError as exc:
            raise LivecueError(import_problem("av", "av", exc)) from None
        self._av = av
        self.channels = 0
        self.declared_s: float | None = None
        self._container = None
        self._open()
        # decode the first samples now: a file with no decodable audio is an error before the session starts
        while not self._buffered and self._pull():
            pass
        if not self._buffered:
            self.close()
            if self.error:
                raise LivecueError(f"{self.path}: cannot decode audio ({self.error})")
            raise LivecueError(f"{self.path}: contains no audio")

    def _open(self) -> None:
        av, path = self._av, self.path
        try:
            container = av.open(str(path), metadata_errors="ignore")
        except Exception as exc:  # noqa: BLE001 - PyAV raises many types for bad input
            raise LivecueError(f"{path}: not a readable audio file ({_first_line(exc)})") from None
        try:
            streams = container.streams.audio
            if not streams:
                raise LivecueError(f"{path}: no audio stream in this file")
            stream = streams[0]
            channels = stream.codec_context.channels
            if not 1 <= channels <= MAX_CHANNELS:
                raise LivecueError(f"{path}: the audio stream claims {channels or 'an invalid number of'} channels; "
                                   f"livecue reads 1 to {MAX_CHANNELS}")
            self.channels = channels
            self.declared_s = _wav_header_seconds(path) or _declared_seconds(container, stream)
            self._resampler = av.AudioResampler(format="flt", layout=stream.codec_context.layout, rate=SAMPLE_RATE_HZ)
        except LivecueError:
            container.close()
            raise
        except Exception as exc:  # noqa: BLE001
            container.close()
            raise LivecueError(f"{path}: not a readable audio file ({_first_line(exc)})") from None
        self._container = container
        self._frames = container.decode(stream)
        self._buffer: list[np.ndarray] = []
        self._buffered = 0
        self.pos = 0  # samples handed out
        self.ended = False
        self.error: str | None = None

    def restart(self) -> None:
        """Back to the first sample (a seek backwards)."""
        self.close()
        self._open()

    def _pull(self) -> bool:
        """Decode one more frame into the buffer; False at the end of the audio."""
        if self.ended:
            return False
        try:
            frame = next(self._frames, None)
            if frame is not None:
                frame.pts = None
            outs = self._resampler.resample(frame)
        except Exception as exc:  # noqa: BLE001 - a damaged or cut-off file: keep what decoded
            self.error = getattr(exc, "strerror", None) or _first_line(exc)
            frame, outs = None, []
        for out in outs:
            if len(out.layout.channels) != self.channels:  # never seen; a wrong reshape would mix channels up
                self.error = f"decoded {len(out.layout.channels)} channels where the header says {self.channels}"
                self.ended = True
                return False
            data = out.to_ndarray().reshape(-1, self.channels).T
            if data.shape[1]:
                self._buffer.append(finite_audio(data))
                self._buffered += data.shape[1]
        if frame is None:
            self.ended = True
        return True

    def read(self, n: int) -> np.ndarray:
        """The next ``n`` samples of every channel; fewer only at the end."""
        while self._buffered < n and self._pull():
            pass
        if not self._buffer:
            return np.zeros((self.channels, 0), np.float32)
        joined = self._buffer[0] if len(self._buffer) == 1 else np.concatenate(self._buffer, axis=1)
        head, rest = joined[:, :n], joined[:, n:]
        self._buffer = [rest] if rest.shape[1] else []
        self._buffered = rest.shape[1]
        self.pos += head.shape[1]
        return head

    def skip(self, n: int, block: int = SAMPLE_RATE_HZ * 10) -> None:
        while n > 0 and not (self.ended and not self._buffered):
            n -= max(1, self.read(min(n, block)).shape[1])

    def cut_notice(self) -> str | None:
        """Say so when the file held less audio than its header promised (after the end)."""
        got = self.pos / SAMPLE_RATE_HZ
        if self.error and got > 0:
            return (f"{self.path}: decoding stopped at {clock_tenths(got)} ({self.error}); "
                    "the rest of the file is damaged or missing")
        if self.declared_s is not None and self.declared_s - got > max(0.5, 0.01 * self.declared_s):
            return (f"{self.path}: the file ends at {clock_tenths(got)} "
                    f"but its header says {clock_tenths(self.declared_s)}: "
                    "it was cut off, the rest of the call is missing")
        return None

    def close(self) -> None:
        if self._container is not None:
            self._container.close()
            self._container = None


def _declared_seconds(container, stream) -> float | None:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / 1_000_000
    return None


def _wav_header_seconds(path: Path) -> float | None:
    """The length a WAV header claims (FFmpeg reports the length the file holds, hiding a cut)."""
    try:
        with open(path, "rb") as f:
            head = f.read(65536)
    except OSError:
        return None
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    pos, bytes_per_s = 12, 0
    while pos + 8 <= len(head):
        kind, size = head[pos:pos + 4], int.from_bytes(head[pos + 4:pos + 8], "little")
        if kind == b"fmt " and pos + 16 <= len(head):
            bytes_per_s = int.from_bytes(head[pos + 16:pos + 20], "little")
        elif kind == b"data":
            if not bytes_per_s or size in (0, 0xFFFFFFFF):  # streamed WAVs leave the length open
                return None
            return size / bytes_per_s
        pos += 8 + size + (size & 1)
    return None


def decode_file(path: Path) -> np.ndarray:
    """All channels of ``path`` as float32 (channels, samples) at 16 kHz (whole file in memory)."""
    decoder = AudioDecoder(path)
    try:
        pieces = []
        while True:
            block = decoder.read(SAMPLE_RATE_HZ * 60)
            if block.shape[1]:
                pieces.append(block)
            if block.shape[1] < SAMPLE_RATE_HZ * 60:
                break
        if not pieces and decoder.error:
            raise LivecueError(f"{path}: cannot decode audio ({decoder.error})")
    finally:
        decoder.close()
    if not pieces:
        raise LivecueError(f"{path}: contains no audio")
    return np.concatenate(pieces, axis=1)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


MONO_NOTICE = ("mono recording: both sides are transcribed as one 'call' channel, so cues that need "
               "to know who spoke (reset, second effort, talk share) are limited")


class CallStream:
    """A recording (or two mono ones) mapped onto the call's sides, decoded as it is read.

    ``read(n)`` gives every side ``n`` more samples (fewer only at the end;
    a shorter file is padded with silence until the longer one ends).
    """

    def __init__(self, parts: list[tuple[AudioDecoder, dict]], description: str, notices: tuple[str, ...] = ()):
        self._parts = parts  # (decoder, speaker -> channel index, or None to mix all channels)
        self.sides_map = {s: (d, c) for d, m in parts for s, c in m.items()}
        self.speakers = tuple(self.sides_map)
        self.description = description
        self.notices = notices
        declared = [d.declared_s for d, _ in parts]
        self.duration = max(declared) if all(x is not None for x in declared) else None
        self.pos = 0
        self._told: set[int] = set()

    def read(self, n: int) -> dict[str, np.ndarray]:
        blocks = [d.read(n) for d, _ in self._parts]
        m = max(b.shape[1] for b in blocks)
        out = {}
        for (decoder, mapping), block in zip(self._parts, blocks):
            for speaker, channel in mapping.items():
                x = block.mean(axis=0) if channel is None else block[channel]
                out[speaker] = np.pad(x, (0, m - len(x))) if len(x) < m else x
        self.pos += m
        return out

    def seek(self, pos: int) -> None:
        if pos < self.pos:
            for decoder, _ in self._parts:
                decoder.restart()
            self.pos = 0
        for decoder, _ in self._parts:
            decoder.skip(pos - decoder.pos)
        self.pos = pos

    def late_notices(self) -> list[str]:
        """Notices known only once a file has ended (cut off, damaged), each said once."""
        out = []
        for i, (decoder, _) in enumerate(self._parts):
            if decoder.ended and not decoder._buffered and i not in self._told:
                self._told.add(i)
                notice = decoder.cut_notice()
                if notice:
                    out.append(notice)
        return out

    def close(self) -> None:
        for decoder, _ in self._parts:
            decoder.close()

    def load(self) -> "CallAudio":
        """Everything decoded into memory (tests, evaluation, --play)."""
        pieces: dict[str, list[np.ndarray]] = {s: [] for s in self.speakers}
        try:
            while True:
                got = self.read(SAMPLE_RATE_HZ * 60)
                n = len(next(iter(got.values())))
                for s, x in got.items():
                    pieces[s].append(x)
                if n < SAMPLE_RATE_HZ * 60:
                    break
            late = self.late_notices()
        finally:
            self.close()
        sides = {s: np.concatenate(v).astype(np.float32, copy=False) for s, v in pieces.items()}
        if not len(next(iter(sides.values()))):
            errors = [d.error for d, _ in self._parts if d.error]
            if errors:
                raise LivecueError(f"{self._parts[0][0].path}: cannot decode audio ({errors[0]})")
            raise LivecueError(f"{self.description}: contains no audio")
        return CallAudio(sides, self.description, tuple(self.notices) + tuple(late))


@dataclass(frozen=True)
class CallAudio:
    """Decoded sides of a call: speaker -> 16 kHz mono samples."""

    sides: dict
    description: str
    notices: tuple[str, ...] = ()

    @property
    def speakers(self) -> tuple[str, ...]:
        return tuple(self.sides)

    @property
    def duration(self) -> float:
        return max(len(x) for x in self.sides.values()) / SAMPLE_RATE_HZ


class _ArrayReader:
    """``CallStream``'s reading interface over sides already in memory."""

    def __init__(self, call: CallAudio) -> None:
        self.sides = call.sides
        self.n = max(len(x) for x in call.sides.values())
        self.pos = 0

    def read(self, n: int) -> dict[str, np.ndarray]:
        end = min(self.n, self.pos + n)
        out = {}
        for speaker, samples in self.sides.items():
            piece = samples[self.pos:end]
            out[speaker] = np.pad(piece, (0, end - self.pos - len(piece))) if len(piece) < end - self.pos else piece
        self.pos = end
        return out

    def seek(self, pos: int) -> None:
        self.pos = min(max(0, pos), self.n)

    def late_notices(self) -> list[str]:
        return []

    def close(self) -> None:
        pass


def _check_channel(channels: int, index: int, path: Path, option: str) -> int:
    if index < 0 or index >= channels:
        s = "s" if channels != 1 else ""
        raise LivecueError(f"{path}: has {channels} channel{s}; {option} {index} is out of range")
    return index


def open_call(path: Path | None = None, *, rep: Path | None = None, prospect: Path | None = None,
              rep_channel: int | None = None, prospect_channel: int | None = None) -> CallStream:
    """Map a recording (or two) onto the call's sides, to be decoded as it is read."""
    if path is not None and (rep or prospect):
        raise LivecueError("give either one recording or --rep FILE --prospect FILE, not both")
    if path is None:
        if not (rep and prospect):
            raise LivecueError("two mono files need both --rep FILE and --prospect FILE")
        r = AudioDecoder(rep)
        try:
            p = AudioDecoder(prospect)
        except BaseException:
            r.close()
            raise
        notices = []
        if r.channels > 1 or p.channels > 1:
            notices.append("a --rep/--prospect file has several channels: they are mixed to mono")
        return CallStream([(r, {"rep": None}), (p, {"prospect": None})], f"{rep} + {prospect}", tuple(notices))
    decoder = AudioDecoder(path)
    try:
        n = decoder.channels
        if n == 1:
            if rep_channel not in (None, 0) or prospect_channel is not None:
                option = "--prospect-channel" if prospect_channel is not None else "--rep-channel"
                value = prospect_channel if prospect_channel is not None else rep_channel
                raise LivecueError(f"{path}: has 1 channel; {option} {value} is out of range")
            return CallStream([(decoder, {"call": 0})], str(path), (MONO_NOTICE,))
        rc = 0 if rep_channel is None else rep_channel
        pc = 1 if prospect_channel is None else prospect_channel
        if rc == pc:
            raise LivecueError("--rep-channel and --prospect-channel must differ")
        mapping = {"rep": _check_channel(n, rc, path, "--rep-channel"),
                   "prospect": _check_channel(n, pc, path, "--prospect-channel")}
        notices = ()
        if n > 2:
            notices = (f"{path} has {n} channels: channel {rc} is the rep, channel {pc} the prospect, "
                       "the others are ignored (choose with --rep-channel/--prospect-channel)",)
        return CallStream([(decoder, mapping)], str(path), notices)
    except BaseException:
        decoder.close()
        raise


def load_call(path: Path | None = None, *, rep: Path | None = None, prospect: Path | None = None,
              rep_channel: int | None = None, prospect_channel: int | None = None) -> CallAudio:
    """Map a recording (or two) onto the call's sides, decoded whole into memory."""
    return open_call(path, rep=rep, prospect=prospect, rep_channel=rep_channel,
                     prospect_channel=prospect_channel).load()


PACED_BLOCK_S = 0.1  # audio a paced replay hands out per read (live capture delivers as small pieces)
FAST_BLOCK_S = 1.0  # --fast with final decodes only: larger reads, fewer loop turns


def replay_block_s(fast: bool, interim_decodes: bool = False) -> float:
    """Audio per read.  --fast with interim decodes (the live schedule) reads paced-sized blocks.

    The pipeline runs every decode that is due only after it has fed (and
    forwarded the speech events of) a whole block, so with 1 s blocks a speech
    end was seen before decodes a live call runs first, and the cue engine
    judged a turn on an older tentative hypothesis (d04: a false ``reset`` at 13.0 s).
    """
    return FAST_BLOCK_S if fast and not interim_decodes else PACED_BLOCK_S


class FileSource:
    """Hands out a recorded call in blocks as the clock allows.

    ``call`` is a ``CallStream`` (decoded as it plays: memory stays flat on
    long recordings) or a ``CallAudio`` already in memory.
    """

    capabilities: SourceCapabilities = REPLAY
    end_reason = "end of input"

    def __init__(self, call: CallStream | CallAudio, fast: bool = False, block_s: float | None = None) -> None:
        self.call = call
        self.fast = fast
        self.capabilities = FAST_REPLAY if fast else REPLAY
        self.block = int(SAMPLE_RATE_HZ * (block_s or replay_block_s(fast)))
        self.speakers = call.speakers
        self.description = call.description
        self.duration = call.duration
        self._reader = _ArrayReader(call) if isinstance(call, CallAudio) else call
        self._pos = 0
        self._ended = False
        self._clock = None
        self._next_progress = 0.0
        self._pending: list[Event] = []

    @property
    def exhausted(self) -> bool:
        return self._ended

    def start(self, clock) -> None:
        self._clock = clock
        self._pending = [Notice(0.0, "warning", n) for n in self.call.notices]

    def read(self, timeout_s: float = 0.1, stop: threading.Event | None = None) -> SourceRead:
        before: list[Event] = list(self._pending)  # notices queued by start() and seek()
        self._pending = []
        if self.exhausted:
            return SourceRead(before)
        clock = self._clock
        if self.fast:
            want = self.block
        else:
            target = self._pos + self.block
            deadline = min(target / SAMPLE_RATE_HZ, clock.now() + timeout_s)
            clock.sleep_until(deadline, stop)
            available = int(clock.now() * SAMPLE_RATE_HZ)
            if available < target:
                return SourceRead(before)
            want = max(target, available // self.block * self.block) - self._pos
        sides = self._reader.read(want)
        got = len(next(iter(sides.values())))
        end = self._pos + got
        if self.fast:
            clock.advance_to(end / SAMPLE_RATE_HZ)
        if got < want:
            self._ended = True
        t = self._pos / SAMPLE_RATE_HZ
        audio = [AudioChunk(speaker, t, samples) for speaker, samples in sides.items()] if got else []
        self._pos = end
        after: list[Event] = [Notice(t, "warning", n) for n in self._reader.late_notices()]
        if end / SAMPLE_RATE_HZ >= self._next_progress or self.exhausted:
            total = max(self.duration or 0.0, end / SAMPLE_RATE_HZ)
            after.append(Progress(end / SAMPLE_RATE_HZ, total))
            self._next_progress = end / SAMPLE_RATE_HZ + 1.0
        return SourceRead(before, audio, after)

    # --- replay controls (overlay keys) ----------------------------------------

    def pause(self) -> None:
        """Hold the wall clock of a paced replay; ``--fast`` runs on audio time, which waits anyway."""
        if not self.fast:
            self._clock.pause()

    def resume(self) -> None:
        if not self.fast:
            self._clock.resume()

    def seek(self, delta_s: float) -> float:
        """Jump by ``delta_s`` seconds of audio; returns the new position."""
        pos = max(0, self._pos + int(delta_s * SAMPLE_RATE_HZ))
        if self.duration:
            pos = min(pos, int(self.duration * SAMPLE_RATE_HZ))
        pos = pos // self.block * self.block
        self._reader.seek(pos)
        self._pos = pos
        self._ended = False
        if self._clock is not None:
            self._clock.set_time(pos / SAMPLE_RATE_HZ)
        self._pending.append(Notice(pos / SAMPLE_RATE_HZ, "info", f"seek to {pos / SAMPLE_RATE_HZ:.1f} s"))
        return pos / SAMPLE_RATE_HZ

    def close(self) -> None:
        self._reader.close()
