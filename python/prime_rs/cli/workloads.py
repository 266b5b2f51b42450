"""`prime-rs workloads`: the zoo, one network's layers, and networks imported from ONNX."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from prime_rs.cli.common import JsonOpt, cli_errors

workloads_app = typer.Typer(
    help="Built-in networks, their layers, and networks imported from ONNX.",
    no_args_is_help=True,
)


@workloads_app.command("list")
def list_workloads(
    as_json: JsonOpt = False,
) -> None:
    """The built-in networks: MACs, parameters and layer count."""
    from prime_rs import workloads

    rows = []
    for name in workloads.names():
        w = workloads.load(name)
        rows.append({"name": name, "macs": w.macs, "params": w.params, "layers": len(w.layers)})
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    width = max(len(r["name"]) for r in rows)
    print(f"{'name':<{width}}  {'MACs':>10}  {'params':>9}  layers")
    for r in rows:
        print(
            f"{r['name']:<{width}}  {r['macs'] / 1e6:>8.1f} M  {r['params'] / 1e6:>7.2f} M  "
            f"{r['layers']:>6}"
        )


@workloads_app.command("show")
def show(
    name: Annotated[str, typer.Argument(help="A built-in name or a .json/.toml/.onnx file.")],
    as_json: JsonOpt = False,
) -> None:
    """One network's layers, with their kind and shape."""
    with cli_errors():
        w = _load(name)
    if as_json:
        print(json.dumps({"name": w.name, "macs": w.macs, "params": w.params,
                          "layers": list(w.layers)}, indent=2))  # fmt: skip
        return
    print(
        f"{w.name}: {len(w.layers)} layers, {w.macs / 1e6:.1f} M MACs, {w.params / 1e6:.2f} M params"
    )
    for i, layer in enumerate(w.layers):
        shape = ", ".join(f"{k}={v}" for k, v in layer.items() if k not in ("type", "name"))
        print(f"{i:>4}  {layer.get('name', ''):<28} {layer['type']:<16} {shape}")


@workloads_app.command("import")
def import_onnx(
    model: Annotated[Path, typer.Argument(help="The ONNX model.")],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Workload file to write (.toml or .json).")
    ],
    name: Annotated[
        str | None, typer.Option("--name", help="Workload name.", show_default="the file's stem")
    ] = None,
) -> None:
    """Convert an ONNX model into a workload file (needs `pip install 'prime-rs[onnx]'`)."""
    with cli_errors():
        from prime_rs.errors import InvalidArgumentError
        from prime_rs.fileio import atomic_path
        from prime_rs.onnx_import import layers_from_onnx, load_onnx

        if out.suffix not in (".toml", ".json"):
            raise InvalidArgumentError(f"--out must end in .toml or .json, got {out.name!r}")
        graph_name, layers = layers_from_onnx(model)
        w = load_onnx(model, name=name)  # validates the layers through the native parser
        doc = {"name": w.name, "description": f"imported from ONNX graph {graph_name!r}",
               "layers": layers}  # fmt: skip
        with atomic_path(out) as tmp:
            if out.suffix == ".json":
                tmp.write_text(json.dumps(doc, indent=1) + "\n")
            else:
                import tomli_w

                tmp.write_text(tomli_w.dumps(doc))
    print(f"{out}: {len(layers)} layers, {w.macs / 1e6:.1f} M MACs, {w.params / 1e6:.2f} M params")


def _load(name: str) -> Any:
    from prime_rs import workloads

    return workloads.load(name)


def register(app: typer.Typer) -> None:
    app.add_typer(workloads_app, name="workloads")
