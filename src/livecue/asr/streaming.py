"""Streaming transcription of every side of the call with one shared model.

Per side: a speech gate (VAD) cuts the audio into utterances; each utterance
is decoded repeatedly while it grows (LocalAgreement-2 commits what two
decodes agree on) and once more when the speaker pauses (the final decode
commits the rest).  One decode runs at a time: the scheduler picks the side
whose uncommitted speech is oldest.  A decode is a job cut from the buffers
(``next_decode``), an engine call that touches no buffer (``run_decode``) and
its result taken back (``apply_decode``), so the pipeline can run the engine
call on a thread of its own while this side's audio keeps being fed; ``step``
does the three in a row.

Guards: silence never reaches the model (VAD gate) and no-speech / log-prob /
compression thresholds drop hallucinated segments; repetition loops are cut
and not committed; the buffer is trimmed at committed sentence ends and
force-committed at a cap so latency cannot drift; rep words that repeat the
prospect's words at the same moment (far-side bleed into the microphone) are
dropped.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Protocol

import numpy as np

from ..audio_facts import SAMPLE_RATE_HZ as RATE
from ..config import AgreementSettings, AsrSettings, VadSettings
from ..events import (AudioChunk, Committed, Event, Lag, SpeechEnded, Tentative, UtteranceEnded, Word,
                      join_split_words, words_text)
from ..transcribers import TranscriberCapabilities
from ..vad.gate import SpeechEvidence, SpeechGate, VoiceModel
from .agreement import SENTENCE_END, HypothesisBuffer, norm
from .whisper import DecodeContext

# what Whisper says on a quiet line or noise: accepted only from clear speech
HABITUAL_FILLERS = frozenset({
    "you", "thank you", "thanks", "thank you bye", "bye", "bye bye", "thank you very much",
    "thanks for watching", "thank you for watching", "thank you so much",
})
RETRY_PAD_S = 0.5  # silence put around a clear stretch whose final decode came back empty
CONTEXT_GAP_S = 0.3  # silence between the left context and the utterance in a final decode
WINDOW_S = 30.0  # Whisper's encoder window: a decode's buffer must fit it


def is_habitual_filler(words) -> bool:
    return " ".join(norm(w.word) for w in words if norm(w.word)) in HABITUAL_FILLERS


class Engine(Protocol):
    """What the transcriber needs from the model adapter (faked in tests)."""

    def transcribe(self, audio: np.ndarray, prompt: str = "", beam_size: int | None = None,
                   context: DecodeContext | None = None, min_window_s: float = 0.0): ...


@dataclass
class SpeechBuffer:
    """One stretch of a side's speech, decoded as it grows."""

    t0: float
    chunks: list[np.ndarray] = field(default_factory=list)
    samples: int = 0
    closed: bool = False
    decoded_samples: int = 0
    hyp: HypothesisBuffer = field(default_factory=HypothesisBuffer)
    committed: list[Word] = field(default_factory=list)
    loops: int = 0
    evidence: SpeechEvidence | None = None  # the gate's peaks over this stretch
    retried: bool = False

    @property
    def end(self) -> float:
        return self.t0 + self.samples / RATE

    @property
    def duration(self) -> float:
        return self.samples / RATE

    def audio(self) -> np.ndarray:
        if len(self.chunks) > 1:
            self.chunks = [np.concatenate(self.chunks)]
        return self.chunks[0] if self.chunks else np.zeros(0, dtype=np.float32)

    def append(self, samples: np.ndarray) -> None:
        self.chunks.append(samples)
        self.samples += len(samples)

    def trim_to(self, t: float) -> None:
        cut = int(round((t - self.t0) * RATE))
        if cut <= 0:
            return
        audio = self.audio()[cut:]
        self.chunks = [audio]
        self.samples = len(audio)
        self.decoded_samples = max(0, self.decoded_samples - cut)
        self.t0 = t

    @property
    def oldest_uncommitted(self) -> float:
        return max(self.t0, self.hyp.committed_end)


@dataclass(frozen=True, eq=False)
class DecodeJob:
    """One decode, cut from the buffers by ``next_decode``: all the engine call reads.

    ``utterance`` names the buffer the result goes back to (``apply_decode``);
    the rest is a snapshot, so audio fed meanwhile does not change the decode.
    """

    speaker: str
    utterance: SpeechBuffer
    t0: float  # the utterance's start when the job was cut (word times are offset by it)
    end: int  # samples of the utterance this decode covers
    final: bool
    audio: np.ndarray
    prompt: str
    beam_size: int
    clear: bool  # the gate's evidence said clear speech
    duration: float  # the utterance's length when the job was cut
    retry_empty: bool  # decode once more, padded and without the prompt, if nothing is heard
    min_window_s: float = 0.0  # the encoder window at least this long (final decodes: asr.final_window_s)
    context: DecodeContext | None = None  # the side's previous words, forced as prefix (asr.final_context_s)
    context_audio: np.ndarray | None = None  # their audio, decoded before ``audio``


@dataclass(frozen=True, eq=False)
class DecodeResult:
    """What the engine call of a ``DecodeJob`` returned."""

    hyp: object  # the adapter's Hypothesis
    offset: float  # call time of the decoded audio's first sample
    retried: bool
    took_s: float  # wall seconds the engine call(s) took


# back-to-back repeats that make a loop, by n-gram length: people do say
# "no, no, no" but hardly ever a 3-word phrase twice in a row
LOOP_REPEATS = {1: 4, 2: 3}
LOOP_MAX_N = 8


def find_loop(words: list[Word]) -> int | None:
    """Index where to cut a repetition loop (after the first occurrence of the repeated n-gram), or None."""
    span = find_loop_span(words)
    return None if span is None else span[1]


def find_loop_span(words: list[Word]) -> tuple[int, int] | None:
    """Start and end of the first occurrence of an n-gram repeated back to back, or None."""
    tokens = [norm(w.word) for w in words]
    for start in range(len(tokens)):
        for n in range(1, LOOP_MAX_N + 1):
            gram = tokens[start:start + n]
            if len(gram) < n:
                break
            repeats = 1
            pos = start + n
            while tokens[pos:pos + n] == gram:
                repeats += 1
                pos += n
            if repeats >= LOOP_REPEATS.get(n, 2):
                return start, start + n  # keep the first occurrence
    return None


class ChannelStream:
    def __init__(self, speaker: str, gate: SpeechGate, settings: AsrSettings,
                 agreement: AgreementSettings = AgreementSettings()) -> None:
        self.speaker = speaker
        self.gate = gate
        self.s = settings
        self.agreement = agreement
        self.utterances: deque[SpeechBuffer] = deque()
        self.committed_words: deque[Word] = deque(maxlen=80)  # recent committed words (prompt)
        self.last_tentative: tuple[Word, ...] = ()
        # the last utterance whose final decode committed words: (start, audio, those words)
        self.previous: tuple[float, np.ndarray, tuple[Word, ...]] | None = None

    def left_context(self, limit_s: float) -> tuple[float, np.ndarray, DecodeContext] | None:
        """The previous utterance's words of its last ``limit_s`` of speech, their audio and text.

        The audio starts between two words (the end of the word before) and
        runs to the utterance's end.

        Returns the call time where the context starts, its audio (with
        ``CONTEXT_GAP_S`` of silence after it) and the ``DecodeContext``.
        """
        if limit_s <= 0 or self.previous is None:
            return None
        t0, audio, words = self.previous
        end = t0 + len(audio) / RATE
        words = tuple(w for w in words if w.start >= t0 - 0.05 and w.end <= end + 0.05)
        if not words:
            return None
        first = next((i for i, w in enumerate(words) if w.start >= words[-1].end - limit_s), None)
        if first is None:
            return None
        cut_t = t0 if first == 0 else max(t0, words[first - 1].end)
        piece = audio[int(round((cut_t - t0) * RATE)):]
        piece = np.concatenate([piece, np.zeros(int(CONTEXT_GAP_S * RATE), dtype=np.float32)])
        return cut_t, piece, DecodeContext(len(piece) / RATE, words_text(words[first:]))

    def feed(self, chunk: AudioChunk) -> list[Event]:
        return self._items(self.gate.feed(chunk).items)

    def _items(self, items: list) -> list[Event]:
        events: list[Event] = []
        for item in items:
            if isinstance(item, AudioChunk):
                self._take(item)
                continue
            if isinstance(item, SpeechEvidence):
                if self.utterances and not self.utterances[-1].closed:
                    self.utterances[-1].evidence = item
                continue
            if isinstance(item, SpeechEnded):
                self.close()
            events.append(item)
        return events

    def flush(self) -> list[Event]:
        return self._items(self.gate.flush().items)

    def _take(self, piece: AudioChunk) -> None:
        current = self.utterances[-1] if self.utterances and not self.utterances[-1].closed else None
        if current is not None and abs(piece.t - current.end) > 0.05:
            current.closed = True
            current = None
        if current is None:
            current = SpeechBuffer(piece.t, hyp=HypothesisBuffer(settings=self.agreement))
            self.utterances.append(current)
        current.append(np.asarray(piece.samples, dtype=np.float32))

    def close(self) -> None:
        if self.utterances:
            self.utterances[-1].closed = True

    def prompt(self, before: float) -> str:
        """Committed text that is no longer in the buffer: Whisper skips what the prompt already says."""
        text = " ".join(w.word for w in self.committed_words if w.end <= before + 0.01)[-self.s.prompt_chars:]
        if not self.s.prompt_chars:
            text = ""
        if self.s.vocab:
            names = ", ".join(self.s.vocab)
            return f"Glossary: {names}. {text}".strip()
        return text

    def reset(self) -> None:
        self.utterances.clear()
        self.last_tentative = ()
        self.previous = None
        self.gate.reset()


class StreamingTranscriber:
    """Feeds every side's audio and runs one scheduled decode per ``step``."""

    def __init__(self, engine: Engine, speakers: tuple[str, ...], asr: AsrSettings, vad: VadSettings,
                 clock, vad_factory: Callable[[], VoiceModel], fast: bool = False,
                 agreement: AgreementSettings = AgreementSettings()) -> None:
        self.engine = engine
        self.s = asr
        self.clock = clock
        # --fast runs the live schedule on audio time (every grid point decoded);
        # live and paced runs skip grid points they are too slow for (catch_up)
        self.final_only = fast and asr.fast_final_only
        self.catch_up = not fast
        self.capabilities = TranscriberCapabilities(interim_results=not self.final_only, resettable=True,
                                                    decode_jobs=True)
        self.channels = {sp: ChannelStream(sp, SpeechGate(sp, vad, vad_factory()), asr, agreement) for sp in speakers}
        self.decode_s_ema = 0.3  # seeded with tiny.en on 2 cores; measured from then on
        self.decodes = 0
        self._prospect_words: deque[Word] = deque(maxlen=200)

    # --- input ------------------------------------------------------------

    def feed(self, chunk: AudioChunk) -> list[Event]:
        channel = self.channels.get(chunk.speaker)
        if channel is None:
            return []
        return channel.feed(chunk)

    def reset(self) -> list[Event]:
        """Forget every buffer (replay seek); returns nothing to commit."""
        events: list[Event] = []
        for ch in self.channels.values():
            if ch.last_tentative:
                events.append(Tentative(self.clock.now(), ch.speaker, "", ()))
            ch.reset()
        return events

    # --- scheduling ------------------------------------------------------------

    @property
    def update_interval_s(self) -> float:
        """Audio between two decodes of a growing utterance: whole grid steps, at least min_update_s.

        On audio time (--fast) exactly min_update_s, so the decodes and their
        words do not depend on how fast the machine is; live, enough grid
        steps to keep the measured decode cost under 1/cost_factor of real time.
        """
        if not self.catch_up:
            return self.s.min_update_s
        grid = self.s.grid_s
        want = min(self.s.max_update_s, self.s.cost_factor * self.decode_s_ema)
        return max(self.s.min_update_s, math.ceil(want / grid - 1e-6) * grid)

    def _grid_end(self, utt: SpeechBuffer) -> int | None:
        """End (in samples) of the next decode of the growing utterance, if one is due.

        Decodes end on grid points every ``grid_s`` of audio from the
        utterance's start (or its last trim), none before ``min_decode_s``,
        where a fraction of a word decodes to guesses that LocalAgreement
        may commit.
        """
        if self.final_only:
            return None
        grid = int(round(self.s.grid_s * RATE))
        first = int(round(self.s.min_decode_s * RATE))
        interval = int(round(self.update_interval_s * RATE))
        pending = utt.samples - utt.decoded_samples
        if pending < interval:
            return None
        if not self.catch_up:
            end = utt.decoded_samples + interval
            while end < first:
                end += grid
            return end if end <= utt.samples else None
        # live: the newest grid point reached
        end = utt.decoded_samples + (pending // grid) * grid
        return end if end >= first else None

    def _decode_end(self, utt: SpeechBuffer) -> tuple[int, bool]:
        """Samples of the utterance the next decode covers, and whether it is the final decode."""
        end = self._grid_end(utt)
        # live and a whole interval late with a closed utterance: straight to the final decode
        interval = int(round(self.update_interval_s * RATE))
        due_at = max(utt.decoded_samples + interval, int(round(self.s.min_decode_s * RATE)))
        behind = self.catch_up and utt.samples - due_at >= interval
        if end is not None and not (utt.closed and behind):
            return end, False
        return utt.samples, utt.closed

    def _due(self, utt: SpeechBuffer) -> bool:
        if utt.closed:
            return True
        if self.final_only:
            return utt.duration >= self.s.max_buffer_s
        return self._grid_end(utt) is not None

    def next_job(self) -> tuple[ChannelStream, SpeechBuffer] | None:
        best = None
        for ch in self.channels.values():
            if not ch.utterances:
                continue
            utt = ch.utterances[0]
            if not self._due(utt):
                continue
            key = (utt.oldest_uncommitted, 0 if ch.speaker == "prospect" else 1)
            if best is None or key < best[0]:
                best = (key, ch, utt)
        return None if best is None else (best[1], best[2])

    def pending(self) -> bool:
        return self.next_job() is not None

    def step(self) -> list[Event]:
        """One scheduled decode on this thread: ``next_decode``, ``run_decode``, ``apply_decode``."""
        job = self.next_decode()
        if job is None:
            return []
        return self.apply_decode(job, self.run_decode(job))

    def finish(self) -> list[Event]:
        """End of input: close every utterance and decode what remains."""
        events: list[Event] = []
        for ch in self.channels.values():
            events += ch.flush()
            if ch.utterances:
                ch.utterances[-1].closed = True
        while True:
            step = self.step()
            if not step and not self.pending():
                break
            events += step
        return events

    # --- decoding: snapshot, engine call, result --------------------------------

    def next_decode(self) -> DecodeJob | None:
        """The decode due most, as a job that holds everything the engine call needs.

        Reads the buffers and changes nothing: until ``apply_decode`` the
        transcriber may take more audio (``feed``), and the job's audio,
        prompt and flags stay what they were when it was cut.
        """
        picked = self.next_job()
        if picked is None:
            return None
        ch, utt = picked
        end, final = self._decode_end(utt)
        clear = utt.evidence is None or utt.evidence.clear
        prompt = ch.prompt(utt.t0) if utt.loops == 0 else ""
        # the final decode: a wide encoder window (and, opt-in, the side's previous words as left context)
        room = WINDOW_S - 2.0 - CONTEXT_GAP_S - end / RATE  # context and utterance fit one encoder window
        left = ch.left_context(min(self.s.final_context_s, room)) if final and clear and utt.loops == 0 else None
        context = context_audio = None
        if left is not None:  # it hears the side's previous words first (forced prefix)
            cut_t, context_audio, context = left
            prompt = ch.prompt(cut_t)
        return DecodeJob(
            speaker=ch.speaker, utterance=utt, t0=utt.t0, end=end, final=final,
            audio=utt.audio()[:end].copy(), prompt=prompt,
            beam_size=self.s.final_beam_size if final else self.s.beam_size, clear=clear,
            duration=utt.duration, retry_empty=final and clear and self.s.retry_empty and not utt.retried,
            min_window_s=self.s.final_window_s if final else 0.0, context=context, context_audio=context_audio)

    def run_decode(self, job: DecodeJob) -> DecodeResult:
        """The engine call(s) for ``job``: touches no buffer, so it may run on another thread."""
        started = self.clock.wall()
        options = {"min_window_s": job.min_window_s} if job.min_window_s > 0 else {}
        if job.context is not None and job.context_audio is not None:
            hyp = self.engine.transcribe(np.concatenate([job.context_audio, job.audio]), job.prompt,
                                         beam_size=job.beam_size, context=job.context, **options)
            offset = job.t0 - job.context.seconds
        else:
            hyp = self.engine.transcribe(job.audio, job.prompt, beam_size=job.beam_size, **options)
            offset = job.t0
        retried = False
        if job.retry_empty and not hyp.words:
            # clear speech, nothing heard: once more without the prompt and with
            # silence around it (a lone short word often decodes to nothing)
            pad = np.zeros(int(RETRY_PAD_S * RATE), dtype=np.float32)
            hyp = self.engine.transcribe(np.concatenate([pad, job.audio, pad]), "", beam_size=job.beam_size,
                                         **options)
            offset, retried = job.t0 - RETRY_PAD_S, True
        return DecodeResult(hyp, offset, retried, self.clock.wall() - started)

    def apply_decode(self, job: DecodeJob, result: DecodeResult) -> list[Event]:
        """Take ``job``'s hypothesis into its utterance: agreement, commits, events."""
        ch, utt = self.channels[job.speaker], job.utterance
        events: list[Event] = []
        end, final, clear, hyp, offset = job.end, job.final, job.clear, result.hyp, result.offset
        if utt.decoded_samples == 0 and ch.committed_words:
            # carry the side's committed tail over, so a word said once is not
            # committed again by the next utterance's first decode
            utt.hyp.committed_tail = list(ch.committed_words)[-utt.hyp.max_ngram:]
        end_t = utt.t0 + end / RATE
        if result.retried:
            utt.retried = True
            self.decodes += 1
        took = result.took_s
        self.decodes += 1
        if took > 0:
            self.decode_s_ema = 0.7 * self.decode_s_ema + 0.3 * took
        utt.decoded_samples = end
        words = join_split_words(Word(w.word, offset + w.start, offset + w.end, w.probability)
                                 for w in hyp.words if w.word.strip())
        words = [w for w in words if w.start < end_t and w.end > utt.t0 - 0.05] if offset != utt.t0 else words
        if words and not self._speech_evidence(hyp, clear, words):
            words = []
        span = find_loop_span(words)
        loop_from = None if hyp.loop_from_s is None else offset + hyp.loop_from_s
        if span is not None or hyp.loop:
            utt.loops += 1  # decode the next time without the prompt, which often seeds loops
            if span is not None:  # (the adapter cut its own loops)
                words = words[:span[1]]
                loop_from = words[span[0]].start if loop_from is None else min(loop_from, words[span[0]].start)
        else:
            utt.loops = 0  # ... and with it again once a decode is clean: without, tiny.en drifts
        # a lone word that repeats the side's last word is new speech when the stretch
        # is short, clear and has committed nothing yet ("zero" ... "zero"); anything
        # longer is more likely Whisper restating its prompt
        # the loop's first occurrence is committed by the final decode only
        utt.hyp.insert(words, allow_repeat=clear and not utt.committed and len(words) == 1
                       and job.duration <= self.s.repeat_max_s, loop_from=loop_from, audio_end=end_t)
        if final:
            words = utt.hyp.commit_all()
        else:
            words = utt.hyp.flush()
            if end_t - utt.t0 >= self.s.max_buffer_s:
                words += utt.hyp.commit_until(end_t - 1.0)
        heard_to = job.t0 + job.duration  # the audio fed when the job was cut (== utt.end on one thread)
        events.append(Lag(self.clock.now(), ch.speaker, max(0.0, self.clock.now() - heard_to), took))
        if final:  # said even when nothing was heard: the stretch is over
            events.append(UtteranceEnded(utt.end, ch.speaker))
        words = self._drop_bleed(ch.speaker, words)
        if words:
            utt.committed.extend(words)
            ch.committed_words.extend(words)
            events.append(Committed(words[-1].end, ch.speaker, words_text(words), tuple(words), final))
            if ch.speaker == "prospect":
                self._prospect_words.extend(words)
        tentative = () if final else tuple(self._drop_bleed(ch.speaker, utt.hyp.tentative))
        if tentative != ch.last_tentative:
            t = tentative[-1].end if tentative else (words[-1].end if words else end_t)
            events.append(Tentative(t, ch.speaker, words_text(tentative), tentative))
            ch.last_tentative = tentative
        if ch.speaker == "prospect" and tentative:
            self._prospect_words.extend(w for w in tentative if w not in self._prospect_words)
        if final:
            ch.utterances.popleft()
            if utt.committed:
                ch.previous = (utt.t0, utt.audio(), tuple(utt.committed))
        else:
            self._trim(utt)
        return events

    def _speech_evidence(self, hyp, clear: bool, words: list[Word]) -> bool:
        """Quiet-line guard: is there enough evidence to keep these words?"""
        if not clear and (hyp.no_speech_prob >= self.s.quiet_no_speech or hyp.avg_logprob < self.s.logprob_threshold):
            return False
        if is_habitual_filler(words):
            return clear and hyp.no_speech_prob < self.s.filler_max_no_speech
        return True

    def _trim(self, utt: SpeechBuffer) -> None:
        decoded_s = utt.decoded_samples / RATE  # not utt.duration: how much audio was read in must not matter
        if decoded_s < self.s.trim_after_s or not utt.committed:
            return
        cut = None
        for w in reversed(utt.committed):
            if w.end <= utt.t0:
                break
            if w.word.endswith(SENTENCE_END):
                cut = w.end
                break
        if cut is None and decoded_s >= self.s.max_buffer_s:
            cut = utt.committed[-1].end
        if cut is not None and cut > utt.t0:
            utt.trim_to(cut)

    def _drop_bleed(self, speaker: str, words: list[Word]) -> list[Word]:
        """Rep words that duplicate prospect words at the same moment are far-side bleed."""
        if speaker != "rep" or "prospect" not in self.channels or not self._prospect_words:
            return list(words)
        window = self.s.bleed_window_s
        kept = []
        for w in words:
            key = norm(w.word)
            if any(norm(p.word) == key and abs(p.start - w.start) <= window for p in self._prospect_words):
                continue
            kept.append(w)
        return kept
