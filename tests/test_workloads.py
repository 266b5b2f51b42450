"""Workload zoo, lowering, files and context vectors."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import prime_rs
from prime_rs import workloads
from prime_rs.errors import InvalidArgumentError, UnknownWorkloadError, WorkloadFileError

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "python" / "prime_rs" / "example_workloads"

BUILTINS = [
    "mobilenet_v2",
    "mobilenet_v3_large",
    "mobilenet_v3_small",
    "mobilenet_edgetpu",
    "unet",
    "rnnt_encoder",
    "rnnt_decoder",
    "ssd_mobilenet_v2",
    "efficientnet_lite0",
    "resnet50",
]

# Published figures (see the Rust builders for sources); U-Net and RNN-T are our documented
# closed-form computations, re-derived below independently of the Rust code.
PUBLISHED = {
    "mobilenet_v2": (300e6, 3.47e6),
    "mobilenet_v3_large": (217e6, 5.4e6),
    "mobilenet_v3_small": (56e6, 2.5e6),
    "mobilenet_edgetpu": (990e6, 4.0e6),
    "ssd_mobilenet_v2": (0.8e9, 4.3e6),
    "efficientnet_lite0": (385e6, 4.7e6),
    "resnet50": (4.09e9, 25.557032e6),
}


def unet_reference(size: int, in_c: int, base: int, classes: int, same: bool) -> tuple[int, int]:
    """MACs and params of the 2015 U-Net topology, in closed form."""
    macs = params = 0
    h, c, skips = size, in_c, []

    def conv(h: int, c: int, o: int, k: int) -> tuple[int, int, int]:
        oh = h if same else h - k + 1
        return oh, k * k * c * o + o, oh * oh * k * k * c * o

    for level in range(4):
        for _ in range(2):
            h, p, m = conv(h, c, base << level, 3)
            c, params, macs = base << level, params + p, macs + m
        skips.append(c)
        h //= 2
    for _ in range(2):
        h, p, m = conv(h, c, base << 4, 3)
        c, params, macs = base << 4, params + p, macs + m
    for level in reversed(range(4)):
        w = base << level
        params += 4 * c * w + w
        macs += h * h * 4 * c * w
        h, c = 2 * h, w + skips[level]
        for _ in range(2):
            h, p, m = conv(h, c, w, 3)
            c, params, macs = w, params + p, macs + m
    return macs + h * h * c * classes, params + c * classes + classes


def lstmp(inp: int, steps: int, hidden: int = 2048, proj: int = 640) -> tuple[int, int]:
    g = 4 * hidden
    params = g * inp + g * proj + g + proj * hidden
    return steps * (g * inp + g * proj + proj * hidden), params


def test_names_are_the_zoo() -> None:
    assert workloads.names() == BUILTINS


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_published_totals(name: str) -> None:
    w = workloads.load(name)
    macs, params = PUBLISHED[name]
    assert abs(w.macs / macs - 1) <= 0.02, (w.macs, macs)
    assert abs(w.params / params - 1) <= 0.05, (w.params, params)
    assert w.published_macs == pytest.approx(macs, rel=1e-9)
    assert w.published_params == pytest.approx(params, rel=1e-9)


def test_unet_matches_closed_form() -> None:
    w = workloads.load("unet")
    assert (w.macs, w.params) == unet_reference(256, 3, 32, 2, same=True)
    assert (w.published_macs, w.published_params) == (w.macs, w.params)
    # The same formula on the 2015 original reproduces the commonly quoted ~31 M parameters.
    macs, params = unet_reference(572, 1, 64, 2, same=False)
    assert abs(params / 31.03e6 - 1) < 0.01 and abs(macs / 150.4e9 - 1) < 0.01


def test_rnnt_matches_closed_form_and_notes() -> None:
    enc = workloads.load("rnnt_encoder")
    parts = [lstmp(320, 50), lstmp(640, 50), lstmp(1280, 25)] + [lstmp(640, 25)] * 5
    assert enc.macs == sum(m for m, _ in parts) == enc.published_macs
    assert enc.params == sum(p for _, p in parts) == enc.published_params
    assert abs(enc.params / 94e6 - 1) < 0.05  # He et al. 2019: ~94 M encoder weights
    dec = workloads.load("rnnt_decoder")
    m, p = lstmp(640, 10)
    assert dec.macs == 2 * m
    assert dec.params == 2 * p + 4096 * 640
    assert abs(2 * p / 24e6 - 1) < 0.05  # ~24 M prediction-network LSTM weights


@pytest.mark.parametrize("name", BUILTINS)
def test_lowering_invariants(name: str) -> None:
    w = workloads.load(name)
    ops = w.ops
    n = w.n_ops
    assert ops["kind"].dtype == np.uint8
    for col, arr in ops.items():
        assert arr.shape == (n,), col
        if col != "kind":
            assert arr.dtype == np.int64, col
            assert (arr >= 0).all(), col
    gemm = ops["kind"] == workloads.OP_GEMM
    macs = (ops["m"] * ops["n"] * ops["k"] * ops["reps"])[gemm].sum()
    assert macs == w.macs
    assert (ops["k"][~gemm] == 0).all()
    assert (ops["weight_bytes"][gemm] > 0).all()
    assert (ops["reps"] >= 1).all() and (ops["m"] >= 1).all()
    for i, layer in enumerate(w.layers):
        rows = np.flatnonzero(ops["layer"] == i)
        assert len(rows) >= 1
        if layer["type"] == "depthwise":
            (r,) = rows
            assert ops["k"][r] == ops["kh"][r] * ops["kw"][r]
            assert ops["cin_g"][r] == 1
        if layer["type"] == "lstm":
            rec = rows[ops["m"][rows] == 1]
            assert len(rec) == (2 if "proj_size" in layer else 1)
            assert (ops["reps"][rec] == layer["steps"]).all()
            assert ops["m"][rows[0]] == layer["steps"] and ops["reps"][rows[0]] == 1


def test_mobilenet_family_has_depthwise_and_se() -> None:
    v3 = workloads.load("mobilenet_v3_large")
    types = [layer["type"] for layer in v3.layers]
    assert types.count("depthwise") == 15
    assert sum(1 for layer in v3.layers if layer.get("name", "").endswith("/se/squeeze")) == 8
    # EdgeTPU: the expansion-factor-1 fused block has no expansion conv.
    etpu = workloads.load("mobilenet_edgetpu")
    names = [layer.get("name") for layer in etpu.layers]
    assert "block0/expand" not in names and "block1/expand" in names


@pytest.mark.parametrize("name", BUILTINS)
def test_context_vector_shape(name: str) -> None:
    w = workloads.load(name)
    assert w.context.dtype == np.float64
    assert w.context.shape == (len(workloads.CONTEXT_FEATURES),) == (12,)
    assert np.isfinite(w.context).all()
    assert (w.context >= -0.5).all() and (w.context <= 1.5).all()
    assert not np.signbit(w.context).any()


def test_context_vectors_differ() -> None:
    ctx = np.stack([workloads.load(n).context for n in BUILTINS])
    assert len({tuple(row) for row in ctx}) == len(BUILTINS)
    features = workloads.CONTEXT_FEATURES
    enc = workloads.load("rnnt_encoder").context
    v2 = workloads.load("mobilenet_v2").context
    assert enc[features.index("lstm_dense_mac_fraction")] == 1.0
    assert v2[features.index("depthwise_mac_fraction")] > 0
    assert enc[features.index("lstm_layers")] > 0 == v2[features.index("lstm_layers")]


def test_builtins_are_cached_and_immutable() -> None:
    a = workloads.load("mobilenet_v2")
    assert workloads.load("mobilenet_v2") is a
    assert workloads.load(a) is a
    with pytest.raises(ValueError):
        a.ops["m"][0] = 1
    with pytest.raises(ValueError):
        a.context[0] = 1.0


def test_example_files() -> None:
    cnn = workloads.load(EXAMPLES / "tiny_cnn.toml")
    assert cnn.name == "tiny_cnn" and cnn.source.endswith("tiny_cnn.toml")
    assert cnn.published_macs is None
    expected = (
        32 * 32 * 27 * 32  # stem
        + 32 * 32 * 9 * 32  # depthwise
        + 32 * 32 * 32 * 32  # pointwise
        + 8 * 8 * 9 * 16 * 64  # grouped conv, 2 groups, stride 2
        + 64 * 10  # logits
    )
    assert cnn.macs == expected
    assert cnn.params == 27 * 32 + 9 * 32 + 32 * 32 + (9 * 16 * 64 + 64) + (640 + 10)
    lstm = workloads.load(str(EXAMPLES / "keyword_lstm.json"))
    assert (
        lstm.macs
        == 49 * (4 * 256 * (40 + 256)) + 49 * (4 * 256 * 256 + 4 * 256 * 128 + 128 * 256) + 128 * 12
    )
    assert lstm.context[workloads.CONTEXT_FEATURES.index("lstm_layers")] > 0


def test_example_workloads_ship_in_the_package() -> None:
    # The examples are package data (the wheel carries them; .ci/wheel checks an installed one).
    assert workloads.examples() == ["keyword_lstm", "tiny_cnn"]
    for name in workloads.examples():
        packaged = workloads.example(name)
        on_disk = workloads.load(next(EXAMPLES.glob(f"{name}.*")))
        assert packaged.name == name and packaged.source == f"<example:{name}>"
        assert workloads.content_hash(packaged) == workloads.content_hash(on_disk)
    assert workloads.example_text("tiny_cnn") == (EXAMPLES / "tiny_cnn.toml").read_text()
    # Examples are templates, not zoo members: `--apps tiny_cnn` is not a built-in name.
    assert "tiny_cnn" not in workloads.names()
    with pytest.raises(UnknownWorkloadError, match="examples: keyword_lstm, tiny_cnn"):
        workloads.example("resnet50")


def test_workloads_example_writes_an_editable_file(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from prime_rs.cli import _register, app

    _register()
    runner = CliRunner()
    out = tmp_path / "mine.toml"
    res = runner.invoke(app, ["workloads", "example", "tiny_cnn", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert workloads.load(out).macs == workloads.example("tiny_cnn").macs
    edited = out.read_text().replace('name = "tiny_cnn"', 'name = "my_cnn"')
    out.write_text(edited)
    res = runner.invoke(app, ["workloads", "example", "tiny_cnn", "--out", str(out)])
    assert res.exit_code == 2 and "--overwrite" in res.output
    assert out.read_text() == edited  # a refused write changes nothing
    res = runner.invoke(app, ["workloads", "example", "tiny_cnn", "-o", str(out), "--overwrite"])
    assert res.exit_code == 0 and workloads.load(out).name == "tiny_cnn"
    res = runner.invoke(app, ["workloads", "example", "keyword_lstm"])
    assert res.exit_code == 0 and json.loads(res.output)["name"] == "keyword_lstm"
    res = runner.invoke(app, ["workloads", "example", "nope"])
    assert res.exit_code == 2 and "unknown example workload 'nope'" in res.output
    res = runner.invoke(app, ["workloads", "list", "--json"])
    kinds = {r["name"]: r["kind"] for r in json.loads(res.output)}
    assert kinds["tiny_cnn"] == "example" and kinds["resnet50"] == "built-in"
    res = runner.invoke(app, ["workloads", "show", "tiny_cnn"])
    assert res.exit_code == 0 and res.output.startswith("tiny_cnn: 8 layers")


def test_from_layers_round_trips_layers() -> None:
    w = workloads.load("efficientnet_lite0")
    again = workloads.from_layers("copy", list(w.layers), description="x")
    assert again.macs == w.macs and again.params == w.params
    for col in w.ops:
        np.testing.assert_array_equal(again.ops[col], w.ops[col])
    np.testing.assert_array_equal(again.context, w.context)


def test_from_layers_defaults() -> None:
    w = workloads.from_layers(
        "d",
        [
            {"type": "conv2d", "in_h": 7, "in_w": 7, "in_c": 8, "out_c": 8, "kernel": [3, 1]},
            {"type": "depthwise", "in_h": 7, "in_w": 7, "channels": 8, "kernel": 3, "stride": 2},
            {"type": "dense", "in_features": 8, "out_features": 4, "tokens": 3, "bias": False},
            {"type": "resize", "in_h": 4, "in_w": 4, "channels": 8, "out_h": 8, "out_w": 8},
            {"type": "concat", "h": 8, "w": 8, "channels": [8, 8]},
        ],
    )
    conv, _dw, dense, _resize, _concat = w.layers
    assert conv["padding"] == "same" and conv["groups"] == 1 and conv["bias"] is True
    assert conv["kernel"] == [3, 1]
    assert dense["rows"] == 3
    assert list(w.ops["m"]) == [49, 16, 3, 64, 64]
    assert list(w.ops["kind"]) == [0, 0, 0, 1, 1]
    assert w.ops["out_bytes"][3] == 8 * 8 * 8 and w.ops["in_bytes"][3] == 4 * 4 * 8
    assert w.ops["in_bytes"][4] == w.ops["out_bytes"][4] == 8 * 8 * 16
    assert w.params == (3 * 8 * 8 + 8) + (9 * 8 + 8) + 8 * 4


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def conv(**over: object) -> dict[str, object]:
    layer: dict[str, object] = {
        "type": "conv2d",
        "name": "c1",
        "in_h": 8,
        "in_w": 8,
        "in_c": 6,
        "out_c": 12,
        "kernel": 3,
    }
    layer.update(over)
    return layer


@pytest.mark.parametrize(
    ("layer", "needles"),
    [
        ({"type": "conv3d", "in_h": 4}, ["conv3d", "layer 0"]),
        (conv(in_h=-3), ["in_h", "-3", "c1"]),
        (conv(out_c=0), ["out_c"]),
        (conv(groups=4), ["groups", "divide"]),
        (conv(kernel=9, padding="valid"), ["kernel", "c1"]),
        (conv(padding="full"), ["full"]),
        (conv(kernel=[3, 3, 3]), ["kernel"]),
        (conv(colour="red"), ["colour"]),
        ({"type": "lstm", "input_size": 4, "steps": 3}, ["hidden_size"]),
        ({"type": "pool", "in_h": 4, "in_w": 4, "channels": 2}, ["kernel", "global"]),
        ({"type": "concat", "h": 4, "w": 4, "channels": []}, ["channels"]),
        (
            {"type": "dense", "in_features": 2**24, "out_features": 2**24, "rows": 2**24},
            ["too large"],
        ),
    ],
)
def test_bad_layers_name_the_problem(layer: dict[str, object], needles: list[str]) -> None:
    with pytest.raises(WorkloadFileError) as err:
        workloads.from_layers("bad", [layer])
    for needle in needles:
        assert needle in str(err.value), (needle, str(err.value))


def test_bad_files(tmp_path: Path) -> None:
    bad_json = write(tmp_path, "broken.json", '{"name": "x", "layers": [\n  {"type": "dense",\n')
    with pytest.raises(WorkloadFileError, match=r"broken\.json.*line 3"):
        workloads.load(bad_json)
    bad_toml = write(tmp_path, "broken.toml", 'name = "x"\n[[layers]\ntype = "dense"\n')
    with pytest.raises(WorkloadFileError, match=r"broken\.toml"):
        workloads.load(bad_toml)
    neg = write(
        tmp_path,
        "neg.toml",
        'name = "x"\n[[layers]]\ntype = "dense"\nname = "fc"\nin_features = -2\nout_features = 3\n',
    )
    with pytest.raises(WorkloadFileError, match=r"neg\.toml.*layer 0 'fc'.*in_features"):
        workloads.load(neg)
    no_layers = write(tmp_path, "empty.json", json.dumps({"name": "x", "layers": []}))
    with pytest.raises(WorkloadFileError, match="layers"):
        workloads.load(no_layers)
    no_name = write(tmp_path, "noname.json", json.dumps({"layers": [conv()]}))
    with pytest.raises(WorkloadFileError, match="name"):
        workloads.load(no_name)
    yaml = write(tmp_path, "net.yaml", "name: x\n")
    with pytest.raises(WorkloadFileError, match=r"\.json or \.toml"):
        workloads.load(yaml)


def test_unknown_workloads(tmp_path: Path) -> None:
    with pytest.raises(UnknownWorkloadError, match="mobilenet_v2") as err:
        workloads.load("mobilenet_v9")
    assert "mobilenet_v9" in str(err.value)
    with pytest.raises(UnknownWorkloadError, match=r"missing\.json"):
        workloads.load(tmp_path / "missing.json")


# --- the native handle ------------------------------------------------------------------------


def test_workload_is_a_frozen_native_handle() -> None:
    w = workloads.load("mobilenet_v2")
    assert isinstance(w, workloads.Workload) and type(w).__module__ == "prime_rs._native.workload"
    with pytest.raises(AttributeError):
        w.name = "x"  # type: ignore[misc]
    assert repr(w).startswith("Workload('mobilenet_v2', 64 layers, 64 ops")
    assert w.n_ops == len(w.ops["m"]) and set(w.ops) == {"kind", *workloads.OP_FIELDS, "layer"}
    # Every getter returns fresh read-only data: nothing a caller does reaches the handle.
    ops = w.ops
    ops["m"] = np.zeros(1, dtype=np.int64)
    assert len(w.ops["m"]) == w.n_ops
    for col in w.ops.values():
        assert not col.flags.writeable


def test_from_ops_builds_an_equivalent_handle() -> None:
    w = workloads.load("resnet50")
    again = workloads.from_ops(w.ops, name="copy")
    assert again.name == "copy" and again.layers == () and again.macs == w.macs
    for col in workloads.OP_FIELDS:
        np.testing.assert_array_equal(again.ops[col], w.ops[col])
    designs = np.array([[2, 2, 4, 2, 1, 3, 6, 3, 4, 4], [9, 9, 6, 9, 6, 10, 6, 3, 4, 5]])
    a, b = prime_rs.simulate(designs, w), prime_rs.simulate(designs, again)
    np.testing.assert_array_equal(a.latency_ms, b.latency_ms)
    np.testing.assert_array_equal(a.reason, b.reason)


def _ops_with(**over: object) -> dict[str, object]:
    ops: dict[str, object] = {k: np.array(v) for k, v in workloads.load("mobilenet_v2").ops.items()}
    ops.update(over)
    return ops


def test_hand_built_op_tables_with_huge_values_are_typed() -> None:
    # Reliability review 1.16: these used to panic in the kernel (multiply with overflow).
    ops = _ops_with()
    ops["m"][0], ops["n"][0], ops["k"][0] = 2**40, 2**20, 2**20  # type: ignore[index]
    with pytest.raises(InvalidArgumentError, match=r"op table row 0.*too large"):
        prime_rs.simulate(prime_rs.EDGETPU_REFERENCE, SimpleNamespace(ops=ops))
    big = _ops_with()
    big["kh"][0] = big["kw"][0] = big["cin_g"][0] = 2**62  # type: ignore[index]
    with pytest.raises(InvalidArgumentError, match="too large"):
        workloads.from_ops(big)
    rng = np.random.default_rng(0)
    for _ in range(300):
        fuzz = _ops_with()
        col = workloads.OP_FIELDS[rng.integers(len(workloads.OP_FIELDS))]
        fuzz[col] = rng.integers(0, 2**63, size=len(fuzz["m"]), dtype=np.int64)  # type: ignore[arg-type]
        try:
            res = prime_rs.simulate(prime_rs.EDGETPU_REFERENCE, workloads.from_ops(fuzz))
        except InvalidArgumentError:
            continue
        assert len(res) == 1


@pytest.mark.parametrize(
    ("ops", "needle"),
    [
        ({"kind": np.array([0])}, "missing column 'm'"),
        ("not a dict", "mapping"),
        (_ops_with(m=np.arange(3)), "'m' has 3 rows"),
        (_ops_with(m=np.full(64, np.nan)), "'m' must be a 1-D array of integers"),
        (_ops_with(m=np.array(["a"] * 64)), "'m' must be a 1-D array of integers"),
        (_ops_with(m=np.ones((64, 2), dtype=np.int64)), "'m' must be a 1-D array"),
        (_ops_with(m=-np.ones(64, dtype=np.int64)), "row 0: 'm' = -1 is negative"),
        (_ops_with(kind=np.full(64, 7)), "unknown kind 7"),
        (_ops_with(m=np.full(64, 2**64 - 1, dtype=np.uint64)), "past 2^63"),
        (_ops_with(k=np.zeros(64, dtype=np.int64)), "zero dimension"),
        ({k: v[:0] for k, v in _ops_with().items()}, "at least one op"),  # type: ignore[index]
    ],
)
def test_malformed_op_tables_are_typed(ops: object, needle: str) -> None:
    # Reliability review 1.17: raw KeyError / TypeError / "negative entry" for NaN before.
    with pytest.raises(InvalidArgumentError, match=re.escape(needle)):
        prime_rs.simulate(prime_rs.EDGETPU_REFERENCE, SimpleNamespace(ops=ops))


@pytest.mark.parametrize(
    "layer",
    [
        # 2.11: loads, then the kernel overflowed on the row band 2*kh*in_w*in_c.
        {"type": "conv2d", "name": "band", "in_h": 1, "in_w": 2**21, "in_c": 2**21, "out_c": 1,
         "kernel": [2**21, 1], "stride": 2**24, "padding": "same"},
        # 2.12: in_bytes + out_bytes overflowed while building the context vector.
        {"type": "concat", "name": "band", "h": 2**21, "w": 2**21, "channels": [2**21]},
        # 2.13: out_bytes in (2^63, 2^64) wrapped negative in the i64 export.
        {"type": "resize", "name": "band", "in_h": 2**21, "in_w": 3658, "channels": 2173170,
         "out_h": 2**21, "out_w": 2**21},
    ],
)  # fmt: skip
def test_files_whose_sizes_overflow_are_load_errors_naming_the_layer(
    tmp_path: Path, layer: dict[str, object]
) -> None:
    p = write(tmp_path, "big.json", json.dumps({"name": "big", "layers": [layer]}))
    with pytest.raises(WorkloadFileError, match=r"big\.json.*layer 0 'band'.*too large"):
        workloads.load(p)
    with pytest.raises(WorkloadFileError, match="too large"):
        prime_rs.simulate(prime_rs.EDGETPU_REFERENCE, p)


def test_exported_op_fields_are_exact() -> None:
    # The largest admitted sizes survive the int64 export unchanged.
    w = workloads.from_layers(
        "wide", [{"type": "dense", "in_features": 2**24, "out_features": 2**24, "rows": 2}]
    )
    assert w.ops["weight_bytes"][0] == 2**48 + 2**24
    assert (w.ops["in_bytes"] > 0).all()


def test_workloads_pickle_to_equivalent_handles() -> None:
    import pickle

    builtin = workloads.load("mobilenet_v2")
    assert pickle.loads(pickle.dumps(builtin)) is builtin  # the cached built-in
    cnn = workloads.load(EXAMPLES / "tiny_cnn.toml")
    table = workloads.from_ops(builtin.ops, name="t")
    for w in (cnn, table):
        again = pickle.loads(pickle.dumps(w))
        assert (again.name, again.source, again.macs, again.params) == (
            w.name,
            w.source,
            w.macs,
            w.params,
        )
        assert again.layers == w.layers
        np.testing.assert_array_equal(again.context, w.context)
        for col in workloads.OP_FIELDS:
            np.testing.assert_array_equal(again.ops[col], w.ops[col])
