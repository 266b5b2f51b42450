"""What the fidelity check compares: the layers, the hardware points and the peer runs.

Shared by ``peers.py`` (which runs the peers) and ``analyze.py`` (which reads their cached
results next to prime-rs's own per-op model), so that both name the same runs the same way. It
needs prime-rs only, never a peer.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from prime_rs import EDGETPU_REFERENCE, SPACE, workloads

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"

NETWORKS = ("mobilenet_v2", "resnet50")

# The EdgeTPU-like reference of prime-rs in raw values (4x4 PEs x 4 cores x 64 lanes = 4096 int8
# MACs, 25 GB/s); the sweeps change one of them.
REFERENCE: dict[str, int] = {
    p.name: int(p.values[i]) for p, i in zip(SPACE.params, EDGETPU_REFERENCE, strict=True)
}
_R = REFERENCE
BASE_MACS = _R["pe_x"] * _R["pe_y"] * _R["cores_per_pe"] * _R["simd_lanes"]
BASE_GBPS = _R["dram_bandwidth"]

# The sweeps of MobileNetV2 (ZigZag with the depthwise-aware mapping only: each point costs a
# whole-network ZigZag run). MAC counts are reached in prime-rs through the lanes (4x4 PEs x 4
# cores x lanes) and in ZigZag through the K x C sides of its K x C x OX4 x OY4 array.
SWEEP_NETWORK = "mobilenet_v2"
MAC_SWEEP = (1024, 4096, 16384)
GBPS_SWEEP = (5, 10, 25)

# The clock the cached peer runs were set up for (ZigZag's DRAM port is prime-rs's bandwidth in
# bits per cycle of it); analyze.py refuses a model with another clock.
CLOCK_GHZ = 0.5


def lanes_for(macs: int) -> int:
    """prime-rs's lanes per core giving ``macs`` MACs on the 4x4x4 reference."""
    per_lane = REFERENCE["pe_x"] * REFERENCE["pe_y"] * REFERENCE["cores_per_pe"]
    assert macs % per_lane == 0, macs
    return macs // per_lane


def zigzag_side(macs: int) -> int:
    """K = C side of ZigZag's K x C x 4 x 4 array holding ``macs`` MACs."""
    side = math.isqrt(macs // 16)
    assert side * side * 16 == macs, macs
    return side


@dataclass(frozen=True)
class Layer:
    """One GEMM op of a prime-rs workload, as a convolution both peers can take."""

    op: int  # index in the workload's op table
    name: str
    type: str  # "conv2d", "depthwise" or "dense"
    in_h: int
    in_w: int
    kh: int
    kw: int
    in_c: int
    out_c: int
    stride: int
    groups: int
    out_h: int
    out_w: int
    n: int  # prime-rs's GEMM output width (output channels of one group)
    macs: int

    @property
    def depthwise(self) -> bool:
        return self.type == "depthwise"


def _cdiv(a: int, b: int) -> int:
    return -(-a // b)


def gemm_layers(network: str) -> list[Layer]:
    """The GEMM ops (kind 0) of a built-in workload in op order, as convolution shapes.

    prime-rs's conv2d layers use "same" padding, so the output side is ceil(in / stride); the
    op table's m (output pixels) and m*n*k (MACs) are checked against the shape.
    """
    w = workloads.load(network)
    ops = w.ops
    out = []
    for i in range(w.n_ops):
        if int(ops["kind"][i]) != 0:
            continue
        lay = w.layers[int(ops["layer"][i])]
        m, n, k = (int(ops[f][i]) for f in ("m", "n", "k"))
        kind = lay["type"]
        if kind == "dense":
            rows = int(lay.get("rows", 1))
            shape = dict(in_h=1, in_w=rows, kh=1, kw=1, in_c=int(lay["in_features"]))
            shape |= dict(out_c=int(lay["out_features"]), stride=1, groups=1, out_h=1, out_w=rows)
        else:
            if lay.get("padding", "same") != "same":
                raise ValueError(f"{network}/{lay['name']}: only 'same' padding is mapped to peers")
            kh, kw = (int(v) for v in lay["kernel"])
            s = int(lay["stride"])
            in_h, in_w = int(lay["in_h"]), int(lay["in_w"])
            if kind == "depthwise":
                c = int(lay["channels"])
                in_c, out_c, groups = c, c, c
            else:
                in_c, out_c, groups = int(lay["in_c"]), int(lay["out_c"]), int(lay.get("groups", 1))
            shape = dict(in_h=in_h, in_w=in_w, kh=kh, kw=kw, in_c=in_c, out_c=out_c, stride=s)
            shape |= dict(groups=groups, out_h=_cdiv(in_h, s), out_w=_cdiv(in_w, s))
        layer = Layer(op=i, name=lay["name"], type=kind, n=n, macs=m * n * k, **shape)
        conv_macs = (
            layer.out_h
            * layer.out_w
            * layer.out_c
            * (layer.in_c // layer.groups)
            * layer.kh
            * layer.kw
        )
        if layer.out_h * layer.out_w != m or conv_macs != layer.macs * int(ops["reps"][i]):
            raise ValueError(f"{network}/{lay['name']}: op table and layer shape disagree")
        out.append(layer)
    return out


@dataclass(frozen=True)
class Run:
    """One cached peer evaluation of a whole network at one hardware point."""

    peer: str  # "zigzag" or "scalesim"
    network: str
    macs: int = BASE_MACS
    gbps: int = BASE_GBPS
    # ZigZag only: "stock" (its edge_tpu_like K x C x OX x OY unrolling for every layer) or
    # "dw" (the same, plus G x FX x OX x OY for depthwise layers).
    mapping: str = ""
    # ZigZag only: where activations live between layers. "dram" is ZigZag's default flow
    # (each layer reads its input from DRAM and writes its output back); "resident" keeps them
    # in the activation SRAM, so DRAM serves only the weights, as in prime-rs's policy when an
    # op's input and output fit on chip (always, for these networks on the reference).
    activations: str = "dram"
    # SCALE-Sim only: the network is run in this many processes of consecutive layers, each
    # under the time cap (ResNet-50 takes longer than one cap).
    parts: int = 1

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Run:
        """A cached run's record; fields added to the study since it was made take their
        defaults (every earlier run streamed activations from DRAM)."""
        return cls(**d)

    @property
    def name(self) -> str:
        tail = f"-{self.mapping}" if self.mapping else ""
        if self.activations != "dram":
            tail += "-res"
        if self.peer == "scalesim":
            return f"scalesim-{self.network}-{self.macs}"
        return f"zigzag-{self.network}-{self.macs}-{self.gbps}gbps{tail}"

    @property
    def path(self) -> Path:
        return RESULTS / f"{self.name}.json"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def zigzag(
    network: str,
    mapping: str,
    macs: int = BASE_MACS,
    gbps: int = BASE_GBPS,
    activations: str = "dram",
) -> Run:
    return Run("zigzag", network, macs=macs, gbps=gbps, mapping=mapping, activations=activations)


# Every peer run of the study, cheapest first. ResNet-50 has no depthwise layer, so its stock
# run is also its depthwise-aware one.
RUNS: tuple[Run, ...] = (
    zigzag("mobilenet_v2", "stock"),
    zigzag("mobilenet_v2", "dw"),
    Run("scalesim", "mobilenet_v2"),
    *(zigzag(SWEEP_NETWORK, "dw", macs=m) for m in MAC_SWEEP if m != BASE_MACS),
    *(zigzag(SWEEP_NETWORK, "dw", gbps=g) for g in GBPS_SWEEP if g != BASE_GBPS),
    zigzag("resnet50", "stock"),
    Run("scalesim", "resnet50", parts=3),
    # The same ZigZag points with activations resident on chip: the like-for-like comparison
    # of the memory terms (docs/fidelity.md, "Activation residency").
    zigzag("mobilenet_v2", "dw", activations="resident"),
    *(
        zigzag(SWEEP_NETWORK, "dw", macs=m, activations="resident")
        for m in MAC_SWEEP
        if m != BASE_MACS
    ),
    *(
        zigzag(SWEEP_NETWORK, "dw", gbps=g, activations="resident")
        for g in GBPS_SWEEP
        if g != BASE_GBPS
    ),
    zigzag("resnet50", "stock", activations="resident"),
)


def depthwise_aware(run: Run) -> Run:
    """The run that holds the depthwise-aware ZigZag result of ``run``'s network and point."""
    has_dw = any(layer.depthwise for layer in gemm_layers(run.network))
    return zigzag(
        run.network,
        "dw" if has_dw else "stock",
        macs=run.macs,
        gbps=run.gbps,
        activations=run.activations,
    )
