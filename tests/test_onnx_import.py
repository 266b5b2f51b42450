"""Workloads from ONNX models (prime_rs.onnx_import), checked against the built-in zoo."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from prime_rs import workloads
from prime_rs.errors import WorkloadFileError

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from prime_rs.onnx_import import layers_from_onnx, load_onnx  # noqa: E402


class Net:
    """A tiny ONNX graph builder: NCHW activations, zero weights (only shapes matter)."""

    def __init__(self, shape: list[int], name: str = "net") -> None:
        self.name = name
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.input = helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)
        self.n = 0

    def _id(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n}"

    def weight(self, shape: list[int]) -> str:
        name = self._id("w")
        self.inits.append(numpy_helper.from_array(np.zeros(shape, np.float32), name))
        return name

    def node(self, op: str, inputs: list[str], **attrs: object) -> str:
        out = self._id("t")
        self.nodes.append(helper.make_node(op, inputs, [out], name=self._id(op), **attrs))
        return out

    def conv(self, x: str, cin: int, cout: int, k: int, s: int = 1, groups: int = 1) -> str:
        w = self.weight([cout, cin // groups, k, k])
        p = k // 2
        y = self.node(
            "Conv", [x, w], kernel_shape=[k, k], strides=[s, s], pads=[p] * 4, group=groups
        )
        return self.node("Relu", [y])

    def save(self, out: str, path: Path) -> Path:
        graph = helper.make_graph(
            self.nodes,
            self.name,
            [self.input],
            [helper.make_tensor_value_info(out, TensorProto.FLOAT, None)],
            self.inits,
        )
        onnx.save(helper.make_model(graph), path)
        return path


def mobilenet_v2(path: Path) -> Path:
    """MobileNetV2 1.0 at 224 from its architecture table (Sandler et al. 2018, Table 2), with
    TF-slim's 1001-class classifier, written node by node."""
    net = Net([1, 3, 224, 224], "mobilenet_v2")
    x, c = net.conv("x", 3, 32, 3, 2), 32
    for t, cout, n, s in [
        (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
        (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1),
    ]:  # fmt: skip
        for i in range(n):
            stride = s if i == 0 else 1
            y = x
            if t != 1:
                y = net.conv(y, c, c * t, 1)
            y = net.conv(y, c * t, c * t, 3, stride, groups=c * t)
            w = net.weight([cout, c * t, 1, 1])
            y = net.node("Conv", [y, w], kernel_shape=[1, 1])
            y = net.node("BatchNormalization", [y, *(net.weight([cout]) for _ in range(4))])
            if stride == 1 and c == cout:
                y = net.node("Add", [x, y])
            x, c = y, cout
    x = net.conv(x, 320, 1280, 1)
    x = net.node("GlobalAveragePool", [x])
    x = net.node("Flatten", [x])
    x = net.node("Gemm", [x, net.weight([1001, 1280]), net.weight([1001])], transB=1)
    return net.save(x, path)


def test_an_onnx_mobilenet_v2_has_the_zoo_s_macs_and_params(tmp_path: Path) -> None:
    imported = load_onnx(mobilenet_v2(tmp_path / "mnv2.onnx"))
    zoo = workloads.load("mobilenet_v2")
    assert imported.macs == zoo.macs
    assert imported.params == zoo.params
    assert imported.name == "mnv2"
    kinds = [layer["type"] for layer in imported.layers]
    assert kinds.count("depthwise") == 17 and kinds.count("add") == 10
    assert kinds[-2:] == ["pool", "dense"]


def test_lstm_gemm_matmul_pool_concat_resize_and_elementwise(tmp_path: Path) -> None:
    net = Net([1, 8, 16, 16])
    a = net.conv("x", 8, 8, 3)
    b = net.node("MaxPool", [a], kernel_shape=[2, 2], strides=[2, 2])
    up = net.node("Resize", [b, "", net.weight([4])], mode="nearest")
    net.inits[-1] = numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), net.inits[-1].name)
    cat = net.node("Concat", [a, up], axis=1)
    scaled = net.node("Mul", [cat, net.weight([1, 16, 1, 1])])  # a per-channel scale: free
    pooled = net.node("GlobalAveragePool", [scaled])
    flat = net.node("Flatten", [pooled])
    seq = net.node("Unsqueeze", [flat, net.weight([1])])
    net.inits[-1] = numpy_helper.from_array(np.array([0], np.int64), net.inits[-1].name)
    lstm_w, lstm_r = net.weight([2, 4 * 32, 16]), net.weight([2, 4 * 32, 32])
    lstm_out = net._id("lstm_y")
    net.nodes.append(
        helper.make_node(
            "LSTM", [seq, lstm_w, lstm_r], [lstm_out], hidden_size=32, direction="bidirectional"
        )
    )
    flat2 = net.node("Reshape", [lstm_out, net.weight([2])])
    net.inits[-1] = numpy_helper.from_array(np.array([1, 64], np.int64), net.inits[-1].name)
    logits = net.node("MatMul", [flat2, net.weight([64, 10])])
    path = net.save(logits, tmp_path / "mix.onnx")
    _, layers = layers_from_onnx(path)
    kinds = [layer["type"] for layer in layers]
    assert kinds == ["conv2d", "pool", "resize", "concat", "pool", "lstm", "lstm", "dense"]
    assert layers[2]["out_h"] == 16 and layers[3]["channels"] == [8, 8]
    assert layers[5]["steps"] == 1 and layers[5]["input_size"] == 16
    assert layers[7] == {"type": "dense", "name": layers[7]["name"], "in_features": 64,
                         "out_features": 10, "rows": 1, "bias": False}  # fmt: skip
    w = load_onnx(path)
    assert w.macs == 16 * 16 * 8 * 8 * 9 + 2 * 4 * 32 * (16 + 32) + 64 * 10


def test_unsupported_op_names_the_node(tmp_path: Path) -> None:
    net = Net([1, 4, 8, 8])
    y = net.node("Einsum", ["x", "x"], equation="nchw,nchw->nc")
    with pytest.raises(WorkloadFileError, match=r"Einsum\d*' \(Einsum\): is not supported"):
        layers_from_onnx(net.save(y, tmp_path / "bad.onnx"))


def test_features_the_ir_cannot_express_are_errors(tmp_path: Path) -> None:
    net = Net([1, 4, 8, 8])
    w = net.weight([4, 4, 3, 3])
    y = net.node("Conv", ["x", w], kernel_shape=[3, 3], dilations=[2, 2], pads=[2] * 4)
    with pytest.raises(WorkloadFileError, match="dilated"):
        layers_from_onnx(net.save(y, tmp_path / "dil.onnx"))


def test_dynamic_shapes_and_batches_are_errors(tmp_path: Path) -> None:
    net = Net([1, 4, "H", "W"])
    y = net.conv("x", 4, 4, 3)
    with pytest.raises(WorkloadFileError, match="not static"):
        layers_from_onnx(net.save(y, tmp_path / "dyn.onnx"))
    net = Net([8, 4, 8, 8])
    y = net.conv("x", 4, 4, 3)
    with pytest.raises(WorkloadFileError, match="batch 8"):
        layers_from_onnx(net.save(y, tmp_path / "batch.onnx"))


def test_a_file_that_is_not_onnx(tmp_path: Path) -> None:
    p = tmp_path / "junk.onnx"
    p.write_bytes(b"\x00\xffnot a protobuf")
    with pytest.raises(WorkloadFileError, match="not a readable ONNX model"):
        layers_from_onnx(p)
    with pytest.raises(WorkloadFileError, match="no such file"):
        layers_from_onnx(tmp_path / "missing.onnx")


def test_cli_import_show_and_list(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from prime_rs.cli import _register, app

    _register()
    runner = CliRunner()
    model = mobilenet_v2(tmp_path / "mnv2.onnx")
    out = tmp_path / "mnv2.toml"
    res = runner.invoke(app, ["workloads", "import", str(model), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert workloads.load(out).macs == workloads.load("mobilenet_v2").macs
    res = runner.invoke(app, ["workloads", "import", str(model), "--out", str(tmp_path / "x.yaml")])
    assert res.exit_code == 2 and "must end in .toml or .json" in res.output
    assert not (tmp_path / "x.yaml").exists()
    res = runner.invoke(app, ["workloads", "show", str(model)])
    assert res.exit_code == 0 and "64 layers" in res.output
    res = runner.invoke(app, ["workloads", "list", "--json"])
    assert res.exit_code == 0
    assert {"mobilenet_v2", "unet"} <= {r["name"] for r in json.loads(res.output)}
    res = runner.invoke(app, ["workloads", "show", "no_such_net"])
    assert res.exit_code == 2


def test_an_onnx_file_is_an_application_like_any_workload_file(tmp_path: Path) -> None:
    import prime_rs
    from prime_rs.task import Task

    model = mobilenet_v2(tmp_path / "mnv2.onnx")
    designs = prime_rs.SPACE.sample(64, seed=1)
    a = prime_rs.simulate(designs, str(model))
    b = prime_rs.simulate(designs, "mobilenet_v2")
    # Same layers as the zoo's network, so the same simulated latencies.
    np.testing.assert_array_equal(a.latency_ms, b.latency_ms)
    assert Task([str(model), "unet"]).applications == ("mnv2", "unet")
