"""Workloads from ONNX models: a user's network as it comes out of PyTorch, TensorFlow or JAX.

``layers_from_onnx(path)`` reads an ONNX file, runs the ``onnx`` package's shape inference, and
turns each node into a layer of the workload-file schema (``prime_rs.workloads``), the same IR
the built-in zoo uses; ``load_onnx(path)`` returns the workload. The ``onnx`` package is an
optional extra: ``pip install 'prime-rs[onnx]'``.

What maps to what (batch 1; NCHW tensors as ONNX defines them):

- ``Conv`` -> ``conv2d`` (``groups`` kept), or ``depthwise`` when every input channel is its own
  group; ``ConvTranspose`` -> ``conv_transpose2d``;
- ``Gemm`` and ``MatMul`` -> ``dense`` over ``rows`` = the product of the leading dimensions of
  the first operand (a matmul of two activations, as in attention, is a ``dense`` whose
  "weights" are the second operand: the same MACs and bytes moved);
- ``LSTM`` -> one ``lstm`` per direction, with ``steps`` = the sequence length;
- ``MaxPool`` / ``AveragePool`` / ``GlobalAveragePool`` / ``GlobalMaxPool`` (and ``ReduceMean``
  over the spatial axes) -> ``pool``;
- ``Add`` / ``Sub`` / ``Mul`` / ``Div`` / ``Sum`` / ``Max`` / ``Min`` of two or more activations
  -> ``add`` (one memory pass; a squeeze-excite scaling costs the same); with one activation
  and constants, it is a per-channel scale or bias and fused like batch-norm;
- ``Concat`` on channels -> ``concat``; ``Resize`` / ``Upsample`` -> ``resize``.

Activations, normalisation folded at inference (``BatchNormalization``), quantisation and
layout-only ops (reshape, transpose, squeeze, flatten, ...) are free: a compiler for this chip
fuses them into the neighbouring layer, as the zoo's counting does. Anything else is an error
naming the node, and so is a shape that inference cannot make static (give the model fixed
input shapes) or a feature the IR cannot express (dilation, unequal strides).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from prime_rs.errors import MissingDependencyError, WorkloadFileError

__all__ = ["SUPPORTED_OPS", "layers_from_onnx", "load_onnx"]

_FREE = frozenset(
    {
        "Relu", "LeakyRelu", "PRelu", "Clip", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh",
        "Elu", "Selu", "Softplus", "Softsign", "Gelu", "Erf", "Mish", "Swish", "Softmax",
        "LogSoftmax", "BatchNormalization", "Dropout", "Identity", "Reshape", "Flatten",
        "Squeeze", "Unsqueeze", "Transpose", "Shape", "Constant", "ConstantOfShape", "Cast",
        "QuantizeLinear", "DequantizeLinear", "Pad", "Gather", "Slice", "Split", "Expand",
    }
)  # fmt: skip
_ELEMENTWISE = frozenset({"Add", "Sub", "Mul", "Div", "Sum", "Max", "Min"})
_COSTED = frozenset(
    {
        "Conv", "ConvTranspose", "Gemm", "MatMul", "LSTM", "MaxPool", "AveragePool",
        "GlobalAveragePool", "GlobalMaxPool", "ReduceMean", "Concat", "Resize", "Upsample",
    }
) | _ELEMENTWISE  # fmt: skip
#: Every ONNX op type the importer understands (the free ones cost nothing).
SUPPORTED_OPS: frozenset[str] = _COSTED | _FREE


def _onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise MissingDependencyError(
            "reading ONNX models needs the onnx package: pip install 'prime-rs[onnx]'"
        ) from None
    return onnx


class _Graph:
    """Static shapes and constants of an inferred ONNX graph."""

    def __init__(self, model: Any, source: str) -> None:
        self.source = source
        g = model.graph
        self.constants = {t.name for t in g.initializer}
        self.shapes: dict[str, list[int] | None] = {}
        for t in g.initializer:
            self.shapes[t.name] = list(t.dims)
        for vi in [*g.input, *g.value_info, *g.output]:
            if vi.name in self.shapes:
                continue
            tt = vi.type.tensor_type
            if not tt.HasField("shape"):
                self.shapes[vi.name] = None
                continue
            dims: list[int] | None = []
            for i, d in enumerate(tt.shape.dim):
                if d.HasField("dim_value"):
                    dims.append(int(d.dim_value))  # type: ignore[union-attr]
                elif i == 0:
                    dims.append(1)  # a symbolic batch: prime-rs models batch 1
                else:
                    dims = None
                    break
            self.shapes[vi.name] = dims
        for node in g.node:
            if node.op_type == "Constant":
                self.constants.update(node.output)

    def shape(self, node: Any, name: str, what: str) -> list[int]:
        dims = self.shapes.get(name)
        if dims is None:
            raise WorkloadFileError(
                f"{self.source}: {_label(node)}: the shape of its {what} ({name!r}) is not static "
                "after shape inference; export the model with fixed input shapes"
            )
        return dims

    def activations(self, node: Any) -> list[str]:
        return [x for x in node.input if x and x not in self.constants]


def _label(node: Any, index: int | None = None) -> str:
    name = node.name or (f"#{index}" if index is not None else "")
    return f"node {name!r} ({node.op_type})" if name else f"a {node.op_type} node"


def _attrs(node: Any) -> dict[str, Any]:
    onnx = _onnx()
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _fail(graph: _Graph, node: Any, why: str) -> WorkloadFileError:
    return WorkloadFileError(f"{graph.source}: {_label(node)}: {why}")


def _nchw(graph: _Graph, node: Any, name: str, what: str) -> tuple[int, int, int, int]:
    dims = graph.shape(node, name, what)
    if len(dims) != 4:
        raise _fail(graph, node, f"expected a 4-D NCHW {what}, got shape {dims}")
    n, c, h, w = dims
    if n != 1:
        raise _fail(graph, node, f"batch {n}: prime-rs models batch 1")
    return n, c, h, w


def _window(
    graph: _Graph,
    node: Any,
    attrs: dict[str, Any],
    in_hw: tuple[int, int],
    out_hw: tuple[int, int],
    kernel: tuple[int, int],
) -> tuple[int, Any]:
    """The IR's (stride, padding) that reproduce ONNX's output size for this window."""
    if any(d != 1 for d in attrs.get("dilations", [1, 1])):
        raise _fail(graph, node, "dilated windows are not supported by the layer IR")
    strides = list(attrs.get("strides", [1, 1]))
    if len(set(strides)) != 1:
        raise _fail(graph, node, f"unequal strides {strides} are not supported by the layer IR")
    s = int(strides[0])
    pads = list(attrs.get("pads", [0, 0, 0, 0]))
    auto = attrs.get("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else str(auto)

    def out(padding: Any) -> tuple[int, int]:
        if padding == "same":
            return (math.ceil(in_hw[0] / s), math.ceil(in_hw[1] / s))
        p = 0 if padding == "valid" else int(padding)
        return tuple((i + 2 * p - k) // s + 1 for i, k in zip(in_hw, kernel, strict=True))  # type: ignore[return-value]

    candidates: list[Any] = []
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        candidates.append("same")
    elif auto == "VALID" or not any(pads):
        candidates.append("valid")
    elif len(set(pads)) == 1:
        candidates.append(int(pads[0]))
    candidates.append("same")
    for padding in candidates:
        if out(padding) == tuple(out_hw):
            return s, padding
    raise _fail(
        graph,
        node,
        f"padding {pads} (auto_pad {auto}) gives output {list(out_hw)}, which no padding of the "
        "layer IR (same, valid or symmetric) reproduces",
    )


def _layer(graph: _Graph, node: Any, index: int) -> list[dict[str, Any]]:
    op = node.op_type
    name = node.name or f"{op.lower()}_{index}"
    attrs = _attrs(node)
    if op in ("Conv", "ConvTranspose"):
        _, c, h, w = _nchw(graph, node, node.input[0], "input")
        _, o, oh, ow = _nchw(graph, node, node.output[0], "output")
        wdims = graph.shape(node, node.input[1], "weights")
        kernel = (int(wdims[2]), int(wdims[3]))
        bias = len(node.input) > 2 and bool(node.input[2])
        groups = int(attrs.get("group", 1))
        if op == "ConvTranspose":
            strides = [int(v) for v in attrs.get("strides", [1, 1])]
            if len(set(strides)) != 1:
                raise _fail(graph, node, f"unequal strides {strides} are not supported")
            s = strides[0]
            if groups != 1 or (oh, ow) != ((h - 1) * s + kernel[0], (w - 1) * s + kernel[1]):
                raise _fail(
                    graph, node, "only ungrouped, unpadded transposed convolutions are supported"
                )
            return [
                {"type": "conv_transpose2d", "name": name, "in_h": h, "in_w": w, "in_c": c,
                 "out_c": o, "kernel": list(kernel), "stride": s, "bias": bias}
            ]  # fmt: skip
        stride, padding = _window(graph, node, attrs, (h, w), (oh, ow), kernel)
        if groups == c and groups > 1 and o % c == 0:
            layer = {"type": "depthwise", "name": name, "in_h": h, "in_w": w, "channels": c,
                     "kernel": list(kernel), "stride": stride, "padding": padding, "bias": bias}  # fmt: skip
            if o != c:
                layer["multiplier"] = o // c
            return [layer]
        return [
            {"type": "conv2d", "name": name, "in_h": h, "in_w": w, "in_c": c, "out_c": o,
             "kernel": list(kernel), "stride": stride, "padding": padding, "groups": groups,
             "bias": bias}
        ]  # fmt: skip
    if op in ("Gemm", "MatMul"):
        a = graph.shape(node, node.input[0], "first operand")
        b = graph.shape(node, node.input[1], "second operand")
        if len(a) < 2 or len(b) < 2:
            raise _fail(graph, node, f"operands of rank < 2 ({a}, {b}) are not supported")
        if op == "Gemm":
            m, k = (a[1], a[0]) if attrs.get("transA", 0) else (a[0], a[1])
            n = b[0] if attrs.get("transB", 0) else b[1]
            bias = len(node.input) > 2 and bool(node.input[2])
        else:
            m, k, n = math.prod(a[:-1]), a[-1], b[-1]
            bias = False
        return [{"type": "dense", "name": name, "in_features": int(k), "out_features": int(n),
                 "rows": int(m), "bias": bias}]  # fmt: skip
    if op == "LSTM":
        x = graph.shape(node, node.input[0], "input")
        if len(x) != 3:
            raise _fail(graph, node, f"expected a 3-D sequence input, got shape {x}")
        steps, batch, features = (x[1], x[0], x[2]) if attrs.get("layout", 0) else x
        if batch != 1:
            raise _fail(graph, node, f"batch {batch}: prime-rs models batch 1")
        wdims = graph.shape(node, node.input[1], "weights")
        hidden = int(attrs.get("hidden_size", wdims[1] // 4))
        bias = len(node.input) > 3 and bool(node.input[3])
        return [
            {"type": "lstm", "name": f"{name}/{d}" if wdims[0] > 1 else name,
             "input_size": int(features), "hidden_size": hidden, "steps": int(steps), "bias": bias}
            for d in range(int(wdims[0]))
        ]  # fmt: skip
    if op in ("GlobalAveragePool", "GlobalMaxPool") or op == "ReduceMean":
        _, c, h, w = _nchw(graph, node, node.input[0], "input")
        if op == "ReduceMean":
            axes = attrs.get("axes")
            if axes is None and len(node.input) > 1:
                raise _fail(graph, node, "ReduceMean with axes as an input is not supported")
            if sorted(int(ax) % 4 for ax in (axes or [])) != [2, 3]:
                raise _fail(graph, node, "only ReduceMean over the spatial axes (a global pool)")
        return [{"type": "pool", "name": name, "in_h": h, "in_w": w, "channels": c,
                 "global": True}]  # fmt: skip
    if op in ("MaxPool", "AveragePool"):
        _, c, h, w = _nchw(graph, node, node.input[0], "input")
        _, _, oh, ow = _nchw(graph, node, node.output[0], "output")
        kernel = tuple(int(k) for k in attrs["kernel_shape"])
        if attrs.get("ceil_mode", 0):
            raise _fail(graph, node, "ceil_mode pooling is not supported by the layer IR")
        stride, padding = _window(graph, node, attrs, (h, w), (oh, ow), kernel)  # type: ignore[arg-type]
        return [{"type": "pool", "name": name, "in_h": h, "in_w": w, "channels": c,
                 "kernel": list(kernel), "stride": stride, "padding": padding}]  # fmt: skip
    if op in _ELEMENTWISE:
        inputs = graph.activations(node)
        if len(inputs) < 2:
            return []  # a per-channel scale or bias: fused like batch-norm
        out = graph.shape(node, node.output[0], "output")
        c, h, w = _chw(graph, node, out)
        return [{"type": "add", "name": name, "h": h, "w": w, "channels": c,
                 "inputs": len(inputs)}]  # fmt: skip
    if op == "Concat":
        out = graph.shape(node, node.output[0], "output")
        if int(attrs.get("axis", 1)) % max(len(out), 1) != 1:
            raise _fail(graph, node, "only concatenation along channels (axis 1) is supported")
        _, h, w = _chw(graph, node, out)
        channels = [_chw(graph, node, graph.shape(node, x, "input"))[0] for x in node.input if x]
        return [{"type": "concat", "name": name, "h": h, "w": w, "channels": channels}]
    if op in ("Resize", "Upsample"):
        _, c, h, w = _nchw(graph, node, node.input[0], "input")
        _, _, oh, ow = _nchw(graph, node, node.output[0], "output")
        return [{"type": "resize", "name": name, "in_h": h, "in_w": w, "channels": c,
                 "out_h": oh, "out_w": ow}]  # fmt: skip
    if op in _FREE:
        return []
    raise _fail(
        graph,
        node,
        "is not supported; supported ops: " + ", ".join(sorted(_COSTED)) + " (and free ones: "
        "activations, batch-norm, layout ops)",
    )


def _chw(graph: _Graph, node: Any, dims: Sequence[int]) -> tuple[int, int, int]:
    """Channels, height and width of an activation of rank 2 (N, C) or 4 (N, C, H, W)."""
    if len(dims) == 4:
        return int(dims[1]), int(dims[2]), int(dims[3])
    if len(dims) == 2:
        return int(dims[1]), 1, 1
    if len(dims) == 3:  # a sequence (N, T, C): T positions of C features
        return int(dims[2]), int(dims[1]), 1
    raise _fail(graph, node, f"activations of shape {list(dims)} are not supported")


def layers_from_onnx(path: str | os.PathLike[str]) -> tuple[str, list[dict[str, Any]]]:
    """The network's name and its layers in the workload-file schema."""
    onnx = _onnx()
    source = os.fspath(path)
    try:
        model = onnx.load(source)
        model = onnx.shape_inference.infer_shapes(model, strict_mode=False)
    except FileNotFoundError:
        raise WorkloadFileError(f"{source}: no such file") from None
    except Exception as e:  # the onnx package raises its own and protobuf's error types
        raise WorkloadFileError(f"{source}: not a readable ONNX model ({e})") from None
    graph = _Graph(model, source)
    layers: list[dict[str, Any]] = []
    for i, node in enumerate(model.graph.node):
        layers.extend(_layer(graph, node, i))
    if not layers:
        raise WorkloadFileError(f"{source}: the model has no layer that costs anything")
    name = model.graph.name or Path(source).stem
    return name, layers


def load_onnx(path: str | os.PathLike[str], name: str | None = None) -> Any:
    """The ONNX model at ``path`` as a workload (``prime_rs.workloads.Workload``)."""
    from prime_rs import workloads

    graph_name, layers = layers_from_onnx(path)
    return workloads.from_layers(
        name or Path(os.fspath(path)).stem, layers, f"imported from ONNX graph {graph_name!r}"
    )
