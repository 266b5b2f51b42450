"""Run ZigZag and SCALE-Sim on prime-rs's GEMM layers and cache their per-layer results.

    python benches/fidelity/peers.py                 # every run of study.RUNS not yet cached
    python benches/fidelity/peers.py --list          # the runs and whether they are cached
    python benches/fidelity/peers.py --only NAME --force --timeout 900

Each run (or each part of one) is a child process under a wall-clock cap, so one stuck peer
cannot hang the study; its result lands in results/NAME.json only once complete. The peers are
slow and deterministic: the cached files are committed and analyze.py reads them in seconds.
Needs the venv of benches/fidelity/README.md (the peers, numpy < 2, prime-rs).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import logging
import math
import os
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import study
from study import Layer, Run

# The ZigZag hardware of the study: its shipped edge_tpu_like.yaml (register files, an
# activation/output SRAM, a weight SRAM, DRAM) with the array widened to the run's MACs, 8 MiB
# activation and 4 MiB weight SRAM (prime-rs's reference holds 8 MiB of PE memory), wider SRAM
# ports, and the DRAM port set to prime-rs's bandwidth at its clock.
ZZ_ACT_SRAM_BITS = 8 * 2**20 * 8
ZZ_W_SRAM_BITS = 4 * 2**20 * 8
ZZ_ACT_PORT_BITS = 8192
ZZ_W_PORT_BITS = 2048
ZZ_LPF_LIMIT = 4  # equals the default (6) on MobileNetV2's total, 6x faster (the peer review)
# SCALE-Sim's 64x64 weight-stationary array with 8 MiB of SRAM split 2:4:2 (ifmap:filter:ofmap).
SS_SRAM_KB = (2048, 4096, 2048)


def zigzag_layer(j: int, layer: Layer) -> dict[str, Any]:
    """A ZigZag user layer with the conv equation of ZigZag's own ONNX parser."""

    def pads(size_in: int, k: int, s: int, size_out: int) -> list[int]:
        total = max((size_out - 1) * s + k - size_in, 0)
        return [total // 2, total - total // 2]

    g = layer.groups
    k_per_g, c_per_g = layer.out_c // g, layer.in_c // g
    return {
        "id": j,
        "name": f"L{j}",
        "operator_type": "Conv",
        "equation": "O[b][g][k][oy][ox]+=W[g][k][c][fy][fx]*I[b][g][c][iy][ix]",
        "dimension_relations": [f"ix={layer.stride}*ox+1*fx", f"iy={layer.stride}*oy+1*fy"],
        "loop_dims": ["B", "K", "G", "OX", "OY", "C", "FX", "FY"],
        "loop_sizes": [1, k_per_g, g, layer.out_w, layer.out_h, c_per_g, layer.kw, layer.kh],
        # int8 operands; 16-bit partial sums, the widest the shipped output registers accept.
        "operand_precision": {"W": 8, "I": 8, "O": 16, "O_final": 8},
        # Layers are evaluated independently: every input comes from, and every output goes
        # back to, DRAM (ZigZag's default flow).
        "operand_source": {},
        "pr_loop_dims": ["IX", "IY"],
        "pr_loop_sizes": [layer.in_w, layer.in_h],
        "padding": [
            pads(layer.in_w, layer.kw, layer.stride, layer.out_w),
            pads(layer.in_h, layer.kh, layer.stride, layer.out_h),
        ],
    }


def zigzag_hardware(run: Run) -> tuple[dict[str, Any], list[dict[str, Any]], int]:
    side = study.zigzag_side(run.macs)
    dram_bits = round(run.gbps / study.CLOCK_GHZ * 8)

    def port(name: str, kind: str, lo: int, hi: int, alloc: list[str]) -> dict[str, Any]:
        return {
            "name": name,
            "type": kind,
            "bandwidth_min": lo,
            "bandwidth_max": hi,
            "allocation": alloc,
        }

    def memory(size: int, r: float, w: float, operands: list[str], ports: list, dims: list[str]):
        return {
            "size": size,
            "r_cost": r,
            "w_cost": w,
            "area": 0,
            "latency": 1,
            "operands": operands,
            "ports": ports,
            "served_dimensions": dims,
        }

    o_all = ["O, fh", "O, tl", "O, fl", "O, th"]
    if run.activations == "dram":
        dram_operands = ["I1", "I2", "O"]
        dram_alloc = ["I1, fh", "I1, tl", "I2, fh", "I2, tl", *o_all]
    elif run.activations == "resident":
        # The activation SRAM is the top of the I1 and O hierarchies: inputs start there and
        # outputs stay there, so DRAM moves the weights only.
        dram_operands = ["I2"]
        dram_alloc = ["I2, fh", "I2, tl"]
    else:
        raise ValueError(f"unknown activation placement {run.activations!r}")
    arch = {
        "name": f"edge_tpu_like_{run.macs}",
        "memories": {
            "rf_1B": memory(
                8,
                0.01,
                0.01,
                ["I2"],
                [
                    port("r_port_1", "read", 8, 8, ["I2, tl"]),
                    port("w_port_1", "write", 8, 8, ["I2, fh"]),
                ],
                ["D3", "D4"],
            ),
            "rf_2B": memory(
                16,
                0.02,
                0.02,
                ["O"],
                [
                    port("r_port_1", "read", 16, 16, ["O, tl"]),
                    port("r_port_2", "read", 16, 16, ["O, th"]),
                    port("w_port_1", "write", 16, 16, ["O, fh"]),
                    port("w_port_2", "write", 16, 16, ["O, fl"]),
                ],
                ["D2"],
            ),
            "sram_w": memory(
                ZZ_W_SRAM_BITS,
                22.9,
                52.01,
                ["I2"],
                [
                    port("r_port_1", "read", 64, ZZ_W_PORT_BITS, ["I2, tl"]),
                    port("w_port_1", "write", 64, ZZ_W_PORT_BITS, ["I2, fh"]),
                ],
                ["D1", "D2", "D3", "D4"],
            ),
            "sram_act": memory(
                ZZ_ACT_SRAM_BITS,
                416.16,
                378.4,
                ["I1", "O"],
                [
                    port("r_port_1", "read", 64, ZZ_ACT_PORT_BITS, ["I1, tl", "O, tl", "O, th"]),
                    port("w_port_1", "write", 64, ZZ_ACT_PORT_BITS, ["I1, fh", "O, fh", "O, fl"]),
                ],
                ["D1", "D2", "D3", "D4"],
            ),
            "dram": memory(
                10_000_000_000,
                700,
                750,
                dram_operands,
                [
                    port(
                        "rw_port_1",
                        "read_write",
                        min(64, dram_bits),
                        dram_bits,
                        dram_alloc,
                    )
                ],
                ["D1", "D2", "D3", "D4"],
            ),
        },
        "operational_array": {
            "unit_energy": 0.04,
            "unit_area": 1,
            "dimensions": ["D1", "D2", "D3", "D4"],
            "sizes": [side, side, 4, 4],
        },
    }
    links = {"O": "O", "W": "I2", "I": "I1"}
    spatial = {"D1": [f"K, {side}"], "D2": [f"C, {side}"], "D3": ["OX, 4"], "D4": ["OY, 4"]}
    mapping = [{"name": "default", "spatial_mapping": spatial, "memory_operand_links": links}]
    return arch, mapping, side * side * 16


def run_zigzag(run: Run, layers: list[Layer], work: Path) -> list[dict[str, Any]]:
    import yaml
    from zigzag.api import get_hardware_performance_zigzag

    arch, mapping, array = zigzag_hardware(run)
    zz_layers = [zigzag_layer(j, layer) for j, layer in enumerate(layers)]
    if run.mapping == "dw":
        side = study.zigzag_side(run.macs)
        for d, layer in zip(zz_layers, layers, strict=True):
            if layer.depthwise:
                # Channels (G) on the K side, the kernel's width on the C side (the reduction a
                # depthwise layer has), pixels as in the stock mapping; matched by layer name.
                spatial = {
                    "D1": [f"G, {side}"],
                    "D2": [f"FX, {layer.kw}"],
                    "D3": ["OX, 4"],
                    "D4": ["OY, 4"],
                }
                mapping.append(
                    {
                        "name": d["name"],
                        "spatial_mapping": spatial,
                        "memory_operand_links": mapping[0]["memory_operand_links"],
                    }
                )
    elif run.mapping != "stock":
        raise ValueError(f"unknown ZigZag mapping {run.mapping!r}")
    (work / "arch.yaml").write_text(yaml.safe_dump(arch, sort_keys=False))
    (work / "map.yaml").write_text(yaml.safe_dump(mapping, sort_keys=False))
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        _, _, cmes = get_hardware_performance_zigzag(
            zz_layers,
            str(work / "arch.yaml"),
            str(work / "map.yaml"),
            opt="latency",
            dump_folder=str(work / "out"),
            lpf_limit=ZZ_LPF_LIMIT,
            loma_show_progress_bar=False,
        )
    per_layer = cmes[0][1]
    if len(per_layer) != len(layers):
        raise RuntimeError(f"ZigZag returned {len(per_layer)} layers for {len(layers)}")
    rows = []
    for j, ((cme, _), layer) in enumerate(zip(per_layer, layers, strict=True)):
        # Layers must come back in input order: each one's id and MAC bound identify it.
        assert cme.layer.id == j, (cme.layer.id, j)
        assert float(cme.ideal_cycle) == math.ceil(layer.macs / array), (
            layer.name,
            cme.ideal_cycle,
        )
        rows.append(
            {
                "op": layer.op,
                "name": layer.name,
                "ideal_cycle": float(cme.ideal_cycle),
                "ideal_temporal_cycle": float(cme.ideal_temporal_cycle),
                "latency_total2": float(cme.latency_total2),
            }
        )
    return rows


SS_CONFIG = """[general]
run_name = r

[architecture_presets]
ArrayHeight: {side}
ArrayWidth: {side}
IfmapSramSzkB: {ifk}
FilterSramSzkB: {fik}
OfmapSramSzkB: {ofk}
IfmapOffset: 0
FilterOffset: 10000000
OfmapOffset: 20000000
Bandwidth: 10
Dataflow: ws
MemoryBanks: 1
ReadRequestBuffer: 32
WriteRequestBuffer: 32

[layout]
IfmapCustomLayout: False
IfmapSRAMBankBandwidth: 10
IfmapSRAMBankNum: 1
IfmapSRAMBankPort: 2
FilterCustomLayout: False
FilterSRAMBankBandwidth: 10
FilterSRAMBankNum: 1
FilterSRAMBankPort: 2

[sparsity]
SparsitySupport: false
SparseRep: ellpack_block
OptimizedMapping: false
BlockSize: 8
RandomNumberGeneratorSeed: 40

[run_presets]
InterfaceBandwidth: CALC
UseRamulatorTrace: False
"""


def scalesim_row(layer: Layer) -> tuple[list[int], int]:
    """(topology row, multiplicity): a "valid" conv whose output is prime-rs's "same" one.

    Grouped and depthwise layers become one group's conv, counted ``groups`` times: SCALE-Sim's
    own depthwise rows expand into that many identical single-channel layers, only slower.
    """
    h = (layer.out_h - 1) * layer.stride + layer.kh
    w = (layer.out_w - 1) * layer.stride + layer.kw
    g = layer.groups
    return [h, w, layer.kh, layer.kw, layer.in_c // g, layer.out_c // g, layer.stride], g


def run_scalesim(run: Run, layers: list[Layer], work: Path) -> list[dict[str, Any]]:
    from scalesim.scale_sim import scalesim

    side = math.isqrt(run.macs)
    assert side * side == run.macs, run.macs
    ifk, fik, ofk = SS_SRAM_KB
    (work / "cfg.cfg").write_text(SS_CONFIG.format(side=side, ifk=ifk, fik=fik, ofk=ofk))
    topo = [
        "Layer name, IFMAP height, IFMAP width, Filter height, Filter width, Channels, Num filter, Strides,"
    ]
    # SCALE-Sim wants a layout file (-l) even with custom layouts off: one default row a layer.
    layout = [
        "Layer name, IFMAP Height Intraline Factor, IFMAP Width Intraline Factor, Filter Height Intraline Factor, "
        "Filter Width Intraline Factor, Channel Intraline Factor, Num Filter Intraline Factor, "
        "IFMAP Height Intraline Order, IFMAP Width Intraline Order, Channel Intraline Order, "
        "IFMAP Height Interline Order, IFMAP Width Interline Order, Channel Interline Order, "
        "Num Filter Intraline Order, Channel Intraline Order, Filter Height Intraline Order, "
        "Filter Width Intraline Order, Num Filter Interline Order, Channel Interline Order, "
        "Filter Height Interline Order, Filter Width Interline Order,"
    ]
    mults = []
    for j, layer in enumerate(layers):
        row, mult = scalesim_row(layer)
        mults.append(mult)
        topo.append(f"L{j}, " + ", ".join(map(str, row)) + ",")
        layout.append(f"L{j}, 1, 1, 1, 1, 1, 1, 0, 1, 2, 0, 1, 2, 0, 1, 2, 3, 0, 1, 2, 3,")
    (work / "topo.csv").write_text("\n".join(topo) + "\n")
    (work / "layout.csv").write_text("\n".join(layout) + "\n")
    with contextlib.redirect_stdout(io.StringIO()):
        sim = scalesim(
            save_disk_space=True,
            verbose=False,
            config=str(work / "cfg.cfg"),
            topology=str(work / "topo.csv"),
            layout=str(work / "layout.csv"),
        )
        sim.run_scale(top_path=str(work / "out"))
    with open(work / "out" / "r" / "COMPUTE_REPORT.csv", newline="") as f:
        report = [[c.strip() for c in line] for line in csv.reader(f)]
    header, body = report[0], report[1:]
    col = {h: i for i, h in enumerate(header)}
    if len(body) != len(layers):
        raise RuntimeError(f"SCALE-Sim reported {len(body)} layers for {len(layers)}")
    rows = []
    for j, (line, layer, mult) in enumerate(zip(body, layers, mults, strict=True)):
        assert int(line[col["LayerID"]]) == j, (line, j)  # input order
        cycles = float(line[col["Total Cycles"]])
        # A weight-stationary array cannot beat its MAC bound on one group's conv.
        assert cycles >= (layer.macs / mult) / run.macs, (layer.name, cycles)
        rows.append({"op": layer.op, "name": layer.name, "cycles": cycles, "groups": mult})
    return rows


def _part_bounds(n: int, parts: int, part: int) -> tuple[int, int]:
    return n * part // parts, n * (part + 1) // parts


def child(run_name: str, part: int, out: Path) -> None:
    """One process's share of one run: evaluate the layers and write them to ``out``."""
    logging.disable(logging.CRITICAL)
    run = next(r for r in study.RUNS if r.name == run_name)
    layers = study.gemm_layers(run.network)
    lo, hi = _part_bounds(len(layers), run.parts, part)
    layers = layers[lo:hi]
    cpu0, wall0 = time.process_time(), time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="prime-rs-fidelity-") as tmp:
        fn = run_zigzag if run.peer == "zigzag" else run_scalesim
        rows = fn(run, layers, Path(tmp))
    result = {
        "wall_s": time.perf_counter() - wall0,
        "cpu_s": time.process_time() - cpu0,
        "layers": rows,
    }
    out.write_text(json.dumps(result))


def execute(run: Run, timeout: float) -> dict[str, Any]:
    """All parts of ``run``, each in a child process capped at ``timeout`` seconds."""
    layers, wall, cpu = [], 0.0, 0.0
    with tempfile.TemporaryDirectory(prefix="prime-rs-fidelity-") as tmp:
        for part in range(run.parts):
            out = Path(tmp) / f"part{part}.json"
            cmd = [
                sys.executable,
                str(Path(__file__).resolve()),
                "--child",
                run.name,
                str(part),
                str(out),
            ]
            try:
                subprocess.run(cmd, check=True, timeout=timeout, cwd=tmp)
            except subprocess.TimeoutExpired:
                raise SystemExit(
                    f"{run.name} part {part + 1}/{run.parts}: over the {timeout:.0f} s cap"
                ) from None
            except subprocess.CalledProcessError as e:
                raise SystemExit(
                    f"{run.name} part {part + 1}/{run.parts}: peer failed (exit {e.returncode})"
                ) from None
            got = json.loads(out.read_text())
            layers += got["layers"]
            wall += got["wall_s"]
            cpu += got["cpu_s"]
    expected = [layer.op for layer in study.gemm_layers(run.network)]
    assert [r["op"] for r in layers] == expected, "layers out of input order"
    package = {"zigzag": "zigzag-dse", "scalesim": "scalesim"}[run.peer]
    settings: dict[str, Any] = (
        {"lpf_limit": ZZ_LPF_LIMIT, "opt": "latency"} if run.peer == "zigzag" else {}
    )
    if run.peer == "zigzag":
        settings |= {
            "act_sram_bits": ZZ_ACT_SRAM_BITS,
            "w_sram_bits": ZZ_W_SRAM_BITS,
            "act_port_bits": ZZ_ACT_PORT_BITS,
            "w_port_bits": ZZ_W_PORT_BITS,
            "activations": run.activations,
        }
    else:
        settings |= {"dataflow": "ws", "mode": "CALC", "sram_kb": list(SS_SRAM_KB)}
    return {
        "run": run.as_dict(),
        "peer_version": metadata.version(package),
        "settings": settings,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "layers": layers,
    }


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]), Path(sys.argv[4]))
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", action="append", metavar="NAME", help="run only these (repeatable)")
    ap.add_argument("--force", action="store_true", help="rerun even if cached")
    ap.add_argument("--timeout", type=float, default=600.0, help="cap per peer process, seconds")
    ap.add_argument("--list", action="store_true", help="list the runs and exit")
    args = ap.parse_args()
    names = {r.name for r in study.RUNS}
    unknown = set(args.only or ()) - names
    if unknown:
        ap.error(f"unknown run(s) {sorted(unknown)}; known: {sorted(names)}")
    if args.list:
        for r in study.RUNS:
            print(f"{r.name:48s} {'cached' if r.path.exists() else '-'}")
        return
    study.RESULTS.mkdir(exist_ok=True)
    for run in study.RUNS:
        if (args.only and run.name not in args.only) or (run.path.exists() and not args.force):
            continue
        print(f"{run.name} ...", flush=True)
        result = execute(run, args.timeout)
        tmp = run.path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(result, indent=1) + "\n")
        os.replace(tmp, run.path)
        print(f"{run.name}: {len(result['layers'])} layers, {result['wall_s']:.0f} s", flush=True)


if __name__ == "__main__":
    main()
