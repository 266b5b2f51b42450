#!/usr/bin/env python3
"""A small standalone accelerator simulator that speaks prime-rs's oracle protocol.

It stands in for *your* simulator: it does not import prime-rs and models the chip its own way
(its own roofline latency model, feasibility rules, area formula and networks, among them
``m4``, a network prime-rs has no workload for). Only the Python standard library is used.

    python toy_chip_sim.py IN OUT

``IN`` is a CSV with ``application`` and the ten physical parameters (raw values), one row per
(design, application); the script writes ``OUT`` with the same rows in the same order plus
``latency_ms``, ``area_mm2``, ``feasible`` and ``reason``. Rows of the application ``area``
(prime-rs's ``--area-model "python toy_chip_sim.py"``) get the area only. Exit status 2 on bad
input.

The model (an int8 chip at 800 MHz; P = pe_x * pe_y PEs, C cores per PE, L lanes per core):

* latency, per layer: max(compute, DRAM) + 3 us, where compute counts ceil() losses of output
  pixels over the PEs and output channels over C*L lanes, and DRAM traffic re-reads the weights
  once per activation tile when they do not fit the chip's parameter memory and doubles the
  activation traffic when a layer's activations overflow half the PE memory;
* feasible when four output channels' filters fit a core's parameter memory (``param_mem``),
  a layer's k input rows fit the activation memory (``act_mem``), the chip's memory holds a
  layer's output tile (``pe_mem``) and the program (24 entries per layer and tile) fits the
  instruction memory (``instr_mem``);
* area (mm2): SRAM at 0.7 mm2/MiB with small macros up to 30% less dense, 0.0011 mm2 per lane,
  per-core and per-PE control, a network on chip growing as P^1.5, 3 mm2 of fixed I/O and
  0.3 mm2 per GB/s of DRAM PHY.
"""

from __future__ import annotations

import csv
import math
import sys

PARAMS = (
    "pe_x",
    "pe_y",
    "simd_lanes",
    "cores_per_pe",
    "pe_memory",
    "core_memory",
    "instruction_memory",
    "parameter_memory",
    "activation_memory",
    "dram_bandwidth",
)
CLOCK_HZ = 800e6
LAYER_OVERHEAD_S = 3e-6


def _cnn(stages: list[tuple[int, int, int]], size: int, channels: int, head: int) -> list[dict]:
    """Layers of a plain CNN: (output channels, repeats, stride) per stage, 3x3 convolutions."""
    layers, h, c = [], size, channels
    for cout, repeats, stride in stages:
        for r in range(repeats):
            s = stride if r == 0 else 1
            h = max(1, h // s)
            layers.append({"h": h, "w": h, "cin": c, "cout": cout, "k": 3})
            c = cout
    layers.append({"h": 1, "w": 1, "cin": c, "cout": head, "k": 1})
    return layers


NETWORKS = {
    # A detection-style backbone at 256x256 (the "m4" of this world).
    "m4": _cnn([(32, 1, 2), (64, 2, 2), (128, 3, 2), (256, 3, 2), (512, 2, 2)], 256, 3, 1000),
    # A narrow classifier at 160x160.
    "m5": _cnn([(16, 1, 2), (32, 2, 2), (64, 2, 2), (128, 2, 2), (256, 1, 2)], 160, 3, 100),
    # A wide, shallow network at 128x128.
    "wide_cnn": _cnn([(64, 1, 2), (256, 2, 2), (512, 2, 2)], 128, 3, 10),
}


def sram_mm2(nbytes: float) -> float:
    # Small macros are less dense: up to 30% more area per byte below ~64 KiB.
    return 0.7 / 2**20 * nbytes * (1.0 + 0.3 * math.exp(-nbytes / 65536.0))


def area_mm2(d: dict[str, float]) -> float:
    p, c, lanes = d["pe_x"] * d["pe_y"], d["cores_per_pe"], d["simd_lanes"]
    core = (
        lanes * 0.0011
        + sram_mm2(d["core_memory"])
        + sram_mm2(d["parameter_memory"])
        + sram_mm2(d["activation_memory"])
        + sram_mm2(d["instruction_memory"] * 4)
        + 0.015
    )
    pe = c * core + sram_mm2(d["pe_memory"]) + 0.04
    return 3.0 + 0.3 * d["dram_bandwidth"] + p * pe + 0.003 * p**1.5


def simulate(d: dict[str, float], net: list[dict]) -> tuple[float, str]:
    """(latency in ms, "") or (inf, reason)."""
    p, c, lanes = d["pe_x"] * d["pe_y"], d["cores_per_pe"], d["simd_lanes"]
    chip_param = p * c * d["parameter_memory"]
    tiles_total = 0
    seconds = 0.0
    for layer in net:
        filt = layer["cin"] * layer["k"] ** 2
        if 4 * filt > d["parameter_memory"]:
            return math.inf, "param_mem"
        if layer["k"] * layer["w"] * layer["cin"] > d["activation_memory"]:
            return math.inf, "act_mem"
        out_bytes = layer["h"] * layer["w"] * layer["cout"]
        tiles = max(1, math.ceil(out_bytes / (p * d["pe_memory"] / 2)))
        if out_bytes / tiles > p * d["pe_memory"]:
            return math.inf, "pe_mem"
        tiles_total += tiles
        pixels = layer["h"] * layer["w"]
        cycles = math.ceil(pixels / p) * math.ceil(layer["cout"] / (c * lanes)) * filt
        weights = filt * layer["cout"]
        acts = pixels * (layer["cin"] + layer["cout"])
        refetch = 1 if weights <= chip_param else tiles
        if acts > p * d["pe_memory"] / 2:
            acts *= 2
        dram_s = (weights * refetch + acts) / (d["dram_bandwidth"] * 1e9)
        seconds += max(cycles / CLOCK_HZ, dram_s) + LAYER_OVERHEAD_S
    if 24 * (len(net) + tiles_total) > d["instruction_memory"]:
        return math.inf, "instr_mem"
    return seconds * 1e3, ""


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(f"usage: {argv[0]} IN OUT", file=sys.stderr)
        return 2
    with open(argv[1], newline="") as fh:
        rows = list(csv.DictReader(fh))
    out = []
    for i, row in enumerate(rows):
        app = row.get("application", "")
        if app not in NETWORKS and app != "area":
            print(
                f"row {i + 1}: unknown network {app!r}; known: {sorted(NETWORKS)}", file=sys.stderr
            )
            return 2
        try:
            d = {k: float(row[k]) for k in PARAMS}
        except (KeyError, ValueError) as e:
            print(f"row {i + 1}: bad or missing parameter: {e}", file=sys.stderr)
            return 2
        # "area" rows come from an area command (--area-model): the area alone is asked for.
        latency, reason = (math.inf, "area only") if app == "area" else simulate(d, NETWORKS[app])
        out.append(
            {
                **{k: row[k] for k in ("application", *PARAMS)},
                "latency_ms": repr(latency) if reason == "" else "inf",
                "area_mm2": repr(area_mm2(d)),
                "feasible": "true" if reason == "" else "false",
                "reason": reason,
            }
        )
    with open(argv[2], "w", newline="") as fh:
        w = csv.DictWriter(
            fh, fieldnames=["application", *PARAMS, "latency_ms", "area_mm2", "feasible", "reason"]
        )
        w.writeheader()
        w.writerows(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
